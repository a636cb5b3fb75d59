//! The generated files honour `yardstick-core`'s contracts: the organisation loads, every
//! CSV column is a canonical imported field of its kind with all required fields present,
//! every cell has its field's type, ids are unique, links resolve and time runs forward.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::{Table, read, secs, week};
use yardstick_core::org::Organisation;
use yardstick_core::records::{FieldType, RecordKind};
use yardstick_core::vocab::{AreaClass, Scene, Tier};
use yardstick_demo::{ORG_FILE, POOR_SITES, RECORD_KINDS};

fn org() -> Organisation {
    let (dir, _) = week();
    let text = std::fs::read_to_string(dir.join(ORG_FILE)).expect("org.toml");
    Organisation::from_toml(ORG_FILE, &text)
        .unwrap_or_else(|e| panic!("org.toml does not load:\n{e}"))
}

#[test]
fn the_organisation_loads_and_mixes_scenes_areas_and_tiers() {
    let org = org();
    let (dir, summary) = week();
    assert!(org.sites.len() >= 40);
    assert_eq!(summary.sites, org.sites.len());
    let levels = |l: &str| {
        org.nodes
            .iter()
            .filter(|n| format!("{:?}", n.level).to_lowercase() == l)
            .count()
    };
    assert_eq!(
        (levels("operator"), levels("province"), levels("city")),
        (1, 2, 6)
    );
    for scene in Scene::ALL {
        assert!(
            org.sites.iter().filter(|s| s.scene == scene).count() >= 6,
            "{scene:?}"
        );
    }
    for area in AreaClass::ALL {
        assert!(org.sites.iter().any(|s| s.area == area), "{area:?}");
    }
    for tier in Tier::ALL {
        assert!(org.sites.iter().any(|s| s.tier == tier), "{tier:?}");
    }
    assert!(
        org.sites.iter().all(|s| s.name.zh != s.name.en),
        "every site has a Chinese and an English name"
    );
    for p in &POOR_SITES {
        assert!(org.site(p.site_id).is_some(), "{}", p.site_id);
        assert!(!p.reason_zh.is_empty() && !p.reason_en.is_empty());
    }
    assert!(dir.join("org.toml").exists());
}

#[test]
fn headers_are_canonical_imported_fields_with_every_required_field() {
    let (dir, summary) = week();
    assert_eq!(RECORD_KINDS.len(), RecordKind::ALL.len());
    for kind in RecordKind::ALL {
        let table = read(dir, kind.as_str());
        for name in &table.header {
            let field = kind
                .field(name)
                .unwrap_or_else(|| panic!("{}: `{name}` is not a field", kind.as_str()));
            assert!(
                !field.derived,
                "{}: derived field `{name}` must not be written",
                kind.as_str()
            );
        }
        for field in kind.fields().iter().filter(|f| f.required) {
            assert!(
                table.has(field.name),
                "{}: required field `{}` missing",
                kind.as_str(),
                field.name
            );
        }
        assert_eq!(
            summary.rows(kind.as_str()),
            Some(table.rows.len() as u64),
            "{}",
            kind.as_str()
        );
    }
}

/// Checks one cell against its field type; returns a message when it does not fit.
fn type_error(ty: FieldType, v: &str) -> Option<String> {
    let ok = match ty {
        FieldType::Str => true,
        FieldType::Enum(values) => values.contains(&v),
        FieldType::Timestamp => chrono::DateTime::parse_from_rfc3339(v)
            .is_ok_and(|t| t.offset().local_minus_utc() == 8 * 3600),
        FieldType::Int => v.parse::<i64>().is_ok(),
        FieldType::Float => v.parse::<f64>().is_ok_and(f64::is_finite),
        FieldType::Bool => v == "true" || v == "false",
    };
    (!ok).then(|| format!("`{v}` is not a valid {}", ty.name()))
}

#[test]
fn every_cell_has_its_fields_type_and_required_cells_are_set() {
    let (dir, _) = week();
    for kind in RecordKind::ALL {
        let table = read(dir, kind.as_str());
        let fields: Vec<_> = table
            .header
            .iter()
            .map(|h| kind.field(h).expect("checked above"))
            .collect();
        for (i, row) in table.rows.iter().enumerate() {
            for (field, v) in fields.iter().zip(row) {
                if v.is_empty() {
                    assert!(
                        !field.required,
                        "{} row {i}: required `{}` is empty",
                        kind.as_str(),
                        field.name
                    );
                } else if let Some(e) = type_error(field.ty, v) {
                    panic!("{} row {i}: {}: {e}", kind.as_str(), field.name);
                }
            }
        }
    }
}

