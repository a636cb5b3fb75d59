//! The web pages, driven in process as a browser would: sign in through the form, read
//! pages as users of different roles and scopes, send forms with and without their
//! CSRF token, switch the language, upload a file. Expected values come from the
//! fixture (`common::ORG`, `common::TICKETS`), worked out by hand: hz-h02's two tickets
//! waited 5 and 15 minutes (BH-01, the mean wait, is 10), gz-h01's 2 and 4 (3).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Answer, Env, PERIOD, envs, send};
use yardstick_app::Actor;
use yardstick_app::access::{Grant, Role};

/// A browser's session: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn user(env: &Env, login: &str, role: Role, scope: &str) -> Browser {
    env.ws
        .add_user(
            &Actor::System,
            login,
            &[Grant {
                role,
                scope: scope.to_string(),
            }],
            Some(common::PASSWORD),
        )
        .await
        .expect("user added");
    let a = send(
        &env.app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                r#"{{"login":"{login}","password":"{}"}}"#,
                common::PASSWORD
            )))
            .expect("request"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let cookie = a
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let csrf = a.json()["csrf_token"].as_str().expect("csrf").to_string();
    Browser { cookie, csrf }
}

async fn page(env: &Env, b: &Browser, uri: &str) -> Answer {
    send(
        &env.app,
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, &b.cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

async fn post_form(env: &Env, cookie: Option<&str>, uri: &str, form: &str) -> Answer {
    let mut r = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    send(
        &env.app,
        r.body(Body::from(form.to_string())).expect("request"),
    )
    .await
}

fn is_html(a: &Answer) -> bool {
    a.header("content-type")
        .is_some_and(|c| c.starts_with("text/html"))
}

/// No catalogue key shown untranslated.
fn no_raw_keys(a: &Answer) {
    let t = a.text();
    for needle in ["web.", "server.problem.", "error."] {
        assert!(!t.contains(needle), "untranslated `{needle}` in:\n{t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_signs_in_and_out_with_its_tokens() {
    let env = &envs().await[0];
    env.ws
        .add_user(
            &Actor::System,
            "li.wei",
            &[Grant {
                role: Role::QualityManager,
                scope: "zj".into(),
            }],
            Some(common::PASSWORD),
        )
        .await
        .expect("user");
    // Not signed in: every page sends the browser to the login form, and back after.
    let a = common::get(&env.app, "/overview?period=2026-09", None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.header("location"),
        Some("/login?next=/overview%3Fperiod%3D2026-09")
    );
    let form = common::get(&env.app, "/login", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(is_html(&form));
    // Chinese by default.
    assert!(form.text().contains("<h1>登录</h1>"), "{}", form.text());
    assert!(form.text().contains("lang=\"zh-CN\""));
    no_raw_keys(&form);
    let nonce_cookie = form
        .header("set-cookie")
        .expect("nonce cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let nonce = nonce_cookie.split_once('=').expect("value").1.to_string();
    assert_eq!(nonce.len(), 32);
    assert!(form.text().contains(&format!("value=\"{nonce}\"")));

    // Without the form's one-time value: refused.
    let a = post_form(
        env,
        None,
        "/login",
        "login=li.wei&password=correct+horse+battery&nonce=x",
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.header("set-cookie")
            .is_none_or(|c| !c.contains("ys_session="))
    );
    // A wrong password: the form again, with the reason, in Chinese.
    let a = post_form(
        env,
        Some(&nonce_cookie),
        "/login",
        &format!("login=li.wei&password=wrong&nonce={nonce}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("role=\"alert\""));
    assert!(
        a.header("set-cookie")
            .is_none_or(|c| !c.contains("ys_session="))
    );
    // The right one: a session, and on to `next` (a foreign `next` is not followed).
    let a = post_form(
        env,
        Some(&nonce_cookie),
        "/login",
        &format!(
            "login=LI.WEI&password=correct+horse+battery&nonce={nonce}&next=%2F%2Fevil.example"
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(a.header("location"), Some("/overview"));
    let session = a
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ys_session="))
        .expect("session cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let b = Browser {
        cookie: session.clone(),
        csrf: String::new(),
    };
    let o = page(env, &b, "/overview?period=2026-09").await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text());
    // The page carries the session's CSRF token for its forms.
    let csrf = o
        .text()
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf field")
        .to_string();
    assert_eq!(csrf.len(), 64, "{csrf}");
    // Logout without the token: refused with the 403 page; with it: signed out.
    let a = post_form(env, Some(&session), "/logout", "").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(is_html(&a));
    assert!(a.text().contains("无权操作"), "{}", a.text());
    let a = post_form(env, Some(&session), "/logout", &format!("csrf={csrf}")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/login"));
    let a = page(env, &b, "/overview").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "the session was revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_the_readers_scope_and_search_finds_by_pinyin() {
    let env = &envs().await[0];
    let qm = user(env, "qm", Role::QualityManager, "zj").await;
    let o = page(env, &qm, &format!("/overview?period={PERIOD}")).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.text());
    let t = o.text();
    no_raw_keys(&o);
    assert!(t.contains("杭州文三路营业厅") && t.contains("hz-h02"));
    assert!(t.contains("nb-c01"));
    assert!(
        !t.contains("gz-h01") && !t.contains("甘孜"),
        "outside the scope"
    );
    assert!(t.contains("浙江分公司"));
    assert!(!t.contains("四川分公司"));
    // The heat map links hz-h02's BH-01 cell to its drill-down.
    assert!(
        t.contains(&format!("/sites/hz-h02/indicators/BH-01?period={PERIOD}")),
        "{t}"
    );
    // Scene filter: only call centres.
    let o = page(
        env,
        &qm,
        &format!("/overview?period={PERIOD}&scene=call_centre"),
    )
    .await;
    let heat = o.text();
    let heat = heat.split("class=\"heat\"").nth(1).expect("heat map");
    assert!(heat.contains("nb-c01") && !heat.contains("/sites/hz-h02?"));
    // City filter: Hangzhou holds hz-h02 only.
    let o = page(env, &qm, &format!("/overview?period={PERIOD}&city=zj-hz")).await;
    let heat = o.text();
    let heat = heat.split("class=\"heat\"").nth(1).expect("heat map");
    assert!(heat.contains("/sites/hz-h02?") && !heat.contains("nb-c01"));

    // Search: pinyin initials, id, name; nothing outside the scope.
    let s = page(env, &qm, "/search?q=hzws").await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.text().contains("href=\"/sites/hz-h02\""), "{}", s.text());
    assert!(!s.text().contains("href=\"/sites/nb-c01\""));
    let s = page(env, &qm, "/search?q=gz").await;
    assert!(!s.text().contains("gz-h01"));
    let s = page(env, &qm, "/search?q=%E5%AE%81%E6%B3%A2").await; // 宁波
    assert!(s.text().contains("href=\"/sites/nb-c01\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_page_and_its_drill_down_reach_single_records() {
    let env = &envs().await[0];
    let qm = user(env, "qm", Role::QualityManager, "zj").await;
    let s = page(env, &qm, &format!("/sites/hz-h02?period={PERIOD}")).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    no_raw_keys(&s);
    let t = s.text();
    // BH-01's value: (5 + 15) / 2 = 10 minutes, from 2 tickets.
    let row = t
        .split("<tr")
        .find(|r| r.contains("/indicators/BH-01?"))
        .expect("BH-01 line");
    assert!(row.contains(">10 <span class=\"unit\">"), "{row}");
    assert!(row.contains("<td class=\"num\">2</td>"), "{row}");
    // The peer group named in words.
    assert!(t.contains("营业厅 · 标准 · 城镇"), "{t}");
    // A link to the staffing plan of the hall.
    assert!(t.contains(r#"<a href="/sites/hz-h02/plan">"#), "{t}");

    let d = page(
        env,
        &qm,
        &format!("/sites/hz-h02/indicators/BH-01?period={PERIOD}"),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    no_raw_keys(&d);
    let t = d.text();
    assert!(t.contains("共 2 条记录"), "{t}");
    assert!(t.contains("<td>a1</td>") && t.contains("<td>a2</td>"));
    assert!(t.contains("<svg"), "the daily trend");
    // The second record, on its own page.
    let r = page(
        env,
        &qm,
        &format!("/sites/hz-h02/indicators/BH-01/record?period={PERIOD}&n=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("<td>a2</td>") && !r.text().contains("<td>a1</td>"));
    // The CSV of every record: a header and two rows.
    let c = page(
        env,
        &qm,
        &format!("/sites/hz-h02/indicators/BH-01/records.csv?period={PERIOD}"),
    )
    .await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.header("content-type"), Some("text/csv; charset=utf-8"));
    let csv = c.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("site_id,ticket_id"), "{csv}");
    assert!(lines[1].starts_with("hz-h02,a1,") && lines[2].starts_with("hz-h02,a2,"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_scope_pages_are_404_and_regulators_see_no_records() {
    let env = &envs().await[0];
    let sm = user(env, "sm", Role::SiteManager, "hz-h02").await;
    for uri in [
        format!("/sites/gz-h01?period={PERIOD}"),
        format!("/sites/nb-c01?period={PERIOD}"),
        format!("/sites/gz-h01/indicators/BH-01?period={PERIOD}"),
        format!("/sites/gz-h01/indicators/BH-01/records.csv?period={PERIOD}"),
        format!("/sites/gz-h01/indicators/BH-01/record?period={PERIOD}&n=0"),
    ] {
        let a = page(env, &sm, &uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(is_html(&a), "{uri}");
        assert!(a.text().contains("页面不存在"), "{uri}: {}", a.text());
        assert!(!a.text().contains("甘孜"), "{uri}: nothing of the site");
    }
    assert_eq!(
        page(env, &sm, &format!("/sites/hz-h02?period={PERIOD}"))
            .await
            .status,
        StatusCode::OK
    );

    let reg = user(env, "reg", Role::Regulator, "yuanda").await;
    let d = page(
        env,
        &reg,
        &format!("/sites/gz-h01/indicators/BH-01?period={PERIOD}"),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text());
    let t = d.text();
    assert!(t.contains("您的角色不能查看逐条记录"), "{t}");
    assert!(!t.contains("<td>b1</td>") && !t.contains("records.csv"));
    // The aggregated figure is there: (2 + 4) / 2 = 3 minutes.
    assert!(t.contains(">3 <span class=\"unit\">"), "{t}");
    let c = page(
        env,
        &reg,
        &format!("/sites/gz-h01/indicators/BH-01/records.csv?period={PERIOD}"),
    )
    .await;
    assert_eq!(c.status, StatusCode::NOT_FOUND);
    // Regulators import nothing: the imports page is a friendly 403.
    let i = page(env, &reg, "/imports").await;
    assert_eq!(i.status, StatusCode::FORBIDDEN);
    assert!(is_html(&i) && i.text().contains("无权操作"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_is_remembered_for_the_user() {
    let env = &envs().await[0];
    let qm = user(env, "qm", Role::QualityManager, "zj").await;
    let a = post_form(
        env,
        Some(&qm.cookie),
        "/lang",
        &format!("lang=en&csrf={}&next=%2Fsites%2Fhz-h02", qm.csrf),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/sites/hz-h02"));
    let o = page(env, &qm, &format!("/overview?period={PERIOD}")).await;
    assert!(o.text().contains("lang=\"en\""));
    assert!(o.text().contains("<h1>Overview"), "{}", o.text());
    no_raw_keys(&o);
    // Remembered as the user's setting: a new session is in English too.
    let users = env.ws.users(&Actor::System).await.expect("users");
    let u = users.iter().find(|u| u.login == "qm").expect("qm");
    assert_eq!(u.lang, yardstick_core::vocab::Lang::En);
    let s = page(env, &qm, &format!("/sites/gz-h01?period={PERIOD}")).await;
    assert_eq!(s.status, StatusCode::NOT_FOUND);
    assert!(s.text().contains("Page not found"), "{}", s.text());
    // Without the CSRF token the switch is refused.
    let a = post_form(env, Some(&qm.cookie), "/lang", "lang=zh").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Anonymous: a cookie keeps the choice for the login page.
    let a = post_form(env, None, "/lang", "lang=en&next=%2Flogin").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let c = a.header("set-cookie").expect("cookie");
    assert!(c.starts_with("ys_lang=en;"), "{c}");
    let l = send(
        &env.app,
        Request::builder()
            .uri("/login")
            .header(header::COOKIE, "ys_lang=en")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(l.text().contains("<h1>Sign in</h1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_answer_the_404_page_and_the_api_its_problem() {
    let env = &envs().await[0];
    let a = common::get(&env.app, "/no/such/page", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(is_html(&a));
    assert!(a.text().contains("页面不存在"));
    let a = common::get(&env.app, "/api/v1/no-such-thing", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    // Static files are served from the binary, cacheable, with the CSP on every page.
    let css = common::get(&env.app, "/static/app.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let login = common::get(&env.app, "/login", None).await;
    let csp = login.header("content-security-policy").expect("csp");
    assert!(csp.contains("script-src 'self'"));
    assert!(!login.text().contains("<script>"), "no inline script");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_reports_its_quarantined_rows() {
    let env = &envs().await[0];
    let qm = user(env, "qm", Role::QualityManager, "zj").await;
    // Three bad rows (an unknown site, a site outside the scope, a broken instant) and
    // one good one.
    let csv = "site_id,ticket_id,service_type,issued_at,called_at,outcome\n\
hz-h02,u1,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n\
nowhere,u2,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n\
gz-h01,u3,payment,2026-09-09 09:00:00,2026-09-09 09:01:00,served\n\
hz-h02,u4,payment,not a time,2026-09-09 09:01:00,served\n";
    let multipart = |csrf: &str| {
        let b = "XyZbOuNdArY";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
--{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nhall_ticket\r\n\
--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tickets.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n"
        );
        Request::builder()
            .method(Method::POST)
            .uri("/imports")
            .header(header::COOKIE, &qm.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={b}"),
            )
            .body(Body::from(body))
            .expect("request")
    };
    let a = send(&env.app, multipart("wrong")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(&env.app, multipart(&qm.csrf)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let t = a.text();
    no_raw_keys(&a);
    assert!(t.contains("<dd data-count=\"read\">4</dd>"), "{t}");
    assert!(t.contains("<dd data-count=\"stored\">1</dd>"), "{t}");
    assert!(t.contains("<dd data-count=\"quarantined\">3</dd>"), "{t}");
    assert!(t.contains("/quarantine\" download>"), "{t}");
}

#[test]
fn every_key_the_templates_use_is_in_the_catalogue() {
    let mut missing = Vec::new();
    let mut n = 0;
    for (name, src) in yardstick_server::web::template_sources() {
        for quote in ['"', '\''] {
            let open = format!("t({quote}");
            for part in src.split(open.as_str()).skip(1) {
                let key = part.split(quote).next().unwrap_or("");
                if key.ends_with('.') {
                    // Built from a variable (`"web.error." ~ kind`): checked below.
                    continue;
                }
                n += 1;
                if !yardstick_core::i18n::has(key) {
                    missing.push(format!("{name}: {key}"));
                }
            }
        }
        // Keys built from a status class: every one the error page can name.
        if src.contains("\"web.error.\" ~ kind") {
            for kind in ["400", "401", "403", "404", "413", "429", "500"] {
                for part in ["title", "text"] {
                    let key = format!("web.error.{kind}.{part}");
                    if !yardstick_core::i18n::has(&key) {
                        missing.push(format!("{name}: {key}"));
                    }
                }
            }
        }
    }
    assert!(n > 100, "only {n} keys found: the scan is broken");
    assert!(missing.is_empty(), "{missing:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_users_grant_roles_and_create_tokens_shown_once() {
    let env = &envs().await[0];
    let admin = user(env, "boss", Role::Admin, "yuanda").await;
    let a = page(env, &admin, "/admin").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    no_raw_keys(&a);
    assert!(a.text().contains("boss"));
    // A new user: the generated password is shown once.
    let a = post_form(
        env,
        Some(&admin.cookie),
        "/admin/users",
        &format!(
            "csrf={}&login=wang.fang&role=site_manager&scope=hz-h02",
            admin.csrf
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let secret = a
        .text()
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the password")
        .to_string();
    assert!(secret.len() >= 12, "{secret}");
    let users = env.ws.users(&Actor::System).await.expect("users");
    let u = users
        .iter()
        .find(|u| u.login == "wang.fang")
        .expect("added");
    assert_eq!(u.grants.len(), 1);
    assert_eq!(u.grants[0].role, Role::SiteManager);
    assert_eq!(u.grants[0].scope, "hz-h02");
    // The password works: she signs in and sees her site only.
    let form = common::get(&env.app, "/login", None).await;
    let nonce_cookie = form
        .header("set-cookie")
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let nonce = nonce_cookie.split_once('=').expect("value").1.to_string();
    let signed = post_form(
        env,
        Some(&nonce_cookie),
        "/login",
        &format!(
            "login=wang.fang&password={}&nonce={nonce}",
            common_url(&secret)
        ),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
    // An unknown scope is said on the page (400), nothing changes.
    let a = post_form(
        env,
        Some(&admin.cookie),
        "/admin/users/wang.fang/grants",
        &format!("csrf={}&role=viewer&scope=nowhere&action=add", admin.csrf),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("role=\"alert\""));
    // A token for her, shown once; then revoked.
    let a = post_form(
        env,
        Some(&admin.cookie),
        "/admin/tokens",
        &format!("csrf={}&login=wang.fang&name=laptop&days=7", admin.csrf),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let token = a
        .text()
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the token")
        .to_string();
    assert!(token.starts_with("ys_"), "{token}");
    let me = common::get(&env.app, "/api/v1/me", Some(&token)).await;
    assert_eq!(me.json()["login"], "wang.fang");
    let id = env
        .ws
        .tokens(&Actor::System, Some("wang.fang"))
        .await
        .expect("tokens")[0]
        .id;
    let a = post_form(
        env,
        Some(&admin.cookie),
        &format!("/admin/tokens/{id}/revoke"),
        &format!("csrf={}", admin.csrf),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let me = common::get(&env.app, "/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // Without the CSRF token nothing happens.
    let a = post_form(
        env,
        Some(&admin.cookie),
        "/admin/users/wang.fang/disabled",
        "disabled=true",
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let users = env.ws.users(&Actor::System).await.expect("users");
    assert!(!users.iter().any(|u| u.login == "wang.fang" && u.disabled));
}

/// Percent-encodes a form value.
fn common_url(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_markup_render_inert() {
    let env = &envs().await[0];
    let evil = r#"<script>alert(1)</script>"'&"#;
    let org = common::ORG.replace("杭州文三路营业厅", &evil.replace('"', "\\\""));
    env.ws
        .import_org(&Actor::System, "org.toml", &org)
        .await
        .expect("organisation with markup in a name");
    let qm = user(env, "qm", Role::QualityManager, "zj").await;
    for uri in [
        format!("/overview?period={PERIOD}"),
        format!("/sites/hz-h02?period={PERIOD}"),
        format!("/sites/hz-h02/indicators/BH-01?period={PERIOD}"),
        "/search?q=hz-h02".to_string(),
        "/search?q=%3Cscript%3E".to_string(),
    ] {
        let a = page(env, &qm, &uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        let t = a.text();
        assert!(!t.contains("<script>alert"), "{uri}: markup not escaped");
        assert!(
            t.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{uri}: {t}"
        );
    }
}

/// A reader of hundreds of sites: the tree lists the nodes with each city a link to its
/// sites, and the heat map lists the sites a hundred at a time. The fixture's three sites
/// and 205 more halls in Ganzi make 208: pages 1–100, 101–200, 201–208.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_scope_is_listed_by_city_and_a_page_at_a_time() {
    for env in envs().await {
        let mut org = common::ORG.to_string();
        for i in 1..=205 {
            org.push_str(&format!(
                "\n[[site]]\nid = \"x-h{i:03}\"\nparent = \"sc-gz\"\nname_zh = \"甘孜第{i}营业厅\"\nscene = \"hall\"\narea = \"remote\"\n"
            ));
        }
        env.ws
            .import_org(&Actor::System, "large.toml", &org)
            .await
            .expect("organisation");
        let admin = user(&env, "root", Role::Admin, "yuanda").await;
        let o = page(&env, &admin, &format!("/overview?period={PERIOD}")).await;
        assert_eq!(o.status, StatusCode::OK, "{}", o.text());
        let html = o.text();
        assert!(
            html.contains("共 208 个站点"),
            "the note says why sites are not listed"
        );
        assert_eq!(
            html.matches("<tr class=\"site").count(),
            0,
            "no site row in the tree"
        );
        assert!(html.contains(&format!("/overview?period={PERIOD}&city=sc-gz\"")));
        assert!(html.contains("第 1–100 个站点，共 208 个"));
        assert!(html.contains("page=2\" rel=\"next\""));
        let last = page(&env, &admin, &format!("/overview?period={PERIOD}&page=3"))
            .await
            .text();
        assert!(last.contains("第 201–208 个站点，共 208 个"));
        assert!(!last.contains("rel=\"next\"") && last.contains("page=2\" rel=\"prev\""));
        // A page past the last is the last.
        let past = page(&env, &admin, &format!("/overview?period={PERIOD}&page=9"))
            .await
            .text();
        assert!(past.contains("第 201–208 个站点，共 208 个"));
        // A city picked: its sites are listed under it (Hangzhou has one).
        let hz = page(
            &env,
            &admin,
            &format!("/overview?period={PERIOD}&city=zj-hz"),
        )
        .await
        .text();
        assert_eq!(hz.matches("<tr class=\"site").count(), 1);
        assert!(hz.contains("/sites/hz-h02?period="));
        assert!(hz.contains("第 1–1 个站点，共 1 个"));
    }
}

/// The activity log page: an administrator reads who did what, newest first, filtered by
/// login, by action and by day; a day that is not one is a 400 naming it; a viewer is
/// refused. Both users were added by the command line and signed in in a browser, vi
/// after root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_read_the_activity_log_filtered() {
    for env in envs().await {
        let admin = user(&env, "root", Role::Admin, "yuanda").await;
        let viewer = user(&env, "vi", Role::Viewer, "zj").await;
        let a = page(&env, &admin, "/activity").await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let html = a.text();
        assert!(html.contains("<h1>操作日志</h1>"), "{html}");
        let vi = html
            .find("<td>vi</td><td>浏览器</td>")
            .expect("vi signed in");
        let root = html
            .find("<td>root</td><td>浏览器</td>")
            .expect("root signed in");
        assert!(vi < root, "newest first");
        let only = page(&env, &admin, "/activity?actor=root").await.text();
        assert!(only.contains("<td>root</td>") && !only.contains("<td>vi</td>"));
        let adds = page(&env, &admin, "/activity?action=user.add").await.text();
        assert!(adds.contains("<code>user.add</code>") && !adds.contains("<code>login</code>"));
        let later = page(&env, &admin, "/activity?since=2999-01-01")
            .await
            .text();
        assert!(later.contains("没有符合条件的记录。"));
        let up_to = page(&env, &admin, "/activity?until=2000-01-01")
            .await
            .text();
        assert!(up_to.contains("没有符合条件的记录。"));
        let bad = page(&env, &admin, "/activity?since=2026-13-01").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
        assert!(bad.text().contains("2026-13-01"), "{}", bad.text());
        assert_eq!(
            page(&env, &viewer, "/activity").await.status,
            StatusCode::FORBIDDEN
        );
    }
}

/// The staffing calculator, for any reader: 100 calls an hour of 180 s are 5 Erlangs;
/// Erlang C gives a service level within 20 s of 0.88015 with 8 agents and 0.74044 with
/// 7, so 8 meet 80 %, and 20 % shrinkage makes 8 ÷ 0.8 = 10 to schedule. The curve
/// around the answer shows both. An empty form shows no result; a field that is not a
/// number is said in the reader's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staffing_calculator_answers_in_a_form() {
    for env in envs().await {
        let viewer = user(&env, "vi", Role::Viewer, "zj").await;
        let empty = page(&env, &viewer, "/plan/staffing").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.text());
        assert!(empty.text().contains("<h1>人员测算</h1>"));
        assert!(!empty.text().contains("<h2 id=\"st-res-h\">"));
        let a = page(
            &env,
            &viewer,
            "/plan/staffing?arrivals_per_h=100&aht_s=180&answer_within_s=20&sl_target=0.8&shrinkage=20%25&patience_s=",
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let html = a.text();
        assert!(
            html.contains("<dt>所需坐席数（最少）</dt><dd>8</dd>"),
            "{html}"
        );
        assert!(
            html.contains("<dt>排班人数（损耗率 0.2）</dt><dd>10</dd>"),
            "10 to schedule: {html}"
        );
        assert!(html.contains("<dd>88%</dd>"), "{html}");
        assert!(html.contains("<td class=\"num\">7</td><td class=\"num\">74%</td>"));
        assert!(html.contains("<td class=\"num\">8</td><td class=\"num\">88%</td>"));
        assert!(html.contains("<svg"), "the curve is drawn");
        let bad = page(
            &env,
            &viewer,
            "/plan/staffing?arrivals_per_h=lots&aht_s=180",
        )
        .await;
        assert_eq!(bad.status, StatusCode::OK);
        assert!(
            bad.text().contains("每小时来话（来访）量：`lots` 不是数字"),
            "{}",
            bad.text()
        );
    }
}
