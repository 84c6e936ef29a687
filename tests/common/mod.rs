//! Shared test helpers: copy a fixture into a temporary folder, build it, read and parse output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestSite {
    pub dir: tempfile::TempDir,
}

impl TestSite {
    /// A copy of `tests/fixtures/<name>` in a fresh temporary folder.
    pub fn fixture(name: &str) -> TestSite {
        let dir = tempfile::Builder::new()
            .prefix("lore-test-")
            .tempdir()
            .expect("temp dir");
        copy_dir(&fixtures().join(name), dir.path());
        TestSite { dir }
    }

    pub fn empty() -> TestSite {
        TestSite {
            dir: tempfile::Builder::new()
                .prefix("lore-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        let path = self.public().join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn html(&self, rel: &str) -> scraper::Html {
        scraper::Html::parse_document(&self.read(rel))
    }

    /// The `lore` command in the site's folder, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        lore_command(self.root(), args)
    }

    /// Runs the `lore` binary in the site's folder.
    pub fn lore(&self, args: &[&str]) -> Output {
        lore_in(self.root(), args)
    }

    #[track_caller]
    pub fn build_ok(&self) -> Output {
        let out = self.lore(&["build"]);
        assert!(
            out.status.success(),
            "build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

pub fn lore_in(dir: &Path, args: &[&str]) -> Output {
    lore_command(dir, args).output().expect("run lore")
}

/// The `lore` command with `args`, to run in `dir` (for a caller that sets more on it).
pub fn lore_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lore"));
    // A developer's LORE_LARGE_SITE would send every test build down the large-site path, and
    // MIMALLOC_ALLOW_THP takes the choice of huge pages away from Lore.
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LORE_LARGE_SITE")
        .env_remove("MIMALLOC_ALLOW_THP");
    command
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir`, relative path → bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&scraper::Selector::parse(css).expect("selector"))
        .collect()
}

pub fn texts(doc: &scraper::Html, css: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn attrs(doc: &scraper::Html, css: &str, attr: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .filter_map(|e| e.value().attr(attr).map(String::from))
        .collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the browser check `tests/browser/<script>` with `args` and returns its report, failing
/// the test unless it exits 0 with every check passed.
#[track_caller]
pub fn browser_check(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("python3 runs");
    let report = stdout(&out);
    assert!(
        out.status.success() && report.contains(" passed, 0 failed"),
        "browser checks failed:\n{report}\n{}",
        stderr(&out)
    );
    report
}

/// Whether Debian's Chromium is there for the browser tests. Under CI its absence is a failure
/// (.ci/run installs it); elsewhere the test is skipped with a notice.
pub fn chromium_available() -> bool {
    if Path::new("/usr/bin/chromium").exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have /usr/bin/chromium (.ci/run installs it)"
    );
    eprintln!("skipped: /usr/bin/chromium is not installed");
    false
}
