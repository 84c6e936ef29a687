//! Per-thread tables of the words and terms indexing has met, kept from page to page.
//!
//! Profiling `index_page` on the 10,000-page corpus showed most of its time in per-page hash
//! maps keyed by fresh `String`s (allocation, hashing, `memcmp`, dropping) and in stemming
//! lookups. Pages share most of their vocabulary, so each thread interns words once: a word
//! seen before costs one hash lookup and no allocation, and a page accumulates by dense ids.
//! Ids never leave the thread; pages still come out as strings, so the index does not depend
//! on which thread saw which page first.
//!
//! A second profile still showed the lookup as the largest part of indexing (two cache
//! misses per word met rarely: the map's control bytes, then the key behind its pointer, plus
//! `memcmp`). Words of up to 11 bytes, nearly all, are now kept in the table itself with their
//! id, 16 bytes a slot (`SmallTable`): one cache line per lookup, no pointer, no `memcmp`.

use super::Analyzer;
use super::analyze::stem_with;
use super::swar::{ascii_lower, has_byte};
use rust_stemmers::Stemmer;
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::sync::{Mutex, OnceLock};

/// Ids shared by all threads for every term and alias word of the process. With them
/// `write_index` gathers postings by array index: profiling showed its string-keyed merge
/// of ~5 million (term, page) entries as the largest part of writing the index. An id is a
/// name only; output depends on the strings, so which thread came first changes no byte.
/// The table only grows (`lore serve` meets few new words), and ids stay valid for cached
/// pages: a `PageIndex` can be kept and written again with pages indexed later.
struct Global {
    /// Every spelling, back to back: spelling `id` is `text[ends[id - 1]..ends[id]]`. One buffer
    /// and an id table take about 20 bytes a term; a map of `Arc<str>` took some 100 (100,000
    /// pages meet 2.3 million terms).
    text: String,
    ends: Vec<usize>,
    /// Ids, found by their spelling's hash: `hash << 32 | id`. With the hash kept, growing the
    /// table reads no spelling (a rehash that read 2 million of them held the lock for some
    /// 200 ms of a 100k build while the other thread waited for it).
    table: hashbrown::HashTable<u64>,
}

fn global() -> &'static Mutex<Global> {
    static GLOBAL: OnceLock<Mutex<Global>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        Mutex::new(Global {
            text: String::new(),
            ends: Vec::new(),
            table: hashbrown::HashTable::new(),
        })
    })
}

/// A spelling's hash as kept in `Global::table`.
fn hash(s: &str) -> u32 {
    use std::hash::BuildHasher;
    (rustc_hash::FxBuildHasher.hash_one(s) >> 32) as u32
}

/// A kept hash spread over 64 bits, as the table wants them (high bits pick the control
/// byte, low bits the slot).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Global {
    #[cfg(test)]
    fn id(&mut self, s: &str) -> u32 {
        self.id_hashed(s, hash(s))
    }

    /// As `id`, with the spelling's `hash` already made.
    fn id_hashed(&mut self, s: &str, h: u32) -> u32 {
        let Global { text, ends, table } = self;
        let spelling = Spellings { text, ends };
        let found = table.find(spread(h), |&e| {
            (e >> 32) as u32 == h && &spelling[e as u32 as usize] == s
        });
        if let Some(&e) = found {
            return e as u32;
        }
        let id = ends.len() as u32;
        text.push_str(s);
        ends.push(text.len());
        table.insert_unique(spread(h), u64::from(h) << 32 | u64::from(id), |&e| {
            spread((e >> 32) as u32)
        });
        id
    }
}

/// Every global id's spelling: `spellings[id]`.
pub(crate) struct Spellings<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl Spellings<'_> {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

impl std::ops::Index<usize> for Spellings<'_> {
    type Output = str;

    fn index(&self, id: usize) -> &str {
        let start = id.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.text[start..self.ends[id]]
    }
}

