//! The one reader of files from outside (inventory, feeds, lockfiles, SBOMs, templates, saved
//! plans, ledger exports): it opens only regular files, so a named pipe, device or socket given
//! as an input is an error naming the path instead of a read that blocks forever; it refuses
//! files past [`MAX_BYTES`] before reading them; and it drops a UTF-8 byte-order mark, which
//! editors on Windows put in front of JSON, TOML and text files alike.

use std::fs::File;
use std::io::{Error, ErrorKind, Read, Result};
use std::path::Path;

/// Runs `f` (parallel iteration over many small files) on a pool of its own with more threads
/// than cores: reading or writing tens of thousands of files mostly waits for the disk when they
/// are not cached, and a disk serves several requests at once. The pool the CPU-bound work runs
/// on meanwhile is left to it.
pub fn on_io_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let make = || {
        (rayon::ThreadPoolBuilder::new())
            .num_threads(8)
            .thread_name(|i| format!("files {i}"))
    };
    crate::pools::on_kept(&POOL, make, f)
}

/// Reads `path` (if it can) from start to end in large blocks, several at once, and forgets the
/// bytes: what reads it next in small pieces, as SQLite reads a database's pages (and a ledger's
/// opening checks read every one), then finds it cached instead of waiting on the disk for each.
/// A block the page cache already holds (as it does after the last run, on Linux) is not read:
/// copying a fleet's 155 MB ledger out of the cache cost 0.1-0.2 s of CPU while the inventory
/// loads on both cores.
pub fn prefetch(path: &Path) {
    use rayon::prelude::*;
    use std::os::unix::fs::FileExt;
    const BLOCK: u64 = 4 << 20;
    let Some((file, len)) = open_regular(path, true) else {
        return;
    };
    on_io_pool(|| {
        (0..len.div_ceil(BLOCK))
            .into_par_iter()
            .filter(|b| !cached(&file, b * BLOCK, BLOCK.min(len - b * BLOCK)))
            .for_each_init(Vec::new, |buf, b| {
                buf.resize(BLOCK as usize, 0);
                let _ = file.read_at(buf, b * BLOCK);
            })
    });
}

/// Whether the page cache holds `len` bytes of `file` from `at`, as far as reading one byte of
/// each 256 KiB without waiting (`RWF_NOWAIT`) tells: the kernel reads ahead in runs about that
/// long. `false` where that cannot be asked.
fn cached(file: &File, at: u64, len: u64) -> bool {
    #[cfg(all(target_os = "linux", not(target_env = "musl")))]
    {
        use rustix::io::{ReadWriteFlags, preadv2};
        const STEP: u64 = 256 << 10;
        let mut byte = [0u8];
        (at..at + len).step_by(STEP as usize).all(|offset| {
            let mut bufs = [std::io::IoSliceMut::new(&mut byte)];
            preadv2(file, &mut bufs, offset, ReadWriteFlags::NOWAIT).is_ok_and(|n| n == 1)
        })
    }
    #[cfg(not(all(target_os = "linux", not(target_env = "musl"))))]
    {
        let _ = (file, at, len);
        false
    }
}

/// `path` opened for reading when it is a regular file, with its length; `None` otherwise. A last symbolic link
/// is followed only when `follow`. Where the system allows (Linux), the file is opened without
/// waiting for a writer, so a named pipe put where a file was expected is refused, not waited
/// on; elsewhere what is there is looked at first.
pub fn open_regular(path: &Path, follow: bool) -> Option<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        let no_follow = if follow { 0 } else { libc::O_NOFOLLOW };
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK | no_follow);
    }
    #[cfg(not(target_os = "linux"))]
    {
        let meta = match follow {
            true => std::fs::metadata(path),
            false => std::fs::symlink_metadata(path),
        };
        if !meta.is_ok_and(|m| m.is_file()) {
            return None;
        }
    }
    let file = options.open(path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta.len()))
}

