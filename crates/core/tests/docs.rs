//! Documentation generated from code stays in sync with it.

#[test]
fn records_doc_matches_the_field_declarations() {
    let doc = include_str!("../../../docs/records.md");
    let want = yardstick_core::records::render_markdown();
    assert!(
        doc == want,
        "docs/records.md is stale; regenerate it with `cargo xtask docs`"
    );
}
