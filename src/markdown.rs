//! Markdown to HTML with pulldown-cmark: the only place its options are set. Two passes over the
//! same event handling: [`scan`] finds what the rest of the site needs of every page (table of
//! contents, links for backlinks and `lore check`, excerpt, word count) without writing HTML or
//! highlighting code; [`render`] writes the HTML and the plain text per section (for search)
//! when the page itself is written, replaying the links the scan resolved.

use crate::escape::{escape_html, may_hold_html_forbidden, without_html_forbidden};
use crate::highlight;
use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use std::collections::BTreeSet;
use std::fmt::Write;

/// How one link or image destination was resolved by the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another page (index into the site's pages), with its fragment.
    Page {
        page: usize,
        fragment: Option<String>,
    },
    /// A file copied with the site.
    Asset,
    /// An anchor on the same page.
    SamePage(String),
    /// Outside the site (another scheme or host): not checked.
    External,
    /// A site link that leads nowhere.
    Broken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The destination to write into the HTML.
    pub href: String,
    pub target: LinkTarget,
    /// Set when the target is a superseded decision: the hint shown next to the link.
    pub superseded_hint: Option<String>,
}

/// A link as found in the source, for backlinks and `lore check`, with how it was resolved, so
/// the page's HTML can be written later without asking the site again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    pub written: Box<str>,
    pub line: usize,
    pub col: usize,
    pub is_image: bool,
    pub target: LinkTarget,
    pub href: Box<str>,
    pub superseded_hint: Option<Box<str>>,
}

/// A heading as the outline keeps it: its id and title in one allocation (a 100,000-page site
/// has a million headings; kept as a nested table of contents with a set of their ids, they
/// were some 190 MB of its peak memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    id_len: u32,
    /// The id, then the title.
    text: Box<str>,
}

impl Heading {
    fn new(level: u8, id: &str, title: &str) -> Heading {
        Heading {
            level,
            id_len: id.len() as u32,
            text: [id, title].concat().into(),
        }
    }

    pub fn id(&self) -> &str {
        &self.text[..self.id_len as usize]
    }

    pub fn title(&self) -> &str {
        &self.text[self.id_len as usize..]
    }
}

/// One entry of a page's table of contents, as templates see it (`page.toc`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    /// `#id`, percent-encoded where a URL must be (a custom id may hold spaces or backticks).
    pub href: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub anchor: Option<String>,
    pub heading: String,
    pub text: String,
}

/// What the rest of the site needs of a page's Markdown (lists, backlinks, `lore check`), found
/// by [`scan`]: a pass that neither highlights code nor writes HTML, so it is cheap enough to
/// make for every page up front and small enough to keep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outline {
    /// Its headings in order, every level (the table of contents shows those from level 2).
    pub headings: Vec<Heading>,
    /// The text of a level-1 heading that opened the document (left out of `html`).
    pub leading_title: Option<String>,
    /// Plain text before `<!-- more -->`, when the marker is there.
    pub summary: Option<String>,
    pub first_paragraph: Option<String>,
    pub word_count: usize,
    pub links: Vec<LinkRef>,
    /// The ids of its footnotes and of their first references (`fn-x`, `fnref-x`).
    pub footnote_ids: Vec<Box<str>>,
    /// Shortcodes of other generators (`{{< … >}}`, `{% … %}`) left as text.
    pub foreign_syntax_line: Option<usize>,
    /// It has a ```mermaid block: its page loads the script that draws diagrams.
    pub has_diagrams: bool,
}

impl Outline {
    /// The ids its Markdown gives elements: its headings', then its footnotes'.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        let headings = self.headings.iter().map(Heading::id);
        headings.chain(self.footnote_ids.iter().map(|id| &**id))
    }

    pub fn has_id(&self, id: &str) -> bool {
        self.ids().any(|i| i == id)
    }

    /// The table of contents: headings from level 2, each holding those below it.
    pub fn toc(&self) -> Vec<TocEntry> {
        let mut root: Vec<TocEntry> = Vec::new();
        for heading in self.headings.iter().filter(|h| h.level >= 2) {
            let entry = TocEntry {
                level: heading.level,
                id: heading.id().to_string(),
                href: fragment_href(heading.id()),
                title: heading.title().to_string(),
                children: Vec::new(),
            };
            insert_toc(&mut root, entry);
        }
        root
    }
}

/// What only the page's own output needs (its HTML, and its text for the search index): made
/// when the page is rendered and dropped once it is written.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub html: String,
    /// Text per section, the first one before any heading, whitespace as it came (the search
    /// index splits it into words; collapsing it first was 3% of a build).
    pub sections: Vec<Section>,
    pub code_text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub outline: Outline,
    pub body: Body,
}

/// Where link destinations come from.
#[derive(Clone, Copy)]
pub enum Links<'a> {
    /// Asked of the site, link by link.
    Resolve(&'a (dyn Fn(&str) -> Resolution + Sync)),
    /// As an earlier [`scan`] of the same text resolved them, in order.
    Replay(&'a [LinkRef]),
}

pub struct RenderOptions<'a> {
    /// Keep a leading H1 in the body: it names a section (`# Motivation`), not the page.
    pub keep_leading_h1: bool,
    pub safe: bool,
    pub smart_punctuation: bool,
    /// `:warning:` shortcodes as emoji.
    pub emoji: bool,
    pub highlight: bool,
    pub links: Links<'a>,
}

fn parser_options(smart: bool) -> Options {
    let mut options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    if smart {
        options |= Options::ENABLE_SMART_PUNCTUATION;
    }
    options
}

/// Renders `body` to its [`Body`]; its outline comes from [`scan`], which always runs first.
pub fn render(body: &str, first_line: usize, options: &RenderOptions<'_>) -> Body {
    write_html(body, first_line, options, false).body
}

/// The [`Outline`] of `body` without writing HTML or highlighting code. `first_line` is the
/// file line `body` starts on, so link positions are real.
pub fn scan(body: &str, first_line: usize, options: &RenderOptions<'_>) -> Outline {
    let (state, _) = run(body, first_line, options, Pass::OUTLINE);
    state.finish(String::new()).outline
}

/// [`scan`] and [`render`] in one pass: for a build that renders every page once anyway and
/// can hold the pages' HTML until they are written (parsing the Markdown a second time, for
/// the scan, was 8% of a 10k build's CPU).
pub fn render_outlined(body: &str, first_line: usize, options: &RenderOptions<'_>) -> Rendered {
    write_html(body, first_line, options, true)
}

