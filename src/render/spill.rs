//! Large sites' rendered Markdown, kept in a temporary file from assembly to the page pass, so
//! that they render each page's Markdown once as small sites do without holding every page's
//! HTML in memory (100,000 pages' is 1.1 GB, against a 2 GB peak). Each page's HTML is written
//! once at its own offset and read back once, by whichever thread renders the page.

use crate::error::{Diagnostic, io_diagnostic};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The temporary file; unnamed, so it goes when the build does, however it ends.
pub struct Spill {
    file: File,
    end: AtomicU64,
    folder: PathBuf,
}

/// One page's HTML in a [`Spill`].
pub struct Spilled {
    spill: Arc<Spill>,
    at: u64,
    len: usize,
}

impl Spill {
    /// A spill in `folder` (the build's staging folder, on the output's file system).
    pub fn create_in(folder: &Path) -> Result<Arc<Spill>, Diagnostic> {
        let file = tempfile::tempfile_in(folder)
            .map_err(|e| io_diagnostic(folder, "create a temporary file", &e))?;
        Ok(Arc::new(Spill {
            file,
            end: AtomicU64::new(0),
            folder: folder.to_path_buf(),
        }))
    }

    /// Writes `html` at the end of the file (threads take their ranges first, then write side
    /// by side), each page from a page boundary so that reading it can free its pages.
    pub fn put(self: &Arc<Spill>, html: &str) -> Result<Spilled, Diagnostic> {
        let len = html.len();
        let at = self
            .end
            .fetch_add(whole_pages(len as u64), Ordering::Relaxed);
        write_all_at(&self.file, html.as_bytes(), at)
            .map_err(|e| io_diagnostic(&self.folder, "write a temporary file", &e))?;
        Ok(Spilled {
            spill: Arc::clone(self),
            at,
            len,
        })
    }

    /// Bytes taken so far (each page's rounded up to whole memory pages).
    pub fn bytes_written(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }
}

impl Spilled {
    /// The HTML as it was put.
    pub fn read(self) -> Result<String, Diagnostic> {
        let spill = &self.spill;
        let failed = |e: &io::Error| io_diagnostic(&spill.folder, "read a temporary file", e);
        let mut bytes = vec![0; self.len];
        read_exact_at(&spill.file, &mut bytes, self.at).map_err(|e| failed(&e))?;
        free_range(&spill.file, self.at, whole_pages(self.len as u64));
        String::from_utf8(bytes).map_err(|e| {
            let e = io::Error::new(io::ErrorKind::InvalidData, e);
            failed(&e)
        })
    }
}

/// The memory pages `len` bytes take.
fn whole_pages(len: u64) -> u64 {
    len.next_multiple_of(4096)
}

/// Lets the file system free a page's range once it is read, so the file shrinks as the output
/// grows instead of adding its 1.1 GB (100,000 pages) to the output's at the end, and a disk
/// never writes back what was read already. Alternating 100k builds on tmpfs took the same time
/// with and without (medians of five, 24.0 and 23.9 s). A file system that cannot punch holes
/// keeps the range until the file goes.
#[cfg(target_os = "linux")]
fn free_range(file: &File, at: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(at), Ok(len)) = (libc::off_t::try_from(at), libc::off_t::try_from(len)) else {
        return;
    };
    let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
    // SAFETY: the descriptor is the spill's own, open while `file` lives; no memory is passed.
    unsafe { libc::fallocate(file.as_raw_fd(), mode, at, len) };
}

#[cfg(not(target_os = "linux"))]
fn free_range(_: &File, _: u64, _: u64) {}

#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(unix)]
fn read_exact_at(file: &File, bytes: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, at)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut bytes: &[u8], mut at: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        let n = file.seek_write(bytes, at)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut bytes: &mut [u8], mut at: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        let n = file.seek_read(bytes, at)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        bytes = &mut bytes[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Spill, whole_pages};

    #[test]
    fn pages_read_back_as_they_were_put_from_many_threads() {
        let folder = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(folder.path()).unwrap();
        let html = |i: usize| format!("<p>page {i}: {}</p>", "é".repeat(i % 50));
        let spilled: Vec<_> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4)
                .map(|t| {
                    let spill = &spill;
                    s.spawn(move || {
                        (t * 100..t * 100 + 100)
                            .map(|i| (i, spill.put(&html(i)).unwrap()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let total: u64 = (0..400).map(|i| whole_pages(html(i).len() as u64)).sum();
        assert_eq!(spill.bytes_written(), total);
        #[cfg(target_os = "linux")]
        let blocks = || std::os::unix::fs::MetadataExt::blocks(&spill.file.metadata().unwrap());
        #[cfg(target_os = "linux")]
        assert!(blocks() > 0);
        for (i, page) in spilled.into_iter().rev() {
            assert_eq!(page.read().unwrap(), html(i));
        }
        #[cfg(target_os = "linux")]
        assert_eq!(blocks(), 0, "each page's range freed once read");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_dir(folder.path()).unwrap().count(),
            0,
            "the file has no name"
        );
    }

    #[test]
    fn a_page_that_cannot_be_read_back_fails_naming_the_folder() {
        let folder = tempfile::tempdir().unwrap();
        let spill = Spill::create_in(folder.path()).unwrap();
        let page = spill.put("<p>gone</p>").unwrap();
        spill.file.set_len(0).unwrap();
        let error = page.read().unwrap_err().to_string();
        assert!(error.contains("cannot read a temporary file"), "{error}");
        assert!(
            error.contains(&folder.path().display().to_string()),
            "{error}"
        );
    }

    /// A full disk: `/dev/full` fails every write with "no space left on device".
    #[cfg(target_os = "linux")]
    #[test]
    fn a_page_that_cannot_be_written_fails_naming_the_folder_and_the_cause() {
        let folder = tempfile::tempdir().unwrap();
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
        let spill = std::sync::Arc::new(Spill {
            file: full.unwrap(),
            end: Default::default(),
            folder: folder.path().to_path_buf(),
        });
        let error = spill.put("<p>lost</p>").err().unwrap().to_string();
        assert!(error.contains("cannot write a temporary file"), "{error}");
        assert!(
            error.contains(&folder.path().display().to_string()),
            "{error}"
        );
        assert!(error.to_lowercase().contains("no space left"), "{error}");
    }
}
