//! Lore's static search index: built per page in parallel (`index_page`),
//! written once as sharded script files holding JSON (`write_index`) that the
//! browser client `search.js` loads on demand, by fetch or by `<script>` tag.
//!
//! On-disk format: see `write.rs` (and the crate README in the report).

mod analyze;
pub mod query;
mod swar;
mod words;
mod write;

pub use analyze::{Analyzer, fold_into};
pub use words::release_thread_tables;
pub use write::{IndexFileSink, unwrap_js, write_index, write_index_to};

use analyze::{Token, tokenize};
use serde::Serialize;
use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;
use write::push_varint;

/// One page as the pipeline knows it (no HTML re-parsing), borrowing the pipeline's text:
/// building one copies nothing but the small computed fields (`label`, `date`).
#[derive(Clone, Debug, Default)]
pub struct SearchDoc<'a> {
    /// With base path, e.g. "/kb/adr/0007-use-postgres/".
    pub url: &'a str,
    pub title: &'a str,
    /// "post" | "adr" | "doc".
    pub kind: &'a str,
    /// Normalised ADR status, e.g. "accepted".
    pub status: Option<&'a str>,
    /// "ADR 7".
    pub label: Option<Cow<'a, str>>,
    pub number: Option<u32>,
    /// The letters before a record's number in its file name (`RFC` of `RFC0045-x.md`, `adr` of
    /// `adr-119-x.md`), for its id as people write it: `RFC0045`, `ADR119`.
    pub id_prefix: Option<&'a str>,
    /// "YYYY-MM-DD".
    pub date: Option<Cow<'a, str>>,
    /// Display names.
    pub tags: Vec<&'a str>,
    pub deciders: Vec<&'a str>,
    pub excerpt: &'a str,
    /// In order; the first has anchor None (text before the first heading).
    pub sections: Vec<SearchSection<'a>>,
    /// Text of code blocks (indexed, weighs less).
    pub code: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct SearchSection<'a> {
    pub anchor: Option<&'a str>,
    pub heading: &'a str,
    pub text: &'a str,
}

// Field weights. Body-like fields feed a BM25 saturating term frequency; the
// "boost" fields add a fixed multiple of the term's IDF, so a title match
// always outranks any amount of body text. Body-like weights are in tenths, as
// entries count them.
const W_BODY: u32 = 10;
const W_CODE: u32 = 4;
const W_EXCERPT: u32 = 5;
const B_TITLE: f32 = 3.0;
const B_HEADING: f32 = 1.2;
/// An ADR's label or number names the page: "ADR 3" must find ADR 3 before a title holding
/// "3.5", so it weighs more than a title word.
const B_LABEL: f32 = 5.0;
const B_META: f32 = 1.0; // tags, status, deciders
const EXCERPT_CHARS: usize = 220;

/// One term of one page, in 8 bytes: what was counted, turned into weights when the index is
/// written. (100,000 pages hold 75 million entries: at 16 bytes with `f32` weights they were
/// 1.2 GB of a build's peak.)
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Entry {
    /// The term's process-wide id (`words::global_id`; `words::spellings` gives the term).
    id: u32,
    /// Weighted term frequency in body-like fields, in tenths (saturating).
    tf_tenths: u16,
    /// Fixed boosts counted: bit 0 in the title, bit 1 in the ADR label or number, bits 2-3
    /// heading hits (up to 3), bits 4-7 tag, status and decider hits (up to 15).
    boosts: u8,
    /// Index of the section where the term weighs most (0 = none / intro).
    sec: u8,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 8);

impl Entry {
    /// Weighted term frequency in body-like fields.
    pub(crate) fn tf(self) -> f32 {
        f32::from(self.tf_tenths) / 10.0
    }

    /// Sum of fixed boosts: the title's, the label's, the first heading hit fully and two more
    /// a little, each tag, status or decider hit.
    pub(crate) fn boost(self) -> f32 {
        let b = self.boosts;
        let heads = (b >> 2) & 3;
        let mut boost = 0.0;
        if b & 1 != 0 {
            boost += B_TITLE;
        }
        if b & 2 != 0 {
            boost += B_LABEL;
        }
        if heads > 0 {
            boost += B_HEADING + B_HEADING * 0.2 * f32::from(heads - 1);
        }
        boost + B_META * f32::from(b >> 4)
    }
}

