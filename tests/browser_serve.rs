//! End to end in headless Chromium: `lore serve` (the binary) on a temporary site, a page open
//! in the browser, and then, without touching the browser: an edit shows up, broken front matter
//! shows the error overlay over the last good page, and fixing it brings the page back.
//!
//! Chromium is driven over the DevTools protocol (a WebSocket to the page's target). The test is
//! skipped with a notice only when `/usr/bin/chromium` is missing and `CI` is not set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Stops a process this test started, by its own id only, when dropped: first politely
/// (SIGTERM, so Chromium shuts down its own helper processes), then for good.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-s", "TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Polls `check` until it gives `Some`, at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `lore serve` and returns it with the URL it printed.
fn start_lore(root: &Path, port: u16) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lore"))
        .arg("serve")
        .arg(root)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running { child };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("http://") {
                let _ = tx.send(line);
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("lore serve prints its URL");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (running, url)
}

fn start_chromium(profile: &Path, url: &str) -> Running {
    let child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Running { child }
}

/// A plain HTTP request on the DevTools port (`GET` the target list, `PUT` a new tab). Chromium
/// keeps the connection open, so the body is read up to its `Content-Length`.
fn devtools_http(method: &str, port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_string())
            })?
            .parse()
            .ok()?;
        if body.len() >= length {
            return Some(body.to_string());
        }
    }
}

/// The DevTools protocol over one page's WebSocket.
struct Page {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
}

/// The DevTools port of the Chromium using `profile`, once it has written it.
fn devtools_port(profile: &Path) -> u16 {
    let port_file = profile.join("DevToolsActivePort");
    wait_for("DevToolsActivePort", Duration::from_secs(30), || {
        std::fs::read_to_string(&port_file)
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    })
}

impl Page {
    fn connect(profile: &Path, page_url: &str) -> Page {
        let port = devtools_port(profile);
        let ws_url = wait_for("the page target", Duration::from_secs(30), || {
            let list: serde_json::Value =
                serde_json::from_str(&devtools_http("GET", port, "/json/list")?).ok()?;
            list.as_array()?
                .iter()
                .find(|t| {
                    t["type"] == "page"
                        && t["url"].as_str().is_some_and(|u| u.starts_with(page_url))
                })
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(String::from))
        });
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (socket, _) = tungstenite::client(ws_url.as_str(), stream).unwrap();
        Page { socket, next_id: 1 }
    }

    /// Evaluates `expression` in the page; `None` while the page is (re)loading.
    fn eval(&mut self, expression: &str) -> Option<serde_json::Value> {
        let params = serde_json::json!({"expression": expression, "returnByValue": true});
        self.call("Runtime.evaluate", params)["result"]
            .get("value")
            .cloned()
    }

    /// Calls a DevTools method on the page; its result.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        let call = serde_json::json!({"id": id, "method": method, "params": params});
        self.socket
            .send(tungstenite::Message::text(call.to_string()))
            .unwrap();
        loop {
            let message = self.socket.read().expect("DevTools answers in time");
            let Ok(text) = message.to_text() else {
                continue;
            };
            let reply: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            if reply["id"] == id {
                return reply["result"].clone();
            }
        }
    }

    /// From now on, counts the page's loads in its session storage (`loads`).
    fn count_loads(&mut self) {
        let counter = "sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1)";
        self.call("Page.enable", serde_json::json!({}));
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": counter }),
        );
        self.eval("sessionStorage.loads = '0'");
    }

    fn loads(&mut self) -> Option<serde_json::Value> {
        self.eval("sessionStorage.loads")
    }

    fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }

    fn overlay(&mut self) -> Option<String> {
        self.eval("(document.getElementById('__lore-error') || {}).innerText || null")
            .and_then(|v| v.as_str().map(String::from))
    }
}

/// A word no page has until the test writes it.
const NEW_WORD: &str = "zephyrquill";

