//! Normalising status text as teams write it into a small, predictable value.
//!
//! Conservative by design: the usual keywords (`proposed`, `accepted`,
//! `rejected`, `deprecated`, `superseded`, `draft`) are recognised at the start
//! of the text; anything else (`on hold`, `implemented`, `approved`) is kept
//! as written, lower-cased, and never mapped onto a keyword.

use crate::markdown::collapse_whitespace;
use regex::Regex;
use std::sync::LazyLock;

/// Keyword spellings found in the wild and the value they normalise to.
/// Only unambiguous misspellings are mapped.
const KEYWORDS: &[(&str, &str)] = &[
    ("proposed", "proposed"),
    ("accepted", "accepted"),
    ("rejected", "rejected"),
    ("deprecated", "deprecated"),
    ("superseded", "superseded"),
    ("superceded", "superseded"),
    ("superseeded", "superseded"),
    ("draft", "draft"),
];

/// The status values Lore knows the meaning of: what [`normalise_status`] maps keywords to.
pub const KNOWN_STATUSES: &[&str] = &[
    "proposed",
    "accepted",
    "rejected",
    "deprecated",
    "superseded",
    "draft",
];

/// Statuses longer than this are prose, not a status value.
const MAX_STATUS_WORDS: usize = 4;

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!?\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])?").expect("valid regex"));

static STATUS_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^status\s*:\s*").expect("valid regex"));

/// Normalise a status as written; `None` for empty or placeholder text.
///
/// `"**Accepted** on 2020-01-01"` → `accepted`, `"superseded by [x](x.md)"` →
/// `superseded`, `"On hold"` → `on hold`, `"{proposed | accepted}"` → `None`.
pub fn normalise_status(text: &str) -> Option<String> {
    let line = first_line(text)?;
    let cleaned = strip_decoration(line);
    let cleaned = STATUS_PREFIX.replace(&cleaned, "");
    if is_placeholder(&cleaned) {
        return None;
    }
    let without_links = LINK.replace_all(&cleaned, " ");
    let lower = collapse_whitespace(&without_links.to_lowercase());
    if let Some(keyword) = leading_keyword(&lower) {
        return Some(keyword.to_string());
    }
    let head = cut_trailing_prose(&lower);
    let head = head.trim_matches(|c: char| !c.is_alphanumeric());
    let words = head.split_whitespace().count();
    (words > 0 && words <= MAX_STATUS_WORDS).then(|| head.to_string())
}

/// True for template placeholders such as `{proposed | rejected}`,
/// `[status]`, `<Draft | Final>` or `Accepted | Rejected | Deprecated`.
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    let bracketed = |open: char, close: char| t.starts_with(open) && t.ends_with(close);
    t.starts_with('{')
        || (t.starts_with('<') && t.contains('>'))
        || (bracketed('[', ']') && !t.contains("]("))
        || t.contains(" | ")
        || t.contains('|') && t.split('|').count() > 2
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

/// Drops list markers, quote markers and emphasis around the value.
fn strip_decoration(line: &str) -> String {
    let line = line.trim_start_matches(['-', '+', '>', ' ', '\t']);
    let line = line.strip_prefix("* ").unwrap_or(line);
    line.chars()
        .filter(|c| !matches!(c, '*' | '`' | '"' | '\u{feff}'))
        .collect::<String>()
        .trim_matches(|c: char| c == '_' || c.is_whitespace())
        .to_string()
}

fn leading_keyword(lower: &str) -> Option<&'static str> {
    KEYWORDS.iter().find_map(|(spelling, value)| {
        let rest = lower.strip_prefix(spelling)?;
        // "draft-accepted" is its own status, not "draft".
        let boundary = rest
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '_');
        boundary.then_some(*value)
    })
}

/// Keeps the status words before the first sentence break or qualifier.
fn cut_trailing_prose(lower: &str) -> &str {
    const BREAKS: &[&str] = &[
        ".",
        ":",
        ";",
        "(",
        ",",
        " - ",
        " – ",
        " — ",
        " on ",
        " since ",
        " as of ",
        " by ",
        " in favour",
        " in favor",
        " see ",
        " until ",
    ];
    let end = BREAKS
        .iter()
        .filter_map(|b| lower.find(b))
        .min()
        .unwrap_or(lower.len());
    &lower[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Option<String> {
        normalise_status(text)
    }

    #[test]
    fn keywords_case_insensitive_with_prose() {
        assert_eq!(n("Accepted"), Some("accepted".into()));
        assert_eq!(n("PROPOSED"), Some("proposed".into()));
        assert_eq!(n("Proposed."), Some("proposed".into()));
        assert_eq!(n("Accepted on 2020-01-01"), Some("accepted".into()));
        assert_eq!(n("**Accepted**"), Some("accepted".into()));
        assert_eq!(n("Status: Accepted"), Some("accepted".into()));
        assert_eq!(n("Accepted (PR [\\#2897])"), Some("accepted".into()));
        assert_eq!(n("Rejected in favour of ADR 111"), Some("rejected".into()));
    }

    #[test]
    fn superseded_with_link_or_spelling() {
        assert_eq!(n("superseded by [x](x.md)"), Some("superseded".into()));
        assert_eq!(
            n("Superceded by [3. Foo](0003-foo.md)"),
            Some("superseded".into())
        );
        assert_eq!(n("superseded by ADR-0123"), Some("superseded".into()));
    }

    #[test]
    fn unusual_values_kept_lowercased() {
        assert_eq!(n("on hold"), Some("on hold".into()));
        assert_eq!(n("Implemented"), Some("implemented".into()));
        assert_eq!(n("Approved."), Some("approved".into()));
        assert_eq!(n("Pending"), Some("pending".into()));
        assert_eq!(n("Draft-Accepted"), Some("draft-accepted".into()));
        assert_eq!(n("In Review."), Some("in review".into()));
    }

    #[test]
    fn placeholders_and_empty_are_unknown() {
        assert_eq!(n(""), None);
        assert_eq!(n("   \n  "), None);
        assert_eq!(
            n("{proposed | rejected | accepted | deprecated | … | superseded by ADR-0123"),
            None
        );
        assert_eq!(n("[status]"), None);
        assert_eq!(n("<Draft | Experimental | Accepted>"), None);
        assert_eq!(n("Accepted | Rejected | Deprecated | Superseded by"), None);
    }

    #[test]
    fn long_prose_is_not_a_status() {
        assert_eq!(
            n("The two points above have been implemented and are running well"),
            None
        );
    }
}
