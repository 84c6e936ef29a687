//! Template contexts, exactly as documented in the README's "Template variables".

use crate::adr::record::RelationKind;
use crate::document::Kind;
use crate::site::{Page, Site, newest_first};
use crate::theme::Theme;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use tera::{Context, Value as TeraValue};

/// A template context being filled. Values made as JSON become Tera's as they go in; summaries,
/// tags and the site object are made as Tera's values once and shared (Tera's values are
/// reference-counted), not copied into every context.
struct Vars(Context);

impl Vars {
    fn insert(&mut self, key: &'static str, value: Value) {
        self.0.insert_value(key, tera_value(&value));
    }

    fn insert_tera(&mut self, key: &'static str, value: TeraValue) {
        self.0.insert_value(key, value);
    }
}

fn tera_value(value: &Value) -> TeraValue {
    TeraValue::from_serializable(value)
}

fn context(vars: Vars) -> Context {
    vars.0
}

fn owned<'v>(list: impl IntoIterator<Item = &'v TeraValue>) -> TeraValue {
    TeraValue::from(list.into_iter().cloned().collect::<Vec<_>>())
}

/// The fields of a Tera object, of values made already.
fn tera_map<const N: usize>(fields: [(&'static str, TeraValue); N]) -> tera::Map {
    fields.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

fn tera_object<const N: usize>(fields: [(&'static str, TeraValue); N]) -> TeraValue {
    tera_map(fields).into()
}

pub struct Contexts<'a> {
    site: &'a Site,
    theme: &'a Theme,
    /// What every context holds but `site`: assets and the Lore version.
    base: Context,
    /// Each page's summary for lists, made when first needed (`lore serve` renders one page).
    summaries: Vec<OnceLock<TeraValue>>,
    /// Each page's {title, url, kind}, as other pages link to it (prev, next, backlinks,
    /// related: some ten a page), made when first needed and kept (small, unlike summaries).
    links: Vec<OnceLock<TeraValue>>,
    /// The `site` object, built once; only `nav[].active` differs per page.
    site_value: Value,
    /// The `site` object as Tera's value, by which navigation entries are active.
    site_by_active: Mutex<HashMap<Vec<bool>, TeraValue>>,
    /// Decisions by number, then id.
    adrs_in_order: Vec<usize>,
    /// Previous and next page of every page, within its section or the decision log.
    neighbours: Vec<(Option<usize>, Option<usize>)>,
    newest_first: NewestFirst,
    /// Per tag, how many of its pages are posts, decisions and docs (as [`KINDS`]).
    tag_counts: Vec<[usize; 3]>,
    /// Each tag's object, as summaries and tag lists show it.
    tag_values: Vec<TeraValue>,
    /// Each tag's index in `Site::tags`, by slug.
    tag_by_slug: HashMap<&'a str, usize>,
    pub highlight_css: String,
}

impl<'a> Contexts<'a> {
    pub fn new(site: &'a Site, theme: &'a Theme) -> Self {
        let config = &site.config;
        let highlight_css = if config.markdown.highlight {
            crate::highlight::stylesheet(
                &config.markdown.highlight_theme,
                &config.markdown.highlight_theme_dark,
            )
            .unwrap_or_else(|e| format!("/* {e} */\n"))
        } else {
            String::new()
        };
        let mut base = Context::new();
        let site_value = site_value(site);
        let assets = assets_value(site, theme, &highlight_css);
        base.insert_value("assets", tera_value(&assets));
        base.insert_value("lore_version", env!("CARGO_PKG_VERSION").into());
        let summaries = (0..site.pages.len()).map(|_| OnceLock::new()).collect();
        let links = (0..site.pages.len()).map(|_| OnceLock::new()).collect();
        let adrs_in_order = adrs_in_order(site);
        let neighbours = neighbours(site, &adrs_in_order);
        Contexts {
            newest_first: NewestFirst::of(site),
            tag_counts: tag_counts(site),
            tag_values: (0..site.tags.len()).map(|t| tag_value(site, t)).collect(),
            tag_by_slug: (site.tags.iter().enumerate())
                .map(|(t, tag)| (tag.slug.as_str(), t))
                .collect(),
            site_value,
            site_by_active: Mutex::default(),
            adrs_in_order,
            neighbours,
            site,
            theme,
            base,
            summaries,
            links,
            highlight_css,
        }
    }

    /// Page `i`'s summary with its `card`: the `page_card` component's HTML for it, with the
    /// component's defaults. A post shows in its tags' lists and on the home page too, and
    /// each call of the component costs some 40,000 instructions (1,000 pages: 1.7% of a
    /// build's); made here, it is made once. When the component fails, `card` is left out and
    /// the default theme calls the component, whose error names the template's line.
    fn summary(&self, i: usize) -> &TeraValue {
        self.summaries[i].get_or_init(|| {
            let mut fields = self.summary_fields(i);
            let mut card_context = tera::Context::new();
            card_context.insert_value("p", fields.clone().into());
            let card = self
                .theme
                .tera
                .render_component("page_card", &card_context, None, true);
            if let Ok(card) = card {
                fields.insert("card".into(), TeraValue::safe_string(&card));
            }
            fields.into()
        })
    }

    /// Lets go of the link objects pages kept (lists and feeds need none).
    pub fn forget_links(&mut self) {
        self.links.iter_mut().for_each(|l| drop(l.take()));
    }

    /// Lets go of the summaries lists kept.
    pub fn forget_summaries(&mut self) {
        self.summaries.iter_mut().for_each(|s| drop(s.take()));
    }

    pub fn absolute(&self, path: &str) -> String {
        absolute_url(
            &self.site.config.base_url,
            &self.site.config.base_path,
            path,
        )
    }

    fn with_page_meta(&self, title: Option<&str>, path_or_url: &str, description: &str) -> Vars {
        let mut vars = Vars(self.base.clone());
        let site_title = &self.site.config.title;
        let page_title = match title {
            Some(t) if t != site_title => format!("{t} · {site_title}"),
            _ => site_title.clone(),
        };
        let url = if path_or_url.starts_with('/') {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.site.config.base_path)
        };
        let description = if description.is_empty() {
            self.site.config.description.as_str()
        } else {
            description
        };
        vars.insert("permalink", json!(self.absolute(&url)));
        vars.insert_tera("site", self.site_value_active(&url));
        vars.insert("page_title", json!(page_title));
        vars.insert("current_url", json!(url));
        vars.insert("description", json!(description));
        vars
    }

    /// The site object with the navigation entries of the current page marked active.
    fn site_value_active(&self, current: &str) -> TeraValue {
        let home = self.site.url("");
        let nav = self.site_value.get("nav").and_then(Value::as_array);
        let active: Vec<bool> = (nav.into_iter().flatten())
            .map(|item| {
                let url = item.get("url").and_then(Value::as_str).unwrap_or_default();
                if url == home {
                    current == home
                } else {
                    current.starts_with(url)
                }
            })
            .collect();
        let mut cache = self
            .site_by_active
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let made = cache.entry(active.clone()).or_insert_with(|| {
            let mut value = self.site_value.clone();
            if let Some(Value::Array(items)) = value.get_mut("nav") {
                for (item, on) in items.iter_mut().zip(&active) {
                    item["active"] = json!(on);
                }
            }
            tera_value(&value)
        });
        made.clone()
    }

    pub fn plain(&self, title: &str, path: &str) -> Context {
        context(self.with_page_meta(Some(title), path, ""))
    }

    /// The redirect from `alias` to page `i`: the page's title and permalink (its canonical
    /// URL), `target` (`title`, `url`, `permalink`) and `redirect`, the page's URL relative to
    /// the alias, for the `<meta http-equiv="refresh">` (whose `content` is not a link, so the
    /// site's URLs are not made relative there).
    pub fn alias(&self, i: usize, alias: &crate::site::Alias) -> Context {
        let page = &self.site.pages[i];
        let mut vars = self.with_page_meta(Some(&page.doc.title), &page.url, &page.excerpt);
        let target = json!({
            "title": page.doc.title,
            "url": page.url,
            "permalink": self.absolute(&page.url),
        });
        vars.insert("target", target);
        let depth = super::relative::depth(&alias.output);
        let redirect = super::relative::relative_url(&page.url, &self.site.config.base_path, depth);
        vars.insert("redirect", json!(redirect));
        context(vars)
    }

    /// Page `i`'s context, with `content`, the HTML of its Markdown ([`Site::body`]).
    pub fn page(&self, i: usize, content: String) -> Context {
        let page = &self.site.pages[i];
        let mut vars = self.with_page_meta(Some(&page.doc.title), &page.url, &page.excerpt);
        vars.insert_tera("page", self.page_value(i, content));
        context(vars)
    }

    /// A copy of the content [`Contexts::page`] was given (what a feed shows of the page).
    pub fn take_content(context: &mut Context) -> String {
        let page = context.remove("page");
        let content = page.as_ref().and_then(|p| p.get_from_path("content"));
        content
            .and_then(tera::Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    fn page_value(&self, i: usize, content: String) -> TeraValue {
        let site = self.site;
        let page = &site.pages[i];
        // Made afresh, not kept: lists need a few thousand summaries at a time, the page pass
        // every page's (100,000 kept summaries were 500 MB of a build's peak).
        let mut fields = self.summary_fields(i);
        let mut put = |key: &'static str, value: TeraValue| fields.insert(key.into(), value);
        put("permalink", self.absolute(&page.url).into());
        let updated = page.doc.meta.updated.as_ref();
        put("updated", updated.map(|d| d.day.to_string()).into());
        let updated_display = updated.map(|d| d.day.format("%-d %B %Y").to_string());
        put("updated_display", updated_display.into());
        put("authors", page.doc.meta.authors.clone().into());
        put("content", content.into());
        put("toc", TeraValue::from_serializable(&page.outline.toc()));
        put("word_count", page.outline.word_count.into());
        put("has_diagrams", page.outline.has_diagrams.into());
        put("extra", tera_value(&page.doc.meta.extra));
        put("source", page.doc.source.rel.as_str().into());
        let edit_url =
            (site.config.edit_url.as_ref()).map(|base| format!("{base}{}", page.doc.source.rel));
        put("edit_url", edit_url.into());
        let section = page.section.map(|s| &site.sections[s]).map(|s| {
            tera_object([
                ("title", s.title.as_str().into()),
                ("url", s.url.as_str().into()),
            ])
        });
        put("section", section.into());
        let (prev, next) = self.neighbours[i];
        put("prev", self.link_value(prev));
        put("next", self.link_value(next));
        let backlinks = site.backlinks[i].iter();
        let backlinks: Vec<TeraValue> = backlinks.map(|&b| self.link_value(Some(b))).collect();
        put("backlinks", backlinks.into());
        let related = self.related(i).into_iter();
        let related: Vec<TeraValue> = related.map(|r| self.link_value(Some(r))).collect();
        put("related", related.into());
        if page.doc.kind == Kind::Adr {
            put("adr", self.adr_value(i));
        }
        fields.into()
    }

    fn adr_value(&self, i: usize) -> TeraValue {
        let site = self.site;
        let page = &site.pages[i];
        let mut fields = adr_brief_fields(page);
        let adr = page.adr().expect("adr page");
        let mut put = |key: &'static str, value: TeraValue| fields.insert(key.into(), value);
        let date = (adr.date.clone()).or_else(|| page.doc.date.as_ref().map(|d| d.written.clone()));
        put("date", date.into());
        put("consulted", adr.consulted.clone().into());
        put("informed", adr.informed.clone().into());
        put("status_text", adr.status_text.clone().into());
        let relations: Vec<Value> = RELATION_ORDER
            .iter()
            .flat_map(|&kind| relation_groups(site, i, kind))
            .map(|(kind, label, targets)| {
                let targets: Vec<Value> = targets
                    .into_iter()
                    .map(|t| relation_target(site, t))
                    .collect();
                json!({"kind": relation_key(kind), "label": label, "targets": targets})
            })
            .collect();
        put("relations", tera_value(&Value::Array(relations)));
        put("graph_svg", super::graph::neighbourhood(site, i).into());
        fields.into()
    }

    pub fn home(&self) -> Context {
        let site = self.site;
        let mut vars = self.with_page_meta(None, "", "");
        let home = site
            .home
            .map(|h| json!({"title": site.pages[h].doc.title, "content": site.body(h).html}));
        vars.insert("home", home.unwrap_or(Value::Null));
        let posts = &site.sections[0].pages;
        vars.insert_tera(
            "recent_posts",
            owned(posts.iter().take(10).map(|&i| self.summary(i))),
        );
        let mut adrs: Vec<usize> = site.adrs().map(|(i, _)| i).collect();
        adrs.sort_by(|&a, &b| {
            date_key(&site.pages[b])
                .cmp(&date_key(&site.pages[a]))
                .then(b.cmp(&a))
        });
        vars.insert_tera(
            "recent_adrs",
            owned(adrs.iter().take(10).map(|&i| self.summary(i))),
        );
        vars.insert("status_counts", Value::Array(self.status_counts()));
        let mut tags: Vec<usize> = (0..site.tags.len()).collect();
        tags.sort_by(|&a, &b| {
            site.tags[b]
                .pages
                .len()
                .cmp(&site.tags[a].pages.len())
                .then(a.cmp(&b))
        });
        let top_tags = tags.iter().take(20).map(|&t| &self.tag_values[t]);
        vars.insert_tera("top_tags", owned(top_tags));
        context(vars)
    }

    fn status_counts(&self) -> Vec<Value> {
        let mut counts: BTreeMap<(usize, String), usize> = BTreeMap::new();
        for (_, page) in self.site.adrs() {
            let status = page
                .adr()
                .and_then(|a| a.status.clone())
                .unwrap_or_else(|| "unknown".into());
            // Known statuses in their usual order, then "unknown", then any other.
            let known = crate::adr::status::KNOWN_STATUSES;
            let order = known
                .iter()
                .position(|s| *s == status)
                .unwrap_or(known.len() + usize::from(status != "unknown"));
            *counts.entry((order, status)).or_default() += 1;
        }
        let log = format!("{}adr/", self.site.config.base_path);
        counts
            .into_iter()
            .map(|((_, status), count)| json!({"status": status, "label": status_label(Some(&status)), "count": count, "url": format!("{log}?status={}", urlencode(&status)), "class": status_class(Some(&status))}))
            .collect()
    }

    pub fn adr_log(&self) -> Context {
        let site = self.site;
        let mut vars = self.with_page_meta(
            Some("Decision log"),
            "adr/",
            "Every architecture decision, its status and how decisions relate.",
        );
        let intro = site
            .adr_intro
            .map(|i| json!({"title": site.pages[i].doc.title, "content": site.body(i).html}));
        vars.insert("intro", intro.unwrap_or(Value::Null));
        let adrs = &self.adrs_in_order;
        vars.insert_tera("adrs", owned(adrs.iter().map(|&i| self.summary(i))));
        vars.insert("status_counts", Value::Array(self.status_counts()));
        let tags = (0..site.tags.len())
            .filter(|&t| {
                site.tags[t]
                    .pages
                    .iter()
                    .any(|&p| site.pages[p].doc.kind == Kind::Adr)
            })
            .map(|t| &self.tag_values[t]);
        vars.insert_tera("tags", owned(tags));
        vars.insert("graph_svg", json!(super::graph::whole_log(site)));
        let mut years: BTreeMap<std::cmp::Reverse<String>, Vec<&TeraValue>> = BTreeMap::new();
        let mut by_date = adrs.clone();
        by_date.sort_by(|&a, &b| {
            date_key(&site.pages[b])
                .cmp(&date_key(&site.pages[a]))
                .then(b.cmp(&a))
        });
        for i in by_date {
            let year = site.pages[i]
                .doc
                .date
                .as_ref()
                .map(|d| d.day.format("%Y").to_string())
                .unwrap_or_else(|| "Undated".into());
            years
                .entry(std::cmp::Reverse(year))
                .or_default()
                .push(self.summary(i));
        }
        let timeline: Vec<TeraValue> = years
            .into_iter()
            .map(|(year, adrs)| tera_object([("year", year.0.into()), ("adrs", owned(adrs))]))
            .collect();
        vars.insert_tera("timeline", timeline.into());
        context(vars)
    }

    pub fn tag_index(&self) -> Context {
        let mut vars = self.with_page_meta(Some("Tags"), "tags/", "");
        vars.insert_tera("tags", owned(&self.tag_values));
        context(vars)
    }

    /// The output paths of a tag's list pages, the first one's first.
    pub fn tag_page_paths(&self, t: usize) -> Vec<String> {
        let base = format!("tags/{}/", self.site.tags[t].slug);
        list_page_paths(&base, self.page_count(self.site.tags[t].pages.len()))
    }

    /// The context of list page `n` (from 1) of tag `t`: its share of the tag's pages, newest
    /// first, split by kind.
    pub fn tag(&self, t: usize, n: usize) -> Context {
        let site = self.site;
        let tag = &site.tags[t];
        let page_url = |n: usize| list_page_url(&site.url(&format!("tags/{}/", tag.slug)), n);
        let mut vars =
            self.with_page_meta(Some(&format!("Tagged “{}”", tag.name)), &page_url(n), "");
        let mut tag_fields = self.tag_values[t].clone().into_map().unwrap_or_default();
        let counts = KINDS.iter().zip(self.tag_counts[t]);
        let counts: tera::Map = counts
            .map(|(&(key, _), count)| (key.into(), count.into()))
            .collect();
        tag_fields.insert("counts".into(), counts.into());
        vars.insert_tera("tag", tag_fields.into());
        let chunk = tag.pages.chunks(site.config.paginate).nth(n - 1);
        let chunk = chunk.unwrap_or_default();
        for (key, kind) in KINDS {
            let list = chunk
                .iter()
                .filter(|&&p| site.pages[p].doc.kind == kind)
                .map(|&p| self.summary(p));
            vars.insert_tera(key, owned(list));
        }
        let total = self.page_count(tag.pages.len());
        vars.insert("paginator", paginator(n, total, page_url));
        context(vars)
    }

    /// The output paths of a section's list pages, the first one's first.
    pub fn section_page_paths(&self, s: usize) -> Vec<String> {
        let pages = self.site.sections[s].pages.len();
        list_page_paths(&self.section_path(s), self.page_count(pages))
    }

    fn section_path(&self, s: usize) -> String {
        let section = &self.site.sections[s];
        let base_path = self.site.config.base_path.as_str();
        section
            .url
            .strip_prefix(base_path)
            .unwrap_or(&section.url)
            .to_string()
    }

    /// How many list pages `pages` pages take (one even when there are none).
    fn page_count(&self, pages: usize) -> usize {
        pages.div_ceil(self.site.config.paginate).max(1)
    }

    /// The context of list page `n` (from 1) of section `s`.
    pub fn section_page(&self, s: usize, n: usize) -> Context {
        let site = self.site;
        let section = &site.sections[s];
        let per_page = site.config.paginate;
        let total = self.page_count(section.pages.len());
        let page_url = |n: usize| list_page_url(&section.url, n);
        let content = match (n, section.index_page) {
            (1, Some(i)) => site.body(i).html,
            _ => String::new(),
        };
        let chunk = section.pages.iter().skip((n - 1) * per_page).take(per_page);
        let pages = owned(chunk.map(|&i| self.summary(i)));
        let mut vars = self.with_page_meta(Some(&section.title), &page_url(n), "");
        vars.insert_tera(
            "section",
            tera_object([
                ("title", section.title.as_str().into()),
                ("url", section.url.as_str().into()),
                ("content", content.into()),
                ("pages", pages),
            ]),
        );
        vars.insert("paginator", paginator(n, total, page_url));
        context(vars)
    }
}

/// List page `n` (from 1) of the list at `first` (a folder URL or path): `first` itself, then
/// `first` + `page/n/`.
fn list_page_url(first: &str, n: usize) -> String {
    match n {
        1 => first.to_string(),
        n => format!("{first}page/{n}/"),
    }
}

/// The output paths of a list's `total` pages, the first at `base` (a folder path).
fn list_page_paths(base: &str, total: usize) -> Vec<String> {
    (1..=total)
        .map(|n| format!("{}index.html", list_page_url(base, n)))
        .collect()
}

/// The pager of list page `n` of `total`, or null for a list that fits on one page.
fn paginator(n: usize, total: usize, page_url: impl Fn(usize) -> String) -> Value {
    if total <= 1 {
        return Value::Null;
    }
    let pages: Vec<Value> = pager_numbers(n, total)
        .into_iter()
        .map(|k| match k {
            Some(k) => json!({"number": k, "url": page_url(k), "current": k == n}),
            None => json!({"gap": true}),
        })
        .collect();
    json!({
        "current": n, "total": total,
        "prev_url": (n > 1).then(|| page_url(n - 1)),
        "next_url": (n < total).then(|| page_url(n + 1)),
        "pages": pages,
    })
}

/// The page numbers a pager shows: the first, the last and two either side of the current one,
/// with `None` where numbers are left out. Listing every page would make each of a large
/// section's list pages as long as the section (quadratic in its size); so would looking at
/// every number to pick those.
pub fn pager_numbers(current: usize, total: usize) -> Vec<Option<usize>> {
    if total == 0 {
        return Vec::new();
    }
    let near = current.saturating_sub(2).max(1)..=current.saturating_add(2).min(total);
    let mut shown = Vec::with_capacity(9);
    let mut last = 0;
    for k in std::iter::once(1).chain(near).chain(std::iter::once(total)) {
        if k <= last {
            continue;
        }
        // A gap of one page shows that page: "…" would take as much room and say less.
        if last > 0 && k == last + 2 {
            shown.push(Some(last + 1));
        } else if last > 0 && k > last + 2 {
            shown.push(None);
        }
        shown.push(Some(k));
        last = k;
    }
    shown
}

const RELATION_ORDER: [RelationKind; 5] = [
    RelationKind::SupersededBy,
    RelationKind::Supersedes,
    RelationKind::AmendedBy,
    RelationKind::Amends,
    RelationKind::RelatesTo,
];

pub fn relation_key(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Supersedes => "supersedes",
        RelationKind::SupersededBy => "superseded_by",
        RelationKind::Amends => "amends",
        RelationKind::AmendedBy => "amended_by",
        RelationKind::RelatesTo => "relates_to",
    }
}

fn relation_label(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Supersedes => "Supersedes",
        RelationKind::SupersededBy => "Superseded by",
        RelationKind::Amends => "Amends",
        RelationKind::AmendedBy => "Amended by",
        RelationKind::RelatesTo => "Relates to",
    }
}

/// Page `i`'s relations of one kind, in groups by label: one group, but "relates to" written
/// with verbs of their own (`Clarifies`) shows each verb as written, before the plain ones.
fn relation_groups(
    site: &Site,
    i: usize,
    kind: RelationKind,
) -> Vec<(RelationKind, String, Vec<usize>)> {
    let mut groups: Vec<(RelationKind, String, Vec<usize>)> = Vec::new();
    let mut plain = Vec::new();
    for to in site.relations_of(i, kind) {
        let Some(verb) = site
            .verbs
            .get(&(i, to))
            .filter(|_| kind == RelationKind::RelatesTo)
        else {
            plain.push(to);
            continue;
        };
        match groups.iter_mut().find(|(_, label, _)| label == verb) {
            Some((_, _, targets)) => targets.push(to),
            None => groups.push((kind, verb.clone(), vec![to])),
        }
    }
    if !plain.is_empty() {
        groups.push((kind, relation_label(kind).to_string(), plain));
    }
    groups
}

fn relation_target(site: &Site, t: usize) -> Value {
    let page = &site.pages[t];
    json!({"label": page.adr_label(), "title": page.doc.title, "url": page.url, "status_class": status_class(page.adr().and_then(|a| a.status.as_deref()))})
}

fn date_key(page: &Page) -> Option<chrono::NaiveDate> {
    page.doc.date.as_ref().map(|d| d.day)
}

/// Decisions by number, then id, so `0002` comes before `0010` and dated ids sort by date.
fn adr_order(page: &Page) -> (u8, u32, String) {
    match page.adr().and_then(|a| a.number) {
        Some(n) => (0, n, page.adr_id.clone().unwrap_or_default()),
        None => (1, 0, page.adr_id.clone().unwrap_or_default()),
    }
}

fn adrs_in_order(site: &Site) -> Vec<usize> {
    let mut adrs: Vec<usize> = site.adrs().map(|(j, _)| j).collect();
    adrs.sort_by(|&a, &b| {
        adr_order(&site.pages[a])
            .cmp(&adr_order(&site.pages[b]))
            .then(a.cmp(&b))
    });
    adrs
}

/// Previous and next of every page, from the ordered lists it appears in.
fn neighbours(site: &Site, adrs: &[usize]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = vec![(None, None); site.pages.len()];
    let lists = std::iter::once(adrs).chain(site.sections.iter().map(|s| s.pages.as_slice()));
    for list in lists {
        for (pos, &page) in list.iter().enumerate() {
            let prev = pos.checked_sub(1).map(|p| list[p]);
            out[page] = (prev, list.get(pos + 1).copied());
        }
    }
    out
}

/// How many pages either side of a page, in each of its tags (newest first), are candidates
/// for its related pages. Scoring every page of every shared tag made this quadratic: popular
/// tags hold a large share of a site, and a 100,000-page build spent ten minutes here.
const RELATED_WINDOW: usize = 100;

/// All pages in the order of `Tag::pages` ([`newest_first`]) and each page's place
/// in it: related pages are ranked by place, without going back to the pages (ranking by
/// their dates was a third of making a page's context).
struct NewestFirst {
    pages: Vec<usize>,
    place: Vec<u32>,
    /// Per tag, the places of its pages, in its order (so increasing): a page's window is
    /// found and read in one array (through `place`, each step of the search was a cache
    /// miss on a 100,000-page site).
    tag_places: Vec<Vec<u32>>,
    /// Each listed page's tags and its index in each one's `tag_places`: page `i`'s are
    /// `spots[spot_ends[i]..spot_ends[i + 1]]`. Found once here: searching each tag's places
    /// for every page took 30 times as long on 100,000 pages as on 10,000 (perf), the page's
    /// tags slugified and looked up by slug besides.
    spots: Vec<(u32, u32)>,
    spot_ends: Vec<u32>,
}

impl NewestFirst {
    fn of(site: &Site) -> Self {
        let mut pages: Vec<usize> = (0..site.pages.len()).collect();
        pages.sort_by_key(|&p| newest_first(&site.pages, p));
        let mut place = vec![0; pages.len()];
        for (at, &p) in pages.iter().enumerate() {
            place[p] = at as u32;
        }
        let tag_places = site
            .tags
            .iter()
            .map(|tag| tag.pages.iter().map(|&p| place[p]).collect())
            .collect();
        let (spots, spot_ends) = spots(site);
        NewestFirst {
            pages,
            place,
            tag_places,
            spots,
            spot_ends,
        }
    }

    /// Page `i`'s tags, each with the page's index in its list (none for unlisted pages).
    fn spots(&self, i: usize) -> &[(u32, u32)] {
        &self.spots[self.spot_ends[i] as usize..self.spot_ends[i + 1] as usize]
    }
}

/// [`NewestFirst::spots`] and where each page's end, from every tag's list of pages.
fn spots(site: &Site) -> (Vec<(u32, u32)>, Vec<u32>) {
    let mut ends = vec![0u32; site.pages.len() + 1];
    for &p in site.tags.iter().flat_map(|tag| &tag.pages) {
        ends[p + 1] += 1;
    }
    for i in 0..site.pages.len() {
        ends[i + 1] += ends[i];
    }
    let mut next = ends.clone();
    let mut spots = vec![(0, 0); ends[site.pages.len()] as usize];
    for (t, tag) in site.tags.iter().enumerate() {
        for (at, &p) in tag.pages.iter().enumerate() {
            spots[next[p] as usize] = (t as u32, at as u32);
            next[p] += 1;
        }
    }
    (spots, ends)
}

impl Contexts<'_> {
    /// Up to five pages sharing the most tags with page `i`, newest first among equals, chosen
    /// among the pages written around the same time (see [`RELATED_WINDOW`]).
    fn related(&self, i: usize) -> Vec<usize> {
        let mine_place = self.newest_first.place[i];
        // Each shared tag's window of places, increasing; a page's score is how many hold it.
        let windows: Vec<&[u32]> = (self.newest_first.spots(i).iter())
            .map(|&(t, at)| {
                let places = &self.newest_first.tag_places[t as usize];
                let at = at as usize;
                let end = (at + RELATED_WINDOW + 1).min(places.len());
                &places[at.saturating_sub(RELATED_WINDOW)..end]
            })
            .collect();
        let mut best: Vec<(usize, u32)> = Vec::with_capacity(RELATED_COUNT + 1);
        for (place, shared) in merged_counts(windows) {
            if place == mine_place {
                continue;
            }
            // Places come in increasing order: among equals, the one kept first is newer.
            let at = best.partition_point(|&(kept, _)| kept >= shared);
            if at < RELATED_COUNT {
                best.insert(at, (shared, place));
                best.truncate(RELATED_COUNT);
            }
        }
        best.into_iter()
            .map(|(_, at)| self.newest_first.pages[at as usize])
            .collect()
    }
}

/// The values of increasing `lists`, each once, in increasing order, with how many lists hold
/// it. A page has a few tags, so the lists' heads are compared in turn (sorting the windows
/// together was a tenth of making a page's context).
fn merged_counts(mut lists: Vec<&[u32]>) -> impl Iterator<Item = (u32, usize)> {
    std::iter::from_fn(move || {
        let least = lists.iter().filter_map(|l| l.first()).min().copied()?;
        let mut count = 0;
        for list in &mut lists {
            if list.first() == Some(&least) {
                *list = &list[1..];
                count += 1;
            }
        }
        Some((least, count))
    })
}

/// How many related pages a page lists.
const RELATED_COUNT: usize = 5;

impl Contexts<'_> {
    /// A link to a page (shared: a clone counts a reference), or none.
    fn link_value(&self, page: Option<usize>) -> TeraValue {
        let Some(p) = page else {
            return TeraValue::none();
        };
        let link = self.links[p].get_or_init(|| {
            let page = &self.site.pages[p];
            tera_object([
                ("title", page.doc.title.as_str().into()),
                ("url", page.url.as_str().into()),
                ("kind", page.doc.kind.as_str().into()),
            ])
        });
        link.clone()
    }

    /// A page's summary, as lists and its own page show it, field by field.
    fn summary_fields(&self, i: usize) -> tera::Map {
        let site = self.site;
        let page = &site.pages[i];
        let date = page.doc.date.as_ref();
        let tags = page.tags_with_slugs().into_iter().map(|(name, slug)| {
            match self.tag_by_slug.get(slug.as_str()) {
                Some(&t) => self.tag_values[t].clone(),
                None => tag_object(site, name, &slug, 0, false),
            }
        });
        let adr = if page.doc.kind == Kind::Adr {
            adr_brief_fields(page).into()
        } else {
            TeraValue::none()
        };
        tera_map([
            ("title", page.doc.title.as_str().into()),
            ("url", page.url.as_str().into()),
            ("kind", page.doc.kind.as_str().into()),
            ("date", date.map(|d| d.day.to_string()).into()),
            (
                "date_display",
                date.map(|d| d.day.format("%-d %B %Y").to_string()).into(),
            ),
            ("year", date.map(|d| d.day.format("%Y").to_string()).into()),
            ("excerpt", page.excerpt.as_str().into()),
            ("tags", tags.collect::<Vec<_>>().into()),
            ("reading_time", reading_time(page.outline.word_count).into()),
            ("draft", page.doc.meta.draft.into()),
            ("adr", adr),
        ])
    }
}

pub fn reading_time(words: usize) -> usize {
    words.div_ceil(220).max(1)
}

fn adr_brief_fields(page: &Page) -> tera::Map {
    let adr = page.adr().expect("adr page");
    let status = adr.status.as_deref();
    tera_map([
        ("number", adr.number.into()),
        ("id", page.adr_id.as_deref().into()),
        ("label", page.adr_label().into()),
        ("status", status.into()),
        ("status_label", status_label(status).into()),
        ("status_class", status_class(status).into()),
        ("deciders", adr.deciders.clone().into()),
    ])
}

pub fn status_label(status: Option<&str>) -> String {
    match status {
        None => "Unknown".into(),
        Some(s) => {
            let mut chars = s.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_else(|| "Unknown".into())
        }
    }
}

pub fn status_class(status: Option<&str>) -> &'static str {
    match status {
        None => "unknown",
        Some("proposed") => "proposed",
        Some("accepted") => "accepted",
        Some("rejected") => "rejected",
        Some("deprecated") => "deprecated",
        Some("superseded") => "superseded",
        Some("draft") => "draft",
        Some("unknown") => "unknown",
        Some(_) => "other",
    }
}

