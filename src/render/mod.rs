//! Rendering: the site through the theme into a `Sink` that takes every file the site consists of.
//! Pages render in parallel; every list is in a stable order, so output is byte-identical per input.

mod context;
mod feed;
pub mod graph;
mod relative;
pub mod spill;

use crate::document::Kind;
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use crate::markdown::Body;
use crate::output::{OutputSet, Sink};
use crate::site::Site;
use crate::theme::Theme;
use context::Contexts;
use rayon::prelude::*;
use std::collections::HashSet;

pub use context::status_label;

/// Page `i` rendered alone: for `lore serve`'s first answer to an edit, and each page of the
/// page pass.
pub struct PageAlone {
    pub output: String,
    pub bytes: Vec<u8>,
    pub search: crate::search::PageIndex,
    /// Its Markdown as HTML, when asked for (what feeds show).
    pub html: Option<String>,
}

/// Renders page `i` alone (`None` for a page without output).
pub fn render_page(
    site: &Site,
    theme: &Theme,
    analyzer: &crate::search::Analyzer,
    i: usize,
) -> BuildResult<Option<PageAlone>> {
    render_alone(
        site,
        theme,
        &Contexts::new(site, theme),
        analyzer,
        i,
        None,
        false,
    )
}

/// Page `i`'s Markdown (highlighting code) and its search entries unless `prepared` holds
/// them already, and its template; the Markdown's HTML kept too with `keep_html`.
fn render_alone(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    analyzer: &crate::search::Analyzer,
    i: usize,
    prepared: Option<Prepared>,
    keep_html: bool,
) -> BuildResult<Option<PageAlone>> {
    let page = &site.pages[i];
    let Some(output) = &page.output else {
        return Ok(None);
    };
    let (content, search) = match prepared {
        Some(prepared) => (
            prepared.html.take().map_err(BuildError::one)?,
            prepared.search,
        ),
        None => {
            let mut body = site.try_body(i)?;
            let search = crate::search::index_page(&search_doc(page, &body), analyzer);
            (std::mem::take(&mut body.html), search)
        }
    };
    let (bytes, html) = page_bytes(site, theme, contexts, i, output, content, keep_html)?;
    Ok(Some(PageAlone {
        output: output.clone(),
        bytes,
        search,
        html,
    }))
}

/// Bytes the default theme writes around a page's content (6-7 KB), with room to spare.
const PAGE_CHROME: usize = 10 * 1024;
/// Bytes of a typical list page (20 cards): 20-40 KB.
const LIST_BYTES: usize = 48 * 1024;

/// Page `i`'s file at `output`: its template filled with `content` (its Markdown as HTML), URLs
/// made relative; and with `keep_content`, `content` back. Tera 2 keeps strings in its own
/// buffers, so the context holds a copy; giving it back is another, made only when asked.
fn page_bytes(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    i: usize,
    output: &str,
    content: String,
    keep_content: bool,
) -> BuildResult<(Vec<u8>, Option<String>)> {
    let path = site.pages[i].doc.source.path.as_path();
    // Named as the user names it (`content/posts/x.md`), as other messages name files.
    let source = Some(path.strip_prefix(&site.config.root).unwrap_or(path));
    let size_hint = content.len() + PAGE_CHROME;
    let mut context = contexts.page(i, content);
    let html = theme.render(&page_template(site, i), &context, source, size_hint)?;
    let content = keep_content.then(|| Contexts::take_content(&mut context));
    Ok((relative_html(site, output, html), content))
}

/// What rendering one page leaves for the rest of the site: its search entries, and its feed
/// entry when a feed shows it.
#[derive(Default)]
struct PageLeftovers {
    /// Shared already, on the page's thread: made after the page pass, one after the other,
    /// 100,000 pages' took 30 ms of one core while the other waited.
    search: Option<std::sync::Arc<crate::search::PageIndex>>,
    feed_entry: Option<String>,
}

/// Renders page `i` into `out`. Only what [`PageLeftovers`] holds outlives the call.
fn render_one_page(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    search: &crate::search::Analyzer,
    feed_pages: &HashSet<usize>,
    (i, prepared): (usize, Option<Prepared>),
    out: &Sink,
) -> BuildResult<PageLeftovers> {
    let in_feeds = feed_pages.contains(&i);
    let Some(alone) = render_alone(site, theme, contexts, search, i, prepared, in_feeds)? else {
        return Ok(PageLeftovers::default());
    };
    out.insert_page(alone.output, alone.bytes);
    Ok(PageLeftovers {
        search: Some(std::sync::Arc::new(alone.search)),
        feed_entry: alone.html.map(|html| feed::entry(site, i, &html)),
    })
}

