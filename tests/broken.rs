//! Broken sites: each `tests/fixtures/broken/<case>/` holds a site and an `expect.yaml` (exit
//! code, message fragments, pages built); cases too big or too odd to commit (a 20 MB file, deep
//! nesting, a symlink loop, an unreadable file) are made here. For every case: no panic, the
//! expected exit code, messages that name the file (and line:col) and say what to do, and a
//! previous output folder left exactly as it was when the build fails.

mod common;

use common::{TestSite, fixtures, snapshot, stderr, stdout};
use serde::Deserialize;
use std::path::Path;
use std::process::Output;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Exit code of `lore build` (and of `lore check` when `check` is set).
    exit: i32,
    /// Also run `lore check`: same exit code, same messages (on stdout).
    #[serde(default)]
    check: bool,
    /// Fragments that must each appear in what the command prints.
    #[serde(default)]
    messages: Vec<String>,
    /// Exactly this many warning lines.
    #[serde(default)]
    warnings: Option<usize>,
    /// The output folder, relative to the site.
    #[serde(default = "default_output")]
    output: String,
    /// (file in the output, text it must contain) after a successful build.
    #[serde(default)]
    built: Vec<(String, String)>,
}

fn default_output() -> String {
    "public".into()
}

fn expect(yaml: &str) -> Expect {
    serde_yaml::from_str(yaml).expect("valid expectation")
}

/// Seeds a previous output, builds, and checks exit code, messages and the output folder.
fn run_case(name: &str, site: &TestSite, expect: &Expect) {
    run_case_with(name, site, expect, &|args| site.lore(args));
}

fn run_case_with(name: &str, site: &TestSite, expect: &Expect, lore: &dyn Fn(&[&str]) -> Output) {
    let output = site.root().join(&expect.output);
    seed_previous_output(&output);
    let before = snapshot(&output);
    let build = lore(&["build"]);
    let printed = stderr(&build);
    assert_outcome(name, "build", &build, &printed, expect);
    if expect.exit == 0 {
        assert_built(name, &output, expect);
    } else {
        assert!(
            snapshot(&output) == before,
            "{name}: a failed build changed the previous output"
        );
    }
    if expect.check {
        let after_build = snapshot(&output);
        let check = lore(&["check"]);
        assert_outcome(name, "check", &check, &stdout(&check), expect);
        assert!(
            snapshot(&output) == after_build,
            "{name}: check wrote output"
        );
    }
}

fn seed_previous_output(output: &Path) {
    std::fs::create_dir_all(output.join("old")).unwrap();
    std::fs::write(output.join("index.html"), "previous build\n").unwrap();
    std::fs::write(output.join("old/kept.txt"), "kept\n").unwrap();
}

fn assert_outcome(name: &str, command: &str, out: &Output, printed: &str, expect: &Expect) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        !all.contains("panicked"),
        "{name}: lore {command} panicked:\n{all}"
    );
    // `None` would be a signal (a stack overflow aborts); 101 is Rust's panic exit code.
    assert_eq!(
        out.status.code(),
        Some(expect.exit),
        "{name}: lore {command} exit code; it printed:\n{all}"
    );
    for message in &expect.messages {
        assert!(
            printed.contains(message.as_str()),
            "{name}: lore {command} should print `{message}`; it printed:\n{printed}"
        );
    }
    if let Some(n) = expect.warnings {
        let lines = printed
            .lines()
            .filter(|l| l.contains(": warning: "))
            .count();
        assert_eq!(lines, n, "{name}: lore {command} warnings:\n{printed}");
    }
}

fn assert_built(name: &str, output: &Path, expect: &Expect) {
    assert!(
        !output.join("old/kept.txt").exists(),
        "{name}: the new output replaces the old one"
    );
    for (file, text) in &expect.built {
        let html = std::fs::read_to_string(output.join(file))
            .unwrap_or_else(|e| panic!("{name}: {file} not built: {e}"));
        assert!(
            html.contains(text.as_str()),
            "{name}: {file} lacks `{text}`"
        );
    }
}

