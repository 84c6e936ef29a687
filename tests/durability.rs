//! A killed `lore` loses nothing: `lore build` killed (SIGKILL, by pid) at several points of
//! writing leaves the previous site complete (or the new one, complete), and `lore new` killed
//! at any moment leaves each file either as it was or fully written.

mod common;

use common::{TestSite, copy_dir, snapshot};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Snapshot = BTreeMap<String, Vec<u8>>;

/// A site big enough that writing it takes a while: `pages` posts and a few decisions.
fn generate_site(site: &TestSite, pages: usize, version: &str) {
    site.write("lore.yaml", "title: Durability\n");
    for i in 0..pages {
        let body = format!("Post {i}, version {version}. ").repeat(40);
        site.write(
            &format!("content/posts/2026-01-01-post-{i:04}.md"),
            &format!(
                "---\ntitle: Post {i}\ntags: [t{}]\n---\n\n{body}\n\n## Part\n\n{body}\n",
                i % 20
            ),
        );
    }
    for i in 1..=5 {
        site.write(
            &format!("content/adr/{i:04}-decision.md"),
            &format!("---\ntitle: Decision {i} {version}\nstatus: accepted\n---\n\nBecause.\n"),
        );
    }
}

fn spawn_lore(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lore"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lore")
}

fn staging_folders(root: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".public.lore-new-"))
        .collect()
}

/// Runs `lore build` and returns once its staging folder appears, i.e. writing has begun
/// (folders left by earlier kills do not count). `None` if lore ended first.
fn build_until_writing(root: &Path) -> (Child, Option<Instant>) {
    let stale = staging_folders(root);
    let mut child = spawn_lore(root, &["build"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        if staging_folders(root).difference(&stale).next().is_some() {
            return (child, Some(Instant::now()));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    (child, None)
}

/// The state after a kill: the output is the old site or the new one, each complete. In the
/// instant between the two renames of the swap the folder is absent, and the old site is whole
/// in `.public.lore-old-<pid>`: accepted, and said, since nothing is lost or mixed.
fn assert_old_or_new(root: &Path, old: &Snapshot, new: &Snapshot, when: &str) -> &'static str {
    let public = root.join("public");
    if !public.exists() {
        let retired = std::fs::read_dir(root)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".public.lore-old-")
            })
            .unwrap_or_else(|| panic!("{when}: public/ is gone and no old copy is kept"));
        assert!(
            snapshot(&retired.path()) == *old,
            "{when}: the kept old site is incomplete"
        );
        return "between the renames";
    }
    let now = snapshot(&public);
    if now == *old {
        "old"
    } else if now == *new {
        "new"
    } else {
        let differ = now
            .keys()
            .filter(|k| old.get(*k) != now.get(*k))
            .take(5)
            .collect::<Vec<_>>();
        panic!("{when}: public/ is neither the old nor the new site; differs in {differ:?}");
    }
}

#[test]
fn build_killed_while_writing_leaves_a_complete_site() {
    let site = TestSite::empty();
    generate_site(&site, 400, "one");
    site.build_ok();
    let old = snapshot(&site.public());
    let pristine = tempfile::tempdir().unwrap();
    copy_dir(&site.public(), pristine.path());
    generate_site(&site, 400, "two");
    let new_out = tempfile::tempdir().unwrap();
    let out = common::lore_in(
        site.root(),
        &["build", "-o", new_out.path().to_str().unwrap()],
    );
    assert!(out.status.success());
    let new = snapshot(new_out.path());
    assert_ne!(old, new, "the two versions differ, so a mix would show");

    // How long writing takes here, from the staging folder's appearance to lore's exit.
    let (mut child, began) = build_until_writing(site.root());
    assert!(child.wait().unwrap().success());
    let writing = began.expect("writing began").elapsed();

    let mut outcomes = Vec::new();
    // Kill points as fractions of the write; `None` kills before writing, while rendering.
    for fraction in [
        None,
        Some(0.0),
        Some(0.2),
        Some(0.5),
        Some(0.8),
        Some(0.95),
        Some(1.0),
        Some(1.2),
        Some(3.0),
    ] {
        std::fs::remove_dir_all(site.public()).ok();
        copy_dir(pristine.path(), &site.public());
        let (mut child, began) = match fraction {
            None => {
                let child = spawn_lore(site.root(), &["build"]);
                std::thread::sleep(Duration::from_millis(30));
                (child, None)
            }
            Some(f) => {
                let (child, began) = build_until_writing(site.root());
                std::thread::sleep(writing.mul_f64(f));
                (child, began)
            }
        };
        child.kill().ok(); // SIGKILL, to this pid only
        let status = child.wait().unwrap();
        let when = format!(
            "killed at {fraction:?} of {writing:?} of writing (began: {}, {status})",
            began.is_some()
        );
        outcomes.push((fraction, assert_old_or_new(site.root(), &old, &new, &when)));
    }
    eprintln!("writing takes {writing:?}; kill outcomes: {outcomes:?}");
    assert!(
        outcomes.iter().any(|(_, o)| *o == "old"),
        "some kill landed before the swap: {outcomes:?}"
    );

    // Leftover staging folders do not stop the next build, nor end up in the site.
    std::fs::remove_dir_all(site.public()).ok();
    site.build_ok();
    assert!(
        snapshot(&site.public()) == new,
        "a build after the kills gives the new site"
    );
}

fn adr_site() -> TestSite {
    let site = TestSite::empty();
    site.write("lore.yaml", "title: New\n");
    site.write(
        "content/adr/0001-first.md",
        "---\ntitle: First\nstatus: accepted\n---\n\nThe first decision.\n",
    );
    site
}

/// The folder's Markdown files, ignoring hidden temporary files a kill may leave.
fn markdown_files(dir: &Path) -> Snapshot {
    snapshot(dir)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".md"))
        .collect()
}

#[test]
fn new_killed_at_any_moment_leaves_whole_files() {
    let reference = adr_site();
    let out = reference.lore(&["new", "adr", "Second", "--supersedes", "1"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let done = markdown_files(&reference.root().join("content/adr"));
    let before = markdown_files(&adr_site().root().join("content/adr"));
    assert_eq!(
        done.len(),
        2,
        "lore new wrote the new decision: {:?}",
        done.keys()
    );
    assert_ne!(
        done["0001-first.md"], before["0001-first.md"],
        "and marked the first superseded"
    );

    for delay_us in [0, 300, 1000, 2000, 3000, 5000, 8000, 12000] {
        let site = adr_site();
        let mut child = spawn_lore(site.root(), &["new", "adr", "Second", "--supersedes", "1"]);
        std::thread::sleep(Duration::from_micros(delay_us));
        child.kill().ok();
        child.wait().unwrap();
        for (name, bytes) in markdown_files(&site.root().join("content/adr")) {
            let whole = Some(&bytes) == done.get(&name) || Some(&bytes) == before.get(&name);
            assert!(
                whole,
                "{name} is torn after a kill {delay_us} µs in:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}
