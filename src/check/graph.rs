//! The decision graph: relations that lead nowhere, supersede cycles, statuses that contradict
//! the graph, numbers used twice or contradicted by the heading, unknown statuses and gaps.

use crate::adr::record::RelationKind;
use crate::adr::status::KNOWN_STATUSES;
use crate::error::locate_text as locate;
use crate::error::{Diagnostic, Location};
use crate::site::{Page, Site};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn check_graph(site: &Site) -> Vec<Diagnostic> {
    let mut found = dangling_relations(site);
    found.extend(relations_to_itself(site));
    found.extend(supersede_cycles(site));
    for (i, page) in site.adrs() {
        found.extend(status_against_graph(site, i, page));
        found.extend(heading_number(page));
        found.extend(unknown_status(page));
        found.extend(impossible_date(page));
    }
    found.extend(numbering(site));
    found
}

/// How a relation reads in a message.
fn relation_name(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::Supersedes => "supersedes",
        RelationKind::SupersededBy => "superseded by",
        RelationKind::Amends => "amends",
        RelationKind::AmendedBy => "amended by",
        RelationKind::RelatesTo => "relates to",
    }
}

/// Relations that could not join the graph, at the target as written: `make` gives the
/// diagnostic for the location and the relation's opening words ("`supersedes` names `7`").
fn unresolved_relations(
    site: &Site,
    unresolved: &[(usize, RelationKind, String)],
    make: impl Fn(Location, String) -> Diagnostic,
) -> Vec<Diagnostic> {
    unresolved
        .iter()
        .map(|(from, kind, target)| {
            let path = &site.pages[*from].doc.source.path;
            let named = format!("`{}` names `{target}`", relation_name(*kind));
            make(locate(path, target), named)
        })
        .collect()
}

fn relations_to_itself(site: &Site) -> Vec<Diagnostic> {
    unresolved_relations(site, &site.to_itself, |at, named| {
        Diagnostic::warning(
            at,
            format!("{named}, this decision itself; the relation is left out"),
        )
        .with_help("name the other decision's number, or remove the relation")
    })
}

/// [`dangling_relations`] as warnings, for `lore build`.
pub fn dangling_as_warnings(site: &Site) -> Vec<Diagnostic> {
    unresolved_relations(site, &site.dangling, |at, named| {
        Diagnostic::warning(at, format!("{named}, which is no decision of this site; the relation is left out"))
            .with_help("fix the number or link (`lore list --kind adr` lists the decisions), or remove the relation; `lore check` fails on it")
    })
}

fn dangling_relations(site: &Site) -> Vec<Diagnostic> {
    unresolved_relations(site, &site.dangling, |at, named| {
        Diagnostic::error(at, format!("{named}, which is no decision of this site"))
            .with_help("fix the number or link (`lore list --kind adr` lists the decisions), or remove the relation")
    })
}

/// Every cycle of `supersedes` edges, reported once, at its first page.
fn supersede_cycles(site: &Site) -> Vec<Diagnostic> {
    let mut next: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for e in site
        .edges
        .iter()
        .filter(|e| e.kind == RelationKind::Supersedes)
    {
        next.entry(e.from).or_default().push(e.to);
    }
    let mut reported: BTreeSet<Vec<usize>> = BTreeSet::new();
    let mut found = Vec::new();
    for &start in next.keys() {
        let Some(cycle) = cycle_through(&next, start) else {
            continue;
        };
        let mut key = cycle.clone();
        key.sort_unstable();
        if !reported.insert(key) {
            continue;
        }
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| site.pages[i].adr_label().unwrap_or_default())
            .collect();
        let path = &site.pages[start].doc.source.path;
        found.push(
            Diagnostic::error(
                locate_first(path, &["supersedes", "Supersedes"]),
                format!("decisions supersede each other in a cycle: {}", names.join(" → ")),
            )
            .with_help("a newer decision supersedes an older one; remove the relation that points the wrong way"),
        );
    }
    found
}

