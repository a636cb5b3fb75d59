//! Access: users and their grants, sessions and API tokens (the activity log has a file
//! of its own, `activity.rs`). The store keeps what the application decides and the
//! database enforces the rest: logins unique whatever their case, known languages and
//! roles, hashes only. Revoked and expired sessions and tokens read back as they are:
//! judging them is the application's job.

use yardstick_store::{
    Constraint, GrantRow, NewSession, NewToken, NewUser, SessionRow, Store, TokenRow, UserRow,
    testing,
};

use crate::support::{at, execute, refused};

/// A password hash as the application would make it (the store never looks inside).
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

fn user(login: &str, lang: &str) -> NewUser {
    NewUser {
        login: login.into(),
        display_name: format!("{login} (display)"),
        password_hash: Some(HASH.into()),
        disabled: false,
        lang: lang.into(),
    }
}

/// A SHA-256 shaped hash: 64 times the hex digit `c`.
fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

/// Alice (id 1) and Bob (id 2), created at minutes 0 and 1.
async fn alice_and_bob(store: &Store) {
    let a = store
        .create_user(&user("alice", "zh"), at(0))
        .await
        .expect("alice");
    let b = store
        .create_user(&user("bob", "en"), at(1))
        .await
        .expect("bob");
    assert_eq!((a, b), (1, 2));
}

#[tokio::test]
async fn users_are_created_read_back_and_listed_by_login() {
    for db in testing::databases().await {
        let store = db.store();
        assert!(store.users().await.expect("users").is_empty());
        // Ids from the database, 1, 2, 3 in a fresh one; logins stored lower-cased, all
        // of Unicode ("Ünal" → "ünal").
        let mut bob = user("Bob", "en");
        bob.password_hash = None;
        bob.disabled = true;
        let ids = [
            store.create_user(&bob, at(0)).await.expect("bob"),
            store
                .create_user(&user("ALICE", "zh"), at(1))
                .await
                .expect("alice"),
            store
                .create_user(&user("Ünal", "zh"), at(2))
                .await
                .expect("ünal"),
        ];
        assert_eq!(ids, [1, 2, 3], "{:?}", db.backend());
        let alice = UserRow {
            id: 2,
            login: "alice".into(),
            display_name: "ALICE (display)".into(),
            password_hash: Some(HASH.into()),
            disabled: false,
            lang: "zh".into(),
            created_at: "2026-11-01T00:01:00.000Z".into(),
            updated_at: "2026-11-01T00:01:00.000Z".into(),
        };
        let bob = UserRow {
            id: 1,
            login: "bob".into(),
            display_name: "Bob (display)".into(),
            password_hash: None,
            disabled: true,
            lang: "en".into(),
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:00:00.000Z".into(),
        };
        let unal = UserRow {
            id: 3,
            login: "ünal".into(),
            display_name: "Ünal (display)".into(),
            created_at: "2026-11-01T00:02:00.000Z".into(),
            updated_at: "2026-11-01T00:02:00.000Z".into(),
            ..alice.clone()
        };
        assert_eq!(store.user(2).await.expect("user"), Some(alice.clone()));
        assert_eq!(store.user(4).await.expect("user"), None);
        // Looked up whatever the case.
        for login in ["alice", "ALICE", "aLiCe"] {
            assert_eq!(
                store.user_by_login(login).await.expect("by login"),
                Some(alice.clone()),
                "{login}"
            );
        }
        assert_eq!(
            store.user_by_login("üNAL").await.expect("by login"),
            Some(unal.clone())
        );
        assert_eq!(store.user_by_login("carol").await.expect("by login"), None);
        // By login, byte order: "alice" < "bob" < "ünal" (0xC3 after every ASCII byte).
        assert_eq!(store.users().await.expect("users"), [alice, bob, unal]);
    }
}

