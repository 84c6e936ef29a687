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
