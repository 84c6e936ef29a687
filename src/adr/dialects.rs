//! Reading one decision record, whatever dialect it is written in, into an
//! [`AdrRecord`].
//!
//! Sources, in order of precedence: YAML front matter (MADR 3/4, Tekton,
//! Thanos, PowerShell RFCs, Lore), then the body (a `Status` section anywhere
//! as in Nygard/adr-tools, or `Key: value` lines and bullets under the title as
//! in MADR 2/Log4brains), then the folder the file sits in. Fenced code blocks,
//! HTML comments and block quotes never count as metadata.

use super::locate::{is_template_name, number_from_file_name};
use super::record::{AdrRecord, Relation, RelationKind, RelationTarget};
use super::status::{is_placeholder, normalise_status};
use regex::Regex;
use serde_yaml::{Mapping, Value};
use std::sync::LazyLock;

/// One file as handed over by the caller, front matter already split off.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdrInput<'a> {
    /// File name only, e.g. `0003-use-x.md`.
    pub file_name: &'a str,
    /// Name of the folder the file sits in (e.g. `proposals-accepted`,
    /// `Rejected`), used for a status only when the file states none.
    pub folder_hint: Option<&'a str>,
    /// Parsed YAML front matter.
    pub front_matter: Option<&'a Mapping>,
    /// Its raw text, so ids like `0050` are read as written; also the
    /// fallback when the YAML did not parse.
    pub front_matter_raw: Option<&'a str>,
    /// Markdown after the front matter (CRLF and a BOM are fine).
    pub body: &'a str,
}

/// Reads one record. Never panics, whatever the input.
pub fn read_adr(input: &AdrInput) -> AdrRecord {
    let body = input.body.trim_start_matches('\u{feff}');
    let doc = Document::parse(body);
    let fields = front_matter_fields(input.front_matter, input.front_matter_raw);
    let preamble = doc.preamble_fields();
    let heading = doc.title_heading().map(|h| parse_heading(&h));

    let mut record = AdrRecord {
        number: number_from_file_name(input.file_name),
        heading_number: heading.as_ref().and_then(|h| h.number),
        title: heading
            .and_then(|h| h.title)
            .or_else(|| first_value(&fields, &["title"])),
        date: first_value(&fields, DATE_KEYS).or_else(|| preamble_value(&preamble, "date")),
        deciders: list_field(&fields, &preamble, DECIDER_KEYS),
        consulted: list_field(&fields, &preamble, &["consulted"]),
        informed: list_field(&fields, &preamble, &["informed"]),
        tags: list_field(&fields, &preamble, &["tags"]),
        title_from_h2: doc.leading_h2_title().is_some(),
        leading_h1_is_section: doc.leading_h1_is_section(),
        ..AdrRecord::default()
    };
    apply_status(&mut record, &fields, &preamble, &doc, input.folder_hint);
    record.relations = collect_relations(&fields, &record, &doc);
    record.is_template = is_template(input.file_name, &record);
    // Read for its status and relations, shown as words: the relations are linked on their own.
    record.status_text = record
        .status_text
        .map(|t| crate::markdown::plain_inline(&t));
    record
}

/// Where a record's date is, most telling first: when it was decided, else when it was written
/// (TEPs carry `creation-date` and `last-updated`; the last edit is no decision's date).
const DATE_KEYS: &[&str] = &[
    "date",
    "decisiondate",
    "creationdate",
    "created",
    "lastupdated",
];
const DECIDER_KEYS: &[&str] = &["deciders", "decisionmakers", "decisionmaker", "decidedby"];

// ---------------------------------------------------------------------------
// Status

fn apply_status(
    record: &mut AdrRecord,
    fields: &[Field],
    preamble: &[(String, String)],
    doc: &Document,
    folder_hint: Option<&str>,
) {
    let written = [
        first_value(fields, &["status"]),
        preamble_value(preamble, "status"),
        doc.status_section().map(|s| s.text),
    ];
    let written: Vec<String> = written.into_iter().flatten().collect();
    let chosen = written
        .iter()
        .find_map(|text| normalise_status(text).map(|s| (s, text.clone())));
    match chosen {
        Some((status, text)) => {
            record.status = Some(status);
            record.status_text = Some(text);
        }
        None => {
            record.status_text = written.into_iter().next();
            record.status = folder_hint.and_then(status_from_folder);
        }
    }
}

