//! Syntax highlighting at build time with class names, so one stylesheet serves light and dark.
//!
//! Three highlighters, fastest first, chosen by the fence's language:
//! - `hl-lite`'s hand-written lexers: Rust, Bash/shell, YAML, JSON, TOML (and INI), JavaScript,
//!   TypeScript, Python, HTML/XML, CSS, Markdown, Dockerfile;
//! - [`lexer`], a table-driven lexer of our own for SQL, Go, Java, Kotlin, Scala, Groovy, Swift,
//!   C, C++, C#, Dart, PHP, Ruby, Lua, Protocol Buffers, HCL/Terraform, GraphQL, PowerShell, and
//!   a line lexer for diffs;
//! - syntect's TextMate grammars for every other language it knows (Haskell, Perl, LaTeX, …).
//!
//! The lexers run at 70–100 MB/s against syntect's 0.7 MB/s (`cargo bench --bench highlight`):
//! syntect was two thirds of a clean build's CPU time. The lexers' tokens get one class each
//! ([`Class`]); their colours, like syntect's, come from the configured syntect themes.

mod lexer;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use syntect::highlighting::{Color, FontStyle, Highlighter, Theme, ThemeSet};
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::{ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

// Loaded once per process, and only when a block needs it: loading the syntax set costs
// milliseconds, and the lexers cover the common languages.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The token classes the lexers emit. The names are stable (themes may style them) and none is a
/// syntect scope atom, so syntect's rules and ours never match each other's spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Keyword,
    String,
    Comment,
    Number,
    Type,
    Function,
    /// Attributes, annotations, decorators, preprocessor lines, shell flags, diff hunk headers.
    Attribute,
    /// Keys: YAML, JSON and TOML keys, CSS properties, HCL arguments.
    Property,
    /// Markup tag names, TOML tables, CSS selectors.
    Tag,
    /// `true`, `null`, `nil`, CSS colours, Rust lifetimes.
    Constant,
    /// `$PATH`, `$x`, `@name`, YAML anchors.
    Variable,
    /// Added and removed lines of a diff.
    Inserted,
    Deleted,
}

impl Class {
    pub(crate) const ALL: [Class; 13] = [
        Class::Keyword,
        Class::String,
        Class::Comment,
        Class::Number,
        Class::Type,
        Class::Function,
        Class::Attribute,
        Class::Property,
        Class::Tag,
        Class::Constant,
        Class::Variable,
        Class::Inserted,
        Class::Deleted,
    ];

    /// The CSS class.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Keyword => "hl-kw",
            Class::String => "hl-str",
            Class::Comment => "hl-cmt",
            Class::Number => "hl-num",
            Class::Type => "hl-ty",
            Class::Function => "hl-fn",
            Class::Attribute => "hl-attr",
            Class::Property => "hl-prop",
            Class::Tag => "hl-tagname",
            Class::Constant => "hl-lit",
            Class::Variable => "hl-var",
            Class::Inserted => "hl-ins",
            Class::Deleted => "hl-del",
        }
    }

    /// TextMate scopes whose colour in a syntect theme this class takes: the first one the
    /// theme styles, else the theme's text colour.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Class::Keyword => &["keyword.control", "keyword", "storage.type"],
            Class::String => &["string.quoted.double", "string"],
            Class::Comment => &["comment.line", "comment"],
            Class::Number => &["constant.numeric", "constant"],
            Class::Type => &["entity.name.type", "support.type", "storage.type"],
            Class::Function => &["entity.name.function", "support.function"],
            Class::Attribute => &["entity.other.attribute-name", "meta.attribute", "keyword"],
            Class::Property => &[
                "support.type.property-name",
                "entity.name.tag.yaml",
                "variable.other.member",
                "entity.name.tag",
            ],
            Class::Tag => &["entity.name.tag", "keyword"],
            Class::Constant => &["constant.language", "constant"],
            Class::Variable => &["variable.other", "variable"],
            Class::Inserted => &["markup.inserted", "string"],
            Class::Deleted => &["markup.deleted", "invalid", "keyword"],
        }
    }

    fn from_lite(kind: hl_lite::Kind) -> Option<Class> {
        use hl_lite::Kind;
        Some(match kind {
            // Operators and punctuation keep the text colour: spans for them would double the
            // size of the HTML for no colour.
            Kind::Plain | Kind::Operator | Kind::Punctuation => return None,
            Kind::Keyword => Class::Keyword,
            Kind::String => Class::String,
            Kind::Comment => Class::Comment,
            Kind::Number => Class::Number,
            Kind::Type => Class::Type,
            Kind::Function => Class::Function,
            Kind::Attribute => Class::Attribute,
            Kind::Property => Class::Property,
            Kind::Tag => Class::Tag,
            Kind::Constant => Class::Constant,
            Kind::Variable => Class::Variable,
        })
    }
}

