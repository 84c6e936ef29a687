//! Documents: one source file read, its front matter parsed, its kind and ADR metadata known.
//! Nothing here depends on other files, so documents are parsed in parallel and cached by hash.

use crate::adr::dialects::{AdrInput, read_adr};
use crate::adr::record::AdrRecord;
use crate::discover::{Role, SourceFile};
use crate::error::{Diagnostic, Location};
use crate::front_matter::{self, Date, Meta};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Post,
    Adr,
    Doc,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Adr => "adr",
            Kind::Doc => "doc",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    pub source: SourceFile,
    pub hash: [u8; 32],
    pub kind: Kind,
    pub meta: Meta,
    pub title: String,
    pub date: Option<Date>,
    /// Boxed: nine pages in ten of a typical site are not decisions, and a record is 230 bytes.
    pub adr: Option<Box<AdrRecord>>,
    /// The Markdown to render (front matter and a first-line title removed). Shared: `lore
    /// serve` keeps every document between rebuilds and hands out copies of unchanged ones.
    pub body: std::sync::Arc<str>,
    pub body_line: usize,
    /// Where `body` starts in the file's bytes, to read it again ([`Document::read_body_again`]).
    pub body_at: usize,
    /// `body` was let go once read, and is read from the file again when the page is rendered
    /// (large builds: see `pipeline::read_documents_once`).
    pub body_dropped: bool,
    pub warnings: Vec<Diagnostic>,
}

/// Reads and parses one file.
pub fn load(source: SourceFile) -> Result<Document, Vec<Diagnostic>> {
    let bytes = std::fs::read(&source.path)
        .map_err(|e| vec![crate::error::io_diagnostic(&source.path, "read", &e)])?;
    parse(source, &bytes)
}

pub fn parse(source: SourceFile, bytes: &[u8]) -> Result<Document, Vec<Diagnostic>> {
    parse_hashed(source, bytes, *blake3::hash(bytes).as_bytes())
}

/// [`parse`], for a caller that already hashed `bytes` (BLAKE3).
pub fn parse_hashed(
    source: SourceFile,
    bytes: &[u8],
    hash: [u8; 32],
) -> Result<Document, Vec<Diagnostic>> {
    let text = decode(&source.path, bytes).map_err(|d| vec![d])?;
    let text = front_matter::strip_bom(text);
    let split = front_matter::split(text).map_err(|unclosed| {
        vec![
            Diagnostic::error(
                Location::at(&source.path, 1, 1),
                "front matter is never closed",
            )
            .with_help(format!(
                "add a line `{}` after the last front matter line",
                unclosed.fence
            )),
        ]
    })?;
    let (meta, mapping, raw) = match &split.block {
        Some(block) => {
            let map = front_matter::parse_block(&source.path, block).map_err(|d| vec![d])?;
            let meta = front_matter::read_meta(&source.path, block, &map)?;
            (meta, Some(map), Some(block.raw))
        }
        None => (Meta::default(), None, None),
    };
    let kind = match source.role {
        Role::Post => Kind::Post,
        Role::Adr { .. } => Kind::Adr,
        Role::Doc | Role::AdrIntro { .. } => Kind::Doc,
    };
    let adr = (kind == Kind::Adr).then(|| read_record(&source, mapping.as_ref(), raw, split.body));
    let mut warnings = Vec::new();
    let (title, body, body_line) =
        title_and_body(&source, &meta, adr.as_ref(), split.body, split.body_line);
    let date = meta
        .date
        .clone()
        .or_else(|| adr_date(adr.as_ref()))
        .or_else(|| date_from_file_name(naming_path(&source)));
    // A decision folder keeps its own tool's keys (PowerShell's `Comments Due`, a TEP's
    // `authors`, MADR's `nav_order`): only what looks like a misspelt key of Lore's is news.
    let typos_only = matches!(source.role, Role::Adr { .. } | Role::AdrIntro { .. });
    for (key, line) in &meta.unknown_keys {
        warnings.extend(unknown_key_warning(&source.path, key, *line, typos_only));
    }
    if text.trim().is_empty() && publishes_a_page(&source) {
        warnings.push(
            Diagnostic::warning(
                Location::file(&source.path),
                format!("this file is empty: it is published as an empty page, titled \"{title}\""),
            )
            .with_help(
                "write the page, mark it `draft: true` until it is ready, or delete the file",
            ),
        );
    }
    // `body` is the end of the file's text, so it starts where its bytes do.
    let body_at = body.as_ptr() as usize - bytes.as_ptr() as usize;
    Ok(Document {
        source,
        hash,
        kind,
        meta,
        title,
        date,
        adr: adr.map(Box::new),
        body: body.into(),
        body_line,
        body_at,
        body_dropped: false,
        warnings,
    })
}

