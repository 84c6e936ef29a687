//! Finding the folders of a repository that hold decision records, and
//! recognising ADR file names.
//!
//! Search order, first step that finds something wins:
//! 1. `.adr-dir` (adr-tools: one line naming the folder);
//! 2. `.log4brains.yml` (`project.adrFolder` and `project.packages[].adrFolder`);
//! 3. conventional folders (`doc/adr`, `docs/adr`, `docs/decisions`, …);
//! 4. a bounded scan (depth [`SCAN_DEPTH`], skipping hidden folders,
//!    `node_modules`, `target`, `vendor`) for folders, the given path included,
//!    whose Markdown files mostly have ADR-like names. A folder qualifies with
//!    two such files, or with one when a sibling, parent or child folder
//!    qualified (e.g. PowerShell's single-file `Draft-Accepted`).

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;
use walkdir::{DirEntry, WalkDir};

/// A folder of decision records; `package` is set for Log4brains packages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AdrRoot {
    pub path: PathBuf,
    pub package: Option<String>,
}

/// How deep the fallback scan looks below the given path.
pub const SCAN_DEPTH: usize = 6;

const CONVENTIONAL: &[&str] = &[
    "doc/adr",
    "docs/adr",
    "docs/adrs",
    "docs/decisions",
    "doc/decisions",
    "doc/architecture/decisions",
    "docs/architecture/decisions",
    "docs/architecture/adr",
    "architecture/decisions",
    "adr",
    "adrs",
    "decisions",
];

const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "vendor", "dist", "build"];

const NON_RECORDS: &[&str] = &[
    "readme",
    "index",
    "_index",
    "changelog",
    "contributing",
    "license",
    "summary",
    "toc",
    "glossary",
    "code_of_conduct",
];

static PREFIXED_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:adr|rfc|tep|kep|pep|dr|decision)[-_ ]?0*(\d{1,9})(?:[-_. ]|$)")
        .expect("valid regex")
});
static LEADING_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^0*(\d{1,9})(?:[-_.]|$)").expect("valid regex"));
static DATE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:(?:0[1-9]|[12]\d|3[01]))?-")
        .expect("valid regex")
});

/// The ADR number in a file name: `0003-x.md` → 3, `adr-017-x.md` → 17,
/// `ADR-5.md` → 5, `RFC0038-x` → 38. Date prefixes (`20201028-x.md`,
/// `202012-x.md`) are dates, not numbers.
pub fn number_from_file_name(name: &str) -> Option<u32> {
    let stem = strip_markdown_extension(name)?;
    if DATE_PREFIX.is_match(stem) {
        return None;
    }
    let caps = PREFIXED_NUMBER
        .captures(stem)
        .or_else(|| LEADING_NUMBER.captures(stem))?;
    caps.get(1)?.as_str().parse().ok()
}

/// A record's file stem without its number: `0003-use-x` → `use-x`, `RFC0061-Alias-Policy` →
/// `Alias-Policy`; the stem as it is when it has none.
pub fn without_number(stem: &str) -> &str {
    let found = PREFIXED_NUMBER
        .find(stem)
        .or_else(|| LEADING_NUMBER.find(stem));
    found.map_or(stem, |m| &stem[m.end()..])
}

/// `NNNN-title.md`, `adr-NNN-title.md`, `ADR-N.md`, `RFCNNNN-title`,
/// `YYYYMMDD-title.md`, `YYYYMM-title.md`.
pub fn looks_like_adr_file_name(name: &str) -> bool {
    let Some(stem) = strip_markdown_extension(name) else {
        return false;
    };
    DATE_PREFIX.is_match(stem) || number_from_file_name(name).is_some()
}

/// Whether a file in an ADR folder is a decision record: Markdown (or an
/// extension-less file with an ADR name), not an index, README or template.
pub fn is_adr_candidate(file_name: &str) -> bool {
    let Some(stem) = strip_markdown_extension(file_name) else {
        return false;
    };
    let has_extension = stem.len() != file_name.len();
    let lower = stem.to_ascii_lowercase();
    if stem.is_empty() || stem.starts_with('.') || NON_RECORDS.contains(&lower.as_str()) {
        return false;
    }
    !is_template_name(stem) && (has_extension || looks_like_adr_file_name(file_name))
}

