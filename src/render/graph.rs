//! The decision graph as inline SVG drawn at build time: an arc diagram, decisions in order on
//! one line, supersession arcs above and other relations below. Needs no JavaScript, scales
//! with the number of related decisions rather than all of them.

use super::context::status_class;
use crate::adr::record::RelationKind;
use crate::escape::escape_html;
use crate::site::Site;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

const STEP: usize = 56;
const MARGIN: usize = 28;
const AXIS: usize = 150;

/// Every decision that takes part in a relation.
pub fn whole_log(site: &Site) -> String {
    let nodes: BTreeSet<usize> = site.edges.iter().flat_map(|e| [e.from, e.to]).collect();
    draw(site, nodes.into_iter().collect(), None)
}

/// One decision and the decisions it relates to, and theirs once removed along supersession.
pub fn neighbourhood(site: &Site, page: usize) -> String {
    let mut nodes: BTreeSet<usize> = BTreeSet::from([page]);
    for edge in site.edges_from(page) {
        nodes.insert(edge.to);
        for next in site.edges_from(edge.to).iter().filter(|e| {
            matches!(
                e.kind,
                RelationKind::Supersedes | RelationKind::SupersededBy
            )
        }) {
            nodes.insert(next.to);
        }
    }
    if nodes.len() < 2 {
        return String::new();
    }
    draw(site, nodes.into_iter().collect(), Some(page))
}

fn order_key(site: &Site, page: usize) -> (u8, u32, String) {
    let p = &site.pages[page];
    match p.adr().and_then(|a| a.number) {
        Some(n) => (0, n, String::new()),
        None => (1, 0, p.adr_id.clone().unwrap_or_default()),
    }
}

fn draw(site: &Site, mut nodes: Vec<usize>, focus: Option<usize>) -> String {
    if nodes.is_empty() {
        return String::new();
    }
    nodes.sort_by_key(|&n| order_key(site, n));
    // Positions looked up, not searched for: the whole log of 10,000 decisions has as many arcs.
    let column: HashMap<usize, usize> = nodes.iter().enumerate().map(|(x, &n)| (n, x)).collect();
    let x_of = |n: usize| MARGIN + column.get(&n).copied().unwrap_or(0) * STEP;
    let width = MARGIN * 2 + (nodes.len() - 1) * STEP;
    let set: BTreeSet<usize> = nodes.iter().copied().collect();
    let mut svg = String::new();
    let (mut top, mut bottom) = (AXIS - 16, AXIS + 36);
    svg.push_str("<style>.adr-graph{max-width:100%;height:auto;font:12px system-ui,sans-serif}.adr-graph .arc{fill:none;stroke-width:2}.adr-graph .supersedes{stroke:var(--status-superseded,#8250df)}.adr-graph .amends{stroke:var(--status-proposed,#9a6700);stroke-dasharray:6 3}.adr-graph .relates{stroke:var(--muted,#57606a);stroke-dasharray:2 3}.adr-graph circle{stroke:var(--bg,#fff);stroke-width:2}.adr-graph .focus circle{stroke:var(--fg,#1f2328);stroke-width:3}.adr-graph text{fill:var(--fg,#1f2328);text-anchor:middle}.adr-graph .accepted circle{fill:var(--status-accepted,#1a7f37)}.adr-graph .proposed circle{fill:var(--status-proposed,#9a6700)}.adr-graph .rejected circle{fill:var(--status-rejected,#cf222e)}.adr-graph .deprecated circle{fill:var(--status-deprecated,#6e7781)}.adr-graph .superseded circle{fill:var(--status-superseded,#8250df)}.adr-graph .draft circle,.adr-graph .other circle,.adr-graph .unknown circle{fill:var(--status-unknown,#57606a)}</style>");
    for edge in set.iter().flat_map(|&n| site.edges_from(n)) {
        if !set.contains(&edge.to) {
            continue;
        }
        // Each relation once: from its stated side (supersedes, amends; relates in index order).
        let (class, above) = match edge.kind {
            RelationKind::Supersedes => ("supersedes", true),
            RelationKind::Amends => ("amends", false),
            RelationKind::RelatesTo => ("relates", false),
            _ => continue,
        };
        let (x1, x2) = (x_of(edge.from), x_of(edge.to));
        let span = x1.abs_diff(x2);
        let height = (span / 2).clamp(18, 120);
        let y = if above { AXIS - height } else { AXIS + height };
        // A cubic with both control points at `y` peaks three quarters of the way there.
        let peak = if above {
            AXIS - height * 3 / 4
        } else {
            AXIS + height * 3 / 4
        };
        top = top.min(peak);
        bottom = bottom.max(peak);
        let _ = write!(
            svg,
            "<path class=\"arc {class}\" d=\"M{x1} {AXIS} C{x1} {y} {x2} {y} {x2} {AXIS}\"/>"
        );
    }
    for &node in &nodes {
        let page = &site.pages[node];
        let status = page.adr().and_then(|a| a.status.as_deref());
        let label = match page.adr().and_then(|a| a.number) {
            Some(n) => n.to_string(),
            None => (order_key(site, node).2.chars().take(6)).collect(),
        };
        let focus_class = if Some(node) == focus { " focus" } else { "" };
        let tooltip = format!(
            "{}: {} ({})",
            page.adr_label().unwrap_or_default(),
            page.doc.title,
            super::status_label(status)
        );
        let _ = write!(
            svg,
            "<a href=\"{}\" class=\"node {}{focus_class}\"><title>{}</title><circle cx=\"{x}\" cy=\"{AXIS}\" r=\"11\"/><text x=\"{x}\" y=\"{ty}\">{}</text></a>",
            escape_html(&page.url),
            status_class(status),
            escape_html(&tooltip),
            escape_html(&label),
            x = x_of(node),
            ty = AXIS + 30,
        );
    }
    svg.push_str("</svg>");
    let (y0, height) = (top - 6, bottom - top + 12);
    format!(
        "<svg class=\"adr-graph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 {y0} {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"group\" aria-labelledby=\"adr-graph-title\"><title id=\"adr-graph-title\">Decision relations: supersedes arcs above the line, amends and relates-to arcs below</title>{svg}"
    )
}