/// Renders the whole site into memory.
pub fn render_to_memory(site: &Site, theme: &Theme) -> BuildResult<OutputSet> {
    Ok(render_into(site, theme, Sink::memory())?.0)
}

/// Renders the whole site into `sink`: what it kept, and every page's search entries.
pub fn render_into(
    site: &Site,
    theme: &Theme,
    sink: Sink,
) -> BuildResult<(OutputSet, crate::search::PageEntries)> {
    let search = render_site(site, theme, &sink, SearchEntries::Keep, Vec::new())?;
    Ok((sink.finish()?, search))
}

/// Whether [`render_site`] keeps what indexing needs once the index is written: the pages'
/// search entries (returned) and each thread's word tables.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SearchEntries {
    /// For `lore serve`, which re-indexes an edited page and writes the index again from them.
    Keep,
    /// For `lore build`: both let go, the tables before the index is written, the entries
    /// once it is; the index and the lists are written side by side.
    Drop,
    /// For `lore build` of a large site: as `Drop`, but the index is written first and its
    /// entries let go before the lists' summaries are made, so the two are never held at once
    /// (100,000 pages: some 400 MB each).
    DropBeforeLists,
}

/// Renders every file of the site into `out`, pages in parallel, each handed over as soon as
/// it is rendered. `prepared` holds, by page index, pages rendered and indexed already
/// ([`prepare`]); the page pass renders the others. Returns every page's search entries, or
/// none (see [`SearchEntries`]).
pub fn render_site(
    site: &Site,
    theme: &Theme,
    out: &Sink,
    entries_after: SearchEntries,
    mut prepared: Vec<Option<Prepared>>,
) -> BuildResult<crate::search::PageEntries> {
    let missing = missing_templates(site, theme);
    if !missing.is_empty() {
        return Err(BuildError::new(missing));
    }
    let mut contexts = Contexts::new(site, theme);
    let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
    let feeds = feed::Feeds::of(site);
    let feed_pages = feeds.pages();
    prepared.resize_with(site.pages.len(), || None);
    let rendered: Vec<BuildResult<PageLeftovers>> = crate::pipeline::timed("render pages", || {
        prepared
            .into_par_iter()
            .enumerate()
            .with_max_len(crate::pipeline::PAGES_PER_TASK)
            .map(|page| {
                if out.is_cancelled() {
                    return Err(BuildError::cancelled());
                }
                render_one_page(site, theme, &contexts, &analyzer, &feed_pages, page, out)
            })
            .collect()
    });
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    let mut diagnostics = Vec::new();
    let mut search_entries = Vec::with_capacity(site.pages.len());
    let mut feed_content = feed::FeedContent::new();
    // In page order (rayon keeps it), so reports and the index are the same on every run.
    for (i, result) in rendered.into_iter().enumerate() {
        match result {
            Ok(left) => {
                search_entries.push(left.search);
                if let Some(entry) = left.feed_entry {
                    feed_content.insert(i, entry);
                }
            }
            Err(err) => diagnostics.extend(err.diagnostics),
        }
    }
    if !diagnostics.is_empty() {
        return Err(BuildError::new(once_per_mistake(diagnostics)));
    }
    contexts.forget_links();
    if log::log_enabled!(log::Level::Debug) {
        log_entry_sizes(&search_entries);
    }
    if entries_after != SearchEntries::Keep {
        crate::pipeline::timed("release word tables", crate::search::release_thread_tables);
    }
    let write_index = || {
        crate::pipeline::timed("search index", || {
            let emit = |path: String, bytes: Vec<u8>| out.insert(format!("search/{path}"), bytes);
            let pages = crate::search::indexed_pages(&search_entries);
            crate::search::write_index_to(&pages, &analyzer, &emit);
        })
    };
    let lists =
        || crate::pipeline::timed("render lists", || render_lists(site, theme, &contexts, out));
    let listed = if entries_after == SearchEntries::DropBeforeLists {
        crate::pipeline::skip_huge_pages();
        write_index();
        drop_in_parallel(std::mem::take(&mut search_entries));
        lists()
    } else {
        // Side by side: the index's serial steps (sorting pages, its term list, the manifest)
        // left a core idle for some 60 ms of a 10k build; lists fill it.
        rayon::join(write_index, lists).1
    };
    listed?;
    if entries_after == SearchEntries::Drop {
        drop_in_parallel(std::mem::take(&mut search_entries));
    }
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    // Letting go of the lists' summaries took 20 ms of one core; the feeds need none of them.
    rayon::join(
        || contexts.forget_summaries(),
        || feed::render_feeds(site, &feeds, &feed_content, out),
    );
    crate::pipeline::return_freed_memory();
    // The Sitemap line must be a whole URL; crawlers look for /sitemap.xml without it.
    let sitemap_line = if site.config.has_absolute_base() {
        format!("Sitemap: {}\n", contexts.absolute("sitemap.xml"))
    } else {
        String::new()
    };
    out.insert(
        "robots.txt".into(),
        format!("User-agent: *\nAllow: /\n{sitemap_line}").into_bytes(),
    );
    out.insert(
        "opensearch.xml".into(),
        feed::opensearch(site, &contexts).into_bytes(),
    );
    let diagrams = site.pages.iter().any(|p| p.outline.has_diagrams);
    for (name, bytes) in &theme.assets {
        if diagrams || !name.starts_with(context::MERMAID_FILES) {
            out.insert(format!("assets/{name}"), bytes.clone());
        }
    }
    out.insert(
        "assets/highlight.css".into(),
        contexts.highlight_css.clone().into_bytes(),
    );
    for (path, rel) in &site.assets {
        out.insert_file(rel.clone(), path.clone());
    }
    // Aliases at any of these paths were left out as the site was assembled.
    let twice = out.paths_put_twice();
    let mut overwritten = pages_overwritten(site, &twice);
    overwritten.extend(sections_overwritten(site, &twice));
    overwritten.extend(files_overwritten(site, theme, &twice));
    if !overwritten.is_empty() {
        return Err(BuildError::new(overwritten));
    }
    out.insert(
        "sitemap.xml".into(),
        out.with_paths(|paths| feed::sitemap(site, paths))
            .into_bytes(),
    );
    Ok(search_entries)
}