#[tokio::test]
async fn a_login_is_taken_whatever_its_case() {
    for db in testing::databases().await {
        let store = db.store();
        store
            .create_user(&user("alice", "zh"), at(0))
            .await
            .expect("alice");
        store
            .create_user(&user("ünal", "zh"), at(0))
            .await
            .expect("ünal");
        for taken in ["alice", "Alice", "ALICE", "ÜNAL"] {
            let err = store
                .create_user(&user(taken, "en"), at(1))
                .await
                .expect_err("taken");
            assert!(
                refused(&err, Constraint::UserLogin),
                "{:?} {taken}: {err:?}",
                db.backend()
            );
            assert_eq!(
                err.to_string(),
                "this login is taken (logins are compared without regard to case)"
            );
        }
        assert_eq!(store.users().await.expect("users").len(), 2);
        // Past the store, the database still refuses a login with an upper-case letter,
        // which would slip by the unique constraint; the same login lower-cased is
        // another user, found whatever the case.
        let err = execute(
            store,
            "INSERT INTO app_user (login, display_name, disabled, lang, created_at, updated_at) \
             VALUES ('Carol', 'Carol', FALSE, 'zh', 't', 't')",
        )
        .await
        .expect_err("upper case");
        assert!(refused(&err, Constraint::UserLoginCase), "{err:?}");
        execute(
            store,
            "INSERT INTO app_user (login, display_name, disabled, lang, created_at, updated_at) \
             VALUES ('carol', 'Carol', FALSE, 'zh', 't', 't')",
        )
        .await
        .expect("lower case");
        // (Its id is not known here: PostgreSQL's identity used numbers up in the refused
        // inserts, SQLite's did not.)
        let carol = store.user_by_login("CAROL").await.expect("by login");
        assert_eq!(carol.map(|u| u.login), Some("carol".into()));
    }
}

#[tokio::test]
async fn a_user_changes_one_field_at_a_time_and_keeps_its_creation() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA";
        assert!(
            store
                .set_password(1, Some(new_hash), at(5))
                .await
                .expect("set")
        );
        let u = store.user(1).await.expect("user").expect("alice");
        assert_eq!(u.password_hash.as_deref(), Some(new_hash));
        assert_eq!(
            (u.created_at.as_str(), u.updated_at.as_str()),
            ("2026-11-01T00:00:00.000Z", "2026-11-01T00:05:00.000Z")
        );
        assert!(store.set_password(1, None, at(6)).await.expect("clear"));
        assert!(store.set_disabled(1, true, at(7)).await.expect("disable"));
        assert!(store.set_lang(1, "en", at(8)).await.expect("lang"));
        let alice = UserRow {
            id: 1,
            login: "alice".into(),
            display_name: "alice (display)".into(),
            password_hash: None,
            disabled: true,
            lang: "en".into(),
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:08:00.000Z".into(),
        };
        assert_eq!(
            store.user(1).await.expect("user"),
            Some(alice.clone()),
            "{:?}",
            db.backend()
        );
        // Enabled again; Bob is untouched throughout.
        assert!(store.set_disabled(1, false, at(9)).await.expect("enable"));
        let u = store.user(1).await.expect("user").expect("alice");
        assert!(!u.disabled);
        assert_eq!(u.updated_at, "2026-11-01T00:09:00.000Z");
        let bob = store.user(2).await.expect("user").expect("bob");
        assert_eq!(
            (
                bob.password_hash.as_deref(),
                bob.lang.as_str(),
                bob.updated_at.as_str()
            ),
            (Some(HASH), "en", "2026-11-01T00:01:00.000Z")
        );
        // No user 99: nothing changes, and each setter says so.
        assert!(
            !store
                .set_password(99, Some("h"), at(10))
                .await
                .expect("set")
        );
        assert!(!store.set_disabled(99, true, at(10)).await.expect("set"));
        assert!(!store.set_lang(99, "zh", at(10)).await.expect("set"));
    }
}

#[tokio::test]
async fn a_language_other_than_zh_or_en_is_refused_by_the_database() {
    for db in testing::databases().await {
        let store = db.store();
        let err = store
            .create_user(&user("alice", "fr"), at(0))
            .await
            .expect_err("fr");
        assert!(
            refused(&err, Constraint::UserLang),
            "{:?}: {err:?}",
            db.backend()
        );
        assert!(store.users().await.expect("users").is_empty());
        // The refused insert used up an id in PostgreSQL: the one given back is the one.
        let id = store
            .create_user(&user("alice", "zh"), at(0))
            .await
            .expect("zh");
        let err = store.set_lang(id, "ZH", at(1)).await.expect_err("ZH");
        assert!(refused(&err, Constraint::UserLang), "{err:?}");
        let u = store.user(id).await.expect("user").expect("alice");
        assert_eq!(
            (u.lang.as_str(), u.updated_at.as_str()),
            ("zh", "2026-11-01T00:00:00.000Z")
        );
    }
}

