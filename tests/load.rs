//! `lore serve` (the binary) under load, on 127.0.0.1 only and always bounded (a fixed number of
//! clients or edits, a fixed duration, a deadline on every wait):
//!
//! 1. `wrk` with 400 connections on pages, assets and the search manifest, then `If-None-Match`
//!    revalidation (304s): no socket errors, no status outside 2xx/3xx, and the server's memory
//!    (VmRSS) stays within a stated bound;
//! 2. 1,000 live-reload clients at once: all get `hello`, and after one edit all get `reload`;
//! 3. rebuilds under load: every response is a 200 with a whole body from one build, old or new.
//!
//! The tests take turns (one lock), so that their figures do not skew each other; they print
//! them (`cargo test --test load -- --nocapture`), and the README reports them ("Load").
//! Test 1 needs `wrk` (Debian package `wrk`): without it, it is skipped with a notice, or fails
//! when `CI` is set.

use regex::Regex;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static TURNS: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    // A failed test poisons the lock; the others still run.
    TURNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs an async test in its turn. (Not `#[tokio::test]`: the turn's guard is a blocking lock,
/// which must not be held across awaits inside the runtime.)
fn in_turn(test: impl std::future::Future<Output = ()>) {
    let _turn = take_turn();
    runtime().block_on(test);
}

/// Two workers, as many as the machine the figures come from has cores.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---- The site and the server ----

const POSTS: usize = 20;
const EDITED: &str = "content/posts/post-1.md";

/// Twenty posts (all tagged `load`) and a page, in a fresh folder under the target directory.
fn site() -> tempfile::TempDir {
    let dir = temp_dir("load-site-");
    write(dir.path(), "lore.yaml", "title: Load\n");
    write(dir.path(), "content/about.md", "# About\n\nAbout text.\n");
    for n in 2..=POSTS {
        let text = post(n, &format!("Post {n}"), "Body.");
        write(dir.path(), &format!("content/posts/post-{n}.md"), &text);
    }
    edit(dir.path(), 0);
    dir
}

fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn post(n: usize, title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\ndate: 2026-01-{n:02}\ntags: [load]\n---\n\n{body}\n")
}

/// Revision `rev` of post 1: its title (which the list pages show too) and its body say `rev-N`.
/// Written to a hidden file and renamed over the post, as editors do, so that a rebuild never
/// reads a half-written source: a torn source would be the writer's fault, not the server's.
fn edit(root: &Path, rev: u64) {
    let text = post(
        1,
        &format!("Post 1 rev-{rev}"),
        &format!("Body at rev-{rev}."),
    );
    let tmp = root.join("content/posts/.post-1.md.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, root.join(EDITED)).unwrap();
}

/// `lore serve` started by this test, stopped by its own pid when dropped (also when a test
/// fails halfway).
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `lore -q serve ROOT -p 0` with the soft limit on open files lowered to
    /// `open_files`, as on a machine with a small default, and waits for the URL it prints.
    fn start(root: &Path, open_files: u32) -> Server {
        // `exec` keeps the pid: the shell becomes `lore`, so the guard stops the server itself.
        let script = format!("ulimit -S -n {open_files} && exec \"$0\" -q serve \"$1\" -p 0");
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .arg(lore_binary())
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Keeps reading, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        let url = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("lore serve prints its URL");
            if line.starts_with("http://") {
                break line;
            }
        };
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        server.addr = addr.parse().unwrap_or_else(|_| panic!("{url}"));
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The resident memory of the server, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// The server's soft limit on open files.
    fn open_files_limit(&self) -> u64 {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap();
        line.split_whitespace().nth(3).unwrap().parse().unwrap()
    }

    fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }
}

/// The binary under test: this build's, or `LORE_BIN` (for figures from a release build).
fn lore_binary() -> std::ffi::OsString {
    std::env::var_os("LORE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_lore").into())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- A small HTTP/1.1 client over kept-alive connections ----

