//! Front matter: split the `---` (YAML) or `+++` (TOML) block off the top of a file, parse it,
//! and read Lore's own keys into `Meta`. Positions are mapped back to the file's own lines
//! so every error points at the line and column to fix.

use crate::error::{Diagnostic, Location};
use serde_yaml::{Mapping, Value};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

/// The front matter block as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    pub format: Format,
    pub raw: &'a str,
    /// 1-based line of the file on which `raw` starts.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub block: Option<Block<'a>>,
    pub body: &'a str,
    /// 1-based line of the file on which `body` starts.
    pub body_line: usize,
}

/// Why a block could not be split off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    pub fence: &'static str,
}

/// Splits the front matter off `text` (which must not start with a BOM; see `strip_bom`).
pub fn split(text: &str) -> Result<Split<'_>, Unclosed> {
    let (fence, format) = match first_line(text) {
        "---" => ("---", Format::Yaml),
        "+++" => ("+++", Format::Toml),
        _ => {
            return Ok(Split {
                block: None,
                body: text,
                body_line: 1,
            });
        }
    };
    let raw_start = line_end(text, 0);
    let mut pos = raw_start;
    let mut line = 2;
    while pos < text.len() {
        let next = line_end(text, pos);
        let content = text[pos..next].trim_end_matches(['\n', '\r']).trim_end();
        let closes = content == fence || (format == Format::Yaml && content == "...");
        if closes {
            return Ok(Split {
                block: Some(Block {
                    format,
                    raw: &text[raw_start..pos],
                    line: 2,
                }),
                body: &text[next..],
                body_line: line + 1,
            });
        }
        pos = next;
        line += 1;
    }
    Err(Unclosed { fence })
}

pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn first_line(text: &str) -> &str {
    text[..line_end(text, 0)]
        .trim_end_matches(['\n', '\r'])
        .trim_end()
}

/// Index just past the end of the line starting at `start` (past its `\n`).
fn line_end(text: &str, start: usize) -> usize {
    text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1)
}

/// Parses a block into a YAML mapping (TOML is converted), or a diagnostic located in the file.
pub fn parse_block(path: &Path, block: &Block<'_>) -> Result<Mapping, Diagnostic> {
    let value = match block.format {
        Format::Yaml => parse_yaml(path, block)?,
        Format::Toml => parse_toml(path, block)?,
    };
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Mapping(map) => Ok(map),
        _ => Err(Diagnostic::error(
            Location::at(path, block.line, 1),
            "front matter must be a list of `key: value` lines",
        )
        .with_help("write e.g. `title: My page` between the `---` lines")),
    }
}

fn parse_yaml(path: &Path, block: &Block<'_>) -> Result<Value, Diagnostic> {
    if block.raw.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_yaml::from_str::<Value>(block.raw).map_err(|err| {
        let message = format!("invalid YAML front matter: {}", strip_position(&err.to_string()));
        let at = err.location().map_or(1, |loc| loc.line());
        if let Some(twice) = duplicate_key(block.raw, &err.to_string(), at) {
            return Diagnostic::error(Location::at(path, block.line + twice.line - 1, twice.column), message)
                .with_help(twice.help(block.line));
        }
        let location = match err.location() {
            Some(loc) => Location::at(path, block.line + loc.line() - 1, loc.column()),
            None => Location::at(path, block.line, 1),
        };
        Diagnostic::error(location, message)
            .with_help("fix the YAML here; quote values that contain `: ` or start with `[`, `{`, `*`, `&`, `!` or `@`")
    })
}

/// Where a key that YAML found twice in one mapping is written the second time.
pub struct DuplicateKey {
    pub key: String,
    /// 1-based, in the YAML text.
    pub line: usize,
    pub column: usize,
    pub first_line: usize,
}

impl DuplicateKey {
    /// What to do, for YAML that starts on line `first_line_of_yaml` of its file.
    pub fn help(&self, first_line_of_yaml: usize) -> String {
        format!(
            "`{}` is set on line {} too; keep one of the two",
            self.key,
            self.first_line + first_line_of_yaml - 1
        )
    }
}

