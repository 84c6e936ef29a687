//! `lore check`: every kind of problem, where it is, in text and JSON, and its exit codes.

mod common;

use common::{TestSite, stdout};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Each problem of `tests/fixtures/check`: the start of its line, and a fragment of its message.
const EXPECTED: &[(&str, &str)] = &[
    (
        "content/adr/0001-old.md:3:1: error:",
        "ADR 2 supersedes ADR 1, but its status is `accepted`",
    ),
    (
        "content/adr/0002-new.md:5:10: warning:",
        "`amends` names `2`, this decision itself",
    ),
    (
        "content/adr/0003-cycle-a.md:4:1: error:",
        "cycle: ADR 3 → ADR 4 → ADR 3",
    ),
    (
        "content/adr/0005-dangling.md:3:1: warning:",
        "unknown status `on hold`",
    ),
    (
        "content/adr/0005-dangling.md:4:14: error:",
        "names `42`, which is no decision",
    ),
    (
        "content/adr/0005-duplicate.md: error:",
        "number 5 is also used by 0005-dangling.md",
    ),
    (
        "content/adr/0006-heading.md:1:1: error:",
        "heading numbers this decision 7, its file name 6",
    ),
    (
        "content/adr/0009-after-gap.md: warning:",
        "jump from 6 to 9 (7 to 8 are missing)",
    ),
    (
        "content/adr/0009-after-gap.md:3:1: error:",
        "status `superseded`, but no decision supersedes it",
    ),
    (
        "content/guide.md:3:1: warning:",
        "unknown front matter key `tagz`",
    ),
    (
        "content/guide.md:6:3: error:",
        "link `missing.md` leads to no page",
    ),
    (
        "content/guide.md:6:34: error:",
        "no heading with the id `#nope`",
    ),
    (
        "content/guide.md:8:6: error:",
        "no heading with the id `#nowhere`",
    ),
    (
        "content/guide.md:8:43: error:",
        "image `pic.png` leads to no page",
    ),
    (
        "content/guide.md:10:3: error:",
        "link `/nowhere/` leads to no page",
    ),
    (
        "content/guide.md:10:80: warning:",
        "`#Real-Heading` differs from the heading id `#real-heading`",
    ),
    (
        "content/guide.md:12:4: warning:",
        "leads to ADR 1, which ADR 2 supersedes",
    ),
    (
        "content/guide.md:16:1: warning:",
        "Hugo shortcode or similar",
    ),
    ("lore.yaml: warning:", "base_url `/` is not a whole URL"),
];

