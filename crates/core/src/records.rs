//! Record kinds and their canonical fields.
//!
//! This is the single declaration of what each record kind holds. The guideline
//! validator checks indicator filters and measures against it, the engine derives its
//! Arrow schemas from it, and `docs/records.md` documents it for integrators.
//! Derived fields are not imported: the engine computes them from other rows (for
//! example "another contact by the same customer on the same issue within 7 days").

use serde::{Deserialize, Serialize};

use crate::vocab::Scene;

/// The kinds of record Yardstick ingests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// One queue ticket in a business hall.
    HallTicket,
    /// One customer contact with a call centre.
    Contact,
    /// One installation, move, change or repair order.
    WorkOrder,
    /// One complaint (and whether it became an appeal).
    Complaint,
    /// One survey answer.
    Survey,
    /// Users (or lines) served per organisation node and period.
    SubscriberBase,
    /// One agent's staffed, scheduled and busy time in one interval (for occupancy and
    /// schedule adherence).
    AgentInterval,
}

impl RecordKind {
    /// All record kinds in canonical order.
    pub const ALL: [RecordKind; 7] = [
        RecordKind::HallTicket,
        RecordKind::Contact,
        RecordKind::WorkOrder,
        RecordKind::Complaint,
        RecordKind::Survey,
        RecordKind::SubscriberBase,
        RecordKind::AgentInterval,
    ];

