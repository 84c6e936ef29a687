//! Discovery: the Markdown files and assets of a site, in sorted order, each with the role its
//! place gives it (post, decision record, doc, or asset copied as is).

use crate::adr::locate::{is_adr_candidate, is_template_file};
use crate::config::{STATIC_DIR, SiteConfig};
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
    let places = Places::of(config);
    for root in roots {
        walk(config, &places, &root, &mut found, &mut seen);
    }
    let static_dir = config.root.join(STATIC_DIR);
    if static_dir.is_dir() && !static_dir.starts_with(&config.content_dir) {
        for file in walk_files(&places, &static_dir, Files::Static, &mut found.warnings) {
            found.assets.push((file.path, file.rel));
        }
    }
    found.sources.sort_by(|a, b| a.rel.cmp(&b.rel));
    found.assets.sort_by(|a, b| a.1.cmp(&b.1));
    found.assets.dedup_by(|a, b| a.1 == b.1);
    found
}

/// The folders discovery compares files with, lexically normalised, as bytes. Every file is
/// compared as the bytes of its normalised path: `Path` operations (`starts_with`,
/// `strip_prefix`, `file_name`, hashing), which go component by component, were two thirds
/// of discovering 100,000 files (perf), on one core while the other waited. Normalised, a
/// folder named in `adr_dirs` as `./content/../content/decisions` is the content folder's
/// `decisions` (component by component it was not, and its records were read twice).
struct Places {
    output: Vec<u8>,
    /// Each ADR root's, in `config.adr_roots` order.
    adr_roots: Vec<Vec<u8>>,
}

impl Places {
    fn of(config: &SiteConfig) -> Places {
        Places {
            output: clean_bytes(&config.output_dir),
            adr_roots: (config.adr_roots.iter())
                .map(|r| clean_bytes(&r.path))
                .collect(),
        }
    }
}

/// `path` lexically normalised, as bytes.
fn clean_bytes(path: &Path) -> Vec<u8> {
    crate::config::normalise_path(path)
        .into_os_string()
        .into_encoded_bytes()
}

fn is_separator(b: u8) -> bool {
    b == b'/' || (cfg!(windows) && b == b'\\')
}

/// Whether normalised `path` is `folder` or inside it (both as [`clean_bytes`] makes them).
fn is_within(path: &[u8], folder: &[u8]) -> bool {
    path.strip_prefix(folder).is_some_and(|rest| {
        rest.first().is_none_or(|&b| is_separator(b))
            || folder.last().is_some_and(|&b| is_separator(b))
    })
}

/// `bytes` without the separators they start with.
fn trim_separators(bytes: &[u8]) -> &[u8] {
    let start = (bytes.iter().position(|&b| !is_separator(b))).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The last part of a path's bytes.
fn last_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| is_separator(b)).next().unwrap_or(path)
}

fn walk(
    config: &SiteConfig,
    places: &Places,
    root: &Path,
    found: &mut Discovered,
    seen: &mut rustc_hash::FxHashSet<Vec<u8>>,
) {
    // Under the content folder, a file's name relative to it is the root's plus the file's
    // relative to the root.
    let root_rel = root.strip_prefix(&config.content_dir).ok().map(slash_path);
    let files = walk_files(places, root, Files::Content, &mut found.warnings);
    let named = NamedRecords::of(places, &files);
    seen.reserve(files.len());
    for file in files {
        let WalkedFile { path, rel, clean } = file;
        let rel = match &root_rel {
            Some(prefix) if prefix.is_empty() => rel,
            Some(prefix) => format!("{prefix}/{rel}"),
            None => relative_name(config, &path),
        };
        if !is_markdown_name(last_name(&clean)) && !is_extensionless_record(places, &clean) {
            if seen.insert(clean) {
                found.assets.push((path, rel));
            }
            continue;
        }
        let in_content = root_rel.is_some().then_some(rel.as_str());
        let Some(role) = role_of(places, &named, &clean, in_content) else {
            continue;
        };
        if seen.insert(clean) {
            found.sources.push(SourceFile { path, rel, role });
        }
    }
}

/// A file found under a root: its path as walked, its name relative to the root
/// (`/`-separated), and its normalised path as bytes (see [`Places`]).
struct WalkedFile {
    path: PathBuf,
    rel: String,
    clean: Vec<u8>,
}