#[test]
fn committed_broken_sites() {
    let root = fixtures().join("broken");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("expect.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "cases found: {names:?}");
    for name in names {
        let text = std::fs::read_to_string(root.join(&name).join("expect.yaml")).unwrap();
        let site = TestSite::fixture(&format!("broken/{name}"));
        std::fs::remove_file(site.root().join("expect.yaml")).unwrap();
        run_case(&name, &site, &expect(&text));
    }
}

#[test]
fn output_inside_content_is_not_read_back_as_content() {
    let site = TestSite::fixture("broken/output-inside-content");
    site.build_ok();
    let first = snapshot(&site.root().join("content/public"));
    site.build_ok();
    let second = snapshot(&site.root().join("content/public"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "the second build copied the first one's output into itself"
    );
}

#[test]
fn a_20_mb_file_builds() {
    let site = TestSite::empty();
    let paragraph = "Lorem ipsum dolor sit amet, [a link](other.md) with **bold** text.\n\n";
    let body = paragraph.repeat(20 * 1024 * 1024 / paragraph.len() + 1);
    site.write("content/big.md", &format!("# Big\n\n{body}"));
    site.write("content/other.md", "# Other\n");
    let expect = expect("exit: 0\nbuilt: [[big/index.html, a link]]\n");
    run_case("20 MB file", &site, &expect);
}

#[test]
fn deep_nesting_builds() {
    let site = TestSite::empty();
    let n = 10_000;
    let indented: String = (0..300)
        .map(|i| format!("{}- item\n", "  ".repeat(i)))
        .collect();
    site.write(
        "content/quotes.md",
        &format!("# Quotes\n\n{} deep\n", ">".repeat(n)),
    );
    site.write(
        "content/lists.md",
        &format!(
            "# Lists\n\n{}item\n\n{}x\n\n{indented}",
            "- ".repeat(n),
            "1. ".repeat(n)
        ),
    );
    site.write(
        "content/brackets.md",
        &format!(
            "# Brackets\n\n{}x{}\n\n{}x{}\n",
            "[".repeat(n),
            "]".repeat(n),
            "*".repeat(n),
            "*".repeat(n)
        ),
    );
    let expect = expect("exit: 0\ncheck: true\nbuilt: [[quotes/index.html, deep]]\n");
    run_case("deep nesting", &site, &expect);
}

#[test]
fn symlink_loops_are_skipped_with_a_warning() {
    let site = TestSite::empty();
    site.write("content/a.md", "# A\n");
    std::os::unix::fs::symlink("../content", site.root().join("content/self")).unwrap();
    std::os::unix::fs::symlink("..", site.root().join("content/up")).unwrap();
    let expect = expect(
        r#"
exit: 0
check: true
messages:
  - "content/self: warning: symbolic link loop skipped"
  - "content/up: warning: symbolic link loop skipped"
  - "help: remove the link"
warnings: 2
built: [[a/index.html, "<h1"]]
"#,
    );
    run_case("symlink loop", &site, &expect);
    assert!(
        !site.public().join("up").exists() && !site.public().join("self").exists(),
        "nothing is read twice through a link"
    );
}

/// A content folder that is itself a link (`content -> ../docs`, as in a monorepo) is read
/// through it, with no loop reported.
#[test]
fn a_linked_content_folder_is_read() {
    let site = TestSite::empty();
    site.write("docs/posts/hello.md", "---\ntitle: Hello\n---\n\nHi.\n");
    site.write(
        "docs/adr/0001-use-lore.md",
        "# 1. Use Lore\n\n## Status\n\nAccepted\n",
    );
    std::os::unix::fs::symlink("docs", site.root().join("content")).unwrap();
    let expect = expect(
        r#"
exit: 0
check: true
warnings: 0
built: [[posts/hello/index.html, "Hello"], [adr/0001-use-lore/index.html, "Use Lore"]]
"#,
    );
    run_case("linked content folder", &site, &expect);
}

const UNREADABLE: &str = r#"
exit: 1
check: true
messages:
  - "content/secret.md: error: cannot read"
  - "Permission denied"
  - "help: check the file's permissions"
"#;

/// chmod 000 blocks reads for everyone but root. As root, the build runs as `nobody`
/// instead; where that is not possible either, the test says so rather than pass silently.
#[test]
fn an_unreadable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let site = TestSite::empty();
    site.write("content/a.md", "# A\n");
    site.write("content/secret.md", "# Secret\n");
    let secret = site.root().join("content/secret.md");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_err() {
        run_case("unreadable file", &site, &expect(UNREADABLE));
        return;
    }
    // Root reads anything: open the site to `nobody`, except the secret, and build as `nobody`.
    for entry in walkdir::WalkDir::new(site.root())
        .into_iter()
        .filter_map(Result::ok)
    {
        let mode = if entry.file_type().is_dir() {
            0o777
        } else {
            0o666
        };
        if entry.path() != secret {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let Some(probe) = lore_as_nobody(site.root(), &["--version"]) else {
        eprintln!(
            "NOT TESTED: running as root and cannot run lore as nobody; chmod 000 does not block root"
        );
        return;
    };
    assert!(
        probe.status.success(),
        "lore runs as nobody: {}",
        stderr(&probe)
    );
    run_case_with("unreadable file", &site, &expect(UNREADABLE), &|args| {
        lore_as_nobody(site.root(), args).expect("ran once already")
    });
}

fn lore_as_nobody(dir: &Path, args: &[&str]) -> Option<Output> {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(env!("CARGO_BIN_EXE_lore"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .uid(65534)
        .gid(65534)
        .output()
        .ok()
}
