//! Text analysis: folding (case, diacritics), tokenizing (words, snake_case
//! identifiers, CJK bigrams) and stemming (Snowball via rust-stemmers).
//!
//! The browser client (search.js) mirrors `fold` and `tokenize` exactly, so
//! the rules here are deliberately simple character classes rather than
//! UAX #29 word boundaries (which `Intl.Segmenter` implements differently
//! across browsers).

use super::swar::{bytes_in, top_bits, with_bit};
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Longest token indexed, in bytes (longer runs are base64 blobs, hashes, ...).
pub(crate) const MAX_TOKEN_BYTES: usize = 64;

/// The language-dependent part of indexing: which stemmer, and how
/// apostrophes inside words are treated.
#[derive(Clone, Debug)]
pub struct Analyzer {
    lang: String,
    algorithm: Option<Algorithm>,
    /// `true`: "don't" -> "dont" (English); `false`: "l'homme" -> "l", "homme".
    join_apostrophe: bool,
}

fn algorithm_for(code: &str) -> Option<(Algorithm, &'static str)> {
    use Algorithm::*;
    Some(match code {
        "ar" => (Arabic, "ar"),
        "da" => (Danish, "da"),
        "nl" => (Dutch, "nl"),
        "en" => (English, "en"),
        "fi" => (Finnish, "fi"),
        "fr" => (French, "fr"),
        "de" => (German, "de"),
        "el" => (Greek, "el"),
        "hu" => (Hungarian, "hu"),
        "it" => (Italian, "it"),
        "no" | "nb" | "nn" => (Norwegian, "no"),
        "pt" => (Portuguese, "pt"),
        "ro" => (Romanian, "ro"),
        "ru" => (Russian, "ru"),
        "es" => (Spanish, "es"),
        "sv" => (Swedish, "sv"),
        "ta" => (Tamil, "ta"),
        "tr" => (Turkish, "tr"),
        _ => return None,
    })
}

/// Languages written without spaces whose text the CJK bigram rule covers;
/// no warning for them even though no stemmer applies.
fn is_cjk_language(code: &str) -> bool {
    matches!(code, "zh" | "ja" | "ko")
}

impl Analyzer {
    /// Picks the Snowball stemmer for a BCP 47 language tag ("en", "fr-CA",
    /// "de_DE"; empty means English). Unknown languages are indexed unstemmed
    /// and a warning is returned for the caller to log.
    pub fn for_language(lang: &str) -> (Analyzer, Option<String>) {
        let tag = lang.trim();
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let primary = if primary.is_empty() {
            "en".to_string()
        } else {
            primary
        };
        match algorithm_for(&primary) {
            Some((alg, code)) => (
                Analyzer {
                    lang: code.to_string(),
                    algorithm: Some(alg),
                    join_apostrophe: code == "en",
                },
                None,
            ),
            None => {
                let warning = if is_cjk_language(&primary) {
                    None
                } else {
                    Some(format!(
                        "search: no stemmer for language {tag:?}; words are indexed unstemmed"
                    ))
                };
                (
                    Analyzer {
                        lang: primary,
                        algorithm: None,
                        join_apostrophe: false,
                    },
                    warning,
                )
            }
        }
    }

    /// The normalised language code (e.g. "fr" for "fr-CA").
    pub fn language(&self) -> &str {
        &self.lang
    }

    /// Whether a stemmer is applied.
    pub fn stems(&self) -> bool {
        self.algorithm.is_some()
    }

    pub(crate) fn join_apostrophe(&self) -> bool {
        self.join_apostrophe
    }

    /// The Snowball stemmer, if the language has one (cheap to create: a function pointer).
    pub(crate) fn stemmer(&self) -> Option<Stemmer> {
        self.algorithm.map(Stemmer::create)
    }

    /// Stems one folded word (only purely alphabetic words are stemmed).
    pub(crate) fn stem_into(&self, word: &str, out: &mut String) {
        stem_with(self.stemmer().as_ref(), word, out);
    }

