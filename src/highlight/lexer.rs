//! One table-driven lexer for the common languages that `hl-lite` has no lexer of its own for
//! (SQL, Go, Java, the C family, …), plus a line-based one for diffs.
//!
//! Like `hl-lite` it is lexical, not a parser: comments, strings, numbers, keywords, type and
//! function names, annotations, variables. That is the fidelity of highlight.js, at about a
//! hundred times syntect's speed, which is what a build of thousands of code blocks needs.

use super::Class;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// What a language looks like to the lexer.
pub(super) struct Spec {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    /// String delimiters with backslash escapes; an unclosed string ends at the line's end.
    quotes: &'static [u8],
    /// String delimiters without escapes that may span lines (Go's backquotes).
    raw_quotes: &'static [u8],
    /// `"""…"""` strings (Kotlin, Swift, Scala, Java text blocks).
    triple_quotes: bool,
    /// Space-separated word lists.
    keywords: &'static str,
    types: &'static str,
    constants: &'static str,
    /// Keywords match in any case (SQL); the lists are written in lower case.
    ignore_case: bool,
    /// A capitalised identifier is a type name (Java, Kotlin, C#, …).
    capitalised_types: bool,
    /// `@name` is an annotation or attribute.
    annotations: bool,
    /// `#…` at the start of a line is a preprocessor line (C, C++, C#).
    preprocessor: bool,
    /// Characters that make the identifier after them a variable (`$x` in PHP, `@x` in Ruby).
    sigils: &'static [u8],
    /// An identifier followed by one of these (not doubled) is a key (`name = …` in HCL).
    key_separators: &'static [u8],
}

/// A [`Spec`] and its words, looked up by identifier and built from its lists on first use.
pub(super) struct Lexer {
    spec: Spec,
    words: OnceLock<FxHashMap<&'static str, Class>>,
}

impl Spec {
    const fn new() -> Self {
        Spec {
            line_comments: &["//"],
            block_comment: Some(("/*", "*/")),
            quotes: b"\"'",
            raw_quotes: b"",
            triple_quotes: false,
            keywords: "",
            types: "",
            constants: "true false null",
            ignore_case: false,
            capitalised_types: false,
            annotations: false,
            preprocessor: false,
            sigils: b"",
            key_separators: b"",
        }
    }
}

impl Lexer {
    const fn new(spec: Spec) -> Self {
        Lexer {
            spec,
            words: OnceLock::new(),
        }
    }

    fn words(&self) -> &FxHashMap<&'static str, Class> {
        self.words.get_or_init(|| {
            let mut words = FxHashMap::default();
            // Later lists win: a word that is both a keyword and a constant is a constant.
            for (list, class) in [
                (self.spec.types, Class::Type),
                (self.spec.keywords, Class::Keyword),
                (self.spec.constants, Class::Constant),
            ] {
                for word in list.split_ascii_whitespace() {
                    words.insert(word, class);
                }
            }
            words
        })
    }

    fn class_of(&self, word: &str) -> Option<Class> {
        let words = self.words();
        if self.spec.ignore_case && word.bytes().any(|b| b.is_ascii_uppercase()) {
            // Keywords are short; longer words cannot be one.
            if word.len() > 32 {
                return None;
            }
            let mut buf = [0u8; 32];
            let lower = &mut buf[..word.len()];
            lower.copy_from_slice(word.as_bytes());
            lower.make_ascii_lowercase();
            return std::str::from_utf8(lower)
                .ok()
                .and_then(|w| words.get(w).copied());
        }
        words.get(word).copied()
    }
}