/// Types `query` into the header search box and waits for its panel to settle on an answer:
/// the first result's title, or "No results". A search the server tells the page to redo (the
/// index of an edit arriving) counts: the answer is read until it is the same twice, 300 ms apart.
fn search_header_box(page: &mut Page, query: &str, limit: Duration) -> String {
    let query = serde_json::to_string(query).unwrap();
    let first_answer = format!(
        r#"(() => {{
            const input = document.getElementById('search-input');
            const panel = document.getElementById('search-panel');
            if (!input || !panel) return null;
            if (input.value !== {query} || panel.hidden) {{
                input.focus();
                input.value = {query};
                input.dispatchEvent(new Event('input'));
                return null;
            }}
            const title = panel.querySelector('.search-result-title');
            if (title) return title.innerText.trim();
            return panel.querySelector('.search-empty') ? 'No results' : null;
        }})()"#
    );
    let mut last = String::new();
    wait_for("the search panel", limit, || {
        let answer = page.eval(&first_answer)?.as_str()?.to_string();
        let settled = answer == last;
        last = answer;
        std::thread::sleep(Duration::from_millis(300));
        settled.then(|| last.clone())
    })
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("browser-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    write(
        dir.path(),
        "lore.yaml",
        "title: Browser fixture\ntheme: custom\n",
    );
    write(dir.path(), CSS, "body { color: rgb(1, 2, 3); }\n");
    write(dir.path(), "content/about.md", "# About\n\nAbout text.\n");
    write(
        dir.path(),
        PAGE,
        "---\ntitle: Hello\n---\n\nFirst version of the text.\n",
    );
    dir
}

const PAGE: &str = "content/posts/2026-01-01-hello.md";
/// The theme's stylesheet, overridden by the fixture's own theme.
const CSS: &str = "themes/custom/assets/lore.css";

fn chromium_available() -> bool {
    let present = Path::new(CHROMIUM).exists();
    if !present && std::env::var_os("CI").is_some() {
        panic!("{CHROMIUM} is missing, and under CI the browser test must run");
    }
    if !present {
        eprintln!(
            "NOTICE: skipping the browser test: {CHROMIUM} does not exist (set CI=1 to make this a failure)"
        );
    }
    present
}

