//! The whole pipeline as functions the commands and tests call: load a site, render it, write it.

use crate::cache::{self, Stamp};
use crate::config::SiteConfig;
use crate::discover::{self, SourceFile};
use crate::document::{self, Document, Kind};
use crate::error::{BuildError, BuildResult, Diagnostic};
use crate::output::{OutputSet, Sink, Staging};
use crate::render;
use crate::site::{self, Site};
use crate::theme::Theme;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Runs one stage of the pipeline, logging how long it took and the CPU time it used on all
/// threads (shown with `-v`: CPU near twice the wall time on two cores means it ran in
/// parallel).
pub fn timed<T>(stage: &str, run: impl FnOnce() -> T) -> T {
    if !log::log_enabled!(log::Level::Debug) {
        return run();
    }
    let started = std::time::Instant::now();
    let cpu_before = cpu_ms();
    let result = run();
    log::debug!(
        "{stage}: {} ms (CPU {} ms), memory {} MB (peak {} MB)",
        started.elapsed().as_millis(),
        cpu_ms().saturating_sub(cpu_before),
        memory_mb("VmRSS:"),
        memory_mb("VmHWM:")
    );
    result
}

/// User and system time of the whole process so far, in milliseconds (0 where unknown).
fn cpu_ms() -> u64 {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the struct it is given; zeroed is a valid rusage.
        let usage = unsafe {
            if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
                return 0;
            }
            usage.assume_init()
        };
        let ms = |t: libc::timeval| t.tv_sec as u64 * 1000 + t.tv_usec as u64 / 1000;
        ms(usage.ru_utime) + ms(usage.ru_stime)
    }
    #[cfg(not(unix))]
    0
}

/// The most pages (or files, or lists) one parallel task takes. Rayon otherwise cuts a stage
/// into a few long runs that cannot be shared once begun: the perf timeline of a 10k build
/// showed one core idle for the last 150 ms of the page pass, and again at the ends of reading,
/// assembly and the lists. A page takes about half a millisecond.
pub const PAGES_PER_TASK: usize = 16;

/// mimalloc's `mi_option_purge_delay` (the 16th of `mi_option_e` in v3's mimalloc.h);
/// libmimalloc-sys names no constant for it. A unit test checks it reads the documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// From this many sources a build trades time for memory: it holds each page's HTML, from the
/// scan that renders it to the page pass, in a temporary file instead of in memory (100,000
/// pages' HTML is 1.1 GB), lets each post's and decision's Markdown go once it is read and reads
/// it again to render it (800 MB), and writes the search index before the lists instead of
/// beside them (huge pages off from there). Builds keep freed memory throughout: on 100,000
/// pages, handing it back and faulting it in again cost 5-8% of the build for 130-180 MiB less
/// peak. `LORE_LARGE_SITE` sets another threshold (a machine with less memory may want the
/// trades sooner).
const LARGE_SITE: usize = 30_000;

/// [`LARGE_SITE`], or the number `LORE_LARGE_SITE` gives (a warning names a value that is not one).
fn large_site_threshold() -> usize {
    let Ok(set) = std::env::var("LORE_LARGE_SITE") else {
        return LARGE_SITE;
    };
    set.trim().parse().unwrap_or_else(|_| {
        log::warn!("LORE_LARGE_SITE={set:?} is not a whole number of sources; using {LARGE_SITE}");
        LARGE_SITE
    })
}

/// Turns transparent huge pages off for the rest of the process, as `MIMALLOC_ALLOW_THP=0` does
/// from its start (setting that variable, to either value, leaves the choice to mimalloc).
/// Builds run with huge pages (mimalloc asks for them on its arenas): fewer TLB misses in the
/// word tables and Tera's maps, fewer faults. Large builds turn them off before the search index
/// is written, where their peak is: a 2 MB page is cleared and kept whole however little of it
/// is used. Measured on the benchmark machine, alternating builds: 10,000 pages 5% quicker with
/// huge pages throughout (2.27 against 2.40 s, medians of eight pairs; peak 452 against 370 MiB);
/// 100,000 pages 25.4 s with them until the index, 26.5 s with them throughout, 27.6 s without
/// (three rounds; peaks 1,732-1,743, 1,796-1,806 and 1,724-1,735 MiB).
pub fn skip_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets a flag of this process; no memory is passed.
        if unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } == 0 {
            log::debug!("transparent huge pages off");
        }
    }
}