/// The spec for a fence language, by name or alias (lower case).
pub(super) fn lexer_for(lang: &str) -> Option<&'static Lexer> {
    let lexer = match lang {
        "sql" | "pgsql" | "postgres" | "postgresql" | "mysql" | "sqlite" | "plsql" | "tsql" => &SQL,
        "go" | "golang" => &GO,
        "java" => &JAVA,
        "kotlin" | "kt" | "kts" => &KOTLIN,
        "scala" | "sc" => &SCALA,
        "groovy" | "gradle" => &GROOVY,
        "swift" => &SWIFT,
        "c" | "h" => &C,
        "cpp" | "c++" | "cxx" | "cc" | "hpp" | "hxx" => &CPP,
        "csharp" | "c#" | "cs" => &CSHARP,
        "php" => &PHP,
        "ruby" | "rb" => &RUBY,
        "lua" => &LUA,
        "protobuf" | "proto" | "proto3" => &PROTO,
        "hcl" | "terraform" | "tf" | "tfvars" => &HCL,
        "dart" => &DART,
        "graphql" | "gql" => &GRAPHQL,
        "powershell" | "ps1" | "pwsh" => &POWERSHELL,
        _ => return None,
    };
    Some(lexer)
}

/// Spans of `src` as `(end, class)`, each starting where the one before ended.
pub(super) type Marks = Vec<(usize, Option<Class>)>;

/// Collects classified ranges; the gaps between them are plain text.
struct Out {
    marks: Marks,
    pos: usize,
}

impl Out {
    fn push(&mut self, start: usize, end: usize, class: Class) {
        if start > self.pos {
            self.mark(start, None);
        }
        self.mark(end, Some(class));
    }

    fn mark(&mut self, end: usize, class: Option<Class>) {
        if end <= self.pos {
            return;
        }
        match self.marks.last_mut() {
            Some((last, c)) if *c == class => *last = end,
            _ => self.marks.push((end, class)),
        }
        self.pos = end;
    }

    fn finish(mut self, len: usize) -> Marks {
        self.mark(len, None);
        self.marks
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    i
}

fn line_end(b: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&b[from..], needle).map(|n| from + n)
}

/// End of a quoted string opened at `i`: after the closing quote, or the line's end.
fn quoted_end(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let c = b[i];
        let digit_after = || b.get(i + 1).is_some_and(u8::is_ascii_digit);
        let part = c.is_ascii_alphanumeric()
            || c == b'_'
            || (c == b'.' && digit_after())
            || ((c == b'+' || c == b'-') && matches!(b[i - 1], b'e' | b'E'));
        if !part {
            break;
        }
        i += 1;
    }
    i
}

/// True when only spaces or tabs come before `i` on its line.
fn at_line_start(b: &[u8], i: usize) -> bool {
    b[..i]
        .iter()
        .rev()
        .take_while(|&&c| c != b'\n')
        .all(|&c| c == b' ' || c == b'\t')
}

