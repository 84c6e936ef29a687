//! Watching the site's sources: notify events, debounced, filtered (editor temp and swap files,
//! hidden files, the output folder) and coalesced into one [`ChangeSet`] per burst, so a git
//! checkout that touches a thousand files causes one rebuild.

use crate::config::{
    CONFIG_FILE, CONTENT_DIR, OUTPUT_DIR, STATIC_DIR, SiteConfig, TEMPLATES_DIR, THEMES_DIR,
};
use crate::discover::is_temp_or_hidden;
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// How long a path must be quiet before the debouncer reports it (merges an editor's
/// truncate-write or write-rename into one event).
const DEBOUNCE: Duration = Duration::from_millis(5);
/// After a batch of one or two files (an editor saving), wait this long for more: short, as it
/// is part of the time from saving to seeing the page.
const QUIET_EDIT: Duration = Duration::from_millis(5);
/// Once more files have changed (a checkout, a search-and-replace), wait longer for the rest of
/// the burst: it arrives as several batches and should cause one rebuild.
const QUIET_BURST: Duration = Duration::from_millis(120);
/// A burst that never goes quiet still gets a rebuild this often.
const MAX_BURST: Duration = Duration::from_secs(2);

/// What a changed path is, for deciding how to rebuild and how to reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Content,
    Theme,
    Static,
    Config,
}

/// The changes of one burst.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub paths: BTreeMap<PathBuf, ChangeKind>,
    /// The watcher lost events (queue overflow): everything may have changed.
    pub rescan: bool,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan
    }

    /// Adds `other`'s changes (a rebuild given up for newer changes is owed them too).
    pub fn merge(&mut self, other: ChangeSet) {
        self.paths.extend(other.paths);
        self.rescan |= other.rescan;
    }

    /// A change set that makes a rebuild start from nothing (the first build, lost events).
    pub fn everything() -> ChangeSet {
        ChangeSet {
            paths: BTreeMap::new(),
            rescan: true,
        }
    }

    /// Templates or theme assets changed: the theme must be loaded again.
    pub fn theme_changed(&self) -> bool {
        self.rescan || self.paths.values().any(|k| *k == ChangeKind::Theme)
    }

    pub fn config_changed(&self) -> bool {
        self.rescan || self.paths.values().any(|k| *k == ChangeKind::Config)
    }

    /// Only stylesheets changed: pages can swap them instead of reloading.
    pub fn css_only(&self) -> bool {
        !self.is_empty() && !self.rescan && self.paths.keys().all(|p| has_extension(p, "css"))
    }

    /// Only Markdown changed: if the output is the same, nothing needs reloading.
    pub fn markdown_only(&self) -> bool {
        !self.is_empty()
            && !self.rescan
            && self.paths.keys().all(|p| crate::discover::is_markdown(p))
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Decides which paths matter: everything under the watched folders except the output folder,
/// hidden and temporary files, and dependency folders; at the top of the root, only the names
/// a site is made of (unless the whole folder is the content).
#[derive(Debug, Clone)]
pub struct Filter {
    root: PathBuf,
    output_dir: PathBuf,
    /// `None`: every top-level name counts (zero-config sites, where the root is the content).
    top_names: Option<BTreeSet<String>>,
}

impl Filter {
    pub fn new(root: &Path, config: Option<&SiteConfig>) -> Filter {
        let root = crate::config::absolute(root);
        let output_dir = config.map_or_else(|| root.join(OUTPUT_DIR), |c| c.output_dir.clone());
        let top_names = match config {
            Some(c) if c.content_dir == root => None,
            _ => {
                let mut names: BTreeSet<String> = [
                    CONFIG_FILE,
                    CONTENT_DIR,
                    TEMPLATES_DIR,
                    THEMES_DIR,
                    STATIC_DIR,
                ]
                .map(String::from)
                .into();
                let dirs = config.into_iter().flat_map(|c| {
                    std::iter::once(&c.content_dir).chain(c.adr_roots.iter().map(|r| &r.path))
                });
                names.extend(dirs.filter_map(|d| first_component(&root, d)));
                Some(names)
            }
        };
        Filter {
            root,
            output_dir,
            top_names,
        }
    }

    /// The kind of change, or `None` if the path is to be ignored.
    pub fn classify(&self, path: &Path) -> Option<ChangeKind> {
        if path.starts_with(&self.output_dir) {
            return None;
        }
        let Ok(rel) = path.strip_prefix(&self.root) else {
            let name = path.file_name()?.to_string_lossy();
            return (!ignored_name(&name)).then_some(ChangeKind::Content);
        };
        let names: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let top = names.first()?;
        let ignored = |n: &String| match top.as_str() {
            STATIC_DIR => crate::discover::is_ignored_static_name(n.as_bytes()),
            _ => ignored_name(n),
        };
        if names.iter().any(ignored) {
            return None;
        }
        if self.top_names.as_ref().is_some_and(|t| !t.contains(top)) {
            return None;
        }
        Some(match top.as_str() {
            CONFIG_FILE if names.len() == 1 => ChangeKind::Config,
            TEMPLATES_DIR | THEMES_DIR => ChangeKind::Theme,
            STATIC_DIR => ChangeKind::Static,
            _ => ChangeKind::Content,
        })
    }
}

fn ignored_name(name: &str) -> bool {
    // `4913` is the file Vim writes to test whether a folder is writable.
    is_temp_or_hidden(name) || matches!(name, "node_modules" | "target" | "4913")
}

fn first_component(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    rel.components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
}

/// The folders to watch: the root itself (not recursively, for `lore.yaml` and new top-level
/// folders), and the content, ADR, template, theme and static folders recursively. When the root
/// is the content, its subfolders are watched one by one so `.git` and `target` are not.
pub fn targets(root: &Path, config: Option<&SiteConfig>) -> BTreeMap<PathBuf, RecursiveMode> {
    let root = crate::config::absolute(root);
    let filter = Filter::new(&root, config);
    let mut dirs: Vec<PathBuf> = [TEMPLATES_DIR, THEMES_DIR, STATIC_DIR, CONTENT_DIR]
        .iter()
        .map(|d| root.join(d))
        .collect();
    if let Some(c) = config {
        dirs.push(c.content_dir.clone());
        dirs.extend(c.adr_roots.iter().map(|r| r.path.clone()));
    }
    let mut recursive = BTreeSet::new();
    let mut above_missing = BTreeSet::new();
    for dir in dirs {
        if dir == root {
            recursive.extend(child_dirs(&root).filter(|d| filter.classify(d).is_some()));
        } else if dir.is_dir() && filter.classify(&dir).is_some() {
            recursive.insert(dir);
        } else if let Some(parent) = nearest_existing_below(&root, &dir) {
            // `adr_dirs: [docs/adr]` with only `docs/` made so far: watch `docs/` to see `adr/`.
            above_missing.insert(parent);
        }
    }
    let mut out: BTreeMap<PathBuf, RecursiveMode> = recursive
        .iter()
        .filter(|d| !recursive.iter().any(|o| o != *d && d.starts_with(o)))
        .map(|d| (d.clone(), RecursiveMode::Recursive))
        .collect();
    for dir in above_missing {
        if !recursive.iter().any(|r| dir.starts_with(r)) {
            out.insert(dir, RecursiveMode::NonRecursive);
        }
    }
    out.insert(root, RecursiveMode::NonRecursive);
    out
}

/// The nearest folder above `dir` (which does not exist) that does, strictly below `root`.
fn nearest_existing_below(root: &Path, dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(root) && *a != root)
        .find(|a| a.is_dir())
        .map(Path::to_path_buf)
}

