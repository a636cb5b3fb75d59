//! Organisation and guideline versions.

use yardstick_core::org::Organisation;
use yardstick_store::testing;

use yardstick_store::StoreError;

use crate::support::{ORG, at, execute, texts};

#[tokio::test]
async fn organisation_versions_are_kept_and_one_is_current() {
    let one = Organisation::from_toml("org.toml", ORG).expect("valid");
    // The second version drops site h2.
    let cut = ORG.split("[[site]]\nid = \"h2\"").next().expect("text");
    let two = Organisation::from_toml("org2.toml", cut).expect("valid");
    let fp_one = yardstick_core::fingerprint::of_json(&one).expect("fingerprint");
    let fp_two = yardstick_core::fingerprint::of_json(&two).expect("fingerprint");
    assert_ne!(fp_one, fp_two);
    for db in testing::databases().await {
        let store = db.store();
        assert_eq!(store.org().await.expect("org"), None, "{:?}", db.backend());
        assert_eq!(store.org_fingerprint().await.expect("fp"), None);

        let fp = store
            .put_org("org.toml", ORG, &one, at(0))
            .await
            .expect("put");
        assert_eq!(fp, fp_one);
        assert_eq!(store.org().await.expect("org"), Some(one.clone()));
        assert_eq!(
            store.org_fingerprint().await.expect("fp"),
            Some(fp_one.clone())
        );
        // Sites are rows, with the zone's IANA name (h1 has the default zone).
        assert_eq!(
            texts(store, "SELECT id || ' ' || tz FROM site ORDER BY id").await,
            ["h1 Asia/Shanghai", "h2 Europe/London"]
        );

        let fp = store
            .put_org("org2.toml", cut, &two, at(1))
            .await
            .expect("put");
        assert_eq!(fp, fp_two);
        assert_eq!(store.org().await.expect("org"), Some(two.clone()));
        assert_eq!(
            texts(store, "SELECT id FROM site ORDER BY id").await,
            ["h1"]
        );
        // The first version is still there, by its fingerprint.
        assert_eq!(
            store.org_version(&fp_one).await.expect("version"),
            Some(one.clone())
        );
        assert_eq!(store.org_version("no-such").await.expect("version"), None);

        // Storing the first version again makes it current without a second row, and
        // keeps the time it was first loaded (minute 0, not 2).
        let fp = store
            .put_org("org.toml", ORG, &one, at(2))
            .await
            .expect("put");
        assert_eq!(fp, fp_one);
        assert_eq!(
            store.org_fingerprint().await.expect("fp"),
            Some(fp_one.clone())
        );
        assert_eq!(
            texts(
                store,
                "SELECT loaded_at FROM org_version ORDER BY loaded_at"
            )
            .await,
            ["2026-11-01T00:00:00.000Z", "2026-11-01T00:01:00.000Z"]
        );
        assert_eq!(
            texts(store, "SELECT id FROM site ORDER BY id").await,
            ["h1", "h2"]
        );
    }
}

/// A stored organisation whose text was changed inside the database — here h2's area
/// class from rural to urban, which still validates and would move h2 to another peer
/// group and change its targets — is damage when read, never a silent new organisation.
#[tokio::test]
async fn an_organisation_changed_inside_the_database_is_damage() {
    let one = Organisation::from_toml("org.toml", ORG).expect("valid");
    for db in testing::databases().await {
        let store = db.store();
        let fp = store
            .put_org("org.toml", ORG, &one, at(0))
            .await
            .expect("put");
        let changed = execute(
            store,
            "UPDATE org_version SET toml = replace(toml, 'area = \"rural\"', 'area = \"urban\"')",
        )
        .await
        .expect("changed past the contract");
        assert_eq!(changed, 1, "{:?}", db.backend());
        for got in [store.org().await, store.org_version(&fp).await] {
            match got {
                Err(StoreError::Damaged { what, .. }) => assert!(what.contains(&fp), "{what}"),
                other => panic!("{:?}: expected damage, got {other:?}", db.backend()),
            }
        }
    }
}

#[tokio::test]
async fn guideline_versions_are_recorded_once() {
    for db in testing::databases().await {
        let store = db.store();
        assert_eq!(store.guideline_text("g1").await.expect("text"), None);
        store
            .put_guideline("g1", "ys-guideline", "1.0", "first = 1\n", at(0))
            .await
            .expect("put");
        // The same fingerprint again changes nothing: a fingerprint names one text.
        store
            .put_guideline("g1", "ys-guideline", "1.0", "second = 2\n", at(1))
            .await
            .expect("put again");
        assert_eq!(
            store.guideline_text("g1").await.expect("text"),
            Some("first = 1\n".to_string())
        );
        assert_eq!(store.guideline_text("g2").await.expect("text"), None);
    }
}
