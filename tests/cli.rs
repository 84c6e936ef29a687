//! The binary: `init`, `new`, `list` and their exit codes and messages.

mod common;
use common::*;

#[test]
fn init_creates_a_site_that_builds_and_refuses_non_empty() {
    let site = TestSite::empty();
    let out = site.lore(&["init", "kb"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kb = site.root().join("kb");
    assert!(kb.join("lore.yaml").is_file());
    assert!(
        kb.join("content/adr/0001-record-architecture-decisions.md")
            .is_file()
    );
    let build = lore_in(&kb, &["build"]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(
        kb.join("public/adr/0001-record-architecture-decisions/index.html")
            .is_file()
    );
    let again = site.lore(&["init", "kb"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    assert!(
        site.lore(&["init", "kb", "--force"]).status.success(),
        "--force adds without overwriting"
    );
}

#[test]
fn new_post_and_adr_print_paths_and_refuse_overwrite() {
    let site = TestSite::fixture("basic");
    let today = chrono::Local::now().date_naive().to_string();
    let out = site.lore(&["new", "post", "Hello: World"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(
        path.ends_with(&format!("content/posts/{today}-hello-world.md")),
        "{path}"
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("title: 'Hello: World'")
    );
    assert!(
        !site.lore(&["new", "post", "Hello: World"]).status.success(),
        "refuses to overwrite"
    );

    let out = site.lore(&["new", "adr", "Use Kafka"]);
    let path = stdout(&out).trim().to_string();
    assert!(
        path.ends_with("content/adr/0004-use-kafka.md"),
        "next number, same width: {path}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("status: proposed") && text.contains(&format!("date: {today}")));
    site.build_ok();
}

#[test]
fn new_adr_supersedes_in_the_old_files_dialect() {
    let site = TestSite::fixture("basic");
    // 0003 is MADR bullets; 0002 is front matter.
    let before_2 =
        std::fs::read_to_string(site.root().join("content/adr/0002-use-queues.md")).unwrap();
    let out = site.lore(&["new", "adr", "Use a log", "--supersedes", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after_2 =
        std::fs::read_to_string(site.root().join("content/adr/0002-use-queues.md")).unwrap();
    assert_eq!(
        after_2,
        before_2.replace("status: accepted", "status: superseded"),
        "only the status line changes"
    );
    let out = site.lore(&[
        "new",
        "adr",
        "Use streams",
        "--supersedes",
        "3",
        "--format",
        "madr",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let madr =
        std::fs::read_to_string(site.root().join("content/adr/0003-maybe-kafka.md")).unwrap();
    assert!(
        madr.contains("* Status: superseded by [5. Use streams](0005-use-streams.md)"),
        "{madr}"
    );
    let listed = site.lore(&["list", "--json", "--kind", "adr"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let by_id = |id: &str| entries.iter().find(|e| e["id"] == id).unwrap().clone();
    assert_eq!(by_id("0002-use-queues")["status"], "superseded");
    assert_eq!(
        by_id("0002-use-queues")["superseded_by"],
        serde_json::json!(["0004-use-a-log"])
    );
    assert_eq!(
        by_id("0005-use-streams")["supersedes"],
        serde_json::json!(["0003-maybe-kafka"])
    );
    assert!(
        !site
            .lore(&["new", "adr", "X", "--supersedes", "99"])
            .status
            .success()
    );
}

/// In a repository of another tool's records, `lore new adr` names the next one as the latest
/// is named, in the folder it is in, numbered after every record of the log, and written in
/// the dialect most records use; `--supersedes` takes a number or a file name.
#[test]
fn new_adr_follows_the_logs_own_conventions() {
    let site = TestSite::empty();
    let nygard = "# {n}. {t}\n\nDate: 2020-01-0{n}\n\n## Status\n\nAccepted\n\n## Context\n\nX.\n";
    let record = |n: &str, t: &str| nygard.replace("{n}", n).replace("{t}", t);
    site.write("docs/adr/adr-001-first.md", &record("1", "First"));
    site.write("docs/adr/adr-002-second.md", &record("2", "Second"));
    let out = site.lore(&["new", "adr", "Third"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(path.ends_with("docs/adr/adr-003-third.md"), "{path}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# 3. Third\n") && text.contains("## Status\n\nProposed"),
        "{text}"
    );
    let post = site.lore(&["new", "post", "Hello"]);
    assert!(!post.status.success(), "a decision log holds no posts");
    assert!(stderr(&post).contains("lore init"), "{}", stderr(&post));

    // Log4brains: records named by date, MADR bullets, ids that are file names.
    let log = TestSite::empty();
    log.write(
        "docs/adr/20200101-use-markdown.md",
        "# Use Markdown\n\n- Status: accepted\n- Date: 2020-01-01\n\n## Context\n\nX.\n",
    );
    log.write(
        "docs/adr/20200102-use-yarn.md",
        "# Use Yarn\n\n- Status: accepted\n- Date: 2020-01-02\n",
    );
    let out = log.lore(&[
        "new",
        "adr",
        "Use AsciiDoc",
        "--supersedes",
        "20200101-use-markdown",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let today = chrono::Local::now()
        .date_naive()
        .format("%Y%m%d")
        .to_string();
    let path = stdout(&out).trim().to_string();
    assert!(
        path.ends_with(&format!("docs/adr/{today}-use-asciidoc.md")),
        "{path}"
    );
    let new = std::fs::read_to_string(&path).unwrap();
    // Its bullets as the log writes them (Log4brains: `- `, MADR 2: `* `).
    assert!(new.contains("- Status: proposed"), "{new}");
    assert!(
        new.contains("- Supersedes [Use Markdown](20200101-use-markdown.md)"),
        "{new}"
    );
    let old =
        std::fs::read_to_string(log.root().join("docs/adr/20200101-use-markdown.md")).unwrap();
    assert!(
        old.contains(&format!(
            "- Status: superseded by [Use AsciiDoc]({today}-use-asciidoc.md)"
        )),
        "{old}"
    );

    // Its site is titled as Log4brains titles it, by the project's name.
    log.write(
        ".log4brains.yml",
        "project:\n  name: Acme Decisions\n  adrFolder: ./docs/adr\n",
    );
    log.build_ok();
    let home = log.read("index.html");
    assert!(home.contains("<title>Acme Decisions"), "{home}");

    // Thanos names its proposals by month.
    let monthly = TestSite::empty();
    let proposal = |t: &str| format!("---\ntitle: {t}\nstatus: accepted\n---\nX.\n");
    monthly.write("docs/proposals/202203-query-api.md", &proposal("Query API"));
    monthly.write("docs/proposals/202301-sharding.md", &proposal("Sharding"));
    let out = monthly.lore(&["new", "adr", "Tracing"]);
    let month = chrono::Local::now().date_naive().format("%Y%m").to_string();
    let path = stdout(&out).trim().to_string();
    assert!(
        path.ends_with(&format!("docs/proposals/{month}-tracing.md")),
        "{path}"
    );

    // Records in a folder per stage: the next number after all of them, beside the latest.
    let staged = TestSite::empty();
    staged.write("lore.yaml", "adr_dirs: [rfcs]\n");
    staged.write("content/_index.md", "Home.\n");
    let front = |t: &str| format!("---\ntitle: {t}\nstatus: accepted\n---\nText.\n");
    staged.write("rfcs/Final/RFC0002-stable.md", &front("Stable"));
    staged.write("rfcs/Draft/RFC0003-open.md", &front("Open"));
    staged.write("rfcs/Final/RFC0001-old.md", &front("Old"));
    let out = staged.lore(&["new", "adr", "Newer", "--supersedes", "RFC0002"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(path.ends_with("rfcs/Draft/RFC0004-newer.md"), "{path}");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("supersedes: [2]\n")
    );
    let listed = staged.lore(&["list", "--json", "--kind", "adr"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let stable = entries.iter().find(|e| e["title"] == "Stable").unwrap();
    assert_eq!(stable["status"], "superseded", "{stable}");
    assert_eq!(
        stable["superseded_by"].as_array().map(Vec::len),
        Some(1),
        "{stable}"
    );
    staged.build_ok();
}

#[test]
fn list_filters_and_table() {
    let site = TestSite::fixture("basic");
    let out = site.lore(&["list", "--status", "superseded"]);
    let table = stdout(&out);
    assert!(
        table.contains("Use polling") && !table.contains("Use queues"),
        "{table}"
    );
    let out = site.lore(&["list", "--json", "--tag", "ENGINEERING"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["kind"] != "adr"));
}

#[test]
fn verbose_says_which_folders_were_read() {
    let site = TestSite::fixture("basic");
    let out = site.lore(&["build", "-v"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("ADRs:") && err.contains("content/adr"),
        "{err}"
    );
    assert!(err.contains("base:    https://example.org/kb/"), "{err}");
    assert!(
        !stderr(&site.lore(&["build"])).contains("ADRs:"),
        "quiet without -v"
    );
}

#[test]
fn build_of_missing_folder_fails_clearly() {
    let site = TestSite::empty();
    let out = site.lore(&["build", "nope"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn list_json_names_each_tag_once() {
    let site = common::TestSite::empty();
    site.write(
        "docs/adr/0001-use-queues.md",
        "---\ntitle: Use queues\nstatus: accepted\ndate: 2024-01-02\ntags: [Queues, async, queues]\n---\n# Use queues\n\nBody.\n",
    );
    let out = site.lore(&["list", "--json", "docs/adr"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(records[0]["tags"], serde_json::json!(["Queues", "async"]));
}

#[test]
fn new_files_are_readable_and_named_from_words_of_the_title() {
    let site = TestSite::fixture("basic");
    for title in ["", "   ", "!!!"] {
        let out = site.lore(&["new", "post", title]);
        assert_eq!(out.status.code(), Some(1), "{title:?}");
        assert!(
            stderr(&out).contains("has no letter or digit to name the file after"),
            "{title:?}: {}",
            stderr(&out)
        );
    }
    let long = "word ".repeat(200);
    let out = site.lore(&["new", "adr", &long]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = std::path::PathBuf::from(stdout(&out).trim());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.len() <= 5 + 80 + 3, "{name}");
    assert!(name.ends_with("-word.md"), "cut at a hyphen: {name}");
    #[cfg(unix)]
    {
        // The umask decides, as for any file a program makes: 022 gives -rw-r--r--.
        use std::os::unix::fs::PermissionsExt;
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("umask 022 && exec \"$0\" new post 'Readable by all'")
            .arg(env!("CARGO_BIN_EXE_lore"))
            .current_dir(site.root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let made = std::path::PathBuf::from(stdout(&out).trim());
        let mode = std::fs::metadata(&made).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", made.display());
    }
}

/// `lore list` lists decisions by number whatever their folders (PowerShell files them by
/// stage), keeps its columns in line when an id is long, and says which statuses there are
/// when `--status` matches none.
#[test]
fn list_orders_by_number_and_explains_an_empty_status() {
    let site = TestSite::empty();
    let front = |t: &str| format!("---\ntitle: {t}\nstatus: accepted\n---\nText.\n");
    site.write("rfcs/Archive/RFC0003-third.md", &front("Third"));
    site.write("rfcs/Final/RFC0001-first.md", &front("First"));
    site.write("rfcs/Final/RFC0002-second.md", &front("Second"));
    let out = site.lore(&["list", "--json", "--kind", "adr"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let numbers: Vec<u64> = entries
        .iter()
        .map(|e| e["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    let none = site.lore(&["list", "--status", "nosuch"]);
    assert!(none.status.success());
    assert!(
        stderr(&none).contains("no decision has status `nosuch`; the statuses here: accepted (3)"),
        "{}",
        stderr(&none)
    );

    let dated = TestSite::empty();
    let long = "20200101-a-decision-with-a-rather-long-file-name-indeed";
    dated.write(
        &format!("docs/adr/{long}.md"),
        "# A long one\n\n- Status: accepted\n",
    );
    dated.write(
        "docs/adr/20200102-short.md",
        "# Short\n\n- Status: accepted\n",
    );
    let table = stdout(&dated.lore(&["list"]));
    let column = |l: &str| l.find("accepted").map(|at| l[..at].chars().count());
    let status_at: Vec<Option<usize>> = table.lines().skip(1).map(column).collect();
    assert!(
        status_at.len() == 2 && status_at[0] == status_at[1],
        "{table}"
    );
    assert!(table.contains('…'), "{table}");
}