/// Runs `f` with the strings of all global ids, indexed by id.
pub(crate) fn spellings<R>(f: impl FnOnce(&Spellings<'_>) -> R) -> R {
    let g = global().lock().unwrap_or_else(|e| e.into_inner());
    f(&Spellings {
        text: &g.text,
        ends: &g.ends,
    })
}

/// Lets go of this process's per-thread word tables (each rayon thread's), kept from page to
/// page while a site is indexed: up to some 100 MB a thread on a 100,000-page site, no use once
/// the pages are indexed. A thread that indexes again starts afresh.
pub fn release_thread_tables() {
    rayon::broadcast(|_| WORDS.with(|words| *words.borrow_mut() = Words::default()));
}

/// Past this many words a thread starts afresh (bounds memory in a long `lore serve`).
const MAX_WORDS: usize = 1 << 20;
const NONE: u32 = u32::MAX;
/// Marks a word's value in `word_ids` as an alias id (ids stay below 2^31: `MAX_WORDS`).
const ALIAS: u32 = 1 << 31;

/// String keys to ids. Words of up to 11 bytes (nearly all) live in `small`, key and value
/// in 16 bytes; up to 15 bytes, packed into a `u128`; longer ones boxed.
#[derive(Default)]
struct StrMap {
    small: SmallTable,
    mid: HashMap<u128, u32>,
    long: HashMap<Box<str>, u32>,
}

/// Up to 15 bytes and their length, as one number.
fn pack(b: &[u8]) -> u128 {
    let mut key = [0u8; 16];
    key[..b.len()].copy_from_slice(b);
    key[15] = b.len() as u8;
    u128::from_le_bytes(key)
}

impl StrMap {
    fn get(&self, s: &str) -> Option<u32> {
        let b = s.as_bytes();
        match b.len() {
            1..=SMALL => self.small.get(small_key(b)),
            0..=15 => self.mid.get(&pack(b)).copied(),
            _ => self.long.get(s).copied(),
        }
    }

    fn insert(&mut self, s: &str, v: u32) {
        let b = s.as_bytes();
        match b.len() {
            1..=SMALL => self.small.insert(small_key(b), v),
            0..=15 => {
                self.mid.insert(pack(b), v);
            }
            _ => {
                self.long.insert(s.into(), v);
            }
        }
    }

    fn len(&self) -> usize {
        self.small.len + self.mid.len() + self.long.len()
    }
}

/// The longest key of a `SmallTable`.
const SMALL: usize = 11;

/// Bytes 0..8, then bytes 8..11 and the length (never 0, so a key is never 0).
fn small_key(b: &[u8]) -> (u64, u32) {
    let n = b.len();
    let (k0, rest) = match b.split_first_chunk::<8>() {
        Some((first, rest)) => (u64::from_le_bytes(*first), rest),
        None => (load_le(b), &[][..]),
    };
    (k0, load_le(rest) as u32 | (n as u32) << 24)
}

/// A word of up to `SMALL` bytes, lower-cased, as the word table keys it. Indexing keys ASCII
/// text's words straight from the text: profiling showed copying and lower-casing every field
/// before tokenizing it, then copying each token and building its key twice (to prefetch, then
/// to look up), as a tenth of indexing.
#[derive(Clone, Copy)]
pub(crate) struct SmallWord((u64, u32));

impl SmallWord {
    /// The key of `word` lower-cased (ASCII letters; other bytes kept), if it is a plain word
    /// short enough (no underscore: snake_case identifiers are indexed whole too).
    pub(crate) fn lowered(word: &[u8]) -> Option<SmallWord> {
        if !(1..=SMALL).contains(&word.len()) {
            return None;
        }
        let (k0, k1) = small_key(word);
        let (k0, k1) = (ascii_lower(k0), ascii_lower(u64::from(k1)));
        (!has_byte(k0, b'_') && !has_byte(k1, b'_')).then_some(SmallWord((k0, k1 as u32)))
    }

    /// The word's bytes (the key holds them: bytes 0..8, then 8..11 and the length).
    fn spelling(self, buf: &mut [u8; 12]) -> &[u8] {
        let (k0, k1) = self.0;
        buf[..8].copy_from_slice(&k0.to_le_bytes());
        buf[8..].copy_from_slice(&k1.to_le_bytes());
        let n = (k1 >> 24) as usize;
        &buf[..n.min(SMALL)]
    }
}

/// Up to 8 bytes as a little-endian number, read with two overlapping loads (profiling showed
/// a stall when the key was copied into a buffer and read back).
fn load_le(b: &[u8]) -> u64 {
    let n = b.len();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return 0;
    };
    if let (Some(lo), Some(hi)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        return u64::from(u32::from_le_bytes(*lo))
            | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4));
    }
    if let (Some(lo), Some(hi)) = (b.first_chunk::<2>(), b.last_chunk::<2>()) {
        return u64::from(u16::from_le_bytes(*lo))
            | u64::from(u16::from_le_bytes(*hi)) << (8 * (n - 2));
    }
    u64::from(*first) | u64::from(*last) << (8 * (n - 1))
}