/// Whether a Markdown file is a record template by its name (`template.md`, `adr-template.md`,
/// `RFCNNNN-New-RFC-Template.md`): in a decision folder, neither a record nor a page.
pub fn is_template_file(file_name: &str) -> bool {
    strip_markdown_extension(file_name).is_some_and(is_template_name)
}

/// Template files are named after what they are: `template.md`,
/// `adr-template.md`, `RFCNNNN-New-RFC-Template.md`. A numbered record about
/// templates (`0005-use-a-template-engine.md`) is not one.
pub(crate) fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let has_word = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "template");
    has_word && !DATE_PREFIX.is_match(&lower) && number_from_file_name(name).is_none()
}

/// The stem of a Markdown file name, or the whole name when it has no
/// extension at all; `None` for other files (`.png`, `.yml`).
fn strip_markdown_extension(name: &str) -> Option<&str> {
    let lower = name.to_ascii_lowercase();
    for ext in [".md", ".markdown", ".mdx"] {
        if lower.ends_with(ext) {
            return name.get(..name.len() - ext.len());
        }
    }
    match name.rsplit_once('.') {
        // `ADR 1.2 notes` style dots are not extensions, but `x.png` is.
        Some((_, ext)) if ext.len() <= 4 && ext.chars().all(|c| c.is_ascii_alphanumeric()) => None,
        _ => Some(name),
    }
}

/// Folders holding decision records below (or at) `repo_root`, sorted.
pub fn find_adr_roots(repo_root: &Path) -> Vec<AdrRoot> {
    let steps: [fn(&Path) -> Vec<AdrRoot>; 4] =
        [from_adr_dir, from_log4brains, from_conventional, from_scan];
    for step in steps {
        let mut roots = step(repo_root);
        if !roots.is_empty() {
            roots.sort();
            roots.dedup();
            return roots;
        }
    }
    Vec::new()
}

fn root(path: PathBuf, package: Option<String>) -> AdrRoot {
    AdrRoot { path, package }
}

fn from_adr_dir(repo_root: &Path) -> Vec<AdrRoot> {
    let Ok(text) = fs::read_to_string(repo_root.join(".adr-dir")) else {
        return Vec::new();
    };
    let line = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("")
        .trim();
    let dir = join_relative(repo_root, line);
    if line.is_empty() || !dir.is_dir() {
        return Vec::new();
    }
    vec![root(dir, None)]
}

#[derive(Deserialize)]
struct Log4brainsConfig {
    project: Option<Log4brainsProject>,
}

#[derive(Deserialize)]
struct Log4brainsProject {
    name: Option<String>,
    #[serde(rename = "adrFolder")]
    adr_folder: Option<String>,
    #[serde(default)]
    packages: Vec<Log4brainsPackage>,
}

#[derive(Deserialize)]
struct Log4brainsPackage {
    name: Option<String>,
    #[serde(rename = "adrFolder")]
    adr_folder: Option<String>,
}

/// The project's name in `.log4brains.yml`, which Log4brains shows as its site's title.
pub fn log4brains_project_name(repo_root: &Path) -> Option<String> {
    let text = fs::read_to_string(repo_root.join(".log4brains.yml")).ok()?;
    let config = serde_yaml::from_str::<Log4brainsConfig>(&text).ok()?;
    let name = config.project?.name?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn from_log4brains(repo_root: &Path) -> Vec<AdrRoot> {
    let Ok(text) = fs::read_to_string(repo_root.join(".log4brains.yml")) else {
        return Vec::new();
    };
    let Ok(config) = serde_yaml::from_str::<Log4brainsConfig>(&text) else {
        return Vec::new();
    };
    let Some(project) = config.project else {
        return Vec::new();
    };
    let main = project.adr_folder.map(|f| (f, None));
    let packages = project
        .packages
        .into_iter()
        .filter_map(|p| Some((p.adr_folder?, p.name)));
    main.into_iter()
        .chain(packages)
        .map(|(folder, package)| root(join_relative(repo_root, &folder), package))
        .filter(|r| r.path.is_dir())
        .collect()
}

fn from_conventional(repo_root: &Path) -> Vec<AdrRoot> {
    CONVENTIONAL
        .iter()
        .map(|rel| repo_root.join(rel))
        .filter(|dir| dir.is_dir() && count_adr_files(dir).0 > 0)
        .map(|dir| root(dir, None))
        .collect()
}

/// Joins a configured folder such as `./docs/adr` without leaving `.` parts
/// and without letting `..` or absolute paths escape the repository.
fn join_relative(base: &Path, rel: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for component in Path::new(rel.trim()).components() {
        if let Component::Normal(part) = component {
            out.push(part);
        }
    }
    out
}

/// (ADR-named files, candidate files) directly inside `dir`.
fn count_adr_files(dir: &Path) -> (usize, usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0);
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_adr_candidate(name))
        .collect();
    let adr_named = names.iter().filter(|n| looks_like_adr_file_name(n)).count();
    (adr_named, names.len())
}

