//! Live reload over one same-origin endpoint: server-sent events at `__lore/events` under the
//! site's base path, a small `live.js` that listens to them, and [`inject`], which adds the script
//! (and the error overlay) to HTML responses. Only `lore serve` calls this; `lore build` never does.

use super::state::{ReloadEvent, ReloadKind, ServeState};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The browser side: reload on `reload`, swap stylesheets on `css`, load the search index afresh
/// on `search`, and on (re)connecting compare the server's version with the page's, so a change
/// made while disconnected is not missed.
pub const LIVE_JS: &str = r#"// Live reload for `lore serve` (never part of a built site).
(() => {
  const script = document.currentScript;
  const key = "__lore_scroll:" + location.pathname;
  const page = script.dataset.page;
  let version = script.dataset.version;
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    const y = Number(saved);
    window.scrollTo(0, y);
    window.addEventListener("load", () => window.scrollTo(0, y));
  }
  const reload = () => {
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  };
  const swapStylesheets = () => {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      url.searchParams.set("__lore", String(Date.now()));
      link.href = url.href;
    }
  };
  const refreshSearch = () => {
    if (window.LoreSearch && window.LoreSearch.refresh) window.LoreSearch.refresh();
  };
  const on = {
    // Connected (again): if changes were missed, reload when what this page shows is one.
    hello: (data) => {
      if (data === version) return;
      fetch(location.href, { method: "HEAD", cache: "no-store" }).then((r) => {
        if (r.headers.get("x-lore-page") === script.dataset.shown) version = data; else reload();
      }, reload);
    },
    reload: (data) => { version = data; reload(); },
    // Some pages changed: this one reloads if it is one of them.
    pages: (data) => {
      const changed = JSON.parse(data);
      version = changed.v;
      if (changed.pages.includes(page)) reload(); else refreshSearch();
    },
    css: (data) => { version = data; swapStylesheets(); },
    search: (data) => { version = data; refreshSearch(); },
  };
  const listen = () => {
    const events = new EventSource(new URL("events", script.src));
    for (const name in on) events.addEventListener(name, (e) => on[name](e.data));
    // Reconnect every second while the server is away, whatever the browser's own backoff.
    events.onerror = () => { events.close(); setTimeout(listen, 1000); };
  };
  // One stream shared by every tab: over HTTP/1.1 a browser opens six connections to a server
  // at most, and a stream per tab held one each, so a seventh tab never loaded.
  if (typeof SharedWorker !== "function") return listen();
  let worker;
  try {
    worker = new SharedWorker(new URL("live-worker.js", script.src), { name: "lore-live" });
  } catch (_) {
    return listen();
  }
  let heard = false;
  worker.onerror = listen;
  worker.port.onmessage = (e) => {
    heard = true;
    if (on[e.data.name]) on[e.data.name](e.data.data);
  };
  worker.port.start();
  window.addEventListener("pagehide", () => worker.port.postMessage("bye"));
  // The worker says hello at once, or when its stream connects. Silence means a worker that
  // was ending as this page joined it (its last page had just gone), or a server away: a
  // stream of the page's own is sure to hear the next change.
  setTimeout(() => {
    if (!heard) {
      worker.port.close();
      listen();
    }
  }, 3000);
})();
"#;

/// The shared worker of [`LIVE_JS`]: one event stream for all the site's tabs, each event passed
/// on to each of them, and the latest version told to a tab as it connects (its `hello`).
pub const LIVE_WORKER_JS: &str = r#"// Live reload for `lore serve`: the event stream all tabs share.
const ports = new Set();
let latest = null;
const listen = () => {
  const events = new EventSource("events");
  for (const name of ["hello", "reload", "pages", "css", "search"]) {
    events.addEventListener(name, (e) => {
      latest = name === "pages" ? JSON.parse(e.data).v : e.data;
      for (const port of ports) port.postMessage({ name, data: e.data });
    });
  }
  // Reconnect every second while the server is away, whatever the browser's own backoff.
  events.onerror = () => { events.close(); setTimeout(listen, 1000); };
};
listen();
onconnect = (e) => {
  const port = e.ports[0];
  ports.add(port);
  port.onmessage = (m) => { if (m.data === "bye") ports.delete(port); };
  port.start();
  if (latest !== null) port.postMessage({ name: "hello", data: latest });
};
"#;