/// Statuses that proposal processes encode as folder names
/// (`proposals-accepted`, `Draft-Accepted`, `Archive/Rejected`), besides the known ones.
const FOLDER_STATUSES: &[&str] = &[
    "draft-accepted",
    "withdrawn",
    "final",
    "done",
    "implemented",
    "experimental",
    "deferred",
];

fn status_from_folder(folder: &str) -> Option<String> {
    let name = folder.rsplit(['/', '\\']).next()?.trim().to_lowercase();
    let name = ["proposals-", "proposal-", "rfcs-", "adrs-"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(&name);
    let known = super::status::KNOWN_STATUSES.contains(&name);
    (known || FOLDER_STATUSES.contains(&name)).then(|| name.to_string())
}

/// Real, numbered records sometimes keep an unfilled status placeholder
/// (cometbft ADR 36, 38, 57), so a placeholder status alone marks a template
/// only when nothing numbers the file. Likewise a title that looks like a placeholder
/// (`Interpolate ${ENV} in config`, `[x]`) does not make a numbered record with a real status
/// a template: it would vanish from the site without a word.
fn is_template(file_name: &str, record: &AdrRecord) -> bool {
    let placeholder_title = record.title.as_deref().is_some_and(is_placeholder_title);
    let status = record.status_text.as_deref();
    let placeholder_status = status.is_some_and(is_placeholder);
    let real_status = status.is_some_and(|s| !s.trim().is_empty() && !is_placeholder(s));
    let numbered = record.number.is_some() || record.heading_number.is_some();
    is_template_name(file_name)
        || (placeholder_title && !(numbered && real_status))
        || (placeholder_status && !numbered)
}

fn is_placeholder_title(title: &str) -> bool {
    (title.contains('{') && title.contains('}')) || is_placeholder(title)
}

// ---------------------------------------------------------------------------
// Title

struct Heading {
    number: Option<u32>,
    title: Option<String>,
}

static ARCH_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^architecture\s+decision\s+record\s*:\s*").expect("valid regex")
});
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:(?:adr|rfc|tep|kep|pep)[-_ ]?#?)?0*(\d{1,9})(?:\.\s+|\s*:\s*|\)\s+|\s+[-–—]\s+)(.+)$",
    )
    .expect("valid regex")
});
static ID_NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:adr|rfc|tep|kep|pep)[-_ ]?#?0*(\d{1,9})\s+(.+)$").expect("valid regex")
});

fn parse_heading(text: &str) -> Heading {
    let text = ARCH_PREFIX.replace(text.trim(), "");
    let caps = NUMBERED
        .captures(&text)
        .or_else(|| ID_NUMBERED.captures(&text));
    let (number, title) = match caps {
        Some(c) => (
            c.get(1).and_then(|m| m.as_str().parse().ok()),
            c.get(2).map_or("", |m| m.as_str()),
        ),
        None => (None, text.as_ref()),
    };
    let title = crate::markdown::plain_inline(title.trim());
    Heading {
        number,
        title: (!title.is_empty()).then_some(title),
    }
}

// ---------------------------------------------------------------------------
// Relations

fn collect_relations(fields: &[Field], record: &AdrRecord, doc: &Document) -> Vec<Relation> {
    let mut relations = front_matter_relations(fields);
    if let Some(text) = &record.status_text {
        relations.extend(relations_in_line(text, false));
    }
    relations.extend(doc.body_relations());
    let mut unique = Vec::new();
    for relation in relations {
        if !unique
            .iter()
            .any(|r: &Relation| r.kind == relation.kind && r.target == relation.target)
        {
            unique.push(relation);
        }
    }
    unique
}

