//! `lore serve`: the router (without a port), a real server on 127.0.0.1:0, the watcher in
//! temporary folders, incremental rebuilds against clean builds, and failing rebuilds.
//! Every wait is bounded, and every server started here is stopped.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lore::commands::Ui;
use lore::output::OutputSet;
use lore::serve::watch::{ChangeKind, ChangeSet, Watcher};
use lore::serve::{
    Rebuilder, ServeState, publish_edited, rebuild_and_publish, refresh_search, server,
};
use lore::{Overrides, SiteConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const QUIET_UI: Ui = Ui {
    quiet: true,
    verbose: false,
    color: false,
};

/// A small site in a fresh folder under the target directory.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("serve-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let files: &[(&str, &[u8])] = &[
        ("lore.yaml", b"title: Fixture\n"),
        (
            "content/posts/2026-01-01-hello.md",
            b"---\ntitle: Hello\n---\n\nHello body text.\n",
        ),
        ("content/about.md", b"# About\n\nAbout text.\n"),
        ("static/site.css", b"body{color:red}\n"),
        ("static/img/dot.png", b"\x89PNG\r\n\x1a\n"),
    ];
    for (path, bytes) in files {
        write(dir.path(), path, bytes);
    }
    dir
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn clean_build(root: &Path) -> OutputSet {
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    lore::build_site(config).unwrap().output
}

