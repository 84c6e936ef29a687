//! Writing the index: global statistics, BM25 impacts, sharding, records.
//!
//! Files (paths relative to the site's `search/` folder), each written once as
//! `X.js` = `window.__loreSearch("X",<JSON>);`: loaded by a `<script>` tag under
//! `file://`, fetched and parsed as JSON between the first `,` and the last `)`
//! over http.
//!
//! - `manifest`: `{v, b (build id), lang, join (apostrophe rule), n (docs),
//!   qmax, chunk, shards: [start key per shard], kinds, statuses, tags,
//!   runs: [[first doc, kind idx, status idx or -1, year or 0], ...],
//!   dtags: base64 of per-doc varint(count) varint(tag idx)*}`.
//!   Doc ids are assigned in (kind, status, year, url) order, so kind, status
//!   and year of every doc are given by a handful of runs.
//! - `s/<i>`: shard i = the terms in `[shards[i], shards[i+1])` (UTF-16 order):
//!   `{t: [terms], o: [bytes of each term's postings], p: base64 postings,
//!   a: [[surface word, stem], ...]}`. A term's postings are, per doc in id
//!   order: varint((doc delta << 1) | has_section), impact byte (1..=255, log
//!   scale of the BM25F score up to `qmax`), [section byte].
//! - `r/<j>`: records of docs `j*chunk .. (j+1)*chunk`: `[{u, t, k, s?, l?, d?,
//!   g?, e, h: [[anchor, heading, text prefix], ...]}, ...]`.

use super::{Analyzer, Entry, EntryPos, PageIndex};
use rayon::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

/// Target size of a shard's postings + terms, before base64 (a single term
/// with more postings gets a shard of its own).
pub(crate) const SHARD_BYTES: usize = 12_000;
/// Records per chunk file. One: the top results are scattered over the doc ids, so with 4 a
/// query downloaded mostly records it did not show (10k corpus, search page: at most 193 KB
/// per typical query with 4, 164 KB with 2, 149 KB with 1).
pub(crate) const CHUNK: usize = 1;
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Format version, also in the manifest.
pub const FORMAT_VERSION: u32 = 1;

/// The order of the strings' UTF-16 code units (JavaScript's `<`), without encoding them.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) else {
        return x.len().cmp(&y.len());
    };
    // UTF-8 byte order is code point order. UTF-16 differs in one respect: characters from
    // U+10000 up (lead bytes F0..F4) are surrogates, before U+E000..U+FFFF (lead bytes EE, EF).
    // Where the strings first differ, both bytes lead a character or both continue one.
    let (p, q) = (x[i], y[i]);
    match (p >= 0xF0, q >= 0xF0) {
        (true, false) if q >= 0xEE => Ordering::Less,
        (false, true) if p >= 0xEE => Ordering::Greater,
        _ => p.cmp(&q),
    }
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// Writes `v` as a varint at `out[at..]`; returns where it ends.
fn put_varint(out: &mut [u8], mut at: usize, mut v: u64) -> usize {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out[at] = byte;
            return at + 1;
        }
        out[at] = byte | 0x80;
        at += 1;
    }
}

pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    base64_into(&mut out, data);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `data` in base64 (RFC 4648, padded): four bytes at a time, no per-character check
/// (profiling showed `String::push` per character in writing the shards).
fn base64_into(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len().div_ceil(3) * 4);
    let (whole, rest) = data.split_at(data.len() / 3 * 3);
    for c in whole.chunks_exact(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            B64[(n >> 18) as usize & 63],
            B64[(n >> 12) as usize & 63],
            B64[(n >> 6) as usize & 63],
            B64[n as usize & 63],
        ]);
    }
    match *rest {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                B64[(n >> 18) as usize & 63],
                B64[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                B64[(n >> 18) as usize & 63],
                B64[(n >> 12) as usize & 63],
                B64[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// The shortest prefix of `first` that still sorts after `prev`.
fn separator(prev: &str, first: &str) -> String {
    let mut end = 0;
    for (i, c) in first.char_indices() {
        end = i + c.len_utf8();
        if utf16_cmp(&first[..end], prev) == Ordering::Greater {
            return first[..end].to_string();
        }
    }
    first[..end].to_string()
}

#[derive(Serialize)]
struct Manifest<'a> {
    v: u32,
    b: String,
    lang: &'a str,
    join: bool,
    n: usize,
    qmax: f32,
    chunk: usize,
    shards: Vec<String>,
    kinds: Vec<&'a str>,
    statuses: Vec<&'a str>,
    tags: Vec<&'a str>,
    runs: Vec<(usize, usize, i32, u16)>,
}

#[derive(Serialize)]
struct Facets {
    /// 1: one byte per tag, high bit on a doc's last tag, 0xFF for none;
    /// 2: varint(count) varint(tag)* per doc.
    enc: u8,
    dtags: String,
}

/// A file as written: `window.__loreSearch("key",` + the JSON `body` writes + `);\n`.
fn script(key: &str, body: impl FnOnce(&mut Vec<u8>)) -> (String, Vec<u8>) {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"window.__loreSearch(");
    json_str(&mut out, key);
    out.push(b',');
    body(&mut out);
    out.extend_from_slice(b");\n");
    (format!("{key}.js"), out)
}

/// `s` as a JSON string, as serde_json writes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes only these; other text goes as it is.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing to a Vec cannot fail, and a &str always serializes.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `items` as a JSON array, each written by `item`.
fn json_array<T>(out: &mut Vec<u8>, items: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// How many ranges of term ids the postings are split into, to count and encode in parallel.
fn parts() -> usize {
    // Each part walks every page once and the split table holds pages x parts entries, so
    // many cores get no more than 64 parts.
    (rayon::current_num_threads() * 8).clamp(1, 64)
}

/// The share of the encoder's work that goes with the number of ids in a range rather than
/// its postings: per-range times at 100,000 pages put the long tail's 2.3 million ids at some
/// 370 ms of 3.3 s.
const ID_SHARE: f64 = 0.125;

/// Boundaries of about `parts` ranges of global ids, each with about as much to encode,
/// counted mostly in postings (from a sample of the pages) and partly in ids ([`ID_SHARE`]).
/// The ids of common words, met first, are small and hold most postings; the long tail of rare
/// terms (100,000 pages: two million identifiers and names) holds few, but each costs the
/// encoder's per-id tables a cache miss. Cut by postings alone, the tail was one range that
/// took 550 ms against 160-210 for each other (so one core worked alone at the end); now the
/// largest takes 310-370 ms for the same total.
fn id_ranges(docs: &[&PageIndex], ids: usize, parts: usize) -> Vec<u32> {
    let step = (docs.len() / 256).max(1);
    let mut sample: Vec<u32> = docs
        .iter()
        .step_by(step)
        .flat_map(|d| d.entries().iter().map(|e| e.id))
        .collect();
    sample.sort_unstable();
    cuts_by_share(&sample, ids, parts)
}

/// [`id_ranges`]'s cuts, from `sample` (the sampled postings' ids, sorted) among `ids` ids.
fn cuts_by_share(sample: &[u32], ids: usize, parts: usize) -> Vec<u32> {
    let share = |id: u32| {
        let postings = sample.partition_point(|&s| s < id) as f64 / sample.len().max(1) as f64;
        postings * (1.0 - ID_SHARE) + f64::from(id) / ids.max(1) as f64 * ID_SHARE
    };
    // Candidates: every sampled id, and ids evenly spaced (the tail holds few sampled ones).
    let spaced = (1..4 * parts).map(|k| (ids * k / (4 * parts)) as u32);
    let mut candidates: Vec<u32> = sample.iter().copied().chain(spaced).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut cuts = vec![0u32];
    let mut next = 1;
    for id in candidates {
        if next >= parts {
            break;
        }
        if (id as usize) < ids
            && id > *cuts.last().unwrap_or(&0)
            && share(id) * parts as f64 >= next as f64
        {
            cuts.push(id);
            next += 1;
        }
    }
    cuts.push(ids as u32);
    cuts
}

/// A term in use: its sort key (`utf16_key`), where it is in the buffer of term text, and its
/// global id.
struct Term {
    key: u64,
    start: u32,
    end: u32,
    id: u32,
}

/// The first 8 bytes of `s`, as a number that sorts as [`utf16_cmp`] does (lead bytes of
/// U+E000..U+FFFF moved after those of U+10000 and up), so that most comparisons in the
/// sort of all terms touch no string.
fn utf16_key(s: &str) -> u64 {
    let mut k = [0u8; 8];
    for (k, &b) in k.iter_mut().zip(s.as_bytes()) {
        *k = match b {
            0xEE | 0xEF => b + 5,
            0xF0..=0xF4 => b - 2,
            _ => b,
        };
    }
    u64::from_be_bytes(k)
}

/// Writes the whole index. Output is a pure function of the pages' contents
/// (their order in `pages` does not matter) and the analyzer: byte-identical
/// across runs. Returns `(path relative to search/, bytes)` sorted by path.
///
/// Nothing here depends on how or when the pages were indexed: a `PageIndex` kept from an
/// earlier build (`lore serve`) writes the same bytes as a fresh one of the same page.
pub fn write_index(pages: &[&PageIndex], analyzer: &Analyzer) -> Vec<(String, Vec<u8>)> {
    let files = std::sync::Mutex::new(Vec::new());
    write_index_to(pages, analyzer, &|path, bytes| {
        files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path, bytes))
    });
    let mut files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Where [`write_index_to`] hands each file: its path relative to `search/` and its bytes.
pub type IndexFileSink<'a> = &'a (dyn Fn(String, Vec<u8>) + Sync);

/// [`write_index`], handing each file to `emit` as soon as it is made (in no set order), so a
/// build writes it and lets it go: held until the manifest, the files of a 100,000-page index
/// were 400 MB of the build's peak. The manifest, which names a hash of all the others, comes
/// last.
///
/// Profiling showed this merge running mostly on one core (counting and scattering ~5
/// million postings, scoring each one twice with three logarithms, string sorts, one hash
/// over the whole output). Now every pass over the postings is split: by doc to count and
/// score, by term range to encode, by file to write.
pub fn write_index_to(pages: &[&PageIndex], analyzer: &Analyzer, emit: IndexFileSink<'_>) {
    // Each file is hashed as it is handed over; the build id is the hash of those hashes in
    // path order.
    let hand_over = |(path, bytes): (String, Vec<u8>)| -> (String, blake3::Hash) {
        let mut h = blake3::Hasher::new();
        h.update(&(path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update(&bytes);
        let hash = h.finalize();
        emit(path.clone(), bytes);
        (path, hash)
    };
    let docs = doc_order(pages);
    let n = docs.len();
    let ids = super::words::spellings(|s| s.len());
    let cuts = id_ranges(&docs, ids, parts());
    let norms = length_norms(&docs);
    let (counts, splits) = document_frequencies(&docs, &cuts, ids, &norms);
    let (terms, live) = terms_in_use(&counts);
    let impacts = Impacts::of(&docs, &counts, &live, norms);
    // The aliases are found, spelled and sorted alongside the encoding (on their own they left
    // a core idle).
    let (encoded, aliases) = rayon::join(
        || encode_postings(&docs, &counts, &cuts, &splits, &live, &impacts),
        || spelled_aliases(&docs),
    );
    // Each term's bytes, in spelling order.
    let postings: Vec<&[u8]> = terms
        .list
        .par_iter()
        .map(|&Term { id, .. }| {
            let part = cuts.partition_point(|&c| c <= id) - 1;
            let (bytes, begin) = &encoded[part];
            let t = (id - cuts[part]) as usize;
            &bytes[begin[t]..begin[t + 1]]
        })
        .collect();
    let shards = Shards::of(&terms, &postings, &aliases);

    // The shards and records, and alongside them the manifest's facets (on their own they left
    // a core idle).
    let shards_and_records = || {
        let mut hashes: Vec<(String, blake3::Hash)> = (0..shards.len())
            .into_par_iter()
            .map(|i| shards.file(i, &terms, &postings))
            .map(hand_over)
            .collect();
        // Records, in chunks.
        let records: Vec<(String, blake3::Hash)> = docs
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(j, chunk)| {
                script(&format!("r/{j}"), |out| {
                    json_array(out, chunk, |out, d| {
                        out.extend_from_slice(d.record.as_bytes())
                    });
                })
            })
            .map(hand_over)
            .collect();
        hashes.extend(records);
        hashes
    };
    // Manifest: facets as runs + per-doc tag lists.
    let (mut hashes, facets) = rayon::join(shards_and_records, || {
        doc_facets(&docs, &canonical_tags(pages))
    });
    drop(encoded);
    hashes.push(hand_over(script("facets", |out| {
        let _ = serde_json::to_writer(out, &facets.facets);
    })));
    hashes.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut h = blake3::Hasher::new();
    for (_, file) in &hashes {
        h.update(file.as_bytes());
    }
    let build_id = h.finalize().to_hex()[..12].to_string();
    let manifest = Manifest {
        v: FORMAT_VERSION,
        b: build_id,
        lang: analyzer.language(),
        join: analyzer.join_apostrophe(),
        n,
        qmax: impacts.qmax,
        chunk: CHUNK,
        shards: shards.keys,
        kinds: facets.kinds,
        statuses: facets.statuses,
        tags: facets.tags,
        runs: facets.runs,
    };
    let (path, bytes) = script("manifest", |out| {
        let _ = serde_json::to_writer(out, &manifest);
    });
    emit(path, bytes);
}

/// Doc ids: the pages in (kind, status, year, url) order.
fn doc_order<'a>(pages: &[&'a PageIndex]) -> Vec<&'a PageIndex> {
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (pages[a], pages[b]);
        (&x.kind, &x.status, x.year, &x.url, &x.record)
            .cmp(&(&y.kind, &y.status, y.year, &y.url, &y.record))
    });
    order.iter().map(|&i| pages[i]).collect()
}