fn relation_key_kind(key: &str) -> Option<RelationKind> {
    Some(match key {
        "supersedes" | "supercedes" | "replaces" => RelationKind::Supersedes,
        "supersededby" | "supercededby" | "replacedby" => RelationKind::SupersededBy,
        "amends" => RelationKind::Amends,
        "amendedby" => RelationKind::AmendedBy,
        "relatesto" | "relatedto" | "related" | "seealso" | "links" => RelationKind::RelatesTo,
        _ => return None,
    })
}

fn front_matter_relations(fields: &[Field]) -> Vec<Relation> {
    let mut out = Vec::new();
    for field in fields {
        let Some(kind) = relation_key_kind(&field.norm) else {
            continue;
        };
        let values = field.raw_values.as_ref().unwrap_or(&field.values);
        for value in values {
            if let Some(target) = classify_target(value) {
                out.push(Relation {
                    kind,
                    target,
                    text: field.key.clone(),
                });
            }
        }
    }
    out
}

static INLINE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^"']*["'])?\s*\)"#).expect("valid regex")
});
static ADR_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bADR[-_ ]?0*(\d{1,9})\b").expect("valid regex"));

/// Values that mean "no relation" in real front matter.
const EMPTY_VALUES: &[&str] = &["", "none", "n/a", "na", "-", "~", "null", "tbd"];

/// A front matter value as a relation target; ids that look like numbers
/// with leading zeros stay as written.
fn classify_target(value: &str) -> Option<RelationTarget> {
    let v = value.trim();
    if EMPTY_VALUES.contains(&v.to_lowercase().as_str()) || is_placeholder(v) || v.starts_with('<')
    {
        return None;
    }
    if let Some(href) = INLINE_LINK.captures(v).and_then(|c| c.get(1)) {
        return Some(RelationTarget::Link(href.as_str().to_string()));
    }
    let lower = v.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.contains(".md#") || v.contains('/') {
        return Some(RelationTarget::Link(v.to_string()));
    }
    let plain_number =
        v.chars().all(|c| c.is_ascii_digit()) && !(v.len() > 1 && v.starts_with('0'));
    let number = if plain_number {
        v.parse().ok()
    } else {
        ADR_REF
            .captures(v)
            .filter(|c| c.get(0).map(|m| m.len()) == Some(v.len()))
            .and_then(|c| c.get(1)?.as_str().parse().ok())
    };
    Some(number.map_or_else(|| RelationTarget::Id(v.to_string()), RelationTarget::Number))
}

fn verb_kind(verb: &str) -> Option<RelationKind> {
    const KINDS: &[(&str, RelationKind)] = &[
        ("superseded by", RelationKind::SupersededBy),
        ("superceded by", RelationKind::SupersededBy),
        ("superseeded by", RelationKind::SupersededBy),
        ("replaced by", RelationKind::SupersededBy),
        ("supersedes", RelationKind::Supersedes),
        ("supercedes", RelationKind::Supersedes),
        ("replaces", RelationKind::Supersedes),
        ("amended by", RelationKind::AmendedBy),
        ("amends", RelationKind::Amends),
        ("relates to", RelationKind::RelatesTo),
        ("related to", RelationKind::RelatesTo),
        ("see also", RelationKind::RelatesTo),
        ("refines", RelationKind::RelatesTo),
        ("refined by", RelationKind::RelatesTo),
        ("clarifies", RelationKind::RelatesTo),
        ("clarified by", RelationKind::RelatesTo),
        ("extends", RelationKind::RelatesTo),
        ("extended by", RelationKind::RelatesTo),
        ("depends on", RelationKind::RelatesTo),
    ];
    let words = verb
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // "Deprecated, superseded by" ends with the relation that matters; prose
    // ("functionality will be replaced by") does not count.
    KINDS
        .iter()
        .find(|(phrase, _)| {
            words == *phrase
                || words
                    .strip_suffix(phrase)
                    .is_some_and(|head| head.trim_end().ends_with([',', '.', ';']))
        })
        .map(|(_, kind)| *kind)
}

fn is_plain_verb(verb: &str) -> bool {
    let words = verb.split_whitespace().count();
    (1..=5).contains(&words)
        && verb
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'')
}

