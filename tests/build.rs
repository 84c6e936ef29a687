//! `lore build` on fixture sites: the HTML, links, feeds, sitemap, atomicity and determinism.

mod common;
use common::*;

#[test]
fn builds_pages_with_pretty_urls_and_summary_line() {
    let site = TestSite::fixture("basic");
    let out = site.build_ok();
    let line = stdout(&out);
    assert!(
        line.starts_with("Built 7 pages (3 posts, 3 ADRs, 1 docs) in "),
        "{line}"
    );
    for path in [
        "index.html",
        "posts/caching-without-tears/index.html",
        "posts/third/index.html",
        "adr/0001-use-polling/index.html",
        "adr/index.html",
        "guides/index.html",
        "guides/setup/install/index.html",
        "tags/index.html",
        "tags/engineering/index.html",
        "atom.xml",
        "tags/engineering/atom.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "opensearch.xml",
        "assets/lore.css",
        "assets/highlight.css",
    ] {
        assert!(site.public().join(path).is_file(), "missing {path}");
    }
    assert!(
        !site.public().join("posts/draft/index.html").exists(),
        "drafts are left out by default"
    );
}

#[test]
fn markdown_links_headings_code_and_assets() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let doc = site.html("posts/caching-without-tears/index.html");
    let hrefs = resolved(
        &site,
        "posts/caching-without-tears/index.html",
        "main a",
        "href",
    );
    assert!(
        hrefs.contains(&"/kb/adr/0002-use-queues/#consequences".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"/kb/guides/setup/install/".to_string()),
        "{hrefs:?}"
    );
    assert!(
        !hrefs
            .iter()
            .any(|h| h.ends_with(".md") && !h.starts_with("https://example.org/repo/edit/")),
        "no .md links remain: {hrefs:?}"
    );
    assert_eq!(
        attrs(&doc, "main img", "src"),
        vec!["../../posts/diagram.png"],
        "site URLs are relative, so the site works from disk"
    );
    assert_eq!(
        std::fs::read(site.public().join("posts/diagram.png")).unwrap(),
        b"PNG"
    );
    assert_eq!(
        attrs(&doc, ".prose > h2", "id"),
        vec!["edge-caching", "edge-caching-1"]
    );
    assert_eq!(attrs(&doc, "h2 a.anchor", "href")[0], "#edge-caching");
    assert!(
        !select(&doc, "pre.code[data-lang=rust] span[class^=hl-]").is_empty(),
        "code is highlighted with classes"
    );
    assert_eq!(select(&doc, ".table-wrap > table").len(), 1);
    let hint = texts(&doc, ".superseded-hint");
    assert_eq!(
        hint,
        vec!["superseded"],
        "a link to a superseded ADR carries a hint"
    );
    let title_attr = attrs(&doc, ".superseded-hint", "title");
    assert_eq!(title_attr, vec!["Superseded by ADR 2: Use queues"]);
}

#[test]
fn titles_dates_and_excerpts_without_front_matter() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let third = site.html("posts/third/index.html");
    assert!(
        texts(&third, "h1")
            .iter()
            .any(|t| t == "Third Post Without Front Matter")
    );
    assert!(site.read("posts/third/index.html").contains("2026-01-15"));
    let list = site.read("posts/page/2/index.html");
    assert!(list.contains("Third Post Without Front Matter"));
    let second = site.read("posts/index.html");
    assert!(second.contains("First paragraph of the second post, which becomes its excerpt."));
}

/// A post kept in a folder with its images (`posts/2026-01-05-launch/index.md`, as Hugo and
/// Zola call a page bundle) is named, dated and routed by its folder; `posts/_index.md`
/// introduces the posts list and is no post.
#[test]
fn post_bundles_are_named_by_their_folder() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Bundles\n");
    site.write(
        "content/posts/_index.md",
        "---\ntitle: All our posts\n---\nThe intro of the posts.\n",
    );
    site.write(
        "content/posts/2026-01-05-launch/index.md",
        "We launched.\n\n![Diagram](diagram.png)\n",
    );
    site.write("content/posts/2026-01-05-launch/diagram.png", "PNG");
    site.write(
        "content/posts/notes/README.md",
        "---\ndate: 2026-02-01\n---\nNotes.\n",
    );
    site.write(
        "content/posts/plain.md",
        "---\ndate: 2026-03-01\n---\nPlain.\n",
    );
    let out = site.build_ok();
    assert!(stdout(&out).contains("3 posts"), "{}", stdout(&out));
    assert!(
        !stderr(&out).contains("introduces this folder"),
        "{}",
        stderr(&out)
    );
    let launch = site.html("posts/launch/index.html");
    assert_eq!(texts(&launch, "h1"), ["Launch"]);
    assert!(site.read("posts/launch/index.html").contains("2026-01-05"));
    // Its files go beside its page, as in Hugo and Zola.
    assert_eq!(
        attrs(&launch, "article img", "src"),
        ["../../posts/launch/diagram.png"]
    );
    assert!(site.public().join("posts/launch/diagram.png").exists());
    assert!(!site.public().join("posts/2026-01-05-launch").exists());
    assert_eq!(texts(&site.html("posts/notes/index.html"), "h1"), ["Notes"]);
    assert!(!site.public().join("posts/index").exists());
    let list = site.read("posts/index.html");
    assert!(list.contains("The intro of the posts."));
    assert!(
        !list.contains("All our posts</a>"),
        "the intro is not listed as a post"
    );
}

/// `Engineering`, `engineering` and `ENGINEERING` are one tag in the search filters and the
/// feed's categories too, named as the tag page names it.
#[test]
fn one_tag_everywhere_whatever_its_case() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Tags\n");
    for (name, tag, day) in [
        ("a", "Engineering", 3),
        ("b", "engineering", 2),
        ("c", "ENGINEERING", 1),
    ] {
        site.write(
            &format!("content/posts/{name}.md"),
            &format!(
                "---\ntitle: Post {name}\ndate: 2026-01-0{day}\ntags: [{tag}, Rust]\n---\nText.\n"
            ),
        );
    }
    site.build_ok();
    let manifest = site.read("search/manifest.js");
    let json = &manifest[manifest.find(',').unwrap() + 1..manifest.rfind(')').unwrap()];
    let manifest: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        manifest["tags"],
        serde_json::json!(["Engineering", "Rust"]),
        "{manifest}"
    );
    let feed = site.read("atom.xml");
    assert_eq!(
        feed.matches("<category term=\"Engineering\"/>").count(),
        3,
        "{feed}"
    );
    assert!(!feed.contains("term=\"engineering\"") && !feed.contains("term=\"ENGINEERING\""));
}

/// `static/` is copied as it is, dotfiles too (`.nojekyll` for GitHub Pages, `.well-known/`),
/// but not what version control, file managers and editors leave there.
#[test]
fn static_dotfiles_are_copied() {
    let site = TestSite::fixture("basic");
    for (file, text) in [
        ("static/.nojekyll", ""),
        (
            "static/.well-known/security.txt",
            "Contact: mailto:security@example.org\n",
        ),
        ("static/.htaccess", "Options -Indexes\n"),
        ("static/.DS_Store", "x"),
        ("static/.git/config", "x"),
        ("static/.app.js.swp", "x"),
        ("static/app.js~", "x"),
    ] {
        site.write(file, text);
    }
    site.build_ok();
    for copied in [".nojekyll", ".well-known/security.txt", ".htaccess"] {
        assert!(site.public().join(copied).is_file(), "{copied}");
    }
    for skipped in [".DS_Store", ".git", ".app.js.swp", "app.js~"] {
        assert!(!site.public().join(skipped).exists(), "{skipped}");
    }
}

/// A static file may replace a theme asset or robots.txt (that is how a site changes them), but
/// not a file Lore makes from the content: the build fails naming it.
#[test]
fn static_files_replace_theme_assets_but_not_feeds() {
    let site = TestSite::fixture("basic");
    site.write("static/assets/lore.css", "/* ours */");
    site.write("static/robots.txt", "User-agent: *\nDisallow: /drafts/\n");
    site.build_ok();
    assert_eq!(site.read("assets/lore.css"), "/* ours */");
    assert!(site.read("robots.txt").contains("Disallow: /drafts/"));
    for made in ["atom.xml", "sitemap.xml", "tags/index.html"] {
        site.write(&format!("static/{made}"), "x");
        let out = site.lore(&["build"]);
        assert!(
            !out.status.success(),
            "static/{made} replaced what Lore makes"
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "static/{made}: error: this file would replace /{made}"
            )),
            "{err}"
        );
        std::fs::remove_file(site.root().join("static").join(made)).unwrap();
    }
}

#[test]
fn tags_match_case_insensitively_and_keep_first_case() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let tag = site.html("tags/engineering/index.html");
    // Three pages, two a list page (`paginate: 2`).
    let pages =
        site.read("tags/engineering/index.html") + &site.read("tags/engineering/page/2/index.html");
    assert!(
        texts(&tag, "h1").iter().any(|t| t.contains("Engineering")),
        "{:?}",
        texts(&tag, "h1")
    );
    for title in ["Caching Without Tears", "Second: a post", "Install"] {
        assert!(pages.contains(title), "tag pages list {title}");
    }
    assert!(!site.public().join("tags/Engineering").exists());
    let index = resolved(&site, "tags/index.html", "a", "href");
    assert!(index.contains(&"/kb/tags/queues/".to_string()), "{index:?}");
}

/// A tag's pages are listed `paginate` at a time, newest first, like a section's: `/tags/x/`,
/// then `/tags/x/page/2/`, with a pager, rel prev/next links, the tag's totals on every page,
/// and every list page in the sitemap.
#[test]
fn tag_pages_are_paginated() {
    let site = TestSite::fixture("basic");
    for n in 1..=5 {
        site.write(
            &format!("content/posts/p{n}.md"),
            &format!(
                "---\ntitle: Paged {n}\ndate: 2026-02-0{n}\ntags: [paged]\n---\n\nBody {n}.\n"
            ),
        );
    }
    site.build_ok();
    let titles = |path: &str| -> Vec<String> { texts(&site.html(path), ".card-title a") };
    assert_eq!(titles("tags/paged/index.html"), ["Paged 5", "Paged 4"]);
    assert_eq!(
        titles("tags/paged/page/2/index.html"),
        ["Paged 3", "Paged 2"]
    );
    assert_eq!(titles("tags/paged/page/3/index.html"), ["Paged 1"]);
    assert!(!site.public().join("tags/paged/page/4").exists());
    assert!(!site.public().join("tags/paged/page/1").exists());
    let second = site.read("tags/paged/page/2/index.html");
    assert!(second.contains("Page 2 of 3"), "{second}");
    assert!(
        second.contains("<span class=\"count\">5</span>"),
        "the tag's total, not the page's"
    );
    let links = resolved(&site, "tags/paged/page/2/index.html", "link", "href");
    for href in ["/kb/tags/paged/", "/kb/tags/paged/page/3/"] {
        assert!(
            links.contains(&href.to_string()),
            "rel prev/next {href}: {links:?}"
        );
    }
    let pager = resolved(
        &site,
        "tags/paged/page/2/index.html",
        ".pagination a",
        "href",
    );
    assert!(
        pager.contains(&"/kb/tags/paged/page/3/".to_string()),
        "{pager:?}"
    );
    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("tags/paged/page/3/"), "{sitemap}");
    // A tag that fits on one page has no pager.
    let one = site.read("tags/queues/index.html");
    assert!(!one.contains("class=\"pagination\""));
}