/// The largest file read whole (a zip feed is streamed and capped by its own limits).
pub const MAX_BYTES: u64 = 1 << 30;

/// Opens `path` for reading when it is a regular file (symbolic links followed).
pub fn open(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = match meta.is_dir() {
            true => "a directory",
            false => "a named pipe, socket or device",
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("not a regular file ({what}); patchplan reads only regular files"),
        ));
    }
    File::open(path)
}

/// The bytes of the regular file `path`, at most [`MAX_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>> {
    read_up_to(path, MAX_BYTES)
}

/// The largest document patchplan wrote itself that it reads back (a saved plan.json, a ledger
/// export): these grow with the fleet, and a 20,000-environment plan is 1.5 GB.
pub const MAX_OWN_BYTES: u64 = 16 << 30;

/// The bytes of the regular file `path`, at most `limit`.
fn read_up_to(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = open(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "{len} bytes is more than the {} MiB patchplan reads",
                limit >> 20
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of the regular file `path`, without a leading byte-order mark.
pub fn read_to_string(path: &Path) -> Result<String> {
    text(read(path)?)
}

/// A directory whose files are read by name ([`Dir::read`]): a fleet's inventory is tens of
/// thousands of small files, and each one looked up from the root, looked at, opened and looked
/// at again cost 0.12-0.17 s of the 20,000-environment fleet's start, where looking at each
/// once and opening it in its directory costs about 0.07 s.
pub struct Dir {
    path: std::path::PathBuf,
    #[cfg(target_os = "linux")]
    fd: Option<File>,
}

impl Dir {
    /// `path`, opened when the system allows; otherwise its files are read by their paths.
    pub fn open(path: &Path) -> Dir {
        Dir {
            path: path.to_path_buf(),
            #[cfg(target_os = "linux")]
            fd: File::open(path).ok(),
        }
    }

    /// [`read`] of the file `name` in this directory, with the same result and errors: what is
    /// not plainly a regular file of at most [`MAX_BYTES`] (or cannot be opened in it) is read by
    /// its path, the way every other file is.
    pub fn read(&self, name: &std::ffi::OsStr) -> Result<Vec<u8>> {
        #[cfg(target_os = "linux")]
        if let Some(bytes) = self.fd.as_ref().and_then(|dir| read_in(dir, name)) {
            return Ok(bytes);
        }
        read(&self.path.join(name))
    }
}

/// The bytes of the regular file `name` in `dir`: looked at first (a link followed), so that
/// only a regular file is opened, as [`open`] does; then opened without waiting for a writer
/// and read up to the length it had. `None` for anything else, or a file whose length changed
/// in between (read again by its path, which looks again).
#[cfg(target_os = "linux")]
fn read_in(dir: &File, name: &std::ffi::OsStr) -> Option<Vec<u8>> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, openat, statat};
    let stat = statat(dir, name, AtFlags::empty()).ok()?;
    let len = u64::try_from(stat.st_size).ok()?;
    let regular = FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile;
    // (An empty one is read by its path: a file of the kernel's says it is empty and is not.)
    if !regular || len == 0 || len > MAX_BYTES {
        return None;
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let mut file = File::from(openat(dir, name, flags, Mode::empty()).ok()?);
    // One byte more than its length: a read that fills it means the file grew. A read that
    // returns the whole length has read it all (a regular file's reads stop short only at its
    // end), so an empty read to see the end is not needed.
    let mut bytes = vec![0; len as usize + 1];
    let mut filled = 0;
    while filled < len as usize {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    (filled == len as usize).then(|| {
        bytes.truncate(filled);
        bytes
    })
}

/// [`read_to_string`] of a document patchplan wrote itself, at most [`MAX_OWN_BYTES`].
pub fn read_own_to_string(path: &Path) -> Result<String> {
    text(read_up_to(path, MAX_OWN_BYTES)?)
}

/// `bytes` as UTF-8 text, without a leading byte-order mark.
pub fn text(bytes: Vec<u8>) -> Result<String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::new(
            ErrorKind::InvalidData,
            format!("not UTF-8 text (invalid byte at offset {at})"),
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// `bytes` without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Whether each of `paths` (relative to `dir`, `/`-separated) exists, as [`Path::exists`] says,
/// with each directory listed once rather than each file looked up: a fleet's ledger records
/// a hundred thousand notice files, a few dozen to a directory. Only what the listing shows as
/// a file is taken from it; a link, or a name it does not show, is looked up.
pub fn exist(dir: &Path, paths: &[&str]) -> Vec<bool> {
    use rayon::prelude::*;
    use std::collections::HashMap;
    let mut by_dir: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in paths.iter().enumerate() {
        let parent = p.rsplit_once('/').map_or("", |(d, _)| d);
        by_dir.entry(parent).or_default().push(i);
    }
    let groups: Vec<(&str, Vec<usize>)> = by_dir.into_iter().collect();
    let found: Vec<Vec<(usize, bool)>> = on_io_pool(|| {
        (groups.par_iter())
            .map(|(parent, members)| {
                let listed = listing(&dir.join(parent));
                (members.iter())
                    .map(|&i| {
                        let name = paths[i].rsplit_once('/').map_or(paths[i], |(_, n)| n);
                        // A name listed as a file is there; anything else is looked up (a
                        // link, a directory that cannot be listed, a case-blind file system).
                        let listed = listed.contains(std::ffi::OsStr::new(name));
                        (i, listed || dir.join(paths[i]).exists())
                    })
                    .collect()
            })
            .collect()
    });
    let mut out = vec![false; paths.len()];
    for (i, here) in found.into_iter().flatten() {
        out[i] = here;
    }
    out
}

/// The names in directory `dir` that are not links; empty when it cannot be listed.
fn listing(dir: &Path) -> std::collections::HashSet<std::ffi::OsString> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Default::default();
    };
    (entries.flatten())
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_symlink()))
        .map(|e| e.file_name())
        .collect()
}

