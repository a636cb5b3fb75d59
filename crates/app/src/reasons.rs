//! Quarantine reasons for people: the engine counts rows under short codes that name
//! fields (`missing issued_at`, `time order: called_at is before issued_at`, `unknown
//! site`), which stay the same in quarantine files and in the API's reports; here they
//! are said in the reader's language from the catalogue. A code of another shape is
//! shown as it is.

use yardstick_core::t;
use yardstick_core::vocab::Lang;

/// A quarantine reason code in a language.
#[must_use]
pub fn reason_label(code: &str, lang: Lang) -> String {
    let fixed = match code {
        "unknown site" => Some(t!(lang, "quarantine.unknown_site")),
        "no timestamp" => Some(t!(lang, "quarantine.no_timestamp")),
        "site scene does not fit kind" => Some(t!(lang, "quarantine.scene")),
        "duplicate id" => Some(t!(lang, "quarantine.duplicate")),
        "malformed row" => Some(t!(lang, "quarantine.malformed")),
        _ => None,
    };
    if let Some(text) = fixed {
        return text.to_owned();
    }
    if let Some(f) = code.strip_prefix("missing ") {
        return t!(lang, "quarantine.missing", field = f);
    }
    if let Some(f) = code.strip_prefix("invalid ") {
        return t!(lang, "quarantine.invalid", field = f);
    }
    if let Some(f) = code.strip_prefix("implausible ") {
        return t!(lang, "quarantine.implausible", field = f);
    }
    if let Some(f) = code.strip_prefix("out of range: ") {
        return t!(lang, "quarantine.out_of_range", field = f);
    }
    if let Some((later, earlier)) = code
        .strip_prefix("time order: ")
        .and_then(|r| r.split_once(" is before "))
    {
        return t!(
            lang,
            "quarantine.time_order",
            later = later,
            earlier = earlier
        );
    }
    if let Some((a, b)) = code.split_once(" exceeds ")
        && !a.contains(' ')
        && !b.contains(' ')
    {
        return t!(lang, "quarantine.exceeds", a = a, b = b);
    }
    code.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_said_in_the_readers_language() {
        assert_eq!(
            reason_label("missing issued_at", Lang::Zh),
            "缺少 issued_at"
        );
        assert_eq!(
            reason_label("missing issued_at", Lang::En),
            "missing issued_at"
        );
        assert_eq!(
            reason_label("time order: called_at is before issued_at", Lang::Zh),
            "时间顺序错误：called_at 早于 issued_at"
        );
        assert_eq!(
            reason_label("talk_s exceeds handle_s", Lang::Zh),
            "talk_s 超过 handle_s"
        );
        assert_eq!(reason_label("unknown site", Lang::Zh), "未知站点");
        // Another shape is kept.
        assert_eq!(reason_label("outside scope x", Lang::Zh), "outside scope x");
    }
}
