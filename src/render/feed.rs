//! Atom feeds (site-wide and per tag), the sitemap and the OpenSearch description: XML written
//! directly, every user string escaped, so they validate whatever the content holds.

use super::context::{Contexts, absolute_url};
use crate::document::Kind;
use crate::escape::{escape_xml, escape_xml_into};
use crate::output::Sink;
use crate::site::{Page, Site, Tag, newest_first};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// The `<entry>` of each page that some feed shows, by page index: the page pass writes it
/// from the page's HTML while it has it, so no page is rendered twice, and a page in several
/// feeds (the site's and each of its tags') is escaped once (callgrind, 1k: escaping was 4.4% of
/// a build's instructions when each feed escaped its pages' HTML).
pub type FeedContent = HashMap<usize, String>;

/// Each feed's pages, newest first, as many as a feed shows: the site's, then each tag's (in the
/// order of `site.tags`). Worked out once for a render.
pub struct Feeds {
    site: Vec<usize>,
    tags: Vec<Vec<usize>>,
}

impl Feeds {
    pub fn of(site: &Site) -> Feeds {
        let limit = site.config.feed_limit;
        let newest = |pages: Vec<usize>| pages.into_iter().take(limit).collect();
        Feeds {
            site: newest(site_feed(site)),
            tags: site
                .tags
                .iter()
                .map(|tag| newest(tag_feed(site, tag)))
                .collect(),
        }
    }

    /// The pages some feed shows: the page pass keeps their HTML.
    pub fn pages(&self) -> HashSet<usize> {
        self.site
            .iter()
            .chain(self.tags.iter().flatten())
            .copied()
            .collect()
    }
}

pub fn render_feeds(site: &Site, feeds: &Feeds, content: &FeedContent, out: &Sink) {
    // (title, path, the page it is the feed of, its pages): the site's, then each tag's.
    let site_feed = (
        site.config.title.clone(),
        "atom.xml".to_string(),
        String::new(),
        &feeds.site,
    );
    let tag_feeds = site.tags.iter().zip(&feeds.tags).map(|(tag, pages)| {
        (
            format!("{} · {}", tag.name, site.config.title),
            format!("tags/{}/atom.xml", tag.slug),
            format!("tags/{}/", tag.slug),
            pages,
        )
    });
    // A feed with no entry is not written (nor linked, `has_feed`): an undated decision log
    // had one whose only date was 1970.
    let all: Vec<_> = (std::iter::once(site_feed).chain(tag_feeds))
        .filter(|(_, _, _, pages)| !pages.is_empty())
        .collect();
    // In parallel: each feed escapes its pages' whole HTML, and written one after the other
    // they were the last 80 ms of a 10k build, on one core.
    all.par_iter()
        .with_max_len(1)
        .for_each(|(title, path, alternate, pages)| {
            let feed = atom(site, content, title, path, alternate, pages);
            out.insert(path.clone(), feed.into_bytes());
        });
}

/// Whether the site's feed has entries: a post or decision with a date.
pub fn has_site_feed(site: &Site) -> bool {
    site.pages.iter().any(in_site_feed)
}

/// A listed post or decision with a date.
fn in_site_feed(page: &Page) -> bool {
    page.is_listed() && page.doc.kind != Kind::Doc && page.doc.date.is_some()
}

/// Whether a tag's feed has entries: a dated page.
pub fn has_tag_feed(site: &Site, tag: &Tag) -> bool {
    tag.pages.iter().any(|&p| in_tag_feed(site, p))
}

/// A tag's page with a date.
fn in_tag_feed(site: &Site, page: usize) -> bool {
    site.pages[page].doc.date.is_some()
}

fn site_feed(site: &Site) -> Vec<usize> {
    let mut dated: Vec<usize> = site
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| in_site_feed(p))
        .map(|(i, _)| i)
        .collect();
    dated.sort_by_key(|&p| newest_first(&site.pages, p));
    dated
}

/// A tag's dated pages; `Tag::pages` is newest first already.
fn tag_feed(site: &Site, tag: &Tag) -> Vec<usize> {
    tag.pages
        .iter()
        .copied()
        .filter(|&p| in_tag_feed(site, p))
        .collect()
}

fn abs(site: &Site, path: &str) -> String {
    absolute_url(&site.config.base_url, &site.config.base_path, path)
}

