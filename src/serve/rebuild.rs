//! Rebuilding in one process: the [`Rebuilder`] (documents cached by path and hash, the theme
//! kept while no template changes), the edited page rendered ahead of a full rebuild against the
//! last site that built ([`Preview`]), and publishing either into the [`ServeState`].

use super::report_failure;
use super::state::{ReloadKind, ServeState};
use super::watch::{self, ChangeSet};
use crate::commands::Ui;
use crate::config::{Overrides, SiteConfig};
use crate::error::{BuildError, BuildResult};
use crate::output::OutputSet;
use crate::pipeline::{Built, DocumentCache};
use crate::theme::Theme;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Rebuilds a site again and again in one process, parsing only files that changed.
pub struct Rebuilder {
    root: PathBuf,
    overrides: Overrides,
    config: Option<SiteConfig>,
    cache: DocumentCache,
    /// The compiled theme, kept until a template, theme file or the configuration changes.
    theme: Option<Arc<Theme>>,
    /// The last site that built, for re-rendering one edited page before the full rebuild;
    /// shared, so the watch loop renders an edit while a rebuild runs.
    preview: SharedPreview,
    /// When set (by the watcher, on a newer change), a rebuild stops early.
    cancel: Option<Arc<AtomicBool>>,
}

/// The last site that built, its theme and its pages' search entries: what an edited page is
/// rendered and indexed against.
pub struct Preview {
    site: crate::site::Site,
    theme: Arc<Theme>,
    search: crate::search::PageEntries,
    analyzer: crate::search::Analyzer,
    /// Changes with every edit rendered here and with every new site: a search index written
    /// from an older edition is out of date.
    edition: u64,
    /// An edit changed a page's search entries since the served index was written.
    search_stale: bool,
}

impl Preview {
    pub fn new(
        site: crate::site::Site,
        theme: Arc<Theme>,
        search: crate::search::PageEntries,
    ) -> Preview {
        let (analyzer, _) = crate::search::Analyzer::for_language(&site.config.language);
        Preview {
            site,
            theme,
            search,
            analyzer,
            edition: 0,
            search_stale: false,
        }
    }
}

pub type SharedPreview = Arc<std::sync::Mutex<Option<Preview>>>;

impl Rebuilder {
    pub fn new(root: &Path, overrides: Overrides) -> Rebuilder {
        Rebuilder {
            root: crate::config::absolute(root),
            overrides,
            config: None,
            cache: DocumentCache::default(),
            theme: None,
            preview: SharedPreview::default(),
            cancel: None,
        }
    }

    /// Lets `flag` stop a rebuild that newer changes have made pointless.
    pub fn cancelled_by(mut self, flag: Arc<AtomicBool>) -> Rebuilder {
        self.cancel = Some(flag);
        self
    }

    /// Keeps the site of a successful build and its search entries for
    /// [`Rebuilder::edited_pages`]. Call before serving its output: from then on a search index
    /// written for an older site is not served ([`refresh_search`]).
    pub fn keep_site(&mut self, site: crate::site::Site, search: crate::search::PageEntries) {
        if let Some(theme) = &self.theme {
            let mut preview = lock(&self.preview);
            let edition = preview.as_ref().map_or(0, |p| p.edition + 1);
            let mut next = Preview::new(site, theme.clone(), search);
            next.edition = edition;
            *preview = Some(next);
        }
    }

    /// The last site that built, shared with whoever renders edits meanwhile.
    pub fn preview(&self) -> SharedPreview {
        self.preview.clone()
    }

    /// See [`edited_pages`].
    pub fn edited_pages(&self, changes: &ChangeSet) -> Option<Vec<(String, Vec<u8>)>> {
        edited_pages(&self.preview, changes)
    }

    /// The configuration of the last build that got as far as loading it.
    pub fn config(&self) -> Option<&SiteConfig> {
        self.config.as_ref()
    }

    pub fn cache(&self) -> &DocumentCache {
        &self.cache
    }

    /// Builds the site after `changes`. The configuration is read every time, because
    /// zero-config inference depends on which folders exist; a changed `lore.yaml` starts from an
    /// empty document cache, and the theme is compiled again when a template, theme file or the
    /// configuration changed. [`ChangeSet::everything`] rebuilds from scratch.
    pub fn rebuild(&mut self, changes: &ChangeSet) -> BuildResult<Built> {
        let site = self.load(changes)?;
        let rendered = self.render(&site, true)?;
        Ok(Built {
            site,
            output: rendered.output,
            search: rendered.search,
            warnings: rendered.warnings,
        })
    }