fn write_html(
    body: &str,
    first_line: usize,
    options: &RenderOptions<'_>,
    outline: bool,
) -> Rendered {
    let pass = Pass {
        outline,
        write: true,
    };
    let (state, events) = run(body, first_line, options, pass);
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    state.finish(html)
}

/// What a pass over the Markdown makes: the outline (positions, links, word count, first
/// paragraph), the HTML (highlighted code, search text), or both.
#[derive(Clone, Copy)]
struct Pass {
    outline: bool,
    write: bool,
}

impl Pass {
    const OUTLINE: Pass = Pass {
        outline: true,
        write: false,
    };
}

/// Parses `body` through the event handling; the events to write come back when `pass.write`.
fn run<'a, 'o>(
    body: &'a str,
    first_line: usize,
    options: &'o RenderOptions<'o>,
    pass: Pass,
) -> (State<'o>, Vec<Event<'a>>) {
    let mut state = State::new(body, first_line, options, pass);
    let parser =
        Parser::new_ext(body, parser_options(options.smart_punctuation)).into_offset_iter();
    // The corpora's Markdown makes about an event per 10-20 bytes; grown from nothing, the list
    // was copied some ten times a page.
    let mut events: Vec<Event<'a>> =
        Vec::with_capacity(if pass.write { body.len() / 16 } else { 0 });
    // pulldown-cmark writes control characters as they are; HTML forbids them in its input.
    let forbidden = may_hold_html_forbidden(body);
    for (event, range) in parser {
        let event = if forbidden {
            without_forbidden(event)
        } else {
            event
        };
        state.handle(event, range.start, &mut events);
        if !pass.write {
            events.clear();
        }
    }
    (state, events)
}

/// The text of a line of inline Markdown without its markup (emphasis, code spans, links,
/// backslash escapes, entities): "Use *Rust* for \\#Requires" is "Use Rust for #Requires".
/// Raw HTML stays as written (`Vec<T>` is no markup to lose).
pub fn plain_inline(text: &str) -> String {
    if !text.contains(['*', '_', '`', '[', '\\', '&', '~']) {
        return text.to_string();
    }
    let mut plain = String::with_capacity(text.len());
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) => {
                plain.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => plain.push(' '),
            _ => {}
        }
    }
    collapse_whitespace(&plain)
}

/// The keys of the `Key: value` lines decision records open with (adr-tools' `Date: …`, the
/// bullets of MADR 2 written as a paragraph, Log4brains'), lower case.
const RECORD_METADATA_KEYS: &[&str] = &[
    "date",
    "status",
    "deciders",
    "decision-makers",
    "decision makers",
    "author",
    "authors",
    "consulted",
    "informed",
    "technical story",
    "tags",
    "created",
    "updated",
    "last updated",
    "supersedes",
    "superseded by",
    "amends",
    "amended by",
];

/// Whether every line of a paragraph is a record's metadata (`Date: 2024-02-01`): not an
/// excerpt. Posts that open with "TL;DR: …" or "Update: …" keep theirs.
fn is_record_metadata(paragraph: &str) -> bool {
    paragraph
        .lines()
        .map(|line| line.trim().trim_start_matches(['*', '-', '+']).trim())
        .filter(|line| !line.is_empty())
        .all(|line| {
            line.split_once(':').is_some_and(|(key, _)| {
                let key = key.trim().trim_matches('*').trim().to_lowercase();
                RECORD_METADATA_KEYS.contains(&key.as_str())
            })
        })
}

