//! `lore list`: pages and decisions as a table or a JSON array (a stable format for scripts).

use super::Ui;
use crate::adr::record::RelationKind;
use crate::cli::{KindArg, ListArgs};
use crate::config::{Overrides, SiteConfig};
use crate::document::Kind;
use crate::site::{Page, Site, tag_slug};
use serde_json::{Value, json};
use std::process::ExitCode;

pub fn run(args: &ListArgs, ui: Ui) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let overrides = Overrides {
        drafts: args.drafts,
        ..Overrides::default()
    };
    let loaded = SiteConfig::load(&args.root, &overrides)
        .inspect(|config| ui.describe(config))
        .and_then(crate::pipeline::load_site);
    let site = match loaded {
        Ok(site) => site,
        Err(err) => {
            ui.report(&err.diagnostics, &cwd);
            return Ok(ExitCode::FAILURE);
        }
    };
    ui.report(&site.warnings, &cwd);
    let mut listed: Vec<usize> = (site.pages.iter().enumerate())
        .filter(|(_, p)| p.is_listed() && matches(args, p))
        .map(|(i, _)| i)
        .collect();
    listed.sort_by_key(|&i| list_order(&site, i));
    if listed.is_empty()
        && let Some(status) = &args.status
    {
        eprintln!("{}", no_such_status(&site, status));
    }
    let entries: Vec<Value> = listed
        .iter()
        .map(|&i| entry(&site, i, &args.root))
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        print_table(&entries);
    }
    Ok(ExitCode::SUCCESS)
}

/// Decisions first, by number as the log lists them (those without one after, by id), then
/// posts newest first, then docs by URL.
fn list_order(
    site: &Site,
    i: usize,
) -> (
    u8,
    u32,
    std::cmp::Reverse<Option<chrono::NaiveDate>>,
    String,
) {
    let page = &site.pages[i];
    let day = std::cmp::Reverse(page.doc.date.as_ref().map(|d| d.day));
    match page.doc.kind {
        Kind::Adr => {
            let number = page.adr().and_then(|a| a.number).unwrap_or(u32::MAX);
            (
                0,
                number,
                std::cmp::Reverse(None),
                page.adr_id.clone().unwrap_or_default(),
            )
        }
        Kind::Post => (1, 0, day, page.url.clone()),
        Kind::Doc => (2, 0, std::cmp::Reverse(None), page.url.clone()),
    }
}

/// What to say when `--status` matched nothing: the statuses the log has.
fn no_such_status(site: &Site, wanted: &str) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, page) in site.adrs() {
        let status = page
            .adr()
            .and_then(|a| a.status.clone())
            .unwrap_or_else(|| "unknown".into());
        *counts.entry(status).or_default() += 1;
    }
    let known: Vec<String> = counts.iter().map(|(s, n)| format!("{s} ({n})")).collect();
    match known.is_empty() {
        true => format!("no decision has status `{wanted}`: this site has no decisions"),
        false => format!(
            "no decision has status `{wanted}`; the statuses here: {}",
            known.join(", ")
        ),
    }
}

fn matches(args: &ListArgs, page: &Page) -> bool {
    let kind_ok = match args.kind {
        None => true,
        Some(KindArg::Adr) => page.doc.kind == Kind::Adr,
        Some(KindArg::Post) => page.doc.kind == Kind::Post,
        Some(KindArg::Doc) => page.doc.kind == Kind::Doc,
    };
    let status_ok = args.status.as_ref().is_none_or(|wanted| {
        let status = page
            .adr()
            .and_then(|a| a.status.clone())
            .unwrap_or_else(|| "unknown".into());
        page.doc.kind == Kind::Adr && status.eq_ignore_ascii_case(wanted)
    });
    let tag_ok = args.tag.as_ref().is_none_or(|wanted| {
        let wanted = tag_slug(wanted);
        page.tags_with_slugs()
            .iter()
            .any(|(_, slug)| *slug == wanted)
    });
    kind_ok && status_ok && tag_ok
}

/// One JSON entry; the README documents every field.
pub fn entry(site: &Site, i: usize, root: &std::path::Path) -> Value {
    let page = &site.pages[i];
    let adr = page.adr();
    let ids = |kind: RelationKind| -> Vec<Value> {
        let mut ids: Vec<Value> = site
            .relations_of(i, kind)
            .into_iter()
            .map(|t| json!(site.pages[t].adr_id))
            .collect();
        ids.extend(
            site.dangling
                .iter()
                .filter(|(from, k, _)| *from == i && *k == kind)
                .map(|(_, _, text)| json!(text)),
        );
        ids
    };
    let root = crate::config::absolute(root);
    let source = page
        .doc
        .source
        .path
        .strip_prefix(&root)
        .map(crate::discover::slash_path)
        .unwrap_or_else(|_| page.doc.source.rel.clone());
    let tags = page.tag_names();
    json!({
        "kind": page.doc.kind.as_str(),
        "source": source,
        "url": page.url,
        "number": adr.and_then(|a| a.number),
        "id": page.adr_id,
        "title": page.doc.title,
        "status": adr.and_then(|a| a.status.clone()),
        "status_text": adr.and_then(|a| a.status_text.clone()),
        "date": adr.and_then(|a| a.date.clone()).or_else(|| page.doc.date.as_ref().map(|d| d.written.clone())),
        "deciders": adr.map(|a| a.deciders.clone()).unwrap_or_default(),
        "tags": tags,
        "supersedes": ids(RelationKind::Supersedes),
        "superseded_by": ids(RelationKind::SupersededBy),
        "amends": ids(RelationKind::Amends),
        "amended_by": ids(RelationKind::AmendedBy),
        "relates_to": ids(RelationKind::RelatesTo),
    })
}

fn print_table(entries: &[Value]) {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            let id = e
                .get("number")
                .and_then(Value::as_u64)
                .map(|n| n.to_string())
                .unwrap_or_else(|| text(e, "id"));
            let status = if text(e, "kind") == "adr" {
                e.get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string()
            } else {
                String::new()
            };
            [
                text(e, "kind"),
                id,
                status,
                text(e, "date"),
                text(e, "title"),
            ]
        })
        .collect();
    let header = ["KIND", "ID", "STATUS", "DATE", "TITLE"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(rows.iter()) {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count()).min(40);
        }
    }
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for (w, cell) in widths.iter().zip(row.iter()) {
            // A longer cell (a Log4brains slug) is cut, so the columns stay in line.
            let cell = match cell.chars().count() > *w {
                true => format!("{}…", cell.chars().take(w - 1).collect::<String>()),
                false => cell.clone(),
            };
            line.push_str(&format!("{cell:<w$}  "));
        }
        line.push_str(&row[4]);
        println!("{}", line.trim_end());
    }
}