struct Response {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

type Connection = tokio::io::BufReader<TcpStream>;

async fn connect(addr: SocketAddr) -> Connection {
    tokio::io::BufReader::new(TcpStream::connect(addr).await.unwrap())
}

/// Sends one GET and reads the response: the head up to the blank line, then exactly
/// Content-Length bytes, so a short body shows up as an error and not as a page.
async fn get(conn: &mut Connection, path: &str) -> Result<Response, String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let io = |e: std::io::Error| format!("{path}: {e}");
    conn.get_mut()
        .write_all(request.as_bytes())
        .await
        .map_err(io)?;
    let mut head = String::new();
    loop {
        let before = head.len();
        if conn.read_line(&mut head).await.map_err(io)? == 0 {
            return Err(format!("{path}: connection closed in the head: {head:?}"));
        }
        if &head[before..] == "\r\n" {
            break;
        }
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{path}: no status in {head:?}"))?;
    let mut body = vec![0; content_length(&head).unwrap_or(0)];
    conn.read_exact(&mut body).await.map_err(io)?;
    Ok(Response {
        status,
        headers: head.to_ascii_lowercase(),
        body,
    })
}

fn content_length(head: &str) -> Option<usize> {
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::to_owned)
        })
        .and_then(|v| v.trim().parse().ok())
}

// ---- 1. Sustained load with wrk ----

/// Whether `wrk` can run; without it the test is skipped, unless in CI, where that is a failure.
fn wrk_available() -> bool {
    let found = Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "wrk is missing and CI is set: install it (apt-get install wrk)"
        );
        eprintln!("SKIPPED: wrk is not installed (apt-get install wrk); the load test did not run");
    }
    found
}

/// The figures a wrk run prints through [`WRK_DONE`]: requests, bytes, errors, latencies (µs).
type Figures = BTreeMap<String, f64>;

/// wrk's `done` hook, printing the figures on one line, so nothing depends on wrk's text layout.
const WRK_DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LORE requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"#;

