//! The site: every page with its URL, the decision graph with inverses derived, tags, sections,
//! backlinks. Built from parsed documents in one pass; immutable afterwards.

use crate::adr::record::{AdrRecord, RelationKind, RelationTarget};
use crate::config::{SiteConfig, normalise_path};
use crate::discover::Role;
use crate::document::{Document, INTRO_STEMS, Kind, naming_path, strip_date_prefix};
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use crate::markdown::{self, Body, LinkTarget, Links, Outline, RenderOptions, Resolution};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Page {
    pub doc: Document,
    /// With the base path: `/kb/posts/x/`.
    pub url: String,
    /// Where its HTML goes, relative to the output root; `None` for pages shown inside another
    /// (the home intro and the decision log's introduction).
    pub output: Option<String>,
    /// What lists, backlinks and checks need of its Markdown; the HTML is made when the page
    /// is rendered ([`Site::body`]), or with the outline ([`assemble_rendered`]).
    pub outline: Outline,
    pub excerpt: String,
    /// For decisions: the identity, `package/stem`.
    pub adr_id: Option<String>,
    /// Index into `Site::sections` for docs and posts.
    pub section: Option<usize>,
    /// Its Markdown was let go ([`assemble_rendered`]) and is read from its file again if
    /// asked for.
    pub body_released: bool,
    /// Earlier URLs that redirect to it (`aliases:`).
    pub aliases: Vec<Alias>,
}

/// A redirect from an earlier URL of a page (`aliases:`), a small HTML file at that URL, as
/// Hugo and Zola write them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// As the front matter wrote it, for messages.
    pub written: String,
    /// With the base path: `/kb/old/`, or `/kb/old.html` for an alias ending in `.html`.
    pub url: String,
    /// Relative to the output root: `old/index.html`, `old.html`.
    pub output: String,
}

impl Page {
    pub fn is_listed(&self) -> bool {
        self.output.is_some()
    }

    pub fn adr(&self) -> Option<&AdrRecord> {
        self.doc.adr.as_deref()
    }

    /// Front-matter tags, then those an ADR dialect found in the body, each once (first
    /// spelling wins; `Rust` and `rust` are one tag).
    pub fn tag_names(&self) -> Vec<String> {
        let tags = self.tags_with_slugs().into_iter();
        tags.map(|(name, _)| name.to_string()).collect()
    }

    /// [`Page::tag_names`], each with its slug.
    pub fn tags_with_slugs(&self) -> Vec<(&str, String)> {
        let mut seen = BTreeSet::new();
        tags_of(&self.doc)
            .filter_map(|t| {
                let slug = tag_slug(t);
                seen.insert(slug.clone()).then_some((t.as_str(), slug))
            })
            .collect()
    }

    /// "ADR 12", or the id for records without a number.
    pub fn adr_label(&self) -> Option<String> {
        Some(adr_label(self.adr()?, self.adr_id.as_deref()))
    }
}

fn adr_label(adr: &AdrRecord, adr_id: Option<&str>) -> String {
    match adr.number {
        Some(n) => format!("ADR {n}"),
        None => adr_id.unwrap_or_default().to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    pub url: String,
    /// The `_index.md` page, if the folder has one.
    pub index_page: Option<usize>,
    pub pages: Vec<usize>,
    /// Folder relative to the content folder; "posts" for the posts list.
    pub folder: String,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    pub pages: Vec<usize>,
}

/// A resolved relation between two decisions, stated in `from`'s file or derived as an inverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: usize,
    pub kind: RelationKind,
    pub to: usize,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub config: SiteConfig,
    pub pages: Vec<Page>,
    pub sections: Vec<Section>,
    pub tags: Vec<Tag>,
    /// All relations, both directions, sorted (by `from` first) and without duplicates.
    pub edges: Vec<Edge>,
    /// Relations whose target is not a decision of this site: (page, kind, target as written).
    pub dangling: Vec<(usize, RelationKind, String)>,
    /// Relations whose target is the decision that states them, left out of `edges`.
    pub to_itself: Vec<(usize, RelationKind, String)>,
    /// The verb a "relates to" edge `(from, to)` was written with, when it says more
    /// (adr-tools' `adr new -l "5:Clarifies:Clarified by"`).
    pub verbs: HashMap<(usize, usize), String>,
    pub backlinks: Vec<Vec<usize>>,
    pub home: Option<usize>,
    pub adr_intro: Option<usize>,
    pub assets: Vec<(PathBuf, String)>,
    pub warnings: Vec<Diagnostic>,
    /// What the pages' links were resolved against.
    pub links: LinkIndex,
}

impl Site {
    /// Whether the site has a posts list (`/posts/`): it has posts (or their introduction).
    pub fn holds_posts(&self) -> bool {
        holds_posts(self.pages.iter().map(|p| &p.doc))
    }

    /// Whether the site has a decision log (`/adr/`): it has decisions, or an introduction to
    /// them.
    pub fn holds_adrs(&self) -> bool {
        holds_adrs(self.pages.iter().map(|p| &p.doc))
    }

    pub fn adrs(&self) -> impl Iterator<Item = (usize, &Page)> {
        self.pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.doc.kind == Kind::Adr && p.is_listed())
    }

    /// The relations stated from `page` (see [`edges_from`]).
    pub fn edges_from(&self, page: usize) -> &[Edge] {
        edges_from(&self.edges, page)
    }

    pub fn relations_of(&self, page: usize, kind: RelationKind) -> Vec<usize> {
        self.edges_from(page)
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.to)
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_path, path)
    }

    /// Page `i`'s HTML and text: its Markdown rendered, code highlighted, links as its outline
    /// resolved them. Made when the page is written, not kept: it is most of a site's memory.
    /// Pages whose Markdown was let go ([`assemble_rendered`]) are read again through
    /// [`Site::try_body`]; here reading one again could only fail into an empty body.
    /// (Pages [`assemble_rendered`] rendered are not rendered again: their body comes with it.)
    pub fn body(&self, i: usize) -> Body {
        self.try_body(i).unwrap_or_default()
    }

    /// [`Site::body`], its Markdown read from its file again if it was let go.
    pub fn try_body(&self, i: usize) -> BuildResult<Body> {
        let page = &self.pages[i];
        let options = markdown_options(&self.config, &page.doc, Links::Replay(&page.outline.links));
        let render = |markdown: &str| markdown::render(markdown, page.doc.body_line, &options);
        if page.body_released {
            let markdown = page.doc.read_body_again().map_err(BuildError::one)?;
            return Ok(render(&markdown));
        }
        Ok(render(&page.doc.body))
    }
}

fn markdown_options<'a>(
    config: &SiteConfig,
    doc: &Document,
    links: Links<'a>,
) -> RenderOptions<'a> {
    RenderOptions {
        keep_leading_h1: doc.adr.as_ref().is_some_and(|a| a.leading_h1_is_section),
        safe: config.markdown.safe,
        smart_punctuation: config.markdown.smart_punctuation,
        emoji: config.markdown.emoji,
        highlight: config.markdown.highlight,
        links,
    }
}

fn scan_markdown(config: &SiteConfig, lookup: &Lookup<'_>, i: usize, doc: &Document) -> Outline {
    let resolve = |href: &str| lookup.resolve(i, href);
    let options = markdown_options(config, doc, Links::Resolve(&resolve));
    markdown::scan(&doc.body, doc.body_line, &options)
}

/// Page `i`'s outline and body from `markdown`, taken out of its document.
fn render_markdown(
    config: &SiteConfig,
    lookup: &Lookup<'_>,
    i: usize,
    doc: &Document,
    markdown: &str,
) -> markdown::Rendered {
    let resolve = |href: &str| lookup.resolve(i, href);
    let options = markdown_options(config, doc, Links::Resolve(&resolve));
    markdown::render_outlined(markdown, doc.body_line, &options)
}