#[tokio::test]
async fn debug_output_shows_no_password_hash_nor_csrf_token() {
    let new = user("alice", "zh");
    let row = UserRow {
        id: 1,
        login: "alice".into(),
        display_name: "Alice".into(),
        password_hash: Some(HASH.into()),
        disabled: false,
        lang: "zh".into(),
        created_at: "c".into(),
        updated_at: "u".into(),
    };
    for text in [format!("{new:?}"), format!("{row:?}")] {
        assert!(!text.contains("argon2"), "{text}");
        assert!(text.contains("password_hash: Some(<redacted>)"), "{text}");
        assert!(text.contains("login: \"alice\""), "{text}");
    }
    // No password: nothing to hide, and the output says there is none.
    let without = UserRow {
        password_hash: None,
        ..row
    };
    assert!(format!("{without:?}").contains("password_hash: None"));
    let session = SessionRow {
        id_hash: sha('a'),
        user_id: 1,
        csrf_token: "csrf-secret-value".into(),
        created_at: "c".into(),
        last_seen_at: "l".into(),
        expires_at: "e".into(),
        revoked_at: None,
        client: "10.0.0.1".into(),
    };
    let new_session = NewSession {
        id_hash: sha('a'),
        user_id: 1,
        csrf_token: "csrf-secret-value".into(),
        created_at: at(0),
        expires_at: at(60),
        client: "10.0.0.1".into(),
    };
    for text in [format!("{session:?}"), format!("{new_session:?}")] {
        assert!(!text.contains("csrf-secret-value"), "{text}");
        assert!(text.contains("csrf_token: <redacted>"), "{text}");
        // The id's hash is no secret.
        assert!(text.contains(&sha('a')), "{text}");
    }
}

fn grant(role: &str, scope: &str, minute: &str) -> GrantRow {
    GrantRow {
        user_id: 1,
        role: role.into(),
        scope: scope.into(),
        created_at: format!("2026-11-01T00:{minute}:00.000Z"),
    }
}

#[tokio::test]
async fn grants_are_added_once_listed_by_role_and_scope_and_removed() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        assert!(store.grants_of(1).await.expect("grants").is_empty());
        assert!(
            store
                .add_grant(1, "site_manager", "h2", at(1))
                .await
                .expect("add")
        );
        assert!(
            store
                .add_grant(1, "quality_manager", "p", at(2))
                .await
                .expect("add")
        );
        assert!(
            store
                .add_grant(1, "site_manager", "h1", at(3))
                .await
                .expect("add")
        );
        assert!(
            store
                .add_grant(2, "viewer", "op", at(4))
                .await
                .expect("add")
        );
        // Held already: not added again, and the first grant's instant stays.
        assert!(
            !store
                .add_grant(1, "quality_manager", "p", at(5))
                .await
                .expect("again"),
            "{:?}",
            db.backend()
        );
        // By role, then scope: quality_manager < site_manager; h1 < h2.
        assert_eq!(
            store.grants_of(1).await.expect("grants"),
            [
                grant("quality_manager", "p", "02"),
                grant("site_manager", "h1", "03"),
                grant("site_manager", "h2", "01"),
            ]
        );
        let bobs = [GrantRow {
            user_id: 2,
            ..grant("viewer", "op", "04")
        }];
        assert_eq!(store.grants_of(2).await.expect("grants"), bobs);

        assert!(
            store
                .remove_grant(1, "site_manager", "h1")
                .await
                .expect("remove")
        );
        assert!(
            !store
                .remove_grant(1, "site_manager", "h1")
                .await
                .expect("again")
        );
        // Bob's grant is Bob's: removing it from Alice removes nothing.
        assert!(
            !store
                .remove_grant(1, "viewer", "op")
                .await
                .expect("not hers")
        );
        assert_eq!(
            store.grants_of(1).await.expect("grants"),
            [
                grant("quality_manager", "p", "02"),
                grant("site_manager", "h2", "01"),
            ]
        );
        assert_eq!(store.grants_of(2).await.expect("grants"), bobs);
        assert!(store.grants_of(99).await.expect("grants").is_empty());
    }
}