#[test]
fn sites_match_their_scene_and_ids_are_unique() {
    let org = org();
    let (dir, _) = week();
    let scene_of = |kind: &str| match kind {
        "hall_ticket" => Some(Scene::Hall),
        "contact" | "agent_interval" => Some(Scene::CallCentre),
        "work_order" => Some(Scene::FieldCentre),
        _ => None,
    };
    for kind in RECORD_KINDS {
        let table = read(dir, kind);
        for site in table.sites() {
            let s = org
                .site(&site)
                .unwrap_or_else(|| panic!("{kind}: unknown site {site}"));
            assert!(
                scene_of(kind).is_none_or(|sc| sc == s.scene),
                "{kind}: {site} is a {:?}",
                s.scene
            );
        }
        let key: &[&str] = match kind {
            "hall_ticket" => &["ticket_id"],
            "contact" => &["contact_id"],
            "work_order" => &["order_id"],
            "complaint" => &["complaint_id"],
            "survey" => &["survey_id"],
            "subscriber_base" => &["site_id", "period_start"],
            _ => &["agent_id", "interval_start"],
        };
        let cols: Vec<usize> = key.iter().map(|k| table.col(k)).collect();
        let mut seen = BTreeSet::new();
        for row in &table.rows {
            let k: Vec<&str> = cols.iter().map(|c| row[*c].as_str()).collect();
            assert!(seen.insert(k.join("|")), "{kind}: duplicate {k:?}");
        }
    }
}

#[test]
fn linked_records_exist_and_surveys_name_the_right_scene() {
    let (dir, _) = week();
    let mut scene_of: BTreeMap<String, &str> = BTreeMap::new();
    for (kind, id, scene) in [
        ("hall_ticket", "ticket_id", "hall"),
        ("contact", "contact_id", "call_centre"),
        ("work_order", "order_id", "field_centre"),
    ] {
        let t = read(dir, kind);
        let c = t.col(id);
        scene_of.extend(t.rows.iter().map(|r| (r[c].clone(), scene)));
    }
    let surveys = read(dir, "survey");
    assert!(!surveys.rows.is_empty());
    for row in &surveys.rows {
        let linked = surveys
            .get(row, "linked_record")
            .expect("every survey is linked");
        assert_eq!(
            scene_of.get(linked).copied(),
            surveys.get(row, "scene"),
            "{linked}"
        );
    }
    let complaints = read(dir, "complaint");
    let linked: Vec<&str> = complaints
        .rows
        .iter()
        .filter_map(|r| complaints.get(r, "linked_record"))
        .collect();
    assert!(
        linked.len() * 2 > complaints.rows.len(),
        "most complaints are linked to a record"
    );
    assert!(
        linked.iter().all(|l| scene_of.contains_key(*l)),
        "every link resolves"
    );
}

/// Pairs of timestamps that must not run backwards, per kind.
const ORDER: &[(&str, &str, &str)] = &[
    ("hall_ticket", "issued_at", "called_at"),
    ("hall_ticket", "called_at", "service_start_at"),
    ("hall_ticket", "service_start_at", "service_end_at"),
    ("hall_ticket", "issued_at", "left_at"),
    ("hall_ticket", "settled_at", "done_at"),
    ("contact", "ivr_entry_at", "ivr_exit_at"),
    ("contact", "ivr_exit_at", "queue_entry_at"),
    ("contact", "queue_entry_at", "answered_at"),
    ("contact", "queue_entry_at", "abandoned_at"),
    ("contact", "answered_at", "first_reply_at"),
    ("contact", "answered_at", "end_at"),
    ("contact", "abandoned_at", "end_at"),
    ("work_order", "created_at", "dispatched_at"),
    ("work_order", "dispatched_at", "arrived_at"),
    ("work_order", "arrived_at", "completed_at"),
    ("work_order", "created_at", "completed_at"),
    ("work_order", "created_at", "committed_by"),
    ("work_order", "created_at", "cancelled_at"),
    ("work_order", "cancelled_at", "appointment_start"),
    ("work_order", "appointment_start", "appointment_end"),
    ("complaint", "received_at", "answered_at"),
    ("complaint", "answered_at", "resolved_at"),
];