/// Relations on one line shaped `Verb [title](file)` (or `Verb ADR-12`).
/// With `any_verb`, unknown verbs (`Clarifies`, `Refined by`) count as
/// `RelatesTo`, as inside a `Status` or `Links` section.
fn relations_in_line(line: &str, any_verb: bool) -> Vec<Relation> {
    let text = strip_list_marker(line).replace("**", "").replace("__", "");
    let link_start = text.find('[');
    let ref_start = ADR_REF.find(&text).map(|m| m.start());
    let Some(split) = link_start.or(ref_start) else {
        return Vec::new();
    };
    let (verb, rest) = text.split_at(split);
    let verb = verb.trim().trim_end_matches(':').trim();
    let kind = match verb_kind(verb) {
        Some(kind) => kind,
        None if any_verb && is_plain_verb(verb) => RelationKind::RelatesTo,
        None => return Vec::new(),
    };
    let mut targets: Vec<RelationTarget> = INLINE_LINK
        .captures_iter(rest)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .filter(|href| is_local_href(href))
        .map(|href| RelationTarget::Link(href.to_string()))
        .collect();
    if targets.is_empty() && link_start.is_none() {
        targets = ADR_REF
            .captures_iter(rest)
            .filter_map(|c| c.get(1)?.as_str().parse().ok())
            .map(RelationTarget::Number)
            .collect();
    }
    targets
        .into_iter()
        .map(|target| Relation {
            kind,
            target,
            text: verb.to_string(),
        })
        .collect()
}

fn is_local_href(href: &str) -> bool {
    !(href.contains("://") || href.starts_with('#') || href.starts_with("mailto:"))
}

fn strip_list_marker(line: &str) -> &str {
    let t = line.trim();
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    t
}

// ---------------------------------------------------------------------------
// Front matter

/// One front matter entry: key as written, key normalised (lower-case,
/// alphanumerics only, so `superseded-by`, `superseded_by` and
/// `SupercededBy` compare equal), values as strings.
struct Field {
    key: String,
    norm: String,
    values: Vec<String>,
    /// Values exactly as written in the raw text, when it is available.
    raw_values: Option<Vec<String>>,
}

fn normalise_key(key: &str) -> String {
    key.trim_end_matches("(s)")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn front_matter_fields(map: Option<&Mapping>, raw: Option<&str>) -> Vec<Field> {
    let raw_fields = raw.map(parse_raw_front_matter).unwrap_or_default();
    let raw_for = |norm: &str| {
        raw_fields
            .iter()
            .find(|(k, _)| normalise_key(k) == norm)
            .map(|(_, v)| v.clone())
    };
    match map {
        Some(map) => map
            .iter()
            .filter_map(|(k, v)| {
                let key = scalar_string(k)?;
                let norm = normalise_key(&key);
                Some(Field {
                    values: scalar_strings(v),
                    raw_values: raw_for(&norm),
                    key,
                    norm,
                })
            })
            .collect(),
        None => raw_fields
            .iter()
            .map(|(key, values)| Field {
                key: key.clone(),
                norm: normalise_key(key),
                values: values.clone(),
                raw_values: Some(values.clone()),
            })
            .collect(),
    }
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_string(&t.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

fn scalar_strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().filter_map(scalar_string).collect(),
        other => scalar_string(other).into_iter().collect(),
    }
}

/// A line-based reading of simple `key: value` front matter with inline or
/// block lists; enough for metadata when the YAML parser disagreed with the
/// author, and the only way to see `0050` as written.
fn parse_raw_front_matter(raw: &str) -> Vec<(String, Vec<String>)> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    let mut open_list = false;
    for line in raw.trim_start_matches('\u{feff}').lines() {
        let indented = line.starts_with([' ', '\t']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let (true, Some(item)) = (open_list, trimmed.strip_prefix('-')) {
            if let Some((_, values)) = fields.last_mut() {
                values.push(unquote(item));
            }
            continue;
        }
        open_list = false;
        if indented {
            continue;
        }
        let Some((key, value)) = split_key_value(trimmed) else {
            continue;
        };
        let value = strip_comment(value);
        open_list = value.is_empty();
        fields.push((key.trim().to_string(), split_inline_list(value)));
    }
    fields
}

fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let colon = line
        .char_indices()
        .find(|&(i, c)| c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace))
        .map(|(i, _)| i)?;
    Some((&line[..colon], line[colon + 1..].trim()))
}

