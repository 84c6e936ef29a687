//! Search in a real browser: builds `tests/fixtures/search` with Lore, then drives headless
//! Chromium over the DevTools protocol (`tests/browser/search_check.py`, Python standard library
//! only): typing in the header box, keyboard navigation, a misspelled word, `/search/?q=…&kind=adr`
//! showing only decisions, facet chips, diacritics, CJK and escaping of the query. Then the
//! same site opened from disk (`file://`, no server): styles, links and search still work.

mod common;
use common::*;

#[test]
fn search_box_and_page_in_headless_chromium() {
    if !chromium_available() {
        return;
    }
    let site = TestSite::fixture("search");
    site.build_ok();
    let report = browser_check("search_check.py", &[site.public().as_os_str()]);
    assert!(report.contains("PASS [http] misspelled"), "{report}");
    assert!(
        report.contains("PASS [http] /search/?q=decision&kind=adr lists only ADRs"),
        "{report}"
    );
    for check in [
        "PASS [file://] typing \"postgres eve\" -> first result is ADR 2",
        "PASS [file://] stylesheets load from relative URLs",
        "PASS [file://] Enter opens the result file with words highlighted",
        "PASS [file://] /search/?q=decision&kind=adr lists only ADRs",
    ] {
        assert!(report.contains(check), "{check}\n{report}");
    }
}