/// The SSE endpoint: a `hello` with the current version, then one event per published change.
pub async fn events(state: Arc<ServeState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before reading the version, so nothing published in between is lost.
    let receiver = state.subscribe();
    let stopping = state.stopping();
    let hello = Event::default()
        .event("hello")
        .data(state.snapshot().version.clone())
        // Reconnect quickly after a restart of the server.
        .retry(Duration::from_millis(500));
    let first = futures_util::stream::once(async move { Ok(hello) });
    let rest =
        futures_util::stream::unfold((receiver, state), |(mut receiver, state)| async move {
            let event = match receiver.recv().await {
                Ok(ReloadEvent {
                    pages: Some(pages),
                    version,
                    ..
                }) => Event::default()
                    .event("pages")
                    .data(serde_json::json!({ "v": version, "pages": &pages[..] }).to_string()),
                Ok(event) => Event::default()
                    .event(event_name(event.kind))
                    .data(event.version),
                // Missed some events: one reload catches up with all of them.
                Err(RecvError::Lagged(_)) => Event::default()
                    .event("reload")
                    .data(state.snapshot().version.clone()),
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (receiver, state)))
        });
    let stream =
        futures_util::StreamExt::take_until(futures_util::StreamExt::chain(first, rest), stopping);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn event_name(kind: ReloadKind) -> &'static str {
    match kind {
        ReloadKind::Reload => "reload",
        ReloadKind::Css => "css",
        ReloadKind::Search => "search",
    }
}

/// What a failed build left to serve, for the overlay's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The last site that built.
    LastGood,
    /// Nothing: no build has succeeded since `lore serve` started.
    NothingYet,
}

/// Adds the live reload script, and the error overlay when there is an error, before `</body>`.
/// What the live reload script is told of the page it is added to.
pub struct LivePage<'a> {
    pub base_path: &'a str,
    pub version: &'a str,
    /// Its output path (`posts/x/index.html`), which reload events may name.
    pub page: &'a str,
    /// A hash of what it shows (its HTML and any error over it), which `x-lore-page` gives
    /// too: a page that missed events compares them rather than reload whatever changed.
    pub shown: &'a str,
}

pub fn inject(html: &str, live: &LivePage<'_>, error: Option<(&str, Served)>) -> String {
    let mut tags = String::new();
    if let Some((error, served)) = error {
        tags.push_str(&overlay(error, served));
    }
    tags.push_str(&format!(
        r#"<script src="{}__lore/live.js" data-version="{}" data-page="{}" data-shown="{}" defer></script>"#,
        crate::escape::escape_html(live.base_path),
        crate::escape::escape_html(live.version),
        crate::escape::escape_html(live.page),
        crate::escape::escape_html(live.shown)
    ));
    match find_body_end(html) {
        Some(at) => format!("{}{tags}{}", &html[..at], &html[at..]),
        None => format!("{html}{tags}"),
    }
}

/// The last `</body>`, in any letter case.
fn find_body_end(html: &str) -> Option<usize> {
    html.to_ascii_lowercase().rfind("</body>")
}

/// The error over the page, fixed at the top; everything in it escaped.
pub fn overlay(error: &str, served: Served) -> String {
    let under = match served {
        Served::LastGood => {
            "This is the last good version of the page; fix the file and this message goes away by itself."
        }
        Served::NothingYet => {
            "No build has succeeded yet, so there is no page to show; fix the file and the site appears by itself."
        }
    };
    format!(
        concat!(
            r#"<div id="__lore-error" role="alert" style="position:fixed;top:0;left:0;right:0;"#,
            r#"max-height:80vh;overflow:auto;z-index:2147483647;margin:0;padding:1rem 1.5rem;"#,
            r#"background:#fff0f0;color:#5c0000;border-bottom:3px solid #c00;"#,
            r#"font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"#,
            r#"box-shadow:0 4px 16px rgba(0,0,0,.3)">"#,
            r#"<strong>lore serve: the last rebuild failed.</strong> {}"#,
            r#"<pre style="white-space:pre-wrap;margin:.75rem 0 0">{}</pre></div>"#
        ),
        under,
        crate::escape::escape_html(error)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live<'a>(base_path: &'a str, page: &'a str) -> LivePage<'a> {
        LivePage {
            base_path,
            version: "v1",
            page,
            shown: "h",
        }
    }

    #[test]
    fn injects_before_last_body_end() {
        let html = "<html><body><p>x</p></BODY></html>";
        let out = inject(html, &live("/kb/", "posts/x/index.html"), None);
        assert_eq!(
            out,
            r#"<html><body><p>x</p><script src="/kb/__lore/live.js" data-version="v1" data-page="posts/x/index.html" data-shown="h" defer></script></BODY></html>"#
        );
    }

    #[test]
    fn overlay_escapes_everything() {
        let out = inject(
            "<body></body>",
            &live("/", "<page>"),
            Some(("<script>alert('x')</script> & \"q\"", Served::LastGood)),
        );
        assert!(
            out.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        );
        assert!(!out.contains("<script>alert"));
        assert!(out.contains(r#"data-page="&lt;page&gt;""#));
    }

    #[test]
    fn the_overlay_says_what_is_under_it() {
        let over_a_site = inject(
            "<body></body>",
            &live("/", "p"),
            Some(("e", Served::LastGood)),
        );
        assert!(over_a_site.contains("the last good version of the page"));
        let first = inject(
            "<body></body>",
            &live("/", "p"),
            Some(("e", Served::NothingYet)),
        );
        assert!(first.contains("No build has succeeded yet"));
        assert!(!first.contains("last good"));
    }

    #[test]
    fn appends_without_body() {
        assert!(inject("<p>x</p>", &live("/", "p"), None).starts_with("<p>x</p><script"));
    }
}
