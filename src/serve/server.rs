//! The HTTP side: an axum `Router` that serves only what is in the in-memory `OutputSet`.
//! Request paths are checked before anything else (no `..`, encoded slashes, backslashes, NUL),
//! then looked up as keys of the output set, so no request can name a file the build did not make.

use super::reload;
use super::state::{ServeState, Snapshot};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The whole server; testable without a port with `tower::ServiceExt::oneshot`.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(
    State(state): State<Arc<ServeState>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let path = match clean_path(uri.path()) {
        Ok(path) => path,
        Err(status) => return (status, "bad request path\n").into_response(),
    };
    let snapshot = state.snapshot();
    let request = Request {
        state: &state,
        snapshot: &snapshot,
        headers: &headers,
        head: method == Method::HEAD,
    };
    let Some(rest) = path.strip_prefix(snapshot.base_path.as_str()) else {
        return outside_base(&request, &path, uri.query());
    };
    match rest.strip_prefix("__lore/") {
        Some("events") => reload::events(state.clone()).await.into_response(),
        Some("live.js") => request.respond(
            StatusCode::OK,
            "__lore/live.js",
            reload::LIVE_JS.as_bytes().to_vec(),
        ),
        Some("live-worker.js") => request.respond(
            StatusCode::OK,
            "__lore/live-worker.js",
            reload::LIVE_WORKER_JS.as_bytes().to_vec(),
        ),
        Some(_) => request.not_found(),
        None if snapshot.on_demand.is_some()
            && matches!(resolve(&snapshot, rest), Lookup::Missing) =>
        {
            answer_early(&request, rest, &path, uri.query()).await
        }
        None => request.lookup(rest, &path, uri.query()),
    }
}

