//! Rendering: the site through the theme into a `Sink` that takes every file the site consists of.
//! Pages render in parallel; every list is in a stable order, so output is byte-identical per input.

mod context;
mod feed;
pub mod graph;
mod relative;

use crate::document::Kind;
use crate::error::{BuildError, BuildResult, Diagnostic};
use crate::output::{OutputSet, Sink};
use crate::site::Site;
use crate::theme::Theme;
use context::Contexts;
use rayon::prelude::*;
use tera::Context;

pub use context::status_label;

/// Renders page `i` alone: its output path and bytes (`None` for a page without output). For
/// `lore serve`'s first answer to an edit.
pub fn render_page(site: &Site, theme: &Theme, i: usize) -> BuildResult<Option<(String, Vec<u8>)>> {
    let page = &site.pages[i];
    let Some(output) = &page.output else {
        return Ok(None);
    };
    let contexts = Contexts::new(site, theme);
    let source = Some(page.doc.source.path.as_path());
    let html = theme.render(&page_template(site, i), &contexts.page(i), source)?;
    Ok(Some((output.clone(), relative_html(site, output, html))))
}

/// Renders the whole site into memory.
pub fn render_to_memory(site: &Site, theme: &Theme) -> BuildResult<OutputSet> {
    render_into(site, theme, Sink::memory())
}

/// Renders the whole site into `sink` and returns what it kept.
pub fn render_into(site: &Site, theme: &Theme, sink: Sink) -> BuildResult<OutputSet> {
    render_site(site, theme, &sink)?;
    sink.finish()
}

/// Renders every file of the site into `out`, pages in parallel, each handed over as soon as
/// it is rendered.
pub fn render_site(site: &Site, theme: &Theme, out: &Sink) -> BuildResult<()> {
    let missing = missing_templates(site, theme);
    if !missing.is_empty() {
        return Err(BuildError::new(missing));
    }
    let contexts = Contexts::new(site, theme);
    let failures: Vec<crate::error::BuildError> = crate::pipeline::timed("render pages", || {
        site.pages
            .par_iter()
            .enumerate()
            .filter_map(|(i, page)| {
                if out.is_cancelled() {
                    return None;
                }
                let output = page.output.as_ref()?;
                let context = contexts.page(i);
                let source = Some(page.doc.source.path.as_path());
                match theme.render(&page_template(site, i), &context, source) {
                    Ok(html) => {
                        out.insert_page(output.clone(), relative_html(site, output, html));
                        None
                    }
                    Err(err) => Some(err),
                }
            })
            .collect()
    });
    if !failures.is_empty() {
        // In page order (rayon keeps it), so the report is the same on every run.
        let diagnostics = failures.into_iter().flat_map(|e| e.diagnostics).collect();
        return Err(BuildError::new(diagnostics));
    }
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    crate::pipeline::timed("render lists", || render_lists(site, theme, &contexts, out))?;
    let cancelled = || out.is_cancelled();
    let index = crate::pipeline::timed("search index", || search_index_unless(site, &cancelled));
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    for (path, bytes) in index {
        out.insert(format!("search/{path}"), bytes);
    }
    feed::render_feeds(site, out);
    out.insert(
        "robots.txt".into(),
        format!(
            "User-agent: *\nAllow: /\nSitemap: {}\n",
            contexts.absolute("sitemap.xml")
        )
        .into_bytes(),
    );
    out.insert(
        "opensearch.xml".into(),
        feed::opensearch(site, &contexts).into_bytes(),
    );
    for (name, bytes) in &theme.assets {
        out.insert(format!("assets/{name}"), bytes.clone());
    }
    out.insert(
        "assets/highlight.css".into(),
        contexts.highlight_css.clone().into_bytes(),
    );
    for (path, rel) in &site.assets {
        out.insert_file(rel.clone(), path.clone());
    }
    out.insert(
        "sitemap.xml".into(),
        feed::sitemap(site, &out.paths()).into_bytes(),
    );
    Ok(())
}

/// The search index, from the text the pipeline already has (no HTML re-parsing): paths under
/// `search/` and their bytes. Public for the benchmark (`tests/bench/search.rs`).
pub fn search_index(site: &Site) -> Vec<(String, Vec<u8>)> {
    search_index_unless(site, &|| false)
}

/// [`search_index`], given up (empty) as soon as `cancelled` says so.
fn search_index_unless(
    site: &Site,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<(String, Vec<u8>)> {
    let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
    let pages: Option<Vec<crate::search::PageIndex>> = site
        .pages
        .par_iter()
        .filter(|p| p.is_listed())
        .map(|page| (!cancelled()).then(|| crate::search::index_page(&search_doc(page), &analyzer)))
        .collect();
    let Some(pages) = pages else {
        return Vec::new();
    };
    let refs: Vec<&crate::search::PageIndex> = pages.iter().collect();
    crate::search::write_index(&refs, &analyzer)
}

/// The page's text as search indexes it, borrowed from the page.
fn search_doc(page: &crate::site::Page) -> crate::search::SearchDoc<'_> {
    let adr = page.adr();
    let mut tags: Vec<&str> = page.doc.meta.tags.iter().map(String::as_str).collect();
    tags.extend(adr.iter().flat_map(|a| a.tags.iter().map(String::as_str)));
    crate::search::SearchDoc {
        url: &page.url,
        title: &page.doc.title,
        kind: page.doc.kind.as_str(),
        status: adr.map(|a| a.status.as_deref().unwrap_or("unknown")),
        label: page.adr_label().map(Into::into),
        number: adr.and_then(|a| a.number),
        date: page.doc.date.as_ref().map(|d| d.day.to_string().into()),
        tags,
        deciders: adr
            .map(|a| a.deciders.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        excerpt: &page.excerpt,
        sections: page
            .rendered
            .sections
            .iter()
            .map(|s| crate::search::SearchSection {
                anchor: s.anchor.as_deref(),
                heading: &s.heading,
                text: &s.text,
            })
            .collect(),
        code: &page.rendered.code_text,
    }
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

fn render_lists(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    out: &Sink,
) -> BuildResult<()> {
    let render = |path: String, template: &str, context: &Context| -> BuildResult<()> {
        if out.is_cancelled() {
            return Err(BuildError::cancelled());
        }
        let html = theme.render(template, context, None)?;
        let bytes = relative_html(site, &path, html);
        out.insert(path, bytes);
        Ok(())
    };
    render("index.html".into(), "index.html", &contexts.home())?;
    render("adr/index.html".into(), "adr_log.html", &contexts.adr_log())?;
    render("tags/index.html".into(), "tags.html", &contexts.tag_index())?;
    for tag in 0..site.tags.len() {
        let path = format!("tags/{}/index.html", site.tags[tag].slug);
        render(path, "tag.html", &contexts.tag(tag))?;
    }
    for section in 0..site.sections.len() {
        let pages = contexts.section_pages(section);
        for (path, context) in pages {
            render(path, "section.html", &context)?;
        }
    }
    if theme.has_template("search.html") {
        let context = contexts.plain("Search", "search/");
        render("search/index.html".into(), "search.html", &context)?;
    }
    let context = contexts.plain("Page not found", "404.html");
    render("404.html".into(), "404.html", &context)?;
    Ok(())
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