/// Lexes `src` as `spec` describes.
pub(super) fn lex(lexer: &Lexer, src: &str) -> Marks {
    let spec = &lexer.spec;
    let b = src.as_bytes();
    let mut out = Out {
        marks: Vec::new(),
        pos: 0,
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let rest = &b[i..];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if let Some((open, close)) = spec.block_comment
            && rest.starts_with(open.as_bytes())
        {
            let end =
                find(b, i + open.len(), close.as_bytes()).map_or(b.len(), |e| e + close.len());
            out.push(i, end, Class::Comment);
            i = end;
            continue;
        }
        if spec
            .line_comments
            .iter()
            .any(|p| rest.starts_with(p.as_bytes()))
        {
            let end = line_end(b, i);
            out.push(i, end, Class::Comment);
            i = end;
            continue;
        }
        if spec.preprocessor && c == b'#' && at_line_start(b, i) {
            let end = line_end(b, i);
            out.push(i, end, Class::Attribute);
            i = end;
            continue;
        }
        if spec.triple_quotes && rest.starts_with(b"\"\"\"") {
            let end = find(b, i + 3, b"\"\"\"").map_or(b.len(), |e| e + 3);
            out.push(i, end, Class::String);
            i = end;
            continue;
        }
        if spec.quotes.contains(&c) {
            let end = quoted_end(b, i);
            out.push(i, end, Class::String);
            i = end;
            continue;
        }
        if spec.raw_quotes.contains(&c) {
            let end = memchr::memchr(c, &b[i + 1..]).map_or(b.len(), |e| i + 1 + e + 1);
            out.push(i, end, Class::String);
            i = end;
            continue;
        }
        if c.is_ascii_digit() {
            let end = number_end(b, i + 1);
            out.push(i, end, Class::Number);
            i = end;
            continue;
        }
        if is_ident_start(c) {
            let end = ident_end(b, i + 1);
            if let Some(class) = word_class(lexer, src, i, end) {
                out.push(i, end, class);
            }
            i = end;
            continue;
        }
        let next_is_ident = b.get(i + 1).is_some_and(|&n| is_ident_start(n));
        if spec.annotations && c == b'@' && next_is_ident {
            let end = ident_end(b, i + 1);
            out.push(i, end, Class::Attribute);
            i = end;
            continue;
        }
        if spec.sigils.contains(&c) && (next_is_ident || b.get(i + 1) == Some(&c)) {
            let mut end = i + 1;
            while end < b.len() && b[end] == c {
                end += 1;
            }
            let end = ident_end(b, end);
            out.push(i, end, Class::Variable);
            i = end;
            continue;
        }
        // Anything else (operators, punctuation, the rest of a multi-byte character) is plain.
        i += 1;
    }
    out.finish(b.len())
}

/// The class of the identifier `src[start..end]`, from the word lists or its surroundings.
fn word_class(lexer: &Lexer, src: &str, start: usize, end: usize) -> Option<Class> {
    let spec = &lexer.spec;
    let word = &src[start..end];
    if let Some(class) = lexer.class_of(word) {
        return Some(class);
    }
    let b = src.as_bytes();
    let mut next = end;
    while next < b.len() && (b[next] == b' ' || b[next] == b'\t') {
        next += 1;
    }
    let after = b.get(next).copied();
    if let Some(sep) = after
        && spec.key_separators.contains(&sep)
        && b.get(next + 1) != Some(&sep)
    {
        return Some(Class::Property);
    }
    if spec.capitalised_types && word.as_bytes()[0].is_ascii_uppercase() {
        return Some(Class::Type);
    }
    (after == Some(b'(')).then_some(Class::Function)
}

/// A unified or context diff: added, removed and header lines.
pub(super) fn lex_diff(src: &str) -> Marks {
    let mut out = Out {
        marks: Vec::new(),
        pos: 0,
    };
    let mut start = 0;
    for line in src.split_inclusive('\n') {
        let end = start + line.len();
        let text_end = start + line.trim_end_matches(['\n', '\r']).len();
        let class = if line.starts_with("+++") || line.starts_with("---") {
            Some(Class::Keyword)
        } else if line.starts_with("@@") {
            Some(Class::Attribute)
        } else if line.starts_with('+') || line.starts_with('>') {
            Some(Class::Inserted)
        } else if line.starts_with('-') || line.starts_with('<') {
            Some(Class::Deleted)
        } else if line.starts_with("diff ") || line.starts_with("index ") {
            Some(Class::Comment)
        } else {
            None
        };
        if let Some(class) = class {
            out.push(start, text_end, class);
        }
        start = end;
    }
    out.finish(src.len())
}

const C_KEYWORDS: &str = "\
    auto break case const continue default do else enum extern for goto if inline \
    register restrict return sizeof static struct switch typedef union volatile \
    while";
const C_TYPES: &str = "\
    char double float int long short signed unsigned void bool size_t ssize_t int8_t \
    int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t FILE";

static C: Lexer = Lexer::new(Spec {
    keywords: C_KEYWORDS,
    types: C_TYPES,
    constants: "true false NULL",
    preprocessor: true,
    ..Spec::new()
});

