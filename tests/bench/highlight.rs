//! Highlighting benchmark: MB/s per fence language on the code blocks of a corpus.
//!
//!     cargo bench --bench highlight -- [CONTENT_DIR] [--syntect]
//!
//! CONTENT_DIR defaults to `/tmp/corpus10k/content` (made by `../shared/bench/gen_corpus.py
//! --posts 9000 --adrs 1000`). Every fenced block of every `.md` file under it is highlighted
//! once, on one thread, through `lore::highlight::highlight` (or, with `--syntect`, through
//! syntect's grammars alone, the highlighter before the lexers). The per-language totals are
//! CPU time, the figure that divides by the cores in a build.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let syntect = args.iter().any(|a| a == "--syntect");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("/tmp/corpus10k/content", String::as_str);
    let blocks = code_blocks(dir);
    assert!(!blocks.is_empty(), "no code blocks under {dir}");
    let highlight = if syntect {
        lore::highlight::highlight_with_syntect
    } else {
        lore::highlight::highlight
    };
    // Load what is loaded once per process (syntect's syntax set) before timing.
    for (lang, _) in &blocks {
        let _ = highlight("x\n", lang);
    }
    let mut per_lang: BTreeMap<&str, (usize, f64, usize)> = BTreeMap::new();
    for (lang, code) in &blocks {
        let start = Instant::now();
        let html = highlight(code, lang);
        let secs = start.elapsed().as_secs_f64();
        let entry = per_lang.entry(lang).or_default();
        entry.0 += code.len();
        entry.1 += secs;
        entry.2 += html.map_or(0, |h| h.len());
    }
    let which = if syntect { "syntect" } else { "lore" };
    println!("{} blocks in {dir} ({which})", blocks.len());
    println!("lang        code MB   CPU s      MB/s   HTML MB");
    let (mut bytes, mut secs) = (0, 0.0);
    for (lang, (b, s, out)) in &per_lang {
        let mb = *b as f64 / 1e6;
        println!(
            "{lang:10} {mb:8.2} {s:7.3} {:9.1} {:9.1}",
            mb / s,
            *out as f64 / 1e6
        );
        bytes += b;
        secs += s;
    }
    let mb = bytes as f64 / 1e6;
    println!("{:10} {mb:8.2} {secs:7.3} {:9.1}", "total", mb / secs);
}

/// `(language, code)` of every fenced block with a language, in file-name order.
fn code_blocks(dir: &str) -> Vec<(String, String)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut blocks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut current: Option<(String, String)> = None;
        for event in Parser::new(&text) {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    let lang = info.split([' ', ',']).next().unwrap_or("").to_string();
                    current = (!lang.is_empty()).then(|| (lang, String::new()));
                }
                Event::Text(t) => {
                    if let Some((_, code)) = &mut current {
                        code.push_str(&t);
                    }
                }
                Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
                _ => {}
            }
        }
    }
    blocks
}