#[tokio::test]
async fn a_grant_of_an_unknown_role_or_user_is_refused_by_the_database() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        // Roles are spelled exactly: "Admin" is not "admin".
        for role in ["owner", "Admin", ""] {
            let err = store
                .add_grant(1, role, "op", at(1))
                .await
                .expect_err("unknown role");
            assert!(
                refused(&err, Constraint::GrantRole),
                "{:?} {role:?}: {err:?}",
                db.backend()
            );
        }
        let err = execute(
            store,
            "INSERT INTO user_grant (user_id, role, scope, created_at) VALUES (1, 'owner', 'op', 't')",
        )
        .await
        .expect_err("past the store");
        assert!(refused(&err, Constraint::GrantRole), "{err:?}");
        let err = store
            .add_grant(99, "admin", "op", at(1))
            .await
            .expect_err("no user 99");
        assert!(refused(&err, Constraint::UserUnknown), "{err:?}");
        assert_eq!(err.to_string(), "the user does not exist");
        assert!(store.grants_of(1).await.expect("grants").is_empty());
        // Every one of the six roles is known.
        for role in [
            "admin",
            "quality_manager",
            "site_manager",
            "evaluator",
            "viewer",
            "regulator",
        ] {
            assert!(store.add_grant(1, role, "op", at(2)).await.expect(role));
        }
        assert_eq!(store.grants_of(1).await.expect("grants").len(), 6);
    }
}

/// Alice's session `a` (minutes 0 to 60), her session `b` (10 to 30) and Bob's `c` (20
/// to 120).
fn sessions() -> [NewSession; 3] {
    let s = |c: char, user_id, from, to| NewSession {
        id_hash: sha(c),
        user_id,
        csrf_token: format!("csrf-{c}"),
        created_at: at(from),
        expires_at: at(to),
        client: format!("10.0.0.{user_id} browser-{c}"),
    };
    [s('a', 1, 0, 60), s('b', 1, 10, 30), s('c', 2, 20, 120)]
}

#[tokio::test]
async fn sessions_read_back_revoked_and_expired_until_swept() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        for s in sessions() {
            store.create_session(&s).await.expect("session");
        }
        let mut a = SessionRow {
            id_hash: sha('a'),
            user_id: 1,
            csrf_token: "csrf-a".into(),
            created_at: "2026-11-01T00:00:00.000Z".into(),
            last_seen_at: "2026-11-01T00:00:00.000Z".into(),
            expires_at: "2026-11-01T01:00:00.000Z".into(),
            revoked_at: None,
            client: "10.0.0.1 browser-a".into(),
        };
        assert_eq!(
            store.session(&sha('a')).await.expect("read"),
            Some(a.clone()),
            "{:?}",
            db.backend()
        );
        assert_eq!(store.session(&sha('f')).await.expect("read"), None);

        // Last seen moves forward only: 00:05, then a touch at 00:03 leaves 00:05.
        assert!(store.touch_session(&sha('a'), at(5)).await.expect("touch"));
        assert!(store.touch_session(&sha('a'), at(3)).await.expect("touch"));
        a.last_seen_at = "2026-11-01T00:05:00.000Z".into();
        assert_eq!(
            store.session(&sha('a')).await.expect("read"),
            Some(a.clone())
        );
        assert!(!store.touch_session(&sha('f'), at(5)).await.expect("none"));

        // Revoked once: the second revocation changes nothing and says so.
        assert!(
            store
                .revoke_session(&sha('a'), at(7))
                .await
                .expect("revoke")
        );
        assert!(!store.revoke_session(&sha('a'), at(8)).await.expect("again"));
        assert!(!store.revoke_session(&sha('f'), at(8)).await.expect("none"));
        a.revoked_at = Some("2026-11-01T00:07:00.000Z".into());
        assert_eq!(
            store.session(&sha('a')).await.expect("read"),
            Some(a.clone())
        );
        // Alice's sessions not revoked yet: b only (a was). Then none.
        assert_eq!(store.revoke_sessions_of(1, at(9)).await.expect("all"), 1);
        assert_eq!(store.revoke_sessions_of(1, at(10)).await.expect("all"), 0);
        let b = store.session(&sha('b')).await.expect("read").expect("b");
        assert_eq!(b.revoked_at.as_deref(), Some("2026-11-01T00:09:00.000Z"));
        let c = store.session(&sha('c')).await.expect("read").expect("c");
        assert_eq!(c.revoked_at, None);

        // At 00:40, b has expired (00:30): it reads back as it is, expiry and all; the
        // store does not judge.
        assert_eq!(b.expires_at, "2026-11-01T00:30:00.000Z");
        // Expired strictly before 00:30: none (b expires at 00:30 exactly).
        assert_eq!(
            store.delete_expired_sessions(at(30)).await.expect("sweep"),
            0
        );
        // Before 01:01: a (01:00) and b (00:30); c (02:00) stays.
        assert_eq!(
            store.delete_expired_sessions(at(61)).await.expect("sweep"),
            2
        );
        assert_eq!(store.session(&sha('a')).await.expect("read"), None);
        assert_eq!(store.session(&sha('b')).await.expect("read"), None);
        assert_eq!(store.session(&sha('c')).await.expect("read"), Some(c));
        assert!(!store.revoke_session(&sha('a'), at(62)).await.expect("gone"));
    }
}