/// A page's entries packed in id order, about 3 bytes each instead of 8 (100,000 pages: 728 MB
/// of a build's peak as [`Entry`] values): per entry a varint of the id's distance from the
/// previous one, a varint of `tf_tenths << 2 | has_section << 1 | has_boosts`, then the section
/// byte and the boosts byte when they are not zero (most terms have no boosts).
#[derive(Clone, Debug, Default)]
pub(crate) struct PackedEntries {
    bytes: Box<[u8]>,
    count: u32,
}

impl PackedEntries {
    /// Packs `entries`, sorted by id.
    fn pack(entries: &[Entry]) -> PackedEntries {
        let mut bytes = Vec::with_capacity(entries.len() * 3);
        let mut prev = 0;
        for e in entries {
            push_varint(&mut bytes, u64::from(e.id - prev));
            prev = e.id;
            let (has_sec, has_boosts) = (e.sec != 0, e.boosts != 0);
            let flags = u64::from(has_sec) << 1 | u64::from(has_boosts);
            push_varint(&mut bytes, u64::from(e.tf_tenths) << 2 | flags);
            if has_sec {
                bytes.push(e.sec);
            }
            if has_boosts {
                bytes.push(e.boosts);
            }
        }
        PackedEntries {
            bytes: bytes.into_boxed_slice(),
            count: entries.len() as u32,
        }
    }

    /// The entries from the start.
    pub(crate) fn iter(&self) -> EntryIter<'_> {
        self.resume(EntryPos::default())
    }

    /// The entries from `pos`, a place an earlier [`EntryIter::pos`] gave.
    pub(crate) fn resume(&self, pos: EntryPos) -> EntryIter<'_> {
        EntryIter {
            bytes: &self.bytes,
            pos,
        }
    }
}

/// Where an [`EntryIter`] is: a byte offset and the id before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EntryPos {
    pub(crate) at: u32,
    prev: u32,
}

pub(crate) struct EntryIter<'a> {
    bytes: &'a [u8],
    pos: EntryPos,
}

impl EntryIter<'_> {
    /// Where the next entry starts.
    pub(crate) fn pos(&self) -> EntryPos {
        self.pos
    }

    fn varint(&mut self) -> u32 {
        read_varint(self.bytes, &mut self.pos.at)
    }
}

/// The varint at `bytes[*at..]` (as `write::push_varint` writes them); moves `at` past it.
fn read_varint(bytes: &[u8], at: &mut u32) -> u32 {
    let mut value = 0u32;
    let mut shift = 0;
    loop {
        let byte = bytes[*at as usize];
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

impl Iterator for EntryIter<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        if self.pos.at as usize >= self.bytes.len() {
            return None;
        }
        let id = self.pos.prev + self.varint();
        self.pos.prev = id;
        let tf = self.varint();
        let mut byte_if = |present: bool| {
            present.then(|| {
                self.pos.at += 1;
                self.bytes[self.pos.at as usize - 1]
            })
        };
        let sec = byte_if(tf & 2 != 0).unwrap_or(0);
        let boosts = byte_if(tf & 1 != 0).unwrap_or(0);
        Some(Entry {
            id,
            tf_tenths: (tf >> 2) as u16,
            boosts,
            sec,
        })
    }
}

/// A page's aliases, (surface word, stem) by global id, packed in surface order: a varint of
/// the surface's distance from the previous one, then a varint of the stem (100,000 pages:
/// 169 MB as pairs of `u32`).
#[derive(Clone, Debug, Default)]
pub(crate) struct PackedAliases {
    bytes: Box<[u8]>,
}

impl PackedAliases {
    /// Packs `pairs`, whose surfaces are distinct.
    fn pack(mut pairs: Vec<(u32, u32)>) -> PackedAliases {
        // A page lists each word once, so by surface alone is by (surface, stem).
        radsort::sort_by_key(&mut pairs, |&(surface, _)| surface);
        debug_assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0));
        let mut bytes = Vec::with_capacity(pairs.len() * 4);
        let mut prev = 0;
        for (surface, stem) in pairs {
            push_varint(&mut bytes, u64::from(surface - prev));
            push_varint(&mut bytes, u64::from(stem));
            prev = surface;
        }
        PackedAliases {
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// The pairs, in surface order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mut at = 0u32;
        let mut surface = 0u32;
        std::iter::from_fn(move || {
            if at as usize >= self.bytes.len() {
                return None;
            }
            surface += read_varint(&self.bytes, &mut at);
            Some((surface, read_varint(&self.bytes, &mut at)))
        })
    }
}