/// While alive (a whole `lore build`), memory the process frees stays with the allocator instead
/// of going back to the system after mimalloc's purge delay: pages handed back and faulted in
/// again cost the kernel's clearing (10,000 pages: 0.2 s of a 3.9 s build, for 40 MB less peak;
/// 100,000 pages: 5-8%, for 130-180 MiB). [`return_freed_memory`] does nothing meanwhile.
struct FreedMemoryKept;

/// How many `FreedMemoryKept` are alive (builds run side by side in tests), and the purge
/// delay the first replaced.
static KEEPERS: std::sync::Mutex<(usize, std::ffi::c_long)> = std::sync::Mutex::new((0, 0));

fn keepers() -> std::sync::MutexGuard<'static, (usize, std::ffi::c_long)> {
    KEEPERS.lock().unwrap_or_else(|e| e.into_inner())
}

impl FreedMemoryKept {
    fn new() -> FreedMemoryKept {
        let mut keepers = keepers();
        if keepers.0 == 0 {
            // SAFETY: reading and setting a mimalloc option; any thread may do either.
            unsafe {
                keepers.1 = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
            }
        }
        keepers.0 += 1;
        FreedMemoryKept
    }
}

impl Drop for FreedMemoryKept {
    /// The last one puts back the purge delay the first replaced.
    fn drop(&mut self) {
        let mut keepers = keepers();
        keepers.0 -= 1;
        if keepers.0 == 0 {
            // SAFETY: as in `FreedMemoryKept::new`.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, keepers.1) };
        }
    }
}

/// Hands memory freed in bulk back to the system: `lore serve`, after each rebuild, keeps only
/// what it holds. Not while [`FreedMemoryKept`]. The `lore` binary allocates with mimalloc; the
/// C libraries it links (and tests) use glibc's malloc.
pub fn return_freed_memory() {
    if keepers().0 > 0 {
        return;
    }
    // SAFETY: mi_collect only returns the allocator's own free pages; any thread may call it.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only reorganises the allocator's own free lists; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The process's resident memory (`VmRSS:`) or its peak so far (`VmHWM:`), Linux; 0 elsewhere.
fn memory_mb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// A rendered site with what it is made of, ready to write or serve.
pub struct Built {
    pub site: Site,
    pub output: OutputSet,
    /// Every page's search entries (`lore serve` keeps them to re-index one edited page).
    pub search: crate::search::PageEntries,
    pub warnings: Vec<Diagnostic>,
}

/// A loaded site rendered: its files, every page's search entries, its warnings.
pub struct Rendered {
    pub output: OutputSet,
    pub search: crate::search::PageEntries,
    pub warnings: Vec<Diagnostic>,
}

/// A warning as a build prints it, and as the stamp keeps it to print again.
fn as_printed(warning: Diagnostic, cwd: &std::path::Path) -> String {
    warning.relative_to(cwd).to_string()
}

/// Discovers and parses every file, then assembles the site. All parse errors are reported together.
pub fn load_site(config: SiteConfig) -> BuildResult<Site> {
    let found = timed("discover", || discover::discover(&config));
    let docs = read_documents_once(found.sources, false)?;
    assemble_documents(config, docs, found.assets, found.warnings, &|| false)
}

/// Parsed documents of earlier builds in this process, so a rebuild parses only changed files.
///
/// An entry is reused only when the file's bytes hash the same (BLAKE3) and discovery gave it
/// the same place in the site (relative name and role), so a reused document is exactly what
/// parsing the file again would give. Files are read again to hash them (modification times
/// are too coarse to be trusted for edits made within the same second), unless the watcher has
/// said exactly what changed.
#[derive(Debug, Default)]
pub struct DocumentCache {
    docs: HashMap<PathBuf, Document>,
    /// How many documents the last load parsed (not reused); tests and `-v` read it.
    pub parsed_last: usize,
    /// Set by `lore serve` from its watcher: only these paths (files, or folders and all under
    /// them) may have changed since the last load, so other cached files are not read again.
    pub changed_only: Option<Vec<PathBuf>>,
    /// Set by `lore serve`: a newer change makes this load pointless.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl DocumentCache {
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// The cached document of a file the watcher vouches is unchanged.
    fn unchanged(&self, source: &SourceFile) -> Option<Document> {
        let changed = self.changed_only.as_ref()?;
        if changed.iter().any(|c| source.path.starts_with(c)) {
            return None;
        }
        let doc = self.docs.get(&source.path)?;
        (doc.source.rel == source.rel && doc.source.role == source.role).then(|| doc.clone())
    }

    fn lookup(&self, source: &SourceFile, hash: &[u8; 32]) -> Option<Document> {
        let doc = self.docs.get(&source.path)?;
        let same =
            doc.hash == *hash && doc.source.rel == source.rel && doc.source.role == source.role;
        same.then(|| doc.clone())
    }
}

/// Reads one file and parses it unless the cache holds the document for these exact bytes.
fn load_with(
    cache: &DocumentCache,
    source: SourceFile,
) -> (Result<Document, Vec<Diagnostic>>, bool) {
    if let Some(doc) = cache.unchanged(&source) {
        return (Ok(doc), false);
    }
    let bytes = match std::fs::read(&source.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return (
                Err(vec![crate::error::io_diagnostic(&source.path, "read", &e)]),
                false,
            );
        }
    };
    let hash = *blake3::hash(&bytes).as_bytes();
    match cache.lookup(&source, &hash) {
        Some(doc) => (Ok(doc), false),
        None => (document::parse_hashed(source, &bytes, hash), true),
    }
}