/// An `<id>` for the feed or entry at `path`: its URL, when `base_url` makes it absolute, as
/// Atom ids must be; otherwise a `urn:uuid:` (RFC 9562 version 8) hashed from the site's title
/// and the path, the same on every build.
fn atom_id(site: &Site, path: &str) -> String {
    let url = abs(site, path);
    if site.config.has_absolute_base() {
        return url;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(site.config.title.as_bytes());
    hasher.update(b"\0");
    hasher.update(url.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    b[6] = (b[6] & 0x0F) | 0x80;
    b[8] = (b[8] & 0x3F) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn atom(
    site: &Site,
    content: &FeedContent,
    title: &str,
    self_path: &str,
    alternate: &str,
    pages: &[usize],
) -> String {
    let config = &site.config;
    let updated = pages
        .iter()
        .filter_map(|&i| {
            let doc = &site.pages[i].doc;
            doc.meta
                .updated
                .as_ref()
                .or(doc.date.as_ref())
                .map(|d| d.rfc3339.clone())
        })
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let entries: usize = pages
        .iter()
        .map(|i| content.get(i).map_or(0, String::len))
        .sum();
    let mut xml = String::with_capacity(entries + 4096);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n  <title>{}</title>\n",
        escape_xml(&config.language),
        escape_xml(title)
    );
    if !config.description.is_empty() {
        let _ = writeln!(
            xml,
            "  <subtitle>{}</subtitle>",
            escape_xml(&config.description)
        );
    }
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape_xml(&abs(site, self_path))
    );
    let _ = writeln!(
        xml,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_xml(&abs(site, alternate))
    );
    let _ = writeln!(
        xml,
        "  <id>{}</id>\n  <updated>{updated}</updated>",
        escape_xml(&atom_id(site, self_path))
    );
    let _ = writeln!(
        xml,
        "  <author><name>{}</name></author>",
        escape_xml(config.author.as_deref().unwrap_or(&config.title))
    );
    let _ = writeln!(
        xml,
        "  <generator uri=\"https://crates.io/crates/lore\">Lore</generator>"
    );
    for &i in pages {
        match content.get(&i) {
            Some(entry) => xml.push_str(entry),
            None => xml.push_str(&entry(site, i, &site.body(i).html)),
        }
    }
    xml.push_str("</feed>\n");
    xml
}

/// Page `i`'s `<entry>`, its content `html` (the page's rendered Markdown).
pub fn entry(site: &Site, i: usize, html: &str) -> String {
    // Escaped, a page's HTML grows by a third to a half (its markup's `<`, `>` and quotes);
    // growing the entry copied it over and over.
    let mut xml = String::with_capacity(html.len() * 3 / 2 + 1024);
    let page = &site.pages[i];
    let doc = &page.doc;
    let url = abs(site, &page.url);
    let published = doc
        .date
        .as_ref()
        .map(|d| d.rfc3339.clone())
        .unwrap_or_default();
    let updated = doc
        .meta
        .updated
        .as_ref()
        .map(|d| d.rfc3339.clone())
        .unwrap_or_else(|| published.clone());
    let _ = write!(
        xml,
        "  <entry>\n    <title>{}</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape_xml(&doc.title),
        escape_xml(&url)
    );
    let _ = write!(
        xml,
        "    <id>{}</id>\n    <published>{published}</published>\n    <updated>{updated}</updated>\n",
        escape_xml(&atom_id(site, &page.url))
    );
    for author in &doc.meta.authors {
        let _ = writeln!(
            xml,
            "    <author><name>{}</name></author>",
            escape_xml(author)
        );
    }
    // Each tag once, named as the site names it (`rust` on a page, `Rust` on its tag page).
    for (name, slug) in page.tags_with_slugs() {
        let tag = site.tags.binary_search_by(|t| t.slug.as_str().cmp(&slug));
        let name = tag.map_or(name, |i| site.tags[i].name.as_str());
        let _ = writeln!(xml, "    <category term=\"{}\"/>", escape_xml(name));
    }
    if !page.excerpt.is_empty() {
        let _ = writeln!(xml, "    <summary>{}</summary>", escape_xml(&page.excerpt));
    }
    // Links in the content resolve against the page, not the feed (`#heading`, a footnote,
    // an image beside a post).
    let _ = write!(
        xml,
        "    <content type=\"html\" xml:base=\"{}\">",
        escape_xml(&url)
    );
    escape_xml_into(html, &mut xml);
    xml.push_str("</content>\n  </entry>\n");
    xml
}

/// Every HTML page of the output, absolute, sorted.
pub fn sitemap<'a>(site: &Site, paths: impl Iterator<Item = &'a str>) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    // Borrowed, and each URL written in place: copying 100,000 pages' paths and days into the
    // map, and formatting each URL before escaping it, were some 50 ms of one core at the end
    // of a 100k build (the sitemap with the sort before it and the steps around it, 190 ms).
    let lastmod: HashMap<&str, chrono::NaiveDate> = site
        .pages
        .iter()
        .filter_map(|p| {
            let date = p.doc.meta.updated.as_ref().or(p.doc.date.as_ref())?;
            Some((p.output.as_deref()?, date.day))
        })
        .collect();
    let base_url = escape_xml(&site.config.base_url);
    let redirects: std::collections::HashSet<&str> = (site.pages.iter())
        .flat_map(|p| p.aliases.iter().map(|a| a.output.as_str()))
        .collect();
    for path in paths {
        if !path.ends_with("index.html") || path.starts_with("search/") || redirects.contains(path)
        {
            continue;
        }
        xml.push_str("  <url><loc>");
        xml.push_str(&base_url);
        escape_xml_into(path.trim_end_matches("index.html"), &mut xml);
        xml.push_str("</loc>");
        if let Some(day) = lastmod.get(path) {
            let _ = write!(xml, "<lastmod>{day}</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

pub fn opensearch(site: &Site, contexts: &Contexts<'_>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n  <ShortName>{}</ShortName>\n  <Description>Search {}</Description>\n  <InputEncoding>UTF-8</InputEncoding>\n  <Url type=\"text/html\" template=\"{}?q={{searchTerms}}\"/>\n</OpenSearchDescription>\n",
        escape_xml(&site.config.title.chars().take(16).collect::<String>()),
        escape_xml(&site.config.title),
        escape_xml(&contexts.absolute("search/"))
    )
}
