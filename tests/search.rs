//! The search index: tokenizing, stemming, CJK bigrams, ranking order, prefix and typo matching,
//! facets and deterministic output, queried through the Rust copy of the browser client.

use lore::search::query::{Filters, View, search, search_in};
use lore::search::{Analyzer, PageIndex, SearchDoc, SearchSection, index_page, write_index};
use std::collections::BTreeMap;

fn doc<'a>(url: &'a str, kind: &'a str, title: &'a str, body: &'a str) -> SearchDoc<'a> {
    SearchDoc {
        url,
        title,
        kind,
        date: Some("2024-05-01".into()),
        excerpt: "",
        sections: vec![SearchSection {
            anchor: None,
            heading: "",
            text: body,
        }],
        ..Default::default()
    }
}

fn build(docs: &[SearchDoc]) -> BTreeMap<String, Vec<u8>> {
    let (an, _) = Analyzer::for_language("en");
    let pages: Vec<_> = docs.iter().map(|d| index_page(d, &an)).collect();
    let refs: Vec<_> = pages.iter().collect();
    write_index(&refs, &an).into_iter().collect()
}

fn urls(files: &BTreeMap<String, Vec<u8>>, q: &str, typing: bool, f: &Filters) -> Vec<String> {
    search(files, q, typing, f, 20)
        .hits
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn corpus() -> Vec<SearchDoc<'static>> {
    let mut v = vec![
        doc(
            "/a/",
            "post",
            "Notes on queues",
            "We talk about postgres replication and many other things here.",
        ),
        doc("/b/", "post", "Postgres replication", "Streaming setup."),
        doc("/c/", "post", "Caching", "Replication lag hurts caches."),
        doc(
            "/d/",
            "post",
            "Monitoring",
            "Grafana dashboards for the team.",
        ),
        doc(
            "/e/",
            "post",
            "Kubernetes upgrades",
            "Upgrading clusters safely.",
        ),
    ];
    let mut adr = doc(
        "/adr/0007-use-postgres/",
        "adr",
        "Use a relational database",
        "We pick one for orders.",
    );
    adr.number = Some(7);
    adr.label = Some("ADR 7".into());
    adr.status = Some("accepted");
    adr.tags = vec!["database"];
    adr.deciders = vec!["Zoë"];
    adr.date = Some("2023-02-02".into());
    adr.sections.push(SearchSection {
        anchor: Some("decision-outcome"),
        heading: "Decision outcome",
        text: "Chosen option: Postgres.",
    });
    v.push(adr);
    let mut adr2 = doc(
        "/adr/0008-queues/",
        "adr",
        "Use NATS for queues",
        "Queue decision.",
    );
    adr2.number = Some(8);
    adr2.label = Some("ADR 8".into());
    adr2.status = Some("proposed");
    adr2.tags = vec!["queues"];
    v.push(adr2);
    v
}

#[test]
fn title_match_beats_body_match() {
    let f = build(&corpus());
    let u = urls(&f, "kubernetes", false, &Filters::default());
    assert_eq!(u.first().map(String::as_str), Some("/e/"));
    let u = urls(&f, "monitoring", false, &Filters::default());
    assert_eq!(u, ["/d/"]);
    // "queues" is in a title (/a/, /adr/0008) and a tag: titles first
    let u = urls(&f, "queues", false, &Filters::default());
    assert!(
        u[..2].contains(&"/a/".to_string()) && u[..2].contains(&"/adr/0008-queues/".to_string()),
        "{u:?}"
    );
}

#[test]
fn all_words_before_some_words() {
    let f = build(&corpus());
    let u = urls(&f, "postgres replication", false, &Filters::default());
    // /b/ (title) and /a/ (body) have both words; /c/ and the ADR have one
    assert_eq!(&u[..2], ["/b/", "/a/"]);
    assert!(u.contains(&"/c/".to_string()));
    assert!(u.iter().position(|x| x == "/c/") > Some(1));
}