/// Highlighted blocks kept between rebuilds of `lore serve`: an edit changes one page's blocks
/// at most. Off in `lore build`, where every block is highlighted once and keeping them would
/// only cost memory.
static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);

/// Set once by `lore serve`; read per block without taking the lock.
static MEMO_ON: AtomicBool = AtomicBool::new(false);

#[derive(Default)]
struct Memo {
    /// Blocks used since the current generation started, and those of the one before.
    current: HashMap<blake3::Hash, Option<String>>,
    previous: HashMap<blake3::Hash, Option<String>>,
}

/// Keeps highlighted blocks from now on (see [`next_generation`]).
pub fn remember_between_builds() {
    MEMO_ON.store(true, Ordering::Relaxed);
}

/// Called after each complete rebuild: blocks no complete rebuild used since the one before
/// are dropped, so memory follows the site rather than its history. Rebuilds given up halfway
/// do not count; they would drop blocks of pages they never reached.
pub fn next_generation() {
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    memo.previous = std::mem::take(&mut memo.current);
}

/// The inner HTML of a `<code>` element for `code` in language `lang`, or `None` when the
/// language is unknown (the caller escapes the text as is).
pub fn highlight(code: &str, lang: &str) -> Option<String> {
    if !MEMO_ON.load(Ordering::Relaxed) {
        return highlight_now(code, lang);
    }
    let key = blake3::Hasher::new()
        .update(lang.as_bytes())
        .update(&[0])
        .update(code.as_bytes())
        .finalize();
    let known = {
        let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
        let found = memo.current.get(&key).cloned();
        found.or_else(|| {
            let moved = memo.previous.remove(&key)?;
            memo.current.insert(key, moved.clone());
            Some(moved)
        })
    };
    if let Some(html) = known {
        return html;
    }
    let html = highlight_now(code, lang);
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    memo.current.insert(key, html.clone());
    html
}

fn highlight_now(code: &str, lang: &str) -> Option<String> {
    let lower = lang.to_ascii_lowercase();
    let lite = match lower.as_str() {
        "ini" | "cfg" | "conf" | "properties" | "editorconfig" | "gitconfig" => {
            Some(hl_lite::Lang::Toml)
        }
        "jsonl" | "ndjson" | "geojson" => Some(hl_lite::Lang::Json),
        other => hl_lite::Lang::from_slug(other),
    };
    if let Some(lite) = lite {
        let mut html = Html::with_capacity(code.len());
        for span in hl_lite::highlight(lite, code) {
            html.push(span.text, Class::from_lite(span.kind));
        }
        return Some(html.finish());
    }
    let marks = match lower.as_str() {
        "diff" | "patch" | "udiff" => lexer::lex_diff(code),
        other => match lexer::lexer_for(other) {
            Some(known) => lexer::lex(known, code),
            None => return syntect_html(code, lang),
        },
    };
    let mut html = Html::with_capacity(code.len());
    let mut start = 0;
    for (end, class) in marks {
        html.push(&code[start..end], class);
        start = end;
    }
    Some(html.finish())
}