/// One error for each mistake in a template, not one for each page it broke: a field missing
/// from `page.html` failed every post, and the copies buried any other error.
fn once_per_mistake(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const PAGE: &str = crate::theme::WHILE_RENDERING;
    let mut merged: Vec<(Diagnostic, usize)> = Vec::new();
    let mut seen: std::collections::HashMap<(String, String), usize> = Default::default();
    for diagnostic in diagnostics {
        let mistake = diagnostic.message.split(PAGE).next().unwrap_or_default();
        let key = (diagnostic.location.to_string(), mistake.to_string());
        match seen.get(&key) {
            Some(&first) => merged[first].1 += 1,
            None => {
                seen.insert(key, merged.len());
                merged.push((diagnostic, 0));
            }
        }
    }
    (merged.into_iter())
        .map(|(mut diagnostic, others)| {
            let page_named = diagnostic.message.contains(PAGE);
            if others > 0 && page_named && diagnostic.message.ends_with(')') {
                diagnostic.message.pop();
                let s = if others == 1 { "" } else { "s" };
                diagnostic
                    .message
                    .push_str(&format!(", and {others} other page{s})"));
            }
            diagnostic
        })
        .collect()
}

/// A page whose file another one replaced: a list, tag or search page Lore makes at the
/// same URL, or a static file or attachment at its path. Page against page is caught when
/// routing; these only show once everything is put.
fn pages_overwritten(site: &Site, twice: &[String]) -> Vec<Diagnostic> {
    if twice.is_empty() {
        return Vec::new();
    }
    let base = &site.config.base_path;
    site.pages
        .iter()
        .filter(|page| {
            // A section's introduction has no file of its own: its list's is at its URL.
            let output = page.output.clone().or_else(|| {
                let path = page.url.strip_prefix(base.as_str())?;
                Some(format!("{path}index.html"))
            });
            output.is_some_and(|output| twice.binary_search(&output).is_ok())
        })
        .map(|page| {
            Diagnostic::error(
                Location::file(&page.doc.source.path),
                format!(
                    "this page's URL {} is also where Lore writes another file (a list, tag or search page, or a static file), which would replace it",
                    page.url
                ),
            )
            .with_help("give the page another `slug:` or move it; a section's own text goes in its `_index.md`")
        })
        .collect()
}