#[test]
fn previous_and_next_follow_the_section_and_the_log() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let post = "posts/second/index.html";
    assert_eq!(
        resolved(&site, post, "a[rel=prev]", "href"),
        vec!["/kb/posts/caching-without-tears/"],
        "posts run newest first"
    );
    assert_eq!(
        resolved(&site, post, "a[rel=next]", "href"),
        vec!["/kb/posts/third/"]
    );
    let adr = "adr/0002-use-queues/index.html";
    assert_eq!(
        resolved(&site, adr, "a[rel=prev]", "href"),
        vec!["/kb/adr/0001-use-polling/"],
        "decisions run by number"
    );
    assert_eq!(
        resolved(&site, adr, "a[rel=next]", "href"),
        vec!["/kb/adr/0003-maybe-kafka/"]
    );
}

#[test]
fn pagination_of_posts() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let first = site.read("posts/index.html");
    assert!(first.contains("Caching Without Tears") && first.contains("Second: a post"));
    assert!(!first.contains("Third Post Without Front Matter"));
    let links = resolved(&site, "posts/index.html", "a", "href");
    assert!(
        links.contains(&"/kb/posts/page/2/".to_string()),
        "{links:?}"
    );
}

#[test]
fn drafts_with_flag() {
    let site = TestSite::fixture("basic");
    let out = site.lore(&["build", "--drafts"]);
    assert!(out.status.success());
    assert!(site.public().join("posts/draft/index.html").is_file());
}

#[test]
fn decision_pages_follow_the_graph() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let old = site.read("adr/0001-use-polling/index.html");
    let old_links = resolved(&site, "adr/0001-use-polling/index.html", "a", "href");
    assert!(
        old_links.contains(&"/kb/adr/0002-use-queues/".to_string()),
        "superseded ADR links to its successor"
    );
    assert!(old.contains("Superseded by"));
    let new = site.read("adr/0002-use-queues/index.html");
    assert!(
        new.contains("Supersedes"),
        "the inverse relation is derived"
    );
    let new_links = resolved(&site, "adr/0002-use-queues/index.html", "a", "href");
    assert!(new_links.contains(&"/kb/adr/0001-use-polling/".to_string()));
    let log = site.html("adr/index.html");
    let log_text = site.read("adr/index.html");
    for title in [
        "Use polling",
        "Use queues",
        "Maybe Kafka",
        "These are our decisions.",
    ] {
        assert!(log_text.contains(title), "log shows {title}");
    }
    assert!(
        !select(&log, "svg.adr-graph").is_empty(),
        "the log draws the decision graph"
    );
    assert!(
        log_text.contains("Superseded")
            && log_text.contains("Accepted")
            && log_text.contains("Proposed")
    );
}

/// A log of undated decisions (adr-tools records without a `Date:` line) has no feed entry:
/// no feed is written or linked (one was, dated 1970), nor a tag's without dated pages, while
/// a tag with one keeps its feed.
#[test]
fn no_feed_without_dated_pages() {
    let site = TestSite::empty();
    site.write(
        "docs/adr/0001-use-adrs.md",
        "# 1. Use ADRs\n\n## Status\n\nAccepted\n",
    );
    site.write(
        "docs/adr/0002-use-rust.md",
        "# 2. Use Rust\n\n## Status\n\nAccepted\n",
    );
    site.build_ok();
    assert!(!site.public().join("atom.xml").exists());
    let home = site.read("index.html");
    assert!(
        site.read("adr/0001-use-adrs/index.html")
            .contains("Use ADRs")
    );
    assert!(
        !home.contains("application/atom+xml") && !home.contains("atom.xml"),
        "{home}"
    );
    // A decision log read without lore.yaml holds no posts: the home page offers none.
    assert!(
        !home.contains("Recent posts") && !home.contains("No posts yet"),
        "{home}"
    );
    assert!(home.contains("Recent decisions"));

    let tagged = TestSite::empty();
    tagged.write("lore.yaml", "title: Tags\n");
    tagged.write(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2026-01-01\ntags: [dated]\n---\nA.\n",
    );
    tagged.write(
        "content/guides/b.md",
        "---\ntitle: B\ntags: [undated]\n---\nB.\n",
    );
    tagged.build_ok();
    assert!(tagged.public().join("atom.xml").exists());
    assert!(tagged.read("index.html").contains("application/atom+xml"));
    assert!(tagged.public().join("tags/dated/atom.xml").exists());
    assert!(
        tagged
            .read("tags/dated/index.html")
            .contains("tags/dated/atom.xml")
    );
    assert!(!tagged.public().join("tags/undated/atom.xml").exists());
    assert!(
        !tagged
            .read("tags/undated/index.html")
            .contains("tags/undated/atom.xml")
    );
}

/// A record opening with an H1 that names a section (PowerShell's RFC 62: `# Motivation`) is
/// titled from its file name, without its number, and keeps that heading in its body; so is a
/// record with no heading at all.
#[test]
fn a_records_section_heading_is_not_its_title() {
    let site = TestSite::empty();
    site.write(
        "rfcs/RFC0062-Predictive-IntelliSense.md",
        "---\nRFC: '0062'\nStatus: Final\n---\n\n# Motivation\n\nWhy.\n\n## Specification\n\nHow.\n",
    );
    site.write(
        "rfcs/RFC0063-Remote-Connections.md",
        "Status: Draft\n\nText.\n",
    );
    site.write(
        "rfcs/RFC0064-Local-Sessions.md",
        "# Local Sessions\n\nText.\n",
    );
    site.build_ok();
    let page = site.html("adr/rfc0062-predictive-intellisense/index.html");
    assert_eq!(texts(&page, "h1.page-title"), ["Predictive IntelliSense"]);
    let body_h1 = texts(&page, "article h1:not(.page-title)");
    assert!(
        body_h1.iter().any(|h| h.starts_with("Motivation")),
        "{body_h1:?}"
    );
    let bare = site.html("adr/rfc0063-remote-connections/index.html");
    assert_eq!(texts(&bare, "h1.page-title"), ["Remote Connections"]);
    let titled = site.html("adr/rfc0064-local-sessions/index.html");
    assert_eq!(texts(&titled, "h1.page-title"), ["Local Sessions"]);
    assert!(
        !site
            .read("adr/rfc0064-local-sessions/index.html")
            .contains("<h1 id=")
    );
}

#[test]
fn atom_feed_is_well_formed_and_absolute() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let feed = site.read("atom.xml");
    let (titles, links) = parse_feed(&feed);
    assert_eq!(titles[0], "Fixture KB");
    assert!(titles.contains(&"Caching Without Tears".to_string()));
    assert!(!titles.contains(&"Secret draft".to_string()));
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("https://example.org/kb/")),
        "{links:?}"
    );
    // Each entry carries its page's whole HTML (the page pass hands it on to the feeds).
    let doc = roxmltree::Document::parse(&feed).unwrap();
    let entry = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .find(|e| {
            e.children()
                .any(|c| c.has_tag_name("title") && c.text() == Some("Caching Without Tears"))
        })
        .expect("an entry for the post");
    let content_node = entry.children().find(|c| c.has_tag_name("content"));
    // Its `#heading` links and images resolve against the page, not the feed.
    let xml_base =
        content_node.and_then(|c| c.attribute(("http://www.w3.org/XML/1998/namespace", "base")));
    assert_eq!(
        xml_base,
        Some("https://example.org/kb/posts/caching-without-tears/")
    );
    let content = content_node.and_then(|c| c.text()).unwrap_or_default();
    assert!(
        content.contains("We cache at the edge")
            && content.contains("<pre")
            && content.contains("<table"),
        "{content}"
    );
    let (tag_titles, _) = parse_feed(&site.read("tags/engineering/atom.xml"));
    assert!(tag_titles.contains(&"Second: a post".to_string()));
    let ids = feed_ids(&feed);
    assert!(ids.contains(&"https://example.org/kb/atom.xml".to_string()));
    assert!(ids.contains(&"https://example.org/kb/posts/caching-without-tears/".to_string()));
}

/// The `<id>`s of an Atom feed: the feed's first, then its entries'.
fn feed_ids(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("feed is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("id"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn without_a_whole_base_url_feed_ids_are_urns_and_robots_names_no_sitemap() {
    let site = TestSite::fixture("basic");
    let config = std::fs::read_to_string(site.root().join("lore.yaml")).unwrap();
    site.write(
        "lore.yaml",
        &config.replace("base_url: https://example.org/kb/", "base_url: /"),
    );
    site.build_ok();
    let ids = feed_ids(&site.read("atom.xml"));
    assert!(ids.len() > 2, "{ids:?}");
    assert!(
        ids.iter().all(|id| is_uuid_urn(id)),
        "Atom ids must be absolute: {ids:?}"
    );
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    let again = TestSite::fixture("basic");
    again.write(
        "lore.yaml",
        &config.replace("base_url: https://example.org/kb/", "base_url: /"),
    );
    again.build_ok();
    assert_eq!(
        feed_ids(&again.read("atom.xml")),
        ids,
        "the same on every build"
    );
    let robots = site.read("robots.txt");
    assert!(!robots.contains("Sitemap"), "{robots}");
    let check = site.lore(&["check"]);
    let text = stdout(&check) + &stderr(&check);
    assert!(
        text.contains("lore.yaml:3:1") && text.contains("base_url `/` is not a whole URL"),
        "{text}"
    );
}

/// Whether `id` is a `urn:uuid:` of RFC 9562's version 8 and variant.
fn is_uuid_urn(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && groups[2].starts_with('8')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// Titles and link hrefs of an Atom feed, parsed as XML.
fn parse_feed(xml: &str) -> (Vec<String>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).expect("feed is well-formed XML");
    let titles = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect();
    let links = doc
        .descendants()
        .filter(|n| n.has_tag_name("link"))
        .filter_map(|n| n.attribute("href").map(String::from))
        .collect();
    (titles, links)
}

#[test]
fn sitemap_lists_every_page_absolutely() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let xml = site.read("sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("sitemap is well-formed XML");
    let locs: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text().map(String::from))
        .collect();
    assert!(
        locs.contains(&"https://example.org/kb/posts/caching-without-tears/".to_string()),
        "{locs:?}"
    );
    assert!(locs.contains(&"https://example.org/kb/adr/".to_string()));
    assert!(
        locs.iter()
            .all(|l| l.starts_with("https://example.org/kb/"))
    );
    assert!(
        site.read("robots.txt")
            .contains("Sitemap: https://example.org/kb/sitemap.xml")
    );
}

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let before = snapshot(&site.public());
    site.write(
        "content/posts/2026-04-01-broken.md",
        "---\ntitle: Broken\ntags: [a\n",
    );
    let out = site.lore(&["build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("content/posts/2026-04-01-broken.md:1:1"),
        "{err}"
    );
    assert!(err.contains("never closed"), "{err}");
    assert_eq!(
        snapshot(&site.public()),
        before,
        "the previous site is intact"
    );
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(".lore-new-") || name.contains(".lore-old-")
        })
        .collect();
    assert!(leftovers.is_empty(), "no staging folders left behind");
}