/// What the index needs of each id over all pages: in how many it is, and its largest weight
/// in one (so that the largest score is known without another pass over every entry).
#[derive(Clone, Copy, Default)]
struct IdCounts {
    df: u32,
    most: f32,
}

/// Each id's [`IdCounts`], by chunks of pages in parallel, and where each page's slice of each
/// id range (`cuts`) starts: a page's entries are in id order, so each range is a slice of every
/// page's entries (binary searches for them were cache misses). `splits[doc * stride + part]`
/// is where part `part` of doc `doc` starts, `stride` being `cuts.len()`.
fn document_frequencies(
    docs: &[&PageIndex],
    cuts: &[u32],
    ids: usize,
    norms: &[f32],
) -> (Vec<IdCounts>, Vec<EntryPos>) {
    let stride = cuts.len();
    // One chunk a thread: each chunk counts into a table of every id (100,000 pages: 2.3
    // million ids, 18 MB a table).
    let doc_chunk = docs.len().div_ceil(rayon::current_num_threads()).max(1);
    let mut splits = vec![EntryPos::default(); docs.len() * stride];
    let counts: Vec<IdCounts> = docs
        .par_chunks(doc_chunk)
        .zip(norms.par_chunks(doc_chunk))
        .zip(splits.par_chunks_mut(doc_chunk * stride))
        .map(|((chunk, norms), splits)| {
            let mut counts = vec![IdCounts::default(); ids];
            for ((d, &norm), splits) in chunk.iter().zip(norms).zip(splits.chunks_mut(stride)) {
                let mut part = 0;
                let mut entries = d.entries().iter();
                let mut pos = entries.pos();
                while let Some(e) = entries.next() {
                    let c = &mut counts[e.id as usize];
                    c.df += 1;
                    c.most = c.most.max(weight(&e, norm));
                    while e.id >= cuts[part + 1] {
                        part += 1;
                        splits[part] = pos;
                    }
                    pos = entries.pos();
                }
                for s in &mut splits[part + 1..] {
                    *s = pos;
                }
            }
            counts
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| {
                x.df += y.df;
                x.most = x.most.max(y.most);
            });
            a
        })
        .unwrap_or_else(|| vec![IdCounts::default(); ids]);
    (counts, splits)
}