/// The bytes of `path` after those of `root` (which it was walked from, so joined with names),
/// if they are plain names: the file's place under the root.
fn under_root<'p>(path: &'p Path, root: &[u8]) -> Option<&'p [u8]> {
    let rest = trim_separators(path.as_os_str().as_encoded_bytes().strip_prefix(root)?);
    let plain = !(rest.split(|&b| is_separator(b)))
        .any(|part| part.is_empty() || part == b"." || part == b"..");
    plain.then_some(rest)
}

/// All files under `root`, sorted, skipping hidden and temporary files and the output folder.
/// What a folder walked holds: `static/` is copied as it is, dotfiles too (`.nojekyll`,
/// `.well-known/security.txt`, `.htaccess`); content skips them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Files {
    Content,
    Static,
}

fn walk_files(
    places: &Places,
    root: &Path,
    kind: Files,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<WalkedFile> {
    let is_ignored_name = |name: &[u8]| match kind {
        Files::Content => is_ignored_name(name),
        Files::Static => is_ignored_static_name(name),
    };
    let mut files = Vec::new();
    let root_bytes = root.as_os_str().as_encoded_bytes();
    let clean_root = clean_bytes(root);
    // Every path walked is the root joined with names: the bytes after the root's are the
    // file's place under it, and the root's normalised bytes plus those its normalised path.
    let clean_path = |path: &Path, place: Option<&[u8]>| match place {
        Some(rest) => {
            let mut clean = Vec::with_capacity(clean_root.len() + 1 + rest.len());
            clean.extend_from_slice(&clean_root);
            if !clean.last().is_some_and(|&b| is_separator(b)) {
                clean.push(std::path::MAIN_SEPARATOR as u8);
            }
            clean.extend_from_slice(rest);
            clean
        }
        None => clean_bytes(path),
    };
    // The output folder's place under the root (empty: the root is in it), if it is there.
    let output_under_root: Option<&[u8]> = if is_within(&clean_root, &places.output) {
        Some(b"")
    } else if is_within(&places.output, &clean_root) {
        Some(trim_separators(&places.output[clean_root.len()..]))
    } else {
        None
    };
    let ignored = |e: &walkdir::DirEntry| match under_root(e.path(), root_bytes) {
        Some(place) => {
            output_under_root.is_some_and(|out| out.is_empty() || is_within(place, out))
                || is_ignored_name(last_name(place))
        }
        None => {
            let clean = clean_path(e.path(), None);
            is_within(&clean, &places.output) || is_ignored_name(last_name(&clean))
        }
    };
    let walker = WalkDir::new(root)
        .follow_links(true)
        // Entries of one folder share its path: comparing whole paths orders them by name
        // without parsing each into components, as `sort_by_file_name` does per comparison.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter();
    let mut walker = walker.filter_entry(|e| e.depth() == 0 || !ignored(e));
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
                let place = under_root(e.path(), root_bytes);
                let rel = match place.map(std::str::from_utf8) {
                    Some(Ok(rel)) if !cfg!(windows) => rel.to_string(),
                    _ => (e.path().strip_prefix(root))
                        .map(slash_path)
                        .unwrap_or_default(),
                };
                let clean = clean_path(e.path(), place);
                files.push(WalkedFile {
                    path: e.into_path(),
                    rel,
                    clean,
                });
            }
            Ok(e) if !e.file_type().is_dir() => warnings.push(
                Diagnostic::warning(
                    Location::file(e.path()),
                    "skipped: not a regular file (a pipe, socket or device)",
                )
                .with_help("replace it with a regular file, or move it out of the site's folders"),
            ),
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
    } else if err.io_error().map(std::io::Error::kind) == Some(std::io::ErrorKind::NotFound) {
        // walkdir follows links: a link to nothing is the one file here that is not found,
        // but for a folder to walk that is not there at all (an `adr_dirs` entry).
        let Ok(target) = std::fs::read_link(&path) else {
            return Diagnostic::warning(
                Location::file(&path),
                "skipped: this folder does not exist",
            )
            .with_help("create it, or correct the folder named in lore.yaml");
        };
        let target = target.display();
        Diagnostic::warning(
            Location::file(&path),
            format!("skipped: a symbolic link to `{target}`, which does not exist"),
        )
        .with_help("point the link at an existing file, or remove it")
    } else {
        Diagnostic::warning(Location::file(&path), format!("skipped: {err}"))
            .with_help("check the file's permissions")
    }
}

