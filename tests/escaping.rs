//! Everything user-written is escaped for where it lands: HTML text and attributes, XML (feeds,
//! sitemap, OpenSearch), and the search index's JSON inside script files. One site carries
//! `<script>`, quotes, `&` and `]]>` in every field a user writes, and every output file is checked.

mod common;

use common::{TestSite, snapshot, texts};

const TITLE: &str = "<script>alert('t')</script> ]]> & \"q\"";
const RAW_MARKUP: [&str; 7] = [
    "<script>alert",
    "</script> ]]>",
    "<b>tag</b>",
    "<img src=x",
    "<i>accepted</i>",
    "<u>ann</u>",
    "<b>site</b>",
];

fn nasty_site() -> TestSite {
    let site = TestSite::empty();
    site.write(
        "lore.yaml",
        "title: \"<b>site</b> ]]> & 'kb'\"\ndescription: \"<script>alert('d')</script>\"\nbase_url: https://x.org/kb/\n",
    );
    site.write(
        "content/posts/2026-01-01-x.md",
        &format!(
            "---\ntitle: {}\ntags: [\"<b>tag</b>\", \"q\\\"uote\"]\nexcerpt: \"<img src=x onerror=alert(1)> ]]>\"\nauthors: [\"<u>ann</u>\"]\n---\nBody ]]> text.\n",
            serde_json::to_string(TITLE).unwrap()
        ),
    );
    site.write(
        "content/adr/0001-x.md",
        "---\ntitle: \"<script>alert('adr')</script> ]]>\"\nstatus: \"<i>accepted</i>\"\ndeciders: [\"<u>ann</u>\", \"]]>\"]\ndate: 2026-01-02\ntags: [\"<b>tag</b>\"]\n---\n\nDecision ]]> text.\n",
    );
    site.build_ok();
    site
}

#[test]
fn no_user_markup_reaches_any_html_page_raw() {
    let site = nasty_site();
    let files = snapshot(&site.public());
    let pages: Vec<&String> = files.keys().filter(|p| p.ends_with(".html")).collect();
    assert!(pages.len() >= 8, "{pages:?}");
    for path in pages {
        let html = String::from_utf8_lossy(&files[path]);
        for raw in RAW_MARKUP {
            assert!(!html.contains(raw), "{path} contains {raw:?} unescaped");
        }
    }
    let post = site.html("posts/x/index.html");
    assert!(
        texts(&post, "h1").iter().any(|t| t == TITLE),
        "the title survives as text"
    );
}

#[test]
fn every_xml_output_is_well_formed_and_keeps_the_text() {
    let site = nasty_site();
    let files = snapshot(&site.public());
    let xml: Vec<&String> = files.keys().filter(|p| p.ends_with(".xml")).collect();
    for expected in ["atom.xml", "sitemap.xml", "opensearch.xml"] {
        assert!(xml.iter().any(|p| *p == expected), "{expected} in {xml:?}");
    }
    for path in xml {
        let text = String::from_utf8_lossy(&files[path]);
        if let Err(err) = roxmltree::Document::parse(&text) {
            panic!("{path} is not well-formed XML: {err}\n{text}");
        }
    }
    let feed = site.read("atom.xml");
    let doc = roxmltree::Document::parse(&feed).unwrap();
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    assert!(titles.contains(&TITLE), "{titles:?}");
}

#[test]
fn search_index_scripts_carry_valid_json_with_the_text_intact() {
    let site = nasty_site();
    let files = snapshot(&site.public());
    let mut found_title = false;
    for (path, bytes) in files
        .iter()
        .filter(|(p, _)| p.starts_with("search/") && p.ends_with(".js"))
    {
        let text = String::from_utf8_lossy(bytes);
        let call = text
            .trim_end()
            .strip_prefix("window.__loreSearch(")
            .and_then(|t| t.strip_suffix(");"))
            .unwrap_or_else(|| panic!("{path} is one call: {text}"));
        let (key, json) = call.split_once(',').expect("key, value");
        serde_json::from_str::<String>(key).unwrap_or_else(|e| panic!("{path} key: {e}"));
        let value: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{path} JSON: {e}"));
        found_title |= value
            .to_string()
            .contains(&serde_json::to_string(TITLE).unwrap());
    }
    assert!(found_title, "a search record holds the title exactly");
}