/// serde_yaml names a duplicate key (`duplicate entry with key "k"`, or `duplicate field `k``
/// for a struct) at the start of its mapping; this finds the key's second line from there: the
/// next line that sets it at the same indentation as the first.
pub fn duplicate_key(yaml: &str, message: &str, mapping_line: usize) -> Option<DuplicateKey> {
    let key = message
        .split_once("duplicate entry with key \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .or_else(|| {
            message
                .split_once("duplicate field `")
                .and_then(|(_, rest)| rest.split_once('`'))
        })?
        .0;
    let sets_key = |line: &str| {
        let text = line.trim_start();
        let rest = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .find_map(|written| text.strip_prefix(written.as_str()))?;
        rest.trim_start()
            .starts_with(':')
            .then_some(line.len() - text.len())
    };
    let mut first: Option<(usize, usize)> = None;
    for (i, line) in yaml
        .lines()
        .enumerate()
        .skip(mapping_line.saturating_sub(1))
    {
        let Some(indent) = sets_key(line) else {
            continue;
        };
        match first {
            None => first = Some((i + 1, indent)),
            Some((first_line, first_indent)) if indent == first_indent => {
                return Some(DuplicateKey {
                    key: key.to_string(),
                    line: i + 1,
                    column: indent + 1,
                    first_line,
                });
            }
            Some(_) => {}
        }
    }
    None
}

fn parse_toml(path: &Path, block: &Block<'_>) -> Result<Value, Diagnostic> {
    let table: toml::Table = toml::from_str(block.raw).map_err(|err| {
        let (line, col) = err
            .span()
            .map_or((0, 1), |span| line_col(block.raw, span.start));
        Diagnostic::error(
            Location::at(path, block.line + line, col),
            format!("invalid TOML front matter: {}", err.message()),
        )
        .with_help("fix the TOML here, or switch to YAML front matter between `---` lines")
    })?;
    Ok(toml_to_yaml(toml::Value::Table(table)))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count();
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

pub fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn toml_to_yaml(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => Value::Number(f.into()),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Sequence(items.into_iter().map(toml_to_yaml).collect()),
        toml::Value::Table(table) => {
            // Zola keeps tags under `[taxonomies]`; lift them so both spellings mean the same.
            let mut map = Mapping::new();
            for (key, value) in table {
                if key == "taxonomies" {
                    if let toml::Value::Table(tax) = &value
                        && let Some(tags) = tax.get("tags")
                    {
                        map.insert(Value::String("tags".into()), toml_to_yaml(tags.clone()));
                    }
                    continue;
                }
                map.insert(Value::String(key), toml_to_yaml(value));
            }
            Value::Mapping(map)
        }
    }
}

/// Lore's own front matter keys, read from the mapping. ADR keys are read by `adr::dialects`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    pub tags: Vec<String>,
    pub excerpt: Option<String>,
    pub draft: bool,
    pub slug: Option<String>,
    pub authors: Vec<String>,
    pub template: Option<String>,
    pub weight: Option<i64>,
    pub extra: serde_json::Value,
    /// Earlier paths of the page on this site, as written; each gets a redirect to it.
    pub aliases: Vec<String>,
    /// Keys that are neither Lore's nor an ADR dialect's, with their line: `lore check` warns.
    pub unknown_keys: Vec<(String, usize)>,
}

/// A date as written, and its calendar day for sorting and feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    pub written: String,
    pub day: chrono::NaiveDate,
    /// RFC 3339 timestamp for feeds.
    pub rfc3339: String,
}