#[test]
fn prefix_of_last_word() {
    let f = build(&corpus());
    assert_eq!(urls(&f, "grafa", true, &Filters::default()), ["/d/"]);
    // a finished short word does not complete; a 4+ letter one does, ranked lower
    assert!(urls(&f, "gra", false, &Filters::default()).is_empty());
    assert_eq!(urls(&f, "gra", true, &Filters::default()), ["/d/"]);
    assert_eq!(urls(&f, "grafa", false, &Filters::default()), ["/d/"]);
    assert_eq!(urls(&f, "kub", true, &Filters::default()), ["/e/"]);
}

#[test]
fn typo_tolerance_for_five_letters_and_more() {
    let f = build(&corpus());
    // transposition, deletion, substitution
    assert_eq!(urls(&f, "grafnaa", false, &Filters::default()), ["/d/"]);
    assert_eq!(urls(&f, "kubernets", false, &Filters::default()), ["/e/"]);
    assert_eq!(urls(&f, "dashbaords", false, &Filters::default()), ["/d/"]);
    // four letters: no typo tolerance ("tean" is not "team")
    assert!(urls(&f, "tean", false, &Filters::default()).is_empty());
    // typo matches rank below exact matches
    let mut docs = corpus();
    docs.push(doc("/x/", "post", "Cluster", "clusters cluster"));
    docs.push(doc("/y/", "post", "Clustor", "clustor"));
    let f = build(&docs);
    let r = search(&f, "cluster", false, &Filters::default(), 20);
    let exact: Vec<_> = r.hits.iter().map(|h| (h.url.as_str(), h.exact)).collect();
    assert_eq!(exact.last().map(|x| x.1), Some(0), "{exact:?}");
    assert_eq!(exact.last().map(|x| x.0), Some("/y/"));
}

#[test]
fn adr_number_label_status_deciders() {
    let f = build(&corpus());
    for q in ["adr 7", "7", "0007", "accepted", "zoe"] {
        let u = urls(&f, q, false, &Filters::default());
        assert_eq!(
            u.first().map(String::as_str),
            Some("/adr/0007-use-postgres/"),
            "{q}: {u:?}"
        );
    }
    let r = search(&f, "postgres", false, &Filters::default(), 20);
    let adr = r
        .hits
        .iter()
        .find(|h| h.url == "/adr/0007-use-postgres/")
        .expect("adr hit");
    assert_eq!(adr.anchors, ["decision-outcome"]);
}

/// "ADR 3" names a decision: it comes before one whose title holds a 3 ("3.5 is the minimum
/// version"), though both match both words.
#[test]
fn an_adr_number_outranks_the_same_number_in_a_title() {
    let adr = |url, number: u32, title| {
        let mut d = doc(url, "adr", title, "Some context and a decision.");
        d.number = Some(number);
        d.label = Some(format!("ADR {number}").into());
        d
    };
    let docs = vec![
        adr("/adr/0003-use-postgresql/", 3, "Use PostgreSQL for orders"),
        adr(
            "/adr/0006-libfoo/",
            6,
            "3.5 is the minimum version of libfoo",
        ),
        adr("/adr/0001-record/", 1, "Record architecture decisions"),
    ];
    let f = build(&docs);
    for q in ["ADR 3", "adr 3", "3"] {
        let u = urls(&f, q, false, &Filters::default());
        assert_eq!(
            u.first().map(String::as_str),
            Some("/adr/0003-use-postgresql/"),
            "{q}: {u:?}"
        );
    }
}