fn is_walkable(entry: &DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    entry.depth() == 0 || !(name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref()))
}

fn from_scan(repo_root: &Path) -> Vec<AdrRoot> {
    let mut strong = BTreeSet::new();
    let mut weak = BTreeSet::new();
    let dirs = WalkDir::new(repo_root)
        .max_depth(SCAN_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_type().is_dir() && is_walkable(e))
        .filter_map(Result::ok);
    for dir in dirs {
        let (adr_named, candidates) = count_adr_files(dir.path());
        if adr_named * 2 <= candidates {
            continue;
        }
        // One record in a folder named for them is a log just begun (`adr init` writes 0001).
        let named_for_records = dir
            .file_name()
            .to_str()
            .map(str::to_ascii_lowercase)
            .is_some_and(|name| {
                CONVENTIONAL
                    .iter()
                    .any(|c| c.rsplit('/').next() == Some(&name))
            });
        let set = if adr_named >= 2 || named_for_records {
            &mut strong
        } else {
            &mut weak
        };
        set.insert(dir.into_path());
    }
    let near_strong = |dir: &PathBuf| {
        strong.iter().any(|s: &PathBuf| {
            s.parent() == dir.parent() || s.parent() == Some(dir) || dir.parent() == Some(s)
        })
    };
    let accepted: Vec<PathBuf> = weak.iter().filter(|d| near_strong(d)).cloned().collect();
    strong
        .into_iter()
        .chain(accepted)
        .map(|dir| root(dir, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_file_names() {
        assert_eq!(number_from_file_name("0003-use-x.md"), Some(3));
        assert_eq!(number_from_file_name("0000-use-markdown.md"), Some(0));
        assert_eq!(number_from_file_name("adr-017-simplify.md"), Some(17));
        assert_eq!(number_from_file_name("ADR-5.md"), Some(5));
        assert_eq!(
            number_from_file_name("RFC0038-Side-By-Side-Support"),
            Some(38)
        );
        assert_eq!(number_from_file_name("20201028-links.md"), None);
        assert_eq!(number_from_file_name("202012-receive-split.md"), None);
        assert_eq!(number_from_file_name("use-x.md"), None);
        assert_eq!(number_from_file_name("0008-example-badge.png"), None);
        assert_eq!(number_from_file_name("99999999999999-x.md"), None);
        assert_eq!(number_from_file_name(""), None);
    }

    #[test]
    fn adr_like_names() {
        assert!(looks_like_adr_file_name("0003-use-x.md"));
        assert!(looks_like_adr_file_name("20201028-links.md"));
        assert!(looks_like_adr_file_name("adr-001-use-adrs.md"));
        assert!(looks_like_adr_file_name("RFC0038-Side-By-Side-Support"));
        assert!(!looks_like_adr_file_name("README.md"));
        assert!(!looks_like_adr_file_name("adr-template.md"));
        assert!(!looks_like_adr_file_name(
            "20190812 - RFC Discussion Notes.md"
        ));
        assert!(!looks_like_adr_file_name("0008-example.png"));
    }

    #[test]
    fn candidates() {
        assert!(is_adr_candidate("0003-use-x.md"));
        assert!(is_adr_candidate("adr_with_a_WeIrd-filename.md"));
        assert!(is_adr_candidate("RFC0038-Side-By-Side-Support"));
        for name in [
            "README.md",
            "index.md",
            "_index.md",
            "template.md",
            "adr-template.md",
        ] {
            assert!(!is_adr_candidate(name), "{name}");
        }
        assert!(!is_adr_candidate("RFCNNNN-New-RFC-Template.md"));
        assert!(!is_adr_candidate("LICENSE"));
        assert!(!is_adr_candidate("notes.txt"));
    }
}