/// A static file (or a file beside a page) at the path of a file Lore makes, a feed, a list or
/// the search index, which one of them would replace. A theme's assets and robots.txt may be
/// replaced so: that is how a site changes them, as in Hugo and Zola. A page in the way is
/// [`pages_overwritten`]'s.
fn files_overwritten(site: &Site, theme: &Theme, twice: &[String]) -> Vec<Diagnostic> {
    let made_later = |rel: &str| rel == "sitemap.xml";
    if twice.is_empty() && !site.assets.iter().any(|(_, rel)| made_later(rel)) {
        return Vec::new();
    }
    let pages: HashSet<&str> = site
        .pages
        .iter()
        .filter_map(|p| p.output.as_deref())
        .collect();
    let may_replace = |rel: &str| {
        let theme_asset = rel
            .strip_prefix("assets/")
            .is_some_and(|name| theme.assets.contains_key(name) || name == "highlight.css");
        theme_asset || rel == "robots.txt" || pages.contains(rel)
    };
    (site.assets.iter())
        .filter(|(_, rel)| !may_replace(rel) && (made_later(rel) || twice.binary_search(rel).is_ok()))
        .map(|(path, rel)| {
            Diagnostic::error(
                Location::file(path),
                format!("this file would replace /{rel}, which Lore makes (a feed, list, sitemap or search file)"),
            )
            .with_help("rename or move the file; to change what Lore makes there, override its template")
        })
        .collect()
}

/// A folder whose section list is at the URL of a list Lore makes (`content/tags/` against
/// the tag index, `content/search/` against the search page): one replaced the other.
fn sections_overwritten(site: &Site, twice: &[String]) -> Vec<Diagnostic> {
    let base = &site.config.base_path;
    (site.sections.iter().skip(1))
        .filter(|section| {
            let list = section.url.strip_prefix(base.as_str()).map(|path| format!("{path}index.html"));
            list.is_some_and(|list| twice.binary_search(&list).is_ok())
        })
        .map(|section| {
            let first = section.index_page.or_else(|| section.pages.first().copied());
            let place = first.map_or_else(
                || Location::file(site.config.content_dir.join(&section.folder)),
                |i| Location::file(&site.pages[i].doc.source.path),
            );
            Diagnostic::error(
                place,
                format!(
                    "the folder `{}` makes a list at {}, where Lore writes another list (tags, search, the decision log)",
                    section.folder, section.url
                ),
            )
            .with_help(format!(
                "rename the folder `{}` (its pages' URLs start with its name)",
                section.folder
            ))
        })
        .collect()
}

/// The search index alone: paths under `search/` and their bytes. A build makes it while
/// rendering pages; this renders every page's Markdown again, for tests.
pub fn search_index(site: &Site) -> Vec<(String, Vec<u8>)> {
    search_index_from(site, &page_bodies(site))
}

/// Every listed page's rendered body (`None` for pages without output), as the page pass makes
/// them: for timing the search index apart from Markdown (`tests/bench/search.rs`).
pub fn page_bodies(site: &Site) -> Vec<Option<crate::markdown::Body>> {
    (0..site.pages.len())
        .into_par_iter()
        .map(|i| site.pages[i].is_listed().then(|| site.body(i)))
        .collect()
}

/// The search index from bodies [`page_bodies`] made: what indexing adds to a build (every
/// page indexed in parallel, then written).
pub fn search_index_from(
    site: &Site,
    bodies: &[Option<crate::markdown::Body>],
) -> Vec<(String, Vec<u8>)> {
    let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
    let pages: Vec<crate::search::PageIndex> = bodies
        .par_iter()
        .enumerate()
        .filter_map(|(i, body)| Some((i, body.as_ref()?)))
        .map(|(i, body)| crate::search::index_page(&search_doc(&site.pages[i], body), &analyzer))
        .collect();
    let refs: Vec<&crate::search::PageIndex> = pages.iter().collect();
    crate::search::write_index(&refs, &analyzer)
}

