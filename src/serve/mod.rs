//! `lore serve`: build the site into memory, serve it, and rebuild on every change.
//!
//! The first load (pages rendered on demand while the whole site renders), the server
//! ([`server`]) and the watch loop ([`watch`], rebuilds in [`rebuild`]) meet in one
//! [`ServeState`]: the watch loop publishes each rebuild (or its error) there, and the server
//! reads it per request and pushes reload events to open pages ([`reload`]).

pub mod rebuild;
pub mod reload;
pub mod server;
pub mod state;
pub mod watch;

pub use rebuild::{
    Preview, Rebuilder, SharedPreview, edited_pages, publish_edited, rebuild_and_publish,
    refresh_search,
};
use rebuild::{Rebuilt, publish_rebuild};
pub use state::{ReloadEvent, ReloadKind, ServeState, Snapshot};

use crate::commands::Ui;
use crate::config::Overrides;
use crate::error::{BuildError, BuildResult, Diagnostic};
use crate::output::OutputSet;
use crate::pipeline::Built;
use crate::theme::Theme;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use watch::{ChangeSet, Watcher};

/// How many ports after the asked-for one are tried when it is taken.
const PORT_TRIES: u16 = 100;
/// The most open files `lore serve` asks for (see [`raise_open_files_limit`]).
const OPEN_FILES_WANTED: u64 = 1 << 16;

/// The resolved `lore serve` options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub bind: IpAddr,
    pub drafts: bool,
    pub open: bool,
}