/// The terms in use, sorted by spelling, their strings in one buffer.
struct Terms {
    text: String,
    list: Vec<Term>,
}

impl Terms {
    fn spell(&self, t: &Term) -> &str {
        t.spelling(&self.text)
    }
}

impl Term {
    fn spelling<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start as usize..self.end as usize]
    }
}

/// The terms in use (and, per id, whether it is one). Their strings are copied into one buffer
/// in id order, the order they were allocated in: read where they were allocated, in sorted
/// order, each term was a cache miss (the profile showed it in the sort and in writing).
fn terms_in_use(counts: &[IdCounts]) -> (Terms, Vec<bool>) {
    let mut text = String::new();
    let (mut list, live) = super::words::spellings(|spelling| {
        let live: Vec<bool> = (0..counts.len())
            .map(|id| counts[id].df > 0 && !spelling[id].is_empty())
            .collect();
        let mut list: Vec<Term> = Vec::with_capacity(live.iter().filter(|&&l| l).count());
        for id in (0..counts.len()).filter(|&id| live[id]) {
            let start = text.len() as u32;
            text.push_str(&spelling[id]);
            list.push(Term {
                key: utf16_key(&spelling[id]),
                start,
                end: text.len() as u32,
                id: id as u32,
            });
        }
        (list, live)
    });
    list.par_sort_unstable_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| utf16_cmp(a.spelling(&text), b.spelling(&text)))
    });
    (Terms { text, list }, live)
}

/// A score as the index keeps it: not negative, and 0 if it is not a number.
fn clamp_score(s: f32) -> f32 {
    if s.is_finite() { s.max(0.0) } else { 0.0 }
}

/// BM25F scoring: the largest score scales the impact bytes.
struct Impacts {
    idf: Vec<f32>,
    /// Per doc: its length normalisation.
    norms: Vec<f32>,
    qmax: f32,
    lq: f32,
}

/// Per doc: its BM25 length normalisation.
fn length_norms(docs: &[&PageIndex]) -> Vec<f32> {
    let n = docs.len();
    let avgdl = if n == 0 {
        1.0
    } else {
        (docs.iter().map(|d| f64::from(d.len())).sum::<f64>() / n as f64).max(1.0) as f32
    };
    docs.iter()
        .map(|d| K1 * (1.0 - B + B * d.len() / avgdl))
        .collect()
}

/// An entry's saturated term frequency plus its boosts: its score over the term's idf.
fn weight(e: &Entry, norm: f32) -> f32 {
    let tf = e.tf();
    let sat = if tf > 0.0 {
        tf * (K1 + 1.0) / (tf + norm)
    } else {
        0.0
    };
    sat + e.boost()
}