fn child_dirs(root: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
}

/// A debounced watcher over a site's folders, kept in step with its configuration.
pub struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    events: mpsc::Receiver<DebounceEventResult>,
    /// Set as soon as a change arrives, so a rebuild in progress can give way to a newer one.
    pending: Arc<AtomicBool>,
    root: PathBuf,
    filter: Filter,
    watched: BTreeMap<PathBuf, RecursiveMode>,
    /// Links to folders made inside watched folders since the start: a recursive watch follows
    /// the links it finds when it starts, not those made later, so each gets a watch of its own.
    linked: BTreeSet<PathBuf>,
}

impl Watcher {
    pub fn new(root: &Path, config: Option<&SiteConfig>) -> notify::Result<Watcher> {
        let (sender, events) = mpsc::channel();
        let pending = Arc::new(AtomicBool::new(false));
        let flag = pending.clone();
        let debouncer = new_debouncer(DEBOUNCE, None, move |batch: DebounceEventResult| {
            if batch
                .as_ref()
                .map_or(true, |events| events.iter().any(is_edit))
            {
                flag.store(true, Ordering::SeqCst);
            }
            let _ = sender.send(batch);
        })?;
        let root = crate::config::absolute(root);
        let mut watcher = Watcher {
            debouncer,
            events,
            pending,
            filter: Filter::new(&root, config),
            root,
            watched: BTreeMap::new(),
            linked: BTreeSet::new(),
        };
        watcher.sync(config, &ChangeSet::default());
        Ok(watcher)
    }

    /// True from the moment a change arrives until [`Watcher::next_change`] collects it.
    pub fn pending(&self) -> Arc<AtomicBool> {
        self.pending.clone()
    }

    /// The folders being watched.
    pub fn watched(&self) -> &BTreeMap<PathBuf, RecursiveMode> {
        &self.watched
    }