#[test]
fn two_builds_are_byte_identical() {
    let site = TestSite::fixture("basic");
    assert!(site.lore(&["build", "-o", "out1"]).status.success());
    assert!(site.lore(&["build", "-o", "out2"]).status.success());
    let (a, b) = (
        snapshot(&site.root().join("out1")),
        snapshot(&site.root().join("out2")),
    );
    assert!(a.len() > 20);
    assert_eq!(a, b);
}

#[test]
fn zero_config_folder_of_markdown() {
    let site = TestSite::empty();
    site.write("notes/a.md", "# Alpha\n\nSee [b](b.md).\n");
    site.write("notes/b.md", "Beta title\n\nText.\n");
    let out = lore_in(&site.root().join("notes"), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = std::fs::read_to_string(site.root().join("notes/public/a/index.html")).unwrap();
    assert!(a.contains("href=\"../b/\""), "relative to a/index.html");
    assert!(
        std::fs::read_to_string(site.root().join("notes/public/b/index.html"))
            .unwrap()
            .contains("Beta title")
    );
}

#[test]
fn backlinks_list_each_linking_page_once_in_page_order() {
    let site = TestSite::empty();
    let post = |title: &str, day: u8, body: &str| {
        format!("---\ntitle: {title}\ndate: 2026-01-0{day}\n---\n{body}\n")
    };
    site.write(
        "content/posts/b.md",
        &post("Beta", 2, "See [c](c.md), [c again](c.md) and [me](b.md)."),
    );
    site.write("content/posts/a.md", &post("Alpha", 1, "See [c](c.md)."));
    site.write(
        "content/posts/c.md",
        &post("Gamma", 3, "See [myself](c.md)."),
    );
    // The home page's introduction is shown inside the home page, not a page of its own.
    site.write("content/_index.md", "Start with [c](posts/c.md).\n");
    site.build_ok();
    let backlinks = |rel: &str| {
        texts(
            &site.html(rel),
            "section[aria-labelledby=lore-backlinks] li > a",
        )
    };
    assert_eq!(backlinks("posts/c/index.html"), ["Alpha", "Beta"]);
    assert!(
        backlinks("posts/b/index.html").is_empty(),
        "a link to itself is none"
    );
    assert!(backlinks("posts/a/index.html").is_empty());
}

#[test]
fn toml_front_matter_and_base_url_flag() {
    let site = TestSite::empty();
    site.write("content/posts/z.md", "+++\ntitle = \"From Zola\"\ndate = 2026-05-01\n[taxonomies]\ntags = [\"zola\"]\n+++\nBody.\n");
    let out = site.lore(&["build", "--base-url", "https://docs.example.com/sub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(site.read("posts/z/index.html").contains("From Zola"));
    assert!(site.public().join("tags/zola/index.html").is_file());
    assert!(
        site.read("sitemap.xml")
            .contains("https://docs.example.com/sub/posts/z/")
    );
}

#[test]
fn user_strings_are_escaped_everywhere() {
    let site = TestSite::empty();
    site.write("lore.yaml", "base_url: https://x.org/\n");
    site.write(
        "content/posts/2026-01-01-x.md",
        "---\ntitle: \"<script>alert('t')</script> ]]> & \\\"q\\\"\"\ntags: [\"<b>tag</b>\"]\nexcerpt: \"<img src=x onerror=alert(1)>\"\n---\nBody\n",
    );
    site.build_ok();
    for file in [
        "posts/x/index.html",
        "index.html",
        "posts/index.html",
        "tags/b-tag-b/index.html",
    ] {
        let html = site.read(file);
        assert!(!html.contains("<script>alert"), "{file} escapes the title");
        assert!(!html.contains("<img src=x"), "{file} escapes the excerpt");
        assert!(!html.contains("<b>tag</b>"), "{file} escapes tags");
    }
    let feed = site.read("atom.xml");
    let (titles, _) = parse_feed(&feed);
    assert!(
        titles.iter().any(|t| t.contains("]]>")),
        "feed parses and keeps the text: {titles:?}"
    );
}

#[test]
fn unknown_config_key_names_key_file_and_line() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: x\ntitel: y\n");
    site.write("content/a.md", "# A\n");
    let out = site.lore(&["build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("lore.yaml:2:"), "{err}");
    assert!(err.contains("titel"), "{err}");
}

#[test]
fn two_pages_with_one_url_is_an_error() {
    let site = TestSite::empty();
    site.write("content/posts/2026-01-01-same.md", "# One\n");
    site.write("content/posts/2026-02-01-same.md", "# Two\n");
    let out = site.lore(&["build"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("same URL"), "{}", stderr(&out));
}

/// The `attr` values of `css` in the built page `output` (e.g. `posts/x/index.html`) of a
/// fixture served under `/kb/`, resolved to site paths. Pages link relatively (so a site also
/// works opened from disk); resolving shows where a link really leads.
fn resolved(site: &TestSite, output: &str, css: &str, attr: &str) -> Vec<String> {
    let page = site.html(output);
    let mut folder: Vec<&str> = output.split('/').collect();
    folder.pop();
    attrs(&page, css, attr)
        .iter()
        .map(|href| resolve(&folder, href))
        .collect()
}

fn resolve(folder: &[&str], href: &str) -> String {
    if href.starts_with('/') || href.starts_with('#') || href.contains("://") {
        return href.to_string();
    }
    let mut parts: Vec<&str> = folder.to_vec();
    let mut rest = href;
    loop {
        if let Some(r) = rest.strip_prefix("../") {
            parts.pop();
            rest = r;
        } else if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else {
            break;
        }
    }
    parts.push(rest);
    format!("/kb/{}", parts.join("/")).replace("//", "/")
}

/// `lore build` writes each file as it is rendered, and renders each post's and decision's
/// Markdown once, as it is scanned; on large sites it holds their HTML in a temporary file until
/// the page pass (tested whole with `LORE_LARGE_SITE`) and writes the search index before the
/// lists instead of beside them. `lore serve` renders into memory after a scan. All give the
/// same site, byte for byte, on the example site (feeds, home page, decision log intro and all;
/// feeds show two entries, and thirty older untagged posts are added).
#[test]
fn the_build_on_disk_equals_the_build_in_memory() {
    let site = TestSite::empty();
    let config =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lore.yaml"))
            .unwrap();
    site.write("lore.yaml", &format!("{config}feed_limit: 2\n"));
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        &site.root().join("content"),
    );
    for n in 1..=30 {
        site.write(
            &format!("content/posts/2020-01-{n:02}-older-{n}.md"),
            &format!(
                "---\ntitle: Older {n}\n---\n\nOlder post {n}, café.\n\n```rust\nfn f() {{}}\n```\n"
            ),
        );
    }
    let small = site.lore(&["build", "-v"]);
    let log = String::from_utf8_lossy(&small.stderr);
    assert!(small.status.success(), "{log}");
    assert!(log.contains("markdown rendered"), "rendered once: {log}");
    let on_disk = snapshot(&site.public());
    let entries = |path: &str| {
        String::from_utf8_lossy(&on_disk[path])
            .matches("<entry>")
            .count()
    };
    assert_eq!(entries("atom.xml"), 2, "feed_limit caps the site's feed");
    let tag_feed = on_disk
        .keys()
        .find(|p| p.starts_with("tags/") && p.ends_with("atom.xml"));
    assert!(
        entries(tag_feed.expect("a tag feed")) <= 2,
        "and each tag's"
    );
    let config = lore::SiteConfig::load(site.root(), &lore::Overrides::default()).unwrap();
    let in_memory = lore::build_site(config).unwrap().output;
    let in_memory: Files = in_memory
        .paths()
        .map(|p| (p.clone(), in_memory.read(p).unwrap().unwrap().into_owned()))
        .collect();
    assert_same_site(&on_disk, &in_memory, "built in memory");
    // The whole large-site path of `lore build`, taken here from one source on.
    let large = site
        .command(&["build", "--force", "-v", "-o", "public-large"])
        .env("LORE_LARGE_SITE", "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&large.stderr);
    assert!(large.status.success(), "{log}");
    let spilled = log
        .lines()
        .find_map(|l| l.split_once("HTML held in a temporary file: "))
        .unwrap_or_else(|| panic!("the large-site path holds HTML in a file: {log}"));
    assert_ne!(spilled.1, "0 KB", "{log}");
    let as_large = snapshot(&site.root().join("public-large"));
    assert_same_site(&on_disk, &as_large, "built as a large site");
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("lore-new"))
        .collect();
    assert!(leftovers.is_empty(), "nothing left beside: {leftovers:?}");
    let config = lore::SiteConfig::load(site.root(), &lore::Overrides::default()).unwrap();
    let theme = lore::theme::Theme::load(&config).unwrap();
    let loaded = lore::pipeline::load_site(config).unwrap();
    let kept = lore::render::render_to_memory(&loaded, &theme).unwrap();
    // Large sites write the search index, let go of its entries, then render the lists; others
    // write the two side by side. The order changes no byte.
    let index_first = lore::output::Sink::memory();
    let entries = lore::render::SearchEntries::DropBeforeLists;
    let dropped =
        lore::render::render_site(&loaded, &theme, &index_first, entries, Vec::new()).unwrap();
    assert!(dropped.is_empty(), "the entries are let go");
    assert!(
        kept == index_first.finish().unwrap(),
        "writing the index before the lists changes the site"
    );
}

type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// The same files with the same bytes (`how` says how `other` was built).
#[track_caller]
fn assert_same_site(site: &Files, other: &Files, how: &str) {
    assert_eq!(
        site.keys().collect::<Vec<_>>(),
        other.keys().collect::<Vec<_>>(),
        "{how}"
    );
    for (path, bytes) in site {
        assert!(bytes == &other[path], "{path} differs when {how}");
    }
}

/// A build that takes longer than a second shows a progress bar on a terminal (here a pseudo-
/// terminal from `script`), and none when its output is piped or when it is quicker.
#[test]
fn a_progress_bar_on_a_terminal_only() {
    if !std::path::Path::new("/usr/bin/script").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "/usr/bin/script (util-linux) is missing, and under CI this test must run"
        );
        eprintln!("NOTICE: skipping: /usr/bin/script is missing");
        return;
    }
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Many pages\n");
    for n in 0..500 {
        site.write(
            &format!("content/posts/2024-01-01-post-{n}.md"),
            &format!("---\ntitle: Post {n}\ntags: [t{}]\n---\n\nText {n}.\n\n```rust\nfn main() {{ println!(\"{n}\"); }}\n```\n", n % 10),
        );
    }
    // The bar's delay is shortened (LORE_PROGRESS_DELAY_MS) so that the test needs no slow build.
    let piped = site
        .command(&["build"])
        .env("LORE_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!stderr(&piped).contains("rendering"), "{}", stderr(&piped));

    let on_terminal = |delay_ms: &str| {
        let command = format!(
            "{} build --force {}",
            env!("CARGO_BIN_EXE_lore"),
            site.root().display()
        );
        let out = std::process::Command::new("/usr/bin/script")
            .args(["-qfec", &command, "/dev/null"])
            .env("LORE_PROGRESS_DELAY_MS", delay_ms)
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{shown}");
        assert!(shown.contains("Built 500 pages"), "{shown}");
        shown
    };
    // With no delay the bar is drawn as the first pages render (its thread starts at once,
    // long before 500 pages are done, in a debug or a release build).
    let shown = on_terminal("0");
    assert!(
        shown.contains("rendering") && shown.contains("pages ["),
        "{shown}"
    );
    // A build quicker than the delay shows none (an hour: no build here lasts that long).
    let shown = on_terminal("3600000");
    assert!(!shown.contains("rendering"), "{shown}");
}

#[test]
fn related_pages_share_the_most_tags_newest_first_five_at_most() {
    let site = TestSite::empty();
    let post = |slug: &str, title: &str, date: &str, tags: &str| {
        site.write(
            &format!("content/posts/{slug}.md"),
            &format!("---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\nText.\n"),
        );
    };
    post("me", "Me", "2024-01-10", "a, b, c");
    post("three", "Three shared", "2023-01-01", "a, b, c");
    post("two-old", "Two shared, older", "2022-01-01", "a, b");
    post("two-new", "Two shared, newer", "2024-01-05", "a, b");
    for (n, month) in [(1, "01"), (2, "02"), (3, "03"), (4, "04")] {
        post(
            &format!("one-{n}"),
            &format!("One shared {n}"),
            &format!("2021-{month}-01"),
            "c",
        );
    }
    post("none", "Nothing shared", "2024-01-09", "z");
    site.build_ok();
    let doc = site.html("posts/me/index.html");
    assert_eq!(
        texts(&doc, "section[aria-labelledby=lore-related] li > a"),
        [
            "Three shared",
            "Two shared, newer",
            "Two shared, older",
            "One shared 4",
            "One shared 3"
        ]
    );
}

#[test]
fn related_pages_are_chosen_among_those_written_around_the_same_time() {
    // 301 posts sharing one tag, a month apart: a page in the middle is offered the newest of
    // the hundred pages either side of it in the tag's list, not the tag's newest pages.
    let site = TestSite::empty();
    for n in 0..=300 {
        let date = format!("{}-{:02}-01", 2000 + n / 12, n % 12 + 1);
        site.write(
            &format!("content/posts/p{n:03}.md"),
            &format!("---\ntitle: Post {n}\ndate: {date}\ntags: [a]\n---\n\nText.\n"),
        );
    }
    site.build_ok();
    let doc = site.html("posts/p150/index.html");
    assert_eq!(
        texts(&doc, "section[aria-labelledby=lore-related] li > a"),
        ["Post 250", "Post 249", "Post 248", "Post 247", "Post 246"]
    );
    let newest = site.html("posts/p300/index.html");
    assert_eq!(
        texts(&newest, "section[aria-labelledby=lore-related] li > a"),
        ["Post 299", "Post 298", "Post 297", "Post 296", "Post 295"]
    );
}

#[test]
fn discovery_skips_hidden_temporary_dependency_and_output_files_and_reads_each_file_once() {
    // The output inside the content folder, and the ADR folder spelled another way than the
    // content folder's walk reaches it.
    let site = TestSite::empty();
    site.write(
        "lore.yaml",
        "title: T\noutput_dir: content/site\nadr_dirs: [./content/../content/decisions/]\n",
    );
    site.write("content/posts/kept.md", "# Kept\n\nText.\n");
    for skipped in [
        "content/posts/.kept.md.swp",
        "content/posts/#draft.md#",
        "content/posts/old.md~",
        "content/posts/copy.md.bak",
        "content/.hidden/secret.md",
        "content/node_modules/pkg/readme.md",
        "content/target/debug.md",
    ] {
        site.write(skipped, "# Skipped\n\nText.\n");
    }
    site.write(
        "content/decisions/0001-use-lore.md",
        "# 1. Use Lore\n\n## Status\n\nAccepted\n",
    );
    let first = site.build_ok();
    // Built again with the first build's output inside the content folder.
    let second = site.lore(&["build", "--force"]);
    assert!(second.status.success(), "{}", stderr(&second));
    for out in [&first, &second] {
        assert!(
            stdout(out).contains("Built 2 pages (1 posts, 1 ADRs, 0 docs)"),
            "{}",
            stdout(out)
        );
    }
    let output = site.root().join("content/site");
    assert!(output.join("posts/kept/index.html").is_file());
    assert!(
        !output.join("site").exists(),
        "the output was not read as content"
    );
    assert!(!output.join("node_modules").exists());
    assert!(!output.join("target").exists());
}

#[test]
fn project_relative_decision_links_resolve_by_a_unique_file_name() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: T\nadr_dirs: [team-a, team-b]\n");
    site.write("content/posts/hello.md", "# Hello\n\nText.\n");
    // Log4brains writes links relative to the project, not to the file.
    site.write(
        "team-a/20201028-old.md",
        "# Old\n\n- Status: superseded by [new](team-a/20201029-new.md)\n- Date: 2020-10-28\n",
    );
    site.write(
        "team-a/20201029-new.md",
        "# New\n\n- Status: accepted\n- Date: 2020-10-29\n",
    );
    // The same file name in both folders: a project-relative link to it decides nothing.
    for team in ["team-a", "team-b"] {
        site.write(
            &format!("{team}/20200101-shared.md"),
            "# Shared\n\n- Status: accepted\n- Date: 2020-01-01\n",
        );
    }
    site.write(
        "team-b/20200202-user.md",
        "# User\n\n- Status: superseded by [s](elsewhere/20200101-shared.md)\n- Date: 2020-02-02\n",
    );
    // A link that says where it starts is taken at its word, even to a unique file name.
    site.write(
        "team-a/20201030-third.md",
        "# Third\n\n- Status: accepted\n- Date: 2020-10-30\n\nSee [old](../wrong/20201028-old.md).\n",
    );
    site.build_ok();
    let old = resolved(&site, "adr/20201028-old/index.html", "a.rel-target", "href");
    assert!(
        old.contains(&"/kb/adr/20201029-new/".to_string()),
        "the unique file name decides: {old:?}"
    );
    let body_links = resolved(&site, "adr/20201028-old/index.html", ".prose a", "href");
    assert_eq!(
        body_links,
        ["/kb/adr/20201029-new/"],
        "a project-relative link in the text is resolved too"
    );
    let new = site.read("adr/20201029-new/index.html");
    assert!(
        new.contains("Supersedes"),
        "the inverse relation is derived"
    );
    let user = resolved(
        &site,
        "adr/team-b/20200202-user/index.html",
        "a.rel-target",
        "href",
    );
    let checked = site.lore(&["check"]);
    let check = format!("{}{}", stdout(&checked), stderr(&checked));
    assert!(
        check.contains("link `../wrong/20201028-old.md` leads to no page")
            && check.contains("link `elsewhere/20200101-shared.md` leads to no page"),
        "lore check still reports both: {check}"
    );
    assert!(!check.contains("team-a/20201029-new.md"), "{check}");
    assert!(
        user.is_empty(),
        "an ambiguous file name links nowhere: {user:?}"
    );
}

/// `lore build` keeps transparent huge pages on small sites; a large site's build turns them off
/// after the page pass, before the search index (its peak), unless the user sets
/// `MIMALLOC_ALLOW_THP`.
#[cfg(target_os = "linux")]
#[test]
fn large_builds_write_the_index_without_huge_pages() {
    let site = TestSite::empty();
    site.write(
        "content/posts/2024-01-01-one.md",
        "---\ntitle: One\n---\n\nText.\n",
    );
    let log_of = |env: &[(&str, &str)]| {
        let mut command = site.command(&["build", "--force", "-v"]);
        command.envs(env.iter().copied());
        let output = command.output().unwrap();
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{log}");
        log
    };
    const OFF: &str = "transparent huge pages off";
    assert!(!log_of(&[]).contains(OFF), "a small site");
    let large = log_of(&[("LORE_LARGE_SITE", "1")]);
    let at = |line: &str| {
        large
            .find(line)
            .unwrap_or_else(|| panic!("{line}: {large}"))
    };
    assert!(at("render pages:") < at(OFF), "{large}");
    assert!(at(OFF) < at("search index:"), "{large}");
    assert!(
        !log_of(&[("LORE_LARGE_SITE", "1"), ("MIMALLOC_ALLOW_THP", "1")]).contains(OFF),
        "the user's choice"
    );
}

/// `lore build` on a site below the large-site threshold renders posts and decisions once, as
/// the site is assembled: each one's outline and excerpt are what a scan gives, its Markdown is
/// let go (and read again from its file if asked for: the same HTML), and the pages lists show
/// inside themselves (the home page, the decision log's introduction) keep theirs.
#[test]
fn one_pass_assembly_lets_go_of_markdown_only_its_page_shows() {
    use lore::discover::Role;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = lore::SiteConfig::load(root, &lore::Overrides::default()).unwrap();
    let found = lore::discover::discover(&config);
    let docs: Vec<_> = (found.sources.iter().cloned())
        .map(|source| lore::document::load(source).unwrap())
        .collect();
    let assets = found.assets.clone();
    let scanned = lore::site::assemble(config.clone(), docs.clone(), assets, &|| false).unwrap();
    let keep_html = |page: lore::site::RenderedPage<'_>| page.body.html;
    let (site, html) =
        lore::site::assemble_rendered(config, docs, found.assets, &keep_html).unwrap();
    let (mut alone, mut shown_elsewhere) = (0, 0);
    for (i, page) in site.pages.iter().enumerate() {
        assert_eq!(page.outline, scanned.pages[i].outline, "{}", page.url);
        assert_eq!(page.excerpt, scanned.pages[i].excerpt, "{}", page.url);
        if matches!(page.doc.source.role, Role::Post | Role::Adr { .. }) {
            alone += 1;
            assert!(
                page.body_released && page.doc.body.is_empty(),
                "{}",
                page.url
            );
            let rendered = html[i].as_deref().expect("rendered in assembly");
            assert_eq!(site.body(i).html, rendered, "{} read again", page.url);
        } else {
            shown_elsewhere += 1;
            assert!(!page.body_released && html[i].is_none(), "{}", page.url);
            assert!(!page.doc.body.is_empty(), "{} keeps its Markdown", page.url);
        }
    }
    assert!(
        alone > 20 && shown_elsewhere >= 2,
        "{alone} {shown_elsewhere}"
    );
}

/// The README's override recipe: a site template extends the original and changes one block,
/// calls a component, reads a field only when it is defined (Tera 2 fails on a missing one),
/// and a site's `components.html` replaces the theme's.
#[test]
fn site_templates_extend_the_originals_and_replace_the_components() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/posts/2026-04-01-with-team.md",
        "---\ntitle: With a team\ndate: 2026-04-01\ntags: [engineering]\nextra:\n  team: \"R&D <core>\"\n---\n\nBody text.\n",
    );
    site.write(
        "templates/page.html",
        "{% extends \"lore/page.html\" %}\n{% block page_content %}<p class=\"notice\">Internal</p>{{ super() }}\
         {% if page.extra.team is defined %}<p class=\"team\">{{ page.extra.team }}</p>{% endif %}\
         {{<tag_list tags={page.tags} label=\"Topics\" />}}{% endblock page_content %}\n",
    );
    write_components_changed(
        &site,
        "<span class=\"badge status-",
        "<span class=\"badge custom status-",
    );
    site.build_ok();

    let with_team = site.html("posts/with-team/index.html");
    assert_eq!(texts(&with_team, ".prose .notice"), ["Internal"]);
    assert_eq!(texts(&with_team, ".prose .team"), ["R&D <core>"]);
    assert!(
        site.read("posts/with-team/index.html")
            .contains("R&amp;D &lt;core&gt;")
    );
    assert_eq!(
        texts(&with_team, ".prose p:not(.notice):not(.team)"),
        ["Body text."]
    );
    assert_eq!(
        attrs(&with_team, ".prose ul.tag-list", "aria-label"),
        ["Topics"]
    );
    let without = site.html("posts/third/index.html");
    assert!(select(&without, ".prose .team").is_empty());
    assert_eq!(texts(&without, ".prose .notice"), ["Internal"]);

    let adr = site.html("adr/0001-use-polling/index.html");
    assert!(
        !select(&adr, ".badge.custom").is_empty(),
        "the site's components.html is used"
    );
}