/// Open addressing with linear probing; a slot is `[bytes 0..8, bytes 8..11 + length + value
/// << 32]`, four to a cache line, so a lookup usually reads one line (a general hash map
/// reads its control bytes, then the key, then follows the key's pointer).
#[derive(Default)]
struct SmallTable {
    slots: Vec<[u64; 2]>,
    len: usize,
}

impl SmallTable {
    fn slot(&self, (k0, k1): (u64, u32)) -> usize {
        let h = (k0 ^ u64::from(k1).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = h ^ (h >> 29);
        (h.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 32) as usize & (self.slots.len() - 1)
    }

    /// Asks for the key's first slot, so that the lookup that follows finds it in the cache:
    /// a batch of words touched one after the other waits for memory once, not once per word.
    fn touch(&self, key: (u64, u32)) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[self.slot(key)]);
        }
    }

    fn get(&self, key: (u64, u32)) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let [s0, s1] = self.slots[i];
            if s1 as u32 == key.1 && s0 == key.0 {
                return Some((s1 >> 32) as u32);
            }
            if s1 as u32 == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Inserts a key that is not in the table.
    fn insert(&mut self, key: (u64, u32), v: u32) {
        if (self.len + 1) * 8 > self.slots.len() * 5 {
            let size = (self.slots.len() * 2).max(1024);
            let old = std::mem::replace(&mut self.slots, vec![[0; 2]; size]);
            for [s0, s1] in old {
                if s1 as u32 != 0 {
                    self.put((s0, s1 as u32), s1);
                }
            }
        }
        self.put(key, u64::from(key.1) | (u64::from(v) << 32));
        self.len += 1;
    }

    fn put(&mut self, key: (u64, u32), s1: u64) {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        while self.slots[i][1] as u32 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = [key.0, s1];
    }
}

/// Asks the CPU for the cache line of `item` without waiting for it. A plain read of the
/// line (`black_box`) did the same, but held up the instructions behind it until memory came.
#[inline]
fn prefetch<T: Copy>(item: &T) {
    // SAFETY: a prefetch is a hint and reads nothing the program sees; SSE, which it needs,
    // is part of every x86_64 processor.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (item as *const T).cast(),
        );
    }
    // Elsewhere, that plain read: the batch still waits for memory once, not once per word.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = std::hint::black_box(*item);
}

/// What a word is indexed as: its term (stem) id, and its alias id if the two differ.
#[derive(Clone, Copy)]
pub(crate) struct WordInfo {
    pub(crate) term: u32,
    pub(crate) alias: u32,
}

impl WordInfo {
    /// A term indexed as it is (no alias).
    pub(crate) fn raw(term: u32) -> WordInfo {
        WordInfo { term, alias: NONE }
    }

    pub(crate) fn alias(self) -> Option<u32> {
        (self.alias != NONE).then_some(self.alias)
    }
}

