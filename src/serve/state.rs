//! What the server shows: the current site, the current build error and a version, swapped as
//! one snapshot so a request sees either the old or the new state, never a mix of the two.

use crate::output::OutputSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// What open pages are told after a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadKind {
    /// Reload the page (content, templates, an error appearing or going away).
    Reload,
    /// Only stylesheets changed: swap them without reloading.
    Css,
    /// Only the search index changed: open pages drop what they loaded of it.
    Search,
}

/// One message on the reload channel: what to do, and the version it brings pages to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadEvent {
    pub kind: ReloadKind,
    pub version: String,
    /// For a reload: the pages (output paths, `posts/x/index.html`) that changed, when only
    /// they need it; open pages showing others stay as they are. `None`: every page reloads.
    pub pages: Option<Arc<[String]>>,
}

/// Everything a request needs, taken together with one lock read.
#[derive(Debug)]
pub struct Snapshot {
    /// The last site that built; a failed rebuild keeps it.
    pub output: Arc<OutputSet>,
    /// The path part of `base_url` (starts and ends with `/`): the site is served under it.
    pub base_path: String,
    /// The failed rebuild's diagnostics as the terminal shows them, until a rebuild succeeds.
    pub error: Option<String>,
    /// Changes with every published change; pages carry it to notice what they missed.
    pub version: String,
    /// While the first build renders: asks for single files to be rendered now.
    pub on_demand: Option<OnDemandSender>,
}

/// A request for one file of the site (its output path), rendered before the whole site is;
/// answered `None` when it cannot be made alone (search index, feeds) or failed.
pub type OnDemandRequest = (String, tokio::sync::oneshot::Sender<Option<Vec<u8>>>);
pub type OnDemandSender = std::sync::mpsc::Sender<OnDemandRequest>;

/// Shared by the server and the watch loop through an `Arc`; no globals.
pub struct ServeState {
    current: RwLock<Arc<Snapshot>>,
    reload: broadcast::Sender<ReloadEvent>,
    /// Set on Ctrl-C: event streams end, so a graceful shutdown does not wait for open pages.
    shutdown: tokio::sync::watch::Sender<bool>,
    /// Differs between runs, so a page reconnecting to a restarted server reloads.
    instance: String,
    generation: AtomicU64,
    /// True once a whole site (or an error) is published, not one rendered on demand.
    whole: tokio::sync::watch::Sender<bool>,
    /// Inject the live reload script into HTML (always, in `lore serve`; off to test plain serving).
    pub live_reload: bool,
}

impl ServeState {
    pub fn new(output: OutputSet, base_path: &str, error: Option<String>) -> ServeState {
        ServeState::with(output, base_path, error, None)
    }

    /// Serves files rendered on demand through `sender` until a whole site is published.
    pub fn on_demand(base_path: &str, sender: OnDemandSender) -> ServeState {
        ServeState::with(OutputSet::default(), base_path, None, Some(sender))
    }

    fn with(
        output: OutputSet,
        base_path: &str,
        error: Option<String>,
        on_demand: Option<OnDemandSender>,
    ) -> ServeState {
        let instance = instance_id();
        let (reload, _) = broadcast::channel(64);
        let whole = tokio::sync::watch::Sender::new(on_demand.is_none());
        let snapshot = Snapshot {
            output: Arc::new(output),
            base_path: base_path.to_string(),
            error,
            version: format!("{instance}-0"),
            on_demand,
        };
        ServeState {
            current: RwLock::new(Arc::new(snapshot)),
            reload,
            shutdown: tokio::sync::watch::Sender::new(false),
            instance,
            generation: AtomicU64::new(0),
            whole,
            live_reload: true,
        }
    }

    /// Resolves once a whole site (or an error) is being served.
    pub fn whole_site(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut receiver = self.whole.subscribe();
        async move {
            let _ = receiver.wait_for(|whole| *whole).await;
        }
    }