fn state_for(root: &Path) -> Arc<ServeState> {
    Arc::new(ServeState::new(clean_build(root), "/", None))
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn request(state: &Arc<ServeState>, method: &str, uri: &str, etag: Option<&str>) -> Reply {
    let headers: Vec<_> = etag
        .map(|tag| (header::IF_NONE_MATCH, tag))
        .into_iter()
        .collect();
    request_with(state, method, uri, &headers).await
}

async fn request_with(
    state: &Arc<ServeState>,
    method: &str,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> Reply {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    let response = server::router(state.clone())
        .oneshot(builder.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = tokio::time::timeout(Duration::from_secs(5), response.into_body().collect())
        .await
        .expect("body in time")
        .unwrap()
        .to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(state: &Arc<ServeState>, uri: &str) -> Reply {
    request(state, "GET", uri, None).await
}

fn content_type(reply: &Reply) -> &str {
    reply.headers[header::CONTENT_TYPE].to_str().unwrap()
}

#[tokio::test]
async fn content_types() {
    let site = fixture();
    let state = state_for(site.path());
    for (uri, expected) in [
        ("/posts/hello/", "text/html; charset=utf-8"),
        ("/site.css", "text/css; charset=utf-8"),
        ("/assets/theme.js", "text/javascript; charset=utf-8"),
        ("/img/dot.png", "image/png"),
        ("/assets/favicon.svg", "image/svg+xml"),
        ("/atom.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/__lore/live.js", "text/javascript; charset=utf-8"),
        ("/__lore/live-worker.js", "text/javascript; charset=utf-8"),
    ] {
        let reply = get(&state, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(content_type(&reply), expected, "{uri}");
    }
    assert_eq!(
        get(&state, "/img/dot.png").await.body.as_bytes(),
        b"\xef\xbf\xbdPNG\r\n\x1a\n"
    );
}

#[tokio::test]
async fn folders_serve_index_html_and_redirect_without_slash() {
    let site = fixture();
    let state = state_for(site.path());
    let home = get(&state, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Hello"), "{}", home.body);
    let page = get(&state, "/posts/hello/").await;
    assert!(page.body.contains("Hello body text."));
    let redirect = get(&state, "/posts/hello?x=1").await;
    assert_eq!(redirect.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(redirect.headers[header::LOCATION], "/posts/hello/?x=1");
}

#[tokio::test]
async fn redirects_name_their_target_percent_encoded() {
    let site = fixture();
    write(site.path(), "static/über/index.html", b"<p>u</p>");
    write(site.path(), "static/a b/index.html", b"<p>ab</p>");
    let state = state_for(site.path());
    for (uri, location) in [
        ("/%C3%BCber", "/%C3%BCber/"),
        ("/a%20b?q=%C3%BC", "/a%20b/?q=%C3%BC"),
    ] {
        let reply = get(&state, uri).await;
        assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY, "{uri}");
        assert_eq!(reply.headers[header::LOCATION], location, "{uri}");
        let followed = get(&state, location).await;
        assert_eq!(followed.status, StatusCode::OK, "{location}");
    }
}

#[tokio::test]
async fn missing_pages_get_the_site_404_with_status_404() {
    let site = fixture();
    let state = state_for(site.path());
    let reply = get(&state, "/no/such/page/").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let page_404 = clean_build(site.path());
    let expected =
        String::from_utf8(page_404.read("404.html").unwrap().unwrap().into_owned()).unwrap();
    let title = expected
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(reply.body.contains(title), "{}", reply.body);
    assert!(
        reply.body.contains("__lore/live.js"),
        "404 pages reload too"
    );
    assert_eq!(
        get(&state, "/__lore/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn etag_and_if_none_match_give_304() {
    let site = fixture();
    let state = state_for(site.path());
    for uri in ["/posts/hello/", "/site.css"] {
        let first = get(&state, uri).await;
        let etag = first.headers[header::ETAG].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
        let again = request(&state, "GET", uri, Some(&etag)).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(again.body.is_empty());
        let other = request(&state, "GET", uri, Some("\"other\"")).await;
        assert_eq!(other.status, StatusCode::OK);
    }
}

/// A single byte range is answered 206 with its bytes (a video or PDF linked from a page seeks
/// with them); one past the end 416; several, a malformed one, or an `If-Range` naming another
/// version, the whole file.
#[tokio::test]
async fn byte_ranges_are_served() {
    let site = fixture();
    let state = state_for(site.path());
    let whole = get(&state, "/site.css").await;
    assert_eq!(whole.headers[header::ACCEPT_RANGES], "bytes");
    let len = whole.body.len();
    let etag = whole.headers[header::ETAG].to_str().unwrap().to_string();
    let ranged = |range: String| {
        let state = state.clone();
        async move { request_with(&state, "GET", "/site.css", &[(header::RANGE, &range)]).await }
    };
    let part = ranged("bytes=2-9".into()).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, whole.body[2..=9]);
    assert_eq!(
        part.headers[header::CONTENT_RANGE],
        format!("bytes 2-9/{len}").as_str()
    );
    assert_eq!(part.headers[header::CONTENT_LENGTH], "8");
    let tail = ranged("bytes=-4".into()).await;
    assert_eq!(tail.body, whole.body[len - 4..]);
    let past = ranged(format!("bytes={}-", len + 10)).await;
    assert_eq!(past.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers[header::CONTENT_RANGE],
        format!("bytes */{len}").as_str()
    );
    for ignored in ["bytes=0-1,4-5", "lines=1-2", "bytes=9-2"] {
        let reply = ranged(ignored.into()).await;
        assert_eq!(
            (reply.status, reply.body.len()),
            (StatusCode::OK, len),
            "{ignored}"
        );
    }
    let other_version = [(header::RANGE, "bytes=2-9"), (header::IF_RANGE, "\"old\"")];
    let reply = request_with(&state, "GET", "/site.css", &other_version).await;
    assert_eq!((reply.status, reply.body.len()), (StatusCode::OK, len));
    let same_version = [
        (header::RANGE, "bytes=2-9"),
        (header::IF_RANGE, etag.as_str()),
    ];
    let reply = request_with(&state, "GET", "/site.css", &same_version).await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
}

#[tokio::test]
async fn head_has_the_headers_of_get_and_no_body() {
    let site = fixture();
    let state = state_for(site.path());
    let got = get(&state, "/posts/hello/").await;
    let head = request(&state, "HEAD", "/posts/hello/", None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::ETAG] {
        assert_eq!(head.headers[&name], got.headers[&name], "{name}");
    }
    assert_eq!(
        request(&state, "POST", "/posts/hello/", None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn traversal_attempts_are_refused_and_never_leak() {
    let site = fixture();
    // Files outside the output that a leak would show.
    write(site.path(), "Cargo.toml", b"[package]\nSECRET-CARGO\n");
    write(site.path(), "content/secret.txt.bak", b"SECRET-BAK\n");
    let state = state_for(site.path());
    for uri in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/posts%2f..%2f..%2fCargo.toml",
        "//etc/passwd",
        "/..%5c..%5cCargo.toml",
        "/posts/../../Cargo.toml",
        "/%2E%2E/%2E%2E/Cargo.toml",
        "/static/site.css",
        "/content/secret.txt.bak",
        "/Cargo.toml",
        "/lore.yaml",
        "/%00",
        "/posts/hello/%252e%252e/",
    ] {
        let reply = get(&state, uri).await;
        assert!(
            matches!(
                reply.status,
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
            ),
            "{uri}: {}",
            reply.status
        );
        for secret in ["SECRET", "root:", "[package]", "title: Fixture"] {
            assert!(!reply.body.contains(secret), "{uri} leaked {secret}");
        }
    }
}

#[tokio::test]
async fn serves_under_the_base_path_of_base_url() {
    let site = fixture();
    write(
        site.path(),
        "lore.yaml",
        b"title: Fixture\nbase_url: https://example.org/kb/\n",
    );
    let config = SiteConfig::load(site.path(), &Overrides::default()).unwrap();
    let built = lore::build_site(config).unwrap();
    let state = Arc::new(ServeState::new(built.output, "/kb/", None));
    let page = get(&state, "/kb/posts/hello/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<script src="/kb/__lore/live.js""#));
    assert_eq!(
        get(&state, "/kb/__lore/live.js").await.status,
        StatusCode::OK
    );
    assert_eq!(get(&state, "/").await.headers[header::LOCATION], "/kb/");
    assert_eq!(get(&state, "/kb").await.headers[header::LOCATION], "/kb/");
    assert_eq!(
        get(&state, "/posts/hello/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn live_reload_is_injected_only_in_serve_mode() {
    let site = fixture();
    let served = get(&state_for(site.path()), "/posts/hello/").await;
    let script = r#"<script src="/__lore/live.js""#;
    assert!(served.body.contains(script));
    assert!(served.body.find(script).unwrap() < served.body.rfind("</body>").unwrap());
    let plain =
        Arc::new(ServeState::new(clean_build(site.path()), "/", None).without_live_reload());
    assert!(!get(&plain, "/posts/hello/").await.body.contains("__lore"));
    // `lore build`, the binary, writes no trace of serve mode.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lore"))
        .args(["build", "-q"])
        .arg(site.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut files = 0;
    for entry in walkdir::WalkDir::new(site.path().join("public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            files += 1;
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("/__lore/"), "{}", entry.path().display());
        }
    }
    assert!(files > 5);
}

/// Sends one HTTP/1.1 request over a real socket and returns the whole response.
async fn raw_http(addr: std::net::SocketAddr, path: &str) -> String {
    raw_request(addr, "GET", path, "").await
}

/// One request over a real connection, `extra` header lines included; the whole reply.
async fn raw_request(addr: std::net::SocketAddr, method: &str, path: &str, extra: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
        .await
        .expect("response in time")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads from an open event stream until `needle` arrives (bounded).
async fn read_until(stream: &mut tokio::net::TcpStream, seen: &mut String, needle: &str) {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(needle) {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in time; got {seen:?}"))
            .unwrap();
        assert!(n > 0, "stream closed; got {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[tokio::test]
async fn real_server_on_a_free_port_answers_and_streams_reloads() {
    use tokio::io::AsyncWriteExt;
    let site = fixture();
    let state = state_for(site.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, server::router(state.clone()))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let page = raw_http(addr, "/posts/hello/").await;
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("Hello body text."));
    // A HEAD that revalidates gets a 304 giving the page's length, not `content-length: 0`.
    let header_value = |reply: &str, name: &str| {
        (reply.lines())
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {name} in {reply}"))
    };
    let length = header_value(&page, "content-length");
    let etag = header_value(&page, "etag");
    let if_none_match = format!("If-None-Match: {etag}\r\n");
    let head = raw_request(addr, "HEAD", "/posts/hello/", &if_none_match).await;
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    assert_eq!(header_value(&head, "content-length"), length, "{head}");

    let mut events = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /__lore/events HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    events.write_all(request.as_bytes()).await.unwrap();
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "event: hello").await;
    assert!(seen.contains("text/event-stream"), "{seen}");
    state.publish_site(clean_build(site.path()), "/", lore::serve::ReloadKind::Css);
    read_until(&mut events, &mut seen, "event: css").await;
    state.publish_error("boom".into());
    read_until(&mut events, &mut seen, "event: reload").await;

    // Stopping ends open event streams, so the graceful shutdown does not wait for pages.
    state.shut_down();
    stop.send(()).unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut events, &mut rest),
    )
    .await
    .expect("the event stream ends")
    .unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops in time")
        .unwrap()
        .unwrap();
}

// ---- Rebuilds ----

/// Rebuilds after `changed` (paths relative to `root`, as the watcher would report them) and
/// compares the result with a clean build of the same files.
fn assert_same_as_clean_build(
    rebuilder: &mut Rebuilder,
    root: &Path,
    step: &str,
    changed: &[&str],
) {
    let incremental = rebuilder
        .rebuild(&changes_of(root, changed))
        .unwrap()
        .output;
    let clean = clean_build(root);
    let paths = |o: &OutputSet| o.paths().cloned().collect::<Vec<_>>();
    assert_eq!(paths(&incremental), paths(&clean), "{step}: paths");
    for path in clean.paths() {
        assert_eq!(
            incremental.read(path).unwrap().unwrap(),
            clean.read(path).unwrap().unwrap(),
            "{step}: {path}"
        );
    }
    assert!(incremental == clean, "{step}");
}

#[test]
fn incremental_rebuilds_match_clean_builds_byte_for_byte() {
    let site = fixture();
    let root = site.path();
    for i in 0..20 {
        write(
            root,
            &format!("content/posts/2026-02-{:02}-note-{i}.md", i + 1),
            format!(
                "---\ntitle: Note {i}\ntags: [t{}]\n---\n\nNote {i}.\n",
                i % 3
            )
            .as_bytes(),
        );
    }
    let mut rebuilder = Rebuilder::new(root, Overrides::default());
    assert_same_as_clean_build(&mut rebuilder, root, "first", &[]);
    assert_eq!(rebuilder.cache().parsed_last, 22);

    write(
        root,
        "content/posts/2026-01-01-hello.md",
        b"---\ntitle: Hello again\ntags: [t1, new]\n---\n\nEdited.\n",
    );
    assert_same_as_clean_build(
        &mut rebuilder,
        root,
        "edit",
        &["content/posts/2026-01-01-hello.md"],
    );
    assert_eq!(
        rebuilder.cache().parsed_last,
        1,
        "only the edited file is parsed"
    );

    write(
        root,
        "content/docs/guide/intro.md",
        b"# Intro\n\nSee [about](../../about.md).\n",
    );
    assert_same_as_clean_build(&mut rebuilder, root, "create", &["content/docs"]);

    std::fs::remove_file(root.join("content/posts/2026-02-03-note-2.md")).unwrap();
    assert_same_as_clean_build(
        &mut rebuilder,
        root,
        "delete",
        &["content/posts/2026-02-03-note-2.md"],
    );

    std::fs::rename(
        root.join("content/posts/2026-02-04-note-3.md"),
        root.join("content/posts/2026-03-04-renamed.md"),
    )
    .unwrap();
    assert_same_as_clean_build(
        &mut rebuilder,
        root,
        "rename file",
        &[
            "content/posts/2026-02-04-note-3.md",
            "content/posts/2026-03-04-renamed.md",
        ],
    );

    std::fs::rename(root.join("content/docs"), root.join("content/handbook")).unwrap();
    assert_same_as_clean_build(
        &mut rebuilder,
        root,
        "rename folder",
        &["content/docs", "content/handbook"],
    );

    write(
        root,
        "templates/404.html",
        b"<html><body>Custom missing page</body></html>\n",
    );
    write(root, "static/site.css", b"body{color:blue}\n");
    assert_same_as_clean_build(
        &mut rebuilder,
        root,
        "theme and static",
        &["templates/404.html", "static/site.css"],
    );
    assert_eq!(rebuilder.cache().parsed_last, 0);
    let missing = clean_build(root)
        .read("404.html")
        .unwrap()
        .unwrap()
        .into_owned();
    assert!(
        String::from_utf8(missing)
            .unwrap()
            .contains("Custom missing page"),
        "the template took effect"
    );

    write(root, "lore.yaml", b"title: Renamed fixture\n");
    let after_config = rebuilder
        .rebuild(&changes_of(root, &["lore.yaml"]))
        .unwrap()
        .output;
    assert!(after_config == clean_build(root), "config change");
    assert!(
        rebuilder.cache().parsed_last > 20,
        "a config change starts from scratch"
    );
}

#[tokio::test]
async fn failing_rebuild_keeps_the_old_site_and_fixing_clears_the_error() {
    let site = fixture();
    let root = site.path();
    let mut rebuilder = Rebuilder::new(root, Overrides::default());
    let built = rebuilder.rebuild(&ChangeSet::everything()).unwrap();
    let state = Arc::new(ServeState::new(built.output, "/", None));
    let mut events = state.subscribe();
    let cwd = std::env::current_dir().unwrap();
    let changes = changes_of(root, &["content/posts/2026-01-01-hello.md"]);

    let good = state.snapshot();
    write(
        root,
        "content/posts/2026-01-01-hello.md",
        b"---\ntitle: [Broken <b>\n---\n\nBroken body.\n",
    );
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    let broken = state.snapshot();
    let error = broken.error.clone().expect("the error is kept");
    assert!(error.contains("2026-01-01-hello.md:3:1: error:"), "{error}");
    assert!(error.contains("help:"), "{error}");
    assert!(
        Arc::ptr_eq(&good.output, &broken.output),
        "the last good site stays"
    );
    assert_eq!(
        events.try_recv().unwrap().kind,
        lore::serve::ReloadKind::Reload
    );

    let page = get(&state, "/posts/hello/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Hello body text."),
        "old page still served"
    );
    assert!(page.body.contains(r#"id="__lore-error""#));
    assert!(page.body.contains("the last good version of the page"));
    assert!(page.body.contains("Broken &lt;b&gt;") || !page.body.contains("Broken <b>"));
    assert!(!page.body.contains("[Broken <b>"), "overlay is escaped");
    let missing = get(&state, "/nope/").await;
    assert!(
        missing.body.contains(r#"id="__lore-error""#),
        "404 pages show it too"
    );

    write(
        root,
        "content/posts/2026-01-01-hello.md",
        b"---\ntitle: Fixed\n---\n\nFixed body.\n",
    );
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    assert!(state.snapshot().error.is_none());
    assert_eq!(
        events.try_recv().unwrap().kind,
        lore::serve::ReloadKind::Reload
    );
    let page = get(&state, "/posts/hello/").await;
    assert!(page.body.contains("Fixed body."));
    assert!(!page.body.contains("__lore-error"));
}

/// When the first build fails there is no good site under the overlay, and it says so.
#[tokio::test]
async fn a_first_build_that_fails_says_nothing_has_built_yet() {
    let state = Arc::new(ServeState::new(
        OutputSet::default(),
        "/",
        Some("content/x.md:1:1: error: broken".into()),
    ));
    let page = get(&state, "/").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains(r#"id="__lore-error""#), "{}", page.body);
    assert!(
        page.body.contains("No build has succeeded yet"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("last good"), "{}", page.body);
}

/// A template that fails while rendering (Tera 2: a field the page does not have) is shown at
/// its line and column in the overlay, over the last good site.
#[tokio::test]
async fn a_failing_template_is_located_in_the_overlay() {
    let site = fixture();
    let root = site.path();
    let mut rebuilder = Rebuilder::new(root, Overrides::default());
    let built = rebuilder.rebuild(&ChangeSet::everything()).unwrap();
    let state = Arc::new(ServeState::new(built.output, "/", None));
    let cwd = std::env::current_dir().unwrap();
    let good = state.snapshot();

    write(
        root,
        "templates/page.html",
        b"{% extends \"lore/page.html\" %}\n{% block page_content %}\n  {{ page.no_such_field }}\n{% endblock page_content %}\n",
    );
    let changes = changes_of(root, &["templates/page.html"]);
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    let broken = state.snapshot();
    let error = broken.error.clone().expect("the error is kept");
    assert!(
        error.contains("templates/page.html:3:11: error:"),
        "{error}"
    );
    assert!(error.contains("no_such_field"), "{error}");
    assert!(
        Arc::ptr_eq(&good.output, &broken.output),
        "the last good site stays"
    );
    let page = get(&state, "/posts/hello/").await;
    assert!(
        page.body.contains("Hello body text."),
        "old page still served"
    );
    assert!(page.body.contains(r#"id="__lore-error""#));
    assert!(page.body.contains("templates/page.html:3:11"));
}

#[test]
fn rebuild_overtaken_by_newer_changes_is_never_published() {
    let site = fixture();
    let root = site.path();
    let newer_changes = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (rebuilder, state) = serving(root);
    let mut rebuilder = rebuilder.cancelled_by(newer_changes.clone());
    let mut events = state.subscribe();
    let cwd = std::env::current_dir().unwrap();
    let shown = state.snapshot();

    let new_post = "content/posts/2026-02-02-overtaken.md";
    write(
        root,
        new_post,
        b"---\ntitle: Overtaken\n---\n\nOvertaken body.\n",
    );
    let changes = changes_of(root, &[new_post]);
    // The watcher saw another change while this rebuild was due: it must give way.
    newer_changes.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        !rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd),
        "the rebuild is given up"
    );
    let after = state.snapshot();
    assert!(
        Arc::ptr_eq(&shown.output, &after.output),
        "the site on show stays"
    );
    assert!(after.error.is_none(), "giving way is not an error");
    assert!(events.try_recv().is_err(), "open pages are not told");

    // The rebuild that follows is owed the changes and publishes them.
    newer_changes.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(rebuild_and_publish(
        &mut rebuilder,
        &state,
        &changes,
        QUIET_UI,
        &cwd
    ));
    let published = state.snapshot();
    let page = published.output.read("posts/overtaken/index.html");
    let page = page.expect("the new post is served").unwrap();
    assert!(String::from_utf8_lossy(&page).contains("Overtaken body."));
    assert_eq!(
        events.try_recv().unwrap().kind,
        lore::serve::ReloadKind::Reload
    );
}

#[test]
fn broken_config_is_reported_and_fixing_it_recovers() {
    let site = fixture();
    let root = site.path();
    let mut rebuilder = Rebuilder::new(root, Overrides::default());
    let state = ServeState::new(
        rebuilder.rebuild(&ChangeSet::everything()).unwrap().output,
        "/",
        None,
    );
    let cwd = std::env::current_dir().unwrap();
    let changes = changes_of(root, &["lore.yaml"]);
    write(root, "lore.yaml", b"title: Fixture\ntitel: typo\n");
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    let error = state.snapshot().error.clone().unwrap();
    assert!(
        error.contains("lore.yaml:2:") && error.contains("titel"),
        "{error}"
    );
    write(root, "lore.yaml", b"title: Fixture\n");
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    assert!(state.snapshot().error.is_none());
}

fn changes_of(root: &Path, changed: &[&str]) -> ChangeSet {
    let filter = lore::serve::watch::Filter::new(root, None);
    let mut changes = ChangeSet::default();
    for rel in changed {
        let path = lore::config::absolute(&root.join(rel));
        let kind = filter.classify(&path).unwrap();
        changes.paths.insert(path, kind);
    }
    changes
}

// ---- The watcher ----

fn watcher_for(root: &Path) -> Watcher {
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    Watcher::new(root, Some(&config)).unwrap()
}

/// The next change set, which must come within a few seconds.
fn next(watcher: &Watcher) -> ChangeSet {
    watcher
        .next_change(Duration::from_secs(5))
        .expect("a change within 5 s")
}

fn abs(root: &Path, rel: &str) -> PathBuf {
    lore::config::absolute(&root.join(rel))
}

#[test]
fn watcher_sees_edit_create_delete_and_rename() {
    let site = fixture();
    let root = site.path();
    let watcher = watcher_for(root);

    write(root, "content/about.md", b"# About\n\nEdited.\n");
    let edit = next(&watcher);
    assert_eq!(
        edit.paths.get(&abs(root, "content/about.md")),
        Some(&ChangeKind::Content)
    );

    write(root, "content/new/deep/page.md", b"new\n");
    let create = next(&watcher);
    assert!(
        create.paths.contains_key(&abs(root, "content/new")),
        "{create:?}"
    );

    std::fs::remove_file(root.join("content/about.md")).unwrap();
    let delete = next(&watcher);
    assert!(
        delete.paths.contains_key(&abs(root, "content/about.md")),
        "{delete:?}"
    );

    std::fs::rename(root.join("content/new"), root.join("content/old")).unwrap();
    let rename = next(&watcher);
    assert!(
        rename.paths.contains_key(&abs(root, "content/old")),
        "{rename:?}"
    );

    write(root, "static/site.css", b"body{}\n");
    let css = next(&watcher);
    assert!(css.css_only(), "{css:?}");

    write(root, "templates/page.html", b"x\n");
    assert!(
        next(&watcher)
            .paths
            .values()
            .all(|k| *k == ChangeKind::Theme)
    );

    write(root, "lore.yaml", b"title: Changed\n");
    assert!(next(&watcher).config_changed());
}

#[test]
fn watcher_ignores_temp_hidden_and_output_files() {
    let site = fixture();
    let root = site.path();
    std::fs::create_dir_all(root.join("public")).unwrap();
    let watcher = watcher_for(root);
    write(root, "content/.about.md.swp", b"x");
    write(root, "content/about.md~", b"x");
    write(root, "content/#about.md#", b"x");
    write(root, "content/about.md___jb_tmp___", b"x");
    write(root, "content/about.md___jb_old___", b"x");
    write(root, "content/.hidden/x.md", b"x");
    write(root, "public/index.html", b"x");
    write(root, "Cargo.toml", b"x");
    let got = watcher.next_change(Duration::from_millis(800));
    assert_eq!(got, None);
}

#[test]
fn a_burst_of_200_files_is_one_change_set() {
    let site = fixture();
    let root = site.path();
    let watcher = watcher_for(root);
    for i in 0..200 {
        write(
            root,
            &format!("content/burst/page-{i:03}.md"),
            format!("# Page {i}\n").as_bytes(),
        );
    }
    let burst = next(&watcher);
    assert!(
        burst
            .paths
            .keys()
            .any(|p| p.starts_with(abs(root, "content/burst")))
    );
    // Nothing left over for a second rebuild.
    assert_eq!(watcher.next_change(Duration::from_millis(800)), None);
    // And the rebuild after it sees all 200 pages.
    let built = Rebuilder::new(root, Overrides::default())
        .rebuild(&ChangeSet::everything())
        .unwrap();
    assert_eq!(
        built
            .output
            .paths()
            .filter(|p| p.starts_with("burst/page-"))
            .count(),
        200
    );
}

#[test]
fn watcher_follows_folders_created_later() {
    let site = fixture();
    let root = site.path();
    std::fs::remove_dir_all(root.join("static")).unwrap();
    let mut watcher = watcher_for(root);
    write(root, "static/late.css", b"x");
    let created = next(&watcher);
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    watcher.sync(Some(&config), &created);
    assert!(watcher.watched().contains_key(&abs(root, "static")));
    write(root, "static/later.css", b"y");
    let later = next(&watcher);
    assert!(
        later.paths.contains_key(&abs(root, "static/later.css")),
        "{later:?}"
    );
}

#[cfg(unix)]
#[test]
fn watcher_follows_a_link_to_a_folder_made_later() {
    let site = fixture();
    let root = site.path();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "two.md", b"---\ntitle: Two\n---\nV1\n");
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    let mut watcher = watcher_for(root);
    std::os::unix::fs::symlink(outside.path(), root.join("content/linked")).unwrap();
    let linked = next(&watcher);
    watcher.sync(Some(&config), &linked);
    write(outside.path(), "two.md", b"---\ntitle: Two\n---\nV2\n");
    let edited = next(&watcher);
    assert!(
        edited
            .paths
            .contains_key(&abs(root, "content/linked/two.md")),
        "an edit through the link's target is seen: {edited:?}"
    );
    // Later syncs keep the link watched.
    watcher.sync(Some(&config), &ChangeSet::default());
    write(outside.path(), "two.md", b"---\ntitle: Two\n---\nV3\n");
    assert!(
        next(&watcher)
            .paths
            .contains_key(&abs(root, "content/linked/two.md"))
    );
}

#[test]
fn watcher_sees_a_configured_folder_made_in_two_steps() {
    let site = fixture();
    let root = site.path();
    write(root, "lore.yaml", b"title: Fixture\nadr_dirs: [docs/adr]\n");
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    let mut watcher = watcher_for(root);
    std::fs::create_dir(root.join("docs")).unwrap();
    let made = next(&watcher);
    watcher.sync(Some(&config), &made);
    std::fs::create_dir(root.join("docs/adr")).unwrap();
    let made = next(&watcher);
    watcher.sync(Some(&config), &made);
    assert!(watcher.watched().contains_key(&abs(root, "docs/adr")));
    write(root, "docs/adr/0001-first.md", b"# 1. First\n");
    assert!(
        next(&watcher)
            .paths
            .contains_key(&abs(root, "docs/adr/0001-first.md"))
    );
}

// ---- The binary ----

#[test]
fn serving_a_folder_that_is_not_there_fails_at_once() {
    let site = fixture();
    for missing in [site.path().join("nowhere"), site.path().join("lore.yaml")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lore"))
            .arg("serve")
            .arg(&missing)
            .args(["-p", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("error: this") && said.contains("help: pass the folder"),
            "{said}"
        );
    }
}

#[test]
fn a_taken_port_is_reported_and_the_next_free_one_used() {
    use std::io::{BufRead, BufReader};
    let site = fixture();
    // Hold a port, so `lore serve` must move on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lore"))
        .arg("serve")
        .arg(site.path())
        .args(["-p", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let tx_err = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx_err.send(line);
        }
    });
    let mut lines = Vec::new();
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no URL in time; got {lines:?}"));
        if line.starts_with("http://") {
            break line;
        }
        lines.push(line);
    };
    // stderr and stdout are read by two threads: the notice may arrive after the URL.
    let taken = format!("Port {port} is taken");
    while !lines.iter().any(|l| l.contains(&taken)) {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(lines.iter().any(|l| l.contains(&taken)), "{lines:?}");
    let used: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    assert!(used > port, "{url}");
    drop(taken);
}

// ---- The edited page first, then the rest ----

/// A rebuilder and the state it published the site at `root` into, as `lore serve` starts.
fn serving(root: &Path) -> (Rebuilder, ServeState) {
    let mut rebuilder = Rebuilder::new(root, Overrides::default());
    let state = ServeState::new(OutputSet::default(), "/", None);
    assert!(rebuild_everything(&mut rebuilder, &state));
    (rebuilder, state)
}

/// A rebuild from scratch, published.
fn rebuild_everything(rebuilder: &mut Rebuilder, state: &ServeState) -> bool {
    let cwd = std::env::current_dir().unwrap();
    rebuild_and_publish(rebuilder, state, &ChangeSet::everything(), QUIET_UI, &cwd)
}

#[test]
fn a_body_edit_is_published_first_then_the_full_rebuild_catches_up() {
    let site = fixture();
    let root = site.path();
    let cwd = std::env::current_dir().unwrap();
    let (mut rebuilder, state) = serving(root);
    let mut events = state.subscribe();
    let hello = "content/posts/2026-01-01-hello.md";

    // Same front matter, new body with a link: the page alone first, backlinks after.
    write(
        root,
        hello,
        b"---\ntitle: Hello\n---\n\nFresh words, see [about](../about.md).\n",
    );
    let changes = changes_of(root, &[hello]);
    let pages = rebuilder
        .edited_pages(&changes)
        .expect("a body edit is rendered alone");
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].0, "posts/hello/index.html");
    assert!(String::from_utf8_lossy(&pages[0].1).contains("Fresh words"));

    write(
        root,
        hello,
        b"---\ntitle: Hello\n---\n\nNewer words, see [about](../about.md).\n",
    );
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    let first = events.try_recv().expect("the edited page is announced");
    assert_eq!(first.kind, lore::serve::ReloadKind::Reload);
    let second = events
        .try_recv()
        .expect("the about page gained a backlink: pages reload again");
    assert_ne!(first.version, second.version);
    let served = state.snapshot().output.clone();
    assert!(*served == clean_build(root), "served == clean build");

    // A front-matter edit changes other pages' lists: no shortcut.
    write(root, hello, b"---\ntitle: Renamed\n---\n\nNewer words.\n");
    assert!(
        rebuilder
            .edited_pages(&changes_of(root, &[hello]))
            .is_none()
    );
}

/// The reload events `events` holds now: each one's pages (`None`: every page).
fn reload_targets(
    events: &mut tokio::sync::broadcast::Receiver<lore::serve::ReloadEvent>,
) -> Vec<Option<Vec<String>>> {
    std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.kind == lore::serve::ReloadKind::Reload)
        .map(|e| e.pages.map(|p| p.to_vec()))
        .collect()
}

/// A save reloads the tab showing its page once, and other tabs only when their page changed
/// with it; a page that appears reloads tabs at missing URLs; a stylesheet reloads every tab.
#[test]
fn a_markdown_edit_reloads_only_the_pages_it_changed() {
    let site = fixture();
    let root = site.path();
    let cwd = std::env::current_dir().unwrap();
    let (mut rebuilder, state) = serving(root);
    let mut events = state.subscribe();
    let hello = "content/posts/2026-01-01-hello.md";
    edit_body(root, hello, "Plain new words.");
    rebuild_and_publish(
        &mut rebuilder,
        &state,
        &changes_of(root, &[hello]),
        QUIET_UI,
        &cwd,
    );
    let targets = reload_targets(&mut events);
    assert_eq!(
        targets[0],
        Some(vec!["posts/hello/index.html".to_string()]),
        "{targets:?}"
    );
    // Then the lists showing its excerpt, not the edited page a second time, nor the about page.
    let rest = targets[1].clone().expect("named pages");
    assert!(rest.contains(&"index.html".to_string()), "{rest:?}");
    assert!(
        !rest.contains(&"posts/hello/index.html".to_string()),
        "{rest:?}"
    );
    assert!(!rest.contains(&"about/index.html".to_string()), "{rest:?}");
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(state.snapshot().output == clean_build(root).into());

    let new = "content/posts/2026-02-01-new.md";
    write(root, new, b"---\ntitle: New\n---\n\nNew text.\n");
    rebuild_and_publish(
        &mut rebuilder,
        &state,
        &changes_of(root, &[new]),
        QUIET_UI,
        &cwd,
    );
    let targets = reload_targets(&mut events);
    let named = targets.last().cloned().flatten().expect("named pages");
    assert!(
        named.contains(&"posts/new/index.html".to_string()),
        "{named:?}"
    );
    assert!(named.contains(&"404.html".to_string()), "{named:?}");

    write(root, "static/site.css", b"body{color:blue}\n");
    let changes = changes_of(root, &["static/site.css"]);
    rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd);
    let kinds: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).collect();
    assert!(kinds.iter().all(|e| e.pages.is_none()), "{kinds:?}");
}

/// Gives the fixture's hello post a new body, its front matter as it was.
fn edit_body(root: &Path, hello: &str, body: &str) {
    write(
        root,
        hello,
        format!("---\ntitle: Hello\n---\n\n{body}\n").as_bytes(),
    );
}

/// The files of the search index in `output` (not the search page).
fn search_files(output: &OutputSet) -> Vec<(String, Vec<u8>)> {
    output
        .iter()
        .filter(|(path, _)| path.starts_with("search/") && *path != "search/index.html")
        .map(|(path, _)| {
            (
                path.clone(),
                output.read(path).unwrap().unwrap().into_owned(),
            )
        })
        .collect()
}

#[test]
fn an_edit_re_indexes_its_page_alone_and_serves_the_index_a_clean_build_writes() {
    let site = fixture();
    let root = site.path();
    let (mut rebuilder, state) = serving(root);
    let preview = rebuilder.preview();
    let hello = "content/posts/2026-01-01-hello.md";
    let before = search_files(&state.snapshot().output);
    assert!(!before.is_empty());
    // Nothing edited: nothing to write.
    assert!(!refresh_search(&preview, &state));

    edit_body(root, hello, "Hello body text about quokkaflux.");
    assert!(publish_edited(
        &preview,
        &state,
        &changes_of(root, &[hello]),
        QUIET_UI
    ));
    assert_eq!(
        search_files(&state.snapshot().output),
        before,
        "the page goes first; the index follows"
    );
    let mut events = state.subscribe();
    assert!(
        refresh_search(&preview, &state),
        "an edit's index is served"
    );
    assert_eq!(
        events.try_recv().unwrap().kind,
        lore::serve::ReloadKind::Search,
        "open pages are told to load the index afresh"
    );
    let served = search_files(&state.snapshot().output);
    assert_ne!(served, before);
    assert_eq!(
        served,
        search_files(&clean_build(root)),
        "one page re-indexed gives the index of a clean build, byte for byte"
    );
    let index: std::collections::BTreeMap<String, Vec<u8>> = served
        .into_iter()
        .map(|(p, b)| (p.trim_start_matches("search/").to_string(), b))
        .collect();
    let found = lore::search::query::search(&index, "quokkaflux", false, &Default::default(), 5);
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].url, "/posts/hello/");
    assert!(!refresh_search(&preview, &state), "written once per edit");

    // A new site published before the index of an edit is written: that index is never served
    // over the new site's.
    edit_body(root, hello, "Hello body text, edited again.");
    assert!(publish_edited(
        &preview,
        &state,
        &changes_of(root, &[hello]),
        QUIET_UI
    ));
    write(
        root,
        "content/posts/2026-01-03-new.md",
        b"# New\n\nA new page.\n",
    );
    assert!(rebuild_everything(&mut rebuilder, &state));
    assert!(!refresh_search(&preview, &state));
    assert!(*state.snapshot().output == clean_build(root));
}

#[test]
fn a_rebuild_gives_way_to_newer_changes_and_is_owed() {
    let site = fixture();
    let root = site.path();
    let cwd = std::env::current_dir().unwrap();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut rebuilder = Rebuilder::new(root, Overrides::default()).cancelled_by(flag.clone());
    let state = ServeState::new(OutputSet::default(), "/", None);
    assert!(rebuild_and_publish(
        &mut rebuilder,
        &state,
        &ChangeSet::everything(),
        QUIET_UI,
        &cwd
    ));
    let before = state.snapshot();
    write(root, "content/about.md", b"# About\n\nChanged.\n");
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    let changes = changes_of(root, &["content/about.md"]);
    assert!(
        !rebuild_and_publish(&mut rebuilder, &state, &changes, QUIET_UI, &cwd),
        "a cancelled rebuild says so"
    );
    let after = state.snapshot();
    assert!(after.error.is_none(), "cancelling is not an error");
    let about = |o: &OutputSet| {
        String::from_utf8_lossy(&o.read("about/index.html").unwrap().unwrap()).into_owned()
    };
    assert_eq!(
        about(&after.output).contains("Changed."),
        !Arc::ptr_eq(&before.output, &after.output),
        "only the edited page may have been published early"
    );
    flag.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(rebuild_and_publish(
        &mut rebuilder,
        &state,
        &changes,
        QUIET_UI,
        &cwd
    ));
    assert!(*state.snapshot().output == clean_build(root));
}

/// Before the first build has rendered the whole site, `lore serve` renders what is asked for:
/// byte for byte what the whole build gives. Files made from the whole site (feeds) wait for it.
#[tokio::test(flavor = "multi_thread")]
async fn first_pages_are_rendered_on_demand_and_the_rest_waits_for_the_whole_site() {
    let dir = fixture();
    let root = dir.path();
    let whole = clean_build(root);
    let site = Rebuilder::new(root, Overrides::default())
        .load(&ChangeSet::everything())
        .unwrap();
    let (sender, requests) = std::sync::mpsc::channel::<lore::serve::state::OnDemandRequest>();
    let state = Arc::new(ServeState::on_demand("/", sender).without_live_reload());
    // Answers as `lore serve` does, noting what was asked, until the channel closes.
    let answerer = std::thread::spawn(move || {
        let theme = lore::theme::Theme::load(&site.config).unwrap();
        let renderer = lore::render::OnDemand::new(&site, &theme);
        let mut asked = Vec::new();
        while let Ok((path, reply)) = requests.recv() {
            let _ = reply.send(renderer.render(&path).and_then(Result::ok));
            asked.push(path);
        }
        asked
    });
    let whole_text = |key: &str| String::from_utf8(whole.read(key).unwrap().unwrap().into_owned());
    for (uri, key) in [
        ("/posts/hello/", "posts/hello/index.html"),
        ("/", "index.html"),
        ("/posts/", "posts/index.html"),
        ("/about/", "about/index.html"),
        ("/assets/lore.css", "assets/lore.css"),
        ("/site.css", "site.css"),
    ] {
        let reply = get(&state, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(
            Ok(reply.body),
            whole_text(key),
            "{uri} as the whole build has it"
        );
    }
    assert_eq!(
        get(&state, "/posts/hello").await.status,
        StatusCode::MOVED_PERMANENTLY
    );

    // An edit while the first site renders: its page is served as published, with a reload;
    // everything else is still rendered on demand.
    let mut events = state.subscribe();
    state.publish_pages(vec![(
        "posts/hello/index.html".into(),
        b"edited early".to_vec(),
    )]);
    assert_eq!(
        events.try_recv().unwrap().kind,
        lore::serve::ReloadKind::Reload
    );
    assert_eq!(get(&state, "/posts/hello/").await.body, "edited early");
    assert_eq!(Ok(get(&state, "/").await.body), whole_text("index.html"));

    let feed = tokio::spawn({
        let state = state.clone();
        async move { get(&state, "/atom.xml").await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!feed.is_finished(), "the feed waits for the whole site");
    let version = state.snapshot().version.clone();
    state.replace_site_quietly(whole.clone(), "/");
    // Nothing a page shows changed: a page reconnecting later has no reason to reload.
    assert_eq!(state.snapshot().version, version);
    let feed = tokio::time::timeout(Duration::from_secs(5), feed)
        .await
        .expect("answered once the whole site is in")
        .unwrap();
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(Ok(feed.body), whole_text("atom.xml"));

    let asked = answerer.join().unwrap();
    assert!(asked.contains(&"posts/hello/index.html".to_string()));
    assert!(asked.contains(&"atom.xml".to_string()), "{asked:?}");
}

/// Every file `OnDemand` offers on the bundled example site is what the whole build writes,
/// and it offers every HTML page.
#[test]
fn on_demand_rendering_matches_the_whole_build() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = SiteConfig::load(root, &Overrides::default()).unwrap();
    let built = lore::build_site(config).unwrap();
    let theme = lore::theme::Theme::load(&built.site.config).unwrap();
    let renderer = lore::render::OnDemand::new(&built.site, &theme);
    let mut offered = 0;
    for (path, _) in built.output.iter() {
        let Some(rendered) = renderer.render(path) else {
            assert!(!path.ends_with(".html"), "{path} is not offered");
            continue;
        };
        let whole = built.output.read(path).unwrap().unwrap();
        assert!(rendered.unwrap() == *whole, "{path} differs");
        offered += 1;
    }
    assert!(offered > 20, "only {offered} files offered");
}