    /// Renders a site [`Rebuilder::load`] gave, into memory; newer changes cancel it only when
    /// `may_cancel`.
    pub fn render(
        &self,
        site: &crate::site::Site,
        may_cancel: bool,
    ) -> BuildResult<crate::pipeline::Rendered> {
        let theme = self.theme.as_deref().ok_or_else(BuildError::cancelled)?;
        let mut sink = crate::output::Sink::memory();
        if let Some(flag) = self.cancel.as_ref().filter(|_| may_cancel) {
            sink = sink.cancelled_by(flag.clone());
        }
        let rendered = crate::pipeline::render_loaded(site, theme, sink)?;
        crate::highlight::next_generation();
        Ok(rendered)
    }

    /// The theme of the last load.
    pub fn theme(&self) -> Option<&Arc<Theme>> {
        self.theme.as_ref()
    }

    /// The first half of [`Rebuilder::rebuild`]: the site read, parsed and assembled (its
    /// Markdown scanned, not rendered) and the theme compiled, after `changes`.
    pub fn load(&mut self, changes: &ChangeSet) -> BuildResult<crate::site::Site> {
        crate::highlight::remember_between_builds();
        if changes.config_changed() {
            self.cache = DocumentCache::default();
        }
        // The watcher's list is exact unless it lost events (rescan): trust it to skip reading
        // the other files.
        self.cache.changed_only =
            (!changes.rescan).then(|| changes.paths.keys().cloned().collect());
        self.cache.cancel = self.cancel.clone();
        if changes.config_changed() || changes.theme_changed() {
            self.theme = None;
        }
        let config = SiteConfig::load(&self.root, &self.overrides)?;
        self.config = Some(config.clone());
        if self.theme.is_none() {
            self.theme = Some(Arc::new(Theme::load(&config)?));
        }
        crate::pipeline::load_site_cached(config, &mut self.cache)
    }
}

/// When every change is an edit of a page's body (its front matter, title and decision record
/// unchanged), renders just those pages again against the last site that built: their output
/// paths and bytes. Their search entries are replaced in the preview, for [`refresh_search`].
/// This is what the writer looks at, so it is published first; the full rebuild that always
/// follows brings the rest of the site (backlinks, lists, feeds) in step. `None` otherwise.
pub fn edited_pages(
    preview: &SharedPreview,
    changes: &ChangeSet,
) -> Option<Vec<(String, Vec<u8>)>> {
    if changes.rescan || changes.paths.is_empty() {
        return None;
    }
    let mut preview = lock(preview);
    let preview = preview.as_mut()?;
    let mut edited = Vec::new();
    for (path, kind) in &changes.paths {
        if *kind != watch::ChangeKind::Content || !crate::discover::is_markdown(path) {
            return None;
        }
        let site = &mut preview.site;
        let i = site.pages.iter().position(|p| p.doc.source.path == *path)?;
        let bytes = std::fs::read(path).ok()?;
        let doc = crate::document::parse(site.pages[i].doc.source.clone(), &bytes).ok()?;
        if doc.hash != site.pages[i].doc.hash {
            crate::pipeline::timed("markdown of the edited page", || {
                crate::site::replace_body(site, i, doc)
            })?;
            edited.push(i);
        }
    }
    let mut pages = Vec::new();
    for i in edited {
        let alone = crate::pipeline::timed("template of the edited page", || {
            crate::render::render_page(&preview.site, &preview.theme, &preview.analyzer, i).ok()
        })?;
        let Some(alone) = alone else { continue };
        if let Some(entry) = preview.search.get_mut(i) {
            *entry = Some(Arc::new(alone.search));
            preview.search_stale = true;
        }
        pages.push((alone.output, alone.bytes));
    }
    preview.edition += 1;
    Some(pages)
}

