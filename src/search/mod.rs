//! Lore's static search index: built per page in parallel (`index_page`),
//! written once as sharded script files holding JSON (`write_index`) that the
//! browser client `search.js` loads on demand, by fetch or by `<script>` tag.
//!
//! On-disk format: see `write.rs` (and the crate README in the report).

mod analyze;
pub mod query;
mod write;

pub use analyze::{Analyzer, fold_into};
pub use write::{unwrap_js, write_index};

use analyze::{Token, tokenize};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

/// One page as the pipeline knows it (no HTML re-parsing).
#[derive(Clone, Debug, Default)]
pub struct SearchDoc {
    /// With base path, e.g. "/kb/adr/0007-use-postgres/".
    pub url: String,
    pub title: String,
    /// "post" | "adr" | "doc".
    pub kind: String,
    /// Normalised ADR status, e.g. "accepted".
    pub status: Option<String>,
    /// "ADR 7".
    pub label: Option<String>,
    pub number: Option<u32>,
    /// "YYYY-MM-DD".
    pub date: Option<String>,
    /// Display names.
    pub tags: Vec<String>,
    pub deciders: Vec<String>,
    pub excerpt: String,
    /// In order; the first has anchor None (text before the first heading).
    pub sections: Vec<SearchSection>,
    /// Text of code blocks (indexed, weighs less).
    pub code: String,
}

#[derive(Clone, Debug, Default)]
pub struct SearchSection {
    pub anchor: Option<String>,
    pub heading: String,
    pub text: String,
}

// Field weights. Body-like fields feed a BM25 saturating term frequency; the
// "boost" fields add a fixed multiple of the term's IDF, so a title match
// always outranks any amount of body text.
const W_BODY: f32 = 1.0;
const W_CODE: f32 = 0.4;
const W_EXCERPT: f32 = 0.5;
const B_TITLE: f32 = 3.0;
const B_HEADING: f32 = 1.2;
const B_META: f32 = 1.0; // tags, label, number, status, deciders
const EXCERPT_CHARS: usize = 220;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// End offset of the term in `PageIndex::terms`.
    end: u32,
    /// Weighted term frequency in body-like fields.
    tf: f32,
    /// Sum of fixed boosts (title, headings, tags, ...).
    boost: f32,
    /// Index of the section where the term weighs most (0 = none / intro).
    sec: u8,
}

/// One page's postings and record. Immutable, `Clone + Send + Sync`.
#[derive(Clone, Debug)]
pub struct PageIndex {
    /// Terms concatenated, in sorted order (see `entries`).
    terms: Box<str>,
    entries: Box<[Entry]>,
    /// surface\u{1}stem pairs concatenated, each ending with \u{2}.
    aliases: Box<str>,
    /// Length of body-like text in tokens (BM25 length normalisation).
    len: f32,
    pub(crate) url: Box<str>,
    pub(crate) kind: Box<str>,
    pub(crate) status: Option<Box<str>>,
    pub(crate) year: u16,
    pub(crate) tags: Box<[Box<str>]>,
    /// The page's record, already serialised as JSON.
    pub(crate) record: Box<str>,
}

impl PageIndex {
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        let mut start = 0usize;
        self.entries.iter().map(move |e| {
            let end = e.end as usize;
            let t = self.terms.get(start..end).unwrap_or("");
            start = end;
            (t, e)
        })
    }
    pub(crate) fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases
            .split('\u{2}')
            .filter(|s| !s.is_empty())
            .filter_map(|p| p.split_once('\u{1}'))
    }
    pub(crate) fn len(&self) -> f32 {
        self.len
    }
    /// Number of distinct terms (for statistics).
    pub fn term_count(&self) -> usize {
        self.entries.len()
    }
}

#[derive(Default)]
struct Acc {
    tf: f32,
    boost: f32,
    best_sec: u8,
    best_w: f32,
    cur_sec: u8,
    cur_w: f32,
    heads: u8,
    in_title: bool,
}

/// Per-page accumulation state.
struct Builder<'a> {
    an: &'a Analyzer,
    accs: Vec<(String, Acc)>,
    by_stem: HashMap<String, u32>,
    /// surface form -> index in `accs` (a per-page stem cache).
    by_surface: HashMap<String, u32>,
    aliases: Vec<(String, u32)>,
    folded: String,
    stem_buf: String,
    len: f32,
}