/// While the first build renders: the file rendered now, or, for one that is made from the
/// whole site (search index, feeds), the file once the whole site is there.
async fn answer_early(
    request: &Request<'_>,
    rest: &str,
    path: &str,
    query: Option<&str>,
) -> Response {
    let folder = rest.is_empty() || rest.ends_with('/');
    let key = if folder {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    if let Some(bytes) = ask(request.snapshot, key.clone()).await {
        return request.respond(StatusCode::OK, &key, bytes);
    }
    if !folder
        && ask(request.snapshot, format!("{rest}/index.html"))
            .await
            .is_some()
    {
        return redirect(&format!("{path}/"), query);
    }
    request.state.whole_site().await;
    let snapshot = request.state.snapshot();
    Request {
        snapshot: &snapshot,
        ..*request
    }
    .lookup(rest, path, query)
}

/// Asks the first build's renderer for one file.
async fn ask(snapshot: &Snapshot, key: String) -> Option<Vec<u8>> {
    let sender = snapshot.on_demand.as_ref()?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    sender.send((key, reply)).ok()?;
    answer.await.ok().flatten()
}

/// `/kb` and `/` lead to the site at `/kb/`; anything else outside the base path does not exist.
fn outside_base(request: &Request, path: &str, query: Option<&str>) -> Response {
    let base = request.snapshot.base_path.as_str();
    if path == "/" || base.strip_suffix('/') == Some(path) {
        return redirect(base, query);
    }
    request.not_found()
}

/// Checks the raw (still percent-encoded) path and decodes it. Anything that could step out of
/// the site or mean a different path to another layer is refused outright, before any lookup.
pub fn clean_path(raw: &str) -> Result<String, StatusCode> {
    let lower = raw.to_ascii_lowercase();
    let encoded_separator = ["%2f", "%5c", "%00"].iter().any(|e| lower.contains(e));
    if encoded_separator || raw.contains('\\') {
        return Err(StatusCode::BAD_REQUEST);
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    let absolute_elsewhere = !decoded.starts_with('/') || decoded.starts_with("//");
    if absolute_elsewhere || decoded.contains(['\0', '\\']) {
        return Err(StatusCode::BAD_REQUEST);
    }
    if decoded
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(decoded.into_owned())
}

enum Lookup {
    File(String),
    /// A folder asked for without its trailing slash.
    Redirect,
    Missing,
}

/// Maps a path under the base path to a key of the output set.
fn resolve(snapshot: &Snapshot, rest: &str) -> Lookup {
    let output = &snapshot.output;
    if rest.is_empty() || rest.ends_with('/') {
        let key = format!("{rest}index.html");
        return match output.get(&key) {
            Some(_) => Lookup::File(key),
            None => Lookup::Missing,
        };
    }
    if output.get(rest).is_some() {
        Lookup::File(rest.to_string())
    } else if output.get(&format!("{rest}/index.html")).is_some() {
        Lookup::Redirect
    } else {
        Lookup::Missing
    }
}

/// What a decoded path encodes again to be a URL's path: controls, space, non-ASCII (always,
/// by `utf8_percent_encode`) and what would end or garble a path (`?`, `#`, `%`, quotes…).
const PATH_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A redirect to `location`, a decoded path, encoded again (`/über/` is `/%C3%BCber/`), with the
/// request's query as it came.
fn redirect(location: &str, query: Option<&str>) -> Response {
    let location = percent_encoding::utf8_percent_encode(location, PATH_ESCAPES).to_string();
    let target = match query {
        Some(q) => format!("{location}?{q}"),
        None => location,
    };
    match HeaderValue::from_str(&target) {
        Ok(value) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// One request's view: the snapshot it was answered from, its headers, and whether it is `HEAD`.
#[derive(Clone, Copy)]
struct Request<'a> {
    state: &'a ServeState,
    snapshot: &'a Snapshot,
    headers: &'a HeaderMap,
    head: bool,
}

impl Request<'_> {
    /// The file at `rest` (below the base path) of the served site, or a redirect to its folder.
    fn lookup(&self, rest: &str, path: &str, query: Option<&str>) -> Response {
        match resolve(self.snapshot, rest) {
            Lookup::File(key) => self.file(StatusCode::OK, &key),
            Lookup::Redirect => redirect(&format!("{path}/"), query),
            Lookup::Missing => self.not_found(),
        }
    }

    /// A file of the output set; `Content::File` entries are read from where the build found them.
    fn file(&self, status: StatusCode, key: &str) -> Response {
        match self.snapshot.output.read(key) {
            Some(Ok(bytes)) => self.respond(status, key, bytes.into_owned()),
            Some(Err(err)) => {
                log::warn!("cannot read {key}: {err}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read {key}: {err}\n"),
                )
                    .into_response()
            }
            None => self.not_found(),
        }
    }

    /// The site's own `404.html` with status 404, or a plain one if the site has none.
    fn not_found(&self) -> Response {
        if self.snapshot.output.get("404.html").is_some() {
            return self.file(StatusCode::NOT_FOUND, "404.html");
        }
        let page = "<!doctype html><title>Not found</title><body><h1>404 Not Found</h1></body>";
        self.respond(StatusCode::NOT_FOUND, "404.html", page.as_bytes().to_vec())
    }

    /// Injects live reload into HTML, then adds the type, ETag and length, and answers
    /// `If-None-Match` with 304.
    fn respond(&self, status: StatusCode, key: &str, bytes: Vec<u8>) -> Response {
        let content_type = content_type(key);
        let mut shown = None;
        let bytes = if self.state.live_reload && content_type.starts_with("text/html") {
            let snap = self.snapshot;
            let served = if snap.output.is_empty() {
                reload::Served::NothingYet
            } else {
                reload::Served::LastGood
            };
            let error = snap.error.as_deref().map(|e| (e, served));
            let mut hash = blake3::Hasher::new();
            hash.update(&bytes);
            hash.update(snap.error.as_deref().unwrap_or_default().as_bytes());
            let hash = hash.finalize().to_hex()[..16].to_string();
            let live = reload::LivePage {
                base_path: &snap.base_path,
                version: &snap.version,
                page: key,
                shown: &hash,
            };
            let html = reload::inject(&String::from_utf8_lossy(&bytes), &live, error);
            shown = Some(hash);
            html.into_bytes()
        } else {
            bytes
        };
        let etag = format!("\"{}\"", &blake3::hash(&bytes).to_hex()[..32]);
        let mut response = if status == StatusCode::OK && etag_matches(self.headers, &etag) {
            // The length a 200 would have (RFC 9110 §8.6): left unset, a HEAD's 304 went out
            // with `content-length: 0`, which says the page is empty.
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            (response.headers_mut()).insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            response
        } else {
            let whole = bytes.len();
            let range = (status == StatusCode::OK)
                .then(|| self.byte_range(&etag, whole))
                .flatten();
            let (status, bytes, content_range) = match range {
                Some(Ok(range)) => {
                    let (start, end) = (*range.start() as usize, *range.end() as usize);
                    let part = bytes[start..=end].to_vec();
                    let content_range = format!("bytes {start}-{end}/{whole}");
                    (StatusCode::PARTIAL_CONTENT, part, Some(content_range))
                }
                Some(Err(Unsatisfiable)) => (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    Vec::new(),
                    Some(format!("bytes */{whole}")),
                ),
                None => (status, bytes, None),
            };
            let length = bytes.len();
            let body = if self.head {
                Body::empty()
            } else {
                Body::from(bytes)
            };
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            if let Some(value) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            response
        };
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        if let Some(value) = shown.and_then(|h| HeaderValue::from_str(&h).ok()) {
            headers.insert("x-lore-page", value);
        }
        // Revalidate every time: the site changes under the browser while it is open.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// A `Range` that cannot be met (it starts past the end).
struct Unsatisfiable;

impl Request<'_> {
    /// The one byte range a `Range` header asks of `len` bytes (RFC 9110 §14): none when there
    /// is no header, when `If-Range` names another version, or when it asks for several ranges
    /// or is malformed (a server may then send the whole, as browsers expect).
    fn byte_range(
        &self,
        etag: &str,
        len: usize,
    ) -> Option<Result<std::ops::RangeInclusive<u64>, Unsatisfiable>> {
        let asked = self.headers.get(header::RANGE)?.to_str().ok()?;
        if let Some(if_range) = self.headers.get(header::IF_RANGE)
            && if_range.to_str().ok()? != etag
        {
            return None;
        }
        let unsatisfiable =
            |e| matches!(e, http_range_header::RangeUnsatisfiableError::Unsatisfiable);
        let ranges = match http_range_header::parse_range_header(asked) {
            Ok(ranges) => ranges.validate(len as u64),
            Err(e) => Err(e),
        };
        match ranges {
            Ok(mut ranges) if ranges.len() == 1 => ranges.pop().map(Ok),
            Err(e) if unsatisfiable(e) => Some(Err(Unsatisfiable)),
            _ => None,
        }
    }
}

/// `If-None-Match`: a list of tags, weak or strong, or `*`.
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The media type of an output path, by extension. A short table covers what sites contain;
/// anything else is sent as bytes (with `nosniff`, so browsers do not guess).
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml",
        "rss" => "application/rss+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_guard() {
        assert_eq!(clean_path("/posts/a%20b/").unwrap(), "/posts/a b/");
        for bad in [
            "/../x",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/a%2f..%2fb",
            "//etc/passwd",
            "/..%5c..%5cx",
            "/a\\b",
            "/a%00b",
            "/./x",
            "/%ff",
        ] {
            assert_eq!(clean_path(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn etag_list_and_weak() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(etag_matches(&h, "\"b\""));
        assert!(!etag_matches(&h, "\"c\""));
    }
}