/// Tag pages and the home page show each post's `card`, the `page_card` component's HTML made
/// once per page: the same bytes as calling the component in the list, made from the site's
/// own component when it has one; a component that fails still fails the build at its line.
#[test]
fn list_cards_are_the_page_card_component_made_once_per_page() {
    let cached_call =
        "{% if p.card is defined %}{{ p.card }}{% else %}{{<page_card p={p} />}}{% endif %}";
    let lists = |site: &TestSite| {
        let mut files = snapshot(&site.public());
        files.retain(|path, _| path == "index.html" || path.starts_with("tags/"));
        files
    };
    let cached = TestSite::fixture("basic");
    cached.build_ok();
    let called = TestSite::fixture("basic");
    for (name, template) in [
        (
            "tag.html",
            include_str!("../themes/default/templates/tag.html"),
        ),
        (
            "index.html",
            include_str!("../themes/default/templates/index.html"),
        ),
    ] {
        assert!(
            template.contains(cached_call),
            "{name} shows no cached card"
        );
        let calling = template.replace(cached_call, "{{<page_card p={p} />}}");
        called.write(&format!("templates/{name}"), &calling);
    }
    called.build_ok();
    let cached_lists = lists(&cached);
    assert!(
        cached_lists
            .values()
            .filter(|html| String::from_utf8_lossy(html).contains("<article class=\"card card-post"))
            .count()
            >= 3,
        "tag pages and the home page show post cards"
    );
    assert_eq!(cached_lists, lists(&called));

    let own = TestSite::fixture("basic");
    write_components_changed(
        &own,
        "<article class=\"card card-",
        "<article class=\"card own card-",
    );
    own.build_ok();
    let home = own.html("index.html");
    assert!(!select(&home, ".card-list .card.own").is_empty());
    let tags = snapshot(&own.public().join("tags"));
    assert!(
        tags.values()
            .any(|html| String::from_utf8_lossy(html)
                .contains("<article class=\"card own card-post")),
        "the site's page_card makes the tag pages' cards"
    );

    let failing = TestSite::fixture("basic");
    write_components_changed(
        &failing,
        "<article class=\"card card-",
        "{{ p.no_such_field }}<article class=\"card card-",
    );
    let out = failing.lore(&["build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("components.html") && err.contains("no_such_field"),
        "{err}"
    );
}

/// Gives `site` the default theme's `components.html` with `markup` replaced by `with`.
fn write_components_changed(site: &TestSite, markup: &str, with: &str) {
    let components = include_str!("../themes/default/templates/components.html");
    let changed = components.replace(markup, with);
    assert_ne!(
        changed, components,
        "`{markup}` is no longer in components.html"
    );
    site.write("templates/components.html", &changed);
}

#[test]
fn an_output_folder_that_holds_sources_is_refused_and_the_sources_kept() {
    let site = TestSite::fixture("basic");
    site.write("static/logo.txt", "logo\n");
    site.write("templates/note.txt", "a note beside the templates\n");
    // The decision records in docs/adr instead of content/adr.
    std::fs::remove_dir_all(site.root().join("content/adr")).unwrap();
    site.write(
        "docs/adr/0001-use-lore.md",
        "# 1. Use Lore\n\n## Status\n\nAccepted\n",
    );
    site.write(
        "lore.yaml",
        &format!(
            "{}adr_dirs: [docs/adr]\n",
            std::fs::read_to_string(fixtures().join("basic/lore.yaml")).unwrap()
        ),
    );
    let before = snapshot(site.root());
    for (output, folder) in [
        ("static", "static"),
        ("templates", "templates"),
        ("docs", "decision records'"),
        ("docs/adr", "decision records'"),
    ] {
        let out = site.lore(&["build", "--force", "-o", output]);
        assert_eq!(out.status.code(), Some(1), "-o {output}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("the output folder contains the {folder} folder")),
            "-o {output}: {}",
            stderr(&out)
        );
    }
    assert!(
        snapshot(site.root()) == before,
        "a refused build changed the site"
    );
    // The same site builds into a folder of its own.
    assert!(site.lore(&["build", "-o", "site"]).status.success());
}

#[test]
fn an_output_folder_lore_did_not_make_is_replaced_only_with_force() {
    let site = TestSite::fixture("basic");
    site.write("notes/precious.txt", "not a build\n");
    let refused = site.lore(&["build", "-o", "notes"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("the output folder has files and was not made by Lore"),
        "{}",
        stderr(&refused)
    );
    assert!(site.root().join("notes/precious.txt").is_file());

    // An empty folder, or one Lore built before (even if the build since failed), is replaced.
    std::fs::create_dir(site.root().join("empty")).unwrap();
    assert!(site.lore(&["build", "-o", "empty"]).status.success());
    site.write(
        "content/posts/broken.md",
        "---\ntitle: [unclosed\n---\nText.\n",
    );
    assert_eq!(site.lore(&["build", "-o", "empty"]).status.code(), Some(1));
    std::fs::remove_file(site.root().join("content/posts/broken.md")).unwrap();
    let rebuilt = site.lore(&["build", "-o", "empty"]);
    assert!(rebuilt.status.success(), "{}", stderr(&rebuilt));

    // `public/`, or `output_dir` in lore.yaml, is a build folder by convention or configuration.
    site.write("public/stale.txt", "left by another tool\n");
    site.build_ok();
    assert!(!site.public().join("stale.txt").exists());

    let forced = site.lore(&["build", "--force", "-o", "notes"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(!site.root().join("notes/precious.txt").exists());
    assert!(site.root().join("notes/index.html").is_file());
}

#[cfg(unix)]
#[test]
fn an_output_folder_that_is_a_link_is_built_where_it_points() {
    let site = TestSite::fixture("basic");
    std::fs::create_dir(site.root().join("served")).unwrap();
    std::os::unix::fs::symlink("served", site.root().join("public")).unwrap();
    site.build_ok();
    site.build_ok();
    let link = site.root().join("public").symlink_metadata().unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    assert!(site.root().join("served/index.html").is_file());
}

#[test]
fn a_page_where_lore_writes_its_own_is_an_error_naming_it() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/posts/2024-01-01-tagged.md",
        "---\ntitle: T\ntags: [queues]\n---\nText.\n",
    );
    let before_public = {
        site.build_ok();
        snapshot(&site.public())
    };
    for (file, url) in [
        ("content/tags/queues.md", "/kb/tags/queues/"),
        ("content/tags.md", "/kb/tags/"),
        ("content/search/_index.md", "/kb/search/"),
        ("content/posts.md", "/kb/posts/"),
    ] {
        site.write(file, "---\ntitle: Mine\n---\nMy own text.\n");
        let out = site.lore(&["build"]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{file}: error: this page's URL {url} is also where Lore writes another file"
            )),
            "{file}: {}",
            stderr(&out)
        );
        assert!(
            snapshot(&site.public()) == before_public,
            "{file}: the output changed"
        );
        std::fs::remove_file(site.root().join(file)).unwrap();
    }
    // A static file at a page's path would replace the page too.
    site.write("static/posts/tagged/index.html", "<p>static</p>\n");
    let out = site.lore(&["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("content/posts/2024-01-01-tagged.md: error"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tags_told_apart_by_plus_or_sharp_are_different_tags() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/posts/2024-01-01-langs.md",
        "---\ntitle: Langs\ntags: [C, C++, \"C#\", c]\n---\nText.\n",
    );
    site.write(
        "content/posts/2024-01-02-cpp.md",
        "---\ntitle: Cpp\ntags: [c++]\n---\nText.\n",
    );
    site.build_ok();
    for (slug, name, pages) in [
        ("c", "C", 1),
        ("c-plus-plus", "C++", 2),
        ("c-sharp", "C#", 1),
    ] {
        let page = site.html(&format!("tags/{slug}/index.html"));
        assert_eq!(texts(&page, "h1"), [format!("#{name}")], "tags/{slug}/");
        let mut listed = attrs(&page, "main a", "href");
        listed.retain(|href| href.ends_with("/langs/") || href.ends_with("/cpp/"));
        listed.dedup();
        assert_eq!(listed.len(), pages, "tags/{slug}/: {listed:?}");
    }
    let cpp = site.html("posts/cpp/index.html");
    assert_eq!(
        attrs(&cpp, "a[rel=tag]", "href"),
        ["../../tags/c-plus-plus/"]
    );
    assert_eq!(texts(&cpp, "a[rel=tag]"), ["C++"]);
}

#[test]
fn a_folder_introduced_twice_is_a_warning_naming_both_files() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/guides/README.md",
        "# Guides, again\n\nOther words.\n",
    );
    let out = site.build_ok();
    // `_index.md` is preferred whatever the file order (README.md sorts first).
    assert!(site.read("guides/index.html").contains("Guides"));
    assert!(!site.read("guides/index.html").contains("Other words."));
    assert!(
        stderr(&out).contains(
            "content/guides/README.md: warning: guides/_index.md introduces this folder too"
        ),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn a_dangling_link_and_a_pipe_are_skipped_with_a_warning_that_says_which() {
    let site = TestSite::fixture("basic");
    std::os::unix::fs::symlink("nowhere.md", site.root().join("content/posts/dangling.md"))
        .unwrap();
    let fifo = site.root().join("content/posts/pipe.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let out = site.build_ok();
    let said = stderr(&out);
    assert!(
        said.contains("content/posts/dangling.md: warning: skipped: a symbolic link to `nowhere.md`, which does not exist"),
        "{said}"
    );
    if made.is_ok_and(|s| s.success()) {
        assert!(
            said.contains("content/posts/pipe.md: warning: skipped: not a regular file"),
            "{said}"
        );
    }
}

#[test]
fn hidden_entries_of_the_output_folder_are_kept_across_builds() {
    // A gh-pages checkout as the output: its .git stays; the site is replaced around it.
    let site = TestSite::fixture("basic");
    site.write("public/.git/HEAD", "ref: refs/heads/gh-pages\n");
    site.write("public/.nojekyll", "");
    site.write("public/stale.html", "old\n");
    site.build_ok();
    assert_eq!(
        std::fs::read_to_string(site.public().join(".git/HEAD")).unwrap(),
        "ref: refs/heads/gh-pages\n"
    );
    assert!(site.public().join(".nojekyll").is_file());
    assert!(!site.public().join("stale.html").exists());
    assert!(site.public().join("index.html").is_file());
    // Unchanged inputs are still recognised with them there, and a forced build keeps them too.
    let again = site.lore(&["build"]);
    assert!(
        stdout(&again).starts_with("Unchanged since the last build"),
        "{}",
        stdout(&again)
    );
    assert!(site.lore(&["build", "--force"]).status.success());
    assert!(site.public().join(".git/HEAD").is_file());
    // A folder holding only hidden entries counts as empty for -o.
    site.write("pages/.git/HEAD", "ref: refs/heads/gh-pages\n");
    let out = site.lore(&["build", "-o", "pages"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(site.root().join("pages/.git/HEAD").is_file());
    assert!(site.root().join("pages/index.html").is_file());
}

#[test]
fn cards_show_eight_tags_and_link_to_the_rest() {
    let site = TestSite::fixture("basic");
    let tags: Vec<String> = (1..=300).map(|n| format!("t{n:03}")).collect();
    site.write(
        "content/posts/2024-01-01-many.md",
        &format!(
            "---\ntitle: Many\ntags: [{}]\n---\nText.\n",
            tags.join(", ")
        ),
    );
    site.build_ok();
    let page = site.html("posts/many/index.html");
    assert_eq!(
        texts(&page, "main a[rel=tag]").len(),
        300,
        "the page shows all"
    );
    for tag in ["t001", "t150", "t300"] {
        let list = site.html(&format!("tags/{tag}/index.html"));
        let card = select(&list, ".card")
            .into_iter()
            .find(|c| c.html().contains("Many"))
            .expect("the post's card");
        let card = scraper::Html::parse_fragment(&card.html());
        assert_eq!(
            texts(&card, "a[rel=tag]"),
            tags[..8].to_vec(),
            "tags/{tag}/"
        );
        assert_eq!(texts(&card, "a.tag-more"), ["+292 more"]);
        assert_eq!(attrs(&card, "a.tag-more", "href"), ["../../posts/many/"]);
        // 300 tag pages each with the card: its size must not grow with the tags.
        assert!(site.read(&format!("tags/{tag}/index.html")).len() < 20_000);
    }
}

#[test]
fn a_decision_folder_introduced_twice_uses_index_md_and_warns() {
    let site = TestSite::fixture("basic");
    site.write("content/adr/index.md", "# Our decisions\n\nIndex words.\n");
    let out = site.build_ok();
    let log = site.read("adr/index.html");
    assert!(
        log.contains("Index words."),
        "index.md is used, as for doc folders"
    );
    assert!(
        stderr(&out)
            .contains("content/adr/README.md: warning: adr/index.md introduces this folder too"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_log_filters_each_status_apart_even_those_shown_alike() {
    let site = TestSite::fixture("basic");
    for (n, status) in [(7, "Implemented"), (8, "Withdrawn"), (9, "Withdrawn")] {
        site.write(
            &format!("content/adr/000{n}-record-{n}.md"),
            &format!("# {n}. Record {n}\n\nDate: 2024-01-0{n}\n\n## Status\n\n{status}\n\n## Context\n\nText.\n"),
        );
    }
    site.build_ok();
    let log = site.html("adr/index.html");
    let chips = attrs(&log, ".status-counts .status-chip", "data-status");
    assert!(
        chips.contains(&"implemented".to_string()) && chips.contains(&"withdrawn".to_string()),
        "{chips:?}"
    );
    let rows = attrs(&log, "tr[data-status=withdrawn]", "data-number");
    assert_eq!(rows, ["8", "9"]);
    assert_eq!(
        attrs(&log, "tr[data-status=implemented]", "data-number"),
        ["7"]
    );
    let options = attrs(&log, "#f-status option", "value");
    assert!(options.contains(&"withdrawn".to_string()), "{options:?}");
    // Both are drawn as "other" statuses.
    assert_eq!(
        select(&log, "a[data-status=withdrawn] .badge.status-other").len(),
        1
    );
}

#[test]
fn a_records_title_and_status_lose_their_markdown() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/adr/0012-rust-core.md",
        "# 12. Use *Rust* for `core` & tools\n\nDate: 2024-02-01\n\n## Status\n\n**Accepted** ([\\#14](https://x.org/14))\n\n## Context\n\nSpeed matters.\n",
    );
    site.build_ok();
    let page = site.html("adr/0012-rust-core/index.html");
    assert_eq!(texts(&page, "h1.page-title"), ["Use Rust for core & tools"]);
    let html = site.read("adr/0012-rust-core/index.html");
    assert!(
        html.contains("<meta name=\"description\" content=\"Speed matters.\""),
        "the excerpt is the context, not the date"
    );
    assert!(
        !html.contains("**Accepted**") && !html.contains("\\#14"),
        "{html}"
    );
}

#[test]
fn a_decision_folders_template_is_not_published_and_its_tools_keys_are_not_warned() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/adr/template.md",
        "# [short title of solved problem and solution]\n\nSee [x](yyyymmdd-xxx.md).\n",
    );
    site.write(
        "content/adr/0009-powershell-style.md",
        "---\nRFC: RFC0009\nAuthor: Ann Lee\nComments Due: 5/31/2016\nstauts: accepted\n---\n# 9. PowerShell style\n\n## Status\n\nAccepted\n",
    );
    let out = site.build_ok();
    assert!(!site.public().join("adr/template").exists());
    assert!(
        !site
            .read("search/manifest.js")
            .contains("short title of solved")
    );
    let said = stderr(&out);
    assert!(
        !said.contains("`RFC`") && !said.contains("Comments Due"),
        "{said}"
    );
    assert!(
        said.contains("unknown front matter key `stauts`"),
        "a typo still is: {said}"
    );
    assert!(
        site.read("adr/0009-powershell-style/index.html")
            .contains("Ann Lee")
    );
    let check = site.lore(&["check"]);
    assert!(
        !stdout(&check).contains("template.md"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn a_configured_decision_folder_that_is_not_there_is_named_as_such() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Site\nadr_dirs: [docs/adr]\n");
    site.write(
        "content/posts/2026-01-01-a.md",
        "---\ntitle: A\n---\nText.\n",
    );
    let said = stderr(&site.build_ok());
    assert!(
        said.contains("docs/adr: warning: skipped: this folder does not exist"),
        "{said}"
    );
}

#[test]
fn a_nested_folders_readme_is_the_page_its_section_links_to() {
    let site = TestSite::fixture("basic");
    site.write("content/guides/tools/README.md", "# Tools\n\nTool words.\n");
    site.write("content/guides/tools/index.md", "# Tools\n\nIndex words.\n");
    site.build_ok();
    let tools = site.read("guides/tools/index.html");
    assert!(
        tools.contains("Index words."),
        "index.md is preferred, as for top folders: {tools}"
    );
    let section = site.html("guides/index.html");
    let links = attrs(&section, "main a", "href");
    let to_tools = links.iter().filter(|l| *l == "../guides/tools/").count();
    assert_eq!(to_tools, 1, "listed once: {links:?}");
}

#[test]
fn records_filed_by_status_relate_and_number_across_their_folders() {
    // PowerShell's RFC repository, read as it is: a folder per status, one numbering.
    let site = TestSite::empty();
    let rfc = |n: u32, status: &str, extra: &str| {
        format!("---\nRFC: RFC000{n}\nStatus: {status}\n{extra}---\n# RFC {n}\n\nText.\n")
    };
    site.write(
        "Archive/Rejected/RFC0001-first.md",
        &rfc(1, "Rejected", "SupercededBy: RFC0002\n"),
    );
    site.write("Archive/Rejected/RFC0003-third.md", &rfc(3, "Rejected", ""));
    site.write("Final/RFC0002-second.md", &rfc(2, "Final", ""));
    site.write("Final/RFC0004-fourth.md", &rfc(4, "Final", ""));
    let check = site.lore(&["check"]);
    let said = stdout(&check);
    assert!(!said.contains("no decision of this site"), "{said}");
    assert!(!said.contains("jump from"), "{said}");
    site.build_ok();
    let (_, second) = walk_html(&site.public())
        .into_iter()
        .find(|(path, _)| path.contains("rfc0002"))
        .expect("RFC 2's page");
    assert!(
        second.contains("Supersedes"),
        "the relation holds both ways"
    );
}

/// Every HTML file under `dir`: (path, text).
fn walk_html(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk_html(&path));
        } else if path.extension().is_some_and(|e| e == "html") {
            found.push((
                path.to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    found
}

/// adr-tools' `adr new -l "1:Clarifies:Clarified by"` writes its own verbs into both records;
/// a record opening with `## Title` and no H1 (Thanos' proposals) is titled by it.
#[test]
fn record_verbs_and_h2_titles_read_as_written() {
    let site = TestSite::empty();
    site.write(
        "content/adr/0001-record-decisions.md",
        "# 1. Record decisions\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\nClarified by [2. Use <queues>](0002-use-queues.md)\n\nRelates to [3. Plain](0003-plain.md)\n",
    );
    site.write(
        "content/adr/0002-use-queues.md",
        "# 2. Use <queues>\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\nClarifies [1. Record decisions](0001-record-decisions.md)\n",
    );
    site.write(
        "content/adr/0003-plain.md",
        "\n## Introduce a Query gRPC API\n\n* **Status:** accepted\n\n## Why\n\nBecause.\n",
    );
    site.write(
        "content/adr/0004-tune.md",
        "---\ntitle: Tune\nstatus: accepted\nrelates_to: [1]\n---\nText.\n",
    );
    site.build_ok();
    let fourth = site.html("adr/0004-tune/index.html");
    assert_eq!(
        texts(&fourth, ".adr-meta-row.rel-relates_to dt"),
        vec!["Relates to"],
        "Lore's own key is the generic verb"
    );
    let first = site.html("adr/0001-record-decisions/index.html");
    let labels = texts(&first, ".adr-meta-row.rel-relates_to dt");
    assert_eq!(labels, vec!["Clarified by", "Relates to"]);
    let second = site.html("adr/0002-use-queues/index.html");
    assert_eq!(
        texts(&second, ".adr-meta-row.rel-relates_to dt"),
        vec!["Clarifies"]
    );
    let third = site.html("adr/0003-plain/index.html");
    assert_eq!(texts(&third, "h1"), vec!["Introduce a Query gRPC API"]);
    assert!(texts(&third, "h2").iter().all(|h| !h.contains("gRPC")));
    // Its preamble, between the title and the first section, is read as MADR 2's.
    assert_eq!(select(&third, "article.status-accepted").len(), 1);
}

/// A number in a relation names the decision of that number in the relating file's own
/// folder first: `payments/0002-two.md`'s `supersedes: [1]` is `payments/0001-one.md`.
#[test]
fn a_relation_by_number_stays_in_its_folder() {
    let site = TestSite::empty();
    let record = |title: &str, status: &str, extra: &str| {
        format!("---\ntitle: {title}\nstatus: {status}\n{extra}---\nText.\n")
    };
    site.write(
        "content/adr/0001-one.md",
        &record("Top one", "accepted", ""),
    );
    site.write(
        "content/adr/payments/0001-one.md",
        &record("Payments one", "superseded", ""),
    );
    site.write(
        "content/adr/payments/0002-two.md",
        &record("Payments two", "accepted", "supersedes: [1]\n"),
    );
    let listed = site.lore(&["list", "--json", "--kind", "adr"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let by_title = |t: &str| entries.iter().find(|e| e["title"] == t).unwrap().clone();
    assert_eq!(
        by_title("Payments one")["superseded_by"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(by_title("Top one")["superseded_by"], serde_json::json!([]));
    let check = site.lore(&["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}

/// A relation naming no decision (`supersedes: [42]`) is left out of the graph with a warning
/// from `lore build`, not silently; `lore check` fails on it.
#[test]
fn a_relation_to_no_decision_is_warned_by_the_build() {
    let site = TestSite::empty();
    site.write(
        "content/adr/0001-one.md",
        "---\ntitle: One\nstatus: accepted\nsupersedes: [42]\n---\nText.\n",
    );
    let out = site.build_ok();
    let err = stderr(&out);
    assert!(
        err.contains("content/adr/0001-one.md:4:")
            && err.contains("warning: `supersedes` names `42`, which is no decision of this site"),
        "{err}"
    );
    assert!(!site.lore(&["check"]).status.success());
    // The same warning when nothing changed since.
    assert!(stderr(&site.build_ok()).contains("names `42`"));
}

/// Two decision folders of the same name (`a/decisions`, `b/decisions`) are told apart by
/// their paths, in URLs and ids; an id in a relation names the relating folder's decision.
#[test]
fn decision_folders_of_one_name_are_told_apart() {
    let site = TestSite::empty();
    let record = |title: &str, status: &str, extra: &str| {
        format!("---\ntitle: {title}\nstatus: {status}\n{extra}---\nText.\n")
    };
    site.write("a/decisions/0001-one.md", &record("A one", "accepted", ""));
    site.write("a/decisions/0002-two.md", &record("A two", "accepted", ""));
    site.write(
        "b/decisions/0001-one.md",
        &record("B one", "superseded", ""),
    );
    site.write(
        "b/decisions/0002-two.md",
        &record("B two", "accepted", "supersedes: [0001-one]\n"),
    );
    let listed = site.lore(&["list", "--json", "--kind", "adr"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let mut ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "0001-one",
            "0002-two",
            "b/decisions/0001-one",
            "b/decisions/0002-two"
        ]
    );
    let by_title = |t: &str| entries.iter().find(|e| e["title"] == t).unwrap().clone();
    assert_eq!(
        by_title("B one")["superseded_by"],
        serde_json::json!(["b/decisions/0002-two"])
    );
    assert_eq!(by_title("A one")["superseded_by"], serde_json::json!([]));
    site.build_ok();
    assert!(
        site.public()
            .join("adr/b/decisions/0001-one/index.html")
            .is_file()
    );
    assert!(site.public().join("adr/0001-one/index.html").is_file());
}

/// A folder of meeting notes below a decision folder whose records are numbered is no folder
/// of records (PowerShell's `notes/`); a record file without an extension (`0003-x`) is one.
#[test]
fn notes_below_a_decision_folder_are_pages_and_extensionless_records_are_records() {
    let site = TestSite::empty();
    site.write(
        "content/adr/0001-record-decisions.md",
        "# 1. Record decisions\n\n## Status\n\nAccepted\n",
    );
    site.write(
        "content/adr/Final/RFC0002-use-queues.md",
        "# Use queues\n\n## Status\n\nAccepted\n",
    );
    site.write(
        "content/adr/notes/20190610 - RFC Discussion Notes.md",
        "# RFC Discussion Notes\n\nWe talked.\n",
    );
    site.write(
        "content/adr/0003-no-extension",
        "# 3. No extension\n\n## Status\n\nProposed\n",
    );
    site.build_ok();
    let log = site.html("adr/index.html");
    let listed = texts(&log, "main a");
    assert!(
        listed.iter().any(|t| t.contains("Use queues")),
        "{listed:?}"
    );
    assert!(
        listed.iter().any(|t| t.contains("No extension")),
        "{listed:?}"
    );
    assert!(
        !listed.iter().any(|t| t.contains("Discussion Notes")),
        "{listed:?}"
    );
    let record = site.html("adr/0003-no-extension/index.html");
    assert_eq!(texts(&record, "h1"), vec!["No extension"]);
    assert!(!site.public().join("adr/0003-no-extension").is_file());
    let notes = site.read("adr/notes/20190610-rfc-discussion-notes/index.html");
    assert!(notes.contains("We talked."));
    assert!(
        !notes.contains("page-adr"),
        "notes are a page, not a record"
    );
}

/// A content folder named like a list Lore makes (`tags/`) would have its list written over
/// that one's, or the other way round, depending on which was written last.
#[test]
fn a_folder_whose_list_is_at_a_list_lore_makes_fails_the_build() {
    let site = TestSite::empty();
    site.write("content/tags/rust.md", "# About Rust\n\nText.\n");
    site.write(
        "content/guides/start.md",
        "---\ntags: [ops]\n---\n# Start\n\nText.\n",
    );
    let out = site.lore(&["build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("content/tags/rust.md"), "{err}");
    assert!(
        err.contains("the folder `tags` makes a list at /tags/"),
        "{err}"
    );
    assert!(!err.contains("guides"), "{err}");
}

/// `aliases:` writes a redirect at each earlier URL, as Hugo and Zola do: site-absolute ones
/// below the base path, others beside the page, `.html` ones as that file; links to an alias
/// lead to the page; the sitemap lists none of them.
#[test]
fn aliases_redirect_earlier_urls_to_the_page() {
    let site = TestSite::empty();
    site.write(
        "lore.yaml",
        "title: Moves\nbase_url: https://example.com/kb/\n",
    );
    site.write(
        "content/posts/2026-01-05-launch.md",
        "---\naliases: [/blog/launch/, old-launch, \"/2019/05/launch.html\", /kb/news/launch]\n---\n# Launch\n\n## Details\n\nWe launched.\n",
    );
    site.write(
        "content/posts/2026-01-06-next.md",
        "Read [the launch](/blog/launch/#details) again.\n",
    );
    site.write(
        "content/adr/0001-use-x.md",
        "---\nstatus: accepted\naliases: [/decisions/1/]\n---\n# Use X\n\nText.\n",
    );
    site.build_ok();
    let to_launch = [
        ("blog/launch/index.html", "../../posts/launch/"),
        ("posts/old-launch/index.html", "../../posts/launch/"),
        ("2019/05/launch.html", "../../posts/launch/"),
        ("news/launch/index.html", "../../posts/launch/"),
    ];
    for (path, relative) in to_launch {
        let html = site.read(path);
        let doc = scraper::Html::parse_document(&html);
        assert_eq!(
            attrs(&doc, "meta[http-equiv=refresh]", "content"),
            [format!("0; url={relative}")],
            "{path}"
        );
        assert_eq!(
            attrs(&doc, "link[rel=canonical]", "href"),
            ["https://example.com/kb/posts/launch/"],
            "{path}"
        );
        assert_eq!(attrs(&doc, "meta[name=robots]", "content"), ["noindex"]);
        assert_eq!(attrs(&doc, "a#moved", "href"), [relative], "{path}");
    }
    let decision = site.html("decisions/1/index.html");
    assert_eq!(
        attrs(&decision, "meta[http-equiv=refresh]", "content"),
        ["0; url=../../adr/0001-use-x/"]
    );
    // A link to the old URL is written with the page's URL, its fragment kept.
    let next = site.html("posts/next/index.html");
    assert_eq!(
        attrs(&next, "article a[href*=launch]", "href")[0],
        "../../posts/launch/#details"
    );
    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.com/kb/posts/launch/</loc>"));
    for redirect in ["blog/", "old-launch", "2019", "news/", "decisions/"] {
        assert!(!sitemap.contains(redirect), "{redirect} in {sitemap}");
    }
    let check = site.lore(&["check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

/// An alias that cannot be a path fails the build at the alias. One that is a page's URL,
/// another page's alias (translations of a Hugo site repeat their original's), a list Lore
/// writes or a static file is left out with a warning, and what is there stays.
#[test]
fn aliases_that_are_no_path_fail_and_clashing_ones_are_left_out() {
    let errors = [
        ("[\"https://old.example.com/x/\"]", "is a whole URL"),
        ("[\"/x/?page=2\"]", "has a query or a fragment"),
        ("[\"mailto:ann@example.org\"]", "is a whole URL"),
        ("[/../../etc/]", "climbs above the site's root"),
        ("[/]", "is the site's root"),
        ("{a: 1}", "`aliases` must be a list, not a map"),
    ];
    for (aliases, expected) in errors {
        let site = TestSite::empty();
        site.write("lore.yaml", "title: Clash\n");
        site.write(
            "content/posts/moved.md",
            &format!("---\ntitle: Moved\naliases: {aliases}\n---\nMoved.\n"),
        );
        let out = site.lore(&["build"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{aliases}: {err}");
        assert!(err.contains(expected), "{aliases}: {err}");
        assert!(
            err.contains("content/posts/moved.md:3:"),
            "{aliases}: {err}"
        );
    }
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Clash\n");
    site.write("static/files/index.html", "STATIC");
    site.write("static/notes.txt", "NOTES");
    site.write(
        "content/posts/a-first.md",
        "---\naliases: [/shared/]\n---\nFirst.\n",
    );
    site.write(
        "content/posts/the-moved.md",
        "---\ntitle: Moved\naliases: [/posts/a-first/, /shared/, /tags/, /posts/, /files/, /posts/the-moved/, /kept/, /atom.xml, /notes.txt, /posts/a-first/index.html/x/, \"/docs/*\", \"/a\\\\b/\"]\n---\nMoved.\n",
    );
    let out = site.build_ok();
    let err = stderr(&out);
    for expected in [
        "content/posts/the-moved.md:3:11: warning: alias `/posts/a-first/` is the URL of content/posts/a-first.md, so it is left out",
        "alias `/shared/` is also an alias of content/posts/a-first.md, so it is left out",
        "alias `/tags/` is where Lore writes tag pages, so it is left out",
        "alias `/posts/` is where Lore writes the list of /posts/, so it is left out",
        "alias `/files/` is the URL of static/files/index.html, so it is left out",
        "alias `/posts/the-moved/` is this page's own URL, so it is left out",
        "alias `/atom.xml` is where Lore writes the feed, so it is left out",
        "alias `/notes.txt` is the URL of static/notes.txt, so it is left out",
        "alias `/posts/a-first/index.html/x/` is the URL of content/posts/a-first.md, so it is left out",
        "alias `/docs/*` holds a character no file name may hold on every system",
        "the-moved.md:3:1: warning: alias `/a\\b/` holds a character",
    ] {
        assert!(err.contains(expected), "no {expected:?} in:\n{err}");
    }
    assert!(site.read("posts/a-first/index.html").contains("First."));
    assert!(site.read("shared/index.html").contains("posts/a-first/"));
    assert!(site.read("posts/index.html").contains("Moved"));
    assert_eq!(site.read("files/index.html"), "STATIC");
    assert_eq!(site.read("notes.txt"), "NOTES");
    assert!(
        !site.public().join("atom.xml").exists(),
        "no feed here, and no redirect folder"
    );
    assert!(site.read("kept/index.html").contains("posts/the-moved/"));
}

/// Mermaid is written out, and loaded, only where a page has a diagram.
#[test]
fn mermaid_is_shipped_only_with_a_diagram() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Diagrams\n");
    site.write("content/posts/plain.md", "No diagram.\n");
    site.build_ok();
    assert!(!site.public().join("assets/vendor").exists());
    assert!(!site.read("posts/plain/index.html").contains("mermaid"));
    site.write(
        "content/posts/drawn.md",
        "```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n",
    );
    site.build_ok();
    assert!(site.public().join("assets/vendor/mermaid.min.js").is_file());
    assert!(
        site.public()
            .join("assets/vendor/mermaid.LICENSE")
            .is_file()
    );
    let drawn = site.html("posts/drawn/index.html");
    let scripts = attrs(&drawn, "script[src]", "src");
    assert!(
        scripts[0].starts_with("../../assets/vendor/mermaid.min.js?v="),
        "{scripts:?}"
    );
    assert_eq!(texts(&drawn, "pre.mermaid"), ["sequenceDiagram A->>B: hi"]);
    assert!(!site.read("posts/plain/index.html").contains("mermaid"));
}

/// A comment opening a file (Log4brains' index.md: `<!-- This file is the homepage… -->`)
/// does not hide the H1 after it: the decision log is titled by it, and shows one `h1`.
#[test]
fn a_leading_comment_does_not_hide_the_title() {
    let site = TestSite::empty();
    site.write(
        "docs/adr/index.md",
        "<!-- This file is the homepage of your knowledge base.\n     Edit it as you want -->\n\n# Architecture knowledge base\n\nWelcome.\n",
    );
    site.write(
        "docs/adr/20240101-use-x.md",
        "# Use X\n\n- Status: accepted\n\n## Context\n\nText.\n",
    );
    let out = lore_in(site.root(), &["build", "docs", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = std::fs::read_to_string(site.root().join("docs/public/adr/index.html")).unwrap();
    let log = scraper::Html::parse_document(&log);
    assert_eq!(texts(&log, "h1"), ["Architecture knowledge base"]);
    let notes = TestSite::empty();
    notes.write("lore.yaml", "title: Notes\n");
    notes.write(
        "content/notes.md",
        "<!-- generated -->\n# Release notes\n\nText.\n",
    );
    notes.build_ok();
    assert_eq!(
        texts(&notes.html("notes/index.html"), "h1"),
        ["Release notes"]
    );
}

/// A link's query and fragment survive its rewriting, to a file beside the page (a PDF's
/// `#page=3`), to another page, and site-absolute.
#[test]
fn links_keep_their_query_and_fragment() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Links\n");
    site.write(
        "content/posts/2026-03-01-bundle/index.md",
        "[a](spec.pdf#page=3) [b](shot.png?raw=1#frag) [c](../other.md?ref=x#top) [d](/posts/other/?ref=y#top) [e](/posts/bundle/spec.pdf?v=2)\n",
    );
    site.write("content/posts/2026-03-01-bundle/spec.pdf", "PDF");
    site.write("content/posts/2026-03-01-bundle/shot.png", "PNG");
    site.write("content/posts/other.md", "## Top\n\nOther.\n");
    site.build_ok();
    let links = attrs(&site.html("posts/bundle/index.html"), ".prose a", "href");
    assert_eq!(
        links,
        [
            "../../posts/bundle/spec.pdf#page=3",
            "../../posts/bundle/shot.png?raw=1#frag",
            "../../posts/other/?ref=x#top",
            "../../posts/other/?ref=y#top",
            "../../posts/bundle/spec.pdf?v=2",
        ]
    );
}

/// Headings, footnotes and the theme share a page's ids: `## Main`, `## Related`, `[^1]` next
/// to `## 1`, the decision log's `# Decisions` met the theme's own and links went astray.
#[test]
fn content_ids_never_meet_the_themes() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Ids\n");
    let headings = "## Main\n\n## Related\n\n## Backlinks\n\n## Site nav\n\n## TOC title\n\n## 1\n\nText[^1] and [^main].\n\n[^1]: One.\n[^main]: Two.\n";
    site.write(
        "content/posts/a.md",
        &format!("---\ntags: [x]\n---\nSee [b](b.md).\n\n{headings}"),
    );
    site.write(
        "content/posts/b.md",
        "---\ntags: [x]\n---\nSee [a](a.md).\n",
    );
    site.write(
        "content/adr/index.md",
        "# Decisions\n\n## About\n\n## Timeline\n\n## Graph\n",
    );
    site.write(
        "content/adr/0001-a.md",
        "---\nstatus: accepted\n---\n# A\n\n## Related\n",
    );
    site.write(
        "content/adr/0002-b.md",
        "---\nstatus: accepted\nsupersedes: [1]\n---\n# B\n",
    );
    site.build_ok();
    for page in [
        "posts/a/index.html",
        "adr/index.html",
        "adr/0001-a/index.html",
    ] {
        let html = site.html(page);
        let mut seen = std::collections::BTreeSet::new();
        for id in attrs(&html, "[id]", "id") {
            assert!(seen.insert(id.clone()), "{page}: id {id:?} twice");
        }
        let wanted: &[&str] = match page {
            "posts/a/index.html" => &["main", "related", "backlinks", "1", "fn-1", "fnref-main"],
            "adr/index.html" => &["decisions", "about", "timeline", "graph"],
            _ => &["related"],
        };
        for id in wanted {
            assert!(seen.contains(*id), "{page}: no id {id}");
        }
    }
}

/// `:tada:` is 🎉 as on GitHub, unless `markdown.emoji: false`.
#[test]
fn emoji_shortcodes_follow_the_configuration() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Emoji\n");
    site.write("content/posts/party.md", "Shipped :tada: at 10:30:00.\n");
    site.build_ok();
    assert!(
        site.read("posts/party/index.html")
            .contains("Shipped 🎉 at 10:30:00.")
    );
    site.write("lore.yaml", "title: Emoji\nmarkdown:\n  emoji: false\n");
    site.build_ok();
    assert!(
        site.read("posts/party/index.html")
            .contains("Shipped :tada: at 10:30:00.")
    );
}

/// A list with nothing to list is not written, linked or in the sitemap: no posts list for a
/// decision log read without lore.yaml, no decision log for a blog without decisions.
#[test]
fn no_empty_posts_list_or_decision_log() {
    let log = TestSite::empty();
    log.write(
        "docs/adr/0001-use-x.md",
        "# 1. Use X\n\n## Status\n\nAccepted\n",
    );
    let out = lore_in(log.root(), &["build", "docs/adr", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let public = log.root().join("docs/adr/public");
    assert!(public.join("adr/index.html").is_file());
    assert!(!public.join("posts").exists());
    let read = |rel: &str| std::fs::read_to_string(public.join(rel)).unwrap();
    assert!(
        !read("sitemap.xml").contains("/posts/"),
        "{}",
        read("sitemap.xml")
    );
    assert!(!read("404.html").contains("posts/"), "{}", read("404.html"));

    let blog = TestSite::empty();
    blog.write("lore.yaml", "title: Blog\n");
    blog.write("content/posts/hello.md", "See [the log](/adr/).\n");
    let check = blog.lore(&["check"]);
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("link `/adr/` leads to no page"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    blog.write("content/posts/hello.md", "Hello.\n");
    blog.build_ok();
    assert!(!blog.public().join("adr").exists());
    for page in [
        "index.html",
        "404.html",
        "posts/hello/index.html",
        "search/index.html",
    ] {
        let html = blog.read(page);
        assert!(!html.contains("adr/"), "{page} links the decision log");
    }
    assert!(!blog.read("index.html").contains("Recent decisions"));
    // No tags either: no tag index, and nothing links one.
    assert!(!blog.public().join("tags").exists());
    for page in ["index.html", "404.html", "search/index.html"] {
        assert!(
            !blog.read(page).contains("tags/"),
            "{page} links the tag index"
        );
    }
    assert!(!blog.read("sitemap.xml").contains("tags/"));

    // A lore.yaml site of docs alone has no posts list.
    let docs = TestSite::empty();
    docs.write(
        "lore.yaml",
        "title: Docs
",
    );
    docs.write(
        "content/guides/setup.md",
        "---
tags: [ops]
---
Setup.
",
    );
    docs.build_ok();
    assert!(!docs.public().join("posts").exists());
    assert!(docs.public().join("tags/ops/index.html").is_file());
    for page in ["index.html", "404.html", "guides/setup/index.html"] {
        assert!(
            !docs.read(page).contains("posts/"),
            "{page} links the posts list"
        );
    }
}

/// Zola's internal links (`@/posts/x.md`) start in the content folder, as in Zola.
#[test]
fn zola_internal_links_start_in_the_content_folder() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Zola\n");
    site.write("content/posts/b.md", "## Top\n\nB.\n");
    site.write("content/posts/bundle/index.md", "Bundle.\n");
    site.write("content/posts/bundle/shot.png", "PNG");
    site.write(
        "content/guides/deep/a.md",
        "[b](@/posts/b.md#top) [shot](@/posts/bundle/shot.png) [adr](@/adr/0001-x.md)\n",
    );
    site.write("content/adr/0001-x.md", "---\nstatus: accepted\n---\n# X\n");
    site.build_ok();
    assert_eq!(
        attrs(&site.html("guides/deep/a/index.html"), ".prose a", "href"),
        [
            "../../../posts/b/#top",
            "../../../posts/bundle/shot.png",
            "../../../adr/0001-x/"
        ]
    );
    site.write("content/guides/deep/a.md", "[gone](@/posts/gone.md)\n");
    let check = site.lore(&["check"]);
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        report.contains("link `@/posts/gone.md` leads to no page"),
        "{report}"
    );
    assert!(report.contains("start in the content folder"), "{report}");
    site.write("content/posts/later.md", "---\ndraft: true\n---\nLater.\n");
    site.write("content/guides/deep/a.md", "[later](@/posts/later.md)\n");
    let check = site.lore(&["check"]);
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(report.contains("that page is a draft"), "{report}");
}
