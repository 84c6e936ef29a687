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
use std::collections::HashSet;
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
    let body = site.body(i);
    let html = render_page_html(site, theme, &contexts, i, &body.html)?;
    Ok(Some((output.clone(), relative_html(site, output, html))))
}

fn render_page_html(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    i: usize,
    content: &str,
) -> BuildResult<String> {
    let source = Some(site.pages[i].doc.source.path.as_path());
    theme.render(&page_template(site, i), &contexts.page(i, content), source)
}

/// What rendering one page leaves for the rest of the site: its search entries, and its HTML
/// when a feed shows it.
#[derive(Default)]
struct PageLeftovers {
    search: Option<crate::search::PageIndex>,
    feed_html: Option<String>,
}

/// Renders page `i` into `out`: its Markdown (highlighting code), its template, its search
/// entries. Only what [`PageLeftovers`] holds outlives the call.
fn render_one_page(
    site: &Site,
    theme: &Theme,
    contexts: &Contexts<'_>,
    search: &crate::search::Analyzer,
    feed_pages: &HashSet<usize>,
    i: usize,
    out: &Sink,
) -> BuildResult<PageLeftovers> {
    let page = &site.pages[i];
    let Some(output) = page.output.as_ref() else {
        return Ok(PageLeftovers::default());
    };
    let body = site.body(i);
    let html = render_page_html(site, theme, contexts, i, &body.html)?;
    out.insert_page(output.clone(), relative_html(site, output, html));
    let search = crate::search::index_page(&search_doc(page, &body), search);
    let feed_html = feed_pages.contains(&i).then_some(body.html);
    Ok(PageLeftovers {
        search: Some(search),
        feed_html,
    })
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
    let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
    let feed_pages = feed::feed_pages(site);
    let rendered: Vec<BuildResult<PageLeftovers>> = crate::pipeline::timed("render pages", || {
        (0..site.pages.len())
            .into_par_iter()
            .map(|i| {
                if out.is_cancelled() {
                    return Err(BuildError::cancelled());
                }
                render_one_page(site, theme, &contexts, &analyzer, &feed_pages, i, out)
            })
            .collect()
    });
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    let mut diagnostics = Vec::new();
    let mut search_pages = Vec::new();
    let mut feed_content = feed::FeedContent::new();
    // In page order (rayon keeps it), so reports and the index are the same on every run.
    for (i, result) in rendered.into_iter().enumerate() {
        match result {
            Ok(left) => {
                search_pages.extend(left.search);
                if let Some(html) = left.feed_html {
                    feed_content.insert(i, html);
                }
            }
            Err(err) => diagnostics.extend(err.diagnostics),
        }
    }
    if !diagnostics.is_empty() {
        return Err(BuildError::new(diagnostics));
    }
    crate::pipeline::timed("render lists", || render_lists(site, theme, &contexts, out))?;
    let index = crate::pipeline::timed("search index", || {
        let refs: Vec<&crate::search::PageIndex> = search_pages.iter().collect();
        crate::search::write_index(&refs, &analyzer)
    });
    drop(search_pages);
    if out.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    for (path, bytes) in index {
        out.insert(format!("search/{path}"), bytes);
    }
    feed::render_feeds(site, &feed_content, out);
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

/// The search index alone: paths under `search/` and their bytes. A build makes it while
/// rendering pages; this renders every page's Markdown again, for the benchmark
/// (`tests/bench/search.rs`) and tests.
pub fn search_index(site: &Site) -> Vec<(String, Vec<u8>)> {
    let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
    let pages: Vec<crate::search::PageIndex> = (0..site.pages.len())
        .into_par_iter()
        .filter(|&i| site.pages[i].is_listed())
        .map(|i| crate::search::index_page(&search_doc(&site.pages[i], &site.body(i)), &analyzer))
        .collect();
    let refs: Vec<&crate::search::PageIndex> = pages.iter().collect();
    crate::search::write_index(&refs, &analyzer)
}

fn search_doc(page: &crate::site::Page, body: &crate::markdown::Body) -> crate::search::SearchDoc {
    let adr = page.adr();
    let mut tags = page.doc.meta.tags.clone();
    tags.extend(adr.map(|a| a.tags.clone()).unwrap_or_default());
    crate::search::SearchDoc {
        url: page.url.clone(),
        title: page.doc.title.clone(),
        kind: page.doc.kind.as_str().to_string(),
        status: adr.map(|a| a.status.clone().unwrap_or_else(|| "unknown".into())),
        label: page.adr_label(),
        number: adr.and_then(|a| a.number),
        date: page.doc.date.as_ref().map(|d| d.day.to_string()),
        tags,
        deciders: adr.map(|a| a.deciders.clone()).unwrap_or_default(),
        excerpt: page.excerpt.clone(),
        sections: body
            .sections
            .iter()
            .map(|s| crate::search::SearchSection {
                anchor: s.anchor.clone(),
                heading: s.heading.clone(),
                text: s.text.clone(),
            })
            .collect(),
        code: body.code_text.clone(),
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