/// Highlighting with syntect alone, whatever the language: for `cargo bench --bench highlight
/// -- --syntect`, the comparison with the highlighter before the lexers.
#[doc(hidden)]
pub fn highlight_with_syntect(code: &str, lang: &str) -> Option<String> {
    syntect_html(code, lang)
}

/// The languages neither lexer knows, with syntect's grammars and its scope classes.
fn syntect_html(code: &str, lang: &str) -> Option<String> {
    let syntax = SYNTAXES.find_syntax_by_token(lang)?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        generator
            .parse_html_for_line_which_includes_newline(line)
            .ok()?;
    }
    Some(generator.finalize())
}

/// HTML of classified text: one `<span>` per run of a class, plain text bare, all escaped.
struct Html {
    out: String,
    open: Option<Class>,
}

impl Html {
    fn with_capacity(code_len: usize) -> Self {
        Html {
            out: String::with_capacity(code_len * 2),
            open: None,
        }
    }

    fn push(&mut self, text: &str, class: Option<Class>) {
        if text.is_empty() {
            return;
        }
        if class != self.open {
            if self.open.is_some() {
                self.out.push_str("</span>");
            }
            if let Some(class) = class {
                self.out.push_str("<span class=\"");
                self.out.push_str(class.name());
                self.out.push_str("\">");
            }
            self.open = class;
        }
        escape_into(&mut self.out, text);
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.out.push_str("</span>");
        }
        self.out
    }
}

/// Escapes `&`, `<` and `>` (all that element content needs), copying the runs between them.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = memchr::memchr3(b'&', b'<', b'>', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}
/// Code blocks in the default theme are painted with its `--code-bg` (lore.css), not with the
/// syntect theme's own background, so token colours are made to read on these.
const LIGHT_CODE_BG: Color = Color {
    r: 0xf6,
    g: 0xf8,
    b: 0xfa,
    a: 0xff,
};
const DARK_CODE_BG: Color = Color {
    r: 0x18,
    g: 0x1c,
    b: 0x22,
    a: 0xff,
};
/// WCAG AA for normal text.
const MIN_CONTRAST: f64 = 4.5;

/// The stylesheet for the light theme under the light selectors, and the dark one under the dark.
/// Both are scoped: unscoped light rules more specific than a dark one (such as
/// `.hl-source.hl-js .hl-meta.hl-function .hl-entity.hl-name.hl-function`) used to win in dark mode.
pub fn stylesheet(light: &str, dark: &str) -> Result<String, String> {
    // Loading syntect's themes takes milliseconds; `lore serve` asks on every rebuild.
    type Stylesheets = HashMap<(String, String), Result<String, String>>;
    static MADE: LazyLock<Mutex<Stylesheets>> = LazyLock::new(Mutex::default);
    let key = (light.to_string(), dark.to_string());
    if let Some(css) = MADE.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return css;
    }
    let css = make_stylesheet(light, dark);
    if let Ok(mut made) = MADE.lock() {
        made.insert(key, css.clone());
    }
    css
}

/// The names of the themes syntect ships, which `lore.yaml` may choose from (a test keeps the
/// list in step with syntect's).
pub const THEMES: [&str; 7] = [
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.dark",
    "base16-ocean.light",
];

fn make_stylesheet(light: &str, dark: &str) -> Result<String, String> {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let light_css = theme_css(&themes, light, LIGHT_CODE_BG)?;
    let dark_css = theme_css(&themes, dark, DARK_CODE_BG)?;
    let mut css = String::from("/* Generated by Lore: token colours from syntect themes. */\n");
    css.push_str(&scope(&light_css, ":root[data-theme=\"light\"]"));
    css.push_str("@media (prefers-color-scheme: light) {\n");
    css.push_str(&scope(&light_css, ":root:not([data-theme=\"dark\"])"));
    css.push_str("}\n");
    css.push_str(&scope(&dark_css, ":root[data-theme=\"dark\"]"));
    css.push_str("@media (prefers-color-scheme: dark) {\n");
    css.push_str(&scope(&dark_css, ":root:not([data-theme=\"light\"])"));
    css.push_str("}\n");
    Ok(css)
}