fn strip_comment(value: &str) -> &str {
    if value.starts_with(['"', '\'']) {
        return value;
    }
    value.find(" #").map_or(value, |i| value[..i].trim_end())
}

fn split_inline_list(value: &str) -> Vec<String> {
    match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        Some(inner) => inner
            .split(',')
            .map(unquote)
            .filter(|s| !s.is_empty())
            .collect(),
        None if value.is_empty() => Vec::new(),
        None => vec![unquote(value)],
    }
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    let stripped = ['"', '\'']
        .iter()
        .find_map(|q| v.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)));
    stripped.unwrap_or(v).trim().to_string()
}

fn first_value(fields: &[Field], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| {
        fields
            .iter()
            .filter(|f| f.norm == *key)
            .flat_map(|f| f.values.iter())
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
            .map(str::to_string)
    })
}

fn preamble_value(preamble: &[(String, String)], key: &str) -> Option<String> {
    preamble
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.clone())
}

/// A people or tag list from front matter, else from the preamble; comma
/// separated strings are split, placeholders dropped.
fn list_field(fields: &[Field], preamble: &[(String, String)], keys: &[&str]) -> Vec<String> {
    let from_front_matter: Vec<String> = fields
        .iter()
        .filter(|f| keys.contains(&f.norm.as_str()))
        .flat_map(|f| f.values.iter().cloned())
        .collect();
    let values = if from_front_matter.is_empty() {
        keys.iter()
            .filter_map(|k| preamble_value(preamble, k))
            .collect()
    } else {
        from_front_matter
    };
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !is_placeholder(v) && !v.starts_with(['{', '[']))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------
// Markdown body

/// The body reduced to what may carry metadata: code fences blanked out,
/// HTML comments removed.
struct Document {
    lines: Vec<String>,
}

struct StatusSection {
    text: String,
}

static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z][A-Za-z ()\-_/]{0,40}?)\s*:\s*(.*)$").expect("valid regex")
});

const PREAMBLE_KEYS: &[&str] = &[
    "status",
    "date",
    "deciders",
    "decisionmakers",
    "decisionmaker",
    "consulted",
    "informed",
    "tags",
];

/// Section headings of the usual templates (Nygard, MADR, Log4brains, RFCs and proposals),
/// normalised by [`heading_key`]: never a record's title.
const SECTION_NAMES: &[&str] = &[
    "abstract",
    "alternatives",
    "alternatives considered",
    "background",
    "consequences",
    "considered options",
    "context",
    "context and problem statement",
    "contents",
    "decision",
    "decision drivers",
    "decision outcome",
    "description",
    "goals",
    "introduction",
    "motivation",
    "more information",
    "notes",
    "overview",
    "problem",
    "problem statement",
    "pros and cons of the options",
    "proposal",
    "rationale",
    "references",
    "summary",
    "table of contents",
    "tl;dr",
    "why",
];

/// A heading that names a usual section of a record (`Motivation`, `The document purpose`).
fn is_section_name(heading: &str) -> bool {
    let key = heading.trim().to_lowercase();
    let key = key.strip_prefix("the ").unwrap_or(&key);
    SECTION_NAMES.contains(&key) || matches!(key, "purpose" | "document purpose")
}

const LINK_SECTIONS: &[&str] = &[
    "links",
    "related",
    "related adrs",
    "related decisions",
    "related records",
    "relations",
    "see also",
];

impl Document {
    fn parse(body: &str) -> Document {
        let mut lines = Vec::new();
        let mut fence: Option<(char, usize)> = None;
        let mut in_comment = false;
        for line in body.split('\n').map(|l| l.trim_end_matches('\r')) {
            if let Some((ch, len)) = fence {
                if is_fence(line).is_some_and(|(c, l, info)| c == ch && l >= len && info.is_empty())
                {
                    fence = None;
                }
                lines.push(String::new());
                continue;
            }
            if let Some((ch, len, _)) = is_fence(line).filter(|_| !in_comment) {
                fence = Some((ch, len));
                lines.push(String::new());
                continue;
            }
            let (text, still_in_comment) = strip_html_comments(line, in_comment);
            in_comment = still_in_comment;
            lines.push(text);
        }
        Document { lines }
    }