/// Like [`load_site`], reusing `cache`'s documents for unchanged files and refreshing the cache.
/// Everything after parsing (site assembly, rendering) runs in full: it is cheap, and guessing
/// which pages a change affects is how other generators end up serving stale pages.
pub fn load_site_cached(config: SiteConfig, cache: &mut DocumentCache) -> BuildResult<Site> {
    let found = timed("discover", || discover::discover(&config));
    load_found(config, found, cache)
}

/// Reads, parses and assembles what discovery found.
fn load_found(
    config: SiteConfig,
    found: discover::Discovered,
    cache: &mut DocumentCache,
) -> BuildResult<Site> {
    let docs = read_documents(found.sources, cache)?;
    let cancelled = || cache.is_cancelled();
    assemble_documents(config, docs, found.assets, found.warnings, &cancelled)
}

/// Every source's document, in the order of `sources`, parsed unless `cache` holds it.
fn read_documents(
    sources: Vec<discover::SourceFile>,
    cache: &mut DocumentCache,
) -> BuildResult<Vec<Document>> {
    let large = sources.len() >= large_site_threshold();
    let loaded = read_each(sources, large, |source| load_with(cache, source));
    cache.parsed_last = loaded.iter().filter(|(_, parsed)| *parsed).count();
    // Keep only files that still exist and parsed, so deleted files leave the cache.
    cache.docs = loaded
        .iter()
        .filter_map(|(r, _)| r.as_ref().ok())
        .map(|d| (d.source.path.clone(), d.clone()))
        .collect();
    let docs = documents_or_errors(loaded.into_iter().map(|(r, _)| r).collect())?;
    if cache.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    Ok(docs)
}

/// [`read_documents`] for a build that keeps no cache: nothing copied for later. With
/// `large`, for `lore build` of a large site alone (whose assembly renders every post and
/// decision, [`site::assemble_rendered`]), their Markdown is let go once read and read again,
/// one at a time, when rendered: 100,000 pages' Markdown held from here is 800 MB, and memory
/// the build touches for the first time costs it the kernel's clearing (on the benchmark
/// machine, 1.25 s a GB). A scan (`lore check`, `lore list`) needs it where it is.
fn read_documents_once(
    sources: Vec<discover::SourceFile>,
    large: bool,
) -> BuildResult<Vec<Document>> {
    let none = DocumentCache::default();
    documents_or_errors(read_each(sources, large, |source| {
        let mut loaded = load_with(&none, source).0;
        if let Ok(doc) = &mut loaded
            && large
            && matches!(
                doc.source.role,
                discover::Role::Post | discover::Role::Adr { .. }
            )
        {
            doc.body = std::sync::Arc::from("");
            doc.body_dropped = true;
        }
        loaded
    }))
}

/// `load` of every source, in parallel, in the order of `sources`, on the reading threads.
fn read_each<T: Send>(
    sources: Vec<discover::SourceFile>,
    large: bool,
    load: impl Fn(discover::SourceFile) -> T + Sync + Send,
) -> Vec<T> {
    // Large sites keep to a thread a core: the extra threads' heaps held some 30 MB more of a
    // 100,000-page build's peak. The system reads their files ahead instead.
    if large {
        read_ahead(sources.iter().map(|s| s.path.clone()).collect());
    }
    let pool = (!large).then(reading_threads).flatten();
    let read = || {
        sources
            .into_par_iter()
            .with_max_len(PAGES_PER_TASK)
            .map(load)
            .collect()
    };
    timed("read and parse", || match pool {
        Some(pool) => pool.install(read),
        None => read(),
    })
}

