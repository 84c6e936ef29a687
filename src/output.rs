//! Where rendered files go. `lore serve` keeps them in memory (an [`OutputSet`]); `lore build`
//! streams each one to disk as soon as it is rendered, so a site never has to fit in memory
//! twice. On disk everything goes into a staging folder beside the output, which is swapped
//! in only when complete: a reader sees the old site or the new one, never a mix.

use crate::error::{BuildError, BuildResult, Diagnostic, Location, io_diagnostic};
use indicatif::ProgressBar;
use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Reference-counted, so `lore serve` can copy a whole site to change one page.
    Bytes(bytes::Bytes),
    /// A file copied as is (images and other assets), read only when written or served.
    File(PathBuf),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputSet {
    files: BTreeMap<String, Content>,
}

impl OutputSet {
    pub fn insert(&mut self, path: String, bytes: Vec<u8>) {
        self.files.insert(path, Content::Bytes(bytes.into()));
    }

    pub fn insert_file(&mut self, path: String, source: PathBuf) {
        self.files.entry(path).or_insert(Content::File(source));
    }

    /// Keeps only the files whose path `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.files.retain(|path, _| keep(path));
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
            Content::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b.as_ref())),
            Content::File(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        })
    }
}

/// Receives every rendered file, from many threads at once.
pub struct Sink {
    target: Target,
    /// Every path put so far and its size (the sitemap lists them; the build stamp records
    /// them).
    paths: Mutex<Puts>,
    errors: Mutex<Vec<Diagnostic>>,
    progress: Option<ProgressBar>,
    /// Set from elsewhere to stop rendering early (`lore serve`, when newer changes arrive).
    cancel: Option<Arc<AtomicBool>>,
}

/// The paths put, in the order put, but for a sorted beginning: the sitemap asks for them
/// sorted before its own file is put, the build stamp after, and sorting the 230,000 paths of a
/// 100,000-page site twice (with a copy of each) was 0.5% of its CPU samples, 58 times the
/// 10,000-page site's (perf).
#[derive(Default)]
struct Puts {
    list: Vec<(String, u64)>,
    /// How many of `list`'s first are sorted, each path once.
    sorted: usize,
    /// Paths put more than once: a later file replaced an earlier one.
    twice: Vec<String>,
}

impl Puts {
    /// The paths sorted, each once with the size of its last put.
    fn sorted(&mut self) -> &[(String, u64)] {
        if self.sorted < self.list.len() {
            let mut later = self.list.split_off(self.sorted);
            // Stable and in parallel: a path's puts stay in order, and the last one wins.
            later.par_sort_by(|a, b| a.0.cmp(&b.0));
            let earlier = std::mem::take(&mut self.list);
            self.list = last_of_each(merge_by_path(earlier, later), &mut self.twice);
            self.sorted = self.list.len();
        }
        &self.list
    }
}

/// Two lists sorted by path as one, `earlier`'s puts of a path before `later`'s.
fn merge_by_path(earlier: Vec<(String, u64)>, later: Vec<(String, u64)>) -> Vec<(String, u64)> {
    let mut merged = Vec::with_capacity(earlier.len() + later.len());
    let mut later = later.into_iter().peekable();
    for put in earlier {
        while let Some(next) = later.next_if(|next| next.0 < put.0) {
            merged.push(next);
        }
        merged.push(put);
    }
    merged.extend(later);
    merged
}

/// A list sorted by path with each path's last put only; paths put again go to `twice`.
fn last_of_each(puts: Vec<(String, u64)>, twice: &mut Vec<String>) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = Vec::with_capacity(puts.len());
    for put in puts {
        match files.last_mut() {
            Some(last) if last.0 == put.0 => {
                twice.push(put.0.clone());
                *last = put;
            }
            _ => files.push(put),
        }
    }
    files
}

enum Target {
    Memory(Mutex<OutputSet>),
    Disk {
        root: PathBuf,
        /// Folders made so far, relative to `root` as in the paths put. Keyed by the string: a
        /// `Path` hashes component by component, and with a folder per page (pretty URLs) its
        /// hashing was 0.18% of a 100,000-page build's CPU samples; 0.05% since (perf).
        made: Mutex<FxHashSet<String>>,
    },
}

impl Sink {
    pub fn memory() -> Sink {
        Sink::with_target(Target::Memory(Mutex::default()))
    }

    /// Writes straight into `root` (a staging folder from [`Staging::create`]).
    pub fn disk(root: &Path) -> Sink {
        Sink::with_target(Target::Disk {
            root: root.to_path_buf(),
            made: Mutex::default(),
        })
    }

    fn with_target(target: Target) -> Sink {
        Sink {
            target,
            paths: Mutex::default(),
            errors: Mutex::default(),
            progress: None,
            cancel: None,
        }
    }

    /// Lets `flag` stop the rendering: see [`Sink::is_cancelled`].
    pub fn cancelled_by(mut self, flag: Arc<AtomicBool>) -> Sink {
        self.cancel = Some(flag);
        self
    }