/// The letters a record's file name puts before its number (`RFC` of `RFC0045-x.md`).
fn id_prefix(path: &std::path::Path) -> Option<&str> {
    let stem = path.file_stem()?.to_str()?;
    let letters = stem.split(|c: char| !c.is_ascii_alphabetic()).next()?;
    let numbered = stem[letters.len()..]
        .trim_start_matches(['-', '_'])
        .starts_with(|c: char| c.is_ascii_digit());
    (!letters.is_empty() && letters.len() <= 8 && numbered).then_some(letters)
}

/// The page's text as search indexes it, borrowed from the page and its rendered body.
fn search_doc<'a>(page: &'a crate::site::Page, body: &'a Body) -> crate::search::SearchDoc<'a> {
    let label = page.adr_label();
    search_doc_of(&page.doc, &page.url, label, &page.excerpt, body)
}

/// [`search_doc`] of a page's parts, as assembly has them.
fn search_doc_of<'a>(
    doc: &'a crate::document::Document,
    url: &'a str,
    adr_label: Option<String>,
    excerpt: &'a str,
    body: &'a Body,
) -> crate::search::SearchDoc<'a> {
    let adr = doc.adr.as_ref();
    let mut tags: Vec<&str> = doc.meta.tags.iter().map(String::as_str).collect();
    tags.extend(adr.iter().flat_map(|a| a.tags.iter().map(String::as_str)));
    crate::search::SearchDoc {
        url,
        title: &doc.title,
        kind: doc.kind.as_str(),
        status: adr.map(|a| a.status.as_deref().unwrap_or("unknown")),
        label: adr_label.map(Into::into),
        number: adr.and_then(|a| a.number),
        id_prefix: adr.and_then(|_| id_prefix(&doc.source.path)),
        date: doc.date.as_ref().map(|d| d.day.to_string().into()),
        tags,
        deciders: adr
            .map(|a| a.deciders.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        excerpt,
        sections: body
            .sections
            .iter()
            .map(|s| crate::search::SearchSection {
                anchor: s.anchor.as_deref(),
                heading: &s.heading,
                text: &s.text,
            })
            .collect(),
        code: &body.code_text,
    }
}

/// What the page pass needs of a page [`crate::site::assemble_rendered`] rendered: its HTML
/// and its search entries. The rest of its body (text per section, code) goes at once.
pub struct Prepared {
    html: PreparedHtml,
    search: crate::search::PageIndex,
}

/// A prepared page's HTML: in memory, or in a large site's [`spill::Spill`].
enum PreparedHtml {
    Held(String),
    Spilled(spill::Spilled),
}

impl PreparedHtml {
    fn take(self) -> Result<String, Diagnostic> {
        match self {
            PreparedHtml::Held(html) => Ok(html),
            PreparedHtml::Spilled(spilled) => spilled.read(),
        }
    }
}

/// Keeps of `page` what [`Prepared`] holds, indexing it for search; its HTML goes to `spill`
/// when there is one.
pub fn prepare(
    page: crate::site::RenderedPage<'_>,
    analyzer: &crate::search::Analyzer,
    spill: Option<&std::sync::Arc<spill::Spill>>,
) -> Result<Prepared, Diagnostic> {
    let body = page.body;
    let doc = search_doc_of(page.doc, page.url, page.adr_label, page.excerpt, &body);
    let search = crate::search::index_page(&doc, analyzer);
    let html = match spill {
        Some(spill) => PreparedHtml::Spilled(spill.put(&body.html)?),
        None => PreparedHtml::Held(body.html),
    };
    Ok(Prepared { html, search })
}

/// Lets go of `entries` on every core: on one, 100,000 pages' (320 MB) took 60 ms.
fn drop_in_parallel(entries: crate::search::PageEntries) {
    entries
        .into_par_iter()
        .with_min_len(crate::pipeline::PAGES_PER_TASK)
        .for_each(drop);
}

/// What the pages' search entries hold (`-v`).
fn log_entry_sizes(search_entries: &crate::search::PageEntries) {
    let mut sizes = [0usize; 3];
    for page in search_entries.iter().flatten() {
        sizes
            .iter_mut()
            .zip(page.heap_parts())
            .for_each(|(s, b)| *s += b);
    }
    let [entries, aliases, rest] = sizes;
    log::debug!(
        "search entries: {} MB (terms {} MB, aliases {} MB, records {} MB)",
        (entries + aliases + rest) >> 20,
        entries >> 20,
        aliases >> 20,
        rest >> 20
    );
}