/// Asks the system, from a thread of its own, to read `paths` into its file cache ahead of the
/// readers. A large site's sources are often not in the cache (100,000 pages are 800 MB, and the
/// system lets go of them under memory pressure), and a thread a core waits for each file in
/// turn: reading and parsing the 100k corpus took 9.5 s cold against 2.3 s warm. When a sample
/// of them is cached, as after a build minutes before, nothing is asked: opening every file
/// again took that thread some 0.4 s of CPU on 100,000 pages, from the cores that parse.
fn read_ahead(paths: Vec<std::path::PathBuf>) {
    #[cfg(target_os = "linux")]
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        let step = (paths.len() / CACHE_SAMPLE).max(1);
        if paths.iter().step_by(step).all(|path| in_file_cache(path)) {
            log::debug!("sources in the file cache: not read ahead");
            return;
        }
        for path in paths {
            if let Ok(file) = std::fs::File::open(&path) {
                // SAFETY: advice about an open descriptor; no memory is passed.
                unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop(paths);
}

/// How many sources [`read_ahead`] looks for in the file cache before asking for them all.
#[cfg(target_os = "linux")]
const CACHE_SAMPLE: usize = 64;

/// Whether the first page of `path` is in the system's file cache (`mincore`, which sees tmpfs
/// files as cached, as they are); false when that cannot be told.
#[cfg(target_os = "linux")]
fn in_file_cache(path: &std::path::Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        return true;
    }
    let page = 4096;
    // SAFETY: maps one page of an open file read-only, asks which of its pages are resident into
    // a byte that outlives the call (one page, one byte), and unmaps it; nothing reads the map.
    unsafe {
        let map = libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        if map == libc::MAP_FAILED {
            return false;
        }
        let mut resident = 0u8;
        let asked = libc::mincore(map, page, &mut resident);
        libc::munmap(map, page);
        asked == 0 && resident & 1 == 1
    }
}

/// Threads that read and parse sources: several per core. Sources not in the system's file
/// cache (a first build, or a cache the system let go) are read from disk, and with a thread a
/// core each core waits for each file in turn: reading and parsing the 10k corpus cold took
/// 0.77-0.87 s with one core's CPU (0.2-0.3 s warm). With four threads a core, more reads are
/// in flight while the cores parse: 0.36-0.46 s cold, and warm builds unchanged (A/B of 8).
fn reading_threads() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = rayon::current_num_threads() * READERS_PER_CORE;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lore-read-{i}"))
            .build();
        pool.map_err(|e| log::debug!("reading on the common threads: {e}"))
            .ok()
    })
    .as_ref()
}

const READERS_PER_CORE: usize = 4;

/// The documents, or every file's errors together.
fn documents_or_errors(
    results: Vec<Result<Document, Vec<Diagnostic>>>,
) -> BuildResult<Vec<Document>> {
    if results.iter().all(Result::is_ok) {
        // Collected in place (a result is the size of a document): copied into a fresh vector,
        // 100,000 documents were 80 MB of new memory written by one core (perf: ~0.1 s).
        return Ok(results.into_iter().filter_map(Result::ok).collect());
    }
    let errors = results.into_iter().filter_map(Result::err).flatten();
    Err(BuildError::new(errors.collect()))
}