    /// Serves the site as it is, without the injected script.
    pub fn without_live_reload(mut self) -> ServeState {
        self.live_reload = false;
        self
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a panic elsewhere; the snapshot inside is still whole.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ReloadEvent> {
        self.reload.subscribe()
    }

    /// Ends every event stream (and refuses new ones): the server is stopping.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once [`ServeState::shut_down`] was called.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut receiver = self.shutdown.subscribe();
        async move {
            let _ = receiver.wait_for(|stopping| *stopping).await;
        }
    }

    /// A successful build: serve it, clear any error, tell open pages.
    pub fn publish_site(&self, output: OutputSet, base_path: &str, kind: ReloadKind) {
        let had_error = self.snapshot().error.is_some();
        // Pages showing the overlay must reload to lose it; swapping CSS would leave it up.
        let kind = if had_error { ReloadKind::Reload } else { kind };
        let version = self.swap(|_| (Arc::new(output), base_path.to_string(), None));
        self.send(kind, version);
    }

    /// A rebuild after Markdown edits alone: serve it, and reload only the open pages whose
    /// HTML changed (the edited page, published ahead, is usually the same: reloading every
    /// page again was a second reload per save). Anything else changed, every page reloads.
    pub fn publish_changed_pages(&self, output: OutputSet, base_path: &str) {
        let before = self.snapshot();
        let pages = (before.error.is_none() && before.base_path == base_path)
            .then(|| changed_pages(&before.output, &output))
            .flatten();
        let version = self.swap(|_| (Arc::new(output), base_path.to_string(), None));
        match pages {
            Some(pages) => self.send_to(pages, version),
            None => self.send(ReloadKind::Reload, version),
        }
    }

    /// A site that differs from the served one only where no open page needs reloading (the
    /// search index, feeds): serve it without telling pages.
    pub fn replace_site_quietly(&self, output: OutputSet, base_path: &str) {
        // The same version: a page reconnecting (a server restart, a laptop waking) compares
        // it with its own, and these changes are none it shows.
        self.swap_as(Version::Same, false, |_| {
            (Arc::new(output), base_path.to_string(), None)
        });
    }

    /// Pages rendered ahead of a rebuild (an edit): served in place of their old versions in the
    /// site as it is now (during the first build, in place of what would be rendered on demand).
    /// Open pages reload.
    pub fn publish_pages(&self, pages: Vec<(String, Vec<u8>)>) {
        let paths: Arc<[String]> = pages.iter().map(|(path, _)| path.clone()).collect();
        let version = self.replace_files_quietly(|_| false, pages);
        self.send_to(paths, version);
    }

    /// A search index written again after an edit: replaces the served one (every file under
    /// `search/` but its page), and open pages are told to load it afresh.
    pub fn publish_search(&self, files: Vec<(String, Vec<u8>)>) {
        let files = files.into_iter().map(|(p, b)| (format!("search/{p}"), b));
        self.replace_files(is_index_file, files.collect(), ReloadKind::Search);
    }

    /// Drops the served files `stale` names and puts `files` in, reading and replacing the site
    /// under one lock, so nothing published meanwhile is lost; then tells open pages `kind`.
    fn replace_files(
        &self,
        stale: fn(&str) -> bool,
        files: Vec<(String, Vec<u8>)>,
        kind: ReloadKind,
    ) {
        let version = self.replace_files_quietly(stale, files);
        self.send(kind, version);
    }

    /// [`Self::replace_files`] without telling pages; the new version.
    fn replace_files_quietly(
        &self,
        stale: fn(&str) -> bool,
        files: Vec<(String, Vec<u8>)>,
    ) -> String {
        self.swap_keeping_on_demand(true, |old| {
            let mut output = (*old.output).clone();
            output.retain(|path| !stale(path));
            for (path, bytes) in files {
                output.insert(path, bytes);
            }
            (Arc::new(output), old.base_path.clone(), old.error.clone())
        })
    }