    /// Watches what the (possibly new) configuration needs and stops watching what it does not.
    /// Folders that were just created (or deleted and created again) are watched afresh.
    pub fn sync(&mut self, config: Option<&SiteConfig>, changes: &ChangeSet) {
        self.filter = Filter::new(&self.root, config);
        let mut wanted = targets(&self.root, config);
        self.linked.extend(
            (changes.paths.keys())
                .filter(|p| p.is_symlink() && p.is_dir())
                .cloned(),
        );
        self.linked.retain(|p| p.is_symlink() && p.is_dir());
        for link in &self.linked {
            wanted.insert(link.clone(), RecursiveMode::Recursive);
        }
        let stale: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(p, m)| wanted.get(*p) != Some(m) || changes.paths.contains_key(*p))
            .map(|(p, _)| p.clone())
            .collect();
        for path in stale {
            // Fails when the folder is gone, which is why it is being unwatched.
            let _ = self.debouncer.unwatch(&path);
            self.watched.remove(&path);
        }
        for (path, mode) in wanted {
            if self.watched.contains_key(&path) {
                continue;
            }
            match self.debouncer.watch(&path, mode) {
                Ok(()) => {
                    self.watched.insert(path, mode);
                }
                Err(err) => log::warn!("cannot watch {}: {err}", path.display()),
            }
        }
    }

    /// Waits up to `wait` for changes, then collects the rest of the burst. `None` if nothing
    /// relevant changed in that time.
    pub fn next_change(&self, wait: Duration) -> Option<ChangeSet> {
        let first = self.events.recv_timeout(wait).ok()?;
        // Cleared before the burst is drained: a change arriving later sets it again.
        self.pending.store(false, Ordering::SeqCst);
        let mut changes = ChangeSet::default();
        self.add(&mut changes, first);
        let started = Instant::now();
        while started.elapsed() < MAX_BURST {
            let quiet = if changes.paths.len() <= 2 && !changes.rescan {
                QUIET_EDIT
            } else {
                QUIET_BURST
            };
            match self.events.recv_timeout(quiet) {
                Ok(batch) => self.add(&mut changes, batch),
                Err(_) => break,
            }
        }
        (!changes.is_empty()).then_some(changes)
    }

    fn add(&self, changes: &mut ChangeSet, batch: DebounceEventResult) {
        let events = match batch {
            Ok(events) => events,
            Err(errors) => {
                for err in errors {
                    log::warn!("file watcher: {err}");
                }
                changes.rescan = true;
                return;
            }
        };
        for event in events {
            if event.need_rescan() {
                changes.rescan = true;
            }
            if is_read(&event.kind) {
                continue;
            }
            for path in &event.paths {
                if let Some(kind) = self.filter.classify(path) {
                    changes.paths.insert(path.clone(), kind);
                }
            }
        }
    }
}

/// Reads, including the rebuild's own, are not changes; nor are metadata-only events, because
/// reading a file just edited updates its access time (inotify's IN_ATTRIB), which would
/// otherwise make every rebuild cause another.
fn is_read(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(notify::event::ModifyKind::Metadata(_))
    )
}

/// Could this event be a writer's change? Reads and editor scratch files are not.
fn is_edit(event: &notify_debouncer_full::DebouncedEvent) -> bool {
    // A dotfile may be static's (`.nojekyll`); `classify` tells which are.
    !is_read(&event.kind)
        && event.paths.iter().any(|p| {
            p.file_name()
                .is_some_and(|n| !crate::discover::is_ignored_static_name(n.as_encoded_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_and_ignores() {
        let f = Filter::new(Path::new("/site"), None);
        let c = |p: &str| f.classify(Path::new(p));
        assert_eq!(c("/site/lore.yaml"), Some(ChangeKind::Config));
        assert_eq!(c("/site/content/posts/a.md"), Some(ChangeKind::Content));
        assert_eq!(c("/site/templates/page.html"), Some(ChangeKind::Theme));
        assert_eq!(c("/site/themes/x/assets/a.css"), Some(ChangeKind::Theme));
        assert_eq!(c("/site/static/img.png"), Some(ChangeKind::Static));
        // static/ copies dotfiles, as the build does.
        assert_eq!(c("/site/static/.nojekyll"), Some(ChangeKind::Static));
        assert_eq!(
            c("/site/static/.well-known/security.txt"),
            Some(ChangeKind::Static)
        );
        for ignored in [
            "/site/static/.DS_Store",
            "/site/static/.git/config",
            "/site/static/.app.js.swp",
            "/site/public/index.html",
            "/site/content/.a.md.swp",
            "/site/content/a.md~",
            "/site/content/#a.md#",
            "/site/content/.git/x",
            "/site/content/4913.tmp",
            "/site/Cargo.toml",
            "/site/content/node_modules/x.md",
        ] {
            assert_eq!(c(ignored), None, "{ignored}");
        }
    }
}