/// Runs `wrk -t2 -c400` for `seconds` with the Lua `script` (which picks each request) and
/// returns its figures.
fn wrk(server: &Server, script: &str, seconds: u32) -> Figures {
    let dir = temp_dir("load-wrk-");
    let path = dir.path().join("script.lua");
    std::fs::write(&path, format!("{script}\n{WRK_DONE}")).unwrap();
    let output = Command::new("wrk")
        .args([
            "-t2",
            "-c400",
            &format!("-d{seconds}s"),
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(&path)
        .arg(server.url("/"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LORE "))
        .unwrap_or_else(|| panic!("no figures from wrk: {stdout}"));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

/// Round-robin over pages, list pages, a stylesheet and the search manifest.
const PAGES_SCRIPT: &str = r#"
local paths = {"/", "/posts/", "/posts/post-2/", "/about/", "/tags/load/",
               "/assets/lore.css", "/search/manifest.js"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1])
end
"#;

/// Revalidation as browsers do it: `If-None-Match` with the page's ETag, answered 304 without a
/// body. (Not HEAD: wrk waits for the body a HEAD answer's Content-Length announces, which
/// RFC 9110 requires to be the GET's, and stalls; `tests/serve.rs` checks HEAD.)
fn revalidate_script(etag: &str) -> String {
    format!(
        r#"
wrk.headers["If-None-Match"] = '{etag}'
request = function()
  return wrk.format("GET", "/posts/post-2/")
end
"#
    )
}

/// No connect, read, write or timeout error, and no status outside 2xx and 3xx.
fn assert_no_errors(what: &str, figures: &Figures) {
    for key in ["connect", "read", "write", "timeout", "status"] {
        assert_eq!(figures[key], 0.0, "{what}: {key} errors: {figures:?}");
    }
    assert!(figures["requests"] > 1000.0, "{what}: {figures:?}");
}

fn report(what: &str, figures: &Figures) {
    let seconds = figures["duration_us"] / 1e6;
    eprintln!(
        "{what}: {:.0} requests in {seconds:.1} s = {:.0} req/s, latency p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        figures["requests"],
        figures["requests"] / seconds,
        figures["p50_us"] / 1e3,
        figures["p99_us"] / 1e3,
        figures["max_us"] / 1e3,
    );
}

/// A leak would grow with the number of requests: after a warm-up run (which grows the allocator
/// to what 400 connections need), later runs must stay within this much of it.
const RSS_GROWTH_LIMIT_KIB: u64 = 16 * 1024;
/// And the server, with everything warm, stays this far from its idle size.
const RSS_LOAD_LIMIT_KIB: u64 = 96 * 1024;

#[test]
fn wrk_sustained_load_has_no_errors_and_stable_memory() {
    let _turn = take_turn();
    if !wrk_available() {
        return;
    }
    let site = site();
    let server = Server::start(site.path(), 1024);
    let idle = server.rss_kib();
    let warm_up = wrk(&server, PAGES_SCRIPT, 4);
    assert_no_errors("warm-up", &warm_up);
    let warm = server.rss_kib();
    let pages = wrk(&server, PAGES_SCRIPT, 10);
    assert_no_errors("pages", &pages);
    report("pages, 400 connections", &pages);
    let after_pages = server.rss_kib();
    let etag = etag_of(&server, "/posts/post-2/");
    let revalidation = wrk(&server, &revalidate_script(&etag), 5);
    assert_no_errors("revalidation", &revalidation);
    report("If-None-Match, 400 connections", &revalidation);
    // Every answer was a 304, headers only: no page body went out.
    let per_request = revalidation["bytes"] / revalidation["requests"];
    assert!(per_request < 400.0, "{per_request} bytes per revalidation");
    let after_all = server.rss_kib();
    eprintln!(
        "VmRSS: idle {idle} KiB, after warm-up {warm} KiB, after pages {after_pages} KiB, after revalidation {after_all} KiB"
    );
    for (what, rss) in [("pages", after_pages), ("revalidation", after_all)] {
        assert!(
            rss <= warm + RSS_GROWTH_LIMIT_KIB,
            "{what}: {rss} KiB, warm {warm} KiB"
        );
    }
    assert!(
        warm.max(after_all) <= idle + RSS_LOAD_LIMIT_KIB,
        "idle {idle} KiB"
    );
}

fn etag_of(server: &Server, path: &str) -> String {
    let response = runtime().block_on(async {
        let mut conn = connect(server.addr).await;
        get(&mut conn, path).await.unwrap()
    });
    let line = response.headers.lines().find(|l| l.starts_with("etag:"));
    line.unwrap().trim_start_matches("etag:").trim().to_string()
}

// ---- 2. A thousand live-reload clients ----

const CLIENTS: usize = 1000;
/// From the edit to the last of the 1,000 `reload` events (a rebuild takes well under a second).
const RELOAD_LIMIT: Duration = Duration::from_secs(10);

/// Raises this process's soft limit on open files to its hard limit: it holds the 1,000 client
/// sockets (the server raises its own; see `serve::raise_open_files_limit`).
fn raise_own_open_files_limit() -> libc::rlim_t {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct given, which outlives them.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

/// One open page: connects, reads up to `hello` (then says so on `ready`), and returns when the
/// `reload` event arrives, with the moment it did.
async fn live_reload_client(
    addr: SocketAddr,
    connecting: Arc<tokio::sync::Semaphore>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Result<Instant, String> {
    let permit = connecting.acquire().await.unwrap();
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request = "GET /__lore/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "event: hello").await?;
    if !seen.starts_with("HTTP/1.1 200") || !seen.contains("text/event-stream") {
        return Err(format!("not an event stream: {seen:?}"));
    }
    drop(permit);
    let _ = ready.send(()).await;
    // A post's edit reloads the pages it changed, named: the edited page first.
    read_until(&mut stream, &mut seen, "event: pages").await?;
    Ok(Instant::now())
}

/// Reads until `needle` has arrived; the caller bounds the time.
async fn read_until(stream: &mut TcpStream, seen: &mut String, needle: &str) -> Result<(), String> {
    let mut buf = [0u8; 2048];
    while !seen.contains(needle) {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed before {needle:?}: {seen:?}"));
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    Ok(())
}

#[test]
fn a_thousand_live_reload_clients_all_get_the_reload() {
    in_turn(a_thousand_clients());
}

async fn a_thousand_clients() {
    let own_limit = raise_own_open_files_limit();
    assert!(
        own_limit > CLIENTS as u64 + 100,
        "hard limit on open files: {own_limit}"
    );
    let site = site();
    // Half of what is needed: the server must raise its own limit.
    let server = Server::start(site.path(), 512);
    let server_limit = server.open_files_limit();
    assert!(
        server_limit > CLIENTS as u64 + 100,
        "server's limit: {server_limit}"
    );

    // A few connections at a time, so the listen queue never overflows into SYN retries.
    let connecting = Arc::new(tokio::sync::Semaphore::new(50));
    let (ready, mut readies) = tokio::sync::mpsc::channel(CLIENTS);
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(live_reload_client(
                server.addr,
                connecting.clone(),
                ready.clone(),
            ))
        })
        .collect();
    drop(ready);
    for n in 0..CLIENTS {
        let got = tokio::time::timeout(Duration::from_secs(30), readies.recv()).await;
        assert!(matches!(got, Ok(Some(()))), "only {n} clients got hello");
    }
    let connected_in = started.elapsed();
    // All at once: the server holds a socket for each.
    let open = server.open_files();
    assert!(open >= CLIENTS, "the server has {open} files open");
    let rss = server.rss_kib();

    let edited = Instant::now();
    edit(site.path(), 1);
    let mut delays = Vec::with_capacity(CLIENTS);
    for client in clients {
        let got = tokio::time::timeout_at((edited + RELOAD_LIMIT).into(), client).await;
        let at = got.expect("reload within the limit").unwrap();
        delays.push(at.unwrap().duration_since(edited));
    }
    delays.sort();
    eprintln!(
        "{CLIENTS} clients: hello to all in {} ms ({open} files open in the server, VmRSS {rss} KiB); reload to the first {} ms, the last {} ms after the edit",
        connected_in.as_millis(),
        delays[0].as_millis(),
        delays[CLIENTS - 1].as_millis(),
    );
}

// ---- 3. Rebuilds under load ----

/// Concurrent kept-alive connections requesting while post 1 is edited again and again.
const HAMMERS: usize = 32;
/// Edits, each waited for (its revision served) before the next, so each is its own rebuild.
const EDITS: u64 = 10;
/// The edited post and two list pages that show its title.
const CHECKED: [&str; 3] = ["/posts/post-1/", "/posts/", "/tags/load/"];

/// The injected version, `<instance>-<generation>`: the generation counts published builds.
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"data-version="[0-9a-f]+-(\d+)""#).unwrap());
static REVISION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"rev-(\d+)").unwrap());

/// What one response showed: the build it came from and the revision of post 1 in it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    generation: u64,
    rev: u64,
}

/// Checks one response: a 200 with a whole HTML page, whose every mention of post 1 is of one
/// revision, and which names the build it came from (the version `serve` injects).
fn check(path: &str, response: &Response) -> Result<Seen, String> {
    let body = String::from_utf8_lossy(&response.body);
    if response.status != 200 {
        return Err(format!("{path}: status {}: {body}", response.status));
    }
    if !body.trim_end().ends_with("</html>") {
        return Err(format!("{path}: a truncated page: {body}"));
    }
    let generation = VERSION
        .captures(&body)
        .ok_or(format!("{path}: no version"))?[1]
        .parse();
    let revs: std::collections::BTreeSet<u64> = REVISION
        .captures_iter(&body)
        .map(|c| c[1].parse().unwrap())
        .collect();
    match (generation, revs.len()) {
        (Ok(generation), 1) => Ok(Seen {
            generation,
            rev: *revs.first().unwrap(),
        }),
        _ => Err(format!("{path}: revisions {revs:?} in one page: {body}")),
    }
}

/// Requests the checked pages round-robin until `stop`, keeping what each build showed.
async fn hammer(
    addr: SocketAddr,
    newest: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Seen>, String> {
    let mut conn = connect(addr).await;
    let mut seen = Vec::new();
    for path in CHECKED.iter().cycle() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let one = check(path, &get(&mut conn, path).await?)?;
        newest.fetch_max(one.rev, Ordering::SeqCst);
        served.fetch_add(1, Ordering::SeqCst);
        seen.push(one);
    }
    Ok(seen)
}

/// Polls until `counter` reaches `at_least`, at most `limit`.
async fn wait_for(what: &str, counter: &AtomicU64, at_least: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    while counter.load(Ordering::SeqCst) < at_least {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every build seen shows one revision on every page (no mix of an old and a new page), and
/// later builds never show an older revision (no old page served after a new one). Returns the
/// revision of each build.
fn one_revision_per_build(seen: &[Seen]) -> Result<BTreeMap<u64, u64>, String> {
    let mut builds = BTreeMap::new();
    for one in seen {
        let rev = *builds.entry(one.generation).or_insert(one.rev);
        if rev != one.rev {
            return Err(format!(
                "build {} showed rev-{rev} and rev-{}",
                one.generation, one.rev
            ));
        }
    }
    let revs: Vec<u64> = builds.values().copied().collect();
    if !revs.is_sorted() {
        return Err(format!("revisions went back: {builds:?}"));
    }
    Ok(builds)
}

#[test]
fn rebuilds_under_load_serve_the_old_or_the_new_site_never_a_mix() {
    in_turn(rebuilds_under_load());
}

async fn rebuilds_under_load() {
    let site = site();
    let server = Server::start(site.path(), 1024);
    let (newest, served) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let hammers: Vec<_> = (0..HAMMERS)
        .map(|_| {
            let (newest, served, stop) = (newest.clone(), served.clone(), stop.clone());
            tokio::spawn(hammer(server.addr, newest, served, stop))
        })
        .collect();
    let started = Instant::now();
    wait_for("the first responses", &served, 100, Duration::from_secs(10)).await;
    for rev in 1..=EDITS {
        edit(site.path(), rev);
        wait_for(&format!("rev-{rev}"), &newest, rev, Duration::from_secs(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for hammer in hammers {
        let got = tokio::time::timeout(Duration::from_secs(10), hammer).await;
        seen.extend(got.expect("hammer stops").unwrap().unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let builds = one_revision_per_build(&seen).unwrap();
    // Each edit was served before the next one was made: each is a build of its own.
    assert!(builds.len() as u64 > EDITS, "{builds:?}");
    eprintln!(
        "rebuilds under load: {} responses in {elapsed:.1} s ({:.0}/s) over {HAMMERS} connections, {} builds served, all whole and consistent",
        seen.len(),
        seen.len() as f64 / elapsed,
        builds.len()
    );
}

/// The check above can fail: a build that showed two revisions, or a revision going back.
#[test]
fn the_consistency_check_catches_a_mix_and_a_step_back() {
    let check = |pairs: &[(u64, u64)]| {
        let one = |&(generation, rev)| Seen { generation, rev };
        one_revision_per_build(&pairs.iter().map(one).collect::<Vec<_>>())
    };
    assert!(check(&[(0, 0), (1, 1), (1, 1), (2, 3)]).is_ok());
    assert!(
        check(&[(0, 0), (1, 1), (1, 0)]).is_err(),
        "a mix in build 1"
    );
    assert!(
        check(&[(0, 0), (1, 2), (2, 1)]).is_err(),
        "build 2 went back"
    );
}

/// And so can the check of one response: two revisions on one page, a torn page, an error.
#[test]
fn the_response_check_catches_a_mixed_or_torn_page() {
    let page = |status, body: &str| Response {
        status,
        headers: String::new(),
        body: body.as_bytes().to_vec(),
    };
    let whole = r#"<p>rev-3</p><script data-version="ab12-7"></script></html>"#;
    let seen = check("/p/", &page(200, whole)).unwrap();
    assert_eq!((seen.generation, seen.rev), (7, 3));
    let mixed = r#"<p>rev-3 rev-2</p><script data-version="ab12-7"></script></html>"#;
    assert!(check("/p/", &page(200, mixed)).is_err());
    assert!(check("/p/", &page(200, &whole[..30])).is_err());
    assert!(check("/p/", &page(500, whole)).is_err());
}
