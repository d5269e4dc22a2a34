//! Replacing a large output file (a fleet's plan.json: gigabytes) without waiting for the old
//! one to be freed.
//!
//! A run writes the new file beside the old one ([`temporary`]) and renames it over it: a reader
//! never sees half a file. The rename frees the old file's blocks, and on a file system that
//! discards freed blocks that is a fraction of a second for each gigabyte, at the end of the run.
//! So a large old file is first given a second name ([`kept`], hidden, in the same directory),
//! and the rename frees nothing; the next run deletes it at its start ([`clear`]), while it
//! plans. The same clearing deletes the temporary files of runs that were killed before they
//! could rename theirs.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Old files at least this large are kept until the next run: smaller ones are freed at once
/// in no time.
pub const KEEP_FROM: u64 = 64 << 20;

/// A temporary file left this long by a run that no longer exists is deleted.
const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// Where this process writes the file that replaces `path`: one per process, so two runs into
/// one directory each write their own (and the last to finish puts its file in place).
pub fn temporary(path: &Path) -> PathBuf {
    temporary_of(path, std::process::id())
}

/// [`temporary`] for process `pid`.
fn temporary_of(path: &Path, pid: u32) -> PathBuf {
    let mut name = file_name(path);
    name.push_str(&format!(".{pid}.tmp"));
    path.with_file_name(name)
}

/// Where the file that `path` replaced is kept until the next run: `.NAME.old` beside it.
pub fn kept(path: &Path) -> PathBuf {
    path.with_file_name(format!(".{}.old", file_name(path)))
}

/// The last component of `path` (lossy where it is not UTF-8); empty when there is none.
fn file_name(path: &Path) -> String {
    (path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Puts `tmp` in place of `path`. A large file that `path` names is kept first (see the module
/// documentation); where it cannot be (no hard links, another kept file in the way), the rename
/// frees it as usual.
pub fn replace(tmp: &Path, path: &Path) -> io::Result<()> {
    replace_keeping(tmp, path, KEEP_FROM)
}

/// [`replace`], keeping an old file of `from` bytes or more.
fn replace_keeping(tmp: &Path, path: &Path, from: u64) -> io::Result<()> {
    let large = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() >= from);
    if large {
        let _ = std::fs::hard_link(path, kept(path));
    }
    std::fs::rename(tmp, path)
}

/// Deletes what earlier runs left beside `path`: the file they replaced ([`kept`]), and the
/// temporary files of runs that were killed (their process is gone and the file has not been
/// written for ten minutes; Linux only, where a process's presence can be seen). Errors are
/// ignored: what is left is deleted by a later run, or is in the way of nothing.
///
/// A process is looked for in this one's `/proc`: a run in another PID namespace (a container
/// writing to the same directory) or on another host (a shared network file system) looks gone.
/// The ten minutes guard its file: a live run writes its plan within seconds of creating it.
pub fn clear(path: &Path) {
    let _ = std::fs::remove_file(kept(path));
    if cfg!(target_os = "linux") {
        for stale in stale_temporaries(path, System) {
            let _ = std::fs::remove_file(stale);
        }
    }
}

/// What [`clear`] asks of the system, so that a test can say which processes are alive.
trait Processes {
    /// Whether process `pid` exists.
    fn alive(&self, pid: u32) -> bool;
}

/// The processes this system shows in `/proc`.
struct System;

impl Processes for System {
    fn alive(&self, pid: u32) -> bool {
        Path::new("/proc").join(pid.to_string()).exists()
    }
}

/// The temporary files beside `path` of processes that are gone, not written for
/// [`STALE_AFTER`].
fn stale_temporaries(path: &Path, processes: impl Processes) -> Vec<PathBuf> {
    let (Some(dir), name) = (path.parent(), file_name(path)) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let own = std::process::id();
    let prefix = format!("{name}.");
    (entries.flatten())
        .filter_map(|e| {
            let file = e.file_name();
            let pid = (file.to_str())
                .and_then(|f| f.strip_prefix(&prefix))
                .and_then(|f| f.strip_suffix(".tmp"))
                .and_then(|p| p.parse::<u32>().ok())?;
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            let idle = meta.modified().ok()?.elapsed().unwrap_or_default();
            (pid != own && idle >= STALE_AFTER && !processes.alive(pid)).then(|| e.path())
        })
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// A large file replaced is kept under its hidden name, the same file (inode), and the next
    /// clearing deletes it; a small one is not kept.
    #[test]
    fn a_large_replaced_file_is_kept_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let old = std::fs::metadata(&path).unwrap().ino();
        let tmp = temporary(&path);
        assert_eq!(
            tmp.file_name().unwrap().to_str().unwrap(),
            format!("plan.json.{}.tmp", std::process::id())
        );
        std::fs::write(&tmp, b"{}\n").unwrap();
        replace_keeping(&tmp, &path, 4096).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}\n");
        assert!(!tmp.exists());
        let kept = dir.path().join(".plan.json.old");
        assert_eq!(std::fs::metadata(&kept).unwrap().ino(), old);
        assert_eq!(std::fs::read(&kept).unwrap(), vec![b'x'; 4096]);

        // Cleared by the next run; then a file below the size is not kept.
        clear(&path);
        assert!(!kept.exists());
        std::fs::write(&tmp, b"[]\n").unwrap();
        replace_keeping(&tmp, &path, 4096).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[]\n");
        assert!(!kept.exists());
    }

    /// A kept file already in the way (a clearing that failed, another run) does not stop the
    /// replacement: the old file is then freed by the rename.
    #[test]
    fn a_kept_file_in_the_way_does_not_stop_the_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let kept = kept(&path);
        std::fs::write(&kept, b"older").unwrap();
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        let tmp = temporary(&path);
        std::fs::write(&tmp, b"new").unwrap();
        replace_keeping(&tmp, &path, 1).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read(&kept).unwrap(), b"older");
    }

    /// Only the temporary files of processes that are gone and that have not been written for
    /// ten minutes are stale: not a live run's, not this process's, not a recent one, not
    /// another file's.
    #[test]
    fn only_the_old_temporaries_of_gone_processes_are_stale() {
        struct Alive(u32);
        impl Processes for Alive {
            fn alive(&self, pid: u32) -> bool {
                pid == self.0
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        let make = |name: &str, old: bool| {
            let p = dir.path().join(name);
            let f = std::fs::File::create(&p).unwrap();
            if old {
                f.set_modified(long_ago).unwrap();
            }
            p
        };
        let gone = make("plan.json.4000001.tmp", true);
        make("plan.json.4000002.tmp", true); // alive
        make("plan.json.4000003.tmp", false); // written recently
        make(&format!("plan.json.{}.tmp", std::process::id()), true);
        make("report.json.4000004.tmp", true);
        make("plan.json.x.tmp", true);
        std::fs::create_dir(dir.path().join("plan.json.4000005.tmp")).unwrap();
        assert_eq!(stale_temporaries(&path, Alive(4000002)), vec![gone]);
    }
}