/// The id GitHub gives a heading, so that links written there (tables of contents, links from
/// other files) work here: lower case, letters, digits, `-` and `_` kept, each space a `-`
/// (not merged: `A & B` is `a--b`), everything else dropped (`8.1 Meta` is `81-meta`). The
/// `github-slugger` crate does the same with a regular expression, in one release of 2023.
pub fn heading_slug(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() || is_mark_or_connector(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// A combining mark or connector punctuation, which GitHub's ids keep: the virama of
/// `नमस्ते` (not alphabetic to Rust), accents written as combining characters, `‿`.
fn is_mark_or_connector(c: char) -> bool {
    /// Unicode's connector punctuation (General_Category=Pc) but `_`, which ids keep anyway.
    const CONNECTORS: [char; 9] = ['‿', '⁀', '⁔', '︳', '︴', '﹍', '﹎', '﹏', '＿'];
    unicode_normalization::char::is_combining_mark(c) || CONNECTORS.contains(&c)
}

/// `event` with the characters HTML forbids in its input dropped from its text.
fn without_forbidden(event: Event<'_>) -> Event<'_> {
    fn clean(text: CowStr<'_>) -> CowStr<'_> {
        match without_html_forbidden(&text) {
            Some(kept) => CowStr::from(kept),
            None => text,
        }
    }
    match event {
        Event::Text(text) => Event::Text(clean(text)),
        Event::Code(text) => Event::Code(clean(text)),
        Event::Html(text) => Event::Html(clean(text)),
        Event::InlineHtml(text) => Event::InlineHtml(clean(text)),
        other => other,
    }
}

struct OpenHeading {
    level: HeadingLevel,
    id: Option<String>,
    classes: Vec<String>,
    text: String,
    /// Its text as written, emoji shortcodes and all: GitHub makes the id from it
    /// (`## :sparkles: Features` is `#sparkles-features`).
    written: String,
    events: Vec<Event<'static>>,
    is_leading_h1: bool,
}

struct State<'o> {
    options: &'o RenderOptions<'o>,
    pass: Pass,
    /// Links seen so far (the next one to replay).
    links_seen: usize,
    sections: Vec<Section>,
    code_text: String,
    line_starts: Vec<usize>,
    first_line: usize,
    out: Outline,
    used_ids: BTreeSet<String>,
    heading: Option<OpenHeading>,
    code: Option<(String, String)>,
    /// Depth of links whose text must be followed by a superseded hint.
    pending_hints: Vec<Option<String>>,
    paragraph: Option<String>,
    seen_block: bool,
    /// Footnotes by label: their number (in order of first mention, as pulldown-cmark counts)
    /// and whether a reference has taken the `fnref-` id (only the first one does).
    footnotes: std::collections::HashMap<String, (usize, bool)>,
    /// Inside an HTML comment of a block that began with one (it spans lines).
    in_html_comment: bool,
    words: usize,
    in_image: usize,
    /// The last two bytes of the previous text event: pulldown-cmark splits text at `<`, so
    /// `{{<` can arrive as `{{` and `< ref … >}}`. The markers are ASCII: bytes suffice.
    text_tail: [u8; 2],
    /// Whether text is kept per section: for search when writing, and for a `<!-- more -->`
    /// summary, which a scan needs only when the body has a comment at all.
    keep_section_text: bool,
}

impl<'o> State<'o> {
    fn new(body: &str, first_line: usize, options: &'o RenderOptions<'o>, pass: Pass) -> Self {
        // Positions are for the outline's links and notes: a render alone only writes.
        let line_starts = if pass.outline {
            std::iter::once(0)
                .chain(body.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        } else {
            Vec::new()
        };
        State {
            options,
            pass,
            links_seen: 0,
            sections: vec![Section::default()],
            code_text: String::new(),
            line_starts,
            first_line,
            out: Outline::default(),
            used_ids: BTreeSet::new(),
            heading: None,
            code: None,
            pending_hints: Vec::new(),
            paragraph: None,
            seen_block: false,
            footnotes: Default::default(),
            in_html_comment: false,
            words: 0,
            in_image: 0,
            text_tail: [0; 2],
            keep_section_text: pass.write || body.contains("<!--"),
        }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        let index = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        (
            self.first_line + index,
            offset - self.line_starts[index] + 1,
        )
    }

    fn handle<'a>(&mut self, event: Event<'a>, offset: usize, out: &mut Vec<Event<'a>>) {
        // Words of two list items, table cells or blocks are two words: tight lists have no
        // paragraphs to end them, and MADR's pros and cons ran together ("markdowngood").
        if is_block_boundary(&event) {
            self.push_text("\n");
        }
        if let Some(heading) = self.heading.as_mut() {
            match &event {
                Event::Text(t) | Event::Code(t) => heading.written.push_str(t),
                Event::SoftBreak | Event::HardBreak => heading.written.push(' '),
                _ => {}
            }
        }
        let event = match event {
            Event::Text(text) if self.options.emoji && self.code.is_none() => {
                Event::Text(with_emoji(text))
            }
            other => other,
        };
        if let Some(heading) = self.heading.as_mut()
            && !matches!(event, Event::End(TagEnd::Heading(_)))
        {
            match &event {
                Event::Text(t) | Event::Code(t) => heading.text.push_str(t),
                Event::SoftBreak | Event::HardBreak => heading.text.push(' '),
                _ => {}
            }
            let mut events = Vec::new();
            self.filter_inline(event, offset, &mut events);
            if let Some(heading) = self.heading.as_mut() {
                heading
                    .events
                    .extend(events.into_iter().map(Event::into_static));
            }
            return;
        }
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => self.start_heading(level, id, classes),
            Event::End(TagEnd::Heading(_)) => self.end_heading(out),
            Event::Start(Tag::CodeBlock(kind)) => {
                self.seen_block = true;
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => self.end_code(out),
            Event::Text(text) if self.code.is_some() => {
                if let Some((_, code)) = self.code.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                self.seen_block = true;
                let (class, title) = alert_name(kind);
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"alert alert-{class}\" role=\"note\">\n<p class=\"alert-title\">{title}</p>\n"
                ))));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => {
                out.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            Event::Start(Tag::Table(_)) => {
                self.seen_block = true;
                out.push(Event::Html(CowStr::Borrowed("<div class=\"table-wrap\">")));
                out.push(event);
            }
            Event::End(TagEnd::Table) => {
                out.push(event);
                out.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            Event::Start(Tag::Paragraph) => {
                if self.pass.outline
                    && self.paragraph.is_none()
                    && self.out.first_paragraph.is_none()
                    && !self.in_status_section()
                {
                    self.paragraph = Some(String::new());
                }
                self.seen_block = true;
                out.push(event);
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(text) = self.paragraph.take()
                    && !text.trim().is_empty()
                    && !is_record_metadata(&text)
                {
                    self.out.first_paragraph = Some(text.trim().to_string());
                }
                self.push_text("\n");
                out.push(event);
            }
            Event::Html(html)
                if html.trim_start().starts_with("<!--")
                    && html.contains("more")
                    && html.trim_end().ends_with("-->") =>
            {
                if self.out.summary.is_none() {
                    let text = self
                        .sections
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.out.summary = Some(collapse_whitespace(&text));
                }
                if !self.options.safe {
                    out.push(Event::Html(html));
                }
            }
            Event::Html(html) if self.options.safe => {
                self.seen_block = true;
                out.push(Event::Text(html));
            }
            // Footnote ids are `fn-` and `fnref-` ones, as GitHub's are (below `user-content-`):
            // pulldown-cmark's bare `id="1"` met headings and the theme's ids.
            Event::FootnoteReference(label) => {
                let (number, first) = self.footnote(&label, true);
                let id = if first {
                    // Links to it are checked as links to headings are.
                    let id = format!("fnref-{label}");
                    self.used_ids.insert(id.clone());
                    self.out.footnote_ids.push(id.into());
                    format!(" id=\"fnref-{}\"", escape_html(&label))
                } else {
                    String::new()
                };
                let href = escape_html(&fragment_href(&format!("fn-{label}")));
                out.push(Event::Html(CowStr::from(format!(
                    "<sup class=\"footnote-reference\"{id}><a href=\"{href}\">{number}</a></sup>"
                ))));
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                self.seen_block = true;
                let (number, _) = self.footnote(&label, false);
                let id = format!("fn-{label}");
                self.used_ids.insert(id.clone());
                self.out.footnote_ids.push(id.into());
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\" id=\"fn-{}\"><sup class=\"footnote-definition-label\">{number}</sup>",
                    escape_html(&label)
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                out.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            // A comment opening the file (Log4brains' `<!-- This file is the homepage… -->`)
            // is no block before the title.
            Event::Start(Tag::HtmlBlock) => out.push(event),
            Event::Html(html) => {
                let line = html.trim();
                if self.in_html_comment || line.starts_with("<!--") {
                    self.in_html_comment = !line.ends_with("-->");
                } else if !line.is_empty() {
                    self.seen_block = true;
                }
                out.push(Event::Html(html));
            }
            other => {
                if matches!(other, Event::Start(_)) {
                    self.seen_block = true;
                }
                self.filter_inline(other, offset, out);
            }
        }
    }

    /// Inline events: text is collected, links rewritten, raw HTML escaped in safe mode.
    fn filter_inline<'a>(&mut self, event: Event<'a>, offset: usize, out: &mut Vec<Event<'a>>) {
        match event {
            Event::Text(text) => {
                if self.pass.outline {
                    self.note_foreign_syntax(&text, offset);
                }
                if self.in_image == 0 {
                    self.push_text(&text);
                }
                out.push(Event::Text(text));
            }
            Event::Code(code) => {
                self.push_text(&code);
                out.push(Event::Code(code));
            }
            Event::SoftBreak | Event::HardBreak => {
                // A line break for `is_record_metadata`; excerpts collapse it to a space.
                self.push_text("\n");
                out.push(event);
            }
            Event::InlineHtml(html) if self.options.safe => out.push(Event::Text(html)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                // `<ann@example.org>`: written `mailto:` by pulldown-cmark, no path of the site.
                let dest_url = if link_type == pulldown_cmark::LinkType::Email {
                    self.pending_hints.push(None);
                    dest_url
                } else {
                    self.link(dest_url, offset, false)
                };
                if self.pending_hints.last().is_some_and(Option::is_some) {
                    // A class on the link itself, for browsers without `:has()`.
                    let title_attr = if title.is_empty() {
                        String::new()
                    } else {
                        format!(" title=\"{}\"", escape_html(&title))
                    };
                    out.push(Event::Html(CowStr::from(format!(
                        "<a href=\"{}\" class=\"link-superseded\"{title_attr}>",
                        escape_html(&dest_url)
                    ))));
                    return;
                }
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Link) => {
                let hint = self.pending_hints.pop().flatten();
                out.push(if hint.is_some() {
                    Event::Html(CowStr::Borrowed("</a>"))
                } else {
                    Event::End(TagEnd::Link)
                });
                if let Some(hint) = hint {
                    out.push(Event::Html(CowStr::from(format!(
                        "<span class=\"superseded-hint\" title=\"{}\">superseded</span>",
                        escape_html(&hint)
                    ))));
                }
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                self.in_image += 1;
                let dest_url = self.link(dest_url, offset, true);
                out.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Image) => {
                self.in_image = self.in_image.saturating_sub(1);
                out.push(event);
            }
            other => out.push(other),
        }
    }

    /// Footnote `label`'s number, and for a reference whether it is the first.
    fn footnote(&mut self, label: &str, reference: bool) -> (usize, bool) {
        let next = self.footnotes.len() + 1;
        let (number, referenced) = self
            .footnotes
            .entry(label.to_string())
            .or_insert((next, false));
        let first = reference && !*referenced;
        *referenced |= reference;
        (*number, first)
    }

    fn link<'a>(&mut self, dest: CowStr<'a>, offset: usize, is_image: bool) -> CowStr<'a> {
        let resolution = self.resolve(&dest);
        if self.pass.outline {
            let (line, col) = self.position(offset);
            self.out.links.push(LinkRef {
                written: dest.as_ref().into(),
                line,
                col,
                is_image,
                target: resolution.target,
                href: resolution.href.as_str().into(),
                superseded_hint: resolution.superseded_hint.as_deref().map(Box::from),
            });
        }
        if !is_image {
            self.pending_hints.push(resolution.superseded_hint);
        }
        if resolution.href == *dest {
            dest
        } else {
            CowStr::from(resolution.href)
        }
    }

    fn resolve(&mut self, dest: &str) -> Resolution {
        let seen = self.links_seen;
        self.links_seen += 1;
        match self.options.links {
            Links::Resolve(resolve) => resolve(dest),
            Links::Replay(links) => match links.get(seen).filter(|l| *l.written == *dest) {
                Some(link) => Resolution {
                    href: link.href.to_string(),
                    target: link.target.clone(),
                    superseded_hint: link.superseded_hint.as_deref().map(String::from),
                },
                // Not the text that was scanned: leave the link as written.
                None => Resolution {
                    href: dest.to_string(),
                    target: LinkTarget::Broken,
                    superseded_hint: None,
                },
            },
        }
    }

    fn note_foreign_syntax(&mut self, text: &str, offset: usize) {
        if self.out.foreign_syntax_line.is_some() {
            return;
        }
        let bytes = text.as_bytes();
        let mut seam = [self.text_tail[0], self.text_tail[1], 0, 0];
        for (slot, &b) in seam[2..].iter_mut().zip(bytes) {
            *slot = b;
        }
        if has_foreign_syntax(bytes) || has_foreign_syntax(&seam) {
            self.out.foreign_syntax_line = Some(self.position(offset).0);
        }
        self.text_tail = match bytes {
            [] => self.text_tail,
            [only] => [self.text_tail[1], *only],
            [.., a, b] => [*a, *b],
        };
    }

    /// Whether the text read now is under a decision record's `Status` heading, whose first
    /// paragraph ("Accepted") says nothing of what the record is about.
    fn in_status_section(&self) -> bool {
        self.sections.last().is_some_and(|section| {
            let key = section.heading.trim_end_matches(':').trim().to_lowercase();
            key == "status" || key.starts_with("status:")
        })
    }

    fn push_text(&mut self, text: &str) {
        // A heading's text is its section's title (`end_heading`), not the text around it:
        // pushed here, a leading title ran into the first paragraph ("tangouniform").
        if self.heading.is_some() {
            return;
        }
        if let Some(p) = self.paragraph.as_mut() {
            p.push_str(text);
        }
        self.count_words(text);
        if self.keep_section_text
            && let Some(section) = self.sections.last_mut()
        {
            section.text.push_str(text);
        }
    }

    /// Words count for the outline: a render alone, which only writes, skips them.
    fn count_words(&mut self, text: &str) {
        if self.pass.outline {
            self.words += count_words(text);
        }
    }

    fn start_heading(
        &mut self,
        level: HeadingLevel,
        id: Option<CowStr<'_>>,
        classes: Vec<CowStr<'_>>,
    ) {
        let is_leading_h1 = level == HeadingLevel::H1
            && !self.seen_block
            && self.out.leading_title.is_none()
            && !self.options.keep_leading_h1;
        self.seen_block = true;
        self.heading = Some(OpenHeading {
            level,
            id: id.map(|i| i.to_string()),
            classes: classes.into_iter().map(|c| c.to_string()).collect(),
            text: String::new(),
            written: String::new(),
            events: Vec::new(),
            is_leading_h1,
        });
    }

    fn end_heading<'a>(&mut self, out: &mut Vec<Event<'a>>) {
        let Some(heading) = self.heading.take() else {
            return;
        };
        let title = collapse_whitespace(&heading.text);
        self.count_words(&title);
        let id = self.unique_id(
            heading
                .id
                .as_deref()
                .unwrap_or(&heading_slug(&heading.written)),
        );
        if heading.is_leading_h1 {
            // The title leaves the body for the page's own heading; its id stays, as on GitHub,
            // for links to `#the-title` (tables of contents written there start with one).
            out.push(Event::Html(CowStr::from(format!(
                "<span id=\"{}\"></span>",
                escape_html(&id)
            ))));
            self.out.headings.push(Heading::new(1, &id, &title));
            self.out.leading_title = Some(title);
            return;
        }
        let level = heading.level as u8;
        let class = if heading.classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", escape_html(&heading.classes.join(" ")))
        };
        out.push(Event::Html(CowStr::from(format!(
            "<h{level} id=\"{}\"{class}>",
            escape_html(&id)
        ))));
        out.extend(heading.events);
        out.push(Event::Html(CowStr::from(format!(
            "<a class=\"anchor\" href=\"{}\" aria-label=\"Link to this section\">#</a></h{level}>\n",
            escape_html(&fragment_href(&id))
        ))));
        self.out.headings.push(Heading::new(level, &id, &title));
        self.sections.push(Section {
            anchor: Some(id),
            heading: title,
            text: String::new(),
        });
    }

    fn unique_id(&mut self, wanted: &str) -> String {
        let base = if wanted.is_empty() {
            "section".to_string()
        } else {
            wanted.to_string()
        };
        let mut id = base.clone();
        let mut n = 1;
        while !self.used_ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }

    fn end_code<'a>(&mut self, out: &mut Vec<Event<'a>>) {
        let Some((lang, code)) = self.code.take() else {
            return;
        };
        self.count_words(&code);
        let diagram = lang.eq_ignore_ascii_case("mermaid");
        self.out.has_diagrams |= diagram;
        if !self.pass.write {
            return;
        }
        self.code_text.push_str(&code);
        self.code_text.push('\n');
        if diagram {
            // Drawn in the browser (theme.js); the escaped source is what Mermaid reads, and
            // what shows without script.
            let html = format!("<pre class=\"mermaid\">{}</pre>\n", escape_html(&code));
            out.push(Event::Html(CowStr::from(html)));
            return;
        }
        let inner = if self.options.highlight && !lang.is_empty() {
            highlight::highlight(&code, &lang)
        } else {
            None
        };
        let inner = inner.unwrap_or_else(|| escape_html(&code));
        let mut html = String::with_capacity(inner.len() + 80);
        if lang.is_empty() {
            html.push_str("<pre class=\"code\"><code>");
        } else {
            let lang = escape_html(&lang);
            let _ = write!(
                html,
                "<pre class=\"code\" data-lang=\"{lang}\"><code class=\"language-{lang}\">"
            );
        }
        html.push_str(&inner);
        html.push_str("</code></pre>\n");
        out.push(Event::Html(CowStr::from(html)));
    }

    fn finish(mut self, html: String) -> Rendered {
        self.out.word_count = self.words;
        self.out.headings.shrink_to_fit();
        self.out.links.shrink_to_fit();
        Rendered {
            outline: self.out,
            body: Body {
                html,
                sections: self.sections,
                code_text: self.code_text,
            },
        }
    }
}