/// A record's id as the log writes it, one word (`RFC0045`, `ADR119`), finds that record first,
/// and guesses no typo in its digits (`rfc0045` is not the `rfc0015` another RFC's text names).
#[test]
fn a_records_id_as_one_word_finds_it() {
    let rfc = |url, number: u32, title, body, prefix| {
        let mut d = doc(url, "adr", title, body);
        d.number = Some(number);
        d.label = Some(format!("ADR {number}").into());
        d.id_prefix = prefix;
        d
    };
    let docs = vec![
        rfc(
            "/adr/rfc0016-census/",
            16,
            "Census Telemetry",
            "As rfc0015 said, and rfc0046.",
            Some("RFC"),
        ),
        rfc(
            "/adr/rfc0045-ternary/",
            45,
            "Ternary Operator",
            "Add ?: to the language.",
            Some("RFC"),
        ),
        rfc(
            "/adr/adr-119-mempool/",
            119,
            "Mempool lanes",
            "Lanes for the mempool.",
            Some("adr"),
        ),
        rfc("/adr/0007-logs/", 7, "Structured logs", "JSON logs.", None),
    ];
    let f = build(&docs);
    for (q, want) in [
        ("RFC0045", "/adr/rfc0045-ternary/"),
        ("rfc45", "/adr/rfc0045-ternary/"),
        ("ADR119", "/adr/adr-119-mempool/"),
        ("ADR0007", "/adr/0007-logs/"),
        ("adr007", "/adr/0007-logs/"),
    ] {
        let u = urls(&f, q, false, &Filters::default());
        assert_eq!(u, vec![want.to_string()], "{q}");
    }
}

#[test]
fn facets_count_and_combine() {
    let f = build(&corpus());
    let r = search(&f, "queues", false, &Filters::default(), 20);
    assert_eq!(r.facets.get(&("kind".into(), "post".into())), Some(&1));
    assert_eq!(r.facets.get(&("kind".into(), "adr".into())), Some(&1));
    let only_adr = Filters {
        kind: Some("adr".into()),
        ..Default::default()
    };
    assert_eq!(urls(&f, "queues", false, &only_adr), ["/adr/0008-queues/"]);
    let q = "postgres";
    let both = Filters {
        kind: Some("adr".into()),
        status: Some("accepted".into()),
        year: Some(2023),
        tag: Some("database".into()),
    };
    assert_eq!(urls(&f, q, false, &both), ["/adr/0007-use-postgres/"]);
    let none = Filters {
        kind: Some("post".into()),
        status: Some("accepted".into()),
        ..Default::default()
    };
    assert!(urls(&f, q, false, &none).is_empty());
    let r = search(
        &f,
        q,
        false,
        &Filters {
            kind: Some("adr".into()),
            ..Default::default()
        },
        20,
    );
    assert_eq!(
        r.facets.get(&("status".into(), "accepted".into())),
        Some(&1)
    );
    assert_eq!(r.facets.get(&("year".into(), "2023".into())), Some(&1));
    assert_eq!(r.facets.get(&("tag".into(), "database".into())), Some(&1));
}

#[test]
fn the_panel_downloads_no_tags_and_the_search_page_does() {
    let f = build(&corpus());
    let panel = search_in(View::Panel, &f, "queues", true, &Filters::default(), 8);
    assert!(
        !panel.fetched.contains(&"facets.js".to_string()),
        "{:?}",
        panel.fetched
    );
    assert!(panel.facets.keys().all(|(group, _)| group != "tag"));
    assert_eq!(panel.facets.get(&("kind".into(), "adr".into())), Some(&1));
    let page = search_in(View::Page, &f, "queues", false, &Filters::default(), 20);
    assert!(page.fetched.contains(&"facets.js".to_string()));
    assert_eq!(page.facets.get(&("tag".into(), "queues".into())), Some(&1));
    assert!(page.bytes > panel.bytes);
}

#[test]
fn stemmed_query_forms_match() {
    let f = build(&corpus());
    assert_eq!(urls(&f, "upgrade", false, &Filters::default()), ["/e/"]);
    assert_eq!(urls(&f, "dashboard", false, &Filters::default()), ["/d/"]);
}