/// The CSS of theme `name`, its colours made readable on `code_bg`.
fn theme_css(themes: &ThemeSet, name: &str, code_bg: Color) -> Result<String, String> {
    let theme = themes.themes.get(name).ok_or_else(|| {
        let known: Vec<&str> = themes.themes.keys().map(String::as_str).collect();
        format!(
            "unknown highlight theme `{name}`; choose one of: {}",
            known.join(", ")
        )
    })?;
    let theme = readable(theme, code_bg);
    let mut css = lexer_css(&theme);
    css.push_str(&css_for_theme_with_class_style(&theme, CLASS_STYLE).map_err(|e| e.to_string())?);
    Ok(css)
}

/// One rule for every [`Class`], coloured as `theme` colours the class's scopes.
fn lexer_css(theme: &Theme) -> String {
    let highlighter = Highlighter::new(theme);
    let text = theme.settings.foreground.unwrap_or(Color::BLACK);
    let mut css = String::new();
    for class in Class::ALL {
        let style = class
            .scopes()
            .iter()
            .filter_map(|scope| ScopeStack::from_str(&format!("source {scope}")).ok())
            .map(|stack| highlighter.style_mod_for_stack(stack.as_slice()))
            .find(|style| style.foreground.is_some());
        let colour = style.and_then(|s| s.foreground).unwrap_or(text);
        let font = style
            .and_then(|s| s.font_style)
            .unwrap_or(FontStyle::empty());
        let _ = write!(
            css,
            ".{} {{ color: #{:02x}{:02x}{:02x};",
            class.name(),
            colour.r,
            colour.g,
            colour.b
        );
        if font.contains(FontStyle::ITALIC) {
            css.push_str(" font-style: italic;");
        }
        if font.contains(FontStyle::BOLD) {
            css.push_str(" font-weight: bold;");
        }
        css.push_str(" }\n");
    }
    css
}

/// A copy of `theme` whose text colours reach `MIN_CONTRAST` on `bg` (the stock themes' comments,
/// for one, are too faint on it).
fn readable(theme: &Theme, bg: Color) -> Theme {
    let mut theme = theme.clone();
    let fix = |c: &mut Option<Color>| {
        if let Some(fg) = c {
            *fg = with_contrast(*fg, bg);
        }
    };
    fix(&mut theme.settings.foreground);
    for item in &mut theme.scopes {
        fix(&mut item.style.foreground);
    }
    theme
}

/// `fg`, moved towards black (on a light `bg`) or white (on a dark one) in small steps, just until
/// it reaches `MIN_CONTRAST`: the hue stays recognisable.
fn with_contrast(fg: Color, bg: Color) -> Color {
    let dark_bg = luminance(bg) < 0.5;
    let target = if dark_bg { 255.0 } else { 0.0 };
    (0..=20)
        .map(|step| {
            let t = f64::from(step) / 20.0;
            let mix = |v: u8| (f64::from(v) + (target - f64::from(v)) * t).round() as u8;
            Color {
                r: mix(fg.r),
                g: mix(fg.g),
                b: mix(fg.b),
                a: fg.a,
            }
        })
        .find(|c| contrast(*c, bg) >= MIN_CONTRAST)
        .unwrap_or(fg)
}

/// WCAG 2 relative luminance of an sRGB colour.
fn luminance(c: Color) -> f64 {
    let channel = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
}

