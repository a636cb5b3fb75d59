//! The authorisation matrix: every route the router serves × every role × in scope /
//! out of scope, and every route × no credentials / expired token / revoked token /
//! disabled user. The rows come from the router's own route list
//! (`yardstick_server::routes()`): a route added without a row here fails the test.
//!
//! The fixture (`common::ORG`): grants on `zj` (Zhejiang) or its hall `hz-h02`; the
//! out-of-scope site is `gz-h01` in Sichuan. Admins and regulators see both; regulators
//! read aggregated figures but no records.

mod common;

use axum::http::{Method, StatusCode};
use common::{Env, PERIOD, envs, request, send, user_token};
use yardstick_app::access::Role;
use yardstick_app::evaluate::{Engine, EvaluateRequest, GuidelineChoice};
use yardstick_app::{Actor, Cancel};
use yardstick_core::period::Period;

/// In or out of the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    In,
    Out,
}

/// Ids the requests use.
struct Ids {
    /// A frozen evaluation of the root (everyone sees part of it) and one of gz-h01.
    eval_root: i64,
    eval_out: i64,
    /// A batch with quarantined rows, imported by the command line.
    batch: i64,
    /// A token of `bystander`, a user the administration pages change.
    bystander_token: i64,
    /// Audits, findings and actions of each scope (see [`setup_pdca`]).
    pdca: [Pdca; 2],
}

/// The improvement-loop objects of one site: a draft audit (assigned to the login
/// `evaluator` on hz-h02, to `eva-sc` on gz-h01) with an evidence file; a signed audit
/// the site has acknowledged; an open finding; a closed finding; an action in Act (on a
/// finding of its own, closed by it).
#[derive(Debug, Clone, Copy)]
struct Pdca {
    draft: i64,
    evidence: i64,
    signed: i64,
    open_finding: i64,
    closed_finding: i64,
    action: i64,
}

impl Ids {
    fn of(&self, s: Scope) -> Pdca {
        self.pdca[usize::from(s == Scope::Out)]
    }
}

/// An evidence file: a PNG's signature and a chunk name (12 bytes).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nIHDR";

/// Who reads the audits of a site: admins, and in scope the quality managers, site
/// managers, viewers and the audit's evaluator (all but regulators); 404 otherwise.
fn audit_reader(r: Role, s: Scope) -> bool {
    r == Role::Admin || (s == Scope::In && r != Role::Regulator)
}

/// An audit step only the audit's evaluator (in scope) and admins may take, on an audit
/// whose state refuses it: 409 for them, 403 for the other readers, 404 for the rest.
fn edit_refused(r: Role, s: Scope) -> StatusCode {
    match (r, s) {
        (Role::Admin, _) | (Role::Evaluator, Scope::In) => StatusCode::CONFLICT,
        _ if audit_reader(r, s) => StatusCode::FORBIDDEN,
        _ => StatusCode::NOT_FOUND,
    }
}

/// The site's response (acknowledge, dispute) to an audit it already acknowledged:
/// admins and the site's managers get 409; other readers 403; the rest 404.
fn respond_refused(r: Role, s: Scope) -> StatusCode {
    match (r, s) {
        (Role::Admin, _) | (Role::SiteManager, Scope::In) => StatusCode::CONFLICT,
        _ if audit_reader(r, s) => StatusCode::FORBIDDEN,
        _ => StatusCode::NOT_FOUND,
    }
}

/// An audit step that succeeds for the audit's evaluator and admins.
fn edit_ok(ok: StatusCode) -> impl Fn(Role, Scope) -> StatusCode {
    move |r, s| match (r, s) {
        (Role::Admin, _) | (Role::Evaluator, Scope::In) => ok,
        _ if audit_reader(r, s) => StatusCode::FORBIDDEN,
        _ => StatusCode::NOT_FOUND,
    }
}

/// Who reads findings and actions: admins; in scope everyone but regulators (the
/// readers of individual records).
fn pdca_reader(r: Role, s: Scope) -> StatusCode {
    if r == Role::Admin || (s == Scope::In && r != Role::Regulator) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// The site of a scope.
fn site(s: Scope) -> &'static str {
    match s {
        Scope::In => "hz-h02",
        Scope::Out => "gz-h01",
    }
}

