//! The default theme in a real browser: builds the bundled example site (`content/` and the root
//! `lore.yaml`) with Lore, then drives headless Chromium over the DevTools protocol
//! (`tests/browser/theme_check.py`, Python standard library only, with `a11y.js` run in the page).
//!
//! The home page, a post, an ADR and the decision log are shot at 1280 and 390 px, light and
//! dark, into `$LORE_SCREENSHOTS` or else `target/screenshots/`. In the page: no horizontal
//! scroll at 390 px, WCAG AA text contrast in both schemes, landmarks and the skip link, the
//! table of contents following the scroll, the theme toggle surviving a reload, and no request
//! leaving 127.0.0.1.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const PAGES: [&str; 5] = ["home", "post", "adr", "log", "search"];

/// Where screenshots go: `$LORE_SCREENSHOTS`, else `screenshots/` in Cargo's target folder.
fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LORE_SCREENSHOTS") {
        return PathBuf::from(dir);
    }
    // CARGO_TARGET_TMPDIR is `<target>/tmp`, so this follows CARGO_TARGET_DIR too.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The example site, built into a temporary folder (the repository itself is not written to).
fn build_example_site() -> TestSite {
    let site = TestSite::empty();
    let repo = env!("CARGO_MANIFEST_DIR");
    let out = site.public();
    let built = lore_in(
        Path::new(repo),
        &["build", repo, "--quiet", "--output", out.to_str().unwrap()],
    );
    assert!(built.status.success(), "build failed:\n{}", stderr(&built));
    site
}

#[test]
fn default_theme_in_headless_chromium() {
    if !chromium_available() {
        return;
    }
    let site = build_example_site();
    let shots = screenshot_dir();
    eprintln!("screenshots of the default theme: {}", shots.display());
    let public = site.public();
    let args = [public.as_os_str(), "--shots".as_ref(), shots.as_os_str()];
    let report = browser_check("theme_check.py", &args);
    for wanted in [
        "[light 390px] post: no horizontal scroll",
        "[dark 1280px] adr: text contrast meets WCAG AA",
        "[light 1280px] log: landmarks, lang and alt text",
        "[light 1280px] search: landmarks, lang and alt text",
        "[dark 1280px] search: text contrast meets WCAG AA",
        "[toc] scrolled to #sharding",
        "[fragment] #",
        "[alias] /posts/search-index/#",
        "[diagram] the pipeline post draws its mermaid flowchart",
        "[diagram] drawn again in the other scheme",
        "[diagram] a page without one does not load Mermaid",
        "[file://] graph links name index.html files",
        "[file://] links after the graph name index.html files too",
        "[file://] an alias redirects to the page file",
        "[toggle] dark survives a reload",
        "[network] all ",
    ] {
        assert!(
            report.contains(&format!("PASS {wanted}")),
            "no PASS {wanted} in:\n{report}"
        );
    }
    for page in PAGES {
        for (width, scheme) in [
            (1280, "light"),
            (1280, "dark"),
            (390, "light"),
            (390, "dark"),
        ] {
            let shot = shots.join(format!("{page}-{width}-{scheme}.png"));
            assert_eq!(png_size(&shot), (width, 800), "{}", shot.display());
        }
    }
}

/// A diagram Mermaid cannot read keeps showing its source (Mermaid leaves it empty), and the
/// good one beside it is drawn, served and from `file://`.
#[test]
fn a_broken_diagram_keeps_its_source() {
    if !chromium_available() {
        return;
    }
    let site = TestSite::empty();
    site.write("lore.yaml", "title: Diagrams\n");
    site.write(
        "content/posts/diagrams.md",
        "```mermaid\nflowchart LR\n  a --> b\n```\n\n```mermaid\nthis is not a diagram -->\n```\n",
    );
    site.build_ok();
    let report = browser_check("diagram_check.py", &[site.public().as_os_str()]);
    assert!(report.contains("4 passed, 0 failed"), "{report}");
}