#[test]
fn live_reload_and_error_overlay_in_headless_chromium() {
    if !chromium_available() {
        return;
    }
    let site = fixture();
    let root = site.path();
    let port = free_port();
    let (mut lore, base) = start_lore(root, port);
    let page_url = format!("{base}posts/hello/");
    let profile: PathBuf = tempfile::Builder::new()
        .prefix("chromium-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let chromium = start_chromium(&profile, &page_url);
    let mut page = Page::connect(&profile, &page_url);
    let limit = Duration::from_secs(20);

    wait_for("the first version", limit, || {
        page.text().contains("First version").then_some(())
    });

    // The header search box does not know a word before it is written.
    assert_eq!(
        search_header_box(&mut page, NEW_WORD, limit),
        "No results",
        "before the edit"
    );
    write(
        root,
        PAGE,
        &format!("---\ntitle: Hello\n---\n\nSecond version, saved in the editor: {NEW_WORD}.\n"),
    );
    wait_for("the edit to appear", limit, || {
        page.text().contains("Second version").then_some(())
    });
    // Right after the page reloads, search finds the edited page by its new word.
    assert_eq!(search_header_box(&mut page, NEW_WORD, limit), "Hello");

    write(
        root,
        PAGE,
        "---\ntitle: [Hello\n---\n\nThird version, with broken front matter.\n",
    );
    let overlay = wait_for("the error overlay", limit, || page.overlay());
    assert!(overlay.contains("2026-01-01-hello.md:3:1"), "{overlay}");
    assert!(overlay.contains("help:"), "{overlay}");
    let text = page.text();
    assert!(
        text.contains("Second version"),
        "the last good page stays under the overlay: {text}"
    );

    write(
        root,
        PAGE,
        "---\ntitle: Hello\n---\n\nFourth version, fixed.\n",
    );
    wait_for("the fixed page without overlay", limit, || {
        (page.text().contains("Fourth version") && page.overlay().is_none()).then_some(())
    });

    // Ctrl-C stops the server cleanly, even with the page still connected to its events.
    stop(&mut lore);

    // A change made while the server is down shows up once it is back: the page reconnects
    // by itself and reloads once, after seconds away too (browsers back off between retries).
    std::thread::sleep(Duration::from_secs(4));
    write(
        root,
        PAGE,
        "---\ntitle: Hello\n---\n\nFifth version, written while stopped.\n",
    );
    let (mut lore, again) = start_lore(root, port);
    assert_eq!(again, base, "the same port is free again");
    wait_for("the page after the restart", limit, || {
        page.text().contains("Fifth version").then_some(())
    });
    stop(&mut lore);
    drop(page);
    drop(chromium);
    let _ = std::fs::remove_dir_all(&profile);
}

/// Browsers open six connections to a server at most over HTTP/1.1: with an event stream per
/// tab, a seventh tab of the preview never loaded. Eight tabs load, and a save reloads each.
#[test]
fn eight_tabs_share_one_event_stream_and_all_reload() {
    if !chromium_available() {
        return;
    }
    let site = fixture();
    let root = site.path();
    let (mut lore, base) = start_lore(root, free_port());
    let profile: PathBuf = tempfile::Builder::new()
        .prefix("chromium-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let tab_url = |tab: usize| format!("{base}posts/hello/?tab={tab}");
    let chromium = start_chromium(&profile, &tab_url(0));
    let devtools = devtools_port(&profile);
    let limit = Duration::from_secs(20);
    let mut pages = Vec::new();
    for tab in 0..8 {
        if tab > 0 {
            let opened = devtools_http("PUT", devtools, &format!("/json/new?{}", tab_url(tab)));
            assert!(opened.is_some(), "tab {tab} opens");
        }
        let mut page = Page::connect(&profile, &tab_url(tab));
        wait_for(&format!("tab {tab} to load"), limit, || {
            page.text().contains("First version").then_some(())
        });
        pages.push(page);
    }
    write(
        root,
        PAGE,
        "---\ntitle: Hello\n---\n\nSecond version, seen in every tab.\n",
    );
    for (tab, page) in pages.iter_mut().enumerate() {
        wait_for(&format!("tab {tab} to reload"), limit, || {
            page.text().contains("Second version").then_some(())
        });
    }
    stop(&mut lore);
    drop(pages);
    drop(chromium);
    let _ = std::fs::remove_dir_all(&profile);
}

/// One save reloads the tab showing the saved page once (it is published ahead of the rest of
/// the site, which then reloaded every tab a second time) and no tab whose page did not change.
#[test]
fn a_save_reloads_its_page_once_and_leaves_other_tabs_alone() {
    if !chromium_available() {
        return;
    }
    let site = fixture();
    let root = site.path();
    let (mut lore, base) = start_lore(root, free_port());
    let profile: PathBuf = tempfile::Builder::new()
        .prefix("chromium-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
        .keep();
    let (post_url, about_url) = (format!("{base}posts/hello/"), format!("{base}about/"));
    let chromium = start_chromium(&profile, &post_url);
    let devtools = devtools_port(&profile);
    let limit = Duration::from_secs(20);
    let mut post = Page::connect(&profile, &post_url);
    wait_for("the post", limit, || {
        post.text().contains("First version").then_some(())
    });
    let opened = devtools_http("PUT", devtools, &format!("/json/new?{about_url}"));
    assert!(opened.is_some(), "the about tab opens");
    let mut about = Page::connect(&profile, &about_url);
    wait_for("the about page", limit, || {
        about.text().contains("About text").then_some(())
    });
    post.count_loads();
    about.count_loads();
    write(root, PAGE, "---\ntitle: Hello\n---\n\nSecond version.\n");
    wait_for("the post to reload", limit, || {
        post.text().contains("Second version").then_some(())
    });
    // The rest of the site is rebuilt and published meanwhile (milliseconds on this site).
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        post.loads(),
        Some(serde_json::json!("1")),
        "the post reloads once"
    );
    assert_eq!(
        about.loads(),
        Some(serde_json::json!("0")),
        "the about page stays"
    );
    stop(&mut lore);
    drop((post, about, chromium));
    let _ = std::fs::remove_dir_all(&profile);
}

/// Sends Ctrl-C (SIGINT) and expects a clean exit within ten seconds.
fn stop(lore: &mut Running) {
    let pid = lore.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-s", "INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = wait_for("lore serve to stop", Duration::from_secs(10), || {
        lore.child.try_wait().unwrap()
    });
    assert!(status.success(), "{status}");
}