#[test]
fn time_runs_forward_in_every_row_and_nothing_happens_after_the_period() {
    let (dir, summary) = week();
    let cutoff = common::ts(&format!(
        "{}T00:00:00+08:00",
        summary.last_day.succ_opt().expect("next day")
    ));
    let mut tables: BTreeMap<&str, Arc<Table>> = BTreeMap::new();
    for (kind, a, b) in ORDER {
        let t = tables.entry(kind).or_insert_with(|| read(dir, kind));
        for row in &t.rows {
            if let Some(d) = secs(t.ts(row, a), t.ts(row, b)) {
                assert!(d >= 0, "{kind}: {b} before {a} in {row:?}");
            }
        }
    }
    // Instants of things that happened (not promises or booked appointments) lie before
    // the start of the day after the period.
    let happened: &[(&str, &[&str])] = &[
        (
            "hall_ticket",
            &["issued_at", "called_at", "service_end_at", "left_at"],
        ),
        (
            "contact",
            &["ivr_entry_at", "answered_at", "abandoned_at", "end_at"],
        ),
        (
            "work_order",
            &["created_at", "arrived_at", "completed_at", "cancelled_at"],
        ),
        ("complaint", &["received_at", "answered_at", "resolved_at"]),
        ("survey", &["answered_at"]),
    ];
    for (kind, cols) in happened {
        let t = tables.entry(kind).or_insert_with(|| read(dir, kind));
        for row in &t.rows {
            for c in *cols {
                assert!(
                    t.ts(row, c).is_none_or(|v| v < cutoff),
                    "{kind}.{c} after the period: {row:?}"
                );
            }
        }
    }
}

#[test]
fn outcomes_carry_the_fields_they_imply() {
    let (dir, _) = week();
    let t = read(dir, "hall_ticket");
    for row in &t.rows {
        let needs: &[&str] = match t.get(row, "outcome") {
            Some("served" | "transferred") => &[
                "called_at",
                "service_start_at",
                "service_end_at",
                "counter_id",
                "staff_id",
            ],
            Some("no_show") => &["called_at"],
            Some("left") => &["left_at"],
            other => panic!("outcome {other:?}"),
        };
        assert!(needs.iter().all(|f| t.get(row, f).is_some()), "{row:?}");
    }
    let c = read(dir, "contact");
    for row in &c.rows {
        let needs: &[&str] = match c.get(row, "outcome") {
            Some("answered") => &[
                "queue_entry_at",
                "answered_at",
                "agent_id",
                "talk_s",
                "acw_s",
                "resolved",
            ],
            Some("abandoned") => &["queue_entry_at", "abandoned_at"],
            Some("ivr_only") => &["ivr_entry_at", "ivr_exit_at"],
            other => panic!("outcome {other:?}"),
        };
        assert!(needs.iter().all(|f| c.get(row, f).is_some()), "{row:?}");
        if c.get(row, "outcome") == Some("ivr_only") {
            assert!(
                c.get(row, "queue_entry_at").is_none(),
                "IVR-contained contacts never queue"
            );
        }
    }
    let w = read(dir, "work_order");
    for row in &w.rows {
        let completed = w.get(row, "completed_at").is_some();
        assert_eq!(
            w.get(row, "status") == Some("completed"),
            completed,
            "{row:?}"
        );
        if let (Some(s), Some(e)) = (w.ts(row, "appointment_start"), w.ts(row, "appointment_end")) {
            assert!(
                (e - s).num_seconds() <= 5 * 3600,
                "appointment windows are at most 5 h"
            );
        }
    }
    let a = read(dir, "agent_interval");
    for row in &a.rows {
        let (busy, staffed) = (
            a.num(row, "busy_s").expect("busy"),
            a.num(row, "staffed_s").expect("staffed"),
        );
        assert!(busy <= staffed && staffed <= 1800.0, "{row:?}");
    }
}

#[test]
fn a_week_has_the_expected_volume() {
    let (_, summary) = week();
    // About 1.25 million rows in 90 days, so roughly 95 000 in a week.
    let total = summary.total_rows();
    assert!((70_000..=130_000).contains(&total), "{total}");
    let rows = |k: &str| summary.rows(k).expect("kind");
    assert!(
        (25_000..=55_000).contains(&rows("hall_ticket")),
        "{}",
        rows("hall_ticket")
    );
    assert!(
        (25_000..=55_000).contains(&rows("contact")),
        "{}",
        rows("contact")
    );
    assert!(
        (3_000..=7_000).contains(&rows("work_order")),
        "{}",
        rows("work_order")
    );
    assert!(
        (5_000..=12_000).contains(&rows("agent_interval")),
        "{}",
        rows("agent_interval")
    );
    assert!(rows("complaint") > 100 && rows("survey") > 3_000);
    // One row per site for the single month the week falls in.
    assert_eq!(rows("subscriber_base"), summary.sites as u64);
}
