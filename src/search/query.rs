//! A reference implementation of the browser client's query algorithm
//! (search.js), reading the files `write_index` produced. Used by the tests
//! and the bench to check ranking and to count the bytes a query downloads.

use super::analyze::{Token, fold_into, tokenize};
use super::unwrap_js;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Deserialize)]
struct Manifest {
    n: usize,
    qmax: f32,
    chunk: usize,
    join: bool,
    shards: Vec<String>,
    kinds: Vec<String>,
    statuses: Vec<String>,
    tags: Vec<String>,
    runs: Vec<(usize, usize, i32, u16)>,
}

#[derive(Deserialize)]
struct FacetsFile {
    enc: u8,
    dtags: String,
}

#[derive(Deserialize)]
struct ShardFile {
    t: Vec<String>,
    o: Vec<usize>,
    p: String,
    a: Vec<(String, String)>,
}

struct Shard {
    terms: HashMap<String, (usize, usize)>,
    order: Vec<String>,
    blob: Vec<u8>,
    aliases: Vec<(String, String)>,
}

/// Facet filters (AND across groups).
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    pub year: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub doc: u32,
    pub url: String,
    pub title: String,
    pub score: f32,
    /// Query words matched (exactly, by prefix or with a typo).
    pub matched: usize,
    /// Query words matched without a typo.
    pub exact: usize,
    /// Anchors of the best matching sections.
    pub anchors: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct QueryResult {
    pub hits: Vec<Hit>,
    /// Facet counts over the matching docs: (group, value) -> count.
    pub facets: BTreeMap<(String, String), usize>,
    /// Files fetched (json paths) and their total size in bytes.
    pub fetched: Vec<String>,
    pub bytes: usize,
}

fn b64decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&byte) = b.get(*i) {
        *i += 1;
        if shift < 64 {
            v |= u64::from(byte & 0x7f) << shift;
        }
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

/// Damerau–Levenshtein (optimal string alignment) distance ≤ 1.
pub fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let mut i = 0;
    while i < la && i < lb && a[i] == b[i] {
        i += 1;
    }
    if i == la && i == lb {
        return true; // equal
    }
    if la == lb {
        // substitution or transposition
        (a[i + 1..] == b[i + 1..])
            || (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && a[i + 2..] == b[i + 2..])
    } else if la > lb {
        a[i + 1..] == b[i..]
    } else {
        a[i..] == b[i + 1..]
    }
}

/// Prefix matching: the word being typed (2+ chars) completes at weight 0.7;
/// any other word of 4+ chars also completes ("postgres" -> "postgresql") at 0.5.
pub fn prefix_factor(w: &str, typing_last: bool) -> f32 {
    let n = w.chars().count();
    // A lone CJK character stands for the bigrams it starts (CJK text is indexed in bigrams).
    let lone_cjk = n == 1 && w.chars().all(super::analyze::is_cjk);
    if lone_cjk || (typing_last && n >= 2) {
        0.7
    } else if n >= 4 {
        0.5
    } else {
        0.0
    }
}

/// Query words as the client computes them.
pub fn query_words(q: &str, join: bool) -> Vec<String> {
    let mut folded = String::new();
    fold_into(q, &mut folded);
    let mut words = Vec::new();
    tokenize(&folded, join, &mut |t| match t {
        Token::Word(w) | Token::Cjk(w) => words.push(w.to_string()),
        Token::CjkTail(_) => {}
    });
    words
}

struct Session<'a> {
    files: &'a BTreeMap<String, Vec<u8>>,
    m: Manifest,
    shards: HashMap<usize, Shard>,
    fetched: Vec<String>,
    bytes: usize,
}