/// The site made of `docs`: Markdown scanned, links resolved, the decision graph drawn.
fn assemble_documents(
    config: SiteConfig,
    docs: Vec<Document>,
    assets: Vec<(std::path::PathBuf, String)>,
    warnings: Vec<Diagnostic>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> BuildResult<Site> {
    let mut site = timed("assemble (markdown, links, graph)", || {
        site::assemble(config, docs, assets, cancelled)
    })?;
    put_first(warnings, &mut site.warnings);
    Ok(site)
}

/// Discovery's warnings, then assembly's.
fn put_first(mut discovery: Vec<Diagnostic>, site_warnings: &mut Vec<Diagnostic>) {
    discovery.append(site_warnings);
    *site_warnings = discovery;
}

/// [`assemble_documents`] for `lore build`: each post's and decision's Markdown rendered once,
/// as it is scanned, indexed for search and let go; its HTML held until the page pass, in
/// memory or, for a large site, in `spill`.
fn assemble_rendered(
    config: SiteConfig,
    docs: Vec<Document>,
    assets: Vec<(std::path::PathBuf, String)>,
    warnings: Vec<Diagnostic>,
    spill: Option<&std::sync::Arc<render::spill::Spill>>,
) -> BuildResult<(Site, Vec<Option<render::Prepared>>)> {
    let (analyzer, _) = crate::search::Analyzer::for_language(&config.language);
    let prepare = |page: site::RenderedPage<'_>| render::prepare(page, &analyzer, spill);
    let (mut site, prepared) = timed("assemble (markdown rendered, links, graph)", || {
        site::assemble_rendered(config, docs, assets, &prepare)
    })?;
    put_first(warnings, &mut site.warnings);
    let mut failed = Vec::new();
    let prepared = prepared
        .into_iter()
        .map(|page| page.and_then(|p| p.map_err(|e| failed.push(e)).ok()))
        .collect();
    if !failed.is_empty() {
        // One full disk fails every page alike.
        failed.dedup();
        return Err(BuildError::new(failed));
    }
    Ok((site, prepared))
}

/// Loads and renders the site in memory.
pub fn build_site(config: SiteConfig) -> BuildResult<Built> {
    build_site_cached(config, &mut DocumentCache::default())
}

/// Like [`build_site`], parsing only files that changed since `cache` was last used.
pub fn build_site_cached(config: SiteConfig, cache: &mut DocumentCache) -> BuildResult<Built> {
    let theme = Theme::load(&config)?;
    build_site_with_theme(config, &theme, cache, Sink::memory())
}

/// Like [`build_site_cached`], with a theme already loaded (`lore serve` keeps it while no
/// template, theme file or configuration changes: compiling the templates is most of a rebuild).
/// `sink` receives the rendered files (a memory sink, possibly one that can be cancelled).
pub fn build_site_with_theme(
    config: SiteConfig,
    theme: &Theme,
    cache: &mut DocumentCache,
    sink: Sink,
) -> BuildResult<Built> {
    let site = load_site_cached(config, cache)?;
    let rendered = render_loaded(&site, theme, sink)?;
    Ok(Built {
        site,
        output: rendered.output,
        search: rendered.search,
        warnings: rendered.warnings,
    })
}

/// Renders a loaded site into `sink`.
pub fn render_loaded(site: &Site, theme: &Theme, sink: Sink) -> BuildResult<Rendered> {
    if sink.is_cancelled() {
        return Err(BuildError::cancelled());
    }
    let (output, search) = timed("render", || render::render_into(site, theme, sink))?;
    Ok(Rendered {
        output,
        search,
        warnings: warnings_of(site),
    })
}

/// The site's warnings, the relations left out of its graph, and one for a language search
/// cannot stem.
fn warnings_of(site: &Site) -> Vec<Diagnostic> {
    let mut warnings = site.warnings.clone();
    warnings.extend(crate::check::build_warnings(site));
    if let (_, Some(message)) = crate::search::Analyzer::for_language(&site.config.language) {
        let location =
            crate::error::Location::file(site.config.root.join(crate::config::CONFIG_FILE));
        warnings.push(
            Diagnostic::warning(location, message)
                .with_help("search still works, without stemming"),
        );
    }
    warnings
}

/// What `lore build` did.
pub enum Outcome {
    Built(Box<Written>),
    /// The inputs and the output are exactly as the last build left them.
    Unchanged(Stamp),
}

/// A site written to disk.
pub struct Written {
    pub site: Site,
    pub warnings: Vec<Diagnostic>,
}

/// Pages, posts, ADRs and docs, as the summary line counts them (drafts left out).
pub fn counts(site: &Site) -> [usize; 4] {
    let listed = || site.pages.iter().filter(|p| p.is_listed());
    let of = |kind: Kind| listed().filter(|p| p.doc.kind == kind).count();
    [
        listed().count(),
        of(Kind::Post),
        of(Kind::Adr),
        of(Kind::Doc),
    ]
}

/// Builds the site into a staging folder, each file written as soon as it is rendered, and swaps
/// it in for the output folder only when all of it is there. `progress` counts rendered pages.
/// With `reuse`, nothing is done when the inputs hash as they did for the output's last build.
pub fn build_to_disk(
    config: SiteConfig,
    progress: Option<ProgressBar>,
    reuse: bool,
) -> BuildResult<Outcome> {
    // Side by side: each is 20-25 ms of one core on a 10k site.
    let (theme, (found, _)) = rayon::join(
        || Theme::load(&config),
        || {
            rayon::join(
                || timed("discover", || discover::discover(&config)),
                cache::program_hash,
            )
        },
    );
    let theme = theme?;
    let output_dir = config.output_dir.clone();
    let large = found.sources.len() >= large_site_threshold();
    let _kept = FreedMemoryKept::new();
    // Hashing the inputs before reading them for the build pays only when it may spare the
    // build; otherwise the hashes come from the read itself.
    let hashed_first = (reuse && cache::may_be_unchanged(&output_dir))
        .then(|| {
            timed("fingerprint", || {
                cache::fingerprint(&config, &theme.fingerprint, &found).ok()
            })
        })
        .flatten();
    if let Some(mut stamp) = hashed_first
        .as_deref()
        .and_then(|f| cache::unchanged(&output_dir, f))
    {
        // What discovery skipped (a link loop, a file it cannot read) changes no input it
        // hashes, but is news the last build's warnings do not carry.
        let cwd = std::env::current_dir().unwrap_or_default();
        for warning in found.warnings {
            let text = as_printed(warning, &cwd);
            if !stamp.warnings.contains(&text) {
                stamp.warnings.push(text);
            }
        }
        return Ok(Outcome::Unchanged(stamp));
    }
    cache::forget(&output_dir);
    let docs = read_documents_once(found.sources, large)?;
    let fingerprint = hashed_first.or_else(|| {
        let sources = docs.par_iter().map(|doc| (&doc.source, doc.hash));
        cache::fingerprint_of(&config, &theme.fingerprint, sources, &found.assets).ok()
    });
    let staging = Staging::create(&output_dir)?;
    let spill = large
        .then(|| render::spill::Spill::create_in(staging.path()))
        .transpose()
        .map_err(BuildError::one)?;
    let (site, prepared) =
        assemble_rendered(config, docs, found.assets, found.warnings, spill.as_ref())?;
    if let Some(spill) = &spill {
        log::debug!(
            "HTML held in a temporary file: {} KB",
            spill.bytes_written() >> 10
        );
    }
    let mut sink = Sink::disk(staging.path());
    if let Some(bar) = progress {
        bar.set_length(site.pages.len() as u64);
        sink = sink.with_progress(bar);
    }
    timed("render and write", || {
        let entries_after = if large {
            render::SearchEntries::DropBeforeLists
        } else {
            render::SearchEntries::Drop
        };
        render::render_site(&site, &theme, &sink, entries_after, prepared)
    })?;
    let (_, files) = sink.finish_with_files()?;
    timed("swap in", || staging.swap_in())?;
    let warnings = warnings_of(&site);
    if let Some(fingerprint) = fingerprint {
        let cwd = std::env::current_dir().unwrap_or_default();
        let stamp = Stamp {
            fingerprint,
            counts: counts(&site),
            warnings: warnings
                .iter()
                .map(|w| as_printed(w.clone(), &cwd))
                .collect(),
            files,
        };
        timed("stamp", || cache::store(&output_dir, stamp));
    }
    Ok(Outcome::Built(Box::new(Written { site, warnings })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_option_is_the_one_named() {
        // mimalloc v3's documented default for mi_option_purge_delay, unless the environment
        // sets it: a wrong index reads another option's value.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an option.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
        let kept = super::FreedMemoryKept::new();
        // SAFETY: reads an option.
        let during = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(during, -1);
        drop(kept);
        // SAFETY: reads an option.
        let after = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_ne!(after, -1);
    }

    /// A file just written is in the file cache; once the system is told to drop it (after
    /// `fsync`, so its pages are clean) it is not, on a file system that reads from a disk
    /// (tmpfs keeps every file in memory).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_is_seen_in_the_file_cache_or_not() {
        use std::os::fd::AsRawFd;
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("page.md");
        std::fs::write(&path, "# A page\n".repeat(2000)).unwrap();
        assert!(super::in_file_cache(&path));
        assert!(!super::in_file_cache(&folder.path().join("missing.md")));
        let file = std::fs::File::open(&path).unwrap();
        file.sync_all().unwrap();
        // SAFETY: advice about an open descriptor; statfs fills the struct it is given.
        let (dropped, on_disk) = unsafe {
            let dropped = libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
            let mut fs = std::mem::zeroed::<libc::statfs>();
            libc::fstatfs(file.as_raw_fd(), &mut fs);
            (dropped == 0, fs.f_type != libc::TMPFS_MAGIC)
        };
        if dropped && on_disk {
            assert!(!super::in_file_cache(&path));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_can_be_turned_off() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return;
        }
        // SAFETY: reads a flag of this process.
        let disabled = || unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        super::skip_huge_pages();
        assert_eq!(disabled(), 1);
    }
}
