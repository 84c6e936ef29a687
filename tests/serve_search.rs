//! Search in `lore serve`: after an edit, the served index finds the page by its new word.
//! Runs the real binary on a free port, edits a page on disk, waits (bounded) for the rebuild,
//! then downloads the index over HTTP and queries it with `search::query`, the Rust copy of the
//! browser client's algorithm.

mod common;
use common::*;
use lore::search::query::{Filters, search};
use lore::search::unwrap_js;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const NEW_WORD: &str = "quokkaflux";

/// Stops the server when the test ends, however it ends.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_serve(root: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lore"))
        .arg("serve")
        .arg(root)
        .args(["-p", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = read_lines(&mut child);
    let url = wait_for_url(&lines);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Server { child, addr }
}

/// Lines of the child's stdout and stderr, as they come.
fn read_lines(child: &mut Child) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx_err = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx_err.send(line);
        }
    });
    rx
}

fn wait_for_url(lines: &Receiver<String>) -> String {
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no URL in time; got {seen:?}"));
        if line.starts_with("http://") {
            return line.trim().to_string();
        }
        seen.push(line);
    }
}

/// GET over a plain socket; the body of a 200 response, else None.
fn get(addr: &str, path: &str) -> Option<Vec<u8>> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..split]);
    head.starts_with("HTTP/1.1 200")
        .then(|| response[split + 4..].to_vec())
}

/// Every file of the served index, found from its manifest (shard and record counts).
fn served_index(addr: &str) -> BTreeMap<String, Vec<u8>> {
    let manifest = get(addr, "/search/manifest.js").expect("the manifest is served");
    let json: serde_json::Value = serde_json::from_slice(unwrap_js(&manifest).unwrap()).unwrap();
    let shards = json["shards"].as_array().map_or(0, Vec::len);
    let chunk = json["chunk"].as_u64().unwrap_or(1).max(1) as usize;
    let chunks = (json["n"].as_u64().unwrap_or(0) as usize).div_ceil(chunk);
    let mut keys = vec!["facets".to_string()];
    keys.extend((0..shards).map(|i| format!("s/{i}")));
    keys.extend((0..chunks).map(|j| format!("r/{j}")));
    let mut files = BTreeMap::from([("manifest.js".to_string(), manifest)]);
    for key in keys {
        let body = get(addr, &format!("/search/{key}.js")).unwrap_or_else(|| panic!("{key}"));
        files.insert(format!("{key}.js"), body);
    }
    files
}

fn build_id(addr: &str) -> Option<String> {
    let manifest = get(addr, "/search/manifest.js")?;
    let json: serde_json::Value = serde_json::from_slice(unwrap_js(&manifest)?).ok()?;
    json["b"].as_str().map(String::from)
}

fn urls_for(addr: &str, word: &str) -> Vec<String> {
    let files = served_index(addr);
    let result = search(&files, word, false, &Filters::default(), 10);
    result.hits.into_iter().map(|h| h.url).collect()
}

#[test]
fn an_edit_is_found_by_search_after_the_rebuild() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Serve search\n");
    let post = "content/posts/2026-01-02-notes.md";
    site.write(
        post,
        "---\ntitle: Notes\n---\n\nPlain notes about queues.\n",
    );
    site.write(
        "content/posts/2026-01-01-other.md",
        "---\ntitle: Other\n---\n\nAbout caching.\n",
    );
    let server = start_serve(site.root());
    assert_eq!(urls_for(&server.addr, "queues"), ["/posts/notes/"]);
    assert!(urls_for(&server.addr, NEW_WORD).is_empty());
    let before = build_id(&server.addr).expect("a build id");

    site.write(
        post,
        &format!("---\ntitle: Notes\n---\n\nPlain notes about queues and {NEW_WORD}.\n"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while build_id(&server.addr).as_ref() == Some(&before) {
        assert!(Instant::now() < deadline, "no rebuild within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(urls_for(&server.addr, NEW_WORD), ["/posts/notes/"]);
    // The page a result leads to has the word too.
    let page = get(&server.addr, "/posts/notes/").unwrap();
    assert!(String::from_utf8_lossy(&page).contains(NEW_WORD));
}
