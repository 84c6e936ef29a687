//! Per-thread tables of the words and terms indexing has met, kept from page to page.
//!
//! Profiling `index_page` on the 10,000-page corpus showed most of its time in per-page hash
//! maps keyed by fresh `String`s (allocation, hashing, `memcmp`, dropping) and in stemming
//! lookups. Pages share most of their vocabulary, so each thread interns words once: a word
//! seen before costs one hash lookup and no allocation, and a page accumulates by dense ids.
//! Ids never leave the thread; pages still come out as strings, so the index does not depend
//! on which thread saw which page first.

use super::Analyzer;
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};

/// Ids shared by all threads for every term and alias word of the process. With them
/// `write_index` gathers postings by array index: profiling showed its string-keyed merge
/// of ~5 million (term, page) entries as the largest part of writing the index. An id is a
/// name only; output depends on the strings, so which thread came first changes no byte.
/// The table only grows (`lore serve` meets few new words), and ids stay valid for cached pages.
struct Global {
    ids: HashMap<Arc<str>, u32>,
    spellings: Vec<Arc<str>>,
}

fn global() -> &'static Mutex<Global> {
    static GLOBAL: OnceLock<Mutex<Global>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        Mutex::new(Global {
            ids: HashMap::default(),
            spellings: Vec::new(),
        })
    })
}

/// The process-wide id of a string (see `Global`). Threads ask only for strings new to them.
pub(crate) fn global_id(s: &str) -> u32 {
    let mut g = global().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = g.ids.get(s) {
        return id;
    }
    let id = g.spellings.len() as u32;
    let s: Arc<str> = s.into();
    g.spellings.push(s.clone());
    g.ids.insert(s, id);
    id
}

/// Runs `f` with the strings of all global ids, indexed by id.
pub(crate) fn spellings<R>(f: impl FnOnce(&[Arc<str>]) -> R) -> R {
    let g = global().lock().unwrap_or_else(|e| e.into_inner());
    f(&g.spellings)
}

/// Past this many words a thread starts afresh (bounds memory in a long `lore serve`).
const MAX_WORDS: usize = 1 << 20;
const NONE: u32 = u32::MAX;

#[derive(Default)]
pub(crate) struct Words {
    /// Which analyzer the tables were filled with (language, apostrophe rule).
    key: Option<(String, bool)>,
    /// Folded word -> word id.
    word_ids: HashMap<Box<str>, u32>,
    /// Per word id: the word, the id of the term it is indexed under (its stem), whether the
    /// two differ (an alias), and the word's global id once it is needed (aliases), else NONE.
    words: Vec<(Box<str>, u32, bool, u32)>,
    /// Term (stem, snake_case identifier, CJK bigram) -> term id.
    term_ids: HashMap<Box<str>, u32>,
    /// Per term id: the term and its global id.
    terms: Vec<(Box<str>, u32)>,
    /// Per term id: its slot in the current page's accumulators, or NONE.
    pub(crate) slot: Vec<u32>,
    /// Per word id: whether the current page has listed it as an alias.
    pub(crate) alias_listed: Vec<bool>,
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
            let key = (analyzer.language().to_string(), analyzer.join_apostrophe());
            if words.key.as_ref() != Some(&key) || words.words.len() > MAX_WORDS {
                *words = Words {
                    key: Some(key),
                    ..Words::default()
                };
            }
            f(&mut words)
        })
    }

    /// The id of a term indexed as it is (no stemming).
    pub(crate) fn term(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.term_ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push((term.into(), global_id(term)));
        self.term_ids.insert(term.into(), id);
        self.slot.push(NONE);
        id
    }

    /// The id of a folded word; its term is its stem.
    pub(crate) fn word(&mut self, word: &str, analyzer: &Analyzer, stem_buf: &mut String) -> u32 {
        if let Some(&id) = self.word_ids.get(word) {
            return id;
        }
        analyzer.stem_into(word, stem_buf);
        let term = self.term(stem_buf);
        let id = self.words.len() as u32;
        let alias = **stem_buf != *word;
        self.words.push((word.into(), term, alias, NONE));
        self.word_ids.insert(word.into(), id);
        self.alias_listed.push(false);
        id
    }

    /// The term a word is indexed under.
    pub(crate) fn term_of(&self, word: u32) -> u32 {
        self.words[word as usize].1
    }

    /// A word that differs from its term is an alias (the client maps typed words to stems).
    pub(crate) fn is_alias(&self, word: u32) -> bool {
        self.words[word as usize].2
    }

    pub(crate) fn word_str(&self, word: u32) -> &str {
        &self.words[word as usize].0
    }

    /// The global id of a word (interned on first use).
    pub(crate) fn word_global(&mut self, word: u32) -> u32 {
        let entry = &mut self.words[word as usize];
        if entry.3 == NONE {
            entry.3 = global_id(&entry.0);
        }
        entry.3
    }

    pub(crate) fn term_str(&self, term: u32) -> &str {
        &self.terms[term as usize].0
    }

    pub(crate) fn term_global(&self, term: u32) -> u32 {
        self.terms[term as usize].1
    }
}

pub(crate) const NO_SLOT: u32 = NONE;