impl Date {
    /// Accepts `YYYY-MM-DD` and RFC 3339 (and `YYYY-MM-DD HH:MM:SS`, which TOML and YAML users write).
    pub fn parse(text: &str) -> Option<Date> {
        let text = text.trim();
        if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Some(Date {
                written: text.into(),
                day,
                rfc3339: format!("{day}T00:00:00Z"),
            });
        }
        if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(text) {
            return Some(Date {
                written: text.into(),
                day: ts.date_naive(),
                rfc3339: ts.to_rfc3339(),
            });
        }
        if let Ok(ts) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
            return Some(Date {
                written: text.into(),
                day: ts.date(),
                rfc3339: format!("{}Z", ts.format("%Y-%m-%dT%H:%M:%S")),
            });
        }
        None
    }

    pub fn from_day(day: chrono::NaiveDate) -> Date {
        Date {
            written: day.to_string(),
            day,
            rfc3339: format!("{day}T00:00:00Z"),
        }
    }
}

/// Keys Lore reads itself, for "did you mean" hints.
pub const LORE_KEYS: &[&str] = &[
    "title",
    "date",
    "updated",
    "tags",
    "excerpt",
    "description",
    "summary",
    "draft",
    "slug",
    "authors",
    "author",
    "template",
    "weight",
    "extra",
    "aliases",
];

/// Keys of the ADR dialects Lore understands, which are not unknown either.
pub const ADR_KEYS: &[&str] = &[
    "status",
    "deciders",
    "decision-makers",
    "consulted",
    "informed",
    "supersedes",
    "superseded_by",
    "superseded-by",
    "supercededby",
    "supersededby",
    "replaces",
    "amends",
    "amended_by",
    "amended-by",
    "relates_to",
    "relates-to",
    "see-also",
    "number",
    "id",
    "adr",
    "last-updated",
    "creation-date",
];

/// Reads Lore's keys from `map`; type errors become diagnostics at the key's line.
pub fn read_meta(path: &Path, block: &Block<'_>, map: &Mapping) -> Result<Meta, Vec<Diagnostic>> {
    let mut meta = Meta {
        extra: serde_json::Value::Object(Default::default()),
        ..Meta::default()
    };
    let mut errors = Vec::new();
    for (key, value) in map {
        let Some(key) = scalar_text(key) else {
            continue;
        };
        let at = || key_location(path, block, &key);
        let result = apply_key(&mut meta, &key, value);
        match result {
            Ok(true) => {}
            Ok(false) => {
                let lower = key.to_ascii_lowercase();
                if !ADR_KEYS.contains(&lower.as_str()) {
                    meta.unknown_keys
                        .push((key.clone(), at().line.unwrap_or(block.line)));
                }
            }
            Err((message, help)) => errors.push(Diagnostic::error(at(), message).with_help(help)),
        }
    }
    if errors.is_empty() {
        Ok(meta)
    } else {
        Err(errors)
    }
}

type KeyError = (String, String);

