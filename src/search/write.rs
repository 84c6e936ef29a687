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

use super::{Analyzer, Entry, PageIndex};
use rayon::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

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

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
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
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
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
struct Shard<'a> {
    t: Vec<&'a str>,
    o: Vec<usize>,
    p: String,
    a: Vec<[&'a str; 2]>,
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

fn fnv1a(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

fn js_wrap(key: &str, json: &str) -> Vec<u8> {
    let key = serde_json::to_string(key).unwrap_or_else(|_| "\"\"".into());
    let mut s = String::with_capacity(json.len() + key.len() + 30);
    s.push_str("window.__loreSearch(");
    s.push_str(&key);
    s.push(',');
    s.push_str(json);
    s.push_str(");\n");
    s.into_bytes()
}

/// Every term with its postings (doc id, entry) in doc id order, and every alias.
///
/// Profiling showed the string-keyed merge of ~5 million (term, page) entries as the largest
/// part of `write_index` (hashing, `memcmp` against cold keys, growing one Vec per term).
/// Terms carry process-wide ids (`words::global_id`), so this is a counting sort by id:
/// count, prefix-sum, fill one flat array. No string is hashed or compared.
struct Vocabulary<'a> {
    postings: Vec<(u32, Entry)>,
    /// (term, range in `postings`).
    terms: Vec<(Arc<str>, std::ops::Range<usize>)>,
    aliases: Vec<(&'a str, &'a str)>,
}

fn vocabulary<'a>(docs: &[&'a PageIndex]) -> Vocabulary<'a> {
    // Per id: the number of postings, then where the next one goes.
    let mut count: Vec<u32> = Vec::new();
    for d in docs {
        for e in d.entries() {
            let id = e.id as usize;
            if id >= count.len() {
                count.resize(id + 1, 0);
            }
            count[id] += 1;
        }
    }
    let mut next = Vec::with_capacity(count.len());
    let mut terms = Vec::new();
    let mut total = 0usize;
    super::words::spellings(|spelling| {
        for (id, &c) in count.iter().enumerate() {
            next.push(total);
            let term = spelling.get(id).filter(|t| c > 0 && !t.is_empty());
            if let Some(term) = term {
                terms.push((term.clone(), total..total + c as usize));
            }
            total += c as usize;
        }
    });
    let mut postings = vec![(0u32, Entry::default()); total];
    for (doc, d) in docs.iter().enumerate() {
        for e in d.entries() {
            let at = &mut next[e.id as usize];
            postings[*at] = (doc as u32, *e);
            *at += 1;
        }
    }
    Vocabulary {
        postings,
        terms,
        aliases: distinct_aliases(docs),
    }
}

/// Each alias once (a word's stem is a function of the word, so any page's pair will do).
fn distinct_aliases<'a>(docs: &[&'a PageIndex]) -> Vec<(&'a str, &'a str)> {
    let mut seen: Vec<bool> = Vec::new();
    let mut out = Vec::new();
    for d in docs {
        for (surface, stem, id) in d.aliases() {
            let id = id as usize;
            if id >= seen.len() {
                seen.resize(id + 1, false);
            }
            if !seen[id] {
                seen[id] = true;
                out.push((surface, stem));
            }
        }
    }
    out
}