/// The shortest path of edges from `start` back to itself, if there is one (breadth first).
fn cycle_through(next: &BTreeMap<usize, Vec<usize>>, start: usize) -> Option<Vec<usize>> {
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &to in next.get(&node).into_iter().flatten() {
            if to == start {
                let mut path = vec![node];
                while let Some(&prev) = came_from.get(path.last()?) {
                    path.push(prev);
                }
                path.reverse();
                return Some(path);
            }
            if to != start && !came_from.contains_key(&to) {
                came_from.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    None
}

/// A decision something supersedes must say `superseded`; one that says so must have a successor.
fn status_against_graph(site: &Site, i: usize, page: &Page) -> Option<Diagnostic> {
    let adr = page.adr()?;
    let path = &page.doc.source.path;
    let status = adr.status.as_deref();
    let successors = site.relations_of(i, RelationKind::SupersededBy);
    let label = page.adr_label().unwrap_or_default();
    if let Some(&newer) = successors.first() {
        if status == Some("superseded") {
            return None;
        }
        let newer = site.pages[newer].adr_label().unwrap_or_default();
        let written = status.unwrap_or("none");
        return Some(
            Diagnostic::error(
                locate_status(path),
                format!("{newer} supersedes {label}, but its status is `{written}`"),
            )
            .with_help(format!("set the status of {label} to `superseded`")),
        );
    }
    let names_missing_successor = site
        .dangling
        .iter()
        .any(|(from, kind, _)| *from == i && *kind == RelationKind::SupersededBy);
    if status != Some("superseded") || names_missing_successor {
        return None;
    }
    Some(
        Diagnostic::error(
            locate_status(path),
            format!("{label} has the status `superseded`, but no decision supersedes it"),
        )
        .with_help("name the decision that replaces it (`superseded_by: N`), or add `supersedes: [N]` to the newer one"),
    )
}

fn locate_status(path: &Path) -> Location {
    locate_first(path, &["status", "Status", "supersede", "Supersede"])
}

/// The first of `needles` found in the file, tried in order.
fn locate_first(path: &Path, needles: &[&str]) -> Location {
    needles
        .iter()
        .map(|needle| locate(path, needle))
        .find(|at| at.line.is_some())
        .unwrap_or_else(|| Location::file(path))
}

fn heading_number(page: &Page) -> Option<Diagnostic> {
    let adr = page.adr()?;
    let (Some(file), Some(heading)) = (adr.number, adr.heading_number) else {
        return None;
    };
    if file == heading {
        return None;
    }
    let path = &page.doc.source.path;
    let line = page
        .doc
        .body
        .lines()
        .position(|l| l.trim_start().starts_with("# "))
        .map_or(Location::file(path), |i| {
            Location::at(path, page.doc.body_line + i, 1)
        });
    Some(
        Diagnostic::error(
            line,
            format!("the heading numbers this decision {heading}, its file name {file}"),
        )
        .with_help("make them agree: the file name's number is the one links and relations use"),
    )
}

fn unknown_status(page: &Page) -> Option<Diagnostic> {
    let adr = page.adr()?;
    let path = &page.doc.source.path;
    let known = KNOWN_STATUSES.join(", ");
    match adr.status.as_deref() {
        Some(status) if KNOWN_STATUSES.contains(&status) => None,
        Some(status) => Some(
            Diagnostic::warning(locate_status(path), format!("unknown status `{status}`"))
                .with_help(format!(
                    "Lore shows it as written; the statuses it knows are: {known}"
                )),
        ),
        None => Some(
            Diagnostic::warning(Location::file(path), "this decision has no status")
                .with_help(format!("add one, e.g. `status: proposed` ({known})")),
        ),
    }
}

/// A decision's date written in an ADR dialect (`Date: 2024-13-45` under a Nygard title) that
/// has the shape of an ISO date but is no day of the calendar. Front matter dates are checked
/// when read; dialect dates in other shapes ("May 2019") are shown as written, as the tools do.
fn impossible_date(page: &Page) -> Option<Diagnostic> {
    let written = page.adr()?.date.as_deref()?.trim();
    let iso_shaped = written.len() >= 10
        && written.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !iso_shaped || crate::front_matter::Date::parse(written).is_some() {
        return None;
    }
    let path = &page.doc.source.path;
    Some(
        Diagnostic::warning(locate(path, written), format!("the date `{written}` is not a day of the calendar"))
            .with_help("write a real date as YYYY-MM-DD; Lore shows this one as written and sorts the decision as undated"),
    )
}

/// Numbers used twice in one folder (errors) and numbers skipped (warnings).
fn numbering(site: &Site) -> Vec<Diagnostic> {
    let mut by_folder: BTreeMap<PathBuf, BTreeMap<u32, Vec<usize>>> = BTreeMap::new();
    for (i, page) in site.adrs() {
        let (Some(n), Some(folder)) = (
            page.adr().and_then(|a| a.number),
            page.doc.source.path.parent(),
        ) else {
            continue;
        };
        by_folder
            .entry(folder.to_path_buf())
            .or_default()
            .entry(n)
            .or_default()
            .push(i);
    }
    let mut found = Vec::new();
    for numbers in by_folder.values() {
        found.extend(duplicates(site, numbers));
    }
    // Folders whose numbers never meet are one numbering filed by status (PowerShell's
    // `Final/`, `Archive/Rejected/`…): a gap in one folder is a record in another.
    let mut all: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for numbers in by_folder.values() {
        for (n, pages) in numbers {
            all.entry(*n).or_default().extend(pages);
        }
    }
    let filed_by_status =
        by_folder.len() > 1 && all.len() == by_folder.values().map(BTreeMap::len).sum::<usize>();
    if filed_by_status {
        found.extend(gaps(site, &all));
    } else {
        for numbers in by_folder.values() {
            found.extend(gaps(site, numbers));
        }
    }
    found
}

fn duplicates(site: &Site, numbers: &BTreeMap<u32, Vec<usize>>) -> Vec<Diagnostic> {
    let free = numbers.keys().last().map_or(1, |n| n + 1);
    let mut found = Vec::new();
    for (n, pages) in numbers.iter().filter(|(_, pages)| pages.len() > 1) {
        let first = file_name(&site.pages[pages[0]]);
        for &dup in &pages[1..] {
            found.push(
                Diagnostic::error(
                    Location::file(&site.pages[dup].doc.source.path),
                    format!("decision number {n} is also used by {first}"),
                )
                .with_help(format!(
                    "renumber one of them; the next free number is {free}"
                )),
            );
        }
    }
    found
}

fn gaps(site: &Site, numbers: &BTreeMap<u32, Vec<usize>>) -> Vec<Diagnostic> {
    let keys: Vec<&u32> = numbers.keys().collect();
    keys.windows(2)
        .filter(|w| *w[1] > *w[0] + 1)
        .map(|w| {
            let (before, after) = (*w[0], *w[1]);
            let missing = if after - before == 2 {
                format!("{} is missing", before + 1)
            } else {
                format!("{} to {} are missing", before + 1, after - 1)
            };
            Diagnostic::warning(
                Location::file(&site.pages[numbers[&after][0]].doc.source.path),
                format!("decision numbers jump from {before} to {after} ({missing})"),
            )
            .with_help(
                "ignore this if those decisions were removed on purpose; numbers are never reused",
            )
        })
        .collect()
}

fn file_name(page: &Page) -> String {
    page.doc
        .source
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_shortest_cycle_and_none_in_a_chain() {
        let next = BTreeMap::from([(1, vec![2]), (2, vec![3]), (3, vec![1]), (4, vec![1])]);
        assert_eq!(cycle_through(&next, 1), Some(vec![1, 2, 3]));
        assert_eq!(cycle_through(&next, 4), None);
        let chain = BTreeMap::from([(1, vec![2]), (2, vec![3])]);
        assert_eq!(cycle_through(&chain, 1), None);
    }
}