#[test]
fn safe_mode_neutralises_every_link_that_would_run_script() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: T\nmarkdown:\n  safe: true\n");
    let links = [
        "[a](javascript:alert(1))",
        "[b](JaVaScRiPt:alert(1))",
        "[c](java&#9;script:alert(1))",
        "[d](&#x20;javascript:alert(1))",
        "[e](vbscript:msgbox(1))",
        "[f](data:text/html,%3Cscript%3Ealert(1)%3C/script%3E)",
        "[g](<javascript:alert(1)>)",
    ];
    site.write(
        "content/posts/2026-01-01-links.md",
        &format!("---\ntitle: Links\n---\n\n{}\n\n[kept](https://example.org/) ![img](data:image/png;base64,iVBORw0KGgo=)\n", links.join("\n\n")),
    );
    site.build_ok();
    let html = site.read("posts/links/index.html");
    let page = scraper::Html::parse_document(&html);
    let hrefs = common::attrs(&page, "article a", "href");
    for (i, link) in links.iter().enumerate() {
        let text = &link[1..2];
        let a = scraper::Selector::parse("article a").unwrap();
        let href = page
            .select(&a)
            .find(|e| e.text().collect::<String>() == text)
            .and_then(|e| e.value().attr("href"))
            .unwrap_or_else(|| panic!("link {i} `{link}` missing: {hrefs:?}"));
        assert_eq!(href, "#", "{link}");
    }
    assert!(
        hrefs.contains(&"https://example.org/".to_string()),
        "{hrefs:?}"
    );
    assert!(
        html.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""),
        "images kept"
    );
}

/// The characters HTML forbids in its input found in `html`.
fn forbidden_in(html: &str) -> Vec<char> {
    html.chars()
        .filter(|c| {
            (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect()
}

#[test]
fn control_characters_in_markdown_do_not_reach_html() {
    let site = TestSite::empty();
    site.write(
        "content/posts/2026-01-01-ctl.md",
        "---\ntitle: Ctl\n---\n# Head\u{7}ing\n\nBell\u{7} in text, `co\u{1}de`, \u{FFFF}odd \
         and full\u{FF08}width\u{FF09}.\n\n![alt\u{8} text](a.png)\n\n<span>raw\u{b}</span>\n\n\
         ```rust\nlet red = \"\u{1b}[31m\";\n```\n\n```\n\u{1b}[0m plain\u{7f}\n```\n",
    );
    site.build_ok();
    let html = site.read("posts/ctl/index.html");
    assert_eq!(forbidden_in(&html), Vec::<char>::new());
    for kept in [
        "Bell in text",
        "<code>code</code>",
        "full\u{FF08}width\u{FF09}",
        "alt=\"alt text\"",
        "<span>raw</span>",
        "[31m",
        "[0m plain",
    ] {
        assert!(html.contains(kept), "{kept:?} in {html}");
    }
}

#[test]
fn control_characters_from_front_matter_do_not_reach_html() {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: \"Site\\u000b\\u001f name\"\n");
    site.write(
        "content/posts/2026-01-01-ctl.md",
        "---\ntitle: \"Ctl\\u0008\\u000b title\\uFFFE\"\nexcerpt: \"An\\u0001 excerpt\"\n---\nBody text.\n",
    );
    site.build_ok();
    for file in ["posts/ctl/index.html", "index.html", "posts/index.html"] {
        let html = site.read(file);
        let bad = forbidden_in(&html);
        assert!(bad.is_empty(), "{file}: {bad:?}");
        assert!(html.contains("Ctl title"), "{file}: the text itself stays");
    }
}
