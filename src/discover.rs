//! Discovery: the Markdown files and assets of a site, in sorted order, each with the role its
//! place gives it (post, decision record, doc, or asset copied as is).

use crate::adr::locate::is_adr_candidate;
use crate::config::SiteConfig;
use crate::error::{Diagnostic, Location};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Post,
    /// A decision record in `adr_roots[root]`.
    Adr {
        root: usize,
    },
    /// The README or index of an ADR folder: the decision log's introduction.
    AdrIntro {
        root: usize,
    },
    Doc,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Path relative to the content folder (or to the site root for ADR folders outside it), `/`-separated.
    pub rel: String,
    pub role: Role,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub sources: Vec<SourceFile>,
    /// Non-Markdown files to copy: (file, path relative to the output root).
    pub assets: Vec<(PathBuf, String)>,
    pub warnings: Vec<Diagnostic>,
}

pub fn discover(config: &SiteConfig) -> Discovered {
    let mut found = Discovered::default();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut roots: Vec<PathBuf> = Vec::new();
    let content_is_whole_repo = config.zero_config && !config.adr_roots.is_empty();
    if !content_is_whole_repo {
        roots.push(config.content_dir.clone());
    }
    roots.extend(config.adr_roots.iter().map(|r| r.path.clone()));
    for root in roots {
        walk(config, &root, &mut found, &mut seen);
    }
    let static_dir = config.root.join("static");
    if static_dir.is_dir() && !static_dir.starts_with(&config.content_dir) {
        for (path, rel) in walk_files(config, &static_dir, &mut found.warnings) {
            found.assets.push((path, rel));
        }
    }
    found.sources.sort_by(|a, b| a.rel.cmp(&b.rel));
    found.assets.sort_by(|a, b| a.1.cmp(&b.1));
    found.assets.dedup_by(|a, b| a.1 == b.1);
    found
}

fn walk(
    config: &SiteConfig,
    root: &Path,
    found: &mut Discovered,
    seen: &mut rustc_hash::FxHashSet<PathBuf>,
) {
    // Under the content folder, a file's name relative to it is the root's plus the file's
    // relative to the root (path operations per file were most of discovering 100,000 files).
    let root_rel = root.strip_prefix(&config.content_dir).ok().map(slash_path);
    for (path, rel_to_root) in walk_files(config, root, &mut found.warnings) {
        if !seen.insert(path.clone()) {
            continue;
        }
        let rel = match &root_rel {
            Some(prefix) if prefix.is_empty() => rel_to_root,
            Some(prefix) => format!("{prefix}/{rel_to_root}"),
            None => relative_name(config, &path),
        };
        if is_markdown(&path) {
            let role = role_of(config, &path);
            found.sources.push(SourceFile { path, rel, role });
        } else {
            found.assets.push((path, rel));
        }
    }
}

/// All files under `root`, sorted, skipping hidden and temporary files and the output folder.
fn walk_files(
    config: &SiteConfig,
    root: &Path,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(true)
        // Entries of one folder share its path: comparing whole paths orders them by name
        // without parsing each into components, as `sort_by_file_name` does per comparison.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter();
    let mut walker = walker.filter_entry(|e| e.depth() == 0 || !is_ignored(e.path(), config));
    let real_root = root.canonicalize().ok();
    while let Some(entry) = walker.next() {
        match entry {
            Ok(e) if leads_above(&e, real_root.as_deref()) => {
                warnings.push(
                    Diagnostic::warning(
                        Location::file(e.path()),
                        "symbolic link loop skipped: it leads to a folder that contains it",
                    )
                    .with_help("remove the link or point it outside its own parent folders"),
                );
                walker.skip_current_dir();
            }
            Ok(e) if e.file_type().is_file() => {
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .map(slash_path)
                    .unwrap_or_default();
                files.push((e.path().to_path_buf(), rel));
            }
            Ok(_) => {}
            Err(err) => warnings.push(walk_warning(root, &err)),
        }
    }
    files
}

/// A linked folder that is the walk's root or one of its parents: walkdir sees a loop only
/// once it comes back to a folder of its own path, after reading everything a second time.
/// The root itself may be a link (`content -> ../docs`).
fn leads_above(entry: &walkdir::DirEntry, real_root: Option<&Path>) -> bool {
    if entry.depth() == 0 || !(entry.path_is_symlink() && entry.file_type().is_dir()) {
        return false;
    }
    let (Some(root), Ok(target)) = (real_root, entry.path().canonicalize()) else {
        return false;
    };
    root.starts_with(target)
}

fn walk_warning(root: &Path, err: &walkdir::Error) -> Diagnostic {
    let path = err.path().unwrap_or(root).to_path_buf();
    if err.loop_ancestor().is_some() {
        Diagnostic::warning(Location::file(&path), "symbolic link loop skipped")
            .with_help("remove the link or point it outside its own parent folders")
    } else {
        Diagnostic::warning(Location::file(&path), format!("skipped: {err}"))
            .with_help("check the file's permissions")
    }
}

/// Hidden files, editor backups and swap files, the output folder, and dependency folders.
pub fn is_ignored(path: &Path, config: &SiteConfig) -> bool {
    if path.starts_with(&config.output_dir) {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    is_temp_or_hidden(&name) || matches!(name.as_ref(), "node_modules" | "target")
}

pub fn is_temp_or_hidden(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.starts_with(".#")
}

pub fn is_markdown(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("md" | "markdown")
    )
}

fn role_of(config: &SiteConfig, path: &Path) -> Role {
    // The innermost ADR root wins, so a package's folder inside the main one is its own log.
    let adr_root = config
        .adr_roots
        .iter()
        .enumerate()
        .filter(|(_, r)| path.starts_with(&r.path))
        .max_by_key(|(_, r)| r.path.components().count());
    if let Some((root, _)) = adr_root {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let in_top_folder = path.parent() == Some(config.adr_roots[root].path.as_path());
        if in_top_folder && matches!(lower.as_str(), "readme.md" | "index.md" | "_index.md") {
            return Role::AdrIntro { root };
        }
        if is_adr_candidate(&name) {
            return Role::Adr { root };
        }
        return Role::Doc;
    }
    let rel = path.strip_prefix(&config.content_dir).unwrap_or(path);
    if rel
        .components()
        .next()
        .is_some_and(|c| c.as_os_str() == "posts")
        && rel.components().count() > 1
    {
        Role::Post
    } else {
        Role::Doc
    }
}

/// Path of a file relative to the content folder, or to the site root when outside it.
fn relative_name(config: &SiteConfig, path: &Path) -> String {
    if let Ok(rel) = path.strip_prefix(&config.content_dir) {
        return slash_path(rel);
    }
    path.strip_prefix(&config.root)
        .map(slash_path)
        .unwrap_or_else(|_| slash_path(path))
}

pub fn slash_path(path: &Path) -> String {
    let mut out = String::with_capacity(path.as_os_str().len());
    for (i, part) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}