/// Applies one key; `Ok(false)` means the key is not one of Lore's.
fn apply_key(meta: &mut Meta, key: &str, value: &Value) -> Result<bool, KeyError> {
    match key {
        "title" => meta.title = text_value(key, value)?.filter(|t| !t.trim().is_empty()),
        "date" => meta.date = date_value(key, value)?,
        "updated" | "lastmod" => meta.updated = date_value(key, value)?,
        "tags" => meta.tags = string_list(key, value)?,
        "excerpt" | "description" | "summary" => {
            let text = text_value(key, value)?;
            if meta.excerpt.is_none() {
                meta.excerpt = text.filter(|t| !t.trim().is_empty());
            }
        }
        "draft" => {
            meta.draft = match value {
                Value::Bool(b) => *b,
                Value::Null => false,
                _ => {
                    return Err((
                        format!("`draft` must be true or false, not {}", describe(value)),
                        "write `draft: true` or remove the line".into(),
                    ));
                }
            }
        }
        "slug" => meta.slug = text_value(key, value)?.filter(|s| !s.trim().is_empty()),
        // PowerShell RFCs write `Author:`; other capitalised keys stay their tools'.
        "authors" | "author" | "Author" | "Authors" => {
            meta.authors.extend(string_list(key, value)?);
        }
        "template" => meta.template = text_value(key, value)?,
        "weight" => {
            meta.weight = match value {
                Value::Null => None,
                _ => Some(value.as_i64().ok_or_else(|| {
                    (
                        format!("`weight` must be a whole number, not {}", describe(value)),
                        "write e.g. `weight: 10`; lower weights come first".into(),
                    )
                })?),
            }
        }
        "extra" => meta.extra = serde_json::to_value(value).unwrap_or_default(),
        "aliases" => {
            meta.aliases = string_list(key, value).map_err(|(message, _)| {
                let help = "write the page's earlier paths, e.g. `aliases: [/old/path/, /2019/05/name.html]`";
                (message.replace("list of words", "list of paths"), help.into())
            })?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A key whose value is one piece of text (numbers and booleans as written); a list or a map
/// there is a mistake, which would otherwise leave the key unset without a word.
fn text_value(key: &str, value: &Value) -> Result<Option<String>, KeyError> {
    if value.is_null() {
        return Ok(None);
    }
    scalar_text(value).map(Some).ok_or_else(|| {
        (
            format!("`{key}` must be text, not {}", describe(value)),
            format!("write it on one line, e.g. `{key}: Some text`; quote text that starts with `[` or `{{`"),
        )
    })
}

fn date_value(key: &str, value: &Value) -> Result<Option<Date>, KeyError> {
    let Some(text) = scalar_text(value) else {
        return if value.is_null() {
            Ok(None)
        } else {
            Err((
                format!("`{key}` must be a date, not {}", describe(value)),
                "write it as YYYY-MM-DD, e.g. `date: 2026-03-02`".into(),
            ))
        };
    };
    Date::parse(&text).map(Some).ok_or_else(|| {
        (
            format!("`{key}: {text}` is not a date"),
            "write a real calendar date as YYYY-MM-DD or RFC 3339 (2026-03-02T09:30:00Z)".into(),
        )
    })
}

/// A list of strings; a single string or number counts as one item, as people write `tags: rust`.
fn string_list(key: &str, value: &Value) -> Result<Vec<String>, KeyError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.trim().to_string()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect()),
        Value::Sequence(items) => items
            .iter()
            .map(|item| {
                scalar_text(item).ok_or_else(|| {
                    (
                        format!(
                            "`{key}` must be a list of words, but one item is {}",
                            describe(item)
                        ),
                        format!("write e.g. `{key}: [rust, search]`"),
                    )
                })
            })
            .filter(|item| !matches!(item, Ok(s) if s.trim().is_empty()))
            .collect(),
        _ => Err((
            format!("`{key}` must be a list, not {}", describe(value)),
            format!("write e.g. `{key}: [rust, search]`; quote numbers: `{key}: [\"5\"]`"),
        )),
    }
}

/// Text of a scalar as written (numbers and booleans too), `None` for lists and maps.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "empty".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a map".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