#[tokio::test]
async fn a_session_is_stored_by_a_hash_of_a_known_user_once() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        let [a, ..] = sessions();
        store.create_session(&a).await.expect("session");
        // The secret itself, upper-case hex, one digit short, a non-hex letter: none is
        // a SHA-256 in lowercase hex.
        for id_hash in [
            "s3cret-cookie-value".to_string(),
            "A".repeat(64),
            "a".repeat(63),
            "g".repeat(64),
        ] {
            let err = store
                .create_session(&NewSession {
                    id_hash: id_hash.clone(),
                    ..a.clone()
                })
                .await
                .expect_err("not a hash");
            assert!(
                refused(&err, Constraint::NotAHash),
                "{:?} {id_hash}: {err:?}",
                db.backend()
            );
        }
        let err = store.create_session(&a).await.expect_err("same id");
        assert!(refused(&err, Constraint::SessionId), "{err:?}");
        let err = store
            .create_session(&NewSession {
                id_hash: sha('e'),
                user_id: 99,
                ..a.clone()
            })
            .await
            .expect_err("no user 99");
        assert!(refused(&err, Constraint::UserUnknown), "{err:?}");
        assert_eq!(store.session(&sha('e')).await.expect("read"), None);
    }
}

/// Tokens 1 (Alice's, no expiry), 2 (Bob's, until 00:10) and 3 (Alice's, no expiry),
/// created at minutes 0, 1 and 2.
fn tokens() -> [NewToken; 3] {
    let t = |c: char, user_id, name: &str, minute, expires_at| NewToken {
        user_id,
        name: name.into(),
        prefix: format!("ys_{c}{c}{c}"),
        token_hash: sha(c),
        created_at: at(minute),
        expires_at,
    };
    [
        t('1', 1, "ci", 0, None),
        t('2', 2, "laptop", 1, Some(at(10))),
        t('3', 1, "report", 2, None),
    ]
}