#[derive(Clone, Copy)]
enum Field {
    Body(u8),
    Heading(u8),
    Code,
    Excerpt,
    Title,
    Meta,
    /// ADR label and number: as strong as the title.
    Label,
}

impl<'a> Builder<'a> {
    fn acc_index(&mut self, term: &str) -> u32 {
        if let Some(&i) = self.by_stem.get(term) {
            return i;
        }
        let i = self.accs.len() as u32;
        self.accs.push((term.to_string(), Acc::default()));
        self.by_stem.insert(term.to_string(), i);
        i
    }

    fn bump(&mut self, i: u32, field: Field) {
        let Some((_, acc)) = self.accs.get_mut(i as usize) else {
            return;
        };
        let (sec, w) = match field {
            Field::Body(s) => {
                acc.tf += W_BODY;
                (Some(s), W_BODY)
            }
            Field::Heading(s) => {
                // First heading hit counts fully, two more a little.
                if acc.heads == 0 {
                    acc.boost += B_HEADING;
                } else if acc.heads < 3 {
                    acc.boost += B_HEADING * 0.2;
                }
                acc.heads = acc.heads.saturating_add(1);
                (Some(s), 4.0)
            }
            Field::Code => {
                acc.tf += W_CODE;
                (None, 0.0)
            }
            Field::Excerpt => {
                acc.tf += W_EXCERPT;
                (None, 0.0)
            }
            Field::Title => {
                if !acc.in_title {
                    acc.in_title = true;
                    acc.boost += B_TITLE;
                }
                (None, 0.0)
            }
            Field::Meta => {
                acc.boost += B_META;
                (None, 0.0)
            }
            Field::Label => {
                acc.boost += B_TITLE;
                (None, 0.0)
            }
        };
        if let Some(s) = sec {
            if acc.cur_sec != s {
                if acc.cur_w > acc.best_w {
                    acc.best_w = acc.cur_w;
                    acc.best_sec = acc.cur_sec;
                }
                acc.cur_sec = s;
                acc.cur_w = 0.0;
            }
            acc.cur_w += w;
        }
    }

    fn word(&mut self, w: &str, field: Field) {
        if let Some(&i) = self.by_surface.get(w) {
            self.bump(i, field);
            return;
        }
        let mut stem = std::mem::take(&mut self.stem_buf);
        self.an.stem_into(w, &mut stem);
        let i = self.acc_index(&stem);
        if stem != w {
            self.aliases.push((w.to_string(), i));
        }
        self.by_surface.insert(w.to_string(), i);
        self.stem_buf = stem;
        self.bump(i, field);
    }

    fn add(&mut self, text: &str, field: Field) {
        let mut folded = std::mem::take(&mut self.folded);
        fold_into(text, &mut folded);
        let join = self.an.join_apostrophe();
        let mut count = 0u32;
        tokenize(&folded, join, &mut |tok| {
            count += 1;
            match tok {
                Token::Word(w) => {
                    if w.contains('_') {
                        let i = self.acc_index(w);
                        self.bump(i, field);
                        for part in w.split('_').filter(|p| !p.is_empty()) {
                            self.word(part, field);
                        }
                    } else {
                        self.word(w, field);
                    }
                }
                Token::Cjk(c) => {
                    let i = self.acc_index(c);
                    self.bump(i, field);
                }
            }
        });
        if matches!(field, Field::Body(_) | Field::Code) {
            self.len += count as f32;
        }
        self.folded = folded;
    }
}

#[derive(Serialize)]
struct Record<'a> {
    u: &'a str,
    t: &'a str,
    k: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    g: &'a [String],
    e: String,
    /// [anchor, heading] per section, index-aligned with postings' section
    /// numbers; the intro is ["", ""].
    h: Vec<Vec<String>>,
}

/// Cuts `text` to at most `max` characters at a grapheme boundary, preferring a
/// word boundary, and appends "…" when cut. Whitespace is collapsed.
fn clip(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(max.min(text.len()) + 3);
    let mut n = 0;
    let mut cut = false;
    let mut last_space = false;
    for g in text.graphemes(true) {
        let space = g.chars().all(char::is_whitespace);
        if space {
            if !last_space && !out.is_empty() {
                out.push(' ');
                n += 1;
            }
            last_space = true;
            continue;
        }
        last_space = false;
        if n >= max {
            cut = true;
            break;
        }
        out.push_str(g);
        n += 1;
    }
    if cut {
        if let Some(pos) = out.rfind(' ')
            && pos > out.len() / 2
        {
            out.truncate(pos);
        }
        out.push('…');
    }
    out.trim_end().to_string()
}