    /// Canonical spelling used in files and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::HallTicket => "hall_ticket",
            RecordKind::Contact => "contact",
            RecordKind::WorkOrder => "work_order",
            RecordKind::Complaint => "complaint",
            RecordKind::Survey => "survey",
            RecordKind::SubscriberBase => "subscriber_base",
            RecordKind::AgentInterval => "agent_interval",
        }
    }

    /// Parses the canonical spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The fields of this kind, imported ones first, then derived ones.
    #[must_use]
    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            RecordKind::HallTicket => HALL_TICKET,
            RecordKind::Contact => CONTACT,
            RecordKind::WorkOrder => WORK_ORDER,
            RecordKind::Complaint => COMPLAINT,
            RecordKind::Survey => SURVEY,
            RecordKind::SubscriberBase => SUBSCRIBER_BASE,
            RecordKind::AgentInterval => AGENT_INTERVAL,
        }
    }

    /// Looks up one field by name.
    #[must_use]
    pub fn field(self, name: &str) -> Option<&'static FieldDef> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// Comma-separated list of the field names, for error messages.
    #[must_use]
    pub fn field_list(self) -> String {
        self.fields()
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The rules across fields that a row of this kind must keep; a row that breaks one
    /// is quarantined with the reason.
    #[must_use]
    pub fn rules(self) -> &'static [Rule] {
        use Rule::{AtMost, InRange, NeedsWhen, NotBefore};
        match self {
            RecordKind::HallTicket => &[
                NotBefore("called_at", "issued_at"),
                NotBefore("service_start_at", "issued_at"),
                NotBefore("service_end_at", "service_start_at"),
                NotBefore("left_at", "issued_at"),
                NotBefore("done_at", "settled_at"),
                InRange("call_count", 0.0, None),
                NeedsWhen("outcome", "served", "called_at"),
                NeedsWhen("outcome", "no_show", "called_at"),
            ],
            RecordKind::Contact => &[
                NotBefore("ivr_exit_at", "ivr_entry_at"),
                NotBefore("answered_at", "queue_entry_at"),
                NotBefore("abandoned_at", "queue_entry_at"),
                NotBefore("first_reply_at", "queue_entry_at"),
                NotBefore("end_at", "answered_at"),
                InRange("talk_s", 0.0, None),
                InRange("hold_s", 0.0, None),
                InRange("acw_s", 0.0, None),
                InRange("qa_score", 0.0, Some(100.0)),
                NeedsWhen("outcome", "answered", "answered_at"),
                NeedsWhen("outcome", "abandoned", "abandoned_at"),
            ],
            RecordKind::WorkOrder => &[
                NotBefore("dispatched_at", "created_at"),
                NotBefore("arrived_at", "created_at"),
                NotBefore("completed_at", "created_at"),
                NotBefore("appointment_end", "appointment_start"),
                InRange("pause_s", 0.0, None),
                InRange("visit_count", 0.0, None),
                NeedsWhen("status", "completed", "completed_at"),
            ],
            RecordKind::Complaint => &[
                NotBefore("answered_at", "received_at"),
                NotBefore("resolved_at", "received_at"),
            ],
            RecordKind::Survey => &[
                InRange("csat", 1.0, Some(5.0)),
                InRange("nps", 0.0, Some(10.0)),
            ],
            RecordKind::SubscriberBase => {
                &[InRange("users", 0.0, None), InRange("bills", 0.0, None)]
            }
            RecordKind::AgentInterval => &[
                InRange("scheduled_s", 0.0, None),
                InRange("staffed_s", 0.0, None),
                InRange("busy_s", 0.0, None),
                InRange("adherent_s", 0.0, None),
                AtMost("busy_s", "staffed_s"),
            ],
        }
    }

    /// The scene of the sites that own records of this kind; `None` when any site or
    /// organisation node may (complaints, surveys, subscriber bases).
    #[must_use]
    pub fn scene(self) -> Option<Scene> {
        match self {
            RecordKind::HallTicket => Some(Scene::Hall),
            RecordKind::Contact | RecordKind::AgentInterval => Some(Scene::CallCentre),
            RecordKind::WorkOrder => Some(Scene::FieldCentre),
            RecordKind::Complaint | RecordKind::Survey | RecordKind::SubscriberBase => None,
        }
    }

    /// The field naming a record's id, unique within its site; `None` for kinds without
    /// ids.
    #[must_use]
    pub fn id_field(self) -> Option<&'static str> {
        match self {
            RecordKind::HallTicket => Some("ticket_id"),
            RecordKind::Contact => Some("contact_id"),
            RecordKind::WorkOrder => Some("order_id"),
            RecordKind::Complaint => Some("complaint_id"),
            RecordKind::Survey => Some("survey_id"),
            RecordKind::SubscriberBase | RecordKind::AgentInterval => None,
        }
    }

    /// The instants, in order of preference, whose local day a record belongs to; a row
    /// needs one of them.
    #[must_use]
    pub fn anchor_fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::HallTicket => &["issued_at"],
            RecordKind::Contact => &[
                "queue_entry_at",
                "ivr_entry_at",
                "answered_at",
                "abandoned_at",
                "end_at",
            ],
            RecordKind::WorkOrder => &["created_at"],
            RecordKind::Complaint => &["received_at"],
            RecordKind::Survey => &["answered_at"],
            RecordKind::SubscriberBase => &["period_start"],
            RecordKind::AgentInterval => &["interval_start"],
        }
    }
}

/// A rule across the fields of one record. A rule on a field a row leaves empty holds
/// (except [`Rule::NeedsWhen`], which asks for the field).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// The first instant is not before the second: `NotBefore("called_at", "issued_at")`.
    NotBefore(&'static str, &'static str),
    /// A number between a lowest and (when given) a highest value, both included.
    InRange(&'static str, f64, Option<f64>),
    /// When the first field holds the value, the last field is set:
    /// `NeedsWhen("outcome", "answered", "answered_at")`.
    NeedsWhen(&'static str, &'static str, &'static str),
    /// The first number is at most the second: `AtMost("busy_s", "staffed_s")`.
    AtMost(&'static str, &'static str),
}

impl Rule {
    /// The rule in words, for `docs/records.md`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Rule::NotBefore(later, earlier) => format!("`{later}` is not before `{earlier}`"),
            Rule::InRange(field, lo, None) => format!("`{field}` is at least {lo}"),
            Rule::InRange(field, lo, Some(hi)) => format!("`{field}` is between {lo} and {hi}"),
            Rule::NeedsWhen(field, value, needs) => {
                format!("`{needs}` is set when `{field}` is `{value}`")
            }
            Rule::AtMost(field, limit) => format!("`{field}` is at most `{limit}`"),
        }
    }
}