    /// Whether the renderer should stop: what it would produce is already out of date.
    pub fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Advances `bar` by one for every page put.
    pub fn with_progress(mut self, bar: ProgressBar) -> Sink {
        self.progress = Some(bar);
        self
    }

    pub fn insert(&self, path: String, bytes: Vec<u8>) {
        self.put(path, Content::Bytes(bytes.into()));
    }

    /// Like [`Sink::insert`], for a content page: the progress bar counts these.
    pub fn insert_page(&self, path: String, bytes: Vec<u8>) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
        self.put(path, Content::Bytes(bytes.into()));
    }

    pub fn insert_file(&self, path: String, source: PathBuf) {
        self.put(path, Content::File(source));
    }

    fn put(&self, path: String, content: Content) {
        let size = match &content {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::File(source) => std::fs::metadata(source).map_or(0, |m| m.len()),
        };
        lock(&self.paths).list.push((path.clone(), size));
        match &self.target {
            Target::Memory(set) => {
                let mut set = lock(set);
                match content {
                    Content::Bytes(bytes) => {
                        set.files.insert(path, Content::Bytes(bytes));
                    }
                    Content::File(source) => set.insert_file(path, source),
                }
            }
            Target::Disk { root, made } => {
                if let Err(diagnostic) = write_one(root, made, &path, &content) {
                    lock(&self.errors).push(diagnostic);
                }
            }
        }
    }

    /// Runs `f` with every path put so far, sorted.
    pub fn with_paths<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &str>) -> R) -> R {
        let mut puts = lock(&self.paths);
        f(&mut puts.sorted().iter().map(|(path, _)| path.as_str()))
    }

    /// The paths put more than once so far (a later file replaced an earlier one), sorted.
    pub fn paths_put_twice(&self) -> Vec<String> {
        let mut puts = lock(&self.paths);
        puts.sorted();
        let mut twice = puts.twice.clone();
        twice.sort_unstable();
        twice.dedup();
        twice
    }

    /// Every path put so far with its size, sorted by path; for a path put twice, the size of
    /// the last (the file a disk sink left). Builds take the list with `finish_with_files`.
    #[cfg(test)]
    pub fn files(&self) -> Vec<(String, u64)> {
        lock(&self.paths).sorted().to_vec()
    }

    /// [`Sink::finish`], with every path put and its size, sorted by path; for a path put
    /// twice, the size of the last. Taken rather than copied: a 100,000-page site's 230,000
    /// paths took 30 ms of one core to copy and 15 to let go.
    pub fn finish_with_files(self) -> BuildResult<(OutputSet, Vec<(String, u64)>)> {
        let mut puts = std::mem::take(&mut *lock(&self.paths));
        puts.sorted();
        Ok((self.finish()?, puts.list))
    }

    /// The files kept in memory (empty for a disk sink), or every write error.
    pub fn finish(self) -> BuildResult<OutputSet> {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        let errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        if !errors.is_empty() {
            return Err(BuildError::new(errors));
        }
        Ok(match self.target {
            Target::Memory(set) => set.into_inner().unwrap_or_else(|e| e.into_inner()),
            Target::Disk { .. } => OutputSet::default(),
        })
    }
}

/// A poisoned lock only means another thread panicked mid-push; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn write_one(
    root: &Path,
    made: &Mutex<FxHashSet<String>>,
    path: &str,
    content: &Content,
) -> Result<(), Diagnostic> {
    let target = root.join(path);
    if let Some((folder, _)) = path.rsplit_once('/')
        && !lock(made).contains(folder)
    {
        let folder_path = root.join(folder);
        std::fs::create_dir_all(&folder_path)
            .map_err(|e| io_diagnostic(&folder_path, "create folder", &e))?;
        lock(made).insert(folder.to_string());
    }
    match content {
        Content::Bytes(bytes) => {
            std::fs::write(&target, bytes).map_err(|e| io_diagnostic(&target, "write", &e))
        }
        Content::File(source) => std::fs::copy(source, &target)
            .map(|_| ())
            .map_err(|e| io_diagnostic(source, "copy", &e)),
    }
}

/// A staging folder beside the output; removed again unless [`Staging::swap_in`] succeeds.
pub struct Staging {
    dir: tempfile::TempDir,
    output: PathBuf,
}

impl Staging {
    pub fn create(output: &Path) -> BuildResult<Staging> {
        let parent = output.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| {
            BuildError::one(io_diagnostic(
                parent,
                "create the output's parent folder",
                &e,
            ))
        })?;
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| crate::config::OUTPUT_DIR.into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.lore-new-"))
            .tempdir_in(parent)
            .map_err(|e| {
                BuildError::one(io_diagnostic(
                    parent,
                    "create a temporary output folder",
                    &e,
                ))
            })?;
        // A temporary folder is private (0700); a published site must be readable by a web server.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755));
        }
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn swap_in(self) -> BuildResult<()> {
        swap_in(self.dir, &self.output)
    }
}