impl Document {
    /// Its Markdown, read from its file again: for a build that let it go after reading it
    /// (`site::assemble_rendered`). Fails, naming the file, when the file changed meanwhile: what
    /// was built from it so far (lists, links, the index) would not match.
    pub fn read_body_again(&self) -> Result<String, Diagnostic> {
        let path = &self.source.path;
        let mut bytes =
            std::fs::read(path).map_err(|e| crate::error::io_diagnostic(path, "read", &e))?;
        let changed = || {
            Diagnostic::error(
                Location::file(path),
                "this file changed while the site was being built",
            )
            .with_help("run the build again once the file is saved")
        };
        if *blake3::hash(&bytes).as_bytes() != self.hash {
            return Err(changed());
        }
        if self.body_at > bytes.len() {
            return Err(changed());
        }
        bytes.drain(..self.body_at);
        String::from_utf8(bytes).map_err(|_| changed())
    }
}

fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    std::str::from_utf8(bytes).map_err(|err| {
        let valid = &bytes[..err.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Diagnostic::error(
            Location::at(path, line, col),
            "this file is not valid UTF-8",
        )
        .with_help("re-save the file as UTF-8 (most editors: File > Save with Encoding > UTF-8)")
    })
}

fn read_record(
    source: &SourceFile,
    mapping: Option<&serde_yaml::Mapping>,
    raw: Option<&str>,
    body: &str,
) -> AdrRecord {
    let file_name = source
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = source
        .path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    read_adr(&AdrInput {
        file_name: &file_name,
        folder_hint: folder.as_deref(),
        front_matter: mapping,
        front_matter_raw: raw,
        body,
    })
}

fn adr_date(adr: Option<&AdrRecord>) -> Option<Date> {
    let written = adr?.date.as_deref()?;
    let prefix: String = written.trim().chars().take(10).collect();
    Date::parse(written)
        .or_else(|| Date::parse(&prefix))
        .map(|mut d| {
            d.written = written.to_string();
            d
        })
}

/// `2026-03-02-caching.md` is dated 2026-03-02.
pub fn date_from_file_name(path: &Path) -> Option<Date> {
    let name = path.file_name()?.to_str()?;
    let prefix = name.get(..10)?;
    let rest = name.get(10..)?;
    if !rest.starts_with(['-', '_']) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(prefix, "%Y-%m-%d")
        .ok()
        .map(Date::from_day)
}

/// The title, and the body without the line the title came from.
fn title_and_body<'a>(
    source: &SourceFile,
    meta: &Meta,
    adr: Option<&AdrRecord>,
    body: &'a str,
    body_line: usize,
) -> (String, &'a str, usize) {
    if let Some(title) = meta.title.clone() {
        return (title, body, body_line);
    }
    if let Some(record) = adr
        && let Some(title) = record.title.clone()
    {
        // An H2 title leaves the body, as a leading H1 does when the page is rendered.
        return match without_first_line(body).filter(|_| record.title_from_h2) {
            Some((rest, skipped)) => (title, rest, body_line + skipped),
            None => (title, body, body_line),
        };
    }
    // A record's H1 was read as its dialect reads it (a section's name is no title).
    if let Some(title) = leading_heading(body).filter(|_| adr.is_none()) {
        return (title, body, body_line);
    }
    // In a record, `Status: Draft` opening the text is a field, not a title.
    let is_field = |title: &str| adr.is_some() && title.contains(':');
    if let Some((title, rest, skipped)) = leading_short_line(body).filter(|(t, _, _)| !is_field(t))
    {
        return (title, rest, body_line + skipped);
    }
    if adr.is_some() {
        // Its number is shown beside the title: `RFC0061-Alias-Policy` is "Alias Policy".
        let stem = (source.path.file_stem()).map(|s| s.to_string_lossy().into_owned());
        let name = stem.as_deref().map(crate::adr::locate::without_number);
        if let Some(name) = name.filter(|n| n.chars().any(char::is_alphanumeric)) {
            return (title_from_file_name(Path::new(name)), body, body_line);
        }
    }
    (title_from_file_name(naming_path(source)), body, body_line)
}

/// Whether a file is a page of its own, not a folder's introduction (an empty `_index.md` only
/// marks a section, as in Hugo and Zola).
fn publishes_a_page(source: &SourceFile) -> bool {
    !introduces_its_folder(&source.path) && !matches!(source.role, Role::AdrIntro { .. })
}

/// The file names (without extension, lower-cased) that introduce their folder, in order of
/// preference when a folder has more than one.
pub const INTRO_STEMS: [&str; 3] = ["_index", "index", "readme"];