/// The earliest instant a record may carry (year, month, day, UTC): no operator's
/// systems hold service records from before 2000, so older instants are quarantined as
/// implausible, like those more than a day after the import.
pub const EARLIEST_RECORD: (i32, u32, u32) = (2000, 1, 1);

/// The type of a record field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text or an opaque id.
    Str,
    /// One of a fixed list of values.
    Enum(&'static [&'static str]),
    /// An instant (stored in UTC).
    Timestamp,
    /// A whole number.
    Int,
    /// A real number (durations in seconds, scores).
    Float,
    /// true / false.
    Bool,
}

impl FieldType {
    /// Short name for documentation and errors.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Str => "string",
            FieldType::Enum(_) => "enum",
            FieldType::Timestamp => "timestamp",
            FieldType::Int => "integer",
            FieldType::Float => "number",
            FieldType::Bool => "boolean",
        }
    }
}

/// One field of a record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// Canonical field name.
    pub name: &'static str,
    /// Field type.
    pub ty: FieldType,
    /// Whether an imported row must have it.
    pub required: bool,
    /// Whether the engine computes it (never imported).
    pub derived: bool,
    /// An instant that may lie ahead of the import (a deadline, a booking), as opposed
    /// to one that records something that happened.
    pub ahead: bool,
    /// What the field means (English; documentation).
    pub doc: &'static str,
}

const fn req(name: &'static str, ty: FieldType, doc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty,
        required: true,
        derived: false,
        ahead: false,
        doc,
    }
}

const fn opt(name: &'static str, ty: FieldType, doc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty,
        required: false,
        derived: false,
        ahead: false,
        doc,
    }
}

const fn derived(name: &'static str, ty: FieldType, doc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty,
        required: false,
        derived: true,
        ahead: false,
        doc,
    }
}

/// An optional instant that may lie ahead of the import: a deadline or a booking.
const fn ahead(name: &'static str, doc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty: FieldType::Timestamp,
        required: false,
        derived: false,
        ahead: true,
        doc,
    }
}

use FieldType::{Bool, Enum, Float, Int, Str, Timestamp};

/// Customer classes used for differentiated targets.
pub const CUSTOMER_CLASSES: &[&str] = &["ordinary", "vip", "elderly", "enterprise", "disabled"];

/// Hall ticket outcomes.
pub const HALL_OUTCOMES: &[&str] = &["served", "no_show", "left", "transferred"];

/// Contact outcomes.
pub const CONTACT_OUTCOMES: &[&str] = &[
    "answered",
    "abandoned",
    "ivr_only",
    "overflowed",
    "callback",
];

/// Work order kinds.
pub const WORK_ORDER_KINDS: &[&str] = &["install", "move", "change", "repair"];