/// Hidden files, editor backups and swap files, and dependency folders, by name.
fn is_ignored_name(name: &[u8]) -> bool {
    is_temp_or_hidden_name(name) || matches!(name, b"node_modules" | b"target")
}

/// A name `static/` does not copy: editor scratch files and what version control and file
/// managers keep (`.git`, `.DS_Store`); other dotfiles are the site's.
pub fn is_ignored_static_name(name: &[u8]) -> bool {
    let scratch = !name.starts_with(b".") && is_temp_or_hidden_name(name);
    let editor_temp = name.starts_with(b".#") || name.ends_with(b".swp") || name.ends_with(b".swx");
    // `4913` is the file Vim writes to test whether a folder is writable.
    let kept_by_tools = matches!(
        name,
        b".git" | b".svn" | b".hg" | b".DS_Store" | b".gitkeep" | b"4913"
    );
    scratch || editor_temp || kept_by_tools || name.ends_with(b"~")
}

pub fn is_temp_or_hidden(name: &str) -> bool {
    is_temp_or_hidden_name(name.as_bytes())
}

fn is_temp_or_hidden_name(name: &[u8]) -> bool {
    name.starts_with(b".")
        || name.starts_with(b"#")
        || name.ends_with(b"~")
        || name.ends_with(b".swp")
        || name.ends_with(b".swx")
        || name.ends_with(b".tmp")
        || name.ends_with(b".bak")
        // JetBrains IDEs' "safe write": `x.md___jb_tmp___` renamed over `x.md`, kept as
        // `x.md___jb_old___` until it is deleted.
        || name.ends_with(b"___jb_tmp___")
        || name.ends_with(b"___jb_old___")
}

pub fn is_markdown(path: &Path) -> bool {
    (path.file_name()).is_some_and(|name| is_markdown_name(name.as_encoded_bytes()))
}

/// Whether a file's name, as bytes, ends in a Markdown extension: after the last dot of a
/// name that does not start there (as `Path::extension` takes it).
fn is_markdown_name(name: &[u8]) -> bool {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => matches!(&name[dot + 1..], b"md" | b"markdown"),
        _ => false,
    }
}

/// A file named like a record but without an extension (adr-tools users write `0007-x`), in a
/// decision folder: a record, not a static file.
fn is_extensionless_record(places: &Places, clean: &[u8]) -> bool {
    let name = last_name(clean);
    !name.contains(&b'.')
        && places.adr_roots.iter().any(|r| is_within(clean, r))
        && is_adr_candidate(&String::from_utf8_lossy(name))
}

/// The folder part of a normalised path (all of it before its last name).
fn parent_of(clean: &[u8]) -> &[u8] {
    let end = clean.iter().rposition(|&b| is_separator(b)).unwrap_or(0);
    &clean[..end]
}

/// Where a walk found files named as records are (`0007-x.md`, `RFC0037-x.md`,
/// `20200102-x.md`): a folder below a decision folder that holds none while others do is not
/// one of records (PowerShell's `notes/20190610 - RFC Discussion Notes.md`: meeting notes).
struct NamedRecords {
    /// Folders holding such a file.
    folders: rustc_hash::FxHashSet<Vec<u8>>,
    /// For each decision folder (as `places.adr_roots`), whether any file in it is so named.
    roots: Vec<bool>,
}

impl NamedRecords {
    fn of(places: &Places, files: &[WalkedFile]) -> NamedRecords {
        let mut named = NamedRecords {
            folders: Default::default(),
            roots: vec![false; places.adr_roots.len()],
        };
        for file in files {
            let name = String::from_utf8_lossy(last_name(&file.clean));
            if !crate::adr::locate::looks_like_adr_file_name(&name) {
                continue;
            }
            for (i, root) in places.adr_roots.iter().enumerate() {
                if is_within(&file.clean, root) {
                    named.roots[i] = true;
                    named.folders.insert(parent_of(&file.clean).to_vec());
                }
            }
        }
        named
    }

    /// Whether a file in a folder below decision folder `root` is a record by its place.
    fn in_records_folder(&self, root: usize, clean: &[u8]) -> bool {
        !self.roots[root] || self.folders.contains(parent_of(clean))
    }
}