#[tokio::test]
async fn tokens_are_listed_newest_first_and_read_back_revoked_and_expired() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        let mut ids = Vec::new();
        for t in tokens() {
            ids.push(store.create_token(&t).await.expect("token"));
        }
        assert_eq!(ids, [1, 2, 3], "{:?}", db.backend());
        let ids_of = |rows: Vec<TokenRow>| -> Vec<i64> { rows.iter().map(|t| t.id).collect() };
        assert_eq!(ids_of(store.tokens(None).await.expect("all")), [3, 2, 1]);
        assert_eq!(ids_of(store.tokens(Some(1)).await.expect("alice")), [3, 1]);
        assert_eq!(ids_of(store.tokens(Some(2)).await.expect("bob")), [2]);
        assert!(store.tokens(Some(99)).await.expect("nobody").is_empty());

        // Bob's token has expired at 00:20 (it ran until 00:10): read back as it is.
        let mut bobs = TokenRow {
            id: 2,
            user_id: 2,
            name: "laptop".into(),
            prefix: "ys_222".into(),
            token_hash: sha('2'),
            created_at: "2026-11-01T00:01:00.000Z".into(),
            expires_at: Some("2026-11-01T00:10:00.000Z".into()),
            revoked_at: None,
            last_used_at: None,
        };
        assert_eq!(
            store.token_by_hash(&sha('2')).await.expect("read"),
            Some(bobs.clone())
        );
        assert_eq!(store.token_by_hash(&sha('9')).await.expect("read"), None);

        // Last use moves forward only: 00:05, then 00:04 leaves 00:05.
        assert!(store.touch_token(2, at(5)).await.expect("touch"));
        assert!(store.touch_token(2, at(4)).await.expect("touch"));
        assert!(!store.touch_token(99, at(4)).await.expect("none"));
        // Revoked once: the first instant stays.
        assert!(store.revoke_token(2, at(6)).await.expect("revoke"));
        assert!(!store.revoke_token(2, at(7)).await.expect("again"));
        assert!(!store.revoke_token(99, at(7)).await.expect("none"));
        bobs.last_used_at = Some("2026-11-01T00:05:00.000Z".into());
        bobs.revoked_at = Some("2026-11-01T00:06:00.000Z".into());
        assert_eq!(
            store.token_by_hash(&sha('2')).await.expect("read"),
            Some(bobs.clone())
        );
        // A revoked token is still listed (the list shows it revoked); the others are
        // untouched.
        let all = store.tokens(None).await.expect("all");
        assert_eq!(all[1], bobs);
        assert_eq!(
            all[0],
            TokenRow {
                id: 3,
                user_id: 1,
                name: "report".into(),
                prefix: "ys_333".into(),
                token_hash: sha('3'),
                created_at: "2026-11-01T00:02:00.000Z".into(),
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            }
        );
    }
}

#[tokio::test]
async fn a_token_is_stored_by_a_hash_of_a_known_user_once() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        let [first, ..] = tokens();
        store.create_token(&first).await.expect("token");
        let err = store.create_token(&first).await.expect_err("same hash");
        assert!(
            refused(&err, Constraint::TokenHash),
            "{:?}: {err:?}",
            db.backend()
        );
        let err = store
            .create_token(&NewToken {
                token_hash: "ys_the-token-itself".into(),
                ..first.clone()
            })
            .await
            .expect_err("not a hash");
        assert!(refused(&err, Constraint::NotAHash), "{err:?}");
        let err = store
            .create_token(&NewToken {
                token_hash: sha('e'),
                user_id: 99,
                ..first.clone()
            })
            .await
            .expect_err("no user 99");
        assert!(refused(&err, Constraint::UserUnknown), "{err:?}");
        assert_eq!(store.tokens(None).await.expect("all").len(), 1);
    }
}

#[tokio::test]
async fn a_token_is_read_with_its_user_and_grants_in_one_statement() {
    for db in testing::databases().await {
        let store = db.store();
        alice_and_bob(store).await;
        for t in tokens() {
            store.create_token(&t).await.expect("token");
        }
        // Alice holds two grants (added out of order), Bob none.
        store
            .add_grant(1, "viewer", "zj", at(3))
            .await
            .expect("grant");
        store
            .add_grant(1, "evaluator", "sc", at(4))
            .await
            .expect("grant");
        let (token, user, grants) = store
            .token_holder(&sha('3'))
            .await
            .expect("read")
            .expect("found");
        assert_eq!(
            token,
            store
                .token_by_hash(&sha('3'))
                .await
                .expect("read")
                .expect("token")
        );
        assert_eq!(user, store.user(1).await.expect("read").expect("alice"));
        // By role, then scope: evaluator before viewer.
        assert_eq!(
            grants,
            [grant("evaluator", "sc", "04"), grant("viewer", "zj", "03")],
            "{:?}",
            db.backend()
        );
        // A user without grants: one row, no grant.
        let (token, user, grants) = store
            .token_holder(&sha('2'))
            .await
            .expect("read")
            .expect("found");
        assert_eq!((token.id, user.login.as_str()), (2, "bob"));
        assert!(grants.is_empty());
        assert!(store.token_holder(&sha('9')).await.expect("read").is_none());
    }
}