static HALL_TICKET: &[FieldDef] = &[
    req("site_id", Str, "site that issued the ticket"),
    req("ticket_id", Str, "ticket id, unique within the site"),
    req(
        "service_type",
        Str,
        "business type (e.g. payment, sim_replacement, new_line, change, reconnect, enquiry)",
    ),
    opt(
        "customer_class",
        Enum(CUSTOMER_CLASSES),
        "customer class; ordinary when absent",
    ),
    req("issued_at", Timestamp, "ticket taken (arrival in queue)"),
    opt(
        "called_at",
        Timestamp,
        "last call of the ticket (the last one counts when re-called)",
    ),
    opt("call_count", Int, "number of times the ticket was called"),
    opt(
        "service_start_at",
        Timestamp,
        "service started at the counter",
    ),
    opt("service_end_at", Timestamp, "service ended"),
    opt(
        "left_at",
        Timestamp,
        "customer left without service (walk-away)",
    ),
    req(
        "outcome",
        Enum(HALL_OUTCOMES),
        "served, no_show (called, did not come), left (walk-away), transferred",
    ),
    opt("counter_id", Str, "counter that served"),
    opt("staff_id", Str, "staff member who served"),
    opt("appointment", Bool, "ticket from a booked appointment"),
    opt("customer_key", Str, "opaque customer key"),
    opt(
        "request_key",
        Str,
        "opaque key of the customer's request (same request on a revisit)",
    ),
    opt(
        "settled_at",
        Timestamp,
        "change/reconnection: formalities completed and account settled",
    ),
    opt(
        "done_at",
        Timestamp,
        "change/reconnection: change effective",
    ),
    opt(
        "error_found",
        Bool,
        "transaction later found wrong (audit, complaint, rework)",
    ),
    derived(
        "revisit_7d",
        Bool,
        "same customer and request seen again within 7 days after this ticket",
    ),
];

static CONTACT: &[FieldDef] = &[
    req("site_id", Str, "call centre site"),
    req("contact_id", Str, "contact id, unique within the site"),
    req("channel", Enum(&["voice", "chat", "video"]), "channel"),
    opt("queue", Str, "queue or skill"),
    opt("ivr_entry_at", Timestamp, "entered the IVR"),
    opt("ivr_exit_at", Timestamp, "left the IVR"),
    opt(
        "queue_entry_at",
        Timestamp,
        "entered the agent queue (absent for IVR-contained contacts)",
    ),
    opt("answered_at", Timestamp, "answered by an agent"),
    opt("abandoned_at", Timestamp, "caller hung up while queued"),
    opt("first_reply_at", Timestamp, "chat/video: first agent reply"),
    opt("end_at", Timestamp, "contact ended"),
    req(
        "outcome",
        Enum(CONTACT_OUTCOMES),
        "answered, abandoned, ivr_only, overflowed, callback",
    ),
    opt("agent_id", Str, "agent"),
    opt("talk_s", Float, "talk seconds"),
    opt("hold_s", Float, "hold seconds"),
    opt("acw_s", Float, "after-call work seconds"),
    opt("transferred", Bool, "transferred to another queue"),
    opt("customer_key", Str, "opaque customer key"),
    opt("issue_class", Str, "issue class"),
    opt("resolved", Bool, "resolved as recorded by the agent"),
    opt(
        "qa_score",
        Float,
        "quality-assurance score 0–100 when the contact was monitored",
    ),
    derived(
        "repeat_7d",
        Bool,
        "same customer and issue class contacted again within 7 days after this contact",
    ),
];