static CPP: Lexer = Lexer::new(Spec {
    keywords: "\
        auto break case catch class const constexpr consteval const_cast continue \
        co_await co_return co_yield decltype default delete do dynamic_cast else enum \
        explicit export extern final for friend goto if inline mutable namespace new \
        noexcept operator override private protected public reinterpret_cast return \
        sizeof static static_assert static_cast struct switch template this throw try \
        typedef typename union using virtual volatile while concept requires",
    types: "\
        char double float int long short signed unsigned void bool size_t int8_t int16_t \
        int32_t int64_t uint8_t uint16_t uint32_t uint64_t string vector map unique_ptr \
        shared_ptr std",
    constants: "true false nullptr NULL",
    preprocessor: true,
    ..Spec::new()
});

static CSHARP: Lexer = Lexer::new(Spec {
    keywords: "\
        abstract as async await base break case catch checked class const continue \
        default delegate do else enum event explicit extern finally fixed for foreach \
        get goto if implicit in init interface internal is lock namespace new operator \
        out override params partial private protected public readonly record ref return \
        sealed set sizeof stackalloc static struct switch this throw try typeof \
        unchecked unsafe using var virtual volatile when where while yield",
    types: "\
        bool byte char decimal double dynamic float int long object sbyte short string \
        uint ulong ushort void",
    constants: "true false null",
    capitalised_types: true,
    preprocessor: true,
    ..Spec::new()
});

