//! Who sees and does what (`app::scope`), through users signed in with API tokens as the
//! server will have them, on each backend:
//!
//! - a site manager of h2 sees h2 alone in `evaluate`, ranked as computed over the whole
//!   organisation, and not-found for another site (its drill-down, its evaluation) or a
//!   node above h2; their import stores rows of h2 only;
//! - a regulator sees every site's and node's figures, and no records (drill-down and
//!   demand series: not found);
//! - a viewer cannot freeze (forbidden), a quality manager can within their grant;
//! - writes are in the activity log with who did them, how and from where.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestWorkspace, import_small_org, ingest, ticket, tickets};
use yardstick_app::access::{Grant, Principal, Role};
use yardstick_app::activity::ActivityQuery;
use yardstick_app::evaluate::{EvaluateRequest, GuidelineChoice};
use yardstick_app::ingest::IngestRequest;
use yardstick_app::{Actor, Cancel, ErrorKind, Quiet, Workspace};
use yardstick_core::planning::IntervalLen;
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Lang;
use yardstick_engine::import::ImportOptions;

/// The client address the users act from.
const CLIENT: &str = "198.51.100.7";

/// The built-in guideline rating a site on any indicator with a record: minimum sample
/// 1 and no minimum coverage, so that three halls with a few tickets each get a total
/// and a rank.
fn lenient_guideline() -> GuidelineChoice {
    let builtin = yardstick_core::guideline::DEFAULT_TOML;
    let text = builtin.replacen(
        "min_sample = 30\n",
        "min_sample = 1\nmin_coverage = 0.0\n",
        1,
    );
    assert_ne!(text, builtin);
    GuidelineChoice::Text {
        name: "lenient.toml".to_string(),
        text,
    }
}

fn req(scope: Option<&str>, freeze: bool) -> EvaluateRequest {
    EvaluateRequest {
        guideline: lenient_guideline(),
        ..common::request("2026-10", scope, freeze)
    }
}

/// A user with one grant, signed in through an API token.
async fn user(ws: &Workspace, login: &str, role: Role, scope: &str) -> Actor {
    let grant = Grant {
        role,
        scope: scope.to_string(),
    };
    ws.add_user(
        &Actor::System,
        login,
        &[grant],
        Some("correct horse battery"),
    )
    .await
    .expect("user added");
    let token = ws
        .create_token(&Actor::System, login, "tests", Some(1))
        .await
        .expect("token");
    let p: Principal = ws
        .token_principal(&token.token, Some(CLIENT))
        .await
        .expect("token read")
        .expect("a live token");
    assert_eq!(p.login, login);
    Actor::User(p)
}

/// Three tickets of a hall on the 5th, each waiting `wait` minutes.
fn three(site: &str, wait: u32) -> Vec<String> {
    (0..3)
        .map(|i| ticket(site, &format!("{site}-{i}"), "2026-10-05", 9, 10 * i, wait))
        .collect()
}