static WORK_ORDER: &[FieldDef] = &[
    req("site_id", Str, "field centre"),
    req("order_id", Str, "order id, unique within the site"),
    req(
        "kind",
        Enum(WORK_ORDER_KINDS),
        "install, move, change, repair",
    ),
    opt(
        "service",
        Enum(&["broadband", "fixed", "mobile", "tv", "other"]),
        "service",
    ),
    opt(
        "area_class",
        Enum(&["urban", "rural", "major_rural", "minor_rural", "remote"]),
        "area class of the premises; the site's when absent",
    ),
    opt("customer_key", Str, "opaque customer key"),
    opt("line_key", Str, "opaque line key"),
    req("created_at", Timestamp, "order created or fault reported"),
    ahead(
        "committed_by",
        "deadline promised to the customer (may lie up to a year ahead of the import)",
    ),
    ahead(
        "appointment_start",
        "appointment window start (may lie up to a year ahead)",
    ),
    ahead(
        "appointment_end",
        "appointment window end (may lie up to a year ahead)",
    ),
    opt("cancelled_at", Timestamp, "appointment cancelled at"),
    opt(
        "cancelled_by",
        Enum(&["operator", "customer"]),
        "who cancelled the appointment",
    ),
    opt("dispatched_at", Timestamp, "dispatched to a technician"),
    opt("arrived_at", Timestamp, "technician arrived"),
    opt(
        "completed_at",
        Timestamp,
        "service working / fault restored",
    ),
    req(
        "status",
        Enum(&["open", "completed", "cancelled"]),
        "order status",
    ),
    opt(
        "cause_class",
        Enum(&["network", "customer", "terminal", "force_majeure", "other"]),
        "fault cause",
    ),
    opt("pause_s", Float, "customer-caused pause, seconds"),
    opt(
        "exclusion",
        Enum(&[
            "terminal_fault",
            "force_majeure",
            "mass_outage",
            "customer_side",
        ]),
        "reason the order is excluded from time-limit indicators",
    ),
    opt("visit_count", Int, "number of visits made"),
    opt("technician_id", Str, "technician"),
    opt(
        "compensation_due",
        Bool,
        "late or missed: compensation is due",
    ),
    opt("compensation_paid", Bool, "compensation credited"),
    derived(
        "elapsed_h",
        Float,
        "hours from created_at to completed_at minus pause_s",
    ),
    derived(
        "working_days",
        Int,
        "working days of the site calendar from created_at to completed_at",
    ),
    derived(
        "repeat_30d",
        Bool,
        "another repair on the same line reported within 30 days after this one was completed",
    ),
    derived(
        "revisit_30d",
        Bool,
        "another visit for the same customer and kind within 30 days after completion",
    ),
];

static COMPLAINT: &[FieldDef] = &[
    req(
        "site_id",
        Str,
        "site or organisation node the complaint is attributed to",
    ),
    req("complaint_id", Str, "complaint id"),
    opt("channel", Str, "channel received through"),
    req(
        "class",
        Enum(&["user_service", "network_quality", "billing"]),
        "complaint class",
    ),
    req("received_at", Timestamp, "received"),
    opt(
        "answered_at",
        Timestamp,
        "first substantive answer to the customer",
    ),
    opt("resolved_at", Timestamp, "resolved"),
    opt(
        "appealed",
        Bool,
        "became an appeal (申诉) accepted by the regulator",
    ),
    opt("billing_error", Bool, "a billing error was confirmed"),
    opt("bill_id", Str, "bill concerned"),
    opt("customer_key", Str, "opaque customer key"),
    opt("issue_key", Str, "opaque key of the issue"),
    opt(
        "linked_record",
        Str,
        "id of a related ticket, contact or order",
    ),
    derived(
        "repeat_30d",
        Bool,
        "same customer and issue complained about again within 30 days",
    ),
    derived(
        "open_days",
        Float,
        "days from received_at to the end of the evaluated period while unanswered; NULL once answered",
    ),
];

static SURVEY: &[FieldDef] = &[
    req("site_id", Str, "site surveyed about"),
    req("survey_id", Str, "survey answer id"),
    req(
        "scene",
        Enum(&["hall", "call_centre", "field_centre"]),
        "scene of the experience",
    ),
    opt("linked_record", Str, "ticket, contact or order surveyed"),
    req("answered_at", Timestamp, "answered"),
    opt("csat", Int, "satisfaction 1–5"),
    opt("nps", Int, "likelihood to recommend 0–10"),
    opt("text", Str, "free text"),
];

static SUBSCRIBER_BASE: &[FieldDef] = &[
    req("site_id", Str, "site or organisation node"),
    req("period_start", Timestamp, "start of the period"),
    req(
        "users",
        Int,
        "users (or lines, or bills) served in the period",
    ),
    opt("bills", Int, "bills issued in the period"),
];