    fn heading(&self, index: usize) -> Option<(usize, String)> {
        let line = self.lines.get(index)?;
        if let Some(h) = atx_heading(line) {
            return Some(h);
        }
        let next = self.lines.get(index + 1)?;
        let underline = next.trim();
        let setext = !line.trim().is_empty()
            && !underline.is_empty()
            && (underline.chars().all(|c| c == '=') || underline.chars().all(|c| c == '-'))
            && !is_list_or_quote(line);
        match underline.chars().next() {
            Some('=') if setext => Some((1, line.trim().to_string())),
            Some('-') if setext && underline.len() >= 2 => Some((2, line.trim().to_string())),
            _ => None,
        }
    }

    fn headings(&self) -> impl Iterator<Item = (usize, usize, String)> + '_ {
        (0..self.lines.len()).filter_map(|i| self.heading(i).map(|(level, text)| (i, level, text)))
    }

    /// The H1 when it opens the document; an H1 after other headings is a
    /// section (`# Alternatives`), not the title. `#Title` without the space
    /// is accepted on the first line, as some RFCs write it.
    fn leading_h1_is_section(&self) -> bool {
        let first = self.lines.iter().find(|l| !l.trim().is_empty());
        let h1 = first
            .and_then(|l| atx_heading(l))
            .filter(|(level, _)| *level == 1);
        h1.is_some_and(|(_, text)| is_section_name(&text))
    }

    fn title_heading(&self) -> Option<String> {
        let first_line = self
            .lines
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())?;
        let sloppy = first_line
            .strip_prefix('#')
            .filter(|rest| rest.starts_with(char::is_alphabetic));
        match self.headings().next() {
            // PowerShell's RFC 62 opens with `# Motivation`: a section, not its title.
            Some((_, 1, text)) if is_section_name(&text) => None,
            Some((_, 1, text)) => Some(text),
            _ => sloppy
                .map(|rest| rest.trim().to_string())
                .or_else(|| self.leading_h2_title().map(|(_, text)| text)),
        }
    }

    /// A record with no H1 that opens with an H2 naming no usual section (Thanos'
    /// `## Introduce a Query gRPC API`): that H2 is its title. `## Context` opening a
    /// record is a section, and the title comes from elsewhere.
    fn leading_h2_title(&self) -> Option<(usize, String)> {
        if self.headings().any(|(_, level, _)| level == 1) {
            return None;
        }
        let first = self.lines.iter().position(|l| !l.trim().is_empty())?;
        let (level, text) = atx_heading(&self.lines[first])?;
        let key = heading_key(&text);
        let is_section = SECTION_NAMES.contains(&key.as_str())
            || LINK_SECTIONS.contains(&key.as_str())
            || key.starts_with("status");
        (level == 2 && !text.is_empty() && !is_section).then_some((first, text))
    }

    /// `Key: value` lines (bulleted or not) before the first heading below
    /// the title, as MADR 2, Log4brains and adr-tools (`Date:`) write them.
    fn preamble_fields(&self) -> Vec<(String, String)> {
        let title_line = self.leading_h2_title().map(|(line, _)| line);
        let end = self
            .headings()
            .find(|(line, level, _)| *level > 1 && Some(*line) != title_line)
            .map_or(self.lines.len(), |(i, _, _)| i);
        self.lines[..end]
            .iter()
            .filter(|l| !l.trim_start().starts_with('>'))
            .filter_map(|l| {
                let text = strip_list_marker(l).replace("**", "").replace("__", "");
                let caps = KEY_VALUE.captures(&text)?;
                let key = normalise_key(caps.get(1)?.as_str());
                let value = caps.get(2)?.as_str().trim().to_string();
                PREAMBLE_KEYS
                    .contains(&key.as_str())
                    .then_some((key, value))
            })
            .collect()
    }

    /// Line range of the first section whose heading (level 2–4) matches.
    fn section(&self, matches: impl Fn(&str) -> bool) -> Option<(usize, std::ops::Range<usize>)> {
        let headings: Vec<_> = self.headings().collect();
        let (pos, (start, level, _)) = headings
            .iter()
            .enumerate()
            .find(|(_, (_, level, text))| (2..=4).contains(level) && matches(&heading_key(text)))?;
        let end = headings[pos + 1..]
            .iter()
            .find(|(_, l, _)| l <= level)
            .map_or(self.lines.len(), |(i, _, _)| *i);
        Some((*start, start + 1..end))
    }

    /// The first paragraph of a `Status` section (or `## Status: Accepted`).
    fn status_section(&self) -> Option<StatusSection> {
        let (heading_line, range) =
            self.section(|key| key == "status" || key.starts_with("status:"))?;
        let (_, heading) = self.heading(heading_line)?;
        if let Some((_, inline)) = heading.split_once(':') {
            let inline = inline.trim().trim_matches('*').trim();
            if !inline.is_empty() {
                return Some(StatusSection {
                    text: inline.to_string(),
                });
            }
        }
        let text = first_paragraph(&self.lines[range]);
        (!text.is_empty()).then_some(StatusSection { text })
    }

    /// Relations in the `Status` and `Links` sections (any verb), and
    /// relation lines with a known verb anywhere else.
    fn body_relations(&self) -> Vec<Relation> {
        let status = self.section(|key| key == "status" || key.starts_with("status:"));
        let links = self.section(|key| LINK_SECTIONS.contains(&key));
        let in_range = |i: usize, r: &Option<(usize, std::ops::Range<usize>)>| {
            r.as_ref().is_some_and(|(_, range)| range.contains(&i))
        };
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !is_quote(l))
            .flat_map(|(i, line)| {
                let any_verb = in_range(i, &links) || in_range(i, &status);
                relations_in_line(line, any_verb)
            })
            .collect()
    }
}

