//! Acceptance: real decision logs from public projects (`../shared/corpora`), read with zero
//! config by `lore list --json` and compared with the hand-checked answer key; every corpus and
//! this repository's own `content/` build without an error.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora")
}

/// The key's corpus name → the folder `lore list` is pointed at.
fn corpus_root(name: &str, key: &Value) -> PathBuf {
    let (repo, _) = name.split_once('#').unwrap_or((name, ""));
    let mut root = corpora().join(repo);
    if name.contains('#') {
        root = root.join(key["folder"].as_str().unwrap().trim_end_matches('/'));
    }
    root
}

fn list_json(root: &Path) -> Vec<Value> {
    let out = lore_in(root, &["list", "--json", "--kind", "adr", "."]);
    assert!(
        out.status.success(),
        "lore list failed in {}:\n{}",
        root.display(),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("JSON array")
}

/// The key names a decision by number (numbered logs) or id (Log4brains).
fn identity(entry: &Value, by_number: bool) -> String {
    if by_number {
        entry["number"].to_string()
    } else {
        entry["id"].as_str().unwrap_or_default().to_string()
    }
}

#[test]
fn zero_config_list_matches_the_answer_key() {
    let key: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(corpora().join("expected.json")).unwrap())
            .unwrap();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (name, corpus) in &key {
        let root = corpus_root(name, corpus);
        let listed = list_json(&root);
        let folder = corpus["folder"].as_str().unwrap_or("");
        let by_source: BTreeMap<String, &Value> = listed
            .iter()
            .map(|e| (e["source"].as_str().unwrap().to_string(), e))
            .collect();
        let expected: Vec<&Value> = corpus["adrs"].as_array().unwrap().iter().collect();
        let by_number = expected
            .iter()
            .any(|a| a.get("number").is_some_and(|n| !n.is_null()));
        let id_to_identity: BTreeMap<String, String> = listed
            .iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap_or("").to_string(),
                    identity(e, by_number),
                )
            })
            .collect();
        assert_eq!(
            listed.len(),
            expected.len(),
            "{name}: number of decision records ({:?})",
            by_source.keys().collect::<Vec<_>>()
        );
        for want in expected {
            checked += 1;
            let file = want["file"].as_str().unwrap();
            let source = if name.contains('#') || folder.starts_with('(') || folder == "." {
                file.to_string()
            } else {
                format!("{folder}/{file}")
            };
            let Some(got) = by_source.get(&source) else {
                mismatches.push(format!("{name}: {source} not listed"));
                continue;
            };
            compare(
                name,
                &source,
                want,
                got,
                by_number,
                &id_to_identity,
                &mut mismatches,
            );
        }
    }
    assert!(checked > 60, "the key was read ({checked} records)");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn compare(
    name: &str,
    source: &str,
    want: &Value,
    got: &Value,
    by_number: bool,
    ids: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    let fields: &[&str] = if by_number {
        &["number", "title", "status", "date"]
    } else {
        &["id", "title", "status", "date"]
    };
    for field in fields {
        let expected = &want[*field];
        let actual = &got[*field];
        let title_fallback = *field == "title" && expected.is_null();
        if !title_fallback && expected != actual {
            out.push(format!(
                "{name}: {source}: {field}: expected {expected}, got {actual}"
            ));
        }
    }
    if want["relations_are_prose_only"].as_bool() == Some(true) {
        return;
    }
    for relation in [
        "supersedes",
        "superseded_by",
        "amends",
        "amended_by",
        "relates_to",
    ] {
        let expected: BTreeSet<String> = want[relation]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();
        let actual: BTreeSet<String> = got[relation]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let id = v.as_str().unwrap_or_default();
                ids.get(id).cloned().unwrap_or_else(|| id.to_string())
            })
            .collect();
        if expected != actual {
            out.push(format!(
                "{name}: {source}: {relation}: expected {expected:?}, got {actual:?}"
            ));
        }
    }
}

#[test]
fn every_corpus_builds_without_an_error() {
    let out_dir = tempfile::tempdir().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(corpora())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    names.sort_by_key(|e| e.file_name());
    assert!(names.len() >= 8);
    for entry in names {
        let target = out_dir.path().join(entry.file_name());
        let out = lore_in(
            &entry.path(),
            &["build", "-o", target.to_str().unwrap(), "-q"],
        );
        assert!(
            out.status.success(),
            "{} failed to build:\n{}",
            entry.path().display(),
            stderr(&out)
        );
        assert!(
            target.join("index.html").is_file(),
            "{} has a home page",
            entry.path().display()
        );
    }
}

#[test]
fn this_repository_content_builds_and_lists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = tempfile::tempdir().unwrap();
    let out = lore_in(root, &["build", "-o", out_dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let adrs = list_json(root);
    assert!(adrs.len() >= 8, "at least 8 ADRs about Lore's own design");
    let superseded: Vec<&Value> = adrs
        .iter()
        .filter(|a| a["status"] == "superseded")
        .collect();
    assert!(
        !superseded.is_empty()
            && superseded
                .iter()
                .all(|a| !a["superseded_by"].as_array().unwrap().is_empty())
    );
}

#[test]
fn a_pages_relations_are_found_by_its_place_in_the_edge_list() {
    // `Site::edges_from` binary-searches `edges` by `from`; on real logs with many relations,
    // it must give exactly what a scan of every edge gives.
    let mut relations = 0;
    for entry in std::fs::read_dir(corpora()).unwrap().filter_map(Result::ok) {
        if !entry.path().is_dir() {
            continue;
        }
        let config = lore::SiteConfig::load(&entry.path(), &lore::Overrides::default()).unwrap();
        let site = lore::pipeline::load_site(config).unwrap();
        for page in 0..site.pages.len() {
            let scanned: Vec<_> = site.edges.iter().filter(|e| e.from == page).collect();
            let found: Vec<_> = site.edges_from(page).iter().collect();
            assert_eq!(found, scanned, "{}: page {page}", entry.path().display());
            relations += found.len();
        }
    }
    assert!(relations > 50, "the corpora hold relations: {relations}");
}