/// The path whose name gives a page its default title, date and slug: for the `index.md` of a
/// folder (a page bundle, `posts/2026-01-05-launch/index.md` beside its images), the folder's.
pub fn naming_path(source: &SourceFile) -> &Path {
    let in_folder = source.rel.contains('/');
    let named_by_folder = introduces_its_folder(&source.path)
        && in_folder
        && matches!(source.role, Role::Post | Role::Doc);
    match source.path.parent() {
        Some(folder) if named_by_folder => folder,
        _ => &source.path,
    }
}

/// Whether a file is named as its folder's introduction (`_index.md`, `index.md`, `README.md`).
/// Compared without a lower-cased copy: every post of a site asks, in routing and assembly.
pub fn introduces_its_folder(path: &Path) -> bool {
    path.file_stem().is_some_and(|s| {
        let stem = s.as_encoded_bytes();
        INTRO_STEMS
            .iter()
            .any(|i| stem.eq_ignore_ascii_case(i.as_bytes()))
    })
}

fn leading_heading(body: &str) -> Option<String> {
    let first = without_leading_comments(body)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())?;
    let text = first.strip_prefix("# ")?;
    let text = text.trim().trim_end_matches('#').trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// `body` after the HTML comments that open it (Log4brains' index.md starts with one).
fn without_leading_comments(mut body: &str) -> &str {
    while let Some(comment) = body.trim_start().strip_prefix("<!--") {
        match comment.find("-->") {
            Some(end) => body = &comment[end + 3..],
            None => break,
        }
    }
    body
}

/// `body` after its first non-blank line, and how many lines that skips.
fn without_first_line(body: &str) -> Option<(&str, usize)> {
    let mut skipped = 0;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        at += line.len();
        skipped += 1;
        if !line.trim().is_empty() {
            return Some((&body[at..], skipped));
        }
    }
    None
}

/// A pasted article: a short first line followed by a blank line.
fn leading_short_line(body: &str) -> Option<(String, &str, usize)> {
    let mut lines = body.split_inclusive('\n');
    let first = lines.next()?;
    let second = lines.next()?;
    let title = first.trim();
    let looks_like_title = !title.is_empty()
        && title.chars().count() <= 80
        && !title.starts_with(['#', '-', '*', '>', '|', '`', '<', '!', '[', '+'])
        && !title.ends_with(['.', ':', ',', ';']);
    if !looks_like_title || !second.trim().is_empty() {
        return None;
    }
    Some((title.to_string(), &body[first.len() + second.len()..], 2))
}

pub fn title_from_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = strip_compact_date(strip_date_prefix(&stem));
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled".into(),
    }
}

/// `stem` without a leading `YYYYMMDD-` or `YYYYMM-` (Log4brains' `20200102-x`, Thanos'
/// `202203-x`): for titles only; such files keep their names in URLs.
fn strip_compact_date(stem: &str) -> &str {
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &stem[digits..];
    let month_ok = |m: &str| m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    let dated = match digits {
        8 => chrono::NaiveDate::parse_from_str(&stem[..8], "%Y%m%d").is_ok(),
        6 => (stem.starts_with("19") || stem.starts_with("20")) && month_ok(&stem[4..6]),
        _ => false,
    };
    match rest.strip_prefix(['-', '_']) {
        Some(words) if dated && !words.is_empty() => words,
        _ => stem,
    }
}

pub fn strip_date_prefix(stem: &str) -> &str {
    // `get`, not slicing: byte 10 may fall inside a character (`2026-01-0é-x`).
    let (Some(date), Some(rest)) = (stem.get(..10), stem.get(10..)) else {
        return stem;
    };
    let is_dated = rest.len() > 1
        && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && rest.starts_with(['-', '_']);
    if is_dated { &rest[1..] } else { stem }
}