/// Who sees `gz-h01` (aggregated): admins and regulators.
fn sees_all(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Regulator)
}

/// The status a role expects with valid credentials, in or out of its scope.
type Expect = fn(Role, Scope) -> StatusCode;

/// A request (method, URI, body) and what it expects; `None` for routes that need no
/// credentials.
type Case = (
    Method,
    String,
    Option<(&'static str, Vec<u8>)>,
    Option<Expect>,
);

/// A request for a route, and the status each role expects with valid credentials.
/// `None` for routes that need no credentials (their answer does not depend on them).
fn case(method: &Method, path: &str, s: Scope, ids: &Ids, n: usize) -> Case {
    let site = site(s);
    let ok = |_: Role, _: Scope| StatusCode::OK;
    let m = method.clone();
    match (method.as_str(), path) {
        ("POST", "/api/v1/session") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(r#"{{"login":"nobody-{n}","password":"wrong password"}}"#).into_bytes(),
            )),
            None,
        ),
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/v1/openapi.json" | "/api/docs/") => {
            (m, path.into(), None, None)
        }
        ("DELETE", "/api/v1/session") => (m, path.into(), None, Some(|_, _| StatusCode::NO_CONTENT)),
        ("GET", "/api/v1/me" | "/api/v1/org" | "/api/v1/sites" | "/api/v1/guideline") => {
            (m, path.into(), None, Some(ok))
        }
        ("GET", "/api/v1/sites/{id}") => (m, format!("/api/v1/sites/{site}"), None, Some(visible)),
        ("GET", "/api/v1/evaluations") => (
            m,
            format!("/api/v1/evaluations?period={PERIOD}&scope={site}"),
            None,
            Some(visible),
        ),
        ("POST", "/api/v1/evaluations") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(r#"{{"period":"{PERIOD}","scope":"{site}"}}"#).into_bytes(),
            )),
            Some(|r, s| match (r, s) {
                (Role::Admin, _) | (Role::QualityManager, Scope::In) => StatusCode::CREATED,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/evaluations/{id}") => (
            m,
            format!(
                "/api/v1/evaluations/{}",
                if s == Scope::In { ids.eval_root } else { ids.eval_out }
            ),
            None,
            Some(visible),
        ),
        ("GET", "/api/v1/sites/{id}/indicators/{indicator}") => (
            m,
            format!("/api/v1/sites/{site}/indicators/BH-01?period={PERIOD}"),
            None,
            Some(visible),
        ),
        ("GET", "/api/v1/sites/{id}/indicators/{indicator}/records") => (
            m,
            format!("/api/v1/sites/{site}/indicators/BH-01/records?period={PERIOD}"),
            None,
            Some(|r, s| match (r, s) {
                (Role::Admin, _) => StatusCode::OK,
                (Role::Regulator, _) | (_, Scope::Out) => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            }),
        ),
        ("POST", "/api/v1/records/{kind}") => (
            m,
            "/api/v1/records/hall_ticket".into(),
            // A new ticket every time, so each request makes a batch: rows of a site
            // outside an importer's scope are quarantined, not refused (tested apart);
            // a file of such rows only is one whose every row is invalid: 422 with its
            // report, no batch.
            Some((
                "text/csv",
                format!(
                    "site_id,ticket_id,service_type,issued_at,called_at,outcome\n{site},m{n},payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n"
                )
                .into_bytes(),
            )),
            // An importer's only row outside its scope is quarantined: a file whose
            // every row is invalid stores nothing and answers 422 with its report.
            Some(|r, s| match (r, s) {
                (Role::Admin, _) | (Role::QualityManager | Role::SiteManager, Scope::In) => {
                    StatusCode::CREATED
                }
                (Role::QualityManager | Role::SiteManager, Scope::Out) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/batches") => (
            m,
            path.into(),
            None,
            Some(|r, _| match r {
                Role::Admin | Role::QualityManager | Role::SiteManager => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/batches/{id}/quarantine") => (
            m,
            format!("/api/v1/batches/{}/quarantine", ids.batch),
            None,
            Some(|r, _| match r {
                Role::Admin => StatusCode::OK,
                _ => StatusCode::NOT_FOUND,
            }),
        ),
        // Computation only: every signed-in caller. 100 calls an hour of 180 s are
        // 5 Erlangs; 80 % within 20 s needs 8 agents (tested apart in tests/api.rs).
        ("POST", "/api/v1/plan/staffing") => (
            m,
            path.into(),
            Some((
                "application/json",
                br#"{"arrivals_per_h":100,"aht_s":180}"#.to_vec(),
            )),
            Some(ok),
        ),
        // A site plan reads the site's records: readers of its records get the plan —
        // here a refusal, the fixture's two tickets being too little history (400) —,
        // regulators and readers outside the site 404.
        ("GET", "/api/v1/sites/{id}/plan") => (
            m,
            format!("/api/v1/sites/{site}/plan?week=2026-W41&history_weeks=4"),
            None,
            Some(|r, s| match (r, s) {
                (Role::Admin, _) => StatusCode::BAD_REQUEST,
                (Role::Regulator, _) | (_, Scope::Out) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            }),
        ),
        ("GET", "/api/v1/activity") => (
            m,
            path.into(),
            None,
            Some(|r, _| match r {
                Role::Admin => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        // The web pages: the same use cases as the API, so the same answers — a page
        // outside the reader's scope is 404, records are not for regulators.
        ("GET", "/" | "/static/{file}") => (
            m,
            if path == "/" { "/".into() } else { "/static/app.css".into() },
            None,
            None,
        ),
        ("POST", "/login") => (
            m,
            path.into(),
            Some((
                "application/x-www-form-urlencoded",
                format!("login=nobody-{n}&password=wrong&nonce=none").into_bytes(),
            )),
            None,
        ),
        ("POST", "/lang") => (
            m,
            path.into(),
            Some((
                "application/x-www-form-urlencoded",
                b"lang=zh&next=/overview".to_vec(),
            )),
            None,
        ),
        // A signed-in reader goes on from the login form.
        ("GET", "/login") => (m, path.into(), None, Some(|_, _| StatusCode::SEE_OTHER)),
        ("POST", "/logout") => (
            m,
            path.into(),
            Some(("application/x-www-form-urlencoded", b"csrf=".to_vec())),
            Some(|_, _| StatusCode::SEE_OTHER),
        ),
        ("GET", "/password" | "/evaluations") => (m, path.into(), None, Some(ok)),
        // Two new passwords that differ: the form again, for everyone.
        ("POST", "/password") => (
            m,
            path.into(),
            Some((
                "application/x-www-form-urlencoded",
                b"current=x&new=one+long+password&confirm=another+long+one".to_vec(),
            )),
            Some(|_, _| StatusCode::BAD_REQUEST),
        ),
        ("GET", "/overview") => (m, format!("/overview?period={PERIOD}"), None, Some(ok)),
        ("GET", "/search") => (m, format!("/search?q={site}"), None, Some(ok)),
        // Computation only: every signed-in reader.
        ("GET", "/plan/staffing") => (
            m,
            "/plan/staffing?arrivals_per_h=100&aht_s=180".into(),
            None,
            Some(ok),
        ),
        ("GET", "/sites/{id}") => (m, format!("/sites/{site}?period={PERIOD}"), None, Some(visible)),
        // The plan page reads the site's records, as the API's plan does; the fixture's
        // two tickets are too little history, said on the page (200).
        ("GET", "/sites/{id}/plan") => (
            m,
            format!("/sites/{site}/plan?week=2026-W41"),
            None,
            Some(|r, s| match (r, s) {
                (Role::Admin, _) => StatusCode::OK,
                (Role::Regulator, _) | (_, Scope::Out) => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            }),
        ),
        ("GET", "/sites/{id}/indicators/{indicator}") => (
            m,
            format!("/sites/{site}/indicators/BH-01?period={PERIOD}"),
            None,
            Some(visible),
        ),
        ("GET", "/sites/{id}/indicators/{indicator}/records.csv" | "/sites/{id}/indicators/{indicator}/record") => (
            m,
            format!("{}?period={PERIOD}&n=0", path.replace("{id}", site).replace("{indicator}", "BH-01")),
            None,
            Some(|r, s| match (r, s) {
                (Role::Admin, _) => StatusCode::OK,
                (Role::Regulator, _) | (_, Scope::Out) => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            }),
        ),
        ("GET", "/evaluations/{id}") => (
            m,
            format!(
                "/evaluations/{}",
                if s == Scope::In { ids.eval_root } else { ids.eval_out }
            ),
            None,
            Some(visible),
        ),
        ("POST", "/evaluations/{id}/verify") => (
            m,
            format!(
                "/evaluations/{}/verify",
                if s == Scope::In { ids.eval_root } else { ids.eval_out }
            ),
            Some(("application/x-www-form-urlencoded", b"csrf=".to_vec())),
            Some(visible),
        ),
        ("GET", "/imports") => (
            m,
            path.into(),
            None,
            Some(|r, _| match r {
                Role::Admin | Role::QualityManager | Role::SiteManager => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("POST", "/imports") => (
            m,
            path.into(),
            Some((
                "multipart/form-data; boundary=BOUNDARY",
                format!(
                    "--BOUNDARY\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nhall_ticket\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.csv\"\r\n\r\nsite_id,ticket_id,service_type,issued_at,called_at,outcome\n{site},w{n},payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n\r\n--BOUNDARY--\r\n"
                )
                .into_bytes(),
            )),
            // Rows of a site outside an importer's scope are quarantined: a file of
            // nothing else stores nothing (422).
            Some(|r, s| match (r, s) {
                (Role::Admin, _) | (Role::QualityManager | Role::SiteManager, Scope::In) => {
                    StatusCode::OK
                }
                (Role::QualityManager | Role::SiteManager, Scope::Out) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/audits") => (m, format!("/api/v1/audits?site={site}"), None, Some(ok)),
        ("POST", "/api/v1/audits") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(
                    r#"{{"site":"{site}","kind":"on_site","date":"2026-09-10","evaluator":"evaluator"}}"#
                )
                .into_bytes(),
            )),
            // Admins; quality managers within their grants; an evaluator for itself.
            Some(|r, s| match (r, s) {
                (Role::Admin, _) | (Role::QualityManager | Role::Evaluator, Scope::In) => {
                    StatusCode::CREATED
                }
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        // Administration: admins only (403 for everyone else, in scope or not).
        ("GET", "/admin") => (m, path.into(), None, Some(admin_only)),
        ("GET", "/activity") => (m, path.into(), None, Some(admin_only)),
        ("POST", "/admin/users") => (
            m,
            path.into(),
            Some((
                "application/x-www-form-urlencoded",
                format!("csrf=&login=new-{n}&role=viewer&scope=zj").into_bytes(),
            )),
            Some(admin_only),
        ),
        ("POST", "/admin/users/{login}/disabled") => (
            m,
            "/admin/users/bystander/disabled".into(),
            Some(("application/x-www-form-urlencoded", b"csrf=&disabled=false".to_vec())),
            Some(admin_only),
        ),
        ("POST", "/admin/users/{login}/grants") => (
            m,
            "/admin/users/bystander/grants".into(),
            Some((
                "application/x-www-form-urlencoded",
                b"csrf=&role=viewer&scope=zj-hz&action=add".to_vec(),
            )),
            Some(admin_only),
        ),
        ("POST", "/admin/tokens") => (
            m,
            path.into(),
            Some((
                "application/x-www-form-urlencoded",
                format!("csrf=&login=bystander&name=t{n}&days=1").into_bytes(),
            )),
            Some(admin_only),
        ),
        ("POST", "/admin/tokens/{id}/revoke") => (
            m,
            format!("/admin/tokens/{}/revoke", ids.bystander_token),
            Some(("application/x-www-form-urlencoded", b"csrf=".to_vec())),
            Some(admin_only),
        ),
        ("GET", "/api/v1/audits/{id}") => (
            m,
            format!("/api/v1/audits/{}", ids.of(s).draft),
            None,
            Some(|r, s| {
                if audit_reader(r, s) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                }
            }),
        ),
        ("PUT", "/api/v1/audits/{id}/answers") => (
            m,
            format!("/api/v1/audits/{}/answers", ids.of(s).draft),
            Some((
                "application/json",
                br#"[{"item":"PHI-01-A1","answer":"pass"}]"#.to_vec(),
            )),
            Some(|r, s| edit_ok(StatusCode::OK)(r, s)),
        ),
        ("POST", "/api/v1/audits/{id}/submit" | "/api/v1/audits/{id}/withdraw" | "/api/v1/audits/{id}/sign") => (
            m,
            path.replace("{id}", &ids.of(s).signed.to_string()),
            None,
            Some(edit_refused),
        ),
        ("POST", "/api/v1/audits/{id}/acknowledge") => (
            m,
            format!("/api/v1/audits/{}/acknowledge", ids.of(s).signed),
            None,
            Some(respond_refused),
        ),
        ("POST", "/api/v1/audits/{id}/dispute") => (
            m,
            format!("/api/v1/audits/{}/dispute", ids.of(s).signed),
            Some(("application/json", br#"{"reason":"not so"}"#.to_vec())),
            Some(respond_refused),
        ),
        ("POST", "/api/v1/audits/{id}/amend") => (
            m,
            format!("/api/v1/audits/{}/amend", ids.of(s).signed),
            Some(("application/json", br#"{"reason":"a typo"}"#.to_vec())),
            Some(|r, s| edit_ok(StatusCode::CREATED)(r, s)),
        ),
        ("POST", "/api/v1/audits/{id}/evidence") => (
            m,
            format!("/api/v1/audits/{}/evidence?name=p{n}.png&item=PHI-01-A1", ids.of(s).draft),
            Some(("image/png", PNG.to_vec())),
            Some(|r, s| edit_ok(StatusCode::CREATED)(r, s)),
        ),
        ("GET", "/api/v1/audits/{id}/evidence/{evidence}") => (
            m,
            format!("/api/v1/audits/{}/evidence/{}", ids.of(s).draft, ids.of(s).evidence),
            None,
            Some(|r, s| {
                if audit_reader(r, s) {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                }
            }),
        ),
        ("GET", "/api/v1/sites/{id}/checklist") => {
            (m, format!("/api/v1/sites/{site}/checklist"), None, Some(visible))
        }
        ("GET", "/api/v1/audit-plans") => (m, path.into(), None, Some(ok)),
        ("POST", "/api/v1/audit-plans") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(
                    r#"{{"site":"{site}","kind":"mystery_shopper","evaluator":"evaluator","due_from":"2026-10-01","due_to":"2026-12-31"}}"#
                )
                .into_bytes(),
            )),
            Some(|r, s| quality(StatusCode::CREATED)(r, s)),
        ),
        ("GET", "/api/v1/findings") => (m, format!("/api/v1/findings?site={site}"), None, Some(ok)),
        ("POST", "/api/v1/findings") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(
                    r#"{{"site":"{site}","subject":"k{n}","title":"queue screen dark","note":"off all morning","severity":"minor"}}"#
                )
                .into_bytes(),
            )),
            Some(|r, s| quality(StatusCode::CREATED)(r, s)),
        ),
        ("GET", "/api/v1/findings/{id}") => (
            m,
            format!("/api/v1/findings/{}", ids.of(s).open_finding),
            None,
            Some(pdca_reader),
        ),
        ("POST", "/api/v1/findings/{id}/close") => (
            m,
            format!("/api/v1/findings/{}/close", ids.of(s).closed_finding),
            Some(("application/json", br#"{"note":"fixed"}"#.to_vec())),
            Some(|r, s| quality_on_read(StatusCode::CONFLICT)(r, s)),
        ),
        ("GET", "/api/v1/actions") => (m, format!("/api/v1/actions?site={site}"), None, Some(ok)),
        ("POST", "/api/v1/actions") => (
            m,
            path.into(),
            Some((
                "application/json",
                format!(
                    r#"{{"finding":{},"owner":"sm","root_cause":"process","five_whys":"why","plan":"do it"}}"#,
                    ids.of(s).open_finding
                )
                .into_bytes(),
            )),
            Some(|r, s| action_write(StatusCode::CREATED)(r, s)),
        ),
        ("GET", "/api/v1/actions/{id}") => (
            m,
            format!("/api/v1/actions/{}", ids.of(s).action),
            None,
            Some(pdca_reader),
        ),
        ("POST", "/api/v1/actions/{id}/start" | "/api/v1/actions/{id}/done") => (
            m,
            path.replace("{id}", &ids.of(s).action.to_string()),
            None,
            // The action is in Act: those who may move it are refused by its stage.
            Some(|r, s| action_write(StatusCode::CONFLICT)(r, s)),
        ),
        ("POST", "/api/v1/actions/{id}/verify") => (
            m,
            format!("/api/v1/actions/{}/verify", ids.of(s).action),
            Some(("application/json", br#"{"effective":true,"note":"seen"}"#.to_vec())),
            Some(|r, s| quality_on_read(StatusCode::CONFLICT)(r, s)),
        ),
        ("POST", "/api/v1/actions/check") => (
            m,
            path.into(),
            None,
            // Admins, and quality managers of the root (the fixture's is of zj).
            Some(|r, _| match r {
                Role::Admin => StatusCode::OK,
                _ => StatusCode::FORBIDDEN,
            }),
        ),
        ("GET", "/api/v1/reviews") => (
            m,
            format!("/api/v1/reviews?period={PERIOD}&scope={site}"),
            None,
            Some(visible),
        ),
        _ => panic!(
            "the route {method} {path} has no row in the authorisation matrix: add one (who may call it, in and out of scope)"
        ),
    }
}

/// Planning audits and raising findings of a site: admins; quality managers within
/// their grants; 403 for everyone else.
fn quality(ok: StatusCode) -> impl Fn(Role, Scope) -> StatusCode {
    move |r, s| match (r, s) {
        (Role::Admin, _) | (Role::QualityManager, Scope::In) => ok,
        _ => StatusCode::FORBIDDEN,
    }
}

/// A quality manager's step on a finding or action the caller must first be able to
/// read: 404 for those who cannot, 403 for readers who are not its quality managers.
fn quality_on_read(ok: StatusCode) -> impl Fn(Role, Scope) -> StatusCode {
    move |r, s| match (r, s) {
        (Role::Admin, _) | (Role::QualityManager, Scope::In) => ok,
        _ if pdca_reader(r, s) == StatusCode::OK => StatusCode::FORBIDDEN,
        _ => StatusCode::NOT_FOUND,
    }
}

/// Adding and moving actions: admins, quality managers and the site's managers; 403 for
/// other readers, 404 for those who cannot read the finding or action.
fn action_write(ok: StatusCode) -> impl Fn(Role, Scope) -> StatusCode {
    move |r, s| match (r, s) {
        (Role::Admin, _) | (Role::QualityManager | Role::SiteManager, Scope::In) => ok,
        _ if pdca_reader(r, s) == StatusCode::OK => StatusCode::FORBIDDEN,
        _ => StatusCode::NOT_FOUND,
    }
}

/// Reads of a node or site: everyone in scope; out of scope only admins and regulators,
/// 404 for the others (no existence leak).
fn visible(r: Role, s: Scope) -> StatusCode {
    if s == Scope::In || sees_all(r) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// Administration: admins only.
fn admin_only(r: Role, _: Scope) -> StatusCode {
    if r == Role::Admin {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    }
}

/// The grant of each role in the fixture.
fn grant(r: Role) -> &'static str {
    match r {
        Role::Admin | Role::Regulator => "yuanda",
        Role::SiteManager => "hz-h02",
        _ => "zj",
    }
}

async fn setup(env: &Env) -> Ids {
    let ws = &env.ws;
    let period = Period::parse(PERIOD).expect("period");
    let freeze = |scope: Option<&str>| EvaluateRequest {
        period: period.clone(),
        scope: scope.map(str::to_string),
        guideline: GuidelineChoice::Builtin,
        engine: Engine::Columnar,
        freeze: true,
    };
    let eval_root = ws
        .evaluate(&Actor::System, freeze(None), &Cancel::new())
        .await
        .expect("root frozen")
        .id
        .expect("id");
    let eval_out = ws
        .evaluate(&Actor::System, freeze(Some("gz-h01")), &Cancel::new())
        .await
        .expect("gz-h01 frozen")
        .id
        .expect("id");
    // A batch with one quarantined row (an unknown site) beside a stored one (a file
    // of invalid rows only makes no batch), imported by the command line.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "site_id,ticket_id,service_type,issued_at,called_at,outcome\nhz-h02,q0,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\nnowhere,q1,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n",
    )
    .expect("written");
    let report = ws
        .ingest(
            &Actor::System,
            yardstick_app::ingest::IngestRequest {
                kind: yardstick_core::records::RecordKind::HallTicket,
                path: file,
                name: None,
                options: yardstick_app::ImportOptions::default(),
            },
            std::sync::Arc::new(yardstick_app::Quiet),
            &Cancel::new(),
        )
        .await
        .expect("imported");
    let bystander_token = {
        common::user_token(ws, "bystander", Role::Viewer, "zj").await;
        ws.tokens(&Actor::System, Some("bystander"))
            .await
            .expect("tokens")[0]
            .id
    };
    Ids {
        eval_root,
        eval_out,
        batch: report.batch.expect("a batch"),
        bystander_token,
        pdca: [
            setup_pdca(ws, "hz-h02", "evaluator").await,
            setup_pdca(ws, "gz-h01", "eva-sc").await,
        ],
    }
}

/// The audits, findings and action of one site (see [`Pdca`]), made by the command line.
async fn setup_pdca(ws: &yardstick_app::Workspace, site: &str, evaluator: &str) -> Pdca {
    use yardstick_app::audit::{AnswerInput, NewAuditRequest};
    use yardstick_app::pdca::ManualFinding;
    use yardstick_app::pdca::actions::NewActionRequest;
    use yardstick_core::audit::AuditKind;
    use yardstick_core::pdca::{RootCause, Severity};
    let sys = &Actor::System;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    let audit = NewAuditRequest {
        site: site.into(),
        kind: AuditKind::OnSite,
        date: day("2026-09-05"),
        evaluator: evaluator.into(),
        guideline: GuidelineChoice::Builtin,
        plan: None,
    };
    let pass = [AnswerInput {
        item: "PHI-01-A1".into(),
        answer: yardstick_core::evaluate::Answer::Pass,
        comment: String::new(),
    }];
    let draft = ws.create_audit(sys, &audit).await.expect("draft").id;
    let evidence = ws
        .attach_evidence(sys, draft, None, "p.png", PNG)
        .await
        .expect("evidence")
        .id;
    let signed = ws
        .record_audit(sys, &audit, &pass, true)
        .await
        .expect("signed")
        .id;
    ws.acknowledge_audit(sys, signed)
        .await
        .expect("acknowledged");
    let manual = |subject: &str| ManualFinding {
        site: site.into(),
        subject: subject.into(),
        title: "queue screen dark".into(),
        note: "off all morning".into(),
        severity: Severity::Minor,
        clause: None,
        on: Some(day("2026-09-06")),
    };
    let open_finding = ws
        .raise_finding(sys, &manual("open"))
        .await
        .expect("open")
        .finding
        .id;
    // The action's own finding: verified effective, the action closes it.
    let acted = ws
        .raise_finding(sys, &manual("acted"))
        .await
        .expect("acted")
        .finding
        .id;
    let closed_finding = ws
        .raise_finding(sys, &manual("closed"))
        .await
        .expect("raised")
        .finding
        .id;
    ws.close_finding(sys, closed_finding, "repaired", day("2026-09-07"))
        .await
        .expect("closed");
    let a = ws
        .add_action(
            sys,
            &NewActionRequest {
                finding: acted,
                owner: "sm".into(),
                root_cause: RootCause::Facilities,
                five_whys: "the screen's power supply failed".into(),
                plan: "replace it".into(),
                due: None,
                on: Some(day("2026-09-06")),
            },
        )
        .await
        .expect("action")
        .action
        .id;
    ws.start_action(sys, a, Some(day("2026-09-06")))
        .await
        .expect("started");
    ws.done_action(sys, a, Some(day("2026-09-07")))
        .await
        .expect("done");
    ws.verify_action(sys, a, true, "the screen works", Some(day("2026-09-08")))
        .await
        .expect("verified");
    Pdca {
        draft,
        evidence,
        signed,
        open_finding,
        closed_finding,
        action: a,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_the_matrix_says() {
    for env in envs().await {
        let ids = setup(&env).await;
        let routes = yardstick_server::routes();
        assert!(routes.len() >= 20, "{} routes", routes.len());
        let mut n = 0;
        let mut failures = Vec::new();
        for role in Role::ALL {
            let token = user_token(&env.ws, role.as_str(), role, grant(role)).await;
            for (method, path) in &routes {
                for scope in [Scope::In, Scope::Out] {
                    n += 1;
                    let (m, uri, body, expect) = case(method, path, scope, &ids, n);
                    let a = send(
                        &env.app,
                        request(m.clone(), &uri, Some(&token), body.clone()),
                    )
                    .await;
                    let want = match expect {
                        Some(f) => f(role, scope),
                        // Routes without credentials: the same answer as anonymous, which
                        // is a wrong password for the login and success for the others.
                        None => {
                            let anonymous =
                                send(&env.app, request(m, &uri, None, body)).await.status;
                            let fixed = match path.as_str() {
                                "/api/v1/session" => StatusCode::BAD_REQUEST,
                                // The login form without its one-time value.
                                "/login" => StatusCode::FORBIDDEN,
                                "/" | "/lang" => StatusCode::SEE_OTHER,
                                _ => StatusCode::OK,
                            };
                            assert_eq!(anonymous, fixed, "anonymous {method} {uri}");
                            anonymous
                        }
                    };
                    if a.status != want {
                        failures.push(format!(
                            "[{}] {} {method} {uri} ({scope:?}): got {}, expected {want}: {}",
                            env.backend,
                            role.as_str(),
                            a.status,
                            a.text()
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_or_missing_credentials_get_401_on_every_route_that_needs_them() {
    for env in envs().await {
        let ids = setup(&env).await;
        let ws = &env.ws;
        let expired = {
            user_token(ws, "expiring", Role::Admin, "yuanda").await;
            ws.create_token(&Actor::System, "expiring", "gone", Some(0))
                .await
                .expect("token")
                .token
        };
        let revoked = user_token(ws, "revoking", Role::Admin, "yuanda").await;
        let tokens = ws
            .tokens(&Actor::System, Some("revoking"))
            .await
            .expect("tokens");
        ws.revoke_token(&Actor::System, tokens[0].id)
            .await
            .expect("revoked");
        let disabled = user_token(ws, "leaver", Role::Admin, "yuanda").await;
        ws.set_user_disabled(&Actor::System, "leaver", true)
            .await
            .expect("disabled");
        let garbage = "ys_0000000000000000000000000000000000000000000000000000000000000000";
        let mut failures = Vec::new();
        let mut n = 10_000;
        for (method, path) in yardstick_server::routes() {
            for (what, token) in [
                ("no credentials", None),
                ("expired token", Some(expired.as_str())),
                ("revoked token", Some(revoked.as_str())),
                ("disabled user", Some(disabled.as_str())),
                ("unknown token", Some(garbage)),
            ] {
                n += 1;
                let (m, uri, body, expect) = case(&method, &path, Scope::In, &ids, n);
                let a = send(&env.app, request(m, &uri, token, body)).await;
                let public = expect.is_none() || (method == Method::GET && path == "/login");
                let page = !path.starts_with("/api/");
                let ok = if public {
                    a.status != StatusCode::UNAUTHORIZED
                } else if page {
                    // Pages send the browser to the login form.
                    a.status == StatusCode::SEE_OTHER
                        && a.header("location")
                            .is_some_and(|l| l.starts_with("/login?next="))
                } else {
                    a.status == StatusCode::UNAUTHORIZED
                        && a.header("www-authenticate").is_some()
                        && a.header("content-type") == Some("application/problem+json")
                };
                if !ok {
                    failures.push(format!(
                        "[{}] {what}: {method} {uri}: {} {}",
                        env.backend,
                        a.status,
                        a.text()
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