    /// Folds and tokenizes `text`, then stems: the terms a query or a field
    /// would produce (public for tests and tools).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut folded = String::new();
        fold_into(text, &mut folded);
        let mut buf = String::new();
        tokenize(&folded, self.join_apostrophe, &mut |tok| match tok {
            Token::Word(w) => {
                if w.contains('_') {
                    out.push(w.to_string());
                    for part in w.split('_').filter(|p| !p.is_empty()) {
                        self.stem_into(part, &mut buf);
                        out.push(buf.clone());
                    }
                } else {
                    self.stem_into(w, &mut buf);
                    out.push(buf.clone());
                }
            }
            Token::Cjk(c) => out.push(c.to_string()),
            Token::CjkTail(_) => {}
        });
        out
    }
}

/// Stems one folded word with the analyzer's stemmer (`Analyzer::stemmer`): only purely
/// alphabetic words are stemmed. Indexing stems each word once per thread (`words::Words`
/// keeps the result), so there is no cache here.
pub(crate) fn stem_with(stemmer: Option<&Stemmer>, word: &str, out: &mut String) {
    out.clear();
    match stemmer {
        Some(st) if word.chars().all(char::is_alphabetic) => {
            let s = st.stem(word);
            out.push_str(if s.is_empty() { word } else { &s });
        }
        _ => out.push_str(word),
    }
}

/// Han, Hiragana, Katakana, Hangul (and their compatibility / extension blocks).
pub(crate) fn is_cjk(c: char) -> bool {
    (c as u32) >= 0x1100
        && matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B
        | 0x3040..=0x30FF | 0x3130..=0x318F | 0x31A0..=0x31BF | 0x31F0..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F
        | 0x20000..=0x3FFFF)
}

/// Combining diacritical marks that folding removes (accents on Latin, Greek
/// and Cyrillic letters). Other combining marks (Indic vowel signs, kana voicing
/// marks) carry meaning and are kept.
fn is_dropped_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Lower-cases, maps full-width ASCII to ASCII, decomposes (NFD) and drops
/// accents. CJK characters are kept as they are (NFD would split Hangul
/// syllables into jamo and kana into base + voicing mark).
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    out.reserve(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if is_cjk(c) {
            out.push(c);
            continue;
        }
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        for l in c.to_lowercase() {
            decompose_canonical(l, |d| {
                if !is_dropped_mark(d) {
                    out.push(d);
                }
            });
        }
    }
}

