//! Located expression errors and their rendering with a caret line for terminals.

use super::ast::Span;
use crate::i18n::Msg;
use std::fmt::Write as _;

/// One problem in an expression, located by a byte span of its source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at bytes {}..{})", span.start, span.end)]
pub struct ExprError {
    /// The offending source range; empty at the end of input.
    pub span: Span,
    /// What is wrong, as a full sentence fragment without the location, in English.
    pub message: String,
    /// The same as a catalogue message (`[expr]`), for readers of either language;
    /// boxed, so that the parser's results stay small.
    pub msg: Box<Msg>,
}

impl ExprError {
    /// Makes an error from its catalogue message.
    #[must_use]
    pub fn new(span: Span, msg: Msg) -> ExprError {
        ExprError {
            span,
            message: msg.to_string(),
            msg: Box::new(msg),
        }
    }

    /// Renders the error for a terminal: the message, the source line holding the start
    /// of the span, and carets under the span (on that line).
    ///
    /// ```text
    /// error: unknown field `outcom` of record kind `contact`; valid fields: ...
    ///   |
    /// 1 | outcom = 'answered'
    ///   | ^^^^^^
    /// ```
    ///
    /// Columns count East Asian wide characters as two cells, so carets line up under
    /// Chinese string literals.
    #[must_use]
    pub fn render(&self, src: &str) -> String {
        let start = floor_char_boundary(src, self.span.start.min(src.len()));
        let end = floor_char_boundary(src, self.span.end.clamp(start, src.len()));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line_no = src[..start].matches('\n').count() + 1;
        let line = src[line_start..line_end].trim_end_matches('\r');
        let gutter = " ".repeat(line_no.to_string().len());

        let pad: String = src[line_start..start]
            .chars()
            .map(|c| {
                if c == '\t' {
                    "\t".to_owned()
                } else {
                    " ".repeat(char_width(c))
                }
            })
            .collect();
        let underlined = &src[start..end.min(line_end)];
        let carets = underlined.chars().map(char_width).sum::<usize>().max(1);

        let mut out = String::new();
        // Writing to a String cannot fail, so the results are ignored on purpose.
        let _ = writeln!(out, "error: {}", self.message);
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{line_no} | {line}");
        let _ = write!(out, "{gutter} | {pad}{}", "^".repeat(carets));
        out
    }
}

/// The largest char boundary at or below `i`, so slicing never panics on spans that
/// callers built by hand.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Terminal cells a character takes: two for the East Asian wide ranges (CJK ideographs,
/// kana, hangul, full-width forms), one otherwise. This small table avoids a dependency
/// for the one place that needs it.
fn char_width(c: char) -> usize {
    let wide = matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD
    );
    if wide { 2 } else { 1 }
}