static JAVA: Lexer = Lexer::new(Spec {
    keywords: "\
        abstract assert break case catch class const continue default do else enum \
        extends final finally for goto if implements import instanceof interface native \
        new package permits private protected public record return sealed static \
        strictfp super switch synchronized this throw throws transient try var volatile \
        while yield",
    types: "boolean byte char double float int long short void",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static KOTLIN: Lexer = Lexer::new(Spec {
    keywords: "\
        abstract as break by catch class companion const constructor continue data do \
        else enum external final finally for fun get if import in init inline interface \
        internal is lateinit object open operator out override package private protected \
        public reified return sealed set super suspend this throw try typealias val var \
        vararg when where while",
    constants: "true false null",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static SCALA: Lexer = Lexer::new(Spec {
    keywords: "\
        abstract case catch class def do else enum export extends extension final \
        finally for given if implicit import lazy match new object override package \
        private protected return sealed super then this throw trait try type using val \
        var while with yield",
    constants: "true false null",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static GROOVY: Lexer = Lexer::new(Spec {
    keywords: "\
        as assert break case catch class continue def default do else enum extends final \
        finally for if implements import in instanceof interface new package private \
        protected public return static super switch this throw throws trait try var \
        while",
    constants: "true false null",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static SWIFT: Lexer = Lexer::new(Spec {
    keywords: "\
        actor as associatedtype async await break case catch class continue default \
        defer deinit do else enum extension fallthrough fileprivate final for func guard \
        if import in init inout internal is lazy let mutating open operator override \
        private protocol public repeat rethrows return self Self some static struct \
        subscript super switch throw throws try typealias var weak where while",
    constants: "true false nil",
    quotes: b"\"",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static GO: Lexer = Lexer::new(Spec {
    keywords: "\
        break case chan const continue default defer else fallthrough for func go goto \
        if import interface map package range return select struct switch type var",
    types: "\
        any bool byte complex64 complex128 error float32 float64 int int8 int16 int32 \
        int64 rune string uint uint8 uint16 uint32 uint64 uintptr",
    constants: "true false nil iota",
    raw_quotes: b"`",
    ..Spec::new()
});

static DART: Lexer = Lexer::new(Spec {
    keywords: "\
        abstract as async await break case catch class const continue default do else \
        enum export extends extension external factory final finally for get if \
        implements import in is late library mixin new on part required return set \
        static super switch this throw try typedef var void while with yield",
    constants: "true false null",
    triple_quotes: true,
    capitalised_types: true,
    annotations: true,
    ..Spec::new()
});

static PHP: Lexer = Lexer::new(Spec {
    line_comments: &["//", "#"],
    keywords: "\
        abstract and as break case catch class clone const continue declare default do \
        echo else elseif enum extends final finally fn for foreach function global if \
        implements include instanceof interface match namespace new or print private \
        protected public readonly require require_once return static switch throw trait \
        try use while yield",
    types: "array bool callable float int iterable mixed object string void",
    constants: "true false null TRUE FALSE NULL",
    capitalised_types: true,
    sigils: b"$",
    ..Spec::new()
});

static RUBY: Lexer = Lexer::new(Spec {
    line_comments: &["#"],
    block_comment: Some(("=begin", "=end")),
    quotes: b"\"'`",
    keywords: "\
        alias and begin break case class def defined do else elsif end ensure for if in \
        module next not or redo rescue retry return self super then undef unless until \
        when while yield require include extend attr_accessor attr_reader attr_writer \
        private protected public raise puts lambda proc",
    constants: "true false nil",
    capitalised_types: true,
    sigils: b"@$",
    ..Spec::new()
});

static LUA: Lexer = Lexer::new(Spec {
    line_comments: &["--"],
    block_comment: Some(("--[[", "]]")),
    keywords: "\
        and break do else elseif end for function goto if in local not or repeat return \
        then until while",
    constants: "true false nil",
    ..Spec::new()
});

static PROTO: Lexer = Lexer::new(Spec {
    keywords: "\
        syntax edition package import public weak option message enum service rpc \
        returns stream repeated optional required oneof map reserved extend extensions \
        to max",
    types: "\
        double float int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64 sfixed32 \
        sfixed64 bool string bytes",
    constants: "true false",
    capitalised_types: true,
    ..Spec::new()
});

static HCL: Lexer = Lexer::new(Spec {
    line_comments: &["#", "//"],
    quotes: b"\"",
    keywords: "\
        resource data variable output locals module provider terraform backend \
        required_providers dynamic content for for_each in if moved import check \
        lifecycle",
    types: "string number bool list map set object tuple any",
    constants: "true false null",
    key_separators: b"=",
    ..Spec::new()
});

static GRAPHQL: Lexer = Lexer::new(Spec {
    line_comments: &["#"],
    block_comment: None,
    quotes: b"\"",
    triple_quotes: true,
    keywords: "\
        query mutation subscription fragment on type interface union enum input scalar \
        schema extend implements directive repeatable",
    constants: "true false null",
    capitalised_types: true,
    annotations: true,
    sigils: b"$",
    ..Spec::new()
});

static POWERSHELL: Lexer = Lexer::new(Spec {
    line_comments: &["#"],
    block_comment: Some(("<#", "#>")),
    keywords: "\
        begin break catch class continue data do dynamicparam else elseif end enum exit \
        filter finally for foreach from function if in param process return switch throw \
        trap try until using while",
    ignore_case: true,
    sigils: b"$",
    ..Spec::new()
});

static SQL: Lexer = Lexer::new(Spec {
    line_comments: &["--"],
    quotes: b"'",
    keywords: "\
        add all alter analyze and any as asc begin between by cascade case check column \
        commit conflict constraint create cross database default delete desc distinct do \
        drop else end except exists explain foreign from full function grant group \
        having if ilike in index inner insert intersect interval into is join key left \
        like limit materialized not nothing offset on or order outer over partition \
        primary procedure references rename replace returning revoke right rollback \
        schema select set table then to transaction trigger truncate union unique update \
        using vacuum values view when where window with",
    types: "\
        bigint bigserial binary bit blob bool boolean bytea char character date datetime \
        decimal double float int integer json jsonb numeric real serial smallint text \
        time timestamp timestamptz uuid varchar varying precision",
    constants: "true false null",
    ignore_case: true,
    sigils: b"@$",
    ..Spec::new()
});