#[test]
fn output_is_deterministic_and_order_independent() {
    let docs = corpus();
    let a = build(&docs);
    let b = build(&docs);
    assert_eq!(a, b);
    let mut rev = docs.clone();
    rev.reverse();
    assert_eq!(a, build(&rev));
    // every file is written once, as a script calling the global callback with valid JSON
    for (p, body) in &a {
        let stem = p.strip_suffix(".js").expect("only .js files");
        let js = std::str::from_utf8(body).unwrap();
        assert!(
            js.starts_with(&format!("window.__loreSearch(\"{stem}\",")),
            "{p}"
        );
        let json = lore::search::unwrap_js(body).unwrap();
        serde_json::from_slice::<serde_json::Value>(json).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

#[test]
fn empty_and_odd_input_never_panics() {
    let (an, _) = Analyzer::for_language("en");
    let files = write_index(&[], &an);
    assert!(files.iter().any(|f| f.0 == "manifest.js"));
    let d = SearchDoc {
        title: "\u{0}\u{301}",
        sections: vec![],
        ..Default::default()
    };
    let p = index_page(&d, &an);
    let files: BTreeMap<_, _> = write_index(&[&p, &p], &an).into_iter().collect();
    let _ = search(&files, "", true, &Filters::default(), 5);
    let _ = search(&files, "\u{FFFF}\u{10FFFF}", true, &Filters::default(), 5);
}

/// `lore serve` keeps each page's `PageIndex` and indexes again only the page that changed:
/// writing the kept ones with the new one gives the bytes of indexing every page afresh.
#[test]
fn replacing_one_page_gives_the_bytes_of_indexing_all_again() {
    let (an, _) = Analyzer::for_language("en");
    let docs = corpus();
    let kept: Vec<PageIndex> = docs.iter().map(|d| index_page(d, &an)).collect();
    // The edit: "hurts" (only on this page) goes, new words and a section come.
    let at = docs.iter().position(|d| d.url == "/c/").unwrap();
    let mut edited = docs.clone();
    edited[at] = doc(
        "/c/",
        "post",
        "Caching, revised",
        "Zwieback quokkas replicate; lag stays.",
    );
    edited[at].sections.push(SearchSection {
        anchor: Some("eviction"),
        heading: "Eviction",
        text: "Least recently used entries go first.",
    });
    let mut pages = kept.clone();
    pages[at] = index_page(&edited[at], &an);
    let refs: Vec<&PageIndex> = pages.iter().collect();
    let incremental = write_index(&refs, &an);
    // Afresh, on another thread (word tables of its own), pages in another order.
    let analyzer = an.clone();
    let fresh = std::thread::spawn(move || {
        let an = analyzer;
        let pages: Vec<PageIndex> = edited.iter().rev().map(|d| index_page(d, &an)).collect();
        let refs: Vec<&PageIndex> = pages.iter().collect();
        write_index(&refs, &an)
    })
    .join()
    .unwrap();
    assert!(incremental == fresh, "the written files differ");
    let files: BTreeMap<String, Vec<u8>> = incremental.into_iter().collect();
    let f = Filters::default();
    assert_eq!(urls(&files, "quokka", false, &f), ["/c/"]);
    assert_eq!(urls(&files, "least recently", false, &f), ["/c/"]);
    assert!(urls(&files, "hurts", false, &f).is_empty());
    // The kept pages alone still write the old index, and "hurts" is found there.
    let refs: Vec<&PageIndex> = kept.iter().collect();
    let old: BTreeMap<String, Vec<u8>> = write_index(&refs, &an).into_iter().collect();
    assert_eq!(urls(&old, "hurts", false, &f), ["/c/"]);
}

/// The client as the default theme ships it: under 15 KB compressed, no framework, nothing
/// fetched from outside the site, loaded without holding up the page.
#[test]
fn the_client_is_small_self_contained_and_deferred() {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    let client = std::fs::read_to_string(root.join("assets/search.js")).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(client.as_bytes()).unwrap();
    let compressed = gzip.finish().unwrap().len();
    assert!(
        compressed < 15 * 1024,
        "search.js is {compressed} bytes gzipped"
    );
    for outside in [
        "import ",
        "require(",
        "//cdn",
        "googleapis",
        "unpkg",
        "jsdelivr",
    ] {
        assert!(!client.contains(outside), "search.js has {outside:?}");
    }
    assert!(
        !client.contains("fetch('http") && !client.contains("fetch(\"http"),
        "no absolute URLs fetched"
    );
    let base = std::fs::read_to_string(root.join("templates/base.html")).unwrap();
    let tag = base
        .lines()
        .find(|l| l.contains("assets.search_js"))
        .expect("base.html loads the client");
    assert!(tag.contains(" defer"), "{tag}");
}

/// Words are indexed in any case and script: short and long words, snake_case identifiers
/// (whole and by their parts), words joined over an apostrophe, accented text, in prose and in
/// code, each findable by how a reader types it.
#[test]
fn words_are_found_whatever_their_case_length_or_form() {
    let mut code_page = doc(
        "/code/",
        "post",
        "Loader",
        "The Loader calls Parse_Config_Files() at start; it DOESN'T retry.",
    );
    code_page.code = "let retries = MAX_RETRY_COUNT_FOR_INTERNATIONALIZATION;";
    let docs = vec![
        code_page,
        doc(
            "/accents/",
            "post",
            "Crème brûlée",
            "Résumé of the CAFÉ menu.",
        ),
        doc("/other/", "post", "Other", "Nothing to see."),
    ];
    let files = build(&docs);
    let f = Filters::default();
    for (query, url) in [
        ("parse_config_files", "/code/"),
        ("config", "/code/"),
        ("files", "/code/"),
        ("loader", "/code/"),
        ("doesnt", "/code/"),
        ("max_retry_count_for_internationalization", "/code/"),
        ("internationalization", "/code/"),
        ("retry", "/code/"),
        ("creme", "/accents/"),
        ("cafe", "/accents/"),
        ("resume", "/accents/"),
    ] {
        assert_eq!(urls(&files, query, false, &f), [url], "{query}");
    }
}

/// CJK text is indexed in bigrams: a lone character, the first keystroke of Chinese or Japanese
/// input, stands for the bigrams it starts.
#[test]
fn a_lone_cjk_character_finds_the_words_it_starts() {
    let docs = vec![
        doc("/db/", "adr", "数据库选择", "我们需要选择数据库。"),
        doc("/other/", "post", "Other", "Nothing to see."),
        doc("/design/", "post", "Design", "数据库设计"),
        doc("/cat/", "post", "Pets", "我有一只猫。"),
    ];
    let files = build(&docs);
    let f = Filters::default();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for typing in [false, true] {
        assert_eq!(urls(&files, "数", typing, &f).len(), 2, "typing {typing}");
        assert_eq!(urls(&files, "选", typing, &f), ["/db/"], "typing {typing}");
        assert!(urls(&files, "狗", typing, &f).is_empty());
        // A character that only ends its run starts no bigram: indexed alone, it is found too.
        assert_eq!(urls(&files, "猫", typing, &f), ["/cat/"], "typing {typing}");
        assert_eq!(sorted(urls(&files, "库", typing, &f)), ["/db/", "/design/"]);
    }
    // A query's words must all match: the character indexed alone is no word of a query.
    assert_eq!(
        sorted(urls(&files, "数据库", false, &f)),
        ["/db/", "/design/"]
    );
    // 数据, 据库, 库选, 选择: only /db/ has the four.
    let r = search(&files, "数据库选择", false, &f, 20);
    let all_words: Vec<_> = (r.hits.iter())
        .filter(|h| h.matched == 4)
        .map(|h| h.url.as_str())
        .collect();
    assert_eq!(all_words, ["/db/"]);
}