/// Whether a file's name is hidden (starts with `.`): an editor's `.#name.toml` lock, a
/// `.patchplan/` of ledger and cache. The inventory is its files that are not.
pub fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file just written and read is in the page cache, each 256 KiB of it; what lies past
    /// its end is not (nothing to read). Where the kernel cannot be asked, nothing counts as
    /// cached, and [`prefetch`] reads every block as it always did.
    #[test]
    fn a_file_just_read_is_cached_and_past_its_end_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ledger.db");
        let bytes: Vec<u8> = (0..(3 << 20) + 12_345).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let file = File::open(&path).unwrap();
        let len = bytes.len() as u64;
        let linux = cfg!(all(target_os = "linux", not(target_env = "musl")));
        assert_eq!(cached(&file, 0, len), linux);
        assert_eq!(cached(&file, 1 << 20, len - (1 << 20)), linux);
        assert!(!cached(&file, len, 1 << 20));
        assert!(!cached(&file, 0, len + (1 << 20)));
        prefetch(&path);
        prefetch(&tmp.path().join("missing.db"));
    }

    /// [`Dir::read`] gives what [`read`] of the joined path gives, bytes or error message:
    /// files (empty, with a byte-order mark, larger than a read), a link to one, a missing
    /// file, a directory, a dangling link, a named pipe (refused, not waited on), a device and a
    /// kernel file whose length says nothing of its content; and in a directory that cannot be
    /// opened, each file is read by its path.
    #[test]
    fn a_file_read_in_its_directory_reads_as_by_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a.toml"), "id = \"a\"\n").unwrap();
        std::fs::write(dir.join("empty.toml"), "").unwrap();
        std::fs::write(dir.join("bom.toml"), "\u{feff}id = 1\n").unwrap();
        let large: Vec<u8> = (0..(1 << 20) + 3).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("large.bin"), &large).unwrap();
        std::fs::create_dir(dir.join("sub.toml")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("a.toml"), dir.join("link.toml")).unwrap();
            std::os::unix::fs::symlink(dir.join("gone"), dir.join("dangling.toml")).unwrap();
            // A file of the kernel's, empty by its length and not by its content; a device.
            #[cfg(target_os = "linux")]
            std::os::unix::fs::symlink("/proc/version", dir.join("kernel.toml")).unwrap();
            #[cfg(target_os = "linux")]
            std::os::unix::fs::symlink("/dev/null", dir.join("null.toml")).unwrap();
            let fifo = std::process::Command::new("mkfifo")
                .arg(dir.join("pipe.toml"))
                .status();
            assert!(fifo.is_ok_and(|s| s.success()) || !cfg!(target_os = "linux"));
        }
        let names = [
            "a.toml",
            "empty.toml",
            "bom.toml",
            "large.bin",
            "sub.toml",
            "link.toml",
            "dangling.toml",
            "pipe.toml",
            "missing.toml",
            "kernel.toml",
            "null.toml",
        ];
        let result = |r: Result<Vec<u8>>| r.map_err(|e| e.to_string());
        let opened = Dir::open(dir);
        for name in names {
            let by_path = result(read(&dir.join(name)));
            assert_eq!(result(opened.read(name.as_ref())), by_path, "{name}");
        }
        let bom = text(Dir::open(dir).read("bom.toml".as_ref()).unwrap()).unwrap();
        assert_eq!(bom, "id = 1\n");
        assert_eq!(Dir::open(dir).read("large.bin".as_ref()).unwrap(), large);
        // A directory that is not there: each file is read by its path, and is not there either.
        let gone = Dir::open(&dir.join("gone"));
        let missing = gone.read("a.toml".as_ref()).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
    }

    /// [`exist`] says what [`Path::exists`] says of each path: files, missing files, files of a
    /// missing directory, a directory, a link to a file and a dangling link.
    #[test]
    fn exist_agrees_with_a_lookup_of_each_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("notices/acme")).unwrap();
        std::fs::write(dir.join("notices/acme/a.txt"), "a").unwrap();
        std::fs::write(dir.join("top.txt"), "t").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("a.txt", dir.join("notices/acme/link.txt")).unwrap();
            std::os::unix::fs::symlink("gone.txt", dir.join("notices/acme/dangling.txt")).unwrap();
        }
        let paths = [
            "notices/acme/a.txt",
            "notices/acme/b.txt",
            "notices/acme/link.txt",
            "notices/acme/dangling.txt",
            "notices/other/a.txt",
            "notices/acme",
            "top.txt",
            "none.txt",
        ];
        let expected: Vec<bool> = paths.iter().map(|p| dir.join(p).exists()).collect();
        assert_eq!(
            expected.iter().filter(|&&e| e).count(),
            if cfg!(unix) { 4 } else { 3 }
        );
        assert_eq!(exist(dir, &paths), expected);
    }

    /// A file past the limit is refused before it is read, naming its size and the limit.
    #[test]
    fn a_file_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, vec![b' '; 3 << 20]).unwrap();
        let e = read_up_to(&path, 2 << 20).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        assert!(
            e.to_string()
                .contains("3145728 bytes is more than the 2 MiB"),
            "{e}"
        );
        assert_eq!(read_up_to(&path, 3 << 20).unwrap().len(), 3 << 20);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to test
        }
        let err = read(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert!(read_to_string(dir.path()).is_err());
    }

    #[test]
    fn drops_a_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "\u{feff}name==1.0\n").unwrap();
        assert_eq!(read_to_string(&path).unwrap(), "name==1.0\n");
        assert_eq!(strip_bom(b"\xef\xbb\xbf{}"), b"{}");
    }
}