/// A token of folded text.
pub(crate) enum Token<'a> {
    /// A run of letters, digits, kept marks and underscores (snake_case whole).
    Word(&'a str),
    /// A CJK bigram, or a single CJK character when its run has length 1.
    Cjk(&'a str),
    /// The last character of a longer CJK run, alone: indexed, so that it can be found by
    /// itself (`库` in `数据库`; a lone character finds the bigrams it starts, not those it
    /// ends), and never part of a query, whose words must all match.
    CjkTail(&'a str),
}

fn is_word_char(c: char) -> bool {
    // Most text is ASCII: skip the Unicode tables for it.
    if c.is_ascii() {
        return ASCII_CLASS[c as usize] != SEPARATOR;
    }
    c.is_alphanumeric() || (is_combining_mark(c) && !is_dropped_mark(c))
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Splits folded text into tokens. With `join_apostrophe`, an apostrophe
/// between two word characters is removed ("don't" -> "dont"); otherwise it
/// separates words. Underscores at the ends of a word are trimmed.
///
/// ASCII text is scanned eight bytes at a time (`tokenize_ascii`); other text a character at
/// a time, ASCII characters by a table and others through the Unicode tables.
pub(crate) fn tokenize<F: FnMut(Token<'_>)>(text: &str, join_apostrophe: bool, f: &mut F) {
    if text.is_ascii() {
        tokenize_ascii(text, join_apostrophe, f);
    } else {
        tokenize_chars(text, join_apostrophe, f);
    }
}

fn tokenize_chars<F: FnMut(Token<'_>)>(text: &str, join_apostrophe: bool, f: &mut F) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut scratch = String::new();
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if ASCII_CLASS[b as usize] == SEPARATOR {
                i += 1;
                continue;
            }
        } else {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            if is_cjk(c) {
                i = cjk_run(text, i, f);
                continue;
            }
            if !is_word_char(c) {
                i += c.len_utf8();
                continue;
            }
        }
        // A word: word chars, possibly joined by apostrophes.
        let start = i;
        let mut j = i;
        let mut has_apos = false;
        let mut has_underscore = false;
        while j < bytes.len() {
            let b = bytes[j];
            if b < 0x80 {
                match ASCII_CLASS[b as usize] {
                    ALNUM => {
                        j += 1;
                        continue;
                    }
                    UNDERSCORE => {
                        has_underscore = true;
                        j += 1;
                        continue;
                    }
                    _ => {}
                }
                if b == b'\'' && join_apostrophe && word_char_at(text, j + 1) {
                    has_apos = true;
                    j += 1;
                    continue;
                }
                break;
            }
            let Some(d) = text[j..].chars().next() else {
                break;
            };
            let dl = d.len_utf8();
            if is_word_char(d) && !is_cjk(d) {
                j += dl;
            } else if join_apostrophe && is_apostrophe(d) && word_char_at(text, j + dl) {
                has_apos = true;
                j += dl;
            } else {
                break;
            }
        }
        i = j;
        emit_word(&text[start..j], has_apos, has_underscore, &mut scratch, f);
    }
}

/// Emits a word as the text has it: with `apostrophes`, its joining apostrophes dropped; with
/// `underscores`, underscores trimmed at its ends; unless that leaves it empty or too long.
fn emit_word<F: FnMut(Token<'_>)>(
    raw: &str,
    apostrophes: bool,
    underscores: bool,
    scratch: &mut String,
    f: &mut F,
) {
    let mut word = raw;
    if apostrophes {
        scratch.clear();
        scratch.extend(raw.chars().filter(|c| !is_apostrophe(*c)));
        word = scratch;
    }
    if underscores {
        word = word.trim_matches('_');
    }
    if !word.is_empty() && word.len() <= MAX_TOKEN_BYTES {
        f(Token::Word(word));
    }
}

/// `tokenize` for ASCII text: its bytes classified eight at a time into bit masks (64 bytes a
/// mask), and words read off the masks' edges. Profiling showed the byte-by-byte scan (a table
/// lookup and a branch a byte, and a mispredicted branch at each word's end) as a fifth of
/// indexing's instructions.
fn tokenize_ascii<F: FnMut(Token<'_>)>(text: &str, join_apostrophe: bool, f: &mut F) {
    let bytes = text.as_bytes();
    let block = |k: usize| ByteMasks::of(bytes.get(k * 64..).unwrap_or_default());
    let mut scratch = String::new();
    let (mut cur, mut next) = (block(0), block(1));
    // Bit 0: the previous block's last byte is a word character; is inside a word.
    let (mut word_before, mut inside_before) = (0u64, 0u64);
    // Where the running word starts, and whether an earlier block saw an apostrophe or an
    // underscore in it.
    let (mut start, mut special_before) = (0usize, false);
    for k in 0..bytes.len().div_ceil(64) {
        let base = k * 64;
        // An apostrophe between two word characters joins them.
        let joined = if join_apostrophe {
            cur.apostrophe & (cur.word << 1 | word_before) & (cur.word >> 1 | next.word << 63)
        } else {
            0
        };
        let inside = cur.word | joined;
        let special = joined | cur.underscore;
        let mut edges = inside ^ (inside << 1 | inside_before);
        while edges != 0 {
            let bit = edges.trailing_zeros() as usize;
            edges &= edges - 1;
            if inside >> bit & 1 == 1 {
                (start, special_before) = (base + bit, false);
            } else {
                let since_start =
                    (1u64 << bit).wrapping_sub(1) & !0u64 << start.saturating_sub(base);
                let special = special_before || special & since_start != 0;
                emit_ascii_word(&text[start..base + bit], special, &mut scratch, f);
            }
        }
        if inside >> 63 == 1 {
            special_before |= special & !0u64 << start.saturating_sub(base) != 0;
        }
        (word_before, inside_before) = (cur.word >> 63, inside >> 63);
        (cur, next) = (next, block(k + 2));
    }
    if inside_before == 1 {
        emit_ascii_word(&text[start..], special_before, &mut scratch, f);
    }
}

/// Emits a word `tokenize_ascii` found; `special`: it has joining apostrophes or underscores.
fn emit_ascii_word<F: FnMut(Token<'_>)>(raw: &str, special: bool, scratch: &mut String, f: &mut F) {
    emit_word(raw, special && raw.contains('\''), special, scratch, f);
}

/// Up to 64 ASCII bytes as bit masks, bit `i` for byte `i`.
#[derive(Default)]
struct ByteMasks {
    /// Letters, digits and underscores.
    word: u64,
    apostrophe: u64,
    underscore: u64,
}

impl ByteMasks {
    fn of(block: &[u8]) -> ByteMasks {
        let mut masks = ByteMasks::default();
        for (i, chunk) in block.chunks(8).take(8).enumerate() {
            let mut eight = [0u8; 8];
            eight[..chunk.len()].copy_from_slice(chunk);
            let x = u64::from_le_bytes(eight);
            let letter = bytes_in(with_bit(x, 0x20), b'a', b'z');
            let underscore = bytes_in(x, b'_', b'_');
            let word = letter | bytes_in(x, b'0', b'9') | underscore;
            masks.word |= top_bits(word) << (8 * i);
            masks.underscore |= top_bits(underscore) << (8 * i);
            masks.apostrophe |= top_bits(bytes_in(x, b'\'', b'\'')) << (8 * i);
        }
        masks
    }
}

const SEPARATOR: u8 = 0;
const ALNUM: u8 = 1;
const UNDERSCORE: u8 = 2;

/// What each ASCII byte is to `tokenize`: one load instead of the range tests of
/// `is_ascii_alphanumeric` (this scan is about a sixth of indexing's time).
const ASCII_CLASS: [u8; 128] = {
    let mut class = [SEPARATOR; 128];
    let mut b = 0;
    while b < 128 {
        if (b as u8).is_ascii_alphanumeric() {
            class[b] = ALNUM;
        }
        b += 1;
    }
    class[b'_' as usize] = UNDERSCORE;
    class
};

/// Whether a (non-CJK) word character starts at byte `at` of `text`.
fn word_char_at(text: &str, at: usize) -> bool {
    match text.get(at..).and_then(|t| t.chars().next()) {
        Some(n) => is_word_char(n) && !is_cjk(n),
        None => false,
    }
}

/// Emits the bigrams of the CJK run starting at byte `i` (the character alone when the run
/// has one); returns where the run ends.
fn cjk_run<F: FnMut(Token<'_>)>(text: &str, i: usize, f: &mut F) -> usize {
    let mut prev: Option<usize> = None; // start of the previous character
    let mut count = 0;
    let mut j = i;
    while j < text.len() {
        let Some(d) = text[j..].chars().next() else {
            break;
        };
        if !is_cjk(d) {
            break;
        }
        let dl = d.len_utf8();
        if let Some(ps) = prev {
            f(Token::Cjk(&text[ps..j + dl]));
        }
        prev = Some(j);
        count += 1;
        j += dl;
    }
    match (count, prev) {
        (1, _) => f(Token::Cjk(&text[i..j])),
        (_, Some(last)) => f(Token::CjkTail(&text[last..j])),
        _ => {}
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str, join: bool) -> Vec<String> {
        let mut folded = String::new();
        fold_into(s, &mut folded);
        let mut v = Vec::new();
        tokenize(&folded, join, &mut |t| match t {
            Token::Word(w) => v.push(w.to_string()),
            Token::Cjk(c) => v.push(format!("cjk:{c}")),
            Token::CjkTail(c) => v.push(format!("tail:{c}")),
        });
        v
    }

    #[test]
    fn ascii_text_tokenizes_as_character_by_character() {
        // Random ASCII over the bytes that matter (letters of both cases, digits, underscores,
        // apostrophes, separators), of lengths around the 64-byte blocks, both apostrophe rules.
        let alphabet = b"aZq09_'' .-\n\t/x";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..3000 {
            let len = n % 200;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from(alphabet[(seed % alphabet.len() as u64) as usize])
                })
                .collect();
            for join in [true, false] {
                let mut fast = Vec::new();
                tokenize_ascii(&text, join, &mut |t| fast.push(token_string(t)));
                let mut slow = Vec::new();
                tokenize_chars(&text, join, &mut |t| slow.push(token_string(t)));
                assert_eq!(fast, slow, "{text:?} join={join}");
            }
        }
        let long = "w".repeat(64);
        assert_eq!(
            toks(&format!("{long} {long}x a"), true),
            [long.as_str(), "a"]
        );
    }

    fn token_string(t: Token<'_>) -> String {
        match t {
            Token::Word(w) => w.to_string(),
            Token::Cjk(c) => format!("cjk:{c}"),
            Token::CjkTail(c) => format!("tail:{c}"),
        }
    }

    #[test]
    fn folds_case_and_diacritics() {
        assert_eq!(
            toks("Crème BRÛLÉE, naïve café!", true),
            ["creme", "brulee", "naive", "cafe"]
        );
        assert_eq!(toks("ＡＢＣ１２", true), ["abc12"]);
        assert_eq!(toks("Ærø Straße", true), ["ærø", "straße"]);
    }

    #[test]
    fn punctuation_and_apostrophes() {
        assert_eq!(
            toks("don't stop—now; (really?) x.y a/b", true),
            ["dont", "stop", "now", "really", "x", "y", "a", "b"]
        );
        assert_eq!(toks("l'homme", false), ["l", "homme"]);
        assert_eq!(toks("'quoted'", true), ["quoted"]);
    }

    #[test]
    fn snake_case_kept_whole_and_split() {
        let (a, _) = Analyzer::for_language("en");
        assert_eq!(
            a.terms("parse_config_files()"),
            ["parse_config_files", "pars", "config", "file"]
        );
        assert_eq!(a.terms("__init__"), ["init"]);
    }

    #[test]
    fn cjk_bigrams() {
        assert_eq!(
            toks("東京都に行く", true),
            [
                "cjk:東京",
                "cjk:京都",
                "cjk:都に",
                "cjk:に行",
                "cjk:行く",
                "tail:く"
            ]
        );
        assert_eq!(toks("a東b", true), ["a", "cjk:東", "b"]);
        assert_eq!(
            toks("한국어 검색", true),
            ["cjk:한국", "cjk:국어", "tail:어", "cjk:검색", "tail:색"]
        );
        // kana voicing marks survive folding
        assert_eq!(toks("が", true), ["cjk:が"]);
    }

    #[test]
    fn stemming_english_and_german() {
        let (en, w) = Analyzer::for_language("en-US");
        assert!(w.is_none());
        assert_eq!(
            en.terms("Running migrations decided"),
            ["run", "migrat", "decid"]
        );
        let (de, _) = Analyzer::for_language("de");
        assert_eq!(
            de.terms("Häuser Entscheidungen"),
            de.terms("hauser entscheidung")
        );
        assert_eq!(de.terms("Entscheidungen"), ["entscheid"]);
        let (fr, w) = Analyzer::for_language("fr-CA");
        assert!(w.is_none());
        assert_eq!(fr.language(), "fr");
        assert_eq!(fr.terms("décisions"), fr.terms("decision"));
    }

    #[test]
    fn unknown_language_warns_and_does_not_stem() {
        let (a, w) = Analyzer::for_language("xx");
        assert!(w.is_some());
        assert!(!a.stems());
        assert_eq!(a.terms("Running"), ["running"]);
        let (_, w) = Analyzer::for_language("ja");
        assert!(w.is_none());
        let (a, _) = Analyzer::for_language("");
        assert_eq!(a.language(), "en");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let (a, _) = Analyzer::for_language("en");
        for s in [
            "",
            "\u{0301}",
            "_",
            "'''",
            "a\u{0}b",
            "\u{10FFFF}",
            "𠀀𠀁",
            &"x".repeat(500),
        ] {
            let _ = a.terms(s);
        }
        assert!(a.terms(&"x".repeat(500)).is_empty());
    }
}