/// Pages whose `template:` names no template of the theme, each located at that line.
fn missing_templates(site: &Site, theme: &Theme) -> Vec<Diagnostic> {
    site.pages
        .iter()
        .filter(|page| page.output.is_some())
        .filter_map(|page| {
            let name = page.doc.meta.template.as_deref()?;
            if theme.has_template(name) {
                return None;
            }
            let path = &page.doc.source.path;
            let at = crate::error::locate_text(path, "template");
            Some(
                Diagnostic::error(at, format!("there is no template `{name}`"))
                    .with_help(format!("create templates/{name} (it can `{{% extends \"lore/page.html\" %}}`), or remove this line to use page.html")),
            )
        })
        .collect()
}

/// What `lore build` would find wrong with the templates, found without building: a template a
/// page names that does not exist, then each template rendered once, for the first page or
/// list that uses it (a field a template reads that its context lacks fails only then).
pub fn template_problems(site: &Site, theme: &Theme) -> Vec<Diagnostic> {
    let missing = missing_templates(site, theme);
    if !missing.is_empty() {
        return missing;
    }
    let contexts = Contexts::new(site, theme);
    let mut tried = HashSet::new();
    let mut problems = Vec::new();
    for (i, page) in site.pages.iter().enumerate() {
        let Some(output) = &page.output else { continue };
        if tried.insert(page_template(site, i)) {
            let rendered = page_bytes(site, theme, &contexts, i, output, site.body(i).html, false);
            problems.extend(rendered.err().map(|e| e.diagnostics).unwrap_or_default());
        }
    }
    let mut kinds_tried = HashSet::new();
    for (path, list) in lists(site, theme, &contexts) {
        if kinds_tried.insert(std::mem::discriminant(&list)) {
            let rendered = render_list(site, theme, &contexts, &path, list);
            problems.extend(rendered.err().map(|e| e.diagnostics).unwrap_or_default());
        }
    }
    problems
}

fn page_template(site: &Site, i: usize) -> String {
    let page = &site.pages[i];
    if let Some(template) = &page.doc.meta.template {
        return template.clone();
    }
    match page.doc.kind {
        Kind::Adr => "adr.html".into(),
        _ => "page.html".into(),
    }
}

/// A file of the site made from a list template (or a page-less one: search, 404).
#[derive(Debug, Clone, Copy)]
enum List {
    Home,
    AdrLog,
    TagIndex,
    /// Tag, and list page number from 1.
    Tag(usize, usize),
    /// Section, and list page number from 1.
    Section(usize, usize),
    Search,
    NotFound,
    /// A page's redirect from its earlier URL: the page, and which of its aliases.
    Alias(usize, usize),
}

/// Every list file of the site with its output path.
fn lists(site: &Site, theme: &Theme, contexts: &Contexts<'_>) -> Vec<(String, List)> {
    let mut all = vec![("index.html".to_string(), List::Home)];
    if site.holds_adrs() {
        all.push(("adr/index.html".to_string(), List::AdrLog));
    }
    if !site.tags.is_empty() {
        all.push(("tags/index.html".to_string(), List::TagIndex));
    }
    for t in 0..site.tags.len() {
        for (n, path) in contexts.tag_page_paths(t).into_iter().enumerate() {
            all.push((path, List::Tag(t, n + 1)));
        }
    }
    // The posts list is the first section; a decision log read without lore.yaml has none.
    let first = usize::from(!site.holds_posts());
    for s in first..site.sections.len() {
        for (n, path) in contexts.section_page_paths(s).into_iter().enumerate() {
            all.push((path, List::Section(s, n + 1)));
        }
    }
    if theme.has_template("search.html") {
        all.push(("search/index.html".to_string(), List::Search));
    }
    all.push(("404.html".to_string(), List::NotFound));
    for (i, page) in site.pages.iter().enumerate() {
        let aliases = page.aliases.iter().enumerate();
        all.extend(aliases.map(|(n, alias)| (alias.output.clone(), List::Alias(i, n))));
    }
    all
}