/// A Markdown file's role by its place: `clean` is its normalised path (see [`Places`]),
/// `in_content` its name relative to the content folder when it is under it. `None` for a
/// record template in a decision folder: Log4brains' `template.md` is no page to publish.
fn role_of(
    places: &Places,
    named: &NamedRecords,
    clean: &[u8],
    in_content: Option<&str>,
) -> Option<Role> {
    // The innermost ADR root wins, so a package's folder inside the main one is its own log.
    let adr_root = (places.adr_roots.iter().enumerate())
        .filter(|(_, r)| is_within(clean, r))
        .max_by_key(|(_, r)| r.len());
    if let Some((root, root_path)) = adr_root {
        let name = String::from_utf8_lossy(last_name(clean));
        let lower = name.to_ascii_lowercase();
        let below = trim_separators(&clean[root_path.len()..]);
        let in_top_folder = !below.is_empty() && !below.iter().any(|&b| is_separator(b));
        if in_top_folder && introduces_its_folder(&lower) {
            return Some(Role::AdrIntro { root });
        }
        let in_subfolder = below.iter().any(|&b| is_separator(b));
        if is_adr_candidate(&name) && (!in_subfolder || named.in_records_folder(root, clean)) {
            return Some(Role::Adr { root });
        }
        return (!is_template_file(&name)).then_some(Role::Doc);
    }
    // `posts/_index.md` introduces the posts list, as a doc folder's does its section.
    Some(match in_content.and_then(|rel| rel.split_once('/')) {
        Some(("posts", name)) if !introduces_its_folder(name) => Role::Post,
        _ => Role::Doc,
    })
}

/// `README.md`, `index.md` or `_index.md` (in any case), directly in its folder.
fn introduces_its_folder(name: &str) -> bool {
    let extension = name.get(name.len().saturating_sub(3)..);
    let is_md = extension.is_some_and(|e| e.eq_ignore_ascii_case(".md"));
    !name.contains('/') && is_md && crate::document::introduces_its_folder(Path::new(name))
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

#[cfg(test)]
mod tests {
    use super::{is_markdown, is_markdown_name, is_within, last_name, under_root};
    use std::path::Path;

    #[test]
    fn a_path_is_within_a_folder_only_at_a_separator() {
        assert!(is_within(b"/site/public", b"/site/public"));
        assert!(is_within(b"/site/public/a.html", b"/site/public"));
        assert!(!is_within(b"/site/public-old/a.html", b"/site/public"));
        assert!(!is_within(b"/site", b"/site/public"));
        assert!(is_within(b"/site", b"/"));
        assert!(is_within(b"posts/a.md", b"posts"));
        assert!(!is_within(b"postscript.md", b"posts"));
    }

    #[test]
    fn a_walked_path_is_placed_under_its_root_by_its_bytes() {
        fn place<'p>(path: &'p str, root: &str) -> Option<&'p [u8]> {
            under_root(Path::new(path), root.as_bytes())
        }
        assert_eq!(
            place("/s/content/posts/a.md", "/s/content"),
            Some(&b"posts/a.md"[..])
        );
        assert_eq!(
            place("/s/content/posts/a.md", "/s/content/"),
            Some(&b"posts/a.md"[..])
        );
        assert_eq!(
            place("/s/./content/a.md", "/s/./content"),
            Some(&b"a.md"[..])
        );
        // Not joined from the root, the root itself, or not plain names: left to `Path`.
        assert_eq!(place("/s/other/a.md", "/s/content"), None);
        assert_eq!(place("/s/content", "/s/content"), None);
        assert_eq!(place("/s/content/x/../a.md", "/s/content"), None);
        assert_eq!(last_name(b"/s/content/posts/a.md"), b"a.md");
        assert_eq!(last_name(b"a.md"), b"a.md");
    }

    #[test]
    fn markdown_is_told_by_its_extension_as_path_takes_it() {
        for (name, markdown) in [
            ("a.md", true),
            ("a.markdown", true),
            ("a.b.md", true),
            ("a.MD", false),
            ("a.md.bak", false),
            ("a.mdx", false),
            ("md", false),
            (".md", false),
            ("a.", false),
            ("x", false),
        ] {
            // The same as `Path::extension` says.
            let by_path = Path::new(name)
                .extension()
                .is_some_and(|e| e == "md" || e == "markdown");
            assert_eq!(by_path, markdown, "{name}");
            assert_eq!(is_markdown_name(name.as_bytes()), markdown, "{name}");
            assert_eq!(
                is_markdown(Path::new(&format!("/s/{name}"))),
                markdown,
                "{name}"
            );
        }
    }
}