fn contrast(a: Color, b: Color) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Prefixes every selector of a flat stylesheet with `prefix`.
fn scope(css: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    for rule in css.split_inclusive('}') {
        let Some((selectors, body)) = rule.split_once('{') else {
            continue;
        };
        let selectors = strip_comments(selectors);
        let scoped: Vec<String> = selectors
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("{prefix} {s}"))
            .collect();
        if !scoped.is_empty() {
            out.push_str(&scoped.join(", "));
            out.push_str(" {");
            out.push_str(body);
            out.push('\n');
        }
    }
    out
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_theme_names_are_syntects() {
        let themes = ThemeSet::load_defaults();
        let mut names: Vec<&str> = themes.themes.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, THEMES);
    }

    /// One sample per language the lexers cover, with a token each must classify.
    const SAMPLES: &[(&str, &str, &str)] = &[
        (
            "rust",
            "fn main() { let x = 1; }\n",
            "<span class=\"hl-kw\">fn</span>",
        ),
        (
            "go",
            "func main() {\n\tx := `raw`\n}\n",
            "<span class=\"hl-kw\">func</span>",
        ),
        (
            "python",
            "def f(x):\n    return None\n",
            "<span class=\"hl-kw\">def</span>",
        ),
        (
            "javascript",
            "const x = 'a';\n",
            "<span class=\"hl-kw\">const</span>",
        ),
        ("js", "// note\n", "<span class=\"hl-cmt\">// note</span>"),
        (
            "typescript",
            "let n: number = 2;\n",
            "<span class=\"hl-num\">2</span>",
        ),
        (
            "ts",
            "interface A {}\n",
            "<span class=\"hl-kw\">interface</span>",
        ),
        (
            "java",
            "@Override public void run() {}\n",
            "<span class=\"hl-attr\">@Override</span>",
        ),
        (
            "c",
            "#include <stdio.h>\nint main(void) { return 0; }\n",
            "<span class=\"hl-attr\">#include &lt;stdio.h&gt;</span>",
        ),
        (
            "cpp",
            "std::string s = \"x\";\n",
            "<span class=\"hl-str\">\"x\"</span>",
        ),
        (
            "csharp",
            "public class A { }\n",
            "<span class=\"hl-kw\">public</span>",
        ),
        (
            "ruby",
            "def hi\n  @name\nend\n",
            "<span class=\"hl-var\">@name</span>",
        ),
        (
            "bash",
            "echo \"$HOME\" # hi\n",
            "<span class=\"hl-cmt\"># hi</span>",
        ),
        ("sh", "ls -la\n", "<span class=\"hl-attr\">-la</span>"),
        (
            "shell",
            "export A=1\n",
            "<span class=\"hl-fn\">export</span>",
        ),
        (
            "yaml",
            "name: lore\n",
            "<span class=\"hl-prop\">name</span>",
        ),
        (
            "json",
            "{\"a\": true}\n",
            "<span class=\"hl-lit\">true</span>",
        ),
        (
            "toml",
            "[package]\nname = \"lore\"\n",
            "<span class=\"hl-prop\">name</span>",
        ),
        (
            "sql",
            "SELECT id FROM t WHERE n > 3;\n",
            "<span class=\"hl-kw\">SELECT</span>",
        ),
        (
            "html",
            "<p class=\"x\">hi</p>\n",
            "<span class=\"hl-tagname\">p</span>",
        ),
        (
            "css",
            "a { color: red; }\n",
            "<span class=\"hl-prop\">color</span>",
        ),
        (
            "dockerfile",
            "FROM rust:1\nRUN cargo build\n",
            "<span class=\"hl-kw\">FROM</span>",
        ),
        (
            "hcl",
            "resource \"x\" \"y\" {\n  count = 2\n}\n",
            "<span class=\"hl-prop\">count</span>",
        ),
        (
            "terraform",
            "variable \"v\" {}\n",
            "<span class=\"hl-kw\">variable</span>",
        ),
        (
            "diff",
            "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n",
            "<span class=\"hl-ins\">+new</span>",
        ),
        ("markdown", "# Title\n", "<span class=\"hl-"),
        (
            "kotlin",
            "fun main() { val x = 1 }\n",
            "<span class=\"hl-kw\">fun</span>",
        ),
        (
            "swift",
            "func f() -> Int { return 1 }\n",
            "<span class=\"hl-ty\">Int</span>",
        ),
        (
            "php",
            "<?php echo $name; ?>\n",
            "<span class=\"hl-var\">$name</span>",
        ),
        (
            "lua",
            "local x = nil -- c\n",
            "<span class=\"hl-cmt\">-- c</span>",
        ),
        (
            "protobuf",
            "message A { int32 id = 1; }\n",
            "<span class=\"hl-kw\">message</span>",
        ),
        (
            "scala",
            "object A { def f = 1 }\n",
            "<span class=\"hl-kw\">object</span>",
        ),
        (
            "dart",
            "void main() { print('x'); }\n",
            "<span class=\"hl-fn\">print</span>",
        ),
        (
            "graphql",
            "query Q { user(id: $id) { name } }\n",
            "<span class=\"hl-var\">$id</span>",
        ),
        (
            "ini",
            "[core]\nbare = false\n",
            "<span class=\"hl-prop\">bare</span>",
        ),
    ];

    /// The text of highlighted HTML: tags dropped, entities decoded.
    fn text_of(html: &str) -> String {
        let mut text = String::new();
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            text.push_str(&rest[..at]);
            rest = &rest[at + rest[at..].find('>').unwrap() + 1..];
        }
        text.push_str(rest);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    /// Every class named in `class="…"` attributes of `html`.
    fn classes_in(html: &str) -> Vec<String> {
        html.split("class=\"")
            .skip(1)
            .flat_map(|rest| rest[..rest.find('"').unwrap()].split(' '))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_lexer_language_gives_classed_tokens() {
        let mut wrong = Vec::new();
        for (lang, code, wanted) in SAMPLES {
            let html = highlight_now(code, lang).unwrap_or_else(|| panic!("{lang} unknown"));
            if !html.contains(wanted) {
                wrong.push(format!("{lang}: no {wanted} in {html}"));
            }
            assert_eq!(&text_of(&html), code, "{lang}: the text changed");
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn languages_match_in_any_case_and_others_fall_back_to_syntect() {
        assert_eq!(
            highlight_now("SELECT 1\n", "SQL"),
            highlight_now("SELECT 1\n", "sql")
        );
        let haskell = highlight_now("main = putStrLn \"hi\"\n", "haskell").unwrap();
        assert!(haskell.contains("class=\"hl-"), "{haskell}");
    }

    #[test]
    fn unknown_language_is_left_to_the_caller() {
        assert!(highlight("x", "no-such-language").is_none());
        assert!(highlight("x", "").is_none());
    }

    #[test]
    fn html_in_code_is_escaped() {
        let code = "let s = \"<script>alert('&')</script>\"; // <b>\nif a < b && c > d {}\n";
        for lang in ["rust", "sql", "go", "diff", "yaml", "html", "haskell"] {
            let html = highlight_now(code, lang).unwrap();
            assert!(
                !html.contains("<script") && !html.contains("<b>"),
                "{lang}: {html}"
            );
            assert!(
                !html.contains("& ") && !html.contains("< "),
                "{lang}: {html}"
            );
            assert_eq!(text_of(&html), code, "{lang}");
        }
    }

    #[test]
    fn unclosed_strings_and_comments_do_not_lose_text() {
        for (lang, _, _) in SAMPLES {
            for code in [
                "\"open",
                "/* open",
                "'",
                "x = `",
                "<!--",
                "\"\"\"",
                "é'ü\"日本",
            ] {
                let html = highlight_now(code, lang).unwrap();
                assert_eq!(text_of(&html), code, "{lang}: {code}");
            }
        }
    }

    #[test]
    fn output_is_the_same_every_time() {
        for (lang, code, _) in SAMPLES {
            assert_eq!(highlight_now(code, lang), highlight_now(code, lang));
        }
    }

    /// `(selector, colour)` of every `color:` rule in `css`.
    fn colours(css: &str) -> Vec<(String, Color)> {
        css.lines()
            .filter_map(|line| {
                let (selector, body) = line.split_once('{')?;
                let hex = body.split("color: #").nth(1)?.get(..6)?;
                let byte = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap();
                let colour = Color {
                    r: byte(0),
                    g: byte(2),
                    b: byte(4),
                    a: 0xff,
                };
                Some((selector.trim().to_string(), colour))
            })
            .collect()
    }

    #[test]
    fn stylesheet_covers_every_class_the_lexers_emit() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        let mut emitted: Vec<String> = SAMPLES
            .iter()
            .flat_map(|(lang, code, _)| classes_in(&highlight_now(code, lang).unwrap()))
            .collect();
        emitted.extend(Class::ALL.iter().map(|c| c.name().to_string()));
        for class in emitted {
            for scheme in ["light", "dark"] {
                let rule = format!(":root[data-theme=\"{scheme}\"] .{class} {{ color: #");
                assert!(css.contains(&rule), "no {scheme} rule for {class}");
            }
        }
    }

    #[test]
    fn lexer_classes_are_not_syntect_scope_atoms() {
        let themes = ThemeSet::load_defaults();
        for (name, theme) in &themes.themes {
            let css = css_for_theme_with_class_style(theme, CLASS_STYLE).unwrap();
            for class in Class::ALL {
                let name_end = format!(".{}", class.name());
                assert!(
                    !css.split([' ', ',', '\n'])
                        .any(|s| s.split_inclusive('.').any(|part| {
                            format!(".{}", part.trim_end_matches(['.', '{'])) == name_end
                        })),
                    "{name} styles .{}",
                    class.name()
                );
            }
        }
    }

    #[test]
    fn every_token_colour_meets_aa_on_the_code_backgrounds() {
        let themes = ThemeSet::load_defaults();
        for light in themes.themes.keys() {
            let css = stylesheet(light, "base16-ocean.dark").unwrap();
            let (light_css, dark_css) = css.split_once(":root[data-theme=\"dark\"]").unwrap();
            for (css, bg) in [(light_css, LIGHT_CODE_BG), (dark_css, DARK_CODE_BG)] {
                for (selector, colour) in colours(css) {
                    if selector.contains(".hl-") && !selector.ends_with("hl-code") {
                        let ratio = contrast(colour, bg);
                        assert!(ratio >= MIN_CONTRAST, "{light}: {selector} {ratio:.2}");
                    }
                }
            }
        }
    }

    #[test]
    fn stylesheet_has_both_schemes() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains(":root[data-theme=\"dark\"] .hl-"));
        assert!(css.contains("prefers-color-scheme: dark"));
        assert!(stylesheet("nope", "base16-ocean.dark").is_err());
    }

    #[test]
    fn light_rules_are_scoped_too() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains("prefers-color-scheme: light"));
        assert!(css.contains(":root[data-theme=\"light\"] .hl-"));
        // every rule carries a scheme selector, so the light ones cannot win in dark mode
        assert!(!css.lines().any(|l| l.starts_with(".hl-")), "{css}");
    }
    #[test]
    fn faint_colours_are_raised_to_aa_and_good_ones_kept() {
        let grey = Color {
            r: 0x96,
            g: 0x98,
            b: 0x96,
            a: 0xff,
        };
        assert!(contrast(grey, LIGHT_CODE_BG) < MIN_CONTRAST);
        let fixed = with_contrast(grey, LIGHT_CODE_BG);
        assert!(contrast(fixed, LIGHT_CODE_BG) >= MIN_CONTRAST);
        assert!(fixed.r < grey.r, "darkened on a light background");
        let navy = Color {
            r: 0x18,
            g: 0x36,
            b: 0x91,
            a: 0xff,
        };
        assert_eq!(with_contrast(navy, LIGHT_CODE_BG), navy);
        let purple = Color {
            r: 0x79,
            g: 0x5d,
            b: 0xa3,
            a: 0xff,
        };
        let lighter = with_contrast(purple, DARK_CODE_BG);
        assert!(contrast(lighter, DARK_CODE_BG) >= MIN_CONTRAST && lighter.r > purple.r);
    }
}