/// The kinds of page, by the names lists and counts give them.
const KINDS: [(&str, Kind); 3] = [
    ("posts", Kind::Post),
    ("adrs", Kind::Adr),
    ("docs", Kind::Doc),
];

fn tag_counts(site: &Site) -> Vec<[usize; 3]> {
    let kind_at = |p: usize| KINDS.iter().position(|&(_, k)| k == site.pages[p].doc.kind);
    site.tags
        .iter()
        .map(|tag| {
            let mut counts = [0; 3];
            tag.pages
                .iter()
                .filter_map(|&p| kind_at(p))
                .for_each(|k| counts[k] += 1);
            counts
        })
        .collect()
}

fn tag_value(site: &Site, t: usize) -> TeraValue {
    let tag = &site.tags[t];
    let has_feed = super::feed::has_tag_feed(site, tag);
    tag_object(site, &tag.name, &tag.slug, tag.pages.len(), has_feed)
}

/// A tag as templates see it (also one no listed page has, such as a draft's).
fn tag_object(site: &Site, name: &str, slug: &str, count: usize, has_feed: bool) -> TeraValue {
    tera_object([
        ("name", name.into()),
        ("slug", slug.into()),
        ("url", site.url(&format!("tags/{slug}/")).into()),
        ("count", count.into()),
        (
            "feed_url",
            site.url(&format!("tags/{slug}/atom.xml")).into(),
        ),
        ("has_feed", has_feed.into()),
    ])
}