/// Writes the search index again from the preview's entries after edits changed some, and
/// serves it in place of the old one, telling open pages. Nothing is served when the preview
/// moved on meanwhile (a newer edit, whose own refresh follows, or a new site, which brought its
/// own index). Writing runs without the lock, so edits are not held up. True when served.
pub fn refresh_search(preview: &SharedPreview, state: &ServeState) -> bool {
    let (edition, entries, analyzer) = {
        let guard = lock(preview);
        let Some(p) = guard.as_ref().filter(|p| p.search_stale) else {
            return false;
        };
        (p.edition, p.search.clone(), p.analyzer.clone())
    };
    let files = crate::pipeline::timed("search index of the edit", || {
        crate::search::write_index(&crate::search::indexed_pages(&entries), &analyzer)
    });
    let mut guard = lock(preview);
    let Some(p) = guard.as_mut().filter(|p| p.edition == edition) else {
        return false;
    };
    // Under the preview's lock: no new site can be published between the check and this.
    state.publish_search(files);
    p.search_stale = false;
    true
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the value inside is whole.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One rebuild: on success the new site replaces the old one; on failure the old one stays,
/// with the error. Either way open pages are told. False when the rebuild was given up because
/// newer changes arrived (it is then owed with them).
pub fn rebuild_and_publish(
    rebuilder: &mut Rebuilder,
    state: &ServeState,
    changes: &ChangeSet,
    ui: Ui,
    cwd: &Path,
) -> bool {
    let started = Instant::now();
    let early = publish_edited(&rebuilder.preview(), state, changes, ui);
    let result = rebuilder.rebuild(changes);
    if matches!(&result, Err(err) if err.is_cancelled()) {
        return false;
    }
    let rebuilt = Rebuilt {
        changes,
        early,
        started,
    };
    publish_rebuild(rebuilder, state, rebuilt, result, ui, cwd);
    true
}

/// What a finished rebuild was for.
pub(super) struct Rebuilt<'a> {
    pub changes: &'a ChangeSet,
    /// An edited page was published ahead of it.
    pub early: bool,
    pub started: Instant,
}

/// Serves a finished rebuild, or its error over the last good site. A site whose HTML pages
/// are what is served already (an edited page published ahead) goes in without a reload.
pub(super) fn publish_rebuild(
    rebuilder: &mut Rebuilder,
    state: &ServeState,
    rebuilt: Rebuilt<'_>,
    result: BuildResult<Built>,
    ui: Ui,
    cwd: &Path,
) {
    let Rebuilt {
        changes,
        early,
        started,
    } = rebuilt;
    match result {
        Ok(built) => {
            ui.report(&built.warnings, cwd);
            let base_path = built.site.config.base_path.clone();
            rebuilder.keep_site(built.site, built.search);
            let before = state.snapshot();
            let unchanged = before.error.is_none()
                && before.base_path == base_path
                && (changes.markdown_only() || early)
                && *before.output == built.output;
            if early && !unchanged && no_page_differs(&before.output, &built.output) {
                state.replace_site_quietly(built.output, &base_path);
            } else if !unchanged && changes.markdown_only() {
                state.publish_changed_pages(built.output, &base_path);
            } else if !unchanged {
                let kind = if changes.css_only() {
                    ReloadKind::Css
                } else {
                    ReloadKind::Reload
                };
                state.publish_site(built.output, &base_path, kind);
            }
            if !ui.quiet {
                eprintln!(
                    "Rebuilt in {} ms ({} changed, {} parsed){}",
                    started.elapsed().as_millis(),
                    changes.paths.len(),
                    rebuilder.cache().parsed_last,
                    if unchanged { "; output unchanged" } else { "" }
                );
            }
        }
        Err(err) => {
            let served = if state.snapshot().output.is_empty() {
                super::reload::Served::NothingYet
            } else {
                super::reload::Served::LastGood
            };
            let text = report_failure(&err, ui, cwd, served);
            state.publish_error(text);
        }
    }
}

/// Publishes the edited pages alone, ahead of the full rebuild, when that is possible and the
/// site on show has no error (an error's overlay goes only with a full, good build).
pub fn publish_edited(
    preview: &SharedPreview,
    state: &ServeState,
    changes: &ChangeSet,
    ui: Ui,
) -> bool {
    let started = Instant::now();
    if state.snapshot().error.is_some() {
        return false;
    }
    let Some(pages) = edited_pages(preview, changes).filter(|p| !p.is_empty()) else {
        return false;
    };
    state.publish_pages(pages);
    if !ui.quiet {
        eprintln!(
            "Updated the edited page in {} ms; rebuilding the rest",
            started.elapsed().as_millis()
        );
    }
    true
}

/// True when the two sites have the same HTML pages (they may differ in the search index,
/// feeds or the sitemap, which no open page shows).
fn no_page_differs(a: &OutputSet, b: &OutputSet) -> bool {
    let is_page = |(path, _): &(&String, &crate::output::Content)| path.ends_with(".html");
    a.iter().filter(is_page).eq(b.iter().filter(is_page))
}