/// Finds the line of a top-level key in the block, for positions serde_yaml does not give.
pub fn key_location(path: &Path, block: &Block<'_>, key: &str) -> Location {
    for (i, line) in block.raw.lines().enumerate() {
        let trimmed = line.trim_start_matches(['"', '\'']);
        if trimmed.starts_with(key)
            && trimmed[key.len()..]
                .trim_start_matches(['"', '\''])
                .trim_start()
                .starts_with([':', '='])
        {
            return Location::at(path, block.line + i, 1);
        }
    }
    Location::at(path, block.line, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_of(text: &str) -> Result<Meta, Vec<Diagnostic>> {
        let split = split(strip_bom(text)).expect("closed");
        let block = split.block.expect("block");
        let map = parse_block(Path::new("t.md"), &block).map_err(|d| vec![d])?;
        read_meta(Path::new("t.md"), &block, &map)
    }

    #[test]
    fn yaml_block_and_body_line() {
        let s = split("---\ntitle: A\n---\nBody\n").unwrap();
        assert_eq!(s.block.unwrap().raw, "title: A\n");
        assert_eq!(s.body, "Body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}---\r\ntitle: Crlf\r\ntags: [a, B]\r\n---\r\nBody\r\n";
        let meta = meta_of(text).unwrap();
        assert_eq!(meta.title.as_deref(), Some("Crlf"));
        assert_eq!(meta.tags, vec!["a", "B"]);
        assert_eq!(split(strip_bom(text)).unwrap().body, "Body\r\n");
    }

    #[test]
    fn dashes_in_body_and_code_fence_are_body() {
        let text = "---\ntitle: T\n---\nIntro\n\n---\n\n```yaml\n---\nx: 1\n---\n```\n";
        let s = split(text).unwrap();
        assert!(s.body.contains("```yaml\n---\nx: 1\n---\n```"));
        let no_front = "Intro\n---\ntitle: no\n---\n";
        assert!(split(no_front).unwrap().block.is_none());
    }

    #[test]
    fn empty_front_matter_is_empty_mapping() {
        let meta = meta_of("---\n---\nBody").unwrap();
        assert_eq!(meta.title, None);
        assert!(meta.tags.is_empty());
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        assert_eq!(
            split("---\ntitle: x\nbody\n"),
            Err(Unclosed { fence: "---" })
        );
        assert_eq!(split("+++\ntitle = 'x'\n"), Err(Unclosed { fence: "+++" }));
    }

    #[test]
    fn impossible_date_names_line() {
        let errs = meta_of("---\ntitle: T\ndate: 2026-02-30\n---\n").unwrap_err();
        assert_eq!(errs[0].location.line, Some(3));
        assert!(
            errs[0].message.contains("is not a date"),
            "{}",
            errs[0].message
        );
        assert!(meta_of("---\ndate: yesterday\n---\n").is_err());
    }

    #[test]
    fn rfc3339_date() {
        let meta = meta_of("---\ndate: 2026-03-02T09:30:00+01:00\n---\n").unwrap();
        assert_eq!(meta.date.unwrap().day.to_string(), "2026-03-02");
    }

    #[test]
    fn tags_of_wrong_type() {
        let errs = meta_of("---\ntitle: T\ntags: 5\n---\n").unwrap_err();
        assert_eq!(errs[0].location.line, Some(3));
        assert!(errs[0].message.contains("must be a list"));
    }

    #[test]
    fn a_duplicate_key_is_found_where_it_is_written_again() {
        let yaml = "title: a\nextra:\n  k: 1\n  'k' : 2\ntitle: b\n";
        let top = duplicate_key(yaml, "duplicate entry with key \"title\"", 1).unwrap();
        assert_eq!((top.line, top.column, top.first_line), (5, 1, 1));
        let nested = duplicate_key(yaml, "extra: duplicate field `k` at line 3", 3).unwrap();
        assert_eq!((nested.line, nested.column, nested.first_line), (4, 3, 3));
        assert_eq!(
            nested.help(10),
            "`k` is set on line 12 too; keep one of the two"
        );
        assert!(duplicate_key(yaml, "did not find expected key", 1).is_none());
        assert!(duplicate_key("titles: a\n", "duplicate field `title`", 1).is_none());
    }

    #[test]
    fn yaml_error_position_is_in_file_lines() {
        let text = "---\ntitle: T\ntags: [a, b\n---\n";
        let block = split(text).unwrap().block.unwrap();
        let d = parse_block(Path::new("t.md"), &block).unwrap_err();
        assert!(d.location.line.unwrap() >= 3, "{d}");
    }

    #[test]
    fn toml_front_matter_with_taxonomies() {
        let meta = meta_of("+++\ntitle = \"Zola\"\ndate = 2026-01-02\ndescription = \"d\"\n[taxonomies]\ntags = [\"x\"]\n+++\n").unwrap();
        assert_eq!(meta.title.as_deref(), Some("Zola"));
        assert_eq!(meta.tags, vec!["x"]);
        assert_eq!(meta.excerpt.as_deref(), Some("d"));
        assert_eq!(meta.date.unwrap().written, "2026-01-02");
    }

    #[test]
    fn unknown_keys_are_recorded_not_fatal() {
        let meta = meta_of("---\ntitle: T\ntagz: [a]\nstatus: accepted\n---\n").unwrap();
        assert_eq!(meta.unknown_keys, vec![("tagz".to_string(), 3)]);
    }
}