/// One page's postings and record. Immutable, `Clone + Send + Sync`.
#[derive(Clone, Debug)]
pub struct PageIndex {
    entries: PackedEntries,
    /// (surface word, its stem) by global id (`words::spellings`), for the words the page
    /// indexes under a different stem.
    aliases: PackedAliases,
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

/// Every page's search entries, by the page's place in the site (`None` for a page without
/// output). Kept by `lore serve`, so an edit re-indexes one page and writes the index again from
/// the rest as they were; shared, so writing can run apart from the edit.
pub type PageEntries = Vec<Option<std::sync::Arc<PageIndex>>>;

/// The pages that have entries, to write the index from ([`write_index`], [`write_index_to`]).
pub fn indexed_pages(entries: &PageEntries) -> Vec<&PageIndex> {
    entries.iter().flatten().map(|p| p.as_ref()).collect()
}

impl PageIndex {
    /// The page's terms (by global id, ascending) and weights.
    pub(crate) fn entries(&self) -> &PackedEntries {
        &self.entries
    }
    /// (surface word, stem) by global id.
    pub(crate) fn aliases(&self) -> &PackedAliases {
        &self.aliases
    }
    pub(crate) fn len(&self) -> f32 {
        self.len
    }
    /// Number of distinct terms (for statistics).
    pub fn term_count(&self) -> usize {
        self.entries.count as usize
    }
    /// Bytes on the heap of (entries, aliases, the rest) (for `-v`).
    pub fn heap_parts(&self) -> [usize; 3] {
        let rest = self.url.len()
            + self.kind.len()
            + self.status.as_ref().map_or(0, |s| s.len())
            + self.tags.iter().map(|t| t.len() + 16).sum::<usize>()
            + self.record.len();
        [self.entries.bytes.len(), self.aliases.bytes.len(), rest]
    }
}

#[derive(Default)]
struct Acc {
    tf_tenths: u32,
    best_sec: u8,
    best_w: f32,
    cur_sec: u8,
    cur_w: f32,
    heads: u8,
    meta: u8,
    in_title: bool,
    in_label: bool,
}

impl Acc {
    /// The boosts counted, packed as [`Entry::boosts`].
    fn boosts(&self) -> u8 {
        u8::from(self.in_title)
            | (u8::from(self.in_label) << 1)
            | (self.heads.min(3) << 2)
            | (self.meta.min(15) << 4)
    }
}

/// Per-page accumulation state, by the thread's word and term ids.
struct Builder<'a> {
    an: &'a Analyzer,
    words: &'a mut words::Words,
    /// (term id, its weights) in the order the page first uses each term.
    accs: Vec<(u32, Acc)>,
    /// Alias ids of the page's words indexed under a different stem.
    aliases: Vec<u32>,
    folded: String,
    batch: Batch,
    /// The batch's words as looked up, in order (kept for its allocation).
    infos: Vec<words::WordInfo>,
    len: f32,
}

/// Tokens on their way from `tokenize` to the tables: short plain words as keys, others
/// copied (a word joined over an apostrophe is not a slice of the text), lower-cased.
#[derive(Default)]
struct Batch {
    text: String,
    tokens: Vec<BatchToken>,
}

enum BatchToken {
    /// A word of up to 11 bytes.
    Small(words::SmallWord),
    /// A longer word: its end in the batch's text.
    Word(usize),
    /// Indexed as it is (a CJK bigram, a whole snake_case identifier): its end in the text.
    Term(usize),
}

impl Batch {
    /// Queues `word` (a word of text, in any case) as a word to stem.
    fn push_word(&mut self, word: &str) {
        if !self.push_small(word) {
            let end = self.push_lowered(word);
            self.tokens.push(BatchToken::Word(end));
        }
    }

    /// Queues `word` by its key if it is a short plain word; says whether it was.
    fn push_small(&mut self, word: &str) -> bool {
        let key = words::SmallWord::lowered(word.as_bytes());
        key.map(|key| self.tokens.push(BatchToken::Small(key)))
            .is_some()
    }

    /// Copies `text` lower-cased; returns where it ends.
    fn push_lowered(&mut self, text: &str) -> usize {
        let start = self.text.len();
        self.text.push_str(text);
        self.text[start..].make_ascii_lowercase();
        self.text.len()
    }
}