impl Session<'_> {
    /// The JSON of one index file, counting the file's bytes once, as the client's cache does.
    fn fetch(&mut self, key: &str) -> Option<&[u8]> {
        let path = format!("{key}.js");
        let data = self.files.get(&path)?;
        if !self.fetched.contains(&path) {
            self.fetched.push(path);
            self.bytes += data.len();
        }
        unwrap_js(data)
    }

    fn shard_index(&self, w: &str) -> usize {
        let pp = self
            .m
            .shards
            .partition_point(|k| k.encode_utf16().cmp(w.encode_utf16()).is_le());
        pp.saturating_sub(1)
    }

    fn load(&mut self, i: usize) {
        if self.shards.contains_key(&i) {
            return;
        }
        let Some(data) = self.fetch(&format!("s/{i}")) else {
            return;
        };
        let Ok(f) = serde_json::from_slice::<ShardFile>(data) else {
            return;
        };
        let mut terms = HashMap::new();
        let mut off = 0;
        for (t, len) in f.t.iter().zip(&f.o) {
            terms.insert(t.clone(), (off, *len));
            off += len;
        }
        self.shards.insert(
            i,
            Shard {
                terms,
                order: f.t,
                blob: b64decode(&f.p),
                aliases: f.a,
            },
        );
    }

    fn postings(&self, term: &str) -> Vec<(u32, f32, u8)> {
        let Some(sh) = self.shards.get(&self.shard_index(term)) else {
            return Vec::new();
        };
        let Some(&(off, len)) = sh.terms.get(term) else {
            return Vec::new();
        };
        let b = sh.blob.get(off..off + len).unwrap_or(&[]);
        let lq = (1.0 + self.m.qmax).ln();
        let mut out = Vec::new();
        let mut i = 0;
        let mut doc = 0u64;
        while i < b.len() {
            let v = varint(b, &mut i);
            doc += v >> 1;
            let q = b.get(i).copied().unwrap_or(1);
            i += 1;
            let sec = if v & 1 == 1 {
                i += 1;
                b.get(i - 1).copied().unwrap_or(0)
            } else {
                0
            };
            let s = ((f32::from(q) - 1.0) / 254.0 * lq).exp() - 1.0;
            out.push((doc as u32, s, sec));
        }
        out
    }
}

/// Where a query runs in the client, which decides what it downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The header box: kind and status chips only (from the manifest), 8 results.
    Panel,
    /// The `/search/` page: also tag chips, so it loads every page's tags (`facets`).
    Page,
}

/// Runs a query like the search page does (all facets). `typing`: the last word may be
/// incomplete (prefix matching). `top`: how many records to load.
pub fn search(
    files: &BTreeMap<String, Vec<u8>>,
    q: &str,
    typing: bool,
    filters: &Filters,
    top: usize,
) -> QueryResult {
    search_in(View::Page, files, q, typing, filters, top)
}