impl Impacts {
    /// The largest score is an id's idf times its largest weight (idf is positive, so the
    /// product is largest where the weight is): profiling showed a pass scoring every entry
    /// for it as a fifth of writing the index.
    fn of(docs: &[&PageIndex], counts: &[IdCounts], live: &[bool], norms: Vec<f32>) -> Impacts {
        let nf = docs.len() as f32;
        let idf: Vec<f32> = counts
            .par_iter()
            .map(|c| {
                let df = c.df as f32;
                (1.0 + (nf - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();
        let qmax = (idf.par_iter().zip(counts).zip(live))
            .filter(|(_, live)| **live)
            .map(|((&idf, c), _)| clamp_score(idf * c.most))
            .reduce(|| 0.0f32, f32::max)
            .max(1e-3);
        Impacts {
            idf,
            norms,
            qmax,
            lq: (1.0 + qmax).ln(),
        }
    }

    fn score(&self, e: &Entry, norm: f32) -> f32 {
        clamp_score(self.idf[e.id as usize] * weight(e, norm))
    }

    /// The entry's score in doc `doc` as a byte, 1..=255, on a log scale up to `qmax`.
    fn byte(&self, e: &Entry, doc: usize) -> u8 {
        let s = self.score(e, self.norms[doc]);
        (1.0 + round_non_negative((1.0 + s).ln() / self.lq * 254.0)).clamp(1.0, 255.0) as u8
    }
}

/// `x.round()` for `0 <= x < 2^32` (beyond, both are far above an impact byte's 255), without
/// libm's `roundf`: x86-64's baseline has no rounding instruction, and the call was 0.5% of a
/// 10k build's CPU samples. Exact: the whole part is the truncation, and `x - whole` loses
/// nothing (Sterbenz: `whole >= x / 2` from 1 up, and 0 below).
fn round_non_negative(x: f32) -> f32 {
    let whole = x as u32 as f32;
    if x - whole >= 0.5 { whole + 1.0 } else { whole }
}

/// Per id range (`cuts`) in parallel, each term's postings in doc order: per doc,
/// varint((doc delta << 1) | has_section), impact byte, [section byte]. Per range, the bytes
/// and where each term's start (and the last ends).
fn encode_postings(
    docs: &[&PageIndex],
    counts: &[IdCounts],
    cuts: &[u32],
    splits: &[EntryPos],
    live: &[bool],
    impacts: &Impacts,
) -> Vec<(Vec<u8>, Vec<usize>)> {
    let stride = cuts.len();
    let most = varint_len(((docs.len() as u64) << 1) | 1) + 2;
    let ranges: Vec<(u32, u32)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    ranges
        .par_iter()
        .enumerate()
        .map(|(part, &(lo, hi))| {
            let counts = &counts[lo as usize..hi as usize];
            // Each term's room: the most bytes its postings can take.
            let mut at: Vec<usize> = Vec::with_capacity(counts.len());
            let mut end = 0;
            for c in counts {
                at.push(end);
                end += c.df as usize * most;
            }
            let starts = at.clone();
            let mut bytes = vec![0u8; end];
            let mut prev = vec![0u32; counts.len()];
            for (doc, d) in docs.iter().enumerate() {
                let split = &splits[doc * stride + part..];
                let end = split[1].at;
                let mut entries = d.entries().resume(split[0]);
                while entries.pos().at < end {
                    let Some(e) = entries.next() else { break };
                    if !live[e.id as usize] {
                        continue;
                    }
                    let q = impacts.byte(&e, doc);
                    let t = (e.id - lo) as usize;
                    let delta = u64::from(doc as u32 - prev[t]);
                    prev[t] = doc as u32;
                    let has_sec = e.sec != 0;
                    let mut i = put_varint(&mut bytes, at[t], (delta << 1) | u64::from(has_sec));
                    bytes[i] = q;
                    i += 1;
                    if has_sec {
                        bytes[i] = e.sec;
                        i += 1;
                    }
                    at[t] = i;
                }
            }
            // Close the gaps: the terms' bytes back to back, and where each one starts.
            let mut begin = Vec::with_capacity(counts.len() + 1);
            let mut w = 0;
            for (start, stop) in starts.iter().zip(&at) {
                begin.push(w);
                bytes.copy_within(*start..*stop, w);
                w += stop - start;
            }
            begin.push(w);
            // The room was for the longest postings; what they took is about a third of it
            // (100k pages: the parts' unused room was some 300 MB of the build's peak).
            bytes.truncate(w);
            bytes.shrink_to_fit();
            (bytes, begin)
        })
        .collect()
}

/// Each alias once, spelled, in the order of its spelling.
fn spelled_aliases(docs: &[&PageIndex]) -> Vec<(Box<str>, Box<str>)> {
    super::words::spellings(|spelling| {
        let mut aliases: Vec<(Box<str>, Box<str>)> = distinct_aliases(docs, spelling.len())
            .into_iter()
            .map(|(s, t)| (spelling[s as usize].into(), spelling[t as usize].into()))
            .collect();
        aliases.par_sort_unstable_by(|a, b| utf16_cmp(&a.0, &b.0).then(a.1.cmp(&b.1)));
        aliases
    })
}

/// The index's shards: contiguous runs of terms up to `SHARD_BYTES`, each with the aliases
/// that sort into it.
struct Shards<'a> {
    /// Where each shard's terms start.
    bounds: Vec<usize>,
    /// Each shard's first key (the first is empty): a query term's shard is the last whose key
    /// is not after it.
    keys: Vec<String>,
    aliases: Vec<Vec<&'a (Box<str>, Box<str>)>>,
}

impl<'a> Shards<'a> {
    fn of(terms: &Terms, postings: &[&[u8]], aliases: &'a [(Box<str>, Box<str>)]) -> Shards<'a> {
        let mut bounds: Vec<usize> = vec![0];
        let mut size = 0usize;
        for (i, (t, p)) in terms.list.iter().zip(postings).enumerate() {
            // The spelling's length from its bounds: reading it, each term was a cache miss.
            let add = p.len() + (t.end - t.start) as usize + 6;
            if size > 0 && size + add > SHARD_BYTES {
                bounds.push(i);
                size = 0;
            }
            size += add;
        }
        let mut keys: Vec<String> = vec![String::new()];
        for w in bounds.windows(2) {
            let (last, next) = (&terms.list[w[1] - 1], &terms.list[w[1]]);
            keys.push(separator(terms.spell(last), terms.spell(next)));
        }
        let mut shards = Shards {
            aliases: vec![Vec::new(); bounds.len()],
            bounds,
            keys,
        };
        for pair in aliases {
            let shard = shards.of_term(&pair.0);
            if let Some(v) = shards.aliases.get_mut(shard) {
                v.push(pair);
            }
        }
        shards
    }

    fn len(&self) -> usize {
        self.aliases.len()
    }

    /// The last shard whose key is not after `s`.
    fn of_term(&self, s: &str) -> usize {
        let idx = self
            .keys
            .partition_point(|k| utf16_cmp(k, s) != Ordering::Greater);
        idx.saturating_sub(1)
    }

    /// Shard `i`'s file: its terms, their postings' lengths, the postings, its aliases.
    fn file(&self, i: usize, terms: &Terms, postings: &[&[u8]]) -> (String, Vec<u8>) {
        let start = self.bounds[i];
        let end = self.bounds.get(i + 1).copied().unwrap_or(terms.list.len());
        let postings = &postings[start..end];
        script(&format!("s/{i}"), |out| {
            let blob: Vec<u8> = postings.concat();
            out.reserve(blob.len() * 4 / 3 + (end - start) * 16 + 64);
            out.extend_from_slice(b"{\"t\":");
            json_array(out, &terms.list[start..end], |out, t| {
                json_str(out, terms.spell(t))
            });
            out.extend_from_slice(b",\"o\":");
            json_array(out, postings, |out, p| {
                let _ = write!(out, "{}", p.len());
            });
            out.extend_from_slice(b",\"p\":\"");
            base64_into(out, &blob);
            out.extend_from_slice(b"\",\"a\":");
            json_array(out, &self.aliases[i], |out, (s, t)| {
                out.push(b'[');
                json_str(out, s);
                out.push(b',');
                json_str(out, t);
                out.push(b']');
            });
            out.push(b'}');
        })
    }
}

/// What the manifest says of the pages as a whole: kinds, statuses and tags, runs of pages by
/// (kind, status, year), and each page's tags.
struct DocFacets<'a> {
    kinds: Vec<&'a str>,
    statuses: Vec<&'a str>,
    tags: Vec<&'a str>,
    runs: Vec<(usize, usize, i32, u16)>,
    facets: Facets,
}

/// Each tag as written on some page, with the name the site gives it: the first spelling, in
/// page order, of the tags with its slug (`Rust` and `rust` are one tag, as on the tag pages).
/// Slugged once per spelling: once per tag on each of 100,000 pages took a core some 0.2 s.
fn canonical_tags<'a>(pages: &[&'a PageIndex]) -> HashMap<&'a str, &'a str> {
    let mut by_spelling: HashMap<&str, &str> = HashMap::new();
    let mut by_slug: HashMap<String, &str> = HashMap::new();
    for tag in pages.iter().flat_map(|p| p.tags.iter()) {
        if !by_spelling.contains_key(&**tag) {
            let name = *by_slug.entry(crate::site::tag_slug(tag)).or_insert(tag);
            by_spelling.insert(tag, name);
        }
    }
    by_spelling
}

fn doc_facets<'a>(docs: &[&'a PageIndex], tag_names: &HashMap<&'a str, &'a str>) -> DocFacets<'a> {
    let name = |tag: &'a str| tag_names.get(tag).copied().unwrap_or(tag);
    let doc_tags: Vec<Vec<&'a str>> = docs
        .iter()
        .map(|d| {
            let mut tags: Vec<&str> = Vec::with_capacity(d.tags.len());
            for tag in d.tags.iter().map(|t| name(t)) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            tags
        })
        .collect();
    let mut kinds: Vec<&str> = docs.iter().map(|d| &*d.kind).collect();
    kinds.dedup();
    let mut statuses: Vec<&str> = docs.iter().filter_map(|d| d.status.as_deref()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let mut tag_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for tags in &doc_tags {
        for t in tags {
            tag_ids.insert(t, 0);
        }
    }
    for (i, v) in tag_ids.values_mut().enumerate() {
        *v = i;
    }
    let mut runs: Vec<(usize, usize, i32, u16)> = Vec::new();
    let mut dtags = Vec::with_capacity(docs.len() * 4);
    for (id, (d, tags)) in docs.iter().zip(&doc_tags).enumerate() {
        let k = kinds.iter().position(|k| *k == &*d.kind).unwrap_or(0);
        let s = d
            .status
            .as_deref()
            .and_then(|s| statuses.iter().position(|x| *x == s))
            .map_or(-1, |p| p as i32);
        if runs
            .last()
            .is_none_or(|r| (r.1, r.2, r.3) != (k, s, d.year))
        {
            runs.push((id, k, s, d.year));
        }
        let ids = tags.iter().map(|t| tag_ids.get(t).copied().unwrap_or(0));
        if tag_ids.len() < 127 {
            // one byte per tag, high bit on the doc's last; 0xFF = no tags
            let ids: Vec<usize> = ids.collect();
            if ids.is_empty() {
                dtags.push(0xFF);
            }
            for (k, t) in ids.iter().enumerate() {
                let last = if k + 1 == ids.len() { 0x80 } else { 0 };
                dtags.push(*t as u8 | last);
            }
        } else {
            push_varint(&mut dtags, tags.len() as u64);
            for t in ids {
                push_varint(&mut dtags, t as u64);
            }
        }
    }
    let facets = Facets {
        enc: if tag_ids.len() < 127 { 1 } else { 2 },
        dtags: base64(&dtags),
    };
    DocFacets {
        kinds,
        statuses,
        tags: tag_ids.keys().copied().collect(),
        runs,
        facets,
    }
}