    /// A failed build: keep serving the last good site, with the error over it.
    pub fn publish_error(&self, error: String) {
        let version = self.swap(|old| (old.output.clone(), old.base_path.clone(), Some(error)));
        self.send(ReloadKind::Reload, version);
    }

    fn swap(
        &self,
        next: impl FnOnce(&Snapshot) -> (Arc<OutputSet>, String, Option<String>),
    ) -> String {
        self.swap_keeping_on_demand(false, next)
    }

    fn swap_keeping_on_demand(
        &self,
        keep_on_demand: bool,
        next: impl FnOnce(&Snapshot) -> (Arc<OutputSet>, String, Option<String>),
    ) -> String {
        self.swap_as(Version::Next, keep_on_demand, next)
    }

    fn swap_as(
        &self,
        version: Version,
        keep_on_demand: bool,
        next: impl FnOnce(&Snapshot) -> (Arc<OutputSet>, String, Option<String>),
    ) -> String {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let (output, base_path, error) = next(&current);
        let on_demand = current.on_demand.clone().filter(|_| keep_on_demand);
        let version = match version {
            Version::Same => current.version.clone(),
            Version::Next => {
                let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
                format!("{}-{generation}", self.instance)
            }
        };
        let whole = on_demand.is_none();
        *current = Arc::new(Snapshot {
            output,
            base_path,
            error,
            version: version.clone(),
            on_demand,
        });
        drop(current);
        if whole {
            self.whole.send_replace(true);
        }
        version
    }

    fn send(&self, kind: ReloadKind, version: String) {
        // An error only means no page is listening right now.
        let _ = self.reload.send(ReloadEvent {
            kind,
            version,
            pages: None,
        });
    }

    /// A reload of `pages` alone.
    fn send_to(&self, pages: Arc<[String]>, version: String) {
        let _ = self.reload.send(ReloadEvent {
            kind: ReloadKind::Reload,
            version,
            pages: Some(pages),
        });
    }
}

/// Most pages a targeted reload names; more (a template edit) and every page reloads.
const MOST_PAGES_NAMED: usize = 500;

/// The HTML pages that differ between two sites, when nothing else a page shows does: `None`
/// when a stylesheet, script, image or other file changed, or too many pages did. Files no page
/// shows (the search index, feeds, the sitemap) are left out; a page added or removed adds
/// `404.html`, which tabs at a missing URL show.
fn changed_pages(before: &OutputSet, after: &OutputSet) -> Option<Arc<[String]>> {
    let mut pages = Vec::new();
    let mut any_came_or_went = false;
    let mut old = before.iter().peekable();
    let mut new = after.iter().peekable();
    loop {
        let (path, came_or_went) = match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some((a, _)), Some((b, _))) if a < b => (old.next()?.0, true),
            (Some((a, _)), Some((b, _))) if a > b => (new.next()?.0, true),
            (Some(_), Some(_)) => {
                let ((path, a), (_, b)) = (old.next()?, new.next()?);
                if a == b {
                    continue;
                }
                (path, false)
            }
            (Some(_), None) => (old.next()?.0, true),
            (None, Some(_)) => (new.next()?.0, true),
        };
        if is_unshown(path) {
            continue;
        }
        if !path.ends_with(".html") || pages.len() == MOST_PAGES_NAMED {
            return None;
        }
        any_came_or_went |= came_or_went;
        pages.push(path.clone());
    }
    if any_came_or_went {
        pages.push("404.html".to_string());
    }
    Some(pages.into())
}

/// A file no page shows as it is: the search index (pages are told apart, with `search`),
/// feeds, the sitemap, robots.txt and the OpenSearch description.
fn is_unshown(path: &str) -> bool {
    is_index_file(path) || path.ends_with(".xml") || path == "robots.txt"
}

/// Whether a swap is news to open pages (a new version) or not.
enum Version {
    Same,
    Next,
}

/// A file of the search index (not the search page, `search/index.html`).
fn is_index_file(path: &str) -> bool {
    path.strip_prefix("search/")
        .is_some_and(|rest| rest != "index.html")
}

fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos)
}