static AGENT_INTERVAL: &[FieldDef] = &[
    req("site_id", Str, "call centre site"),
    req("agent_id", Str, "agent"),
    req("interval_start", Timestamp, "start of the interval"),
    opt("scheduled_s", Float, "scheduled seconds"),
    req("staffed_s", Float, "logged-in seconds"),
    req(
        "busy_s",
        Float,
        "handling seconds (talk + hold + after-call work)",
    ),
    opt("adherent_s", Float, "seconds in the scheduled state"),
];

/// The record reference (`docs/records.md`) rendered from these declarations, so the
/// document cannot drift from the code (a test compares them).
#[must_use]
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Record kinds\n\n\
Generated from `crates/core/src/records.rs` (a test keeps this file in sync).\n\n\
Files are canonical CSV (header = field names, UTF-8, optional BOM) or JSON Lines (one\n\
object per line). An empty cell or JSON `null` is NULL. Timestamps are RFC 3339 with an\n\
offset (`2026-10-08T09:15:02+08:00`) or local `YYYY-MM-DD HH:MM:SS` in the site's time\n\
zone; they are stored in UTC. Booleans are `true`/`false` (also `1`/`0`, `yes`/`no`).\n\
Ids and keys are opaque strings: hash personal data before export. Derived fields are\n\
computed by Yardstick and never imported. Columns that are not fields are reported and\n\
ignored. Under each kind, the checks a row must pass: a row that fails one is\n\
quarantined (`quarantine/<kind>-r<…>.csv` gives its line, every reason and the original),\n\
never stored.\n",
    );
    for kind in RecordKind::ALL {
        out.push_str(&format!(
            "\n## `{}`\n\n| field | type | required | meaning |\n|---|---|---|---|\n",
            kind.as_str()
        ));
        for f in kind.fields() {
            let ty = match f.ty {
                FieldType::Enum(values) => format!(
                    "one of {}",
                    values
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => other.name().to_string(),
            };
            let req = if f.derived {
                "derived"
            } else if f.required {
                "yes"
            } else {
                ""
            };
            out.push_str(&format!("| `{}` | {ty} | {req} | {} |\n", f.name, f.doc));
        }
        out.push_str(&rules_markdown(kind));
    }
    out
}

/// What quarantines a row of `kind`: the general checks with what they mean for this
/// kind, then its rules across fields.
fn rules_markdown(kind: RecordKind) -> String {
    let mut out = String::from("\nA row is quarantined, with the reason, unless:\n\n");
    let site = match kind.scene() {
        Some(scene) => format!(
            "- `site_id` names a site of the organisation that is a {} (`{}`)\n",
            scene.label(crate::vocab::Lang::En),
            scene.as_str()
        ),
        None => "- `site_id` names a site or a node of the organisation\n".to_string(),
    };
    out.push_str(&site);
    out.push_str("- every required field is set and every value reads as its type\n");
    let anchors = kind
        .anchor_fields()
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if kind.anchor_fields().len() > 1 {
        out.push_str(&format!(
            "- one of {anchors} is set (the first set gives the row its day)\n"
        ));
    }
    let (y, m, d) = EARLIEST_RECORD;
    out.push_str(&format!(
        "- every instant is plausible: from {y:04}-{m:02}-{d:02} (UTC) to one day after the import\n"
    ));
    if let Some(id) = kind.id_field() {
        out.push_str(&format!(
            "- `{id}` is not taken already at its site, by an earlier row of the file or a stored row (a duplicate; with `--replace`, a stored row on a day the file covers is replaced instead)\n"
        ));
    }
    for rule in kind.rules() {
        out.push_str(&format!("- {}\n", rule.describe()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_unique_within_each_kind() {
        for kind in RecordKind::ALL {
            let mut names: Vec<_> = kind.fields().iter().map(|f| f.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{}", kind.as_str());
        }
    }

    #[test]
    fn every_kind_has_a_site_and_parses_back() {
        for kind in RecordKind::ALL {
            assert!(kind.field("site_id").is_some());
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
        }
    }
}