/// Each alias once (a word's stem is a function of the word, so any page's pair will do),
/// as (surface, stem) global ids.
fn distinct_aliases(docs: &[&PageIndex], ids: usize) -> Vec<(u32, u32)> {
    let mut seen = vec![false; ids];
    let mut out = Vec::new();
    for d in docs {
        for (surface, stem) in d.aliases().iter() {
            if let Some(seen) = seen.get_mut(surface as usize)
                && !*seen
            {
                *seen = true;
                out.push((surface, stem));
            }
        }
    }
    out
}

/// The JSON inside a file written by `write_index` (what the client's `load` parses).
pub fn unwrap_js(file: &[u8]) -> Option<&[u8]> {
    let start = file.iter().position(|&b| b == b',')? + 1;
    let end = file.iter().rposition(|&b| b == b')')?;
    file.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_without_libm_is_rust_s_rounding() {
        let mut values = vec![0.0f32, 0.25, 1.0, 127.5, 253.49, 254.0, 1e9, 4.2e9];
        for half in (0..=600).map(|n| n as f32 + 0.5) {
            values.extend([half, half.next_down(), half.next_up(), half - 0.5]);
        }
        // Fractions small and large at every scale an impact byte meets.
        let mut x = 1e-7f32;
        while x < 4e9 {
            values.extend([x, x * 1.37, x * 2.71]);
            x *= 1.9;
        }
        for x in values.into_iter().filter(|&x| x < 4_294_967_296.0) {
            assert_eq!(round_non_negative(x), x.round(), "{x}");
        }
    }

    #[test]
    fn largest_score_is_that_of_scoring_every_entry() {
        // Pages of different lengths, sharing words, with titles, tags and headings (boosts):
        // the largest score found from each id's largest weight is the largest of all scores.
        use crate::search::{Analyzer, SearchDoc, SearchSection, index_page};
        let (an, _) = Analyzer::for_language("en");
        let bodies: Vec<String> = (0..40)
            .map(|i| {
                let words = [
                    "cache", "latency", "kafka", "rust", "deploy", "budget", "tracing",
                ];
                (0..(5 + i * 7))
                    .map(|j| words[(i * j + j / 3) % words.len()])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        // A word rare in the corpus but frequent on one page scores highest: through its term
        // frequency, which each page's length weighs.
        let mut bodies = bodies;
        bodies[7].push_str(&" zebra".repeat(9));
        bodies[30].push_str(" zebra");
        let titles: Vec<String> = (0..40)
            .map(|i| format!("Note on kafka {}", i % 2))
            .collect();
        let pages: Vec<PageIndex> = (0..40)
            .map(|i| {
                let doc = SearchDoc {
                    url: "/p/",
                    title: &titles[i],
                    kind: "post",
                    tags: if i % 3 == 0 { vec!["rust"] } else { vec![] },
                    sections: vec![
                        SearchSection {
                            anchor: None,
                            heading: "",
                            text: &bodies[i],
                        },
                        SearchSection {
                            anchor: Some("h"),
                            heading: "Cache budget",
                            text: &bodies[39 - i],
                        },
                    ],
                    ..Default::default()
                };
                index_page(&doc, &an)
            })
            .collect();
        let docs: Vec<&PageIndex> = pages.iter().collect();
        let ids = crate::search::words::spellings(|s| s.len());
        let cuts = id_ranges(&docs, ids, parts());
        let norms = length_norms(&docs);
        let (counts, _) = document_frequencies(&docs, &cuts, ids, &norms);
        let (_, live) = terms_in_use(&counts);
        let impacts = Impacts::of(&docs, &counts, &live, norms);
        let every_entry = docs
            .iter()
            .zip(&impacts.norms)
            .flat_map(|(d, &norm)| {
                let entries = d.entries().iter().filter(|e| live[e.id as usize]);
                entries.map(|e| impacts.score(&e, norm)).collect::<Vec<_>>()
            })
            .fold(0.0f32, f32::max);
        assert!(every_entry > 1.0);
        assert_eq!(impacts.qmax.to_bits(), every_entry.to_bits());
    }

    #[test]
    fn id_ranges_cover_every_id_once_in_at_most_the_parts_asked() {
        // Pages sharing a few common words, each with a tail of words of its own.
        use crate::search::{Analyzer, SearchDoc, SearchSection, index_page};
        let (an, _) = Analyzer::for_language("en");
        let bodies: Vec<String> = (0..300)
            .map(|i| {
                let own = (0..20).map(|k| format!("rangeword{i}x{k}"));
                let common = ["cache", "budget", "latency"].map(String::from);
                common.into_iter().chain(own).collect::<Vec<_>>().join(" ")
            })
            .collect();
        let pages: Vec<PageIndex> = bodies
            .iter()
            .map(|body| {
                let sections = vec![SearchSection {
                    anchor: None,
                    heading: "",
                    text: body,
                }];
                let doc = SearchDoc {
                    title: "Ranges",
                    url: "/r/",
                    kind: "post",
                    sections,
                    ..Default::default()
                };
                index_page(&doc, &an)
            })
            .collect();
        let docs: Vec<&PageIndex> = pages.iter().collect();
        let ids = crate::search::words::spellings(|s| s.len());
        for parts in [1, 2, 7, 16] {
            let cuts = id_ranges(&docs, ids, parts);
            assert_eq!(cuts.first(), Some(&0), "{cuts:?}");
            assert_eq!(cuts.last(), Some(&(ids as u32)), "{cuts:?}");
            assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
            assert!(cuts.len() <= parts + 1, "{parts} parts: {cuts:?}");
        }
        // Most postings are in the pages' own words: they are split among the parts.
        assert!(id_ranges(&docs, ids, 8).len() >= 6);
    }

    #[test]
    fn a_long_tail_of_ids_gets_a_range_of_its_own_though_it_holds_few_postings() {
        // Nine tenths of the postings on ten common ids, the rest one each on ids spread over
        // a million: cut by postings alone, every cut fell among the ten and the tail was one
        // range.
        let ids = 1_000_000;
        let mut sample: Vec<u32> = (0..9_000).map(|i| i % 10).collect();
        sample.extend((0..1_000).map(|i| 10 + i * 999));
        sample.sort_unstable();
        let cuts = cuts_by_share(&sample, ids, 8);
        let in_tail = cuts
            .iter()
            .filter(|&&c| c > 10 && (c as usize) < ids)
            .count();
        assert!(in_tail >= 1, "{cuts:?}");
        assert!(
            cuts.iter().filter(|&&c| c > 0 && c <= 10).count() >= 3,
            "{cuts:?}"
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(&[0xff, 0xfe, 0x00, 0x80]), "//4AgA==");
    }

    #[test]
    fn separators_sort_between() {
        assert_eq!(separator("abc", "abd"), "abd");
        assert_eq!(separator("abc", "b"), "b");
        assert_eq!(separator("ab", "abz"), "abz");
        assert_eq!(separator("apple", "banana"), "b");
        assert_eq!(utf16_cmp("\u{FF5E}", "\u{20000}"), Ordering::Greater);
    }

    #[test]
    fn utf16_order_is_javascripts() {
        let words = [
            "",
            "a",
            "ab",
            "b",
            "é",
            "z",
            "\u{7FF}",
            "\u{800}",
            "\u{D7FF}",
            "\u{E000}",
            "\u{FF5E}",
            "\u{FFFF}",
            "\u{10000}",
            "\u{10FFFF}",
            "a\u{E000}",
            "a\u{10000}",
            "東京",
            "東\u{20000}",
            "東\u{FFFD}",
        ];
        for a in words {
            for b in words {
                let js = a.encode_utf16().cmp(b.encode_utf16());
                assert_eq!(utf16_cmp(a, b), js, "{a:?} {b:?}");
            }
        }
    }
}