/// Replaces `dir` with the staged folder: two renames, the old site kept until the new one is in.
fn swap_in(staging: tempfile::TempDir, dir: &Path) -> BuildResult<()> {
    let staged = staging.keep();
    if dir.exists() && !dir.is_dir() {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(BuildError::one(
            Diagnostic::error(
                Location::file(dir),
                "the output path exists and is not a folder",
            )
            .with_help("remove it or choose another output folder with -o"),
        ));
    }
    let carried = carry_hidden_entries(dir, &staged);
    if dir.is_dir() && exchange(&staged, dir).is_ok() {
        // One atomic step: `dir` is the new site, `staged` now holds the old one.
        let _ = std::fs::remove_dir_all(&staged);
        return Ok(());
    }
    let retired = dir.exists().then(|| {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dir.with_file_name(format!(".{name}.lore-old-{}", std::process::id()))
    });
    // With the old site (back) in place: its hidden entries return, the staged site goes.
    let give_up = |doing: &str, e: std::io::Error| {
        carry_back(&carried, &staged, dir);
        let _ = std::fs::remove_dir_all(&staged);
        BuildError::one(io_diagnostic(dir, doing, &e))
    };
    if let Some(old) = &retired {
        let _ = std::fs::remove_dir_all(old);
        if let Err(e) = std::fs::rename(dir, old) {
            return Err(give_up("move the previous output aside", e));
        }
    }
    if let Err(e) = std::fs::rename(&staged, dir) {
        if let Some(old) = &retired {
            let _ = std::fs::rename(old, dir);
        }
        return Err(give_up("move the new output into place", e));
    }
    if let Some(old) = retired {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// Moves the hidden entries at the top of the old output (`.git` of a gh-pages checkout,
/// `.nojekyll`, `.well-known`) into the staged site, which has none of its own: a build
/// replaces what it makes, not what lives beside it. Returns the names moved.
fn carry_hidden_entries(old: &Path, staged: &Path) -> Vec<std::ffi::OsString> {
    let Ok(entries) = std::fs::read_dir(old) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .filter(|name| is_hidden(name) && !staged.join(name).exists())
        .filter(|name| std::fs::rename(old.join(name), staged.join(name)).is_ok())
        .collect()
}

/// Puts what [`carry_hidden_entries`] moved back where it was, when the swap fails.
fn carry_back(carried: &[std::ffi::OsString], staged: &Path, old: &Path) {
    for name in carried {
        let _ = std::fs::rename(staged.join(name), old.join(name));
    }
}

/// A name starting with `.`: nothing Lore writes at the top of a site.
pub fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Swaps two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`), so there is no moment
/// without a site. Elsewhere, or on file systems without it, the caller falls back to two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::Sink;

    #[test]
    fn files_are_sorted_and_the_last_put_of_a_path_wins() {
        let sink = Sink::memory();
        sink.insert("b/index.html".into(), vec![0; 3]);
        sink.insert("a/index.html".into(), vec![0; 1]);
        sink.insert("b/index.html".into(), vec![0; 5]);
        sink.insert("c.xml".into(), vec![0; 2]);
        sink.insert("b/index.html".into(), vec![0; 4]);
        let files = sink.files();
        assert_eq!(
            files,
            [
                ("a/index.html".to_string(), 1),
                ("b/index.html".to_string(), 4),
                ("c.xml".to_string(), 2)
            ]
        );
        let paths =
            |sink: &Sink| sink.with_paths(|paths| paths.map(str::to_string).collect::<Vec<_>>());
        assert_eq!(paths(&sink), ["a/index.html", "b/index.html", "c.xml"]);
        // Puts after the list was sorted: new paths, and again paths listed already, whose
        // last put still wins, before and after paths of their own puts.
        sink.insert("b/index.html".into(), vec![0; 6]);
        sink.insert("0.xml".into(), vec![0; 7]);
        sink.insert("d/index.html".into(), vec![0; 8]);
        sink.insert("b/index.html".into(), vec![0; 9]);
        sink.insert("c.xml".into(), vec![0; 1]);
        assert_eq!(
            sink.files(),
            [
                ("0.xml".to_string(), 7),
                ("a/index.html".to_string(), 1),
                ("b/index.html".to_string(), 9),
                ("c.xml".to_string(), 1),
                ("d/index.html".to_string(), 8)
            ]
        );
        assert_eq!(
            paths(&sink),
            [
                "0.xml",
                "a/index.html",
                "b/index.html",
                "c.xml",
                "d/index.html"
            ]
        );
        let listed = sink.files();
        sink.insert("c.xml".into(), vec![0; 3]);
        let (_, taken) = sink.finish_with_files().unwrap();
        let mut expected = listed;
        expected[3].1 = 3;
        assert_eq!(taken, expected);
    }
}
