//! Every input the fuzzers crashed on (and a few seeds), replayed with the fuzz targets' own code
//! (`fuzz/src/lib.rs`) so the normal test suite keeps them fixed. CI does not run the fuzzers.
//! Files live in `tests/fixtures/fuzz/<target>/`; the README says how to add one.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

/// Runs `target` on every file in its folder; a panic names the file that caused it.
fn replay(folder: &str, target: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let run = std::panic::catch_unwind(|| target(&bytes));
        assert!(run.is_ok(), "{folder} panics on {}", file.display());
    }
}

#[test]
fn front_matter_inputs() {
    replay("front_matter", harness::front_matter);
}

#[test]
fn adr_dialect_inputs() {
    replay("adr_dialects", harness::adr_dialects);
}

#[test]
fn page_inputs() {
    replay("page", harness::page);
}