fn site_value(site: &Site) -> Value {
    let config = &site.config;
    let url = |p: &str| site.url(p);
    let count = |k: Kind| {
        site.pages
            .iter()
            .filter(|p| p.doc.kind == k && p.is_listed())
            .count()
    };
    json!({
        "title": config.title,
        "description": config.description,
        "base_url": config.base_url,
        "base_path": config.base_path,
        "language": config.language,
        "author": config.author,
        "repository": config.repository,
        "nav": nav(site),
        "urls": {"home": url(""), "posts": url("posts/"), "adrs": url("adr/"), "tags": url("tags/"), "search": url("search/"), "feed": url("atom.xml"), "opensearch": url("opensearch.xml")},
        "counts": {"posts": count(Kind::Post), "adrs": count(Kind::Adr), "docs": count(Kind::Doc)},
        "has_feed": super::feed::has_site_feed(site),
        // Lists with nothing to list are not written: nothing may link them.
        "holds_posts": site.holds_posts(),
        "holds_adrs": site.holds_adrs(),
        "holds_tags": !site.tags.is_empty(),
        "extra": config.extra,
    })
}

fn nav(site: &Site) -> Vec<Value> {
    if let Some(links) = &site.config.nav {
        return links
            .iter()
            .map(|l| json!({"title": l.title, "url": l.url, "active": false}))
            .collect();
    }
    let mut items = Vec::new();
    if !site.sections[0].pages.is_empty() {
        items.push(json!({"title": "Posts", "url": site.sections[0].url, "active": false}));
    }
    if site.adrs().next().is_some() {
        items.push(json!({"title": "Decisions", "url": site.url("adr/"), "active": false}));
    }
    for section in site.sections.iter().skip(1) {
        if !section.pages.is_empty() || section.index_page.is_some() {
            items.push(json!({"title": section.title, "url": section.url, "active": false}));
        }
    }
    if !site.tags.is_empty() {
        items.push(json!({"title": "Tags", "url": site.url("tags/"), "active": false}));
    }
    items
}

