//! Arrow schemas of the record kinds, derived from core's field declarations.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, TimeUnit};
use yardstick_core::records::{FieldDef, FieldType, RecordKind};

/// Arrow type of a core field type. Instants are stored as UTC milliseconds.
#[must_use]
pub fn arrow_type(ty: FieldType) -> DataType {
    match ty {
        FieldType::Str | FieldType::Enum(_) => DataType::Utf8,
        FieldType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        FieldType::Int => DataType::Int64,
        FieldType::Float => DataType::Float64,
        FieldType::Bool => DataType::Boolean,
    }
}

/// Imported (non-derived) fields of a kind, in declaration order.
#[must_use]
pub fn stored_fields(kind: RecordKind) -> Vec<&'static FieldDef> {
    kind.fields().iter().filter(|f| !f.derived).collect()
}

/// The Parquet/Arrow schema of a kind: every imported field, nullable unless required.
#[must_use]
pub fn schema(kind: RecordKind) -> Arc<Schema> {
    let fields: Vec<Field> = stored_fields(kind)
        .iter()
        .map(|f| Field::new(f.name, arrow_type(f.ty), !f.required))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Fields whose values are (nearly) all different: instants, the record's id, opaque
/// keys and free text. Parquet dictionary encoding only costs time on them (the
/// dictionary outgrows its page and is abandoned), so they are written without one
/// (instants delta-encoded, the others plain; see the import writer).
#[must_use]
pub fn unlike_values(kind: RecordKind) -> Vec<&'static str> {
    let id = id_field(kind);
    stored_fields(kind)
        .into_iter()
        .filter(|f| {
            matches!(f.ty, FieldType::Timestamp)
                || Some(f.name) == id
                || f.name.ends_with("_key")
                || matches!(f.name, "bill_id" | "linked_record" | "text")
        })
        .map(|f| f.name)
        .collect()
}

/// The field naming a record's id within its site (declared in core).
#[must_use]
pub fn id_field(kind: RecordKind) -> Option<&'static str> {
    kind.id_field()
}

/// The timestamps, in order of preference, whose local day a record belongs to
/// (declared in core).
#[must_use]
pub fn anchor_fields(kind: RecordKind) -> &'static [&'static str] {
    kind.anchor_fields()
}

/// The scene a site must have to own records of this kind (`None` = any site or node;
/// declared in core).
#[must_use]
pub fn required_scene(kind: RecordKind) -> Option<yardstick_core::vocab::Scene> {
    kind.scene()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_ids_and_keys_are_written_without_a_dictionary() {
        // Contact fields (core's records): seven instants, the id and the customer key
        // take a different value on nearly every row; site, channel, queue, agent and
        // issue class repeat a few values, and numbers and booleans are left as they are.
        let plain = unlike_values(RecordKind::Contact);
        assert_eq!(
            plain,
            [
                "contact_id",
                "ivr_entry_at",
                "ivr_exit_at",
                "queue_entry_at",
                "answered_at",
                "abandoned_at",
                "first_reply_at",
                "end_at",
                "customer_key",
            ]
        );
        assert!(unlike_values(RecordKind::SubscriberBase).contains(&"period_start"));
        assert!(!unlike_values(RecordKind::SubscriberBase).contains(&"site_id"));
    }
}