#[test]
fn every_problem_is_reported_once_where_it_is_with_help() {
    let site = TestSite::fixture("check");
    let out = site.lore(&["check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": error:") || l.contains(": warning:"))
        .collect();
    for (start, fragment) in EXPECTED {
        let found = problems
            .iter()
            .filter(|l| l.starts_with(start) && l.contains(fragment))
            .count();
        assert_eq!(found, 1, "want `{start} … {fragment}` once in:\n{text}");
    }
    assert_eq!(
        problems.len(),
        EXPECTED.len(),
        "unexpected problems:\n{text}"
    );
    let helps = text.lines().filter(|l| l.starts_with("  help: ")).count();
    assert_eq!(
        helps,
        EXPECTED.len(),
        "every problem says what to do:\n{text}"
    );
    assert!(text.ends_with("11 errors, 8 warnings\n"), "{text}");
    assert!(
        text.contains("did you mean `tags`?"),
        "closest key named: {text}"
    );
    assert!(!site.public().exists(), "check writes no output");
}

#[test]
fn json_has_the_same_problems_as_text() {
    let site = TestSite::fixture("check");
    let out = site.lore(&["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["errors"], 11);
    assert_eq!(json["warnings"], 8);
    let problems = json["problems"].as_array().expect("array");
    assert_eq!(problems.len(), EXPECTED.len());
    let missing = problems
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("`missing.md`"))
        .expect("the broken link");
    assert_eq!(missing["path"], "content/guide.md");
    assert_eq!(
        (missing["line"].as_u64(), missing["column"].as_u64()),
        (Some(6), Some(3))
    );
    assert_eq!(missing["severity"], "error");
    assert!(missing["help"].as_str().unwrap().contains("relative links"));
    let file_level = problems
        .iter()
        .find(|p| p["path"] == "content/adr/0005-duplicate.md")
        .expect("the duplicate number");
    assert!(file_level["line"].is_null() && file_level["column"].is_null());
}

#[test]
fn warnings_alone_pass_unless_strict() {
    let site = TestSite::empty();
    site.write(
        "content/a.md",
        "---\ntitle: A\ntagz: [x]\n---\nSee [b](b.md#part).\n",
    );
    site.write("content/b.md", "# B\n\n## Part\n");
    let out = site.lore(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("0 errors, 1 warning\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(site.lore(&["check", "--strict"]).status.code(), Some(1));
    assert_eq!(
        site.lore(&["check", "--deny-warnings"]).status.code(),
        Some(1)
    );
}

#[test]
fn front_matter_types_and_dates_are_errors_at_their_line() {
    let site = TestSite::empty();
    site.write("content/a.md", "---\ntitle: A\ntags: 5\n---\n");
    site.write("content/b.md", "---\ntitle: B\n\ndate: 2026-02-30\n---\n");
    let out = site.lore(&["check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("content/a.md:3:1: error: `tags` must be a list"),
        "{text}"
    );
    assert!(
        text.contains("content/b.md:4:1: error: `date: 2026-02-30` is not a date"),
        "{text}"
    );
    assert!(text.ends_with("2 errors, 0 warnings\n"), "{text}");
}

/// A tiny HTTP server on 127.0.0.1: `/ok` works, `/gone` is 404, `/no-head` refuses HEAD.
fn serve_locally() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request = String::new();
            reader.read_line(&mut request).ok();
            let status = match request.split_whitespace().take(2).collect::<Vec<_>>()[..] {
                [_, "/ok"] | ["GET", "/no-head"] => "200 OK",
                ["HEAD", "/no-head"] => "405 Method Not Allowed",
                _ => "404 Not Found",
            };
            let mut stream = reader.into_inner();
            let reply =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            stream.write_all(reply.as_bytes()).ok();
        }
    });
    port
}

#[test]
fn external_links_are_checked_only_when_asked() {
    let port = serve_locally();
    let site = TestSite::empty();
    let base = format!("http://127.0.0.1:{port}");
    site.write(
        "content/a.md",
        &format!("# A\n\n[ok]({base}/ok) [gone]({base}/gone) [no head]({base}/no-head)\n"),
    );
    let offline = site.lore(&["check"]);
    assert_eq!(offline.status.code(), Some(0), "{}", stdout(&offline));
    let out = site.lore(&["check", "--external"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let col = format!("[ok]({base}/ok) ").len() + 1;
    let want = format!(
        "content/a.md:3:{col}: error: external link `{base}/gone` fails: the server answers 404"
    );
    assert!(text.contains(&want), "want {want} in:\n{text}");
    assert!(
        text.ends_with("1 error, 0 warnings\n"),
        "only /gone fails: {text}"
    );
}

#[test]
fn a_log_just_begun_reads_as_decisions_and_its_impossible_date_is_a_warning() {
    // `adr init` leaves one record; `lore check docs/adr` on it must see a decision.
    let site = TestSite::empty();
    site.write(
        "docs/adr/0001-record-architecture-decisions.md",
        "# 1. Record architecture decisions\n\nDate: 2024-13-45\n\n## Status\n\nAccepted\n\n## Context\n\nWe decide.\n",
    );
    let list = site.lore(&["list", "--json", "docs/adr"]);
    let json: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON");
    assert_eq!(json[0]["kind"], "adr", "{json}");
    assert_eq!(json[0]["number"], 1, "{json}");
    let out = site.lore(&["check", "docs/adr"]);
    let text = stdout(&out);
    assert!(
        text.contains("0001-record-architecture-decisions.md:3:7: warning: the date `2024-13-45` is not a day of the calendar"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "warnings alone pass: {text}");
}

/// A template that reads a field its context lacks fails `lore build` on every page; `lore
/// check` renders each template once and fails as the build would, naming the field.
#[test]
fn a_template_that_fails_to_render_fails_the_check() {
    let site = TestSite::fixture("broken/tera-undefined-field");
    let out = site.lore(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("templates/page.html:3:12: error: cannot render template `page.html`")
            && text.contains("no_such_field"),
        "{text}"
    );
    assert_eq!(
        text.matches("error:").count(),
        1,
        "once, not once a page: {text}"
    );
}

/// A link to a draft leads nowhere on the site; the advice says it is a draft, not that the
/// file is outside the content folder (it is in it).
#[test]
fn a_link_to_a_draft_says_it_is_a_draft() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Drafts\n");
    site.write(
        "content/posts/draft.md",
        "---\ntitle: Soon\ndraft: true\n---\nSoon.\n",
    );
    site.write(
        "content/posts/live.md",
        "---\ntitle: Live\n---\nSee [the next one](draft.md).\n",
    );
    let out = site.lore(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("content/posts/live.md:4:5: error: link `draft.md` leads to no page"),
        "{text}"
    );
    assert!(
        text.contains("that page is a draft (`draft: true`)"),
        "{text}"
    );
    assert!(site.lore(&["check", "--drafts"]).status.success());
}

/// What GitHub reads as a link is no broken link here: an e-mail autolink, a `#fragment` of a
/// heading whose id keeps its combining marks (Bengali, Hindi), a footnote and its reference.
#[test]
fn email_autolinks_and_marked_heading_ids_are_no_broken_links() {
    let site = TestSite::empty();
    site.write(
        "lore.yaml",
        "title: Links\nbase_url: https://example.org/\n",
    );
    site.write(
        "content/posts/contact.md",
        "Write to <ann@example.org>, or read [the greeting](#नमस्ते-दुनिया) and [its note](#fn-1)[^1].\n\n## नमस्ते दुनिया\n\nHello.\n\n[^1]: A note; [back](#fnref-1).\n",
    );
    let out = site.lore(&["check"]);
    let text = stdout(&out) + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("leads to no"), "{text}");
    site.build_ok();
    let page = site.read("posts/contact/index.html");
    assert!(page.contains("href=\"mailto:ann@example.org\""), "{page}");
    assert!(page.contains("id=\"नमस्ते-दुनिया\""), "{page}");
}

/// A large site's build lets its Markdown go once read (to read it again when rendering);
/// `lore check` and `lore list` scan it, so on a site past the large-site threshold they still
/// see every link and heading.
#[test]
fn a_large_site_is_checked_from_its_markdown() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Large\n");
    site.write(
        "content/posts/a.md",
        "---\ntitle: A\n---\nSee [b](b.md#plan) and [gone](gone.md).\n",
    );
    site.write(
        "content/posts/b.md",
        "---\ntitle: B\n---\n## Plan\n\nText.\n",
    );
    let out = site
        .command(&["check"])
        .env("LORE_LARGE_SITE", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("content/posts/a.md:4:24: error: link `gone.md` leads to no page"),
        "{text}"
    );
    assert!(!text.contains("#plan"), "the heading is found: {text}");
}