/// Runs a query like the client does in `view`.
pub fn search_in(
    view: View,
    files: &BTreeMap<String, Vec<u8>>,
    q: &str,
    typing: bool,
    filters: &Filters,
    top: usize,
) -> QueryResult {
    let mut res = QueryResult::default();
    let Some(mdata) = files.get("manifest.js") else {
        return res;
    };
    let Some(Ok(m)) = unwrap_js(mdata).map(serde_json::from_slice::<Manifest>) else {
        return res;
    };
    let mut s = Session {
        files,
        m,
        shards: HashMap::new(),
        fetched: vec!["manifest.js".into()],
        bytes: mdata.len(),
    };
    let words = query_words(q, s.m.join);
    if words.is_empty() {
        res.fetched = s.fetched;
        res.bytes = s.bytes;
        return res;
    }
    let nw = words.len();
    // Round 1: the shard of each word, plus the prefix range of the last.
    for (wi, w) in words.iter().enumerate() {
        let i = s.shard_index(w);
        s.load(i);
        let pf = prefix_factor(w, typing && wi == nw - 1);
        if pf > 0.5 {
            let mut hi = w.clone();
            hi.push('\u{FFFF}');
            let j = s.shard_index(&hi);
            let extra = if pf > 0.5 { 2 } else { 1 };
            for k in (i + 1)..=j.min(i + extra) {
                s.load(k);
            }
        }
    }
    // Resolve candidates; a finished word with no exact match may complete
    // (pass 1, after loading its prefix range).
    let mut cands: Vec<Vec<(String, f32, bool)>> = Vec::new();
    let mut retry = Vec::new();
    for pass in 0..2 {
        for (wi, w) in words.iter().enumerate() {
            let mut pf = prefix_factor(w, typing && wi == nw - 1);
            if pass == 1 {
                if !retry.contains(&wi) {
                    continue;
                }
            } else if pf <= 0.5 {
                pf = 0.0;
            }
            let prefix = pf > 0.0;
            let wc: Vec<char> = w.chars().collect();
            // No typo is guessed in a word with a digit: rfc0045 is not rfc0015.
            let typo = wc.len() >= 5 && !w.chars().any(|c| c.is_ascii_digit());
            let mut c: Vec<(String, f32, bool)> = Vec::new();
            let mut stems_needed = Vec::new();
            let mut keys: Vec<usize> = s.shards.keys().copied().collect();
            keys.sort_unstable();
            for k in keys {
                let sh = &s.shards[&k];
                for t in &sh.order {
                    if t == w {
                        c.push((t.clone(), 1.0, true));
                    } else if prefix && t.starts_with(w.as_str()) {
                        c.push((t.clone(), pf, true));
                    } else if typo && {
                        let tc: Vec<char> = t.chars().collect();
                        tc.len() >= 4 && within_one_edit(&wc, &tc)
                    } {
                        c.push((t.clone(), 0.4, false));
                    }
                }
                for (a, stem) in &sh.aliases {
                    let f = if a == w {
                        Some((1.0, true))
                    } else if prefix && a.starts_with(w.as_str()) {
                        Some((pf, true))
                    } else if typo && {
                        let ac: Vec<char> = a.chars().collect();
                        within_one_edit(&wc, &ac)
                    } {
                        Some((0.4, false))
                    } else {
                        None
                    };
                    if let Some((f, e)) = f {
                        stems_needed.push(stem.clone());
                        c.push((stem.clone(), f, e));
                    }
                }
            }
            for st in stems_needed {
                let i = s.shard_index(&st);
                s.load(i);
            }
            if pass == 0 && c.iter().all(|x| !x.2 || x.1 < 1.0) && prefix_factor(w, false) > 0.0 {
                retry.push(wi);
                let i = s.shard_index(w);
                let mut hi = w.clone();
                hi.push('\u{FFFF}');
                let j = s.shard_index(&hi);
                for k in (i + 1)..=j.min(i + 1) {
                    s.load(k);
                }
            }
            if pass == 0 {
                cands.push(c);
            } else if let Some(slot) = cands.get_mut(wi) {
                slot.extend(c);
            }
        }
    }
    // Score.
    let mut per_doc: HashMap<u32, (f32, usize, usize, HashMap<u8, f32>)> = HashMap::new();
    for c in &cands {
        let mut best: HashMap<u32, (f32, bool, u8)> = HashMap::new();
        for (t, f, exact) in c {
            for (d, sc, sec) in s.postings(t) {
                let v = sc * f;
                let e = best.entry(d).or_insert((0.0, false, 0));
                if v > e.0 {
                    e.0 = v;
                    e.2 = sec;
                }
                e.1 |= *exact;
            }
        }
        for (d, (v, exact, sec)) in best {
            let e = per_doc.entry(d).or_default();
            e.0 += v;
            e.1 += 1;
            e.2 += usize::from(exact);
            if sec != 0 {
                *e.3.entry(sec).or_default() += v;
            }
        }
    }
    // Facets: every page's tags only where tag chips are shown.
    let ff: Option<FacetsFile> = match view {
        View::Page => s
            .fetch("facets")
            .and_then(|d| serde_json::from_slice(d).ok()),
        View::Panel => None,
    };
    let (enc, dt) = ff.map_or((1, Vec::new()), |f| (f.enc, b64decode(&f.dtags)));
    let mut doc_tags: Vec<Vec<usize>> = Vec::with_capacity(s.m.n);
    let mut i = 0;
    for _ in 0..s.m.n {
        if enc == 1 {
            let mut v = Vec::new();
            while let Some(&b) = dt.get(i) {
                i += 1;
                if b == 0xFF {
                    break;
                }
                v.push(usize::from(b & 0x7f));
                if b & 0x80 != 0 {
                    break;
                }
            }
            doc_tags.push(v);
        } else {
            let cnt = varint(&dt, &mut i);
            doc_tags.push((0..cnt).map(|_| varint(&dt, &mut i) as usize).collect());
        }
    }
    let doc_facets = |d: u32| -> (String, Option<String>, u16) {
        let pp = s.m.runs.partition_point(|r| r.0 <= d as usize);
        let r =
            s.m.runs
                .get(pp.saturating_sub(1))
                .copied()
                .unwrap_or((0, 0, -1, 0));
        (
            s.m.kinds.get(r.1).cloned().unwrap_or_default(),
            usize::try_from(r.2)
                .ok()
                .and_then(|i| s.m.statuses.get(i).cloned()),
            r.3,
        )
    };
    let mut hits: Vec<Hit> = Vec::new();
    for (d, (score, matched, exact, secs)) in per_doc {
        let (kind, status, year) = doc_facets(d);
        let tags: Vec<&str> = doc_tags
            .get(d as usize)
            .map(|v| {
                v.iter()
                    .filter_map(|&t| s.m.tags.get(t).map(String::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let ok_kind = filters.kind.as_ref().is_none_or(|k| *k == kind);
        let ok_status = filters
            .status
            .as_ref()
            .is_none_or(|k| Some(k) == status.as_ref());
        let ok_tag = filters
            .tag
            .as_ref()
            .is_none_or(|k| tags.contains(&k.as_str()));
        let ok_year = filters.year.is_none_or(|y| y == year);
        let groups = [
            ("kind", vec![kind.clone()], ok_status && ok_tag && ok_year),
            (
                "status",
                status.iter().cloned().collect(),
                ok_kind && ok_tag && ok_year,
            ),
            (
                "tag",
                tags.iter().map(|t| t.to_string()).collect(),
                ok_kind && ok_status && ok_year,
            ),
            (
                "year",
                if year > 0 {
                    vec![year.to_string()]
                } else {
                    vec![]
                },
                ok_kind && ok_status && ok_tag,
            ),
        ];
        for (g, vals, others) in groups {
            if others {
                for v in vals {
                    *res.facets.entry((g.to_string(), v)).or_default() += 1;
                }
            }
        }
        if ok_kind && ok_status && ok_tag && ok_year {
            let mut secs: Vec<(u8, f32)> = secs.into_iter().collect();
            secs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            hits.push(Hit {
                doc: d,
                url: String::new(),
                title: String::new(),
                score,
                matched,
                exact,
                anchors: secs.iter().map(|x| x.0.to_string()).collect(),
            });
        }
    }
    hits.sort_by(|a, b| {
        b.matched
            .cmp(&a.matched)
            .then(b.exact.cmp(&a.exact))
            .then(b.score.total_cmp(&a.score))
            .then(a.doc.cmp(&b.doc))
    });
    // Records of the top hits.
    let chunk = s.m.chunk.max(1);
    for h in hits.iter_mut().take(top) {
        let key = format!("r/{}", h.doc as usize / chunk);
        let Some(data) = s.fetch(&key) else { continue };
        let Ok(recs) = serde_json::from_slice::<Vec<serde_json::Value>>(data) else {
            continue;
        };
        if let Some(r) = recs.get(h.doc as usize % chunk) {
            h.url = r["u"].as_str().unwrap_or("").to_string();
            h.title = r["t"].as_str().unwrap_or("").to_string();
            let hs = r["h"].as_array().cloned().unwrap_or_default();
            h.anchors = h
                .anchors
                .iter()
                .filter_map(|i| i.parse::<usize>().ok())
                .filter_map(|i| hs.get(i).and_then(|x| x[0].as_str()).map(String::from))
                .filter(|a| !a.is_empty())
                .collect();
        }
    }
    hits.truncate(top.max(hits.len().min(1000)));
    res.hits = hits;
    res.fetched = s.fetched;
    res.bytes = s.bytes;
    let _ = BTreeSet::<u8>::new();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    fn c(s: &str) -> Vec<char> {
        s.chars().collect()
    }
    #[test]
    fn one_edit() {
        assert!(within_one_edit(&c("postgres"), &c("postgers")));
        assert!(within_one_edit(&c("postgres"), &c("postgre")));
        assert!(within_one_edit(&c("postgres"), &c("postgrues")));
        assert!(within_one_edit(&c("postgres"), &c("postgrez")));
        assert!(!within_one_edit(&c("postgres"), &c("pstgrez")));
        assert!(!within_one_edit(&c("abc"), &c("cba")));
    }
}