/// The halls' records: h1 waits 5 minutes, h2 12, h3 14. BH-01's hall target is floor
/// 15, goal 10 minutes: achievements 1, (15 − 12) ÷ 5 = 0.6 and (15 − 14) ÷ 5 = 0.2, so
/// the three rank h1, h2, h3. h2's tickets come through its site manager, in a file that
/// also holds a row of h1: outside their scope, it is quarantined.
async fn records(tw: &TestWorkspace, site_manager: &Actor) {
    let others = tickets(&[three("h1", 5), three("h3", 14)].concat());
    ingest(
        &tw.ws,
        RecordKind::HallTicket,
        &tw.write("others.csv", &others),
        false,
    )
    .await
    .expect("h1 and h3");
    let mut rows = three("h2", 12);
    rows.push(ticket("h1", "sneaked", "2026-10-06", 9, 0, 1));
    let report = tw
        .ws
        .ingest(
            site_manager,
            IngestRequest {
                kind: RecordKind::HallTicket,
                path: tw.write("h2.csv", &tickets(&rows)),
                name: Some("h2.csv".to_string()),
                options: ImportOptions::default(),
            },
            Arc::new(Quiet),
            &Cancel::new(),
        )
        .await
        .expect("the site manager's import");
    assert_eq!((report.rows_stored, report.rows_quarantined), (3, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_and_does_what_its_grant_allows() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let manager = user(ws, "li.h2", Role::SiteManager, "h2").await;
        let regulator = user(ws, "miit", Role::Regulator, "op").await;
        let viewer = user(ws, "wang.c1", Role::Viewer, "c1").await;
        let quality = user(ws, "zhao.c1", Role::QualityManager, "c1").await;
        records(&tw, &manager).await;
        let whole = common::evaluate(ws, &Actor::System, req(None, false))
            .await
            .expect("the whole organisation");
        let rank = |site: &str| {
            let s = whole.evaluation.sites.iter().find(|s| s.site == site);
            s.map(|s| (s.rank, s.peers))
        };
        assert_eq!(rank("h1"), Some((Some(1), 3)), "{tw:?}");
        assert_eq!(rank("h2"), Some((Some(2), 3)), "{tw:?}");
        assert_eq!(rank("h3"), Some((Some(3), 3)), "{tw:?}");

        site_manager_sees_their_site(&tw, &manager, &whole.evaluation).await;
        regulator_sees_figures_not_records(&tw, &regulator, &whole.evaluation).await;

        // A viewer reads within their grant and freezes nothing; a quality manager
        // freezes within theirs.
        let e = common::evaluate(ws, &viewer, req(Some("c1"), true))
            .await
            .expect_err("a viewer freezes nothing");
        assert_eq!(
            (e.kind(), e.kind().http_status()),
            (ErrorKind::Forbidden, 403)
        );
        let seen = common::evaluate(ws, &viewer, req(Some("c1"), false))
            .await
            .expect("a viewer reads");
        let sites: Vec<&str> = seen
            .evaluation
            .sites
            .iter()
            .map(|s| s.site.as_str())
            .collect();
        assert_eq!(sites, ["h1", "h2"], "{tw:?}");
        let frozen = common::evaluate(ws, &quality, req(Some("c1"), true))
            .await
            .expect("a quality manager freezes");
        let id = frozen.id.expect("frozen");
        let e = common::evaluate(ws, &quality, req(Some("c2"), true))
            .await
            .expect_err("outside the grant");
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let listed = ws.evaluations(&Actor::System).await.expect("list");
        assert_eq!(listed.len(), 1, "{tw:?}: the quality manager's only");
        assert_eq!(listed[0].frozen_by.as_deref(), Some("zhao.c1"));
        frozen_evaluations_are_read_within_scope(&tw, &manager, &regulator, id).await;

        // The activity log says who wrote what, how and from where.
        let log = ws
            .activity(&Actor::System, &ActivityQuery::default())
            .await
            .expect("log");
        let entry = |action: &str, actor: &str| {
            log.iter()
                .find(|e| e.action == action && e.actor.as_deref() == Some(actor))
                .unwrap_or_else(|| panic!("{tw:?}: no {action} by {actor}: {log:?}"))
        };
        let ingest = entry("ingest", "li.h2");
        assert_eq!(
            (ingest.actor_kind.as_str(), ingest.client.as_deref()),
            ("token", Some(CLIENT))
        );
        assert_eq!(ingest.detail["rows_stored"], 3);
        let freeze = entry("evaluation.freeze", "zhao.c1");
        assert_eq!(freeze.object.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(freeze.client.as_deref(), Some(CLIENT));
        // The command line's own writes carry no login, as `cli`.
        let added = log
            .iter()
            .find(|e| e.action == "user.add" && e.object.as_deref() == Some("li.h2"))
            .expect("user.add");
        assert_eq!(
            (added.actor.as_deref(), added.actor_kind.as_str()),
            (None, "cli")
        );
        // Only administrators read the log.
        let e = ws
            .activity(&quality, &ActivityQuery::default())
            .await
            .expect_err("not an administrator");
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }
}

/// A frozen evaluation is read, listed and verified through the same scope as a fresh
/// one: the part a user may see, or not found when they may see none of it.
async fn frozen_evaluations_are_read_within_scope(
    tw: &TestWorkspace,
    manager: &Actor,
    regulator: &Actor,
    id: i64,
) {
    let ws = &tw.ws;
    // The quality manager's evaluation was computed over the whole organisation: the
    // site manager of h2 reads h2 in it, nothing else.
    let read = ws.frozen_evaluation(manager, id).await.expect("their part");
    let sites: Vec<&str> = read
        .evaluation
        .sites
        .iter()
        .map(|s| s.site.as_str())
        .collect();
    assert_eq!(sites, ["h2"], "{tw:?}");
    assert!(read.evaluation.nodes.is_empty(), "{tw:?}");
    assert!(
        !read.json.contains("\"h1\""),
        "{tw:?}: the bytes they get are their part"
    );
    assert_eq!(
        serde_json::from_str::<yardstick_core::evaluate::Evaluation>(&read.json).expect("json"),
        *read.evaluation
    );
    let full = ws.frozen_evaluation(&Actor::System, id).await.expect("all");
    assert_eq!(full.evaluation.sites.len(), 4);
    assert!(full.json.contains("\"h1\""));
    let seen = ws
        .frozen_evaluation(regulator, id)
        .await
        .expect("all figures");
    assert!(
        seen.json == full.json,
        "{tw:?}: the regulator reads every figure"
    );
    // Verifying compares the whole frozen bytes, whoever asks.
    let v = ws
        .verify_evaluation(manager, id, &Cancel::new())
        .await
        .expect("verify");
    assert!(v.equal, "{tw:?}: {:?}", v.first_difference);

    // An evaluation of c2 alone (h3, cc1) holds nothing of h2: not found, and not listed.
    let c2 = common::evaluate(ws, &Actor::System, req(Some("c2"), true))
        .await
        .expect("c2");
    let c2 = c2.id.expect("frozen");
    let e = ws
        .frozen_evaluation(manager, c2)
        .await
        .expect_err("nothing of theirs");
    assert_eq!(e.kind().http_status(), 404, "{tw:?}: {e}");
    let e = ws
        .verify_evaluation(manager, c2, &Cancel::new())
        .await
        .expect_err("nothing of theirs");
    assert_eq!(e.kind().http_status(), 404, "{tw:?}: {e}");
    let ids = |list: Vec<yardstick_store::EvaluationInfo>| {
        let mut ids: Vec<i64> = list.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids
    };
    let mut both = vec![id, c2];
    both.sort_unstable();
    assert_eq!(ids(ws.evaluations(manager).await.expect("list")), [id]);
    assert_eq!(ids(ws.evaluations(regulator).await.expect("list")), both);
    assert_eq!(
        ids(ws.evaluations(&Actor::System).await.expect("list")),
        both
    );
}

async fn site_manager_sees_their_site(
    tw: &TestWorkspace,
    manager: &Actor,
    whole: &yardstick_core::evaluate::Evaluation,
) {
    let ws = &tw.ws;
    let own = common::evaluate(ws, manager, req(Some("h2"), false))
        .await
        .expect("their own site");
    let sites: Vec<&str> = own
        .evaluation
        .sites
        .iter()
        .map(|s| s.site.as_str())
        .collect();
    assert_eq!(sites, ["h2"], "{tw:?}");
    assert!(own.evaluation.nodes.is_empty(), "{tw:?}: no node is theirs");
    // Ranked 2 of 3, as in the whole organisation, not 1 of 1 as h2 alone would be.
    let theirs = &own.evaluation.sites[0];
    let in_whole = whole.sites.iter().find(|s| s.site == "h2").expect("h2");
    assert_eq!(theirs, in_whole, "{tw:?}");
    let alone = common::evaluate(ws, &Actor::System, req(Some("h2"), false))
        .await
        .expect("h2 alone");
    assert_eq!(
        (
            alone.evaluation.sites[0].rank,
            alone.evaluation.sites[0].peers
        ),
        (Some(1), 1)
    );

    // Another site, or the city above (its figures aggregate h1): not found; and a
    // scope that does not exist, or a name, gets the same answer naming what was asked,
    // so that a user cannot tell which sites exist outside their grant, nor be shown
    // their ids as suggestions.
    for scope in ["h1", "c1", "h9", "h", "Hall one"] {
        let e = common::evaluate(ws, manager, req(Some(scope), false))
            .await
            .expect_err("not theirs");
        assert_eq!(e.kind().http_status(), 404, "{tw:?} {scope}: {e}");
        assert_eq!(e.render(Lang::En), format!("`{scope}` not found"));
        assert_eq!(e.render(Lang::Zh), format!("未找到 `{scope}`"));
    }
    // The same for a site's demand series: the answer lists the sites they may see.
    for site in ["h1", "h9"] {
        let e = ws
            .site_series(
                manager,
                site,
                (common::date(2026, 10, 1), common::date(2026, 10, 31)),
                IntervalLen::DAY,
                &Cancel::new(),
            )
            .await
            .expect_err("not theirs");
        assert_eq!(e.kind().http_status(), 404, "{tw:?} {site}: {e}");
        assert_eq!(
            e.render(Lang::En),
            format!("unknown site `{site}`; sites are: h2")
        );
    }
    let (guideline, cancel) = (lenient_guideline(), Cancel::new());
    let drill = |site: &'static str| {
        ws.drill(
            manager,
            common::period("2026-10"),
            site,
            "BH-01",
            &guideline,
            &cancel,
        )
    };
    let e = drill("h1").await.expect_err("another site's records");
    assert_eq!(e.kind().http_status(), 404, "{tw:?}: {e}");
    // Their own records: the three waits of 12 minutes (the sneaked h1 row was not stored).
    let d = drill("h2").await.expect("their records");
    assert_eq!(d.values, [12.0, 12.0, 12.0], "{tw:?}");
    let e = common::evaluate(ws, manager, req(Some("h2"), true))
        .await
        .expect_err("a site manager freezes nothing");
    assert_eq!(e.kind(), ErrorKind::Forbidden);
}

async fn regulator_sees_figures_not_records(
    tw: &TestWorkspace,
    regulator: &Actor,
    whole: &yardstick_core::evaluate::Evaluation,
) {
    let ws = &tw.ws;
    let seen = common::evaluate(ws, regulator, req(None, false))
        .await
        .expect("the regulator's view");
    assert_eq!(&seen.evaluation, whole, "{tw:?}: every site and node");
    assert_eq!(seen.evaluation.nodes.len(), 4);
    let e = ws
        .drill(
            regulator,
            common::period("2026-10"),
            "h1",
            "BH-01",
            &lenient_guideline(),
            &Cancel::new(),
        )
        .await
        .expect_err("no records");
    assert_eq!(e.kind().http_status(), 404, "{tw:?}: {e}");
    let e = ws
        .site_series(
            regulator,
            "h1",
            (common::date(2026, 10, 1), common::date(2026, 10, 31)),
            IntervalLen::MIN_60,
            &Cancel::new(),
        )
        .await
        .expect_err("no records");
    assert_eq!(e.kind().http_status(), 404, "{tw:?}: {e}");
    let e = common::evaluate(ws, regulator, req(None, true))
        .await
        .expect_err("a regulator freezes nothing");
    assert_eq!(e.kind(), ErrorKind::Forbidden);
}

/// A caller may go away at any moment of a freeze: every evaluation frozen is in the
/// activity log. Each attempt freezes October and drops the call after the next of the
/// [`common::DropDelays`] (the last ones fall where the evaluation is saved and logged).
/// After each, the frozen evaluations and the log's freezes are the same ids (the work
/// a dropped call leaves is given two seconds to end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_freeze_is_logged_even_when_the_caller_goes_away() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let rows = tickets(&[three("h1", 5), three("h2", 12)].concat());
        ingest(ws, RecordKind::HallTicket, &tw.write("t.csv", &rows), false)
            .await
            .expect("ingest");
        let mut delays = common::DropDelays::default();
        let mut attempt = 0;
        while let Some(delay) = delays.next_delay() {
            attempt += 1;
            let freeze = common::evaluate(ws, &Actor::System, req(None, true));
            if let Ok(done) = tokio::time::timeout(Duration::from_millis(delay), freeze).await {
                done.expect("frozen");
                delays.finished(delay);
            }
            let until = Instant::now() + Duration::from_secs(2);
            loop {
                let (frozen, logged) = frozen_and_logged(ws).await;
                if frozen == logged {
                    break;
                }
                assert!(
                    Instant::now() < until,
                    "{tw:?}: attempt {attempt} (dropped after {delay} ms): frozen {frozen:?}, logged {logged:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert!(delays.any_finished(), "{tw:?}: no attempt finished");
    }
}

/// The ids of the frozen evaluations, and of the freezes in the activity log.
async fn frozen_and_logged(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    let mut frozen: Vec<String> = ws
        .evaluations(&Actor::System)
        .await
        .expect("list")
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    let query = ActivityQuery {
        action_prefix: Some("evaluation.freeze".to_string()),
        limit: Some(1000),
        ..ActivityQuery::default()
    };
    let mut logged: Vec<String> = ws
        .activity(&Actor::System, &query)
        .await
        .expect("log")
        .into_iter()
        .filter_map(|e| e.object)
        .collect();
    frozen.sort_unstable();
    logged.sort_unstable();
    (frozen, logged)
}

/// A period's evaluation read shared, as the web pages read it, is the reader's own cut:
/// the whole for the system (who sees everything under the root), h2 alone with the
/// ranks of all three halls for h2's site manager (h2 is second: 0.6 between 1 and 0.2),
/// and the same again from what was kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_read_is_the_readers_cut() {
    for tw in common::workspaces().await {
        let ws = &tw.ws;
        import_small_org(ws).await;
        let sm = user(ws, "sm-h2", Role::SiteManager, "h2").await;
        records(&tw, &sm).await;
        common::evaluate(ws, &Actor::System, req(None, true))
            .await
            .expect("frozen");
        let period = common::period("2026-10");
        let cancel = Cancel::new();
        for actor in [&Actor::System, &sm, &sm, &Actor::System] {
            let copied = ws
                .evaluation_of_period(actor, &period, None, &cancel)
                .await
                .expect("copied");
            let shared = ws
                .evaluation_of_period_shared(actor, &period, None, &cancel)
                .await
                .expect("shared");
            assert_eq!(*shared.evaluation, copied.evaluation, "{tw:?}");
            assert_eq!((shared.status, shared.id), (copied.status, copied.id));
        }
        let mine = ws
            .evaluation_of_period_shared(&sm, &period, None, &cancel)
            .await
            .expect("shared");
        let sites: Vec<(&str, Option<u32>)> = mine
            .evaluation
            .sites
            .iter()
            .map(|s| (s.site.as_str(), s.rank))
            .collect();
        assert_eq!(sites, [("h2", Some(2))], "{tw:?}");
        let all = ws
            .evaluation_of_period_shared(&Actor::System, &period, None, &cancel)
            .await
            .expect("shared");
        assert_eq!(
            all.evaluation.sites.len(),
            4,
            "the small organisation's four sites"
        );
    }
}