/// Takes the Markdown of posts and decisions out of their documents, so that each goes as soon
/// as its page is rendered ([`assemble_rendered`]): only the page pass shows them, from what
/// was kept of the body rendered here. Other pages keep theirs: lists render home, section and
/// decision log introductions again. Held to the end of assembly beside the rendered bodies,
/// the Markdown of a 10,000-page site was some 80 MB of its peak.
fn take_rendered_markdown(docs: &mut [Document]) -> Vec<Option<std::sync::Arc<str>>> {
    docs.iter_mut()
        .map(|doc| {
            let only_its_page = matches!(doc.source.role, Role::Post | Role::Adr { .. });
            only_its_page.then(|| std::mem::replace(&mut doc.body, std::sync::Arc::from("")))
        })
        .collect()
}

/// Gives page `i` a new version of its document whose front matter, title, date and decision
/// record are unchanged, rendering its Markdown against the rest of the site as it is. This is
/// `lore serve`'s first answer to an edit; what the edit changes on other pages (backlinks,
/// excerpts in lists, search) waits for the full rebuild that follows. `None` when the change
/// is more than that.
pub fn replace_body(site: &mut Site, i: usize, doc: Document) -> Option<()> {
    let old = &site.pages.get(i)?.doc;
    let same_shape = old.source.path == doc.source.path
        && old.meta == doc.meta
        && old.title == doc.title
        && old.date == doc.date
        && old.adr == doc.adr;
    if !same_shape {
        return None;
    }
    // Paths, URLs, tags and decisions are as they were: the site's link index still holds.
    let mut outline = {
        let mut docs: Vec<&Document> = site.pages.iter().map(|p| &p.doc).collect();
        docs[i] = &doc;
        let lookup = Lookup {
            config: &site.config,
            docs,
            index: &site.links,
        };
        scan_markdown(&site.config, &lookup, i, &doc)
    };
    let page = &mut site.pages[i];
    page.excerpt = excerpt_of(&doc, &mut outline);
    page.outline = outline;
    page.doc = doc;
    Some(())
}