fn unknown_key_warning(
    path: &Path,
    key: &str,
    line: usize,
    typos_only: bool,
) -> Option<Diagnostic> {
    let closest = (front_matter::LORE_KEYS.iter())
        .chain(front_matter::ADR_KEYS)
        .map(|k| {
            (
                strsim::damerau_levenshtein(k, &key.to_ascii_lowercase()),
                *k,
            )
        })
        .min()
        .filter(|(d, _)| *d <= 2);
    let warning = Diagnostic::warning(
        Location::at(path, line, 1),
        format!("unknown front matter key `{key}`"),
    );
    match closest {
        Some((_, k)) => Some(warning.with_help(format!("did you mean `{k}`?"))),
        None if typos_only => None,
        None => Some(warning.with_help("Lore ignores it; put theme data under `extra:`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rel: &str, role: Role, text: &str) -> Result<Document, Vec<Diagnostic>> {
        let source = SourceFile {
            path: Path::new("/site/content").join(rel),
            rel: rel.into(),
            role,
        };
        parse(source, text.as_bytes())
    }

    #[test]
    fn titles_from_file_names_lose_their_dates() {
        for (name, title) in [
            ("2026-01-02-hello-world.md", "Hello world"),
            ("20200102-adr-without-title.md", "Adr without title"),
            ("202203-grpc-query-api.md", "Grpc query api"),
            ("0012-use-rust.md", "0012 use rust"),
            ("20201399-not-a-date.md", "20201399 not a date"),
            ("123456-numbers.md", "123456 numbers"),
            ("20200102.md", "20200102"),
        ] {
            assert_eq!(title_from_file_name(Path::new(name)), title, "{name}");
        }
    }

    #[test]
    fn the_body_read_again_is_the_body_parsed_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let texts = [
            "---\ntitle: T\n---\nBody with front matter.\n",
            "\u{feff}---\r\ntitle: T\r\n---\r\n\r\nBOM and CRLF, caf\u{e9}.\r\n",
            "A Pasted Article\n\nIt starts here.\n",
            "# Heading\n\nText.\n",
            "",
        ];
        for (n, text) in texts.iter().enumerate() {
            let path = dir.path().join(format!("{n}.md"));
            std::fs::write(&path, text).unwrap();
            let source = SourceFile {
                path: path.clone(),
                rel: format!("{n}.md"),
                role: Role::Doc,
            };
            let parsed = load(source).unwrap();
            assert_eq!(parsed.read_body_again().unwrap(), &*parsed.body, "{text:?}");
            std::fs::write(&path, format!("{text}more")).unwrap();
            let refused = parsed.read_body_again().unwrap_err();
            assert!(refused.message.contains("changed while"), "{refused:?}");
        }
    }

    #[test]
    fn title_from_heading_then_first_line_then_file_name() {
        assert_eq!(
            doc("a.md", Role::Doc, "# Heading Title\n\nText")
                .unwrap()
                .title,
            "Heading Title"
        );
        let pasted = doc("b.md", Role::Doc, "A Pasted Article\n\nIt starts here.\n").unwrap();
        assert_eq!(pasted.title, "A Pasted Article");
        assert_eq!(&*pasted.body, "It starts here.\n");
        assert_eq!(
            doc(
                "posts/2026-01-02-my-note.md",
                Role::Post,
                "Just a long sentence that ends with a full stop.\n\nMore."
            )
            .unwrap()
            .title,
            "My note"
        );
    }

    #[test]
    fn a_record_opening_with_an_h2_and_no_h1_is_titled_by_it() {
        let adr = || Role::Adr { root: 0 };
        let text = "\n## Introduce a Query gRPC API\n\n* **Owners:** `@a`\n\n## Why\n\nBecause.\n";
        let record = doc("adr/202203-grpc-query-api.md", adr(), text).unwrap();
        assert_eq!(record.title, "Introduce a Query gRPC API");
        assert!(
            record.body.starts_with("\n* **Owners:**"),
            "{}",
            record.body
        );
        assert_eq!(record.body_line, 3);
        // A usual section opening the record is no title (Log4brains' test records do this).
        let sections = "## Context and Problem Statement\n\nLorem.\n";
        let untitled = doc("adr/20201028-no-title.md", adr(), sections).unwrap();
        assert_eq!(untitled.title, "No title");
        assert!(untitled.body.starts_with("## Context"));
        // With an H1 further down, the H2 is a section.
        let later = doc("adr/0001-x.md", adr(), "## Intro\n\n# Later\n").unwrap();
        assert_ne!(later.title, "Intro");
    }

    #[test]
    fn date_from_file_name_prefix() {
        let d = doc("posts/2026-01-02-x.md", Role::Post, "text").unwrap();
        assert_eq!(d.date.unwrap().written, "2026-01-02");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let source = SourceFile {
            path: "/x/bad.md".into(),
            rel: "bad.md".into(),
            role: Role::Doc,
        };
        let errs = parse(source, b"ok\nab\xff").unwrap_err();
        assert_eq!(
            (errs[0].location.line, errs[0].location.col),
            (Some(2), Some(3))
        );
    }

    #[test]
    fn unknown_key_suggests_closest() {
        let d = doc("a.md", Role::Doc, "---\ntitle: T\ntagz: [a]\n---\n").unwrap();
        assert_eq!(d.warnings[0].help.as_deref(), Some("did you mean `tags`?"));
    }

    #[test]
    fn file_names_with_characters_across_the_date_are_not_dates() {
        assert_eq!(strip_date_prefix("2026-01-0é-note"), "2026-01-0é-note");
        assert_eq!(strip_date_prefix("2026-01-02-é"), "é");
        assert_eq!(strip_date_prefix("2026-01-02-"), "2026-01-02-");
        let d = doc("posts/2026-01-0é-note.md", Role::Post, "text").unwrap();
        assert_eq!(d.title, "2026 01 0é note");
    }

    #[test]
    fn empty_file_is_a_page() {
        let d = doc("empty-page.md", Role::Doc, "").unwrap();
        assert_eq!(d.title, "Empty page");
    }
}
