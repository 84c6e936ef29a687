//! The output set: every file of the built site, by path. Written atomically: everything goes
//! into a temporary folder beside the output, which is swapped in only when complete.

use crate::error::{BuildError, BuildResult, Diagnostic, Location, io_diagnostic};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// A file copied as is (images and other assets), read only when written or served.
    File(PathBuf),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputSet {
    files: BTreeMap<String, Content>,
}

impl OutputSet {
    pub fn insert(&mut self, path: String, bytes: Vec<u8>) {
        self.files.insert(path, Content::Bytes(bytes));
    }

    pub fn insert_file(&mut self, path: String, source: PathBuf) {
        self.files.entry(path).or_insert(Content::File(source));
    }

    pub fn get(&self, path: &str) -> Option<&Content> {
        self.files.get(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.files.keys()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Content)> {
        self.files.iter()
    }

    /// Reads a file's bytes (from memory or its source).
    pub fn read(&self, path: &str) -> Option<std::io::Result<std::borrow::Cow<'_, [u8]>>> {
        Some(match self.files.get(path)? {
            Content::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b.as_slice())),
            Content::File(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        })
    }
}

/// Writes `set` to `dir`, replacing what was there only once every file is written.
pub fn write_atomic(set: &OutputSet, dir: &Path) -> BuildResult<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| {
        BuildError::one(io_diagnostic(
            parent,
            "create the output's parent folder",
            &e,
        ))
    })?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.lore-new-"))
        .tempdir_in(parent)
        .map_err(|e| {
            BuildError::one(io_diagnostic(
                parent,
                "create a temporary output folder",
                &e,
            ))
        })?;
    write_all(set, staging.path())?;
    swap_in(staging, dir)
}

fn write_all(set: &OutputSet, root: &Path) -> BuildResult<()> {
    let folders: std::collections::BTreeSet<PathBuf> = set
        .files
        .keys()
        .filter_map(|p| root.join(p).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        std::fs::create_dir_all(folder)
            .map_err(|e| BuildError::one(io_diagnostic(folder, "create folder", &e)))?;
    }
    let errors: Vec<Diagnostic> = set
        .files
        .par_iter()
        .filter_map(|(path, content)| {
            let target = root.join(path);
            let result = match content {
                Content::Bytes(bytes) => std::fs::write(&target, bytes),
                Content::File(source) => std::fs::copy(source, &target).map(|_| ()),
            };
            result.err().map(|e| match content {
                Content::File(source) => io_diagnostic(source, "copy", &e),
                Content::Bytes(_) => io_diagnostic(&target, "write", &e),
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BuildError::new(errors))
    }
}

/// Replaces `dir` with the staged folder: two renames, the old site kept until the new one is in.
fn swap_in(staging: tempfile::TempDir, dir: &Path) -> BuildResult<()> {
    let staged = staging.keep();
    if dir.exists() && !dir.is_dir() {
        return Err(BuildError::one(
            Diagnostic::error(
                Location::file(dir),
                "the output path exists and is not a folder",
            )
            .with_help("remove it or choose another output folder with -o"),
        ));
    }
    let retired = dir.exists().then(|| {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dir.with_file_name(format!(".{name}.lore-old-{}", std::process::id()))
    });
    if let Some(old) = &retired {
        let _ = std::fs::remove_dir_all(old);
        std::fs::rename(dir, old).map_err(|e| {
            BuildError::one(io_diagnostic(dir, "move the previous output aside", &e))
        })?;
    }
    if let Err(e) = std::fs::rename(&staged, dir) {
        if let Some(old) = &retired {
            let _ = std::fs::rename(old, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(BuildError::one(io_diagnostic(
            dir,
            "move the new output into place",
            &e,
        )));
    }
    if let Some(old) = retired {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}
