//! Search benchmark: index build time and the bytes typical queries download.
//!
//!     cargo bench --bench search -- [CORPUS_DIR] [--runs N]
//!
//! CORPUS_DIR is a site made by `../shared/bench/gen_corpus.py` (9,000 posts and 1,000 ADRs
//! are generated into `target/bench-corpus-10k` when it is not given). The site is loaded once
//! (parsing and Markdown are not search's cost); then the index (`render::search_index`: every
//! page indexed in parallel, then written) is built `--runs` times and the median reported:
//! that is what search adds to a build. Each query then runs through `search::query`, the
//! Rust copy of the client's algorithm, which fetches exactly the files `search.js` would and
//! counts their bytes, as the header panel (typing, 8 results) and as the `/search/` page
//! (20 results and tag chips).

use lore::search::query::{Filters, QueryResult, View, search_in};
use lore::{Overrides, SiteConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Typical queries on the generated corpus: two words, as typed in the box.
const QUERIES: [&str; 10] = [
    "postgres migration",
    "kafka latency",
    "cache invalidation",
    "consumer offset",
    "incident review",
    "rust deploy",
    "tracing budget",
    "adr 42",
    "grixation slaischuity",
    "kubernetes escalation",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = flag_value(&args, "--runs").unwrap_or(5);
    let corpus = corpus_dir(&args);
    let site = load(&corpus);
    println!(
        "corpus: {} ({} pages), {} threads, load {}",
        corpus.display(),
        site.pages.len(),
        rayon::current_num_threads(),
        load_average()
    );
    let files = time_index(&site, runs);
    report_sizes(&files);
    report_queries(&files);
}

/// The value after `name` (`--runs 7`); cargo adds `--bench` of its own, which is ignored.
fn flag_value(args: &[String], name: &str) -> Option<usize> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn corpus_dir(args: &[String]) -> PathBuf {
    let mut positional = args.iter().filter(|a| !a.starts_with("--"));
    let given = positional.find(|a| a.parse::<usize>().is_err());
    if let Some(dir) = given {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus-10k");
    if !dir.join("content").is_dir() {
        generate(&dir);
    }
    dir
}

fn generate(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    println!("generating the corpus in {} ...", dir.display());
    let status = std::process::Command::new("python3")
        .arg(&script)
        .args(["--posts", "9000", "--adrs", "1000", "--out"])
        .arg(dir)
        .status()
        .unwrap_or_else(|e| panic!("python3 {}: {e}", script.display()));
    assert!(status.success(), "{} failed", script.display());
}

fn load(dir: &Path) -> lore::site::Site {
    let config = SiteConfig::load(dir, &Overrides::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    lore::load_site(config).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Builds the index `runs` times; prints each run and the median; returns the files.
fn time_index(site: &lore::site::Site, runs: usize) -> BTreeMap<String, Vec<u8>> {
    let mut times = Vec::new();
    let mut files = Vec::new();
    for run in 1..=runs.max(1) {
        let start = Instant::now();
        files = lore::render::search_index(site);
        times.push(start.elapsed());
        println!("index build run {run}: {:.3} s", secs(times[run - 1]));
    }
    times.sort();
    println!(
        "index build median: {:.3} s (min {:.3} s, max {:.3} s, {} runs)",
        secs(times[times.len() / 2]),
        secs(times[0]),
        secs(times[times.len() - 1]),
        times.len()
    );
    files.into_iter().collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn report_sizes(files: &BTreeMap<String, Vec<u8>>) {
    let total = |prefix: &str| -> (usize, usize) {
        let sizes = files.iter().filter(|(p, _)| p.starts_with(prefix));
        sizes.fold((0, 0), |(n, b), (_, bytes)| (n + 1, b + bytes.len()))
    };
    let (n, all) = total("");
    let (shards, shard_bytes) = total("s/");
    let (chunks, record_bytes) = total("r/");
    let size = |key: &str| files.get(key).map_or(0, Vec::len);
    println!(
        "index: {n} files, {:.1} MB ({shards} shards {:.1} MB, {chunks} record files {:.1} MB, manifest {:.1} KB, facets {:.1} KB)",
        mb(all),
        mb(shard_bytes),
        mb(record_bytes),
        kb(size("manifest.js")),
        kb(size("facets.js"))
    );
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1e3
}

fn report_queries(files: &BTreeMap<String, Vec<u8>>) {
    println!(
        "{:<24} {:>9} {:>9} {:>11} {:>6}  first result",
        "query", "panel KB", "page KB", "keys KB", "hits"
    );
    let (mut worst_panel, mut worst_page) = (0, 0);
    for q in QUERIES {
        let panel = search_in(View::Panel, files, q, true, &Filters::default(), 8);
        let page = search_in(View::Page, files, q, false, &Filters::default(), 20);
        let typed = typed_keystrokes(files, q);
        worst_panel = worst_panel.max(panel.bytes);
        worst_page = worst_page.max(page.bytes);
        let first = page.hits.first().map_or("-", |h| h.title.as_str());
        println!(
            "{q:<24} {:>9.1} {:>9.1} {:>11.1} {:>6}  {first}",
            kb(panel.bytes),
            kb(page.bytes),
            kb(typed),
            page.hits.len()
        );
    }
    println!(
        "largest: panel {:.1} KB, page {:.1} KB (panel: the final text in the header box; page: /search/?q=…; keys: every keystroke from the first letter run in the panel, files shared)",
        kb(worst_panel),
        kb(worst_page)
    );
}

/// Bytes downloaded when the panel runs the query after every keystroke (no debounce), each
/// file counted once, as the client caches it.
fn typed_keystrokes(files: &BTreeMap<String, Vec<u8>>, q: &str) -> usize {
    let mut fetched = BTreeSet::new();
    let ends: Vec<usize> = q.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    for end in ends {
        let text = &q[..end];
        // The client completes the last word only while it is being typed.
        let typing = !text.ends_with(' ');
        let r: QueryResult = search_in(View::Panel, files, text, typing, &Filters::default(), 8);
        fetched.extend(r.fetched);
    }
    fetched
        .iter()
        .map(|p| files.get(p).map_or(0, Vec::len))
        .sum()
}