/// `{{<` and `{{%` (Hugo shortcodes) or `{%` (Zola, Jekyll) in text.
/// The start or end of a block that holds text but no paragraph of its own.
fn is_block_boundary(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => matches!(
            tag,
            Tag::Item
                | Tag::List(_)
                | Tag::Table(_)
                | Tag::TableHead
                | Tag::TableRow
                | Tag::TableCell
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::FootnoteDefinition(_)
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Item
                | TagEnd::List(_)
                | TagEnd::Table
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::FootnoteDefinition
        ),
        _ => false,
    }
}

/// `text` with GitHub's emoji shortcodes (`:warning:`, `:+1:`) as their emoji, each standing
/// apart from the letters around it; other words between colons (`10:30:00`, `std::io:x:`,
/// `a:b:c`, `:not-one:`) stay as written.
fn with_emoji(text: CowStr<'_>) -> CowStr<'_> {
    if memchr::memchr(b':', text.as_bytes()).is_none() {
        return text;
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::new();
    let (mut copied_to, mut at) = (0, 0);
    while let Some(colon) = text[at..].find(':').map(|i| at + i) {
        at = colon + 1;
        let after = &text[at..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')))
            .unwrap_or(after.len());
        let apart = len > 0
            && after[len..].starts_with(':')
            && !is_word(text[..colon].chars().next_back())
            && !is_word(after[len + 1..].chars().next());
        let Some(emoji) = apart
            .then(|| emojis::get_by_shortcode(&after[..len]))
            .flatten()
        else {
            continue;
        };
        // A bare URL (`http://example.com/:smile:/`) stays as written, as GitHub keeps it.
        let word = text[..colon].rsplit(char::is_whitespace).next();
        if word.is_some_and(|word| word.contains("://")) {
            continue;
        }
        out.push_str(&text[copied_to..colon]);
        out.push_str(emoji.as_str());
        copied_to = colon + len + 2;
        at = copied_to;
    }
    if copied_to == 0 {
        return text;
    }
    out.push_str(&text[copied_to..]);
    CowStr::from(out)
}

/// A GitHub alert's (`> [!NOTE]`) class and title, as GitHub shows them: a titled box, not
/// a quotation.
fn alert_name(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

fn has_foreign_syntax(text: &[u8]) -> bool {
    // One search for `{`: `memmem::find` builds a searcher per call, which profiling of a
    // scan showed costing more than the search itself on these short runs of text.
    memchr::memchr_iter(b'{', text)
        .any(|at| matches!(text[at + 1..], [b'%', ..] | [b'{', b'<', ..]))
}

/// `text.split_whitespace().count()`, without decoding characters when the text is ASCII (most
/// text is; counting words was a tenth of scanning a page).
fn count_words(text: &str) -> usize {
    // One pass with a running in-space flag and a check for non-ASCII bytes on the way: text
    // arrives in short runs (a line, 78 bytes on average), too short for a pairwise pass plus
    // an `is_ascii` pass to pay off; this one counts 2.4 times as fast on such runs.
    let mut after_space = true;
    let mut words = 0;
    let mut high_bits = 0u8;
    for &b in text.as_bytes() {
        // The ASCII characters `char::is_whitespace` accepts: space, and tab to carriage return.
        let space = (b == b' ') | (b.wrapping_sub(b'\t') < 5);
        words += usize::from(after_space & !space);
        after_space = space;
        high_bits |= b;
    }
    if high_bits >= 0x80 {
        return text.split_whitespace().count();
    }
    words
}

/// `#id` as a link: the characters a URL's fragment may not hold as they are (controls, space,
/// `"`, `<`, `>`, `` ` ``, and `#`) percent-encoded. Browsers decode it to find the id.
pub fn fragment_href(id: &str) -> String {
    const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'#')
        .add(b'%');
    format!("#{}", percent_encoding::utf8_percent_encode(id, FRAGMENT))
}

fn insert_toc(siblings: &mut Vec<TocEntry>, entry: TocEntry) {
    match siblings.last_mut() {
        Some(last) if last.level < entry.level => insert_toc(&mut last.children, entry),
        _ => siblings.push(entry),
    }
}

pub fn collapse_whitespace(text: &str) -> String {
    // One pass into one buffer (collecting the words first and joining them cost 3% of a
    // build when the search index's section text came through here).
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Shortens plain text to about `max` characters at a word boundary.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(max).collect();
    }
    out.trim_end_matches([',', ';', ':', '.', '-']).to_string() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(href: &str) -> Resolution {
        let target = if href.starts_with("http") {
            LinkTarget::External
        } else {
            LinkTarget::Broken
        };
        Resolution {
            href: href.to_string(),
            target,
            superseded_hint: None,
        }
    }

    fn render_plain(body: &str) -> Rendered {
        let options = RenderOptions {
            keep_leading_h1: false,
            safe: false,
            smart_punctuation: true,
            emoji: true,
            highlight: true,
            links: Links::Resolve(&keep),
        };
        Rendered {
            outline: scan(body, 1, &options),
            body: render(body, 1, &options),
        }
    }

    #[test]
    fn whitespace_collapses_to_single_spaces() {
        assert_eq!(collapse_whitespace("  a\t\tb \n c\u{a0}d  "), "a b c d");
        assert_eq!(collapse_whitespace(" \n\t "), "");
        assert_eq!(collapse_whitespace("word"), "word");
    }

    #[test]
    fn heading_ids_are_githubs() {
        for (heading, id) in [
            (
                "Upgrade & Migration Strategy (optional)",
                "upgrade--migration-strategy-optional",
            ),
            ("Pull Request(s)", "pull-requests"),
            ("8.1 Meta", "81-meta"),
            ("snake_case and kebab-case", "snake_case-and-kebab-case"),
            ("Привет non-latin 你好", "привет-non-latin-你好"),
            ("😄 emoji", "-emoji"),
            ("Straße", "straße"),
        ] {
            assert_eq!(heading_slug(heading), id, "{heading}");
        }
        let r = render_plain(
            "# ADR 65: Custom *event* indexing\n\nText.\n\n## ADR 65: Custom event indexing\n\n## A & `B`\n",
        );
        assert!(
            r.body
                .html
                .starts_with("<span id=\"adr-65-custom-event-indexing\"></span>"),
            "the title's id stays: {}",
            r.body.html
        );
        assert!(
            r.body
                .html
                .contains("id=\"adr-65-custom-event-indexing-1\"")
        );
        assert!(r.body.html.contains("id=\"a--b\""));
        let outline = &r.outline;
        assert!(outline.has_id("adr-65-custom-event-indexing") && outline.has_id("a--b"));
    }

    #[test]
    fn a_heading_is_its_sections_title_not_text_around_it() {
        let r = render_plain("# Sierra tango\n\nUniform victor.\n\n## Mike\n\nNovember.\n");
        let texts: Vec<&str> = r.body.sections.iter().map(|s| s.text.trim()).collect();
        assert_eq!(texts, ["Uniform victor.", "November."]);
        assert_eq!(r.body.sections[1].heading, "Mike");
        assert_eq!(r.outline.word_count, 6, "each word once");
    }

    #[test]
    fn a_records_metadata_and_status_are_not_its_excerpt() {
        let nygard = "# 3. Use PostgreSQL\n\nDate: 2024-02-01\n\n## Status\n\nAccepted\n\n## Context\n\nJSON support.\n";
        let r = render_plain(nygard);
        assert_eq!(r.outline.first_paragraph.as_deref(), Some("JSON support."));
        let bullets = "**Status:** accepted\n**Deciders:** Ann, Bo\n\nWe chose.\n";
        assert_eq!(
            render_plain(bullets).outline.first_paragraph.as_deref(),
            Some("We chose.")
        );
        for post in ["TL;DR: use Postgres.\n\nMore.\n", "Update: moved.\n"] {
            let first = render_plain(post).outline.first_paragraph.unwrap();
            assert!(post.starts_with(&first), "{first}");
        }
    }

    #[test]
    fn inline_markdown_becomes_plain_text() {
        for (markdown, plain) in [
            ("Use *Rust* for `core` & tools", "Use Rust for core & tools"),
            ("\\#Requires Additions", "#Requires Additions"),
            (
                "**Accepted** ([\\#1484](https://x.org/1484))",
                "Accepted (#1484)",
            ),
            ("Use Vec<T> for lists", "Use Vec<T> for lists"),
            ("AT&amp;T ~~old~~", "AT&T old"),
            ("plain words", "plain words"),
        ] {
            assert_eq!(plain_inline(markdown), plain, "{markdown}");
        }
    }

    #[test]
    fn headings_get_unique_ids_anchors_and_toc() {
        let r = render_plain(
            "# Title\n\nIntro text.\n\n## Setup\n\n### Step\n\n## Setup\n\n## Custom {#mine}\n",
        );
        assert_eq!(r.outline.leading_title.as_deref(), Some("Title"));
        assert!(
            !r.body.html.contains("<h1"),
            "leading h1 is the page title: {}",
            r.body.html
        );
        assert!(
            r.body
                .html
                .contains("<h2 id=\"setup\">Setup<a class=\"anchor\" href=\"#setup\"")
        );
        assert!(r.body.html.contains("id=\"setup-1\""));
        assert!(r.body.html.contains("id=\"mine\""));
        assert_eq!(r.outline.toc().len(), 3);
        assert_eq!(r.outline.toc()[0].children[0].id, "step");
        assert_eq!(r.outline.first_paragraph.as_deref(), Some("Intro text."));
    }

    #[test]
    fn gfm_extensions() {
        let r = render_plain(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ and [^1]\n\n- [x] done\n\n[^1]: note\n",
        );
        assert!(r.body.html.contains("<div class=\"table-wrap\"><table>"));
        assert!(r.body.html.contains("<del>old</del>"));
        assert!(r.body.html.contains("type=\"checkbox\""));
        assert!(r.body.html.contains("footnote-definition"));
    }

    #[test]
    fn footnote_and_fragment_ids_meet_no_heading_and_are_valid_urls() {
        let r = render_plain(
            "## 1\n\nA[^1] and b[^note] and a[^1].\n\n## Odd `id` {#local-`x`-list}\n\n[^1]: one\n[^note]: two\n",
        );
        let html = &r.body.html;
        assert!(html.contains("<h2 id=\"1\">"), "{html}");
        assert!(
            html.contains(
                "<sup class=\"footnote-reference\" id=\"fnref-1\"><a href=\"#fn-1\">1</a></sup>"
            ),
            "{html}"
        );
        assert!(html.contains("<sup class=\"footnote-reference\" id=\"fnref-note\"><a href=\"#fn-note\">2</a></sup>"), "{html}");
        // A second reference links too, without taking the id again.
        assert!(
            html.contains("a<sup class=\"footnote-reference\"><a href=\"#fn-1\">1</a></sup>."),
            "{html}"
        );
        assert!(html.contains("<div class=\"footnote-definition\" id=\"fn-1\"><sup class=\"footnote-definition-label\">1</sup>"), "{html}");
        assert!(html.contains("<div class=\"footnote-definition\" id=\"fn-note\"><sup class=\"footnote-definition-label\">2</sup>"), "{html}");
        assert!(html.contains("id=\"local-`x`-list\""), "{html}");
        assert!(html.contains("href=\"#local-%60x%60-list\""), "{html}");
        assert_eq!(r.outline.toc()[1].href, "#local-%60x%60-list");
    }

    #[test]
    fn github_alerts_are_titled_boxes() {
        let r = render_plain(
            "> [!NOTE]\n>\n> Useful.\n\n> [!warning]\n> Careful.\n\n> [!TIP] inline\n",
        );
        let html = &r.body.html;
        assert!(html.contains("<div class=\"alert alert-note\" role=\"note\">\n<p class=\"alert-title\">Note</p>\n<p>Useful.</p>\n</div>"), "{html}");
        assert!(
            html.contains("<p class=\"alert-title\">Warning</p>\n<p>Careful.</p>"),
            "{html}"
        );
        // As on GitHub, the marker must be alone on its line.
        assert!(
            html.contains("<blockquote>\n<p>[!TIP] inline</p>"),
            "{html}"
        );
        assert_eq!(r.outline.first_paragraph.as_deref(), Some("Useful."));
    }

    #[test]
    fn mermaid_blocks_are_left_for_the_browser_to_draw() {
        let r = render_plain("```mermaid\nflowchart LR\n  a --> b[\"<x>\"]\n```\n");
        assert_eq!(
            r.body.html,
            "<pre class=\"mermaid\">flowchart LR\n  a --&gt; b[&quot;&lt;x&gt;&quot;]\n</pre>\n"
        );
        assert!(r.outline.has_diagrams);
        assert!(
            !render_plain("```rust\nfn main() {}\n```\n")
                .outline
                .has_diagrams
        );
    }

    #[test]
    fn heading_ids_keep_combining_marks_as_github_does() {
        // github-slugger 2.0's ids.
        assert_eq!(heading_slug("नमस्ते दुनिया"), "नमस्ते-दुनिया");
        assert_eq!(
            heading_slug("ক্লায়েন্ট লাইব্রেরি (Client library)"),
            "ক্লায়েন্ট-লাইব্রেরি-client-library"
        );
        assert_eq!(heading_slug("Cafe\u{301} ‿ tie"), "cafe\u{301}-‿-tie");
        assert_eq!(heading_slug("Upgrade & Migration"), "upgrade--migration");
    }

    #[test]
    fn emoji_shortcodes_are_github_s() {
        let r = render_plain(
            "## Launch :rocket:\n\n:warning: at 10:30:00, `:tada:`, :+1: :not_an_emoji: std::io:x:\n\n```\n:tada:\n```\n",
        );
        let html = &r.body.html;
        // GitHub makes the id from the shortcode as written (`#sparkles-features`).
        assert!(
            html.contains("<h2 id=\"launch-rocket\">Launch 🚀"),
            "{html}"
        );
        assert_eq!(r.outline.toc()[0].title, "Launch 🚀");
        assert!(
            html.contains("<p>⚠️ at 10:30:00, <code>:tada:</code>, 👍 :not_an_emoji: std::io:x:"),
            "{html}"
        );
        assert!(html.contains("<code>:tada:\n</code>"), "{html}");
        assert_eq!(with_emoji(CowStr::from("a:b:c")).as_ref(), "a:b:c");
        assert_eq!(
            with_emoji(CowStr::from("foo:a:bar (:x:)")).as_ref(),
            "foo:a:bar (❌)"
        );
        assert_eq!(
            with_emoji(CowStr::from("see http://example.com/:smile:/path :smile:")).as_ref(),
            "see http://example.com/:smile:/path 😄"
        );
    }

    #[test]
    fn words_of_list_items_and_table_cells_stay_apart() {
        let r = render_plain(
            "* applefirst\n* bananasecond\n\nMiddle para.\n\n| col | elderberry |\n|---|---|\n| figtree | x |\n\n* Option postgres\n  * Good, because reliable\n  * Bad, because heavy\n",
        );
        let text: String = r.body.sections.iter().map(|s| s.text.as_str()).collect();
        let words: Vec<&str> = text.split_whitespace().collect();
        for word in [
            "applefirst",
            "bananasecond",
            "Middle",
            "col",
            "elderberry",
            "figtree",
            "postgres",
            "Good,",
            "reliable",
            "Bad,",
            "heavy",
        ] {
            assert!(words.contains(&word), "{word} in {words:?}");
        }
    }

    #[test]
    fn code_is_highlighted_and_collected() {
        let r = render_plain("```rust\nfn main() {}\n```\n");
        assert!(
            r.body
                .html
                .contains("<pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust\">")
        );
        assert!(r.body.html.contains("hl-"));
        assert!(r.body.code_text.contains("fn main"));
    }

    #[test]
    fn safe_mode_escapes_raw_html() {
        let options = RenderOptions {
            keep_leading_h1: false,
            safe: true,
            smart_punctuation: false,
            emoji: true,
            highlight: false,
            links: Links::Resolve(&keep),
        };
        let r = render("<script>alert(1)</script>\n\nhi <b>x</b>\n", 1, &options);
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn links_are_rewritten_and_located() {
        let resolve = |href: &str| Resolution {
            href: href.replace("x.md", "/x/"),
            target: LinkTarget::Page {
                page: 3,
                fragment: None,
            },
            superseded_hint: Some("Superseded by ADR 9".into()),
        };
        let options = RenderOptions {
            keep_leading_h1: false,
            safe: false,
            smart_punctuation: false,
            emoji: true,
            highlight: false,
            links: Links::Resolve(&resolve),
        };
        let body = "Intro\n\nSee [x](x.md) now.\n";
        let r = render(body, 10, &options);
        assert!(r.html.contains("href=\"/x/\""));
        assert!(r.html.contains("class=\"superseded-hint\""));
        let outline = scan(body, 10, &options);
        assert_eq!((outline.links[0].line, outline.links[0].col), (12, 5));
    }

    #[test]
    fn foreign_template_syntax_is_recognised() {
        for (text, found) in [
            ("{{< ref >}}", true),
            ("a {% if %}", true),
            ("{{% note %}}", true),
            ("ends with {", false),
            ("{{", false),
            ("{ % {{ < {x}", false),
            ("", false),
        ] {
            assert_eq!(has_foreign_syntax(text.as_bytes()), found, "{text:?}");
        }
    }

    #[test]
    fn shortcodes_split_by_the_parser_are_noted_once() {
        let r = render_plain("Intro.\n\nSee {{< ref \"x.md\" >}} and {{% note %}}.\n");
        assert_eq!(r.outline.foreign_syntax_line, Some(3));
        assert!(
            r.body.html.contains("{{&lt; ref"),
            "left as text: {}",
            r.body.html
        );
        assert_eq!(
            render_plain("Plain {braces} < and %.\n")
                .outline
                .foreign_syntax_line,
            None
        );
    }

    #[test]
    fn more_marker_gives_summary() {
        let r = render_plain("First part.\n\n<!-- more -->\n\nRest.\n");
        assert_eq!(r.outline.summary.as_deref(), Some("First part."));
    }

    #[test]
    fn scan_finds_the_outline_and_replayed_links_give_the_same_html() {
        let body = "# T\n\nIntro [a](x.md) and ![i](p.png).\n\n## Part\n\nMore [b](https://e.org).\n\n<!-- more -->\n\n```rust\nfn f() {}\n```\n";
        let resolve = |href: &str| Resolution {
            href: format!("/r/{href}"),
            target: LinkTarget::Asset,
            superseded_hint: href.starts_with('x').then(|| "Superseded".to_string()),
        };
        let options = |links| RenderOptions {
            keep_leading_h1: false,
            safe: false,
            smart_punctuation: true,
            emoji: true,
            highlight: true,
            links,
        };
        let full = render(body, 3, &options(Links::Resolve(&resolve)));
        let outline = scan(body, 3, &options(Links::Resolve(&resolve)));
        assert_eq!(outline.links.len(), 3);
        assert_eq!(&*outline.links[0].href, "/r/x.md");
        assert_eq!(outline.toc()[0].id, "part");
        assert_eq!(outline.first_paragraph.as_deref(), Some("Intro a and ."));
        let replayed = render(body, 3, &options(Links::Replay(&outline.links)));
        assert_eq!(replayed.html, full.html);
        assert!(replayed.html.contains("href=\"/r/x.md\""));
        assert_eq!(replayed.sections, full.sections);
        assert_eq!(replayed.code_text, full.code_text);
    }

    #[test]
    fn one_pass_gives_the_scan_and_the_render() {
        let body = "# Title\n\nFirst [a](x.md), ![i](p.png), {{< ref y >}}.\n\n## Part\n\n\
                    More [b](https://e.org)\nover lines.\n\n<!-- more -->\n\n```rust\nfn f() {}\n```\n";
        let resolve = |href: &str| Resolution {
            href: format!("/r/{href}"),
            target: LinkTarget::Asset,
            superseded_hint: href.starts_with('x').then(|| "Superseded".to_string()),
        };
        let options = RenderOptions {
            keep_leading_h1: false,
            safe: false,
            smart_punctuation: true,
            emoji: true,
            highlight: true,
            links: Links::Resolve(&resolve),
        };
        let both = render_outlined(body, 5, &options);
        let outline = scan(body, 5, &options);
        assert_eq!(both.outline, outline);
        assert_eq!(outline.links[2].line, 11, "positions are the file's");
        assert_eq!(outline.foreign_syntax_line, Some(7));
        assert!(outline.word_count > 10 && outline.summary.is_some());
        let body_only = render(body, 5, &options);
        assert_eq!(both.body.html, body_only.html);
        assert_eq!(both.body.sections, body_only.sections);
        assert_eq!(both.body.code_text, body_only.code_text);
        assert!(both.body.html.contains("class=\"link-superseded\""));
    }

    #[test]
    fn words_are_counted_as_split_whitespace_counts_them() {
        for text in [
            "",
            " ",
            "one",
            " two  words\t",
            "a\x0bb\x0cc\rd\ne",
            "\x08a\x0eb\x1fc",
            "x\u{a0}y",
            "é è",
            "word",
            "  lead",
            "trail  ",
            "a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9",
        ] {
            assert_eq!(
                count_words(text),
                text.split_whitespace().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_words("one two three", 8), "one two…");
        assert_eq!(truncate_words("short", 8), "short");
    }
}
