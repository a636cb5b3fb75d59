//! Loading guidelines: the default validates, mistakes are all reported with their lines,
//! nothing is half-loaded, and diff lists what changed.

use yardstick_core::guideline::{DEFAULT_TOML, default_guideline, diff, load};

/// 1-based line of the first occurrence of `needle` in `src`.
fn line_of(src: &str, needle: &str) -> usize {
    let at = src
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the source"));
    src[..at].matches('\n').count() + 1
}

#[test]
fn the_default_guideline_validates() {
    let g = default_guideline().expect("the bundled guideline is valid");
    assert_eq!(g.id, "yardstick-default");
    assert_eq!(g.fingerprint().len(), 64);
}

#[test]
fn three_mistakes_are_reported_at_once_with_their_lines() {
    // Mistake 1: a filter names a field that does not exist (`caled_at`).
    let one = DEFAULT_TOML.replacen(
        "filter = \"called_at IS NOT NULL\"",
        "filter = \"caled_at IS NOT NULL\"",
        1,
    );
    // Mistake 2: a clause names a dimension that does not exist (`peple`).
    let two = one.replacen("dimension = \"people\"", "dimension = \"peple\"", 1);
    // Mistake 3: a target for an indicator that does not exist, appended at the end.
    let three = format!("{two}\n[[target]]\nindicator = \"BH-99\"\nfloor = 1\ngoal = 2\n");
    assert_ne!(one, DEFAULT_TOML);
    assert_ne!(two, one);

    let err = load("bad.toml", &three).expect_err("three mistakes");
    let text = err.to_string();
    assert_eq!(err.diagnostics.len(), 3, "{text}");
    let lines: Vec<usize> = err.diagnostics.iter().map(|d| d.line).collect();
    let mut expected = vec![
        line_of(&three, "filter = \"caled_at"),
        line_of(&three, "dimension = \"peple\""),
        line_of(&three, "indicator = \"BH-99\""),
    ];
    expected.sort_unstable();
    assert_eq!(lines, expected, "{text}");
    assert!(
        text.contains(
            "unknown field `caled_at` of record kind `hall_ticket`; valid fields: site_id"
        ),
        "{text}"
    );
    assert!(
        text.contains("unknown dimension `peple`; expected one of: philosophy"),
        "{text}"
    );
    assert!(text.contains("unknown indicator `BH-99`"), "{text}");
    assert!(text.starts_with("bad.toml:"), "{text}");
}

#[test]
fn a_syntax_error_is_located() {
    let src = "[guideline]\nid = \"x\"\nversion = 1.0.0\n";
    let err = load("syntax.toml", src).expect_err("not TOML");
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(err.diagnostics[0].line, 3, "{err}");
}

#[test]
fn shape_errors_in_one_entry_do_not_hide_the_others() {
    // Indicator weights must be numbers; a string weight in one indicator and a bad
    // direction in another are both reported.
    let src = DEFAULT_TOML
        .replacen("weight = 15\n", "weight = \"fifteen\"\n", 1)
        .replacen("direction = \"higher_better\"", "direction = \"up\"", 1);
    let err = load("shape.toml", &src).expect_err("two mistakes");
    let text = err.to_string();
    assert_eq!(err.diagnostics.len(), 2, "{text}");
    assert!(text.contains("unknown direction `up`"), "{text}");
}

#[test]
fn diff_lists_changed_targets_and_removed_indicators() {
    let old = default_guideline().expect("valid");
    let changed = DEFAULT_TOML.replacen("hard_limit = 48", "hard_limit = 36", 1);
    assert_ne!(changed, DEFAULT_TOML, "the default has a 48 h hard limit");
    let new = load("new.toml", &changed).expect("still valid");
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!((changes[0].op, changes[0].entry), ("changed", "target"));
    assert_eq!(
        changes[0].fields,
        [(
            "hard_limit".to_string(),
            "48.0".to_string(),
            "36.0".to_string()
        )]
    );
    assert!(diff(&old, &old).is_empty());
    assert_ne!(old.fingerprint(), new.fingerprint());
}

#[test]
fn comments_and_layout_do_not_change_the_fingerprint() {
    let a = default_guideline().expect("valid");
    let b = load("b.toml", &format!("# a comment\n\n{DEFAULT_TOML}\n# end\n")).expect("valid");
    assert_eq!(a.fingerprint(), b.fingerprint());
}

#[test]
fn scale_on_a_mean_and_a_non_finite_hard_limit_are_errors() {
    // BH-01 is a mean (minutes): a scale would be silently ignored, so it is refused. The
    // first hard limit becomes `nan`, which could never be breached.
    let src = DEFAULT_TOML
        .replacen(
            "unit = \"min\"\ndirection = \"lower_better\"",
            "unit = \"min\"\nscale = 60\ndirection = \"lower_better\"",
            1,
        )
        .replacen("hard_limit = 48", "hard_limit = nan", 1);
    let err = load("scale.toml", &src).expect_err("two mistakes");
    let text = err.to_string();
    assert_eq!(err.diagnostics.len(), 2, "{text}");
    assert!(text.contains("`scale` applies only to ratio"), "{text}");
    assert!(
        text.contains("expected a finite number, found NaN"),
        "{text}"
    );
}