/// Assembles the site from documents (in discovery order) and assets.
/// `cancelled` is asked while Markdown renders; when it says yes, assembly stops with
/// [`BuildError::cancelled`] (`lore serve` has newer changes to build).
pub fn assemble(
    config: SiteConfig,
    docs: Vec<Document>,
    assets: Vec<(PathBuf, String)>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> BuildResult<Site> {
    let finish: Option<&(dyn Fn(RenderedPage<'_>) + Sync)> = None;
    Ok(assemble_with(config, docs, assets, cancelled, finish)?.0)
}

/// A post or decision as [`assemble_rendered`] renders it, before the site around it exists.
pub struct RenderedPage<'a> {
    pub doc: &'a Document,
    pub url: &'a str,
    /// "ADR 12", or the id for records without a number.
    pub adr_label: Option<String>,
    pub excerpt: &'a str,
    pub body: Body,
}

/// [`assemble`], rendering the Markdown of posts and decisions to their [`Body`] on the way
/// instead of only scanning it, for `lore build`, which renders each page once: `finish` keeps
/// of each what the page pass needs (in page order; `None` for other pages, which lists and
/// feeds render again).
pub fn assemble_rendered<T: Send>(
    config: SiteConfig,
    docs: Vec<Document>,
    assets: Vec<(PathBuf, String)>,
    finish: &(dyn Fn(RenderedPage<'_>) -> T + Sync),
) -> BuildResult<(Site, Vec<Option<T>>)> {
    assemble_with(config, docs, assets, &|| false, Some(finish))
}

fn assemble_with<T: Send>(
    config: SiteConfig,
    docs: Vec<Document>,
    assets: Vec<(PathBuf, String)>,
    cancelled: &(dyn Fn() -> bool + Sync),
    finish: Option<&(dyn Fn(RenderedPage<'_>) -> T + Sync)>,
) -> BuildResult<(Site, Vec<Option<T>>)> {
    let docs: Vec<Document> = docs
        .into_iter()
        .filter(|d| config.drafts || !d.meta.draft)
        .collect();
    let mut docs: Vec<Document> = docs
        .into_iter()
        .filter(|d| !d.adr.as_ref().is_some_and(|a| a.is_template))
        .collect();
    let routes = route_all(&config, &docs)?;
    let (aliases, unwritable) = resolve_aliases(&config, &docs, &routes)?;
    let adr_ids: Vec<Option<String>> = docs.iter().map(|d| adr_id(&config, d)).collect();
    let released = match finish {
        Some(_) => take_rendered_markdown(&mut docs),
        None => vec![None; docs.len()],
    };
    let body_released: Vec<bool> = released.iter().map(Option::is_some).collect();
    let assets = beside_their_bundles(&docs, &routes, assets);
    let mut links = LinkIndex::new(&config, &docs, &routes, &adr_ids, &assets);
    links.add_aliases(&aliases);
    let lookup = Lookup {
        config: &config,
        docs: docs.iter().collect(),
        index: &links,
    };
    let Relations {
        edges,
        verbs,
        dangling,
        to_itself,
    } = resolve_relations(&docs, &lookup);
    links.hints = superseded_hints(&docs, &adr_ids, &edges);
    let lookup = Lookup {
        config: &config,
        docs: docs.iter().collect(),
        index: &links,
    };
    // A file changed since it was read: the build stops, naming it.
    let reread_errors = std::sync::Mutex::new(Vec::new());
    // Excerpts too, in parallel: made after the scan, one page after the other, they were
    // 20 ms of one core on a 10k site.
    let (outlines, finished): (Vec<(Outline, String)>, Vec<Option<T>>) = docs
        .par_iter()
        .zip(released)
        .with_max_len(crate::pipeline::PAGES_PER_TASK)
        .enumerate()
        .map(|(i, (doc, released))| {
            if cancelled() {
                return ((Outline::default(), String::new()), None);
            }
            let (Some(taken), Some(finish)) = (released, finish) else {
                let mut outline = scan_markdown(&config, &lookup, i, doc);
                let excerpt = excerpt_of(doc, &mut outline);
                return ((outline, excerpt), None);
            };
            // Read again if the read let it go (large builds: `pipeline::read_documents_once`).
            let read_again;
            let markdown: &str = match doc.body_dropped.then(|| doc.read_body_again()) {
                Some(Ok(text)) => {
                    read_again = text;
                    &read_again
                }
                Some(Err(changed)) => {
                    (reread_errors.lock().unwrap_or_else(|e| e.into_inner())).push(changed);
                    ""
                }
                None => &taken,
            };
            let rendered = render_markdown(&config, &lookup, i, doc, markdown);
            let mut outline = rendered.outline;
            let excerpt = excerpt_of(doc, &mut outline);
            let page = RenderedPage {
                doc,
                url: &routes[i].0,
                adr_label: doc
                    .adr
                    .as_ref()
                    .map(|adr| adr_label(adr, adr_ids[i].as_deref())),
                excerpt: &excerpt,
                body: rendered.body,
            };
            let finished = finish(page);
            ((outline, excerpt), Some(finished))
        })
        .unzip();
    if cancelled() {
        return Err(BuildError::cancelled());
    }
    let reread_errors = reread_errors
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if !reread_errors.is_empty() {
        return Err(BuildError::new(reread_errors));
    }
    // In parallel: 100,000 pages are 110 MB of new memory, first written by whoever builds them.
    let mut pages: Vec<Page> = docs
        .into_par_iter()
        .zip(outlines)
        .zip(routes)
        .zip(adr_ids)
        .zip(body_released)
        .zip(aliases)
        .map(
            |(((((doc, (outline, excerpt)), (url, output)), adr_id), body_released), aliases)| {
                Page {
                    doc,
                    url,
                    output,
                    outline,
                    excerpt,
                    adr_id,
                    section: None,
                    body_released,
                    aliases,
                }
            },
        )
        .collect();
    let (sections, intro_warnings) = build_sections(&config, &mut pages);
    let mut alias_warnings = unwritable;
    alias_warnings.extend(settle_aliases(&config, &sections, &assets, &mut pages));
    let tags = build_tags(&pages);
    let backlinks = build_backlinks(&pages);
    let home = pages.iter().position(|p| {
        p.doc.source.rel == "_index.md"
            || (config.zero_config
                && p.doc.source.rel.eq_ignore_ascii_case("index.md")
                && p.output.is_none())
    });
    let (adr_intro, adr_intro_warnings) = choose_adr_intro(&pages);
    let mut warnings: Vec<Diagnostic> = pages.iter().flat_map(|p| p.doc.warnings.clone()).collect();
    warnings.extend(foreign_syntax_warnings(&pages));
    warnings.extend(intro_warnings);
    warnings.extend(adr_intro_warnings);
    warnings.extend(alias_warnings);
    let site = Site {
        config,
        pages,
        sections,
        tags,
        edges,
        dangling,
        to_itself,
        verbs,
        backlinks,
        home,
        adr_intro,
        assets,
        warnings,
        links,
    };
    Ok((site, finished))
}

/// The page's excerpt. Takes the outline's summary and first paragraph, which nothing else
/// needs (100,000 pages: some 50 MB).
fn excerpt_of(doc: &Document, outline: &mut Outline) -> String {
    let summary = outline.summary.take();
    let first_paragraph = outline.first_paragraph.take();
    let text = doc
        .meta
        .excerpt
        .clone()
        .or(summary)
        .or(first_paragraph)
        .unwrap_or_default();
    markdown::truncate_words(&markdown::collapse_whitespace(&text), 160)
}

fn foreign_syntax_warnings(pages: &[Page]) -> Vec<Diagnostic> {
    pages
        .iter()
        .filter_map(|p| {
            let line = p.outline.foreign_syntax_line?;
            Some(
                Diagnostic::warning(Location::at(&p.doc.source.path, line, 1), "template syntax of another generator (a Hugo shortcode or similar) is shown as text")
                    .with_help("replace it with Markdown, or ignore this warning if the text is meant to be shown"),
            )
        })
        .collect()
}

/// URL and output path of every document; two documents claiming one URL is an error.
fn route_all(config: &SiteConfig, docs: &[Document]) -> BuildResult<Vec<(String, Option<String>)>> {
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut routes = Vec::with_capacity(docs.len());
    // Routed in parallel, claimed in order (which page keeps a URL must not depend on timing).
    let paths: Vec<(String, bool)> = docs.par_iter().map(|doc| route(config, doc)).collect();
    let intro_used = nested_intros_used(docs, &paths);
    for (i, (doc, (path, emits))) in docs.iter().zip(paths).enumerate() {
        let url = format!("{}{}", config.base_path, path);
        // A folder's README.md beside its index.md (one for GitHub, one for a site) is no
        // clash: the one preferred is the folder's page, as for top folders.
        let emits = emits && intro_used.get(&path).is_none_or(|&used| used == i);
        if emits {
            if let Some(&other) = claimed.get(&path) {
                errors.push(
                    Diagnostic::error(
                        Location::file(&doc.source.path),
                        format!(
                            "this page has the same URL /{path} as {}",
                            shown(config, &docs[other].source.path)
                        ),
                    )
                    .with_help(
                        "give one of them another `slug:` in its front matter, or rename the file",
                    ),
                );
            } else {
                claimed.insert(path.clone(), i);
            }
        }
        let output = emits.then(|| format!("{path}index.html"));
        routes.push((url, output));
    }
    if errors.is_empty() {
        Ok(routes)
    } else {
        Err(BuildError::new(errors))
    }
}

/// Each document's aliases: site-absolute ones (`/old/`, with or without the base path, as
/// links are read) below the base path, others in the folder of the page's URL (`old` on
/// `/posts/new/` is `/posts/old/`), as Hugo reads them. One that cannot be a path on the site
/// is an error; which of the others are written is [`settle_aliases`]'s to say.
fn resolve_aliases(
    config: &SiteConfig,
    docs: &[Document],
    routes: &[(String, Option<String>)],
) -> BuildResult<(Vec<Vec<Alias>>, Vec<Diagnostic>)> {
    let mut all = vec![Vec::new(); docs.len()];
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let help =
        "write a path of this site the page had before, e.g. `/old/path/` or `/2019/05/name.html`";
    for (i, doc) in docs.iter().enumerate() {
        for written in &doc.meta.aliases {
            let at = || alias_location(doc, written);
            match alias_of(config, &routes[i].0, written) {
                Ok(alias) => all[i].push(alias),
                Err(AliasProblem::Unusable(problem)) => errors.push(
                    Diagnostic::error(at(), format!("alias `{written}` {problem}")).with_help(help),
                ),
                // OpenTelemetry's `/docs/workshop/*`: a rule for its host, not a page.
                Err(AliasProblem::NoFileName) => warnings.push(
                    Diagnostic::warning(at(), format!("alias `{written}` holds a character no file name may hold on every system (`\\ < > \" | *` or a control character), so it is left out"))
                        .with_help("a wildcard redirect is a rule for the host (Netlify's _redirects, say); remove it here"),
                ),
            }
        }
    }
    if errors.is_empty() {
        Ok((all, warnings))
    } else {
        Err(BuildError::new(errors))
    }
}

/// Why an alias is not written: a mistake, or a character no file name may hold.
enum AliasProblem {
    Unusable(&'static str),
    NoFileName,
}

/// Where `written` is in `doc`'s file, else its `aliases` key (a quoted `\\` reads as `\`).
fn alias_location(doc: &Document, written: &str) -> Location {
    let at = crate::error::locate_text(&doc.source.path, written);
    if at.line.is_some() {
        return at;
    }
    crate::error::locate_text(&doc.source.path, "aliases")
}

/// Leaves out, with a warning naming what is there, each alias at a path that is taken: its
/// own page's URL, another page's, a file Lore writes (a list and its pages, anything under
/// `tags/`, `search/` or `assets/`, a feed, the sitemap), a static file or a page bundle's
/// file, or a folder of one of those (`/atom.xml` as `atom.xml/index.html`), or an alias of
/// an earlier page (translations of a Hugo site repeat their original's aliases, which Hugo
/// writes once per language). What is there stays; the first page to name an alias keeps it.
fn settle_aliases(
    config: &SiteConfig,
    sections: &[Section],
    assets: &[(PathBuf, String)],
    pages: &mut [Page],
) -> Vec<Diagnostic> {
    if pages.iter().all(|p| p.aliases.is_empty()) {
        return Vec::new();
    }
    let taken = taken_paths(config, sections, assets, pages);
    let what_is_at = |output: &str| -> Option<String> {
        let below = [
            ("tags/", "tag pages"),
            ("search/", "the search page"),
            ("assets/", "the theme's files"),
        ];
        if let Some((_, what)) = below.iter().find(|(folder, _)| output.starts_with(folder)) {
            return Some(format!("where Lore writes {what}"));
        }
        // The output itself, or a folder of it that is a file (`atom.xml/index.html`).
        let mut ends = output
            .match_indices('/')
            .map(|(i, _)| i)
            .chain([output.len()]);
        ends.find_map(|end| taken.get(&output[..end]).cloned())
    };
    let mut claimed: HashMap<String, PathBuf> = HashMap::new();
    let mut warnings = Vec::new();
    for page in pages.iter_mut() {
        let (doc, own_url) = (&page.doc, &page.url);
        let mut kept = Vec::new();
        for alias in std::mem::take(&mut page.aliases) {
            let what = if &alias.url == own_url {
                Some("this page's own URL".to_string())
            } else if let Some(what) = what_is_at(&alias.output) {
                Some(what)
            } else if let Some(other) = claimed.get(&alias.output) {
                if other == &doc.source.path {
                    continue; // the same alias twice in one page
                }
                Some(format!("also an alias of {}", shown(config, other)))
            } else {
                None
            };
            match what {
                Some(what) => warnings.push(
                    Diagnostic::warning(
                        alias_location(doc, &alias.written),
                        format!("alias `{}` is {what}, so it is left out", alias.written),
                    )
                    .with_help("remove the alias"),
                ),
                None => {
                    claimed.insert(alias.output.clone(), doc.source.path.clone());
                    kept.push(alias);
                }
            }
        }
        page.aliases = kept;
    }
    warnings
}

/// Every path the site writes a file to but an alias's, with what is there in a message's words.
fn taken_paths(
    config: &SiteConfig,
    sections: &[Section],
    assets: &[(PathBuf, String)],
    pages: &[Page],
) -> HashMap<String, String> {
    let base = config.base_path.as_str();
    let mut taken: HashMap<String, String> = HashMap::new();
    for page in pages {
        if let Some(output) = &page.output {
            let what = format!("the URL of {}", shown(config, &page.doc.source.path));
            taken.insert(output.clone(), what);
        }
    }
    for section in sections {
        let path = section.url.strip_prefix(base).unwrap_or(&section.url);
        let what = match section.index_page {
            Some(i) => format!("the URL of {}", shown(config, &pages[i].doc.source.path)),
            None => format!("where Lore writes the list of {}", section.url),
        };
        taken.insert(format!("{path}index.html"), what.clone());
        for n in 2..=section.pages.len().div_ceil(config.paginate) {
            taken.insert(format!("{path}page/{n}/index.html"), what.clone());
        }
    }
    let made = [
        ("index.html", "the home page"),
        ("adr/index.html", "the decision log"),
        ("404.html", "the page for missing pages"),
        ("atom.xml", "the feed"),
        ("sitemap.xml", "the sitemap"),
        ("robots.txt", "robots.txt"),
        ("opensearch.xml", "the search description"),
    ];
    for (path, what) in made {
        taken.insert(path.into(), format!("where Lore writes {what}"));
    }
    for (path, rel) in assets {
        taken.insert(rel.clone(), format!("the URL of {}", shown(config, path)));
    }
    taken
}

/// The alias `written` on the page at `page_url`, or what is wrong with it.
fn alias_of(config: &SiteConfig, page_url: &str, written: &str) -> Result<Alias, AliasProblem> {
    use AliasProblem::Unusable;
    let scheme = written.split_once(':').map(|(scheme, _)| scheme);
    let has_scheme = scheme.is_some_and(|s| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme || written.starts_with("//") {
        return Err(Unusable(
            "is a whole URL; a redirect can be written only on this site, at a path",
        ));
    }
    if written.contains(['?', '#']) {
        return Err(Unusable(
            "has a query or a fragment, which no file can be named after",
        ));
    }
    let decoded = percent_encoding::percent_decode_str(written)
        .decode_utf8()
        .map_err(|_| Unusable("is not UTF-8 once its %-escapes are decoded"))?;
    if decoded.contains(['\\', '<', '>', '"', '|', '*']) || decoded.chars().any(char::is_control) {
        return Err(AliasProblem::NoFileName);
    }
    let base = config.base_path.as_str();
    let below_base = match decoded.strip_prefix('/') {
        Some(rest) => decoded.strip_prefix(base).unwrap_or(rest).to_string(),
        None => {
            let page_path = page_url.strip_prefix(base).unwrap_or(page_url);
            let folder = page_path.trim_end_matches('/').rsplit_once('/');
            format!("{}/{decoded}", folder.map_or("", |(folder, _)| folder))
        }
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in below_base.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments
                    .pop()
                    .ok_or(Unusable("climbs above the site's root"))?;
            }
            segment => segments.push(segment),
        }
    }
    let path = segments.join("/");
    if path.is_empty() {
        return Err(Unusable("is the site's root, where the home page is"));
    }
    let lower = path.to_ascii_lowercase();
    let (url, output) = if lower.ends_with(".html") || lower.ends_with(".htm") {
        (path.clone(), path)
    } else {
        (format!("{path}/"), format!("{path}/index.html"))
    };
    Ok(Alias {
        written: written.to_string(),
        url: format!("{base}{url}"),
        output,
    })
}

/// Per URL of a folder below a top folder: the introduction (`_index.md`, `index.md`,
/// `README.md`, preferred in that order) that is its page.
fn nested_intros_used(docs: &[Document], paths: &[(String, bool)]) -> HashMap<String, usize> {
    let rank = |i: usize| {
        let stem = Path::new(&docs[i].source.rel)
            .file_stem()
            .map(|s| s.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        INTRO_STEMS.iter().position(|s| *s == stem)
    };
    let mut used: HashMap<String, usize> = HashMap::new();
    for (i, (path, emits)) in paths.iter().enumerate() {
        let routed_by_folder = matches!(docs[i].source.role, Role::Doc | Role::Post);
        if !emits || !routed_by_folder || rank(i).is_none() {
            continue;
        }
        used.entry(path.clone())
            .and_modify(|u| {
                if rank(i) < rank(*u) {
                    *u = i;
                }
            })
            .or_insert(i);
    }
    used
}

/// A file as messages name it: below the site's folder, as the user sees it.
fn shown(config: &SiteConfig, path: &Path) -> String {
    relative(path, &config.root).display().to_string()
}

/// `path` below `base` when it is there: messages name files as the user sees them.
fn relative<'p>(path: &'p Path, base: &Path) -> &'p Path {
    path.strip_prefix(base).unwrap_or(path)
}

/// The path below the base path (ending in `/`), and whether the page gets its own output.
fn route(config: &SiteConfig, doc: &Document) -> (String, bool) {
    let path = &doc.source.path;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match doc.source.role {
        Role::Post => {
            let stem = (naming_path(&doc.source).file_stem())
                .map_or(stem, |s| s.to_string_lossy().into_owned());
            let slug = doc
                .meta
                .slug
                .clone()
                .unwrap_or_else(|| strip_date_prefix(&stem).to_string());
            (format!("posts/{}/", slugify(&slug)), true)
        }
        Role::Adr { root } => (
            format!("adr/{}{}/", adr_prefix(config, root, path), slugify(&stem)),
            true,
        ),
        Role::AdrIntro { .. } => ("adr/".to_string(), false),
        Role::Doc => doc_route(doc, &stem),
    }
}

fn doc_route(doc: &Document, stem: &str) -> (String, bool) {
    let rel = Path::new(&doc.source.rel);
    let folders: Vec<String> = rel
        .parent()
        .map(|p| p.iter().map(|c| slugify(&c.to_string_lossy())).collect())
        .unwrap_or_default();
    let folder = if folders.is_empty() {
        String::new()
    } else {
        format!("{}/", folders.join("/"))
    };
    let is_index = INTRO_STEMS.contains(&stem.to_ascii_lowercase().as_str());
    if is_index && folders.len() <= 1 {
        // The root's index is the home page's introduction; a top folder's is shown by its
        // section's list. A folder's further down has no list of its own: it is the page at the
        // folder's URL, which its section lists.
        return (folder, false);
    }
    if is_index {
        return (folder, true);
    }
    let slug = doc.meta.slug.clone().unwrap_or_else(|| stem.to_string());
    (format!("{folder}{}/", slugify(&slug)), true)
}

/// With several ADR folders, each one's decisions live under its package or folder name.
fn adr_prefix(config: &SiteConfig, root: usize, path: &Path) -> String {
    let adr_root = &config.adr_roots[root];
    let mut prefix = String::new();
    for part in root_name(config, root).iter().flat_map(|n| n.split('/')) {
        prefix.push_str(&slugify(part));
        prefix.push('/');
    }
    if let Some(parent) = path
        .parent()
        .and_then(|p| p.strip_prefix(&adr_root.path).ok())
    {
        for part in parent.iter() {
            prefix.push_str(&slugify(&part.to_string_lossy()));
            prefix.push('/');
        }
    }
    prefix
}

/// The files of a page bundle (`posts/2026-01-05-launch/index.md` beside `shot.png`) go beside
/// its page, `/posts/launch/shot.png`, as in Hugo and Zola, not under the folder's own name.
fn beside_their_bundles(
    docs: &[Document],
    routes: &[(String, Option<String>)],
    mut assets: Vec<(PathBuf, String)>,
) -> Vec<(PathBuf, String)> {
    let bundles: HashMap<&Path, &str> = (docs.iter().zip(routes))
        .filter(|(doc, _)| doc.source.role == Role::Post)
        .filter_map(|(doc, (_, output))| {
            let folder = naming_path(&doc.source);
            let page = output.as_deref()?.strip_suffix("index.html")?;
            (folder != doc.source.path).then_some((folder, page))
        })
        .collect();
    if bundles.is_empty() {
        return assets;
    }
    for (path, rel) in &mut assets {
        let in_bundle = path.ancestors().skip(1).find_map(|folder| {
            let page = bundles.get(folder)?;
            Some((page, path.strip_prefix(folder).ok()?))
        });
        if let Some((page, below)) = in_bundle {
            *rel = format!("{page}{}", crate::discover::slash_path(below));
        }
    }
    assets
}

/// `package/stem` for decisions; identity includes the folder so `0001` can exist twice.
fn adr_id(config: &SiteConfig, doc: &Document) -> Option<String> {
    let Role::Adr { root } = doc.source.role else {
        return None;
    };
    let adr_root = &config.adr_roots[root];
    let rel = doc.source.path.strip_prefix(&adr_root.path).ok()?;
    let stem = rel.with_extension("");
    let stem = crate::discover::slash_path(&stem);
    Some(match root_name(config, root) {
        Some(name) => format!("{name}/{stem}"),
        None => stem,
    })
}

/// What tells ADR folder `root`'s decisions from the others' in URLs and ids, when there are
/// several: its Log4brains package, else (but for the first folder) its name, or its path from
/// the site's root when another folder has that name too (`a/decisions`, `b/decisions`).
fn root_name(config: &SiteConfig, root: usize) -> Option<String> {
    let roots = &config.adr_roots;
    let adr_root = &roots[root];
    if let Some(package) = &adr_root.package {
        return Some(package.clone());
    }
    if roots.len() < 2 || root == 0 {
        return None;
    }
    let name = adr_root.path.file_name()?;
    let shared = (roots.iter().enumerate())
        .any(|(i, r)| i != root && r.package.is_none() && r.path.file_name() == Some(name));
    let path = adr_root.path.strip_prefix(&config.root).ok();
    Some(match path.filter(|_| shared) {
        Some(path) => crate::discover::slash_path(path),
        None => name.to_string_lossy().into_owned(),
    })
}

pub fn slugify(text: &str) -> String {
    let slug = slug::slugify(text);
    if slug.is_empty() { "page".into() } else { slug }
}

/// A tag's slug, which is also what makes two spellings one tag (`Rust` and `rust`). `+` and
/// `#` are spelled out first: C, C++ and C# (or F and F#) are three tags, not one page named
/// after whichever came first. A tag of signs alone (`!!!`) gets a slug from its hash.
pub fn tag_slug(name: &str) -> String {
    let slug = if name.contains(['+', '#']) {
        slug::slugify(name.replace('+', " plus ").replace('#', " sharp "))
    } else {
        slug::slugify(name)
    };
    if slug.is_empty() {
        let hash = blake3::hash(name.trim().as_bytes()).to_hex();
        format!("tag-{}", &hash[..8])
    } else {
        slug
    }
}

/// Everything link and relation resolution needs to know about the other pages.
/// What links are resolved against: built once per site and kept in it, so `lore serve` can
/// resolve the links of an edited page without building it again (it is most of that cost).
#[derive(Debug, Clone, Default)]
pub struct LinkIndex {
    /// Per page: its URL.
    urls: Vec<String>,
    /// Keyed by the normalised path's bytes, hashed with Fx: a `PathBuf` key hashes component
    /// by component with SipHash, once per link and several times per miss (perf at 100,000
    /// pages: path work under link resolution 0.3% of the CPU, 15x its share at 10,000).
    by_path: FxHashMap<OsString, usize>,
    by_url: HashMap<String, usize>,
    assets: FxHashMap<OsString, String>,
    asset_urls: BTreeSet<String>,
    known_urls: BTreeSet<String>,
    /// Per folder and number: the decision (`payments/0002-x.md`'s `supersedes: [1]` is
    /// `payments/0001-…`, not the `0001-…` above it).
    adr_by_number_in_folder: HashMap<(PathBuf, u32), usize>,
    adr_by_number: HashMap<(usize, u32), usize>,
    /// Per number: the decision, or `None` when several folders have one with that number.
    /// Repositories that file records by status (`Final/`, `Archive/Rejected/`) relate them
    /// across those folders by number alone.
    adr_by_number_anywhere: HashMap<u32, Option<usize>>,
    adr_by_id: HashMap<String, usize>,
    /// Per ADR file name: the decision, or `None` when several folders hold that name. A scan
    /// of all pages per unresolved relation link was 1% of a 100,000-page build, and quadratic.
    adr_by_file_name: HashMap<OsString, Option<usize>>,
    /// Per superseded decision: the hint shown next to links to it.
    hints: HashMap<usize, String>,
}

impl LinkIndex {
    /// Links to a page's earlier URL lead to the page (and are written with its URL).
    fn add_aliases(&mut self, aliases: &[Vec<Alias>]) {
        for (i, page_aliases) in aliases.iter().enumerate() {
            for alias in page_aliases {
                self.by_url.entry(alias.url.clone()).or_insert(i);
            }
        }
    }

    fn new(
        config: &SiteConfig,
        docs: &[Document],
        routes: &[(String, Option<String>)],
        ids: &[Option<String>],
        assets: &[(PathBuf, String)],
    ) -> Self {
        // The per-document work in parallel: on one core, with the other idle, this and
        // routing were some 30 ms of a 10k build.
        let paths: Vec<OsString> = docs
            .par_iter()
            .map(|d| normalise_path(&d.source.path).into_os_string())
            .collect();
        let by_path = paths.into_iter().zip(0..).collect();
        let by_url = routes
            .iter()
            .enumerate()
            .map(|(i, (url, _))| (url.clone(), i))
            .collect();
        let mut adr_by_number = HashMap::new();
        let mut adr_by_number_in_folder = HashMap::new();
        let mut adr_by_number_anywhere = HashMap::new();
        let mut adr_by_id = HashMap::new();
        let mut adr_by_file_name = HashMap::new();
        for (i, doc) in docs.iter().enumerate() {
            if let (Kind::Adr, Some(name)) = (doc.kind, doc.source.path.file_name()) {
                adr_by_file_name
                    .entry(name.to_os_string())
                    .and_modify(|found| *found = None)
                    .or_insert(Some(i));
            }
            if let (Role::Adr { root }, Some(n)) =
                (&doc.source.role, doc.adr.as_ref().and_then(|a| a.number))
            {
                adr_by_number.entry((*root, n)).or_insert(i);
                let folder = doc
                    .source
                    .path
                    .parent()
                    .unwrap_or(Path::new(""))
                    .to_path_buf();
                adr_by_number_in_folder.entry((folder, n)).or_insert(i);
                adr_by_number_anywhere
                    .entry(n)
                    .and_modify(|found| *found = None)
                    .or_insert(Some(i));
            }
            if let Some(id) = &ids[i] {
                adr_by_id.insert(id.clone(), i);
            }
        }
        let tags: BTreeSet<&str> = docs.iter().flat_map(tags_of).map(String::as_str).collect();
        let lists = [
            (holds_posts(docs.iter()), "posts/"),
            (holds_adrs(docs.iter()), "adr/"),
            (!tags.is_empty(), "tags/"),
        ];
        let lists = lists
            .into_iter()
            .filter_map(|(held, url)| held.then_some(url));
        let mut known_urls: BTreeSet<String> =
            ["", "search/", "atom.xml", "sitemap.xml", "404.html"]
                .into_iter()
                .chain(lists)
                .map(|p| format!("{}{p}", config.base_path))
                .collect();
        known_urls.par_extend(
            tags.into_par_iter()
                .map(|tag| format!("{}tags/{}/", config.base_path, tag_slug(tag))),
        );
        LinkIndex {
            urls: routes.iter().map(|(url, _)| url.clone()).collect(),
            by_path,
            by_url,
            assets: assets
                .iter()
                .map(|(p, rel)| (normalise_path(p).into_os_string(), rel.clone()))
                .collect(),
            asset_urls: assets.iter().map(|(_, rel)| rel.clone()).collect(),
            known_urls,
            adr_by_number,
            adr_by_number_in_folder,
            adr_by_number_anywhere,
            adr_by_id,
            adr_by_file_name,
            hints: HashMap::new(),
        }
    }
}

fn holds_posts<'d>(mut docs: impl Iterator<Item = &'d Document>) -> bool {
    docs.any(|d| d.kind == Kind::Post)
}

/// A document's tags: its front matter's, then those its decision record names.
fn tags_of(doc: &Document) -> impl Iterator<Item = &String> {
    let record = doc
        .adr
        .as_ref()
        .map(|a| a.tags.iter())
        .into_iter()
        .flatten();
    doc.meta.tags.iter().chain(record)
}

fn holds_adrs<'d>(mut docs: impl Iterator<Item = &'d Document>) -> bool {
    docs.any(|d| d.kind == Kind::Adr || matches!(d.source.role, Role::AdrIntro { .. }))
}

/// The site's documents with their [`LinkIndex`]: what a link or relation is resolved with.
struct Lookup<'a> {
    config: &'a SiteConfig,
    docs: Vec<&'a Document>,
    index: &'a LinkIndex,
}

/// `url` with the query and fragment a link was written with.
fn with_query_and_fragment(mut url: String, query: Option<&str>, fragment: Option<&str>) -> String {
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// Whether following `href` would run script: `javascript:` and `vbscript:` links, and `data:`
/// ones other than images. Browsers ignore case, and tabs and line breaks anywhere in a URL
/// (`java&#9;script:` is `javascript:` to them), so those are dropped before comparing.
fn runs_script(href: &str) -> bool {
    let scheme: String = href
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(16)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    scheme.starts_with("javascript:")
        || scheme.starts_with("vbscript:")
        || (scheme.starts_with("data:") && !scheme.starts_with("data:image/"))
}

impl<'a> Lookup<'a> {
    /// Resolves a link written in page `from`.
    fn resolve(&self, from: usize, href: &str) -> Resolution {
        let keep = |target| Resolution {
            href: href.to_string(),
            target,
            superseded_hint: None,
        };
        if href.is_empty() {
            return keep(LinkTarget::SamePage(String::new()));
        }
        if let Some(fragment) = href.strip_prefix('#') {
            return keep(LinkTarget::SamePage(fragment.to_string()));
        }
        if self.config.markdown.safe && runs_script(href) {
            return Resolution {
                href: "#".into(),
                target: LinkTarget::External,
                superseded_hint: None,
            };
        }
        if is_external(href) {
            return keep(LinkTarget::External);
        }
        let (path_part, fragment) = match href.split_once('#') {
            Some((p, f)) => (p, Some(f.to_string())),
            None => (href, None),
        };
        // The query stays on the rewritten link, as the fragment does (`spec.pdf?v=2#page=3`).
        let (path_part, query) = match path_part.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_part, None),
        };
        if href.starts_with('/') {
            return self.resolve_site_absolute(path_part, query, fragment, href);
        }
        // Zola's internal links, `@/posts/x.md`, start in the content folder.
        let zola = path_part.starts_with("@/");
        let (base, path_part) = match path_part.strip_prefix("@/") {
            Some(rest) => (self.config.content_dir.as_path(), rest),
            None => (
                self.docs[from]
                    .source
                    .path
                    .parent()
                    .unwrap_or(Path::new("")),
                path_part,
            ),
        };
        let decoded = percent_encoding::percent_decode_str(path_part).decode_utf8_lossy();
        let target = normalise_path(&base.join(decoded.as_ref()));
        if let Some(page) = self.page_at(&target) {
            return self.page_link(page, query, fragment);
        }
        if let Some(rel) = self.index.assets.get(target.as_os_str()) {
            let url = format!("{}{rel}", self.config.base_path);
            return Resolution {
                href: with_query_and_fragment(url, query, fragment.as_deref()),
                target: LinkTarget::Asset,
                superseded_hint: None,
            };
        }
        if matches!(self.docs[from].source.role, Role::Adr { .. })
            && let Some(page) = self.project_relative_decision(&decoded)
        {
            return self.page_link(page, query, fragment);
        }
        if zola {
            return keep(LinkTarget::Broken);
        }
        self.resolve_url_relative(from, path_part, href)
    }

    fn page_at(&self, path: &Path) -> Option<usize> {
        if let Some(&i) = self.index.by_path.get(path.as_os_str()) {
            return Some(i);
        }
        ["_index.md", "index.md", "README.md"]
            .iter()
            .find_map(|name| self.index.by_path.get(path.join(name).as_os_str()).copied())
    }

    fn page_link(&self, page: usize, query: Option<&str>, fragment: Option<String>) -> Resolution {
        let url = self.index.urls[page].clone();
        let href = with_query_and_fragment(url, query, fragment.as_deref());
        Resolution {
            href,
            target: LinkTarget::Page { page, fragment },
            superseded_hint: self.index.hints.get(&page).cloned(),
        }
    }

    fn resolve_site_absolute(
        &self,
        path: &str,
        query: Option<&str>,
        fragment: Option<String>,
        href: &str,
    ) -> Resolution {
        let base = &self.config.base_path;
        let url = if path.starts_with(base.as_str()) {
            path.to_string()
        } else {
            format!("{base}{}", path.trim_start_matches('/'))
        };
        let with_slash = if url.ends_with('/') || url.contains('.') {
            url.clone()
        } else {
            format!("{url}/")
        };
        if let Some(&page) = self.index.by_url.get(with_slash.as_str()) {
            return self.page_link(page, query, fragment);
        }
        let rel = url.strip_prefix(base.as_str()).unwrap_or(&url);
        let rewritten = with_query_and_fragment(url.clone(), query, fragment.as_deref());
        let target = if self.index.asset_urls.contains(rel) {
            LinkTarget::Asset
        } else if self.index.known_urls.contains(&with_slash)
            || self.index.known_urls.contains(&url)
        {
            LinkTarget::External
        } else {
            LinkTarget::Broken
        };
        let href = if target == LinkTarget::Broken {
            href.to_string()
        } else {
            rewritten
        };
        Resolution {
            href,
            target,
            superseded_hint: None,
        }
    }

    /// A relative link written as a URL (`../other/`), resolved against the page's URL.
    fn resolve_url_relative(&self, from: usize, path: &str, href: &str) -> Resolution {
        let page_url = &self.index.urls[from];
        let joined = normalise_path(&Path::new(page_url).join(path));
        let mut url = joined.to_string_lossy().replace('\\', "/");
        if !url.ends_with('/') && !url.contains('.') {
            url.push('/');
        }
        let target = if self.index.by_url.contains_key(url.as_str())
            || self.index.known_urls.contains(&url)
        {
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

    /// The decision a relation names, searched in the relating file's own ADR folder first.
    fn relation_target(&self, from: usize, target: &RelationTarget) -> Option<usize> {
        let doc = &self.docs[from];
        let root = match doc.source.role {
            Role::Adr { root } => root,
            _ => return None,
        };
        match target {
            RelationTarget::Link(href) => {
                let href = href.split('#').next().unwrap_or(href);
                let decoded = percent_encoding::percent_decode_str(href).decode_utf8_lossy();
                let base = doc.source.path.parent().unwrap_or(Path::new(""));
                let by_path = self.page_at(&normalise_path(&base.join(decoded.as_ref())));
                by_path
                    .filter(|&i| self.docs[i].kind == Kind::Adr)
                    .or_else(|| self.adr_by_file_name(&decoded))
            }
            RelationTarget::Number(n) => self.adr_by_number(from, root, *n),
            RelationTarget::Id(id) => self.adr_by_id_like(from, root, id),
        }
    }

    /// The decision a link in a decision's text names when Log4brains wrote it relative to the
    /// project, not to the file (`docs/adr/20201029-x.md`): its path from the site root, else a
    /// file name only one decision has. A link that says where it starts (`./`, `../`) is taken
    /// at its word and stays broken. Relations are looser (see `relation_target`): they name a
    /// decision in prose, and any link to a unique file name is taken to mean that decision.
    fn project_relative_decision(&self, href: &str) -> Option<usize> {
        let says_where = href.starts_with("./") || href.starts_with("../");
        if says_where || !crate::discover::is_markdown(Path::new(href)) {
            return None;
        }
        let by_path = self.page_at(&normalise_path(&self.config.root.join(href)));
        by_path
            .filter(|&i| self.docs[i].kind == Kind::Adr)
            .or_else(|| self.adr_by_file_name(href))
    }

    /// Log4brains writes links relative to the project, not the file: a unique file name decides.
    fn adr_by_file_name(&self, href: &str) -> Option<usize> {
        let name = Path::new(href).file_name()?;
        self.index.adr_by_file_name.get(name).copied().flatten()
    }

    fn adr_by_id_like(&self, from: usize, root: usize, id: &str) -> Option<usize> {
        let stem = id.trim_end_matches(".md");
        // An id names a decision of the relating file's own ADR folder first.
        if let Some(name) = root_name(self.config, root)
            && let Some(&i) = self.index.adr_by_id.get(&format!("{name}/{stem}"))
        {
            return Some(i);
        }
        if let Some(&i) = self.index.adr_by_id.get(id) {
            return Some(i);
        }
        if let Some(&i) = self.index.adr_by_id.get(stem) {
            return Some(i);
        }
        // "ADR-0012", "TEP-0050", "12": the digits name a number in the same folder.
        let digits: String = stem.chars().filter(char::is_ascii_digit).collect();
        let looks_numbered = !digits.is_empty()
            && digits.len() < 8
            && stem.chars().filter(|c| c.is_alphabetic()).count() <= 4;
        if looks_numbered && let Ok(n) = digits.parse() {
            return self.adr_by_number(from, root, n);
        }
        None
    }

    /// Decision `n` of the folder of page `from`, else of its ADR folder `root`, else the one
    /// decision numbered `n` in any folder.
    fn adr_by_number(&self, from: usize, root: usize, n: u32) -> Option<usize> {
        let index = &self.index;
        let folder = self.docs[from]
            .source
            .path
            .parent()
            .unwrap_or(Path::new(""));
        (index
            .adr_by_number_in_folder
            .get(&(folder.to_path_buf(), n))
            .copied())
        .or_else(|| index.adr_by_number.get(&(root, n)).copied())
        .or_else(|| index.adr_by_number_anywhere.get(&n).copied().flatten())
    }
}

fn is_external(href: &str) -> bool {
    if href.starts_with("//") {
        return true;
    }
    match href.find(':') {
        Some(i) => {
            let scheme = &href[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !href[..i].contains('/')
        }
        None => false,
    }
}

/// A relation stated in page `.0` that could not be an edge, and its target as written.
type Unresolved = Vec<(usize, RelationKind, String)>;

struct Relations {
    edges: Vec<Edge>,
    verbs: HashMap<(usize, usize), String>,
    dangling: Unresolved,
    to_itself: Unresolved,
}

/// Every stated relation, plus its inverse; one ADR may be superseded by several. Besides:
/// relations that lead nowhere, and those that lead back to their own decision.
fn resolve_relations(docs: &[Document], lookup: &Lookup<'_>) -> Relations {
    let mut edges = BTreeSet::new();
    let mut verbs = HashMap::new();
    let mut dangling = Vec::new();
    let mut to_itself = Vec::new();
    for (from, doc) in docs.iter().enumerate() {
        let Some(adr) = &doc.adr else { continue };
        for relation in &adr.relations {
            match lookup.relation_target(from, &relation.target) {
                Some(to) if to != from => {
                    edges.insert(Edge {
                        from,
                        kind: relation.kind,
                        to,
                    });
                    if let Some(verb) = custom_verb(relation) {
                        verbs.entry((from, to)).or_insert(verb);
                    }
                    // "Relates to" reads one way, as the tools that write it mean it.
                    if relation.kind != RelationKind::RelatesTo {
                        let kind = relation.kind.inverse();
                        edges.insert(Edge {
                            from: to,
                            kind,
                            to: from,
                        });
                    }
                }
                Some(_) => to_itself.push((from, relation.kind, target_text(&relation.target))),
                None => dangling.push((from, relation.kind, target_text(&relation.target))),
            }
        }
    }
    Relations {
        edges: edges.into_iter().collect(),
        verbs,
        dangling,
        to_itself,
    }
}

/// A "relates to" written with a verb of its own (`Clarifies`, `Depends on`), as written
/// with a capital; `None` for the generic ones (`Relates to`, `See also`, `related:`).
fn custom_verb(relation: &crate::adr::record::Relation) -> Option<String> {
    const GENERIC: &[&str] = &[
        "",
        "relates to",
        "related to",
        "related",
        "relates",
        "see also",
        "see",
        "links",
        "link",
        "relatesto",
        "relatedto",
        "seealso",
    ];
    if relation.kind != RelationKind::RelatesTo {
        return None;
    }
    let verb = relation
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Front matter keys spell them `relates_to`, `see-also`.
    let lower = verb.to_lowercase().replace(['_', '-'], " ");
    if GENERIC.contains(&lower.trim_end_matches(':')) {
        return None;
    }
    let mut chars = verb.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
}

pub fn target_text(target: &RelationTarget) -> String {
    match target {
        RelationTarget::Link(s) | RelationTarget::Id(s) => s.clone(),
        RelationTarget::Number(n) => n.to_string(),
    }
}

/// The relations stated from `page` in `edges`, sorted by `from` (as [`resolve_relations`]
/// gives them). Each page scanning every edge made decision pages quadratic: 10,000
/// decisions, ~0.3 s.
fn edges_from(edges: &[Edge], page: usize) -> &[Edge] {
    let start = edges.partition_point(|e| e.from < page);
    let end = start + edges[start..].partition_point(|e| e.from == page);
    &edges[start..end]
}

/// The hint shown next to links to superseded decisions: "Superseded by ADR 9: Title".
fn superseded_hints(
    docs: &[Document],
    ids: &[Option<String>],
    edges: &[Edge],
) -> HashMap<usize, String> {
    let label = |i: usize| match docs[i].adr.as_ref().and_then(|a| a.number) {
        Some(n) => format!("ADR {n}"),
        None => ids[i].clone().unwrap_or_default(),
    };
    let mut hints = HashMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let Some(adr) = &doc.adr else { continue };
        let successors: Vec<usize> = edges_from(edges, i)
            .iter()
            .filter(|e| e.kind == RelationKind::SupersededBy)
            .map(|e| e.to)
            .collect();
        let superseded = adr.status.as_deref() == Some("superseded") || !successors.is_empty();
        if superseded {
            let hint = match successors.first() {
                Some(&s) => format!("Superseded by {}: {}", label(s), docs[s].title),
                None => "This decision has been superseded".to_string(),
            };
            hints.insert(i, hint);
        }
    }
    hints
}

/// A page's file name without extension, lower-cased.
fn stem_of(page: &Page) -> String {
    Path::new(&page.doc.source.rel)
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The decision log's introduction: the first ADR folder's, and of the files introducing it,
/// the one doc folders would use (`_index.md`, `index.md`, `README.md`); a warning for each
/// other file introducing the same folder, as for doc folders.
fn choose_adr_intro(pages: &[Page]) -> (Option<usize>, Vec<Diagnostic>) {
    let rank = |p: usize| INTRO_STEMS.iter().position(|s| *s == stem_of(&pages[p]));
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        if let Role::AdrIntro { root } = page.doc.source.role {
            by_root.entry(root).or_default().push(i);
        }
    }
    let mut warnings = Vec::new();
    let mut chosen = None;
    for intros in by_root.values() {
        let Some(&used) = intros.iter().min_by_key(|&&p| (rank(p), p)) else {
            continue;
        };
        chosen = chosen.or(Some(used));
        for &unused in intros.iter().filter(|&&p| p != used) {
            warnings.push(intro_used_instead(&pages[used], &pages[unused]));
        }
    }
    (chosen, warnings)
}

fn intro_used_instead(used: &Page, unused: &Page) -> Diagnostic {
    Diagnostic::warning(
        Location::file(&unused.doc.source.path),
        format!(
            "{} introduces this folder too, and is used instead of this file",
            used.doc.source.rel
        ),
    )
    .with_help("keep one of `_index.md`, `index.md` and `README.md` in a folder, or merge them")
}

/// The posts list and one section per doc folder; a warning for each folder introduced twice
/// (`_index.md`, `index.md` and `README.md` all introduce their folder, and are used in that
/// order of preference).
fn build_sections(config: &SiteConfig, pages: &mut [Page]) -> (Vec<Section>, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut by_folder: BTreeMap<String, usize> = BTreeMap::new();
    let posts_url = format!("{}posts/", config.base_path);
    sections.push(Section {
        title: "Posts".into(),
        url: posts_url,
        index_page: None,
        pages: Vec::new(),
        folder: "posts".into(),
    });
    by_folder.insert("posts".into(), 0);
    let mut placed = Vec::new();
    let decision_folders: Vec<PathBuf> = (config.adr_roots.iter())
        .map(|r| crate::config::normalise_path(&r.path))
        .collect();
    for (i, page) in pages.iter().enumerate() {
        if !matches!(page.doc.source.role, Role::Doc | Role::Post) {
            continue;
        }
        // A page in a decision folder (notes, a guide) is no section's: `content/adr/notes/x.md`
        // would make one at the decision log's URL, and the two lists overwrote each other.
        let source = crate::config::normalise_path(&page.doc.source.path);
        if page.doc.kind == Kind::Doc && decision_folders.iter().any(|d| source.starts_with(d)) {
            continue;
        }
        let folder = Path::new(&page.doc.source.rel)
            .parent()
            .map(crate::discover::slash_path)
            .unwrap_or_default();
        let folder = if page.doc.kind == Kind::Post {
            "posts".to_string()
        } else {
            folder
        };
        if folder.is_empty() {
            continue;
        }
        let top = folder.split('/').next().unwrap_or_default().to_string();
        let section = *by_folder.entry(top.clone()).or_insert_with(|| {
            sections.push(Section {
                title: crate::document::title_from_file_name(Path::new(&top)),
                url: format!("{}{}/", config.base_path, slugify(&top)),
                index_page: None,
                pages: Vec::new(),
                folder: top.clone(),
            });
            sections.len() - 1
        });
        let stem = stem_of(page);
        // A post's `index.md` is a page bundle's, named by its folder (`route`).
        let is_own_index =
            INTRO_STEMS.contains(&stem.as_str()) && folder == top && page.doc.kind != Kind::Post;
        if is_own_index {
            let rank = |stem: &str| INTRO_STEMS.iter().position(|s| *s == stem);
            let earlier = sections[section].index_page;
            let keeps_earlier = earlier.is_some_and(|e| rank(&stem_of(&pages[e])) <= rank(&stem));
            if let Some(e) = earlier {
                let (used, unused) = if keeps_earlier { (e, i) } else { (i, e) };
                warnings.push(intro_used_instead(&pages[used], &pages[unused]));
            }
            if !keeps_earlier {
                sections[section].index_page = Some(i);
                sections[section].title = page.doc.title.clone();
            }
        } else if page.output.is_some() {
            // Not a nested folder's second introduction, which has no page (`route_all`).
            sections[section].pages.push(i);
        }
        placed.push((i, section));
    }
    for (i, section) in placed {
        pages[i].section = Some(section);
    }
    for section in &mut sections {
        sort_pages(pages, &mut section.pages, section.folder == "posts");
    }
    (sections, warnings)
}

/// Where page `p` sorts among `pages` newest first (undated last), then by index: the order of
/// posts in their section, of `Tag::pages`, of feeds and of related pages.
pub fn newest_first(
    pages: &[Page],
    p: usize,
) -> (std::cmp::Reverse<Option<chrono::NaiveDate>>, usize) {
    (
        std::cmp::Reverse(pages[p].doc.date.as_ref().map(|d| d.day)),
        p,
    )
}

/// Posts newest first; docs by weight, then title.
fn sort_pages(pages: &[Page], list: &mut [usize], newest_first: bool) {
    if newest_first {
        list.sort_by_key(|&p| self::newest_first(pages, p));
    } else {
        list.sort_by(|&a, &b| {
            let wa = pages[a].doc.meta.weight.unwrap_or(i64::MAX);
            let wb = pages[b].doc.meta.weight.unwrap_or(i64::MAX);
            wa.cmp(&wb)
                .then_with(|| {
                    pages[a]
                        .doc
                        .title
                        .to_lowercase()
                        .cmp(&pages[b].doc.title.to_lowercase())
                })
                .then(a.cmp(&b))
        });
    }
}

/// Tags matched case-insensitively, keeping the case they were first written in.
fn build_tags(pages: &[Page]) -> Vec<Tag> {
    let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        if !page.is_listed() {
            continue;
        }
        let page_tags = page
            .doc
            .meta
            .tags
            .iter()
            .chain(page.adr().map(|a| a.tags.iter()).into_iter().flatten());
        for name in page_tags {
            let slug = tag_slug(name);
            let tag = tags.entry(slug.clone()).or_insert_with(|| Tag {
                name: name.trim().to_string(),
                slug,
                pages: Vec::new(),
            });
            if tag.pages.last() != Some(&i) {
                tag.pages.push(i);
            }
        }
    }
    let mut tags: Vec<Tag> = tags.into_values().collect();
    for tag in &mut tags {
        tag.pages.dedup();
        tag.pages.sort_by_key(|&p| newest_first(pages, p));
    }
    tags
}

/// Per page, the listed pages that link to it, in page order. From (target, source) pairs sorted
/// in parallel: inserting each link into its target's set one after the other (a cache miss per
/// link on a large site) held one core for 0.1 s of a 100,000-page build while the other waited.
fn build_backlinks(pages: &[Page]) -> Vec<Vec<usize>> {
    let mut pairs: Vec<(usize, usize)> = pages
        .par_iter()
        .enumerate()
        .filter(|(_, page)| page.is_listed())
        .flat_map_iter(|(from, page)| {
            page.outline
                .links
                .iter()
                .filter_map(move |link| match link.target {
                    LinkTarget::Page { page: to, .. } if to != from => Some((to, from)),
                    _ => None,
                })
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let mut backlinks = vec![Vec::new(); pages.len()];
    for (to, from) in pairs {
        backlinks[to].push(from);
    }
    backlinks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_schemes() {
        assert!(is_external("https://x.org"));
        assert!(is_external("mailto:a@b"));
        assert!(is_external("//cdn.example"));
        assert!(!is_external("0003-x.md"));
        assert!(!is_external("../posts/x.md#a:b"));
        assert!(!is_external("/adr/"));
    }
}