#[derive(Default)]
pub(crate) struct Words {
    /// Which analyzer the tables were filled with (language, apostrophe rule).
    key: Option<(String, bool)>,
    stemmer: Option<Stemmer>,
    /// Folded word -> its term id, or its alias id | `ALIAS` (one lookup gives what the
    /// common case needs).
    word_ids: StrMap,
    /// Per alias id (a word that differs from its stem): its term id, and the word's global
    /// id once known, else NONE. Every use of the word reads it: 8 bytes an alias, the
    /// spelling apart (as `globals`).
    aliases: Vec<Alias>,
    /// Per alias id: the word, until it has a global id.
    alias_spellings: Vec<Option<Box<str>>>,
    /// Term (stem, snake_case identifier, CJK bigram) -> term id.
    term_ids: StrMap,
    /// Per term id: its global id (NONE until the page that met it ends). Apart from the
    /// spellings: a page's terms are looked up here at random, and 4 bytes a term keep the
    /// table in the cache (with the spelling beside it, 24 bytes, the lookups were 2% of a
    /// 10k build).
    globals: Vec<u32>,
    /// Terms whose global id is still NONE, with their spelling and its hash.
    pending: Vec<(u32, u32, Box<str>)>,
    /// Per term id: its slot in the current page's accumulators, or NONE.
    pub(crate) slot: Vec<u32>,
    /// Per alias id: whether the current page has listed it.
    pub(crate) alias_listed: Vec<bool>,
    stem_buf: String,
}

/// An alias's term id and its own global id (NONE until a page lists it).
#[derive(Clone, Copy)]
struct Alias {
    term: u32,
    global: u32,
}

thread_local! {
    static WORDS: RefCell<Words> = RefCell::new(Words::default());
}

impl Words {
    /// Runs `f` with this thread's tables, reset if they were filled for another analyzer
    /// or have grown too big. Per-page state (`slot`, `alias_listed`) must be clean on return.
    pub(crate) fn with<R>(analyzer: &Analyzer, f: impl FnOnce(&mut Words) -> R) -> R {
        WORDS.with(|cell| {
            let mut words = cell.borrow_mut();
            let fresh = match &words.key {
                Some((lang, join)) => {
                    lang != analyzer.language() || *join != analyzer.join_apostrophe()
                }
                None => true,
            };
            if fresh || words.word_ids.len() > MAX_WORDS {
                *words = Words {
                    key: Some((analyzer.language().to_string(), analyzer.join_apostrophe())),
                    stemmer: analyzer.stemmer(),
                    ..Words::default()
                };
            }
            f(&mut words)
        })
    }

    /// The id of a term indexed as it is (no stemming).
    pub(crate) fn term(&mut self, term: &str) -> u32 {
        if let Some(id) = self.term_ids.get(term) {
            return id;
        }
        let id = self.globals.len() as u32;
        self.globals.push(NONE);
        self.pending.push((id, hash(term), term.into()));
        self.term_ids.insert(term, id);
        self.slot.push(NONE);
        id
    }

    fn known(&self, v: u32) -> WordInfo {
        if v & ALIAS == 0 {
            WordInfo::raw(v)
        } else {
            let alias = v & !ALIAS;
            WordInfo {
                term: self.aliases[alias as usize].term,
                alias,
            }
        }
    }

    /// What a short word, keyed, is indexed as (see [`Words::word`]).
    pub(crate) fn small_word(&mut self, word: SmallWord) -> WordInfo {
        if let Some(v) = self.word_ids.small.get(word.0) {
            return self.known(v);
        }
        let mut buf = [0u8; 12];
        // The key's bytes are those of a `str` with ASCII capitals lower-cased: still UTF-8.
        let spelling = String::from_utf8_lossy(word.spelling(&mut buf)).into_owned();
        self.word(&spelling)
    }

    /// Brings the table slot of a short word into the cache (see `SmallTable::touch`).
    pub(crate) fn touch_small(&self, word: SmallWord) {
        self.word_ids.small.touch(word.0);
    }

