//! Search benchmark: index build time and the bytes typical queries download.
//!
//!     cargo bench --bench search -- [CORPUS_DIR] [--runs N]
//!
//! CORPUS_DIR is a site made by `../shared/bench/gen_corpus.py` (9,000 posts and 1,000 ADRs
//! are generated into `target/bench-corpus-10k` when it is not given). The site is loaded and
//! every page's Markdown rendered before the clock starts (parsing and Markdown are not search's
//! cost); then the index (`render::search_index_from`: every page indexed in parallel, then
//! written) is built and timed: that is what search adds to a build. Indexing keeps per-thread
//! word tables, so only a process's first build pays for filling them, as `lore build` does:
//! each of the `--runs` timings (median reported) runs in a fresh process, which then times a
//! second, warm build, as a `lore serve` rebuild pays. Each query then runs through
//! `search::query`, the Rust copy of the client's algorithm, which fetches exactly the files
//! `search.js` would and counts their bytes, as the header panel (typing, 8 results) and as the
//! `/search/` page (20 results and tag chips).

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
    let corpus = corpus_dir(&args);
    if args.iter().any(|a| a == "--one-run") {
        return one_run(&corpus);
    }
    let runs = flag_value(&args, "--runs").unwrap_or(5);
    let site = load(&corpus);
    println!(
        "corpus: {} ({} pages), {} threads, load {}",
        corpus.display(),
        site.pages.len(),
        rayon::current_num_threads(),
        load_average()
    );
    time_in_fresh_processes(&corpus, runs);
    let files: BTreeMap<String, Vec<u8>> = lore::render::search_index(&site).into_iter().collect();
    report_sizes(&files);
    report_queries(&files);
}

/// Child process: load the site, build the index twice, print `cold WALL CPU warm WALL CPU`.
fn one_run(corpus: &Path) {
    let site = load(corpus);
    // Markdown is rendered for the pages themselves; indexing is what search adds.
    let bodies = lore::render::page_bodies(&site);
    let mut line = String::new();
    for name in ["cold", "warm"] {
        let (start, cpu_start) = (Instant::now(), cpu_seconds());
        let files = lore::render::search_index_from(&site, &bodies);
        let (wall, cpu) = (secs(start.elapsed()), cpu_seconds() - cpu_start);
        line.push_str(&format!("{name} {wall} {cpu} "));
        drop(files);
    }
    println!("{}", line.trim_end());
}

fn time_in_fresh_processes(corpus: &Path, runs: usize) {
    let me = std::env::current_exe().expect("the bench binary");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for run in 1..=runs.max(1) {
        let out = std::process::Command::new(&me)
            .arg(corpus)
            .arg("--one-run")
            .output()
            .expect("the bench runs itself");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(v.len(), 4, "child output: {text}");
        println!(
            "index build run {run}: {:.3} s wall, {:.2} s CPU (then warm: {:.3} s wall, {:.2} s CPU); load {}",
            v[0],
            v[1],
            v[2],
            v[3],
            load_average()
        );
        cold.push((v[0], v[1]));
        warm.push((v[2], v[3]));
    }
    for (name, mut times) in [
        ("build (cold, as lore build)", cold),
        ("rebuild (warm, as lore serve)", warm),
    ] {
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (wall, cpu) = times[times.len() / 2];
        println!(
            "index {name} median: {wall:.3} s wall, {cpu:.2} s CPU (min {:.3} s, max {:.3} s, {} runs)",
            times[0].0,
            times[times.len() - 1].0,
            times.len()
        );
    }
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

/// User + system CPU time of this process so far (Linux; 0 elsewhere). On a shared machine
/// wall time depends on the other load; CPU time shows the work itself.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
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