fn render_list(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    path: &str,
    list: List,
) -> BuildResult<Vec<u8>> {
    let (template, context) = match list {
        List::Home => ("index.html", contexts.home()),
        List::AdrLog => ("adr_log.html", contexts.adr_log()),
        List::TagIndex => ("tags.html", contexts.tag_index()),
        List::Tag(t, n) => ("tag.html", contexts.tag(t, n)),
        List::Section(s, n) => ("section.html", contexts.section_page(s, n)),
        List::Search => ("search.html", contexts.plain("Search", "search/")),
        List::NotFound => ("404.html", contexts.plain("Page not found", "404.html")),
        List::Alias(i, n) => ("alias.html", contexts.alias(i, &site.pages[i].aliases[n])),
    };
    let html = theme.render(template, &context, None, LIST_BYTES)?;
    Ok(relative_html(site, path, html))
}

/// Renders every list in parallel. A broken list template fails every list that uses it;
/// only the first failure (in list order) is reported.
fn render_lists(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    out: &Sink,
) -> BuildResult<()> {
    let failures: Vec<BuildError> = lists(site, theme, contexts)
        .into_par_iter()
        .with_max_len(crate::pipeline::PAGES_PER_TASK)
        .filter_map(|(path, list)| {
            if out.is_cancelled() {
                return Some(BuildError::cancelled());
            }
            match render_list(site, theme, contexts, &path, list) {
                Ok(bytes) => {
                    out.insert(path, bytes);
                    None
                }
                Err(err) => Some(err),
            }
        })
        .collect();
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    match failures.into_iter().next() {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// What one output path of the site is made from, for [`OnDemand`].
enum Source {
    Page(usize),
    List(List),
    ThemeAsset(String),
    HighlightCss,
    SiteFile(std::path::PathBuf),
}

/// Renders single files of a site by output path, without rendering the rest: `lore serve`
/// answers its first requests with it while the whole site renders. Files made from the whole
/// site at once (search index, feeds, sitemap) are not offered.
pub struct OnDemand<'a> {
    site: &'a Site,
    theme: &'a Theme,
    contexts: Contexts<'a>,
    sources: std::collections::HashMap<String, Source>,
}

impl<'a> OnDemand<'a> {
    pub fn new(site: &'a Site, theme: &'a Theme) -> OnDemand<'a> {
        let contexts = Contexts::new(site, theme);
        let mut sources = std::collections::HashMap::new();
        for (i, page) in site.pages.iter().enumerate() {
            if let Some(output) = &page.output {
                sources.insert(output.clone(), Source::Page(i));
            }
        }
        for (path, list) in lists(site, theme, &contexts) {
            sources.insert(path, Source::List(list));
        }
        for name in theme.assets.keys() {
            sources.insert(format!("assets/{name}"), Source::ThemeAsset(name.clone()));
        }
        sources.insert("assets/highlight.css".into(), Source::HighlightCss);
        for (path, rel) in &site.assets {
            sources.insert(rel.clone(), Source::SiteFile(path.clone()));
        }
        OnDemand {
            site,
            theme,
            contexts,
            sources,
        }
    }

    /// The bytes the full build writes at `path`, or `None` for a path not offered.
    pub fn render(&self, path: &str) -> Option<BuildResult<Vec<u8>>> {
        let (site, theme, contexts) = (self.site, self.theme, &self.contexts);
        Some(match self.sources.get(path)? {
            Source::Page(i) => {
                page_bytes(site, theme, contexts, *i, path, site.body(*i).html, false)
                    .map(|(bytes, _)| bytes)
            }
            Source::List(list) => render_list(site, theme, contexts, path, *list),
            Source::ThemeAsset(name) => Ok(theme.assets[name].clone()),
            Source::HighlightCss => Ok(contexts.highlight_css.clone().into_bytes()),
            Source::SiteFile(file) => std::fs::read(file)
                .map_err(|e| BuildError::one(crate::error::io_diagnostic(file, "read", &e))),
        })
    }
}

/// A rendered page's bytes, with site URLs relative to its own folder so the site also works
/// from `file://`. Not `404.html`: servers return it for missing pages at any depth.
fn relative_html(site: &Site, output_path: &str, html: String) -> Vec<u8> {
    if output_path == "404.html" {
        return html.into_bytes();
    }
    let depth = relative::depth(output_path);
    relative::relative_urls(&html, &site.config.base_path, depth).into_bytes()
}
