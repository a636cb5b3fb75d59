//! Parsing and checking one record: text cells → typed values, with every problem
//! named (field, value, what was expected).

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use yardstick_core::expr::Value;
use yardstick_core::records::{FieldDef, FieldType, RecordKind};

/// Parses one cell. Empty text is NULL.
///
/// # Errors
/// A message naming the field, the value and what was expected.
pub fn cell(field: &FieldDef, text: &str, tz: Option<Tz>) -> Result<Value, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Value::Null);
    }
    let name = field.name;
    match field.ty {
        FieldType::Str => Ok(Value::Str(t.to_string())),
        FieldType::Enum(values) => {
            if values.contains(&t) {
                Ok(Value::Str(t.to_string()))
            } else {
                Err(format!("{name}: `{t}` is not one of {}", values.join(", ")))
            }
        }
        FieldType::Int => t
            .parse::<i64>()
            .map(|v| {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "record integers are small counts"
                )]
                let f = v as f64;
                Value::Num(f)
            })
            .map_err(|_| format!("{name}: `{t}` is not an integer")),
        FieldType::Float => match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Value::Num(v)),
            _ => Err(format!("{name}: `{t}` is not a finite number")),
        },
        FieldType::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "n" => Ok(Value::Bool(false)),
            _ => Err(format!("{name}: `{t}` is not a boolean (true/false)")),
        },
        FieldType::Timestamp => timestamp(t, tz)
            .map(Value::Ts)
            .map_err(|e| format!("{name}: {e}")),
    }
}

/// Parses an instant: RFC 3339 with offset, or local `YYYY-MM-DD HH:MM:SS` (or with `T`)
/// in the site's time zone. Returns UTC milliseconds.
///
/// # Errors
/// When the text is neither, or the local time does not exist or is ambiguous there.
pub fn timestamp(t: &str, tz: Option<Tz>) -> Result<i64, String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    let local = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            format!(
                "`{t}` is not RFC 3339 (2026-10-08T09:15:02+08:00) or local YYYY-MM-DD HH:MM:SS"
            )
        })?;
    let Some(tz) = tz else {
        return Err(format!(
            "`{t}` has no offset and the site's time zone is unknown"
        ));
    };
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(dt) => Ok(dt.timestamp_millis()),
        chrono::LocalResult::Ambiguous(..) => Err(format!(
            "`{t}` is ambiguous in {tz} (clock change); give an offset"
        )),
        chrono::LocalResult::None => Err(format!("`{t}` does not exist in {tz} (clock change)")),
    }
}

/// Pairs of timestamp fields that must be in order (`earlier` ≤ `later`) when both are set.
#[must_use]
pub fn time_order(kind: RecordKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        RecordKind::HallTicket => &[
            ("issued_at", "called_at"),
            ("issued_at", "service_start_at"),
            ("service_start_at", "service_end_at"),
            ("issued_at", "left_at"),
            ("settled_at", "done_at"),
        ],
        RecordKind::Contact => &[
            ("ivr_entry_at", "ivr_exit_at"),
            ("queue_entry_at", "answered_at"),
            ("queue_entry_at", "abandoned_at"),
            ("queue_entry_at", "first_reply_at"),
            ("answered_at", "end_at"),
        ],
        RecordKind::WorkOrder => &[
            ("created_at", "dispatched_at"),
            ("created_at", "arrived_at"),
            ("created_at", "completed_at"),
            ("appointment_start", "appointment_end"),
        ],
        RecordKind::Complaint => &[
            ("received_at", "answered_at"),
            ("received_at", "resolved_at"),
        ],
        RecordKind::Survey | RecordKind::SubscriberBase | RecordKind::AgentInterval => &[],
    }
}

/// Range and consistency rules beyond types: returns every violation.
#[must_use]
pub fn rules(kind: RecordKind, get: &dyn Fn(&str) -> Value) -> Vec<String> {
    let mut out = Vec::new();
    for (a, b) in time_order(kind) {
        if let (Value::Ts(x), Value::Ts(y)) = (get(a), get(b))
            && y < x
        {
            out.push(format!("{b} is before {a}"));
        }
    }
    let num = |f: &str| match get(f) {
        Value::Num(v) => Some(v),
        _ => None,
    };
    let ranges: &[(&str, f64, Option<f64>)] = match kind {
        RecordKind::Contact => &[
            ("talk_s", 0.0, None),
            ("hold_s", 0.0, None),
            ("acw_s", 0.0, None),
            ("qa_score", 0.0, Some(100.0)),
        ],
        RecordKind::Survey => &[("csat", 1.0, Some(5.0)), ("nps", 0.0, Some(10.0))],
        RecordKind::WorkOrder => &[("pause_s", 0.0, None), ("visit_count", 0.0, None)],
        RecordKind::SubscriberBase => &[("users", 0.0, None), ("bills", 0.0, None)],
        RecordKind::AgentInterval => &[
            ("scheduled_s", 0.0, None),
            ("staffed_s", 0.0, None),
            ("busy_s", 0.0, None),
            ("adherent_s", 0.0, None),
        ],
        RecordKind::HallTicket => &[("call_count", 0.0, None)],
        RecordKind::Complaint => &[],
    };
    for (f, lo, hi) in ranges {
        if let Some(v) = num(f)
            && (v < *lo || hi.is_some_and(|h| v > h))
        {
            let range = hi.map_or_else(|| format!("≥ {lo}"), |h| format!("in {lo}..={h}"));
            out.push(format!("{f}: {v} is out of range (expected {range})"));
        }
    }
    let outcome = match get("outcome") {
        Value::Str(s) => s,
        _ => String::new(),
    };
    let needs: &[(&str, &str)] = match kind {
        RecordKind::Contact => &[("answered", "answered_at"), ("abandoned", "abandoned_at")],
        RecordKind::HallTicket => &[("served", "called_at"), ("no_show", "called_at")],
        RecordKind::WorkOrder => &[],
        _ => &[],
    };
    for (o, f) in needs {
        if outcome == *o && matches!(get(f), Value::Null) {
            out.push(format!("outcome `{o}` needs {f}"));
        }
    }
    if kind == RecordKind::WorkOrder
        && matches!(get("status"), Value::Str(s) if s == "completed")
        && matches!(get("completed_at"), Value::Null)
    {
        out.push("status `completed` needs completed_at".to_string());
    }
    if kind == RecordKind::AgentInterval
        && let (Some(b), Some(s)) = (num("busy_s"), num("staffed_s"))
        && b > s
    {
        out.push(format!("busy_s ({b}) exceeds staffed_s ({s})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_offset_and_local_agree() {
        // 09:15:02 in Shanghai (UTC+8) is 01:15:02 UTC.
        let a = timestamp("2026-10-08T09:15:02+08:00", None).expect("rfc3339");
        let b = timestamp("2026-10-08 09:15:02", Some(chrono_tz::Asia::Shanghai)).expect("local");
        assert_eq!(a, b);
        assert_eq!(a, 1_791_422_102_000);
        assert!(timestamp("08/10/2026 09:15", Some(chrono_tz::Asia::Shanghai)).is_err());
        assert!(
            timestamp("2026-10-08 09:15:02", None)
                .expect_err("no tz")
                .contains("time zone")
        );
    }

    #[test]
    fn nonexistent_local_times_are_rejected() {
        // 2026-03-29 01:30 does not exist in London (clocks go from 01:00 to 02:00).
        let e = timestamp("2026-03-29 01:30:00", Some(chrono_tz::Europe::London)).expect_err("gap");
        assert!(e.contains("does not exist"), "{e}");
    }
}