/// Mermaid (MIT, its licence beside it), which draws ```mermaid blocks: 5 MB, written out and
/// loaded only where a page has a diagram.
pub const MERMAID_JS: &str = "vendor/mermaid.min.js";
/// The theme's assets that are Mermaid's: the script and its licence.
pub const MERMAID_FILES: &str = "vendor/mermaid.";

fn assets_value(site: &Site, theme: &Theme, highlight_css: &str) -> Value {
    let versioned = |name: &str, bytes: Option<&[u8]>| {
        let hash = bytes
            .map(|b| blake3::hash(b).to_hex()[..10].to_string())
            .unwrap_or_default();
        format!("{}assets/{name}?v={hash}", site.config.base_path)
    };
    let asset = |name: &str| versioned(name, theme.assets.get(name).map(Vec::as_slice));
    json!({
        "css": asset("lore.css"),
        "highlight_css": versioned("highlight.css", Some(highlight_css.as_bytes())),
        "js": asset("theme.js"),
        "search_js": asset("search.js"),
        "search_css": asset("search.css"),
        "mermaid_js": asset(MERMAID_JS),
    })
}

pub fn absolute_url(base_url: &str, base_path: &str, path: &str) -> String {
    let path = path
        .strip_prefix(base_path)
        .unwrap_or(path.trim_start_matches('/'));
    format!("{base_url}{path}")
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::{merged_counts, pager_numbers};

    #[test]
    fn merged_counts_gives_each_value_once_in_order_with_its_lists() {
        let lists: Vec<&[u32]> = vec![&[1, 3, 5], &[3, 4], &[], &[5, 9], &[3]];
        let merged: Vec<(u32, usize)> = merged_counts(lists).collect();
        assert_eq!(merged, [(1, 1), (3, 3), (4, 1), (5, 2), (9, 1)]);
        assert_eq!(merged_counts(Vec::new()).count(), 0);
    }

    #[test]
    fn pager_shows_the_ends_and_two_either_side() {
        let all: Vec<Option<usize>> = (1..=5).map(Some).collect();
        assert_eq!(pager_numbers(3, 5), all);
        assert_eq!(
            pager_numbers(20, 450),
            [
                Some(1),
                None,
                Some(18),
                Some(19),
                Some(20),
                Some(21),
                Some(22),
                None,
                Some(450)
            ]
        );
        assert_eq!(
            pager_numbers(1, 9),
            [Some(1), Some(2), Some(3), None, Some(9)]
        );
    }

    #[test]
    fn pager_numbers_are_those_near_the_current_page() {
        // The definition, number by number, against the direct construction.
        for total in 0..40 {
            for current in 1..=total {
                let close = |k: usize| k == 1 || k == total || k.abs_diff(current) <= 2;
                let near = |k: usize| close(k) || (k > 1 && close(k - 1) && close(k + 1));
                let mut expected = Vec::new();
                for k in 1..=total {
                    if near(k) {
                        expected.push(Some(k));
                    } else if expected.last().is_some_and(Option::is_some) {
                        expected.push(None);
                    }
                }
                assert_eq!(
                    pager_numbers(current, total),
                    expected,
                    "{current} of {total}"
                );
            }
        }
    }
}
