//! Failures of the use cases as the command line and the server report them: input the
//! user can fix (exit 2, HTTP 400), what does not exist (404), stored records damaged
//! (exit 4) — each with its text from the message catalogue in Chinese and English. On
//! each backend.

mod common;

use common::{TestWorkspace, import_small_org, ingest, request, ticket, tickets};
use yardstick_app::evaluate::{EvaluateRequest, GuidelineChoice};
use yardstick_app::{Actor, Cancel, Error, ErrorKind};
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Lang;

/// Asserts an error's kind, exit code, HTTP status and the start of its text in both
/// languages.
fn expect(e: &Error, kind: ErrorKind, exit: u8, status: u16, zh: &str, en: &str) {
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.exit_code(), exit, "{e}");
    assert_eq!(e.kind().http_status(), status, "{e}");
    let (zh_text, en_text) = (e.render(Lang::Zh), e.render(Lang::En));
    assert!(zh_text.starts_with(zh), "{zh_text}");
    assert!(en_text.starts_with(en), "{en_text}");
}

/// The small organisation and two batches of hall tickets: h1 (three rows) and h2 (one).
async fn two_batches(tw: &TestWorkspace) {
    import_small_org(&tw.ws).await;
    let h1 = tickets(&[
        ticket("h1", "t1", "2026-10-05", 9, 0, 2),
        ticket("h1", "t2", "2026-10-05", 9, 10, 4),
        ticket("h1", "t3", "2026-10-06", 9, 20, 6),
    ]);
    let h2 = tickets(&[ticket("h2", "u1", "2026-10-05", 9, 0, 3)]);
    for (name, text) in [("h1.csv", h1), ("h2.csv", h2)] {
        ingest(
            &tw.ws,
            RecordKind::HallTicket,
            &tw.write(name, &text),
            false,
        )
        .await
        .expect("ingest");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_errors_exit_2_and_answer_400() {
    for tw in common::workspaces().await {
        two_batches(&tw).await;
        let (ws, system) = (&tw.ws, Actor::System);

        let e = common::evaluate(ws, &system, request("2026-10", Some("atlantis"), false))
            .await
            .expect_err("unknown scope");
        expect(
            &e,
            ErrorKind::Input,
            2,
            400,
            "未知范围 `atlantis`：既不是节点或站点的编号，也不是名称",
            "unknown scope `atlantis`: not the id or name of a node or site",
        );

        // A guideline that is not TOML: the message, then where the file is wrong.
        let bad = EvaluateRequest {
            guideline: GuidelineChoice::Text {
                name: "mine.toml".to_string(),
                text: "[guideline\nid = 1\n".to_string(),
            },
            ..request("2026-10", None, true)
        };
        let e = common::evaluate(ws, &system, bad)
            .await
            .expect_err("bad guideline");
        expect(
            &e,
            ErrorKind::Input,
            2,
            400,
            "评价细则无效: mine.toml:1:",
            "invalid guideline: mine.toml:1:",
        );
        // Nothing was frozen.
        assert!(ws.evaluations(&system).await.expect("list").is_empty());

        let e = ws
            .drill(
                &system,
                common::period("2026-10"),
                "h1",
                "XX-99",
                &GuidelineChoice::Builtin,
                &Cancel::new(),
            )
            .await
            .expect_err("unknown indicator");
        expect(
            &e,
            ErrorKind::Input,
            2,
            400,
            "未知指标 `XX-99`",
            "unknown indicator `XX-99`",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_does_not_exist_is_404() {
    for tw in common::workspaces().await {
        two_batches(&tw).await;
        let (ws, system) = (&tw.ws, Actor::System);

        let e = ws
            .frozen_evaluation(&system, 999)
            .await
            .expect_err("no such evaluation");
        expect(
            &e,
            ErrorKind::NotFound,
            2,
            404,
            "没有编号为 999 的评价",
            "no evaluation 999",
        );
        let e = ws
            .verify_evaluation(&system, 999, &Cancel::new())
            .await
            .expect_err("no such evaluation");
        assert_eq!(e.kind().http_status(), 404);

        let e = ws
            .drill(
                &system,
                common::period("2026-10"),
                "h9",
                "BH-01",
                &GuidelineChoice::Builtin,
                &Cancel::new(),
            )
            .await
            .expect_err("no such site");
        expect(
            &e,
            ErrorKind::NotFound,
            2,
            404,
            "未知站点 `h9`",
            "unknown site `h9`",
        );

        let e = ws
            .guideline(&GuidelineChoice::Stored("0".repeat(64)))
            .await
            .expect_err("no such guideline");
        expect(
            &e,
            ErrorKind::NotFound,
            2,
            404,
            "指纹为 0000",
            "no guideline with fingerprint 0000",
        );
    }
}

/// The stored files of the hall-ticket batches, by batch: (batch, path).
async fn stored(tw: &TestWorkspace) -> Vec<(i64, String)> {
    tw.ws
        .store()
        .all_files()
        .await
        .expect("files")
        .into_iter()
        .map(|f| (f.batch_id, f.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_stored_file_exits_4() {
    for tw in common::workspaces().await {
        two_batches(&tw).await;
        let (ws, system) = (&tw.ws, Actor::System);
        let files = stored(&tw).await;
        let (batch, path) = files[0].clone();
        let abs = tw.root().join(&path);
        let len = std::fs::metadata(&abs).expect("stored").len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&abs)
            .expect("open")
            .set_len(len / 2)
            .expect("truncate");

        let damaged_zh = "存储的记录文件与清单不符：不给出数值";
        let damaged_en = "a stored record file does not match the manifest: no figure is given";
        let e = common::evaluate(ws, &system, request("2026-10", None, false))
            .await
            .expect_err("damaged");
        expect(&e, ErrorKind::Damaged, 4, 500, damaged_zh, damaged_en);
        let detail = e.detail_text().expect("names the file");
        assert!(detail.contains(&path), "{detail}");
        assert!(detail.contains(&format!("batch {batch}")), "{detail}");

        let e = ws
            .drill(
                &system,
                common::period("2026-10"),
                "h1",
                "BH-01",
                &GuidelineChoice::Builtin,
                &Cancel::new(),
            )
            .await
            .expect_err("damaged");
        expect(&e, ErrorKind::Damaged, 4, 500, damaged_zh, damaged_en);

        // An import reads the stored files of its kind (the duplicate-id check): it
        // stops on the damage with the same answer, and stores nothing.
        let more = tickets(&[ticket("h3", "v1", "2026-10-07", 9, 0, 1)]);
        let e = ingest(
            ws,
            RecordKind::HallTicket,
            &tw.write("h3.csv", &more),
            false,
        )
        .await
        .expect_err("damaged");
        expect(&e, ErrorKind::Damaged, 4, 500, damaged_zh, damaged_en);
        assert_eq!(
            ws.record_stats(&system).await.expect("stats").batches.len(),
            2
        );

        let report = ws.verify(&system, false).await.expect("verify");
        assert_eq!(report.problems.len(), 1, "{tw:?}: {report:?}");
        assert_eq!(report.problems[0].path, path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_stored_files_exit_4() {
    for tw in common::workspaces().await {
        two_batches(&tw).await;
        let (ws, system) = (&tw.ws, Actor::System);
        let files = stored(&tw).await;
        assert_eq!(files.len(), 2, "{files:?}");
        let (a, b) = (tw.root().join(&files[0].1), tw.root().join(&files[1].1));
        let tmp = a.with_extension("swap");
        std::fs::rename(&a, &tmp).expect("swap");
        std::fs::rename(&b, &a).expect("swap");
        std::fs::rename(&tmp, &b).expect("swap");

        let e = common::evaluate(ws, &system, request("2026-10", None, false))
            .await
            .expect_err("damaged");
        expect(
            &e,
            ErrorKind::Damaged,
            4,
            500,
            "存储的记录文件与清单不符",
            "a stored record file does not match the manifest",
        );
        // `verify --hash` names both files.
        let report = ws.verify(&system, true).await.expect("verify");
        let mut named: Vec<&str> = report.problems.iter().map(|p| p.path.as_str()).collect();
        named.sort_unstable();
        let mut expected = vec![files[0].1.as_str(), files[1].1.as_str()];
        expected.sort_unstable();
        assert_eq!(named, expected, "{tw:?}: {report:?}");
    }
}

/// A guideline version changed inside the database is damage (exit 4), said in the
/// reader's language: the built-in guideline's text, stored when an evaluation was
/// frozen, edited past the store to another version label no longer hashes to the
/// fingerprint it is kept under.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_guideline_changed_in_the_database_is_damage() {
    for tw in common::workspaces().await {
        import_small_org(&tw.ws).await;
        let (ws, system) = (&tw.ws, Actor::System);
        let ev = common::evaluate(ws, &system, request("2026-10", None, true))
            .await
            .expect("frozen");
        let fp = ev.evaluation.guideline_fingerprint.clone();
        let sql = "UPDATE guideline_version SET toml = \
             REPLACE(toml, 'version = \"2026.1\"', 'version = \"2026.9\"')";
        let changed = match ws.store().pool() {
            yardstick_store::Pool::Sqlite(p) => {
                sqlx::query(sql).execute(p).await.map(|r| r.rows_affected())
            }
            yardstick_store::Pool::Postgres(p) => {
                sqlx::query(sql).execute(p).await.map(|r| r.rows_affected())
            }
        }
        .expect("edited");
        assert_eq!(changed, 1, "{tw:?}");
        let e = ws
            .guideline(&GuidelineChoice::Stored(fp.clone()))
            .await
            .expect_err("damaged");
        expect(
            &e,
            ErrorKind::Damaged,
            4,
            500,
            "元数据库已损坏，因此不给出任何数字",
            "the metadata database is damaged, so no figure is given",
        );
        let (zh, en) = (e.render(Lang::Zh), e.render(Lang::En));
        assert!(
            zh.contains(&format!("指南版本 {fp}：数据库中保存的文本已与其指纹不符")),
            "{zh}"
        );
        assert!(
            en.contains(&format!(
                "guideline version {fp}: its stored text no longer matches it"
            )),
            "{en}"
        );
    }
}
