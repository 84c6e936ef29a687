//! Links and images: each one the Markdown renderer resolved is checked where it was written.

use crate::discover::Role;
use crate::document::Kind;
use crate::error::{Diagnostic, Location};
use crate::markdown::{LinkRef, LinkTarget};
use crate::site::{Page, Site};
use std::path::Path;

pub fn check_links(site: &Site) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (from, page) in site.pages.iter().enumerate() {
        for link in &page.outline.links {
            let at = Location::at(&page.doc.source.path, link.line, link.col);
            let problem = match &link.target {
                LinkTarget::Broken => Some(broken(site, page, link, at)),
                LinkTarget::Page { page: to, fragment } => fragment
                    .as_deref()
                    .and_then(|f| missing_anchor(site, *to, f, link, at.clone()))
                    .or_else(|| superseded_target(site, from, *to, link, at)),
                LinkTarget::SamePage(fragment) if !fragment.is_empty() => {
                    missing_anchor(site, from, fragment, link, at)
                }
                _ => None,
            };
            found.extend(problem);
        }
    }
    found
}

fn broken(site: &Site, page: &Page, link: &LinkRef, at: Location) -> Diagnostic {
    let what = if link.is_image { "image" } else { "link" };
    let message = format!(
        "{what} `{}` leads to no page or file of this site",
        link.written
    );
    Diagnostic::error(at, message).with_help(broken_help(site, page, link))
}

fn broken_help(site: &Site, page: &Page, link: &LinkRef) -> String {
    let path_part = link.written.split(['#', '?']).next().unwrap_or_default();
    // Zola's `@/` links start in the content folder.
    let (base, path_part, zola) = match path_part.strip_prefix("@/") {
        Some(rest) => (site.config.content_dir.as_path(), rest, true),
        None => (
            page.doc.source.path.parent().unwrap_or(Path::new("")),
            path_part,
            false,
        ),
    };
    let decoded = percent_encoding::percent_decode_str(path_part).decode_utf8_lossy();
    let target = base.join(decoded.as_ref());
    if !path_part.starts_with('/') && is_draft(&target) {
        return "that page is a draft (`draft: true`), which the site leaves out: publish it, \
                or check with --drafts as you build with it"
            .into();
    }
    if zola {
        return "`@/` links (Zola's) start in the content folder, e.g. `@/posts/name.md`; \
                check the path from there"
            .into();
    }
    if !path_part.starts_with('/') && target.exists() {
        return "the file exists but is not part of the site: move it into the content or \
                static folder, or link to it by its full URL"
            .into();
    }
    if path_part.starts_with('/') {
        "site-absolute links start at the site's root, e.g. `/posts/name/` or `/adr/0001-x/`; \
         or link to the Markdown file relatively, e.g. `../adr/0001-x.md`"
            .into()
    } else {
        "check the file name: relative links start in this file's folder, e.g. `../adr/0001-x.md`"
            .into()
    }
}

fn is_draft(path: &Path) -> bool {
    if !crate::discover::is_markdown(path) {
        return false;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let source = crate::discover::SourceFile {
        path: path.to_path_buf(),
        rel: String::new(),
        role: crate::discover::Role::Doc,
    };
    crate::document::parse(source, &bytes).is_ok_and(|doc| doc.meta.draft)
}

/// A `#fragment` that no heading (nor raw HTML `id`) of the target page has.
fn missing_anchor(
    site: &Site,
    target: usize,
    fragment: &str,
    link: &LinkRef,
    at: Location,
) -> Option<Diagnostic> {
    let page = &site.pages[target];
    let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
    let outline = &page.outline;
    // Raw HTML in the Markdown can give ids too; rendering the page to look is rarely needed.
    let in_html = |id: &str| site.body(target).html.contains(&format!("id=\"{id}\""));
    if outline.has_id(fragment) || outline.has_id(&decoded) || in_html(fragment) {
        return None;
    }
    let lower = decoded.to_lowercase();
    if outline.has_id(&lower) {
        // GitHub finds `#Proposal` at `#proposal`; so does the default theme's script.
        let message = format!(
            "link `{}`: `#{fragment}` differs from the heading id `#{lower}` of \"{}\" in letter case only",
            link.written, page.doc.title
        );
        return Some(Diagnostic::warning(at, message).with_help(format!(
            "write `#{lower}`: the default theme follows it, but not without JavaScript nor in other themes"
        )));
    }
    let message = format!(
        "link `{}`: \"{}\" has no heading with the id `#{fragment}`",
        link.written, page.doc.title
    );
    let closest = outline
        .ids()
        .map(|id| (strsim::levenshtein(id, fragment), id))
        .min()
        .filter(|(d, _)| *d <= fragment.len().max(4) / 2);
    let help = match closest {
        Some((_, id)) => format!("did you mean `#{id}`?"),
        None if outline.ids().next().is_none() => {
            "that page has no headings below its title".to_string()
        }
        None => format!(
            "its headings are: {}",
            (outline.ids())
                .take(8)
                .map(|id| format!("`#{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(Diagnostic::error(at, message).with_help(help))
}

/// A link to a superseded decision, unless the linking decision relates to it (then the link
/// is the point) or the page is a decision log's introduction (which lists every decision).
fn superseded_target(
    site: &Site,
    from: usize,
    to: usize,
    link: &LinkRef,
    at: Location,
) -> Option<Diagnostic> {
    let target = &site.pages[to];
    if target.doc.kind != Kind::Adr || from == to {
        return None;
    }
    if matches!(site.pages[from].doc.source.role, Role::AdrIntro { .. }) {
        return None;
    }
    if site.edges_from(from).iter().any(|e| e.to == to) {
        return None;
    }
    let successors = site.relations_of(to, crate::adr::record::RelationKind::SupersededBy);
    let status_superseded = target.adr()?.status.as_deref() == Some("superseded");
    if successors.is_empty() && !status_superseded {
        return None;
    }
    let label = target.adr_label().unwrap_or_default();
    let (message, help) = match successors.first() {
        Some(&s) => {
            let newer = site.pages[s].adr_label().unwrap_or_default();
            (
                format!(
                    "link `{}` leads to {label}, which {newer} supersedes",
                    link.written
                ),
                format!(
                    "link to {newer} (\"{}\") unless the old decision is meant",
                    site.pages[s].doc.title
                ),
            )
        }
        None => (
            format!(
                "link `{}` leads to {label}, which is superseded",
                link.written
            ),
            "link to the decision that replaced it unless the old one is meant".to_string(),
        ),
    };
    Some(Diagnostic::warning(at, message).with_help(help))
}