/// Indexes one page. Pure function of its inputs; safe to call from many
/// threads at once.
pub fn index_page(doc: &SearchDoc, analyzer: &Analyzer) -> PageIndex {
    let mut b = Builder {
        an: analyzer,
        accs: Vec::with_capacity(512),
        by_stem: HashMap::with_capacity_and_hasher(512, Default::default()),
        by_surface: HashMap::with_capacity_and_hasher(768, Default::default()),
        aliases: Vec::new(),
        folded: String::new(),
        stem_buf: String::new(),
        len: 0.0,
    };
    b.add(&doc.title, Field::Title);
    for (i, s) in doc.sections.iter().enumerate() {
        let sec = u8::try_from(i).ok().filter(|&s| s < 255).unwrap_or(0);
        b.add(&s.heading, Field::Heading(sec));
        b.add(&s.text, Field::Body(sec));
    }
    b.add(&doc.code, Field::Code);
    b.add(&doc.excerpt, Field::Excerpt);
    for t in &doc.tags {
        b.add(t, Field::Meta);
    }
    if let Some(l) = &doc.label {
        b.add(l, Field::Label);
    }
    if let Some(n) = doc.number {
        // "7" is usually in the label already; add what is missing.
        let label_terms = doc
            .label
            .as_deref()
            .map(|l| analyzer.terms(l))
            .unwrap_or_default();
        for t in [n.to_string(), format!("{n:04}")] {
            if !label_terms.contains(&t) {
                b.add(&t, Field::Label);
            }
        }
    }
    if let Some(s) = &doc.status {
        b.add(s, Field::Meta);
    }
    for d in &doc.deciders {
        b.add(d, Field::Meta);
    }

    // Close the running section of each term and sort terms.
    let mut order: Vec<u32> = (0..b.accs.len() as u32).collect();
    order.sort_unstable_by(|&x, &y| b.accs[x as usize].0.cmp(&b.accs[y as usize].0));
    let mut terms = String::new();
    let mut entries = Vec::with_capacity(order.len());
    for &i in &order {
        let (t, acc) = &b.accs[i as usize];
        let (best_sec, best_w) = if acc.cur_w > acc.best_w {
            (acc.cur_sec, acc.cur_w)
        } else {
            (acc.best_sec, acc.best_w)
        };
        terms.push_str(t);
        entries.push(Entry {
            end: terms.len() as u32,
            tf: acc.tf,
            boost: acc.boost,
            sec: if best_w > 0.0 { best_sec } else { 0 },
        });
    }
    let mut aliases = String::new();
    for (surface, i) in &b.aliases {
        if let Some((stem, _)) = b.accs.get(*i as usize) {
            aliases.push_str(surface);
            aliases.push('\u{1}');
            aliases.push_str(stem);
            aliases.push('\u{2}');
        }
    }

    let h: Vec<Vec<String>> = doc
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let anchor = if i == 0 { None } else { s.anchor.as_deref() };
            vec![
                anchor.unwrap_or("").to_string(),
                if anchor.is_some() {
                    clip(&s.heading, 120)
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let mut tags: Vec<String> = doc.tags.iter().map(|t| t.trim().to_string()).collect();
    tags.retain(|t| !t.is_empty());
    let mut seen = std::collections::BTreeSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    let rec = Record {
        u: &doc.url,
        t: &doc.title,
        k: &doc.kind,
        s: doc.status.as_deref(),
        l: doc.label.as_deref(),
        d: doc.date.as_deref(),
        g: &tags,
        e: clip(&doc.excerpt, EXCERPT_CHARS),
        h,
    };
    let record = serde_json::to_string(&rec).unwrap_or_else(|_| "{}".to_string());
    let year = doc
        .date
        .as_deref()
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse::<u16>().ok())
        .unwrap_or(0);
    PageIndex {
        terms: terms.into(),
        entries: entries.into(),
        aliases: aliases.into(),
        len: b.len,
        url: doc.url.as_str().into(),
        kind: doc.kind.as_str().into(),
        status: doc.status.as_deref().map(Into::into),
        year,
        tags: tags.into_iter().map(Into::into).collect(),
        record: record.into(),
    }
}
