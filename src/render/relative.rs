//! Site-internal URLs in rendered HTML made relative to the page, so a built site also works
//! opened from disk (`file://`) or moved under another path. Like Hugo's `relativeURLs`: one
//! byte-level pass over the HTML string, no parser. Only values of `href`, `src`, `action` and
//! `poster` attributes that start with the site's base path are rewritten; text, other
//! attributes (`content` of `og:url`, `data-*`) and absolute URLs with a host stay as they are.

/// Attributes whose value is a URL the browser follows or loads.
const URL_ATTRIBUTES: [&[u8]; 4] = [b"href", b"src", b"action", b"poster"];

/// How many folders deep `output_path` (e.g. `adr/0002-x/index.html`) is below the site root.
pub fn depth(output_path: &str) -> usize {
    output_path.bytes().filter(|&b| b == b'/').count()
}

/// `url` (starting with `base_path`) as seen from a file `depth` folders below the root:
/// `../../posts/x/`, or `./` for the root seen from the root.
pub fn relative_url(url: &str, base_path: &str, depth: usize) -> String {
    let rest = url.strip_prefix(base_path).unwrap_or(url);
    let relative = format!("{}{rest}", "../".repeat(depth));
    if relative.is_empty() {
        "./".into()
    } else {
        relative
    }
}

/// Rewrites `attr="{base_path}rest"` to `attr="{"../" × depth}rest"` (`./` for an empty result
/// at the root). `base_path` starts and ends with `/`. A `//host` value is left alone: with base
/// path `/` it is a protocol-relative URL, not a site path.
pub fn relative_urls(html: &str, base_path: &str, depth: usize) -> String {
    let bytes = html.as_bytes();
    let base = base_path.as_bytes();
    let up = "../".repeat(depth);
    // Room for the `../` added (an eighth: some 200 links on a 10 KB page); growing copied it.
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut copied = 0;
    // Every attribute value starts after `=`; there are far fewer `=` than bytes.
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b'=', &bytes[from..]) {
        let eq = from + offset;
        from = eq + 1;
        let value = eq + 2;
        if !is_quote(bytes.get(eq + 1)) || !bytes[value..].starts_with(base) {
            continue;
        }
        let rest = value + base.len();
        if bytes.get(rest) == Some(&b'/') || !is_url_attribute(&bytes[..eq]) {
            continue;
        }
        out.push_str(&html[copied..value]);
        out.push_str(&up);
        if depth == 0 && matches!(bytes.get(rest), Some(b'"' | b'\'' | b'#' | b'?') | None) {
            out.push_str("./");
        }
        copied = rest;
        from = rest;
    }
    out.push_str(&html[copied..]);
    out
}

fn is_quote(b: Option<&u8>) -> bool {
    matches!(b, Some(b'"' | b'\''))
}

/// Whether `before` ends with ` href` (or another URL attribute) preceded by whitespace, so
/// `data-href=` and text such as `x href=` inside a word do not count.
fn is_url_attribute(before: &[u8]) -> bool {
    URL_ATTRIBUTES.iter().any(|name| {
        before.ends_with(name)
            && before
                .len()
                .checked_sub(name.len() + 1)
                .is_some_and(|i| before[i].is_ascii_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_folders() {
        assert_eq!(depth("index.html"), 0);
        assert_eq!(depth("adr/index.html"), 1);
        assert_eq!(depth("posts/page/2/index.html"), 3);
    }

    #[test]
    fn url_attributes_become_relative() {
        let html = r#"<link href="/assets/a.css?v=1"><a href="/adr/0002-x/#c">x</a><img src="/img/p.png"><form action="/search/">"#;
        assert_eq!(
            relative_urls(html, "/", 2),
            r#"<link href="../../assets/a.css?v=1"><a href="../../adr/0002-x/#c">x</a><img src="../../img/p.png"><form action="../../search/">"#
        );
    }

    #[test]
    fn the_root_itself_becomes_dot_slash_at_depth_zero() {
        let html = r#"<a href="/">home</a><a href="/#top">t</a><a href="/tags/">tags</a>"#;
        assert_eq!(
            relative_urls(html, "/", 0),
            r#"<a href="./">home</a><a href="./#top">t</a><a href="tags/">tags</a>"#
        );
        assert_eq!(
            relative_urls(html, "/", 1),
            r#"<a href="../">home</a><a href="../#top">t</a><a href="../tags/">tags</a>"#
        );
    }

    #[test]
    fn only_the_base_path_is_rewritten() {
        let html = r#"<a href="/kb/posts/">p</a><a href="/other/">o</a><a href='/kb/'>h</a>"#;
        assert_eq!(
            relative_urls(html, "/kb/", 1),
            r#"<a href="../posts/">p</a><a href="/other/">o</a><a href='../'>h</a>"#
        );
    }

    #[test]
    fn other_attributes_text_and_hosts_are_left_alone() {
        let html = concat!(
            r#"<meta property="og:url" content="/x/"><div data-href="/x/" data-index="/search/">"#,
            r#"<script src="//cdn.example/x.js"></script><a href="https://example.org/x/">e</a>"#,
            r##"<code>href="/x/"</code><p>a=b href=/x/ src="/y/"</p><a href="#a">a</a>"##,
        );
        let out = relative_urls(html, "/", 3);
        // Text that happens to look like an attribute is rewritten only where it is one.
        assert_eq!(out, html.replace(r#" src="/y/""#, r#" src="../../../y/""#));
    }

    #[test]
    fn unicode_and_edges_are_safe() {
        for html in ["", "=", "=\"", "href=\"/", "é href=\"/ü/\"", " href=\"/"] {
            let _ = relative_urls(html, "/", 1);
        }
        assert_eq!(relative_urls("é href=\"/ü/\"", "/", 1), "é href=\"../ü/\"");
        assert_eq!(relative_urls(" href=\"/", "/", 0), " href=\"./");
    }
}