/// Normalised heading text for section matching.
fn heading_key(text: &str) -> String {
    let t = text.replace(['*', '_', '`'], "");
    let t = t.trim().to_lowercase();
    t.trim_end_matches(':').trim().to_string()
}

/// Non-quote, non-blank lines up to the first blank line, stopping before a
/// relation line so `Accepted` is not glued to `Supersedes [..](..)`.
fn first_paragraph(lines: &[String]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in lines {
        let t = line.trim();
        if is_quote(t) {
            continue;
        }
        if t.is_empty() {
            if parts.is_empty() {
                continue;
            }
            break;
        }
        if !parts.is_empty() && !relations_in_line(t, true).is_empty() {
            break;
        }
        parts.push(t);
    }
    parts.join(" ")
}

fn is_quote(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn is_list_or_quote(line: &str) -> bool {
    let t = line.trim_start();
    is_quote(t) || t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ")
}

fn atx_heading(line: &str) -> Option<(usize, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = line.trim_start_matches(' ');
    let level = t.chars().take_while(|&c| c == '#').count();
    let rest = &t[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    Some((level, text.to_string()))
}

/// `(fence char, fence length, info string)` for a code fence line.
fn is_fence(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start();
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = t.chars().take_while(|&c| c == ch).count();
    let info = t[len..].trim();
    // A backtick fence's info string cannot contain backticks (inline code).
    (len >= 3 && !(ch == '`' && info.contains('`'))).then_some((ch, len, info))
}

fn strip_html_comments(line: &str, mut in_comment: bool) -> (String, bool) {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if in_comment {
            match rest.find("-->") {
                Some(end) => {
                    rest = &rest[end + 3..];
                    in_comment = false;
                }
                None => return (out, true),
            }
        } else {
            match rest.find("<!--") {
                Some(start) => {
                    out.push_str(&rest[..start]);
                    rest = &rest[start + 4..];
                    in_comment = true;
                }
                None => {
                    out.push_str(rest);
                    return (out, false);
                }
            }
        }
    }
}
