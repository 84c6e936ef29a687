//! The build stamp: an unchanged rebuild does nothing, yet its output is what a clean build
//! gives, byte for byte; any change to content, templates or configuration rebuilds.

mod common;

use common::{TestSite, snapshot, stdout};

fn build_says(site: &TestSite, args: &[&str], expected: &str) {
    let out = site.lore(args);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let said = stdout(&out);
    assert!(
        said.starts_with(expected),
        "expected {expected:?}, got {said:?}"
    );
}

fn clean_build(site: &TestSite) -> std::collections::BTreeMap<String, Vec<u8>> {
    let clean = TestSite::empty();
    common::copy_dir(site.root(), clean.root());
    std::fs::remove_dir_all(clean.root().join("public")).ok();
    std::fs::remove_dir_all(clean.root().join(".lore-cache")).ok();
    clean.build_ok();
    snapshot(&clean.public())
}

#[test]
fn unchanged_rebuild_is_skipped_and_matches_a_clean_build() {
    let site = TestSite::fixture("basic");
    build_says(&site, &["build"], "Built ");
    build_says(&site, &["build"], "Unchanged since the last build: ");
    assert_eq!(snapshot(&site.public()), clean_build(&site));
    assert!(
        !site.public().join(".lore-cache").exists(),
        "the stamp is never published"
    );
}

#[test]
fn every_kind_of_input_change_rebuilds() {
    let site = TestSite::fixture("basic");
    build_says(&site, &["build"], "Built ");
    for body in ["First text.", "Second text."] {
        site.write(
            "content/posts/stamp-test.md",
            &format!("---\ntitle: Stamped\ndate: 2024-01-01\n---\n{body}\n"),
        );
        build_says(&site, &["build"], "Built ");
        assert!(site.read("posts/stamp-test/index.html").contains(body));
    }
    site.write(
        "templates/partials/footer_extra.html",
        "<p>from a template override</p>",
    );
    site.write("templates/404.html", "{% extends \"lore/404.html\" %}");
    build_says(&site, &["build"], "Built ");
    let config = std::fs::read_to_string(site.root().join("lore.yaml")).unwrap();
    site.write("lore.yaml", &config.replace("title:", "title: Renamed"));
    build_says(&site, &["build"], "Built ");
    assert!(site.read("index.html").contains("Renamed"));
    build_says(&site, &["build", "--drafts"], "Built ");
    build_says(
        &site,
        &["build", "--drafts"],
        "Unchanged since the last build: ",
    );
    build_says(&site, &["build", "--drafts", "--force"], "Built ");
    assert_eq!(snapshot(&site.public()), {
        let clean = TestSite::empty();
        common::copy_dir(site.root(), clean.root());
        std::fs::remove_dir_all(clean.root().join("public")).ok();
        std::fs::remove_dir_all(clean.root().join(".lore-cache")).ok();
        assert!(clean.lore(&["build", "--drafts"]).status.success());
        snapshot(&clean.public())
    });
}

#[test]
fn output_changed_by_hand_is_rebuilt() {
    let site = TestSite::fixture("basic");
    build_says(&site, &["build"], "Built ");
    std::fs::remove_file(site.public().join("404.html")).unwrap();
    build_says(&site, &["build"], "Built ");
    assert!(site.public().join("404.html").exists());
    std::fs::write(site.public().join("stray.txt"), "not ours").unwrap();
    build_says(&site, &["build"], "Built ");
    assert!(!site.public().join("stray.txt").exists());
    // Two folders down, as most of a site's files are: one longer, then one gone.
    let nested = walkdir::WalkDir::new(site.public())
        .min_depth(3)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_file())
        .expect("a file two folders down")
        .into_path();
    let bytes = std::fs::read(&nested).unwrap();
    std::fs::write(&nested, [&bytes[..], b" "].concat()).unwrap();
    build_says(&site, &["build"], "Built ");
    assert_eq!(std::fs::read(&nested).unwrap(), bytes);
    std::fs::remove_file(&nested).unwrap();
    build_says(&site, &["build"], "Built ");
    assert_eq!(std::fs::read(&nested).unwrap(), bytes);
    build_says(&site, &["build"], "Unchanged ");
}

/// Another build of Lore (here the same executable with a byte appended, which still runs)
/// does not trust the output of this one, even at the same version.
#[test]
fn another_build_of_lore_rebuilds() {
    let site = TestSite::fixture("basic");
    build_says(&site, &["build"], "Built ");
    let holder = TestSite::empty();
    let other = holder.root().join("lore");
    let mut bytes = std::fs::read(env!("CARGO_BIN_EXE_lore")).unwrap();
    bytes.push(0);
    std::fs::write(&other, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = std::process::Command::new(&other)
        .arg("build")
        .current_dir(site.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(stdout(&out).starts_with("Built "), "{}", stdout(&out));
    build_says(&site, &["build"], "Built ");
    build_says(&site, &["build"], "Unchanged since the last build: ");
}

#[cfg(unix)]
#[test]
fn an_unchanged_rebuild_still_reports_what_discovery_skipped() {
    let site = TestSite::fixture("basic");
    build_says(&site, &["build"], "Built ");
    std::os::unix::fs::symlink("..", site.root().join("content/posts/loop")).unwrap();
    let out = site.lore(&["build"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(stdout(&out).starts_with("Unchanged since the last build: "));
    assert!(
        common::stderr(&out).contains("content/posts/loop: warning: symbolic link loop skipped"),
        "{}",
        common::stderr(&out)
    );
}