    /// What a folded word is indexed as; its term is its stem.
    pub(crate) fn word(&mut self, word: &str) -> WordInfo {
        if let Some(v) = self.word_ids.get(word) {
            return self.known(v);
        }
        let mut stem = std::mem::take(&mut self.stem_buf);
        stem_with(self.stemmer.as_ref(), word, &mut stem);
        let term = self.term(&stem);
        let info = if *stem != *word {
            self.aliases.push(Alias { term, global: NONE });
            self.alias_spellings.push(Some(word.into()));
            self.alias_listed.push(false);
            let alias = (self.aliases.len() - 1) as u32;
            self.word_ids.insert(word, alias | ALIAS);
            WordInfo { term, alias }
        } else {
            self.word_ids.insert(word, term);
            WordInfo::raw(term)
        };
        self.stem_buf = stem;
        info
    }

    /// Brings the page marks of a word's term (and alias) into the cache.
    pub(crate) fn touch_marks(&self, info: WordInfo) {
        if let Some(slot) = self.slot.get(info.term as usize) {
            prefetch(slot);
        }
        if let Some(alias) = info.alias() {
            prefetch(&self.alias_listed[alias as usize]);
        }
    }

    /// Gives global ids to the terms met since the last call and to `aliases`, under one
    /// lock (per page, not per word: the two threads no longer queue for it word by word).
    pub(crate) fn resolve(&mut self, aliases: &[u32]) {
        // Hashed before the lock: the other thread waits for as little as can be.
        let alias_spellings: Vec<(u32, u32, Box<str>)> = aliases
            .iter()
            .filter_map(|&a| {
                let spelling = self.alias_spellings[a as usize].take()?;
                Some((a, hash(&spelling), spelling))
            })
            .collect();
        if self.pending.is_empty() && alias_spellings.is_empty() {
            return;
        }
        let mut g = global().lock().unwrap_or_else(|e| e.into_inner());
        for (t, h, spelling) in self.pending.drain(..) {
            self.globals[t as usize] = g.id_hashed(&spelling, h);
        }
        for (a, h, spelling) in alias_spellings {
            self.aliases[a as usize].global = g.id_hashed(&spelling, h);
        }
    }

    /// An alias's (global id of the word, global id of its stem), after `resolve`.
    pub(crate) fn alias_globals(&self, alias: u32) -> (u32, u32) {
        let alias = &self.aliases[alias as usize];
        (alias.global, self.globals[alias.term as usize])
    }

    /// A term's global id, after `resolve`.
    pub(crate) fn term_global(&self, term: u32) -> u32 {
        self.globals[term as usize]
    }
}

pub(crate) const NO_SLOT: u32 = NONE;

#[cfg(test)]
mod tests {
    use super::{Global, SMALL, SmallWord, small_key};

    #[test]
    fn small_words_are_keyed_as_their_lower_case() {
        // Every byte value at every position: a key lowers exactly the ASCII capitals, spells
        // back the lowered word, and is refused for snake_case and for words too long.
        for len in 1..=SMALL {
            for b in 0..=255u8 {
                for at in 0..len {
                    let mut word = vec![b'Q'; len];
                    word[at] = b;
                    let lowered = word.to_ascii_lowercase();
                    let key = SmallWord::lowered(&word);
                    if b == b'_' {
                        assert!(key.is_none(), "{word:?}");
                        continue;
                    }
                    let key = key.expect("a short plain word");
                    assert_eq!(key.0, small_key(&lowered), "{word:?}");
                    assert_eq!(key.spelling(&mut [0; 12]), &lowered[..], "{word:?}");
                }
            }
        }
        assert!(SmallWord::lowered(b"").is_none());
        assert!(SmallWord::lowered(b"twelve-bytes").is_none());
    }

    #[test]
    fn global_ids_survive_the_table_growing() {
        // Growing the table rehashes from the kept hashes alone; each spelling must still
        // find its first id, and a new one the next id.
        let mut global = Global {
            text: String::new(),
            ends: Vec::new(),
            table: hashbrown::HashTable::new(),
        };
        let spellings: Vec<String> = (0..5000).map(|n| format!("w{n}")).collect();
        for (id, s) in spellings.iter().enumerate() {
            assert_eq!(global.id(s) as usize, id);
        }
        for (id, s) in spellings.iter().enumerate().rev() {
            assert_eq!(global.id(s) as usize, id, "{s}");
        }
        assert_eq!(global.id("new") as usize, spellings.len());
    }
}