const BATCH: usize = 16;

#[derive(Clone, Copy)]
enum Field {
    Body(u8),
    Heading(u8),
    Code,
    Excerpt,
    Title,
    Meta,
    /// ADR label and number: stronger than the title ([`B_LABEL`]).
    Label,
}

impl<'a> Builder<'a> {
    fn acc_index(&mut self, term: u32) -> u32 {
        let slot = &mut self.words.slot[term as usize];
        if *slot == words::NO_SLOT {
            *slot = self.accs.len() as u32;
            self.accs.push((term, Acc::default()));
        }
        *slot
    }

    fn bump(&mut self, i: u32, field: Field) {
        let Some((_, acc)) = self.accs.get_mut(i as usize) else {
            return;
        };
        let (sec, w) = match field {
            Field::Body(s) => {
                acc.tf_tenths += W_BODY;
                (Some(s), 1.0)
            }
            Field::Heading(s) => {
                acc.heads = acc.heads.saturating_add(1);
                (Some(s), 4.0)
            }
            Field::Code => {
                acc.tf_tenths += W_CODE;
                (None, 0.0)
            }
            Field::Excerpt => {
                acc.tf_tenths += W_EXCERPT;
                (None, 0.0)
            }
            Field::Title => {
                acc.in_title = true;
                (None, 0.0)
            }
            Field::Meta => {
                acc.meta = acc.meta.saturating_add(1);
                (None, 0.0)
            }
            Field::Label => {
                acc.in_label = true;
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

    /// Counts one use of a word (or raw term) on the page.
    fn count(&mut self, info: words::WordInfo, field: Field) {
        if let Some(a) = info.alias()
            && !self.words.alias_listed[a as usize]
        {
            self.words.alias_listed[a as usize] = true;
            self.aliases.push(a);
        }
        let i = self.acc_index(info.term);
        self.bump(i, field);
    }

    /// Clears the per-page marks in the thread's tables for the next page.
    fn release(&mut self) {
        for (term, _) in &self.accs {
            self.words.slot[*term as usize] = words::NO_SLOT;
        }
        for &w in &self.aliases {
            self.words.alias_listed[w as usize] = false;
        }
    }

    fn add(&mut self, text: &str, field: Field) {
        // ASCII (nearly all text) folds to itself lower-cased, which tokenizing ignores: its
        // words are lower-cased as they are keyed or copied.
        let mut folded = std::mem::take(&mut self.folded);
        let source = if text.is_ascii() {
            text
        } else {
            fold_into(text, &mut folded);
            &folded
        };
        let join = self.an.join_apostrophe();
        let mut batch = std::mem::take(&mut self.batch);
        let mut count = 0u32;
        tokenize(source, join, &mut |tok| {
            // A run's last character alone is a second look at it, not another word.
            count += u32::from(!matches!(tok, Token::CjkTail(_)));
            match tok {
                // Short plain words first: their keys tell underscores without a search.
                Token::Word(w) if batch.push_small(w) => {}
                Token::Word(w) if w.contains('_') => {
                    // snake_case identifiers whole, and their parts as words.
                    let end = batch.push_lowered(w);
                    batch.tokens.push(BatchToken::Term(end));
                    for part in w.split('_').filter(|p| !p.is_empty()) {
                        batch.push_word(part);
                    }
                }
                Token::Word(w) => {
                    let end = batch.push_lowered(w);
                    batch.tokens.push(BatchToken::Word(end));
                }
                Token::Cjk(c) | Token::CjkTail(c) => {
                    let end = batch.push_lowered(c);
                    batch.tokens.push(BatchToken::Term(end));
                }
            }
            if batch.tokens.len() >= BATCH {
                self.flush(&mut batch, field);
            }
        });
        self.flush(&mut batch, field);
        if matches!(field, Field::Body(_) | Field::Code) {
            self.len += count as f32;
        }
        self.folded = folded;
        self.batch = batch;
    }

    /// Indexes the batch's tokens. Profiling showed indexing waiting on cache misses one by
    /// one: a page's rare words miss in the word table, and their terms in the page marks. So
    /// each table is asked for all of the batch's lines first, and the misses overlap: the
    /// short words' slots, then (words looked up) their terms' marks, then the counting. Longer
    /// words, CJK bigrams and whole snake_case identifiers, rare in prose, are looked up
    /// without it.
    fn flush(&mut self, batch: &mut Batch, field: Field) {
        for token in &batch.tokens {
            if let BatchToken::Small(key) = *token {
                self.words.touch_small(key);
            }
        }
        let mut infos = std::mem::take(&mut self.infos);
        infos.reserve(batch.tokens.len());
        let mut start = 0;
        for token in &batch.tokens {
            let info = match *token {
                BatchToken::Small(key) => self.words.small_word(key),
                BatchToken::Word(end) => {
                    let info = self.words.word(&batch.text[start..end]);
                    start = end;
                    info
                }
                BatchToken::Term(end) => {
                    let info = words::WordInfo::raw(self.words.term(&batch.text[start..end]));
                    start = end;
                    info
                }
            };
            infos.push(info);
        }
        for &info in &infos {
            self.words.touch_marks(info);
        }
        for &info in &infos {
            self.count(info, field);
        }
        infos.clear();
        self.infos = infos;
        batch.text.clear();
        batch.tokens.clear();
    }
}

/// A page's entries, its aliases (surface, stem) by global id, and its body length.
type Postings = (Vec<Entry>, Vec<(u32, u32)>, f32);

impl Builder<'_> {
    /// Closes the running section of each term; terms stay ids, sorted by id
    /// (`write_index` spells and sorts them once for all pages).
    fn postings(&mut self) -> Postings {
        self.words.resolve(&self.aliases);
        let mut entries = Vec::with_capacity(self.accs.len());
        for (term, acc) in &self.accs {
            let (best_sec, best_w) = if acc.cur_w > acc.best_w {
                (acc.cur_sec, acc.cur_w)
            } else {
                (acc.best_sec, acc.best_w)
            };
            entries.push(Entry {
                id: self.words.term_global(*term),
                tf_tenths: u16::try_from(acc.tf_tenths).unwrap_or(u16::MAX),
                boosts: acc.boosts(),
                sec: if best_w > 0.0 { best_sec } else { 0 },
            });
        }
        // In id order: `write_index` takes each range of ids as a slice of every page. A radix
        // sort: a page's few hundred entries took quicksort some 45,000 instructions.
        radsort::sort_by_key(&mut entries, |e| e.id);
        let aliases = self
            .aliases
            .iter()
            .map(|&a| self.words.alias_globals(a))
            .collect();
        (entries, aliases, self.len)
    }
}

/// Feeds every indexed field of `doc` to the builder, with its weight.
fn add_fields(b: &mut Builder<'_>, doc: &SearchDoc, analyzer: &Analyzer) {
    b.add(doc.title, Field::Title);
    for (i, s) in doc.sections.iter().enumerate() {
        let sec = u8::try_from(i).ok().filter(|&s| s < 255).unwrap_or(0);
        b.add(s.heading, Field::Heading(sec));
        b.add(s.text, Field::Body(sec));
    }
    b.add(doc.code, Field::Code);
    b.add(doc.excerpt, Field::Excerpt);
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
        for id in record_ids(n, doc.id_prefix) {
            b.add(&id, Field::Label);
        }
    }
    if let Some(s) = doc.status {
        b.add(s, Field::Meta);
    }
    for d in &doc.deciders {
        b.add(d, Field::Meta);
    }
}

/// A record's number written as one word with its prefix, as ids are in prose and queries
/// (`RFC0045`, `ADR119`, `adr-0003` is two words and found without these): the file's prefix and
/// `adr`, with the number as it is and zero-padded to 2, 3 and 4 digits.
fn record_ids(n: u32, prefix: Option<&str>) -> Vec<String> {
    let file_prefix = prefix.map(str::to_ascii_lowercase);
    let prefixes = std::iter::once("adr".to_string()).chain(file_prefix.filter(|p| p != "adr"));
    let mut ids: Vec<String> = prefixes
        .flat_map(|p| {
            [
                n.to_string(),
                format!("{n:02}"),
                format!("{n:03}"),
                format!("{n:04}"),
            ]
            .map(|digits| format!("{p}{digits}"))
        })
        .collect();
    ids.dedup();
    ids
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
    g: &'a [&'a str],
    e: String,
    /// [anchor, heading] per section, index-aligned with postings' section
    /// numbers; the intro is ["", ""].
    h: Vec<(&'a str, String)>,
}

/// Cuts `text` to at most `max` characters at a grapheme boundary, preferring a
/// word boundary, and appends "…" when cut. Whitespace is collapsed.
fn clip(text: &str, max: usize) -> String {
    if text.is_ascii() && !text.contains('\r') {
        // Each byte a grapheme (only "\r\n" joins two ASCII characters).
        return clip_graphemes(text.split_inclusive(|_: char| true), max);
    }
    clip_graphemes(text.graphemes(true), max)
}

fn clip_graphemes<'a>(graphemes: impl Iterator<Item = &'a str>, max: usize) -> String {
    let mut out = String::with_capacity(max + 3);
    let mut n = 0;
    let mut cut = false;
    let mut last_space = false;
    for g in graphemes {
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
    let (entries, aliases, len) = words::Words::with(analyzer, |words| {
        let mut b = Builder {
            an: analyzer,
            words,
            accs: Vec::with_capacity(512),
            aliases: Vec::new(),
            folded: String::new(),
            batch: Batch::default(),
            infos: Vec::with_capacity(2 * BATCH),
            len: 0.0,
        };
        add_fields(&mut b, doc, analyzer);
        let postings = b.postings();
        b.release();
        postings
    });
    let h: Vec<(&str, String)> = doc
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let anchor = if i == 0 { None } else { s.anchor };
            match anchor {
                Some(anchor) => (anchor, clip(s.heading, 120)),
                None => ("", String::new()),
            }
        })
        .collect();
    let mut tags: Vec<&str> = doc.tags.iter().map(|t| t.trim()).collect();
    tags.retain(|t| !t.is_empty());
    let mut seen = std::collections::BTreeSet::new();
    tags.retain(|t| seen.insert(*t));
    let rec = Record {
        u: doc.url,
        t: doc.title,
        k: doc.kind,
        s: doc.status,
        l: doc.label.as_deref(),
        d: doc.date.as_deref(),
        g: &tags,
        e: clip(doc.excerpt, EXCERPT_CHARS),
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
        entries: PackedEntries::pack(&entries),
        aliases: PackedAliases::pack(aliases),
        len,
        url: doc.url.into(),
        kind: doc.kind.into(),
        status: doc.status.map(Into::into),
        year,
        tags: tags.into_iter().map(Into::into).collect(),
        record: record.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, PackedAliases, PackedEntries};

    fn entry(id: u32, tf_tenths: u16, boosts: u8, sec: u8) -> Entry {
        Entry {
            id,
            tf_tenths,
            boosts,
            sec,
        }
    }

    fn fields(e: &Entry) -> (u32, u16, u8, u8) {
        (e.id, e.tf_tenths, e.boosts, e.sec)
    }

    #[test]
    fn packed_entries_read_back_as_they_were() {
        let entries = [
            entry(0, 0, 0, 0),
            entry(1, 10, 0, 3),
            entry(127, 31, 1, 0),
            entry(128, u16::MAX, 0xff, 0xff),
            entry(70_000, 12, 0b1010_0101, 1),
            entry(u32::MAX - 1, 1, 0, 0),
        ];
        let packed = PackedEntries::pack(&entries);
        let back: Vec<_> = packed.iter().map(|e| fields(&e)).collect();
        assert_eq!(back, entries.iter().map(fields).collect::<Vec<_>>());
        assert!(packed.bytes.len() < entries.len() * 8);
    }

    #[test]
    fn packed_entries_resume_where_they_were_left() {
        let entries: Vec<Entry> = (0..50)
            .map(|k| entry(k * k * 37, k as u16, 0, (k % 3) as u8))
            .collect();
        let packed = PackedEntries::pack(&entries);
        let mut iter = packed.iter();
        for _ in 0..20 {
            iter.next();
        }
        let rest: Vec<_> = packed.resume(iter.pos()).map(|e| fields(&e)).collect();
        assert_eq!(rest, entries[20..].iter().map(fields).collect::<Vec<_>>());
        assert_eq!(PackedEntries::pack(&[]).iter().count(), 0);
    }

    #[test]
    fn packed_aliases_read_back_in_surface_order() {
        let pairs = vec![
            (900, 3),
            (0, 0),
            (128, u32::MAX),
            (127, 70_000),
            (u32::MAX, 1),
        ];
        let packed = PackedAliases::pack(pairs.clone());
        let mut sorted = pairs;
        sorted.sort_unstable();
        assert_eq!(packed.iter().collect::<Vec<_>>(), sorted);
        assert_eq!(PackedAliases::pack(Vec::new()).iter().count(), 0);
    }
}