/// Writes the whole index. Output is a pure function of the pages' contents
/// (their order in `pages` does not matter) and the analyzer: byte-identical
/// across runs. Returns `(path relative to search/, bytes)` sorted by path.
pub fn write_index(pages: &[&PageIndex], analyzer: &Analyzer) -> Vec<(String, Vec<u8>)> {
    // 1. Doc ids: (kind, status, year, url) order.
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (pages[a], pages[b]);
        (&x.kind, &x.status, x.year, &x.url, &x.record)
            .cmp(&(&y.kind, &y.status, y.year, &y.url, &y.record))
    });
    let docs: Vec<&PageIndex> = order.iter().map(|&i| pages[i]).collect();
    let n = docs.len();

    // 2. Global vocabulary and postings (doc ids ascending by construction).
    let vocabulary = vocabulary(&docs);
    let mut terms: Vec<(&str, &[(u32, Entry)])> = vocabulary
        .terms
        .iter()
        .map(|(t, range)| (&**t, &vocabulary.postings[range.clone()]))
        .collect();
    terms.par_sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
    let mut aliases = vocabulary.aliases;
    aliases.par_sort_unstable_by(|a, b| utf16_cmp(a.0, b.0).then(a.1.cmp(b.1)));

    // 3. BM25F impacts.
    let avgdl = if n == 0 {
        1.0
    } else {
        (docs.iter().map(|d| f64::from(d.len())).sum::<f64>() / n as f64).max(1.0) as f32
    };
    let nf = n as f32;
    let score = |df: usize, e: &Entry, len: f32| -> f32 {
        let df = df as f32;
        let idf = (1.0 + (nf - df + 0.5) / (df + 0.5)).ln();
        let norm = K1 * (1.0 - B + B * len / avgdl);
        let sat = if e.tf > 0.0 {
            e.tf * (K1 + 1.0) / (e.tf + norm)
        } else {
            0.0
        };
        let s = idf * (sat + e.boost);
        if s.is_finite() { s.max(0.0) } else { 0.0 }
    };
    let qmax = terms
        .par_iter()
        .map(|(_, ps)| {
            ps.iter()
                .map(|(d, e)| score(ps.len(), e, docs[*d as usize].len()))
                .fold(0.0f32, f32::max)
        })
        .reduce(|| 0.0f32, f32::max)
        .max(1e-3);
    let lq = (1.0 + qmax).ln();
    let encoded: Vec<Vec<u8>> = terms
        .par_iter()
        .map(|(_, ps)| {
            let mut out = Vec::with_capacity(ps.len() * 3);
            let mut prev = 0u32;
            for (d, e) in ps.iter() {
                let s = score(ps.len(), e, docs[*d as usize].len());
                let q = (1.0 + ((1.0 + s).ln() / lq * 254.0).round()).clamp(1.0, 255.0) as u8;
                let delta = u64::from(d - prev);
                prev = *d;
                let has_sec = e.sec != 0;
                push_varint(&mut out, (delta << 1) | u64::from(has_sec));
                out.push(q);
                if has_sec {
                    out.push(e.sec);
                }
            }
            out
        })
        .collect();

    // 4. Shards: contiguous runs of terms up to SHARD_BYTES.
    let mut bounds: Vec<usize> = vec![0];
    let mut size = 0usize;
    for (i, ((t, _), p)) in terms.iter().zip(&encoded).enumerate() {
        let add = p.len() + t.len() + 6;
        if size > 0 && size + add > SHARD_BYTES {
            bounds.push(i);
            size = 0;
        }
        size += add;
    }
    let mut keys: Vec<String> = vec![String::new()];
    for w in bounds.windows(2) {
        keys.push(separator(terms[w[1] - 1].0, terms[w[1]].0));
    }
    let nshards = if terms.is_empty() { 1 } else { bounds.len() };
    let shard_of = |s: &str| -> usize {
        // last shard whose key <= s
        let idx = keys.partition_point(|k| utf16_cmp(k, s) != Ordering::Greater);
        idx.saturating_sub(1)
    };
    let mut shard_aliases: Vec<Vec<[&str; 2]>> = vec![Vec::new(); nshards];
    for (s, t) in &aliases {
        if let Some(v) = shard_aliases.get_mut(shard_of(s)) {
            v.push([s, t]);
        }
    }
    let mut files: Vec<(String, String)> = (0..nshards)
        .into_par_iter()
        .map(|i| {
            let start = bounds.get(i).copied().unwrap_or(0);
            let end = bounds.get(i + 1).copied().unwrap_or(terms.len());
            let mut blob = Vec::new();
            let mut o = Vec::with_capacity(end - start);
            for p in &encoded[start..end] {
                blob.extend_from_slice(p);
                o.push(p.len());
            }
            let shard = Shard {
                t: terms[start..end].iter().map(|(t, _)| *t).collect(),
                o,
                p: base64(&blob),
                a: shard_aliases[i].clone(),
            };
            (
                format!("s/{i}"),
                serde_json::to_string(&shard).unwrap_or_default(),
            )
        })
        .collect();

    // 5. Records, in chunks.
    let nchunks = n.div_ceil(CHUNK);
    let recs: Vec<(String, String)> = (0..nchunks)
        .into_par_iter()
        .map(|j| {
            let mut s = String::from("[");
            for (k, d) in docs[j * CHUNK..((j + 1) * CHUNK).min(n)].iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                s.push_str(&d.record);
            }
            s.push(']');
            (format!("r/{j}"), s)
        })
        .collect();
    files.extend(recs);

    // 6. Manifest: facets as runs + per-doc tag lists.
    let mut kinds: Vec<&str> = docs.iter().map(|d| &*d.kind).collect();
    kinds.dedup();
    let mut statuses: Vec<&str> = docs.iter().filter_map(|d| d.status.as_deref()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let mut tag_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &docs {
        for t in d.tags.iter() {
            tag_ids.insert(t, 0);
        }
    }
    for (i, v) in tag_ids.values_mut().enumerate() {
        *v = i;
    }
    let mut runs: Vec<(usize, usize, i32, u16)> = Vec::new();
    let mut dtags = Vec::with_capacity(n * 4);
    for (id, d) in docs.iter().enumerate() {
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
        let ids = d
            .tags
            .iter()
            .map(|t| tag_ids.get(&**t).copied().unwrap_or(0));
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
            push_varint(&mut dtags, d.tags.len() as u64);
            for t in ids {
                push_varint(&mut dtags, t as u64);
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (p, c) in &files {
        fnv1a(&mut h, p.as_bytes());
        fnv1a(&mut h, c.as_bytes());
    }
    let manifest = Manifest {
        v: FORMAT_VERSION,
        b: format!("{:012x}", h & 0xffff_ffff_ffff),
        lang: analyzer.language(),
        join: analyzer.join_apostrophe(),
        n,
        qmax,
        chunk: CHUNK,
        shards: keys,
        kinds,
        statuses,
        tags: tag_ids.keys().copied().collect(),
        runs,
    };
    let facets = Facets {
        enc: if tag_ids.len() < 127 { 1 } else { 2 },
        dtags: base64(&dtags),
    };
    files.push((
        "facets".to_string(),
        serde_json::to_string(&facets).unwrap_or_default(),
    ));
    files.push((
        "manifest".to_string(),
        serde_json::to_string(&manifest).unwrap_or_default(),
    ));

    // One file per key, as a script: `<script>` loads it under `file://` (where fetch is
    // blocked) and fetch reads the same bytes over http, so nothing is written twice.
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_par_iter()
        .map(|(key, json)| (format!("{key}.js"), js_wrap(&key, &json)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
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
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn separators_sort_between() {
        assert_eq!(separator("abc", "abd"), "abd");
        assert_eq!(separator("abc", "b"), "b");
        assert_eq!(separator("ab", "abz"), "abz");
        assert_eq!(separator("apple", "banana"), "b");
        assert_eq!(utf16_cmp("\u{FF5E}", "\u{20000}"), Ordering::Greater);
    }
}