/// Runs the server until Ctrl-C.
pub fn run(options: ServeOptions, ui: Ui) -> anyhow::Result<ExitCode> {
    // A folder that is not there is a typo more often than one about to be made: say so, as
    // `lore build` does, rather than serve 404s and wait.
    if !options.root.is_dir() {
        let what = if options.root.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        eprintln!(
            "{}: error: this {what}\n  help: pass the folder of your site, e.g. `lore serve .` or `lore serve docs/adr`",
            options.root.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    raise_open_files_limit();
    let cwd = std::env::current_dir()?;
    let overrides = Overrides {
        drafts: options.drafts,
        ..Overrides::default()
    };
    let mut rebuilder = Rebuilder::new(&options.root, overrides);
    let (state, first) = initial_state(&mut rebuilder, ui, &cwd);
    let state = Arc::new(state);
    let mut watcher = Watcher::new(&options.root, rebuilder.config())?;
    let mut rebuilder = rebuilder.cancelled_by(watcher.pending());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(bind(options.bind, options.port, ui))?;
    if !options.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: other machines can reach this preview; it is not a production server",
            options.bind
        );
    }
    let url = site_url(listener.local_addr()?, &state.snapshot().base_path);
    println!("Serving at");
    println!("{url}");
    if !ui.quiet {
        eprintln!("Watching for changes; press Ctrl-C to stop.");
    }
    if options.open
        && let Err(err) = open::that_detached(&url)
    {
        eprintln!("warning: cannot open a browser: {err}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watch_loop = {
        let (state, stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            let owed = first.and_then(|first| {
                let cwd = std::env::current_dir().unwrap_or_default();
                finish_first_build(&mut rebuilder, first, &mut watcher, &state, ui, &cwd)
            });
            watch_loop(watcher, rebuilder, &state, ui, &stop, owed)
        })
    };
    let served = runtime.block_on(serve(listener, state));
    stop.store(true, Ordering::SeqCst);
    let _ = watch_loop.join();
    // Open event streams never end by themselves; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Every open page holds a socket (its event stream) for as long as it is open, and the usual
/// soft limit of 1,024 open files would stall the accept loop well before a thousand pages. Raise
/// the soft limit towards the hard one, as Go programs do at start; capped, so that programs
/// started from here (`--open`'s browser) do not inherit an enormous limit. Never lowers it.
#[cfg(unix)]
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let wanted = limit.rlim_max.min(OPEN_FILES_WANTED as libc::rlim_t);
    if limit.rlim_cur >= wanted {
        return;
    }
    limit.rlim_cur = wanted;
    // SAFETY: setrlimit only reads the struct it is given. Failing leaves the limit as it was.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        log::warn!(
            "cannot raise the open files limit: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(unix))]
fn raise_open_files_limit() {}

/// The first build's site, loaded but not yet rendered: pages are rendered as they are asked
/// for (through `requests`) while the whole site renders in the background.
pub struct FirstBuild {
    site: crate::site::Site,
    requests: std::sync::mpsc::Receiver<state::OnDemandRequest>,
    started: Instant,
}

/// The first load. The server starts as soon as the site is loaded, answering with pages
/// rendered on demand; if loading fails, it starts with the error shown on every page, so
/// fixing the file is all it takes.
fn initial_state(
    rebuilder: &mut Rebuilder,
    ui: Ui,
    cwd: &Path,
) -> (ServeState, Option<FirstBuild>) {
    let started = Instant::now();
    match rebuilder.load(&ChangeSet::everything()) {
        Ok(site) => {
            if !ui.quiet {
                eprintln!(
                    "Loaded {} pages in {} ms; rendering them while serving",
                    site.pages.len(),
                    started.elapsed().as_millis()
                );
            }
            let (sender, requests) = std::sync::mpsc::channel();
            let state = ServeState::on_demand(&site.config.base_path, sender);
            let first = FirstBuild {
                site,
                requests,
                started,
            };
            (state, Some(first))
        }
        Err(err) => {
            let text = report_failure(&err, ui, cwd, reload::Served::NothingYet);
            let base_path = rebuilder.config().map_or("/", |c| c.base_path.as_str());
            (
                ServeState::new(OutputSet::default(), base_path, Some(text)),
                None,
            )
        }
    }
}

/// Renders the whole first site while answering requests for single files and rendering
/// edited pages ahead, then serves it. Returns the changes made meanwhile, owed to a rebuild.
pub fn finish_first_build(
    rebuilder: &mut Rebuilder,
    first: FirstBuild,
    watcher: &mut Watcher,
    state: &ServeState,
    ui: Ui,
    cwd: &Path,
) -> Option<ChangeSet> {
    let FirstBuild {
        site,
        requests,
        started,
    } = first;
    let theme = rebuilder.theme()?.clone();
    let config = rebuilder.config().cloned();
    let done = AtomicBool::new(false);
    let (rendered, _requests, (owed, edited)) = std::thread::scope(|scope| {
        let (site, done, theme) = (&site, &done, &theme);
        let answering = scope.spawn(move || {
            answer_on_demand(site, theme, &requests, done);
            requests
        });
        let editing = scope
            .spawn(move || edits_meanwhile(watcher, config.as_ref(), site, theme, state, done));
        // Not given up for edits made meanwhile: starting again would leave every page
        // waiting for the whole site. The edits are rendered ahead, and rebuilt after.
        let rendered = rebuilder.render(site, false);
        done.store(true, Ordering::SeqCst);
        let edits = editing.join().unwrap_or_default();
        (rendered, answering.join(), edits)
    });
    // `_requests` lives on until the whole site is published: a request sent meanwhile then
    // finds its answer in the new snapshot.
    match rendered {
        Ok(crate::pipeline::Rendered {
            mut output,
            search,
            warnings,
        }) => {
            // The pages edited meanwhile as they were served; the owed rebuild does the rest.
            for (path, bytes) in edited {
                output.insert(path, bytes);
            }
            ui.report(&warnings, cwd);
            if !ui.quiet {
                eprintln!(
                    "Built {} files in {} ms",
                    output.len(),
                    started.elapsed().as_millis()
                );
            }
            // Pages rendered on demand are the same as these: no page needs to reload.
            let base_path = site.config.base_path.clone();
            rebuilder.keep_site(site, search);
            state.replace_site_quietly(output, &base_path);
            owed
        }
        Err(err) => {
            let text = report_failure(&err, ui, cwd, reload::Served::LastGood);
            state.publish_error(text);
            owed
        }
    }
}

/// While the first site renders: takes the watcher's changes, rendering edited pages ahead
/// against a copy of the site and serving them at once. Returns the changes, owed to a
/// rebuild, and the pages served. The copy is made up front, while no one is editing yet:
/// made at the first edit, it was most of that edit's wait.
fn edits_meanwhile(
    watcher: &mut Watcher,
    config: Option<&crate::config::SiteConfig>,
    site: &crate::site::Site,
    theme: &Arc<Theme>,
    state: &ServeState,
    done: &AtomicBool,
) -> (Option<ChangeSet>, Vec<(String, Vec<u8>)>) {
    let mut owed: Option<ChangeSet> = None;
    let mut served = Vec::new();
    // No search entries: the index is served with the whole site, after these edits.
    let copy = Preview::new(site.clone(), theme.clone(), Vec::new());
    let copy: SharedPreview = Arc::new(std::sync::Mutex::new(Some(copy)));
    while !done.load(Ordering::SeqCst) {
        let Some(changes) = watcher.next_change(Duration::from_millis(10)) else {
            continue;
        };
        watcher.sync(config, &changes);
        let pages = edited_pages(&copy, &changes).unwrap_or_default();
        if !pages.is_empty() {
            state.publish_pages(pages.clone());
            served.extend(pages);
        }
        owed.get_or_insert_with(ChangeSet::default).merge(changes);
    }
    (owed, served)
}

/// Renders the files asked for, one at a time, until `done`.
fn answer_on_demand(
    site: &crate::site::Site,
    theme: &Theme,
    requests: &std::sync::mpsc::Receiver<state::OnDemandRequest>,
    done: &AtomicBool,
) {
    let renderer = crate::render::OnDemand::new(site, theme);
    while !done.load(Ordering::SeqCst) {
        match requests.recv_timeout(Duration::from_millis(20)) {
            Ok((path, reply)) => {
                let bytes = renderer.render(&path).and_then(Result::ok);
                let _ = reply.send(bytes);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Listens on `addr:port`, or on the next free port if that one is taken.
async fn bind(addr: IpAddr, port: u16, ui: Ui) -> anyhow::Result<tokio::net::TcpListener> {
    let mut last_err = None;
    for candidate in (0..PORT_TRIES).map_while(|i| port.checked_add(i)) {
        match tokio::net::TcpListener::bind(SocketAddr::new(addr, candidate)).await {
            Ok(listener) => {
                if candidate != port && !ui.quiet {
                    eprintln!("Port {port} is taken; using {candidate} instead.");
                }
                return Ok(listener);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse && port != 0 => {
                last_err = Some(err)
            }
            Err(err) => {
                return Err(anyhow::anyhow!(
                    "cannot listen on {addr}:{candidate}: {err}"
                ));
            }
        }
    }
    Err(anyhow::anyhow!(
        "no free port from {port} on {addr}: {}",
        last_err.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// `http://127.0.0.1:1111/` (with the site's base path, and brackets for IPv6).
pub fn site_url(addr: SocketAddr, base_path: &str) -> String {
    format!("http://{addr}{base_path}")
}

async fn serve(listener: tokio::net::TcpListener, state: Arc<ServeState>) -> anyhow::Result<()> {
    let router = server::router(state.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("Stopping.");
            state.shut_down();
        })
        .await?;
    Ok(())
}

/// A full rebuild running on its own thread, and what it was started for.
struct Running {
    worker: std::thread::JoinHandle<(Rebuilder, BuildResult<Built>)>,
    changes: ChangeSet,
    /// An edited page was published ahead of it.
    early: bool,
    /// Newer changes arrived meanwhile: its site is out of date before it is done.
    superseded: bool,
    started: Instant,
}

/// Waits for changes and rebuilds, until `stop` is set. Full rebuilds run on a thread of their
/// own, so an edited page is rendered and published the moment its change arrives, even while
/// a rebuild runs (the watcher's flag cancels that rebuild, and its changes are owed to the
/// next). A rebuild that newer changes overtook is never published: it could undo the edit.
fn watch_loop(
    watcher: Watcher,
    rebuilder: Rebuilder,
    state: &ServeState,
    ui: Ui,
    stop: &AtomicBool,
    owed: Option<ChangeSet>,
) {
    let preview = rebuilder.preview();
    let (refresh, refresh_requests) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| refresh_search_on_request(&preview, state, refresh_requests));
        // Returning drops `refresh`, which ends the thread above.
        watch_until_stopped(watcher, rebuilder, state, ui, stop, owed, refresh);
    });
}

/// Writes the search index again after edits ([`rebuild::refresh_search`]), on a thread of its
/// own: at 10,000 pages that takes about half a second, which the next edit must not wait for.
/// Requests that piled up meanwhile are served by one write. It has threads of its own too: in
/// rayon's global pool its work queued behind the full rebuild's pages (measured on 10k pages:
/// the index came 4.7 to 5.3 s after the edit, about when the rebuild's did).
fn refresh_search_on_request(
    preview: &SharedPreview,
    state: &ServeState,
    requests: std::sync::mpsc::Receiver<()>,
) {
    let pool = rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("lore-search-{i}"))
        .build();
    while requests.recv().is_ok() {
        while requests.try_recv().is_ok() {}
        match &pool {
            Ok(pool) => pool.install(|| rebuild::refresh_search(preview, state)),
            Err(_) => rebuild::refresh_search(preview, state),
        };
    }
}

/// The watch loop proper; `refresh` asks for the search index after an edit.
fn watch_until_stopped(
    mut watcher: Watcher,
    rebuilder: Rebuilder,
    state: &ServeState,
    ui: Ui,
    stop: &AtomicBool,
    mut owed: Option<ChangeSet>,
    refresh: std::sync::mpsc::Sender<()>,
) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let preview = rebuilder.preview();
    let mut config = rebuilder.config().cloned();
    let mut idle = Some(rebuilder);
    let mut running: Option<Running> = None;
    let mut owed_early = false;
    while !stop.load(Ordering::SeqCst) {
        let wait = if owed.is_some() && running.is_none() {
            0
        } else {
            10
        };
        if let Some(changes) = watcher.next_change(Duration::from_millis(wait)) {
            // Watch new folders first, so files written into them during the rebuild are seen.
            watcher.sync(config.as_ref(), &changes);
            if publish_edited(&preview, state, &changes, ui) {
                owed_early = true;
                let _ = refresh.send(());
            }
            if let Some(run) = running.as_mut() {
                run.superseded = true;
            }
            owed.get_or_insert_with(ChangeSet::default).merge(changes);
        }
        if running.as_ref().is_some_and(|r| r.worker.is_finished())
            && let Some(run) = running.take()
        {
            let Ok((mut rebuilder, result)) = run.worker.join() else {
                eprintln!("error: a rebuild panicked; stopping the watch loop");
                return;
            };
            config = rebuilder.config().cloned();
            let given_up = run.superseded || matches!(&result, Err(e) if e.is_cancelled());
            if given_up {
                owed.get_or_insert_with(ChangeSet::default)
                    .merge(run.changes);
                owed_early |= run.early;
            } else {
                let rebuilt = Rebuilt {
                    changes: &run.changes,
                    early: run.early,
                    started: run.started,
                };
                publish_rebuild(&mut rebuilder, state, rebuilt, result, ui, &cwd);
            }
            idle = Some(rebuilder);
            watcher.sync(config.as_ref(), &ChangeSet::default());
        }
        if running.is_none()
            && let Some(changes) = owed.take()
            && let Some(mut rebuilder) = idle.take()
        {
            let early = std::mem::take(&mut owed_early);
            let for_worker = changes.clone();
            let worker = std::thread::spawn(move || {
                let result = rebuilder.rebuild(&for_worker);
                (rebuilder, result)
            });
            running = Some(Running {
                worker,
                changes,
                early,
                superseded: false,
                started: Instant::now(),
            });
        }
    }
    if let Some(run) = running {
        let _ = run.worker.join();
    }
}

/// Prints the failure as `lore build` does and returns the same text for the overlay.
fn report_failure(err: &BuildError, ui: Ui, cwd: &Path, served: reload::Served) -> String {
    ui.report(&err.diagnostics, cwd);
    match served {
        reload::Served::LastGood => eprintln!("Build failed; still serving the last good site."),
        reload::Served::NothingYet => {
            eprintln!("Build failed; serving this error until a build succeeds.")
        }
    }
    error_text(&err.diagnostics, cwd)
}

/// The diagnostics as the terminal shows them (paths relative to `base`), without colour.
pub fn error_text(diagnostics: &[Diagnostic], base: &Path) -> String {
    diagnostics
        .iter()
        .map(|d| d.clone().relative_to(base).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
