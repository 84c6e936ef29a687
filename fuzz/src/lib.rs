//! What each fuzz target runs on one input. `tests/fuzz_regressions.rs` includes this file too,
//! so every input the fuzzers ever crashed on is replayed by `cargo test`, without the fuzzer.
//! Each function must return normally on any input: a panic is the bug being looked for.

use lore::adr::dialects::{AdrInput, read_adr};
use lore::discover::{Role, SourceFile};
use lore::front_matter;
use lore::markdown::{self, LinkTarget, Links, RenderOptions, Resolution};
use std::path::Path;

/// The front matter splitter, the YAML/TOML parser and the reading of Lore's keys.
pub fn front_matter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.md");
    let Ok(split) = front_matter::split(front_matter::strip_bom(text)) else {
        return;
    };
    assert!(split.body_line >= 1);
    if let Some(block) = split.block
        && let Ok(map) = front_matter::parse_block(path, &block)
    {
        let _ = front_matter::read_meta(path, &block, &map);
        for key in ["title", "tags", "date"] {
            let _ = front_matter::key_location(path, &block, key);
        }
    }
}

/// The ADR dialect readers. The first line is the file name, the second the folder's name,
/// the rest the file (front matter, when it parses, handed over parsed as the pipeline does).
pub fn adr_dialects(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let file_name = parts.next().unwrap_or_default();
    let folder = parts.next().filter(|f| !f.is_empty());
    let file = parts.next().unwrap_or_default();
    let split = front_matter::split(file).ok();
    let block = split.as_ref().and_then(|s| s.block.clone());
    let mapping = block
        .as_ref()
        .and_then(|b| front_matter::parse_block(Path::new("fuzz.md"), b).ok());
    let _ = read_adr(&AdrInput {
        file_name,
        folder_hint: folder,
        front_matter: mapping.as_ref(),
        front_matter_raw: block.as_ref().map(|b| b.raw),
        body: split.map_or(file, |s| s.body),
    });
}

/// One file to a rendered page: `document::parse` then `markdown::render`. The first byte picks
/// the file's role and the Markdown options, so every combination is reached; the first line
/// is the file's name (titles, dates and numbers come from it too), the rest the file.
pub fn page(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (name, bytes) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b""[..], rest),
    };
    let name = std::str::from_utf8(name)
        .ok()
        .filter(|n| !n.is_empty() && !n.contains(['/', '\0']) && !matches!(*n, "." | ".."))
        .unwrap_or("0007-x.md");
    let (folder, role) = match flags % 3 {
        0 => ("posts", Role::Post),
        1 => ("adr", Role::Adr { root: 0 }),
        _ => ("guide", Role::Doc),
    };
    let source = SourceFile {
        path: Path::new("/site/content").join(folder).join(name),
        rel: format!("{folder}/{name}"),
        role,
    };
    let Ok(doc) = lore::document::parse(source, bytes) else {
        return;
    };
    let resolve = |href: &str| Resolution {
        href: href.replace(".md", "/"),
        target: if href.ends_with(".md") {
            LinkTarget::Page {
                page: 0,
                fragment: None,
            }
        } else {
            LinkTarget::Broken
        },
        superseded_hint: href.contains("0001").then(|| "Superseded by ADR 2".into()),
    };
    let options = |links| RenderOptions {
        keep_leading_h1: flags & 32 != 0,
        safe: flags & 4 != 0,
        smart_punctuation: flags & 8 != 0,
        emoji: flags & 64 != 0,
        highlight: flags & 16 != 0,
        links,
    };
    let rendered = markdown::render(&doc.body, doc.body_line, &options(Links::Resolve(&resolve)));
    let outline = markdown::scan(&doc.body, doc.body_line, &options(Links::Resolve(&resolve)));
    for link in &outline.links {
        assert!(link.line >= doc.body_line && link.col >= 1, "{link:?}");
    }
    // A build scans every page first and renders it later from the scan's links: both must
    // agree with rendering in one go.
    let replayed = markdown::render(
        &doc.body,
        doc.body_line,
        &options(Links::Replay(&outline.links)),
    );
    assert_eq!(replayed.html, rendered.html);
    assert_eq!(replayed.sections, rendered.sections);
}
