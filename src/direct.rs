//! A large output file (a fleet's plan.json: gigabytes) written past the page cache.
//!
//! The file is synced before it is put in place, so its bytes go to the disk anyway; copying
//! them into the page cache first only costs a fresh page for each 4 KiB written (on a small
//! virtual machine, most of a fleet plan's time). Where the file system allows it, the file is
//! opened with `O_DIRECT` and written in large aligned blocks; the last, partial block is padded
//! to the alignment and the file then cut to its length. Where it does not (tmpfs, another
//! system), or a direct write is refused, the blocks are written the ordinary way from where the
//! direct writes stopped.
//!
//! What is written is copied into the block being filled; what is appended
//! ([`Output::append`], plan.json's rows) is formatted in it, in place, with no copy at all.
//!
//! A direct write returns only once its bytes are on the device, so blocks are written on
//! threads of their own while the next ones fill: up to six buffers take turns, so that the disk
//! has a block waiting when the thread filling them was not given a core for a few milliseconds
//! (a run writes its plan while it does the rest of its work on both cores). With two buffers,
//! the disk sat idle for a fleet's plan a third of the time it was written. Two threads write,
//! each its own block at its own offset: with two writes in flight, the virtual disk measured
//! here takes 1.6 GB in 0.76 s rather than 0.95 s.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What direct writes align their memory, offsets and lengths to: a multiple of every logical
/// block size in common use (512 bytes, 4 KiB).
pub const ALIGN: usize = 4096;
/// Bytes gathered before each write.
const BLOCK: usize = 4 << 20;
/// Blocks filled, waiting or being written at most.
const BUFFERS: usize = 6;
/// Threads writing blocks, each one at a time.
const WRITERS: usize = 2;
/// How far into a [`Parted`] file its rest is written while its start is: further than any
/// plan's start (a 20,000-environment fleet's is 128 MB) could reach. The gap is a hole: it
/// takes no room on the disk, and is closed once both are written.
const GAP: u64 = 1 << 36;

/// How many buffers an [`Output`] fills at most, and how many threads write them.
#[derive(Clone, Copy)]
struct Shape {
    buffers: usize,
    writers: usize,
}

/// A file written on its own.
const WHOLE: Shape = Shape {
    buffers: BUFFERS,
    writers: WRITERS,
};

/// A [`Parted`] file's start: tens of MB written beside the rest, which has the buffers.
const START: Shape = Shape {
    buffers: 2,
    writers: 1,
};

/// Room past a block for what [`Output::append`] writes beyond it (a row of plan.json is under
/// a kilobyte; one longer than this moves the buffer, whose block is then written through the
/// page cache).
const SLACK: usize = 256 << 10;

/// A buffer whose aligned block starts at `start`: the bytes filled are `bytes[start..]`.
struct Buffer {
    bytes: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn new() -> Buffer {
        let mut bytes: Vec<u8> = Vec::with_capacity(ALIGN + BLOCK + SLACK);
        let start = bytes.as_ptr().align_offset(ALIGN).min(ALIGN);
        bytes.resize(start, 0);
        Buffer { bytes, start }
    }

    fn aligned(&self) -> bool {
        self.start < ALIGN
    }

    /// The bytes filled.
    fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// Empties it, to be filled again.
    fn clear(&mut self) {
        self.bytes.truncate(self.start);
    }
}

/// A block to write: `len` bytes of the buffer from its start, at `offset` in the file.
struct Block {
    buffer: Buffer,
    len: usize,
    offset: u64,
}

/// The file, on the thread that writes it.
struct Writer {
    path: PathBuf,
    file: File,
    /// Opened with `O_DIRECT`, and no direct write refused yet.
    direct: bool,
}

impl Writer {
    /// Writes each block it takes from `blocks` (shared with the other writers), handing its
    /// buffer back; returns the file, or the first error. A writer that fails tells the others
    /// (`failed`), which stop at their next block: once all have, the filler's next block or
    /// buffer is refused, and it learns the error.
    fn run(
        mut self,
        blocks: &Mutex<Receiver<Block>>,
        spent: SyncSender<Buffer>,
        failed: &AtomicBool,
    ) -> io::Result<Writer> {
        loop {
            // (A writer panicked holding the lock: this one stops too.)
            let Some(Ok(b)) = blocks.lock().ok().map(|rx| rx.recv()) else {
                return Ok(self);
            };
            if failed.load(Ordering::Relaxed) {
                return Ok(self);
            }
            let start = b.buffer.start;
            let written = self.write(&b.buffer.bytes[start..start + b.len], b.offset);
            if written.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            written?;
            // The filler may have finished: the buffer is then no longer wanted.
            let _ = spent.send(b.buffer);
        }
    }

    /// A refused direct write is made again through the page cache, which the rest of the
    /// file then goes through too.
    fn write(&mut self, block: &[u8], offset: u64) -> io::Result<()> {
        match self.file.write_all_at(block, offset) {
            Err(e) if self.direct && e.kind() == io::ErrorKind::InvalidInput => {
                let file = OpenOptions::new().write(true).open(&self.path)?;
                file.write_all_at(block, offset)?;
                self.file = file;
                self.direct = false;
                Ok(())
            }
            written => written,
        }
    }
}

/// A file being written; [`Output::finish`] writes what is buffered and gives the file back.
pub struct Output {
    /// The block being filled.
    buf: Buffer,
    /// Bytes sent to be written before it.
    offset: u64,
    /// Opened with `O_DIRECT`: blocks are whole, the last one padded.
    direct: bool,
    /// Buffers not being written, to fill next.
    spare: Vec<Buffer>,
    /// Buffers made so far, and how many may be.
    made: usize,
    most: usize,
    blocks: Option<SyncSender<Block>>,
    spent: Receiver<Buffer>,
    /// The writing threads; empty once joined.
    writers: Vec<JoinHandle<io::Result<Writer>>>,
}

impl Output {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Output> {
        Output::with(path, true)
    }

    /// [`Output::create`], through the page cache unless `direct`.
    fn with(path: &Path, direct: bool) -> io::Result<Output> {
        let (file, direct) = Output::open(path, direct)?;
        Output::on(path, file, direct, 0, WHOLE)
    }

    /// `path` created (or truncated), past the page cache if `direct` and it can be; whether it
    /// is.
    fn open(path: &Path, direct: bool) -> io::Result<(File, bool)> {
        let opened = match direct && Buffer::new().aligned() {
            true => open_direct(path),
            false => Err(io::ErrorKind::Unsupported.into()),
        };
        Ok(match opened {
            Ok(file) => (file, true),
            _ => (File::create(path)?, false),
        })
    }

    /// Writes `file` (at `path`, opened `direct` or not) from `offset`, with `shape`'s buffers
    /// and threads.
    fn on(path: &Path, file: File, direct: bool, offset: u64, shape: Shape) -> io::Result<Output> {
        let (blocks, to_write) = sync_channel(shape.buffers);
        let (give_back, spent) = sync_channel(shape.buffers);
        let (to_write, failed) = (
            Arc::new(Mutex::new(to_write)),
            Arc::new(AtomicBool::new(false)),
        );
        let mut writers = Vec::with_capacity(shape.writers);
        for _ in 0..shape.writers {
            let writer = Writer {
                path: path.to_path_buf(),
                file: file.try_clone()?,
                direct,
            };
            let (to_write, give_back, failed) =
                (to_write.clone(), give_back.clone(), failed.clone());
            let spawned = std::thread::Builder::new()
                .name("plan.json writer".into())
                .spawn(move || writer.run(&to_write, give_back, &failed));
            match spawned {
                Ok(w) => writers.push(w),
                // Fewer writers are slower, not wrong; none is an error.
                Err(e) if writers.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(Output {
            buf: Buffer::new(),
            offset,
            direct,
            spare: Vec::new(),
            made: 1,
            most: shape.buffers,
            blocks: Some(blocks),
            spent,
            writers,
        })
    }

    /// Whether the file is being written past the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Writes what is still buffered and returns the file, at its exact length (not yet
    /// synced).
    pub fn finish(mut self) -> io::Result<File> {
        let len = self.buf.len();
        let end = self.offset + len as u64;
        if len > 0 {
            let mut whole = len;
            if self.direct {
                // Zeros up to the alignment, cut off again below.
                whole = len.next_multiple_of(ALIGN);
                self.buf.bytes.resize(self.buf.start + whole, 0);
            }
            self.send(whole)?;
        }
        self.blocks = None;
        let writer = self.join()?;
        if self.direct {
            writer.file.set_len(end)?;
        }
        Ok(writer.file)
    }

    /// Writes what is still buffered, padded with `pad` to whole blocks, and returns where it
    /// ends. The file's length is left as it is: what follows is written by another output.
    fn finish_padded(mut self, pad: u8) -> io::Result<u64> {
        let whole = self.buf.len().next_multiple_of(ALIGN);
        self.buf.bytes.resize(self.buf.start + whole, pad);
        if whole > 0 {
            self.send(whole)?;
        }
        self.blocks = None;
        self.join()?;
        Ok(self.offset)
    }

    /// Appends what `f` writes to the buffer, in place: a large file's pieces (plan.json's
    /// rows) are formatted straight into the blocks that go to the disk, not copied there.
    pub fn append(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        f(&mut self.buf.bytes);
        while self.buf.len() >= BLOCK {
            self.send(BLOCK)?;
        }
        Ok(())
    }

    /// Sends the first `len` bytes filled to be written, and takes a buffer to fill next (one
    /// written already, or a new one, or, all made, the next to be written, waiting
    /// for its write to end), which starts with the bytes past them.
    fn send(&mut self, len: usize) -> io::Result<()> {
        self.spare.extend(self.spent.try_iter());
        let mut next = match self.spare.pop().or_else(|| self.new_buffer()) {
            Some(b) => b,
            None => match self.spent.recv() {
                Ok(b) => b,
                Err(_) => return Err(self.failure()),
            },
        };
        next.clear();
        next.bytes
            .extend_from_slice(&self.buf.bytes[self.buf.start + len..]);
        let block = Block {
            buffer: std::mem::replace(&mut self.buf, next),
            len,
            offset: self.offset,
        };
        let sent = self.blocks.as_ref().map(|tx| tx.send(block));
        if !matches!(sent, Some(Ok(()))) {
            return Err(self.failure());
        }
        self.offset += len as u64;
        Ok(())
    }

    /// A new buffer while fewer than its most are made. (Should one not be aligned, the
    /// direct write of its block is refused, and the writer goes on through the page cache.)
    fn new_buffer(&mut self) -> Option<Buffer> {
        if self.made >= self.most {
            return None;
        }
        self.made += 1;
        Some(Buffer::new())
    }

    /// The writing thread's error, once it has stopped.
    fn failure(&mut self) -> io::Error {
        self.blocks = None;
        match self.join() {
            Err(e) => e,
            Ok(_) => io::Error::other("the writing thread stopped"),
        }
    }

    /// Waits for every writer; the first one's file, or the first error.
    fn join(&mut self) -> io::Result<Writer> {
        let joined: Vec<io::Result<Writer>> = (self.writers.drain(..))
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        let mut first = None;
        for w in joined {
            let w = w?;
            first.get_or_insert(w);
        }
        first.ok_or_else(|| io::Error::other("already finished"))
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = data.len().min(BLOCK - self.buf.len());
            self.buf.bytes.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buf.len() == BLOCK {
                self.send(BLOCK)?;
            }
        }
        Ok(())
    }

    /// Buffered bytes stay buffered until a block is full or [`Output::finish`]: a direct write
    /// must be whole blocks.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Output {
    /// Unfinished (a failed run): the writing thread ends with the blocks already sent.
    fn drop(&mut self) {
        self.blocks = None;
        for w in self.writers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A file written in two parts at once: its start, and the rest from [`GAP`] bytes into the
/// file. Once both are written, the start is padded to whole blocks and the gap between them
/// closed: the file system moves the rest's blocks down (`FALLOC_FL_COLLAPSE_RANGE`, on ext4
/// and XFS), without copying a byte. A fleet's plan.json so starts its gigabyte of findings
/// on the disk while its 128 MB start is still being formatted.
pub struct Parted {
    pub start: Output,
    pub rest: Output,
    path: PathBuf,
}

impl Parted {
    /// Creates (or truncates) `path`, written in two parts where its file system can close the
    /// gap between them (tried first on the empty file); `None` where it cannot, with the
    /// file left empty.
    pub fn create(path: &Path) -> io::Result<Option<Parted>> {
        let (file, direct) = Output::open(path, true)?;
        if !closes_gaps(path)? {
            return Ok(None);
        }
        let start = Output::on(path, file.try_clone()?, direct, 0, START)?;
        let rest = Output::on(path, file, direct, GAP, WHOLE)?;
        Ok(Some(Parted {
            start,
            rest,
            path: path.to_path_buf(),
        }))
    }

    /// Finishes both parts, the start padded with `pad` to whole blocks, and closes the gap: the
    /// file, not yet synced.
    pub fn finish(self, pad: u8) -> io::Result<File> {
        self.finish_closing(pad, true).map(|(file, _)| file)
    }

    /// [`Parted::finish`], the gap closed by the file system only if `collapse`; with where the
    /// rest now starts.
    fn finish_closing(self, pad: u8, collapse: bool) -> io::Result<(File, u64)> {
        let file = self.rest.finish()?;
        let start = self.start.finish_padded(pad)?;
        if start > GAP {
            return Err(io::Error::other(
                "the start of the file grew past where its rest was written",
            ));
        }
        close_gap(&self.path, &file, start, collapse)?;
        Ok((file, start))
    }
}

/// Closes the gap from `start` to [`GAP`] in `file` (at `path`): by the file system, when
/// `collapse` and it can; otherwise the rest is copied down, a block at a time.
fn close_gap(path: &Path, file: &File, start: u64, collapse: bool) -> io::Result<()> {
    if start == GAP || (collapse && collapse_range(file, start, GAP - start).is_ok()) {
        return Ok(());
    }
    let plain = OpenOptions::new().read(true).write(true).open(path)?;
    let end = plain.metadata()?.len();
    let mut block = vec![0; BLOCK];
    let mut at = GAP;
    while at < end {
        let n = ((end - at) as usize).min(BLOCK);
        plain.read_exact_at(&mut block[..n], at)?;
        plain.write_all_at(&block[..n], at - (GAP - start))?;
        at += n as u64;
    }
    plain.set_len(end - (GAP - start))
}

/// Whether the file system of `path` (an empty file, left empty) closes a gap in a file: one
/// known to keep a gap as a hole (ext4, XFS; elsewhere a byte written far into a file could
/// mean gigabytes of zeros written first), where a block written at the file's start and a
/// byte at [`GAP`], then the gap between collapsed, leave the file as long as the two.
fn closes_gaps(path: &Path) -> io::Result<bool> {
    let plain = OpenOptions::new().write(true).open(path)?;
    if !unlimited_file_size() || !keeps_holes(&plain) {
        return Ok(false);
    }
    let tried = (|| -> io::Result<bool> {
        plain.write_all_at(&[b' '; ALIGN], 0)?;
        plain.write_all_at(b" ", GAP)?;
        collapse_range(&plain, ALIGN as u64, GAP - ALIGN as u64)?;
        Ok(plain.metadata()?.len() == ALIGN as u64 + 1)
    })();
    plain.set_len(0)?;
    Ok(tried.unwrap_or(false))
}

/// Whether `file` is on a file system known to keep a gap in a file as a hole and to close it
/// (ext4, XFS).
fn keeps_holes(file: &File) -> bool {
    #[cfg(target_os = "linux")]
    {
        const EXT4: u64 = 0xEF53;
        const XFS: u64 = 0x5846_5342;
        rustix::fs::fstatfs(file).is_ok_and(|fs| matches!(fs.f_type as u64, EXT4 | XFS))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

/// Whether no file size limit (`ulimit -f`) is set: a write past it ends the process (SIGXFSZ)
/// rather than failing, and the rest of a parted file is written from [`GAP`] on.
fn unlimited_file_size() -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, getrlimit};
        getrlimit(Resource::Fsize).current.is_none()
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// Removes `len` bytes of `file` from `at`, moving what follows down.
#[cfg(target_os = "linux")]
fn collapse_range(file: &File, at: u64, len: u64) -> io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    Ok(fallocate(file, FallocateFlags::COLLAPSE_RANGE, at, len)?)
}

#[cfg(not(target_os = "linux"))]
fn collapse_range(_: &File, _: u64, _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> io::Result<File> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths around the alignment and the block, written in uneven pieces: the file holds
    /// exactly the bytes written, whether the directory's file system takes direct writes or
    /// not.
    #[test]
    fn writes_exactly_what_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let lengths = [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK,
            BLOCK + 7,
            2 * BLOCK + 4097,
            // More blocks than buffers: the filler waits for written ones to come back.
            (BUFFERS + 2) * BLOCK + 1,
        ];
        for (total, direct) in lengths.into_iter().flat_map(|n| [(n, true), (n, false)]) {
            let data: Vec<u8> = (0..total).map(|i| (i * 31 % 251) as u8).collect();
            let mut out = Output::with(&path, direct).unwrap();
            if !direct {
                assert!(!out.is_direct());
            }
            for piece in data.chunks(100_003) {
                out.write_all(piece).unwrap();
            }
            let file = out.finish().unwrap();
            file.sync_data().unwrap();
            drop(file);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                data,
                "{total} bytes, {direct}"
            );
        }
    }

    /// Pieces appended in place, mixed with pieces written, across blocks: the file holds them
    /// in order; one longer than the room past a block (the buffer moves, its block then goes
    /// through the page cache) too.
    #[test]
    fn appends_in_place_what_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        for direct in [true, false] {
            let mut out = Output::with(&path, direct).unwrap();
            let mut expected = Vec::new();
            let mut n = 0usize;
            while expected.len() < 3 * BLOCK {
                let piece: Vec<u8> = (0..(n * 7919 % 1500)).map(|i| (i + n) as u8).collect();
                if n.is_multiple_of(5) {
                    out.write_all(&piece).unwrap();
                } else {
                    out.append(|buf| buf.extend_from_slice(&piece)).unwrap();
                }
                expected.extend_from_slice(&piece);
                n += 1;
            }
            let long = vec![b'L'; SLACK + BLOCK / 2];
            out.append(|buf| buf.extend_from_slice(&long)).unwrap();
            expected.extend_from_slice(&long);
            out.append(|buf| buf.extend_from_slice(b"end")).unwrap();
            expected.extend_from_slice(b"end");
            out.finish().unwrap().sync_data().unwrap();
            assert!(std::fs::read(&path).unwrap() == expected, "{direct}");
        }
    }

    /// A file written in two parts holds its start, padded to whole blocks, then its rest,
    /// whether the file system closes the gap or the rest is copied down; where the file system
    /// cannot close gaps at all, there are no parts.
    #[test]
    fn a_parted_file_holds_its_padded_start_then_its_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let data = |n: usize, seed: usize| -> Vec<u8> {
            (0..n).map(|i| (i * 31 + seed) as u8 | 1).collect()
        };
        let lengths = [
            (0, 0),
            (1, 1),
            (ALIGN - 1, 5),
            (ALIGN, BLOCK),
            (ALIGN + 1, BLOCK + 7),
            (BLOCK + 3, 2 * BLOCK + 4097),
            (3 * BLOCK, 0),
        ];
        for ((start_len, rest_len), collapse) in
            lengths.into_iter().flat_map(|l| [(l, true), (l, false)])
        {
            let Some(mut parted) = Parted::create(&path).unwrap() else {
                eprintln!("skipped: this file system does not close gaps in files");
                return;
            };
            let (start, rest) = (data(start_len, 1), data(rest_len, 2));
            for piece in start.chunks(100_003) {
                parted.start.write_all(piece).unwrap();
            }
            for piece in rest.chunks(77_777) {
                parted
                    .rest
                    .append(|buf| buf.extend_from_slice(piece))
                    .unwrap();
            }
            let (file, at) = parted.finish_closing(b' ', collapse).unwrap();
            file.sync_data().unwrap();
            let mut expected = start.clone();
            expected.resize(start_len.next_multiple_of(ALIGN), b' ');
            assert_eq!(at, expected.len() as u64);
            expected.extend_from_slice(&rest);
            let written = std::fs::read(&path).unwrap();
            assert!(
                written == expected,
                "{start_len} + {rest_len} bytes, collapse {collapse}: {} bytes written",
                written.len()
            );
        }
    }

    /// On a file system that cannot close a gap (tmpfs), or is not known to keep one as a hole,
    /// there are no parts, and the file is left there, empty.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_system_that_cannot_close_gaps_has_no_parts() {
        let shm = Path::new("/dev/shm");
        let tmpfs = rustix::fs::statfs(shm).is_ok_and(|fs| fs.f_type as u64 == 0x0102_1994);
        if !tmpfs {
            eprintln!("skipped: no tmpfs at /dev/shm");
            return;
        }
        let dir = tempfile::tempdir_in(shm).unwrap();
        let path = dir.path().join("out.json");
        assert!(Parted::create(&path).unwrap().is_none());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    /// A device that refuses every write (`/dev/full`: no space left) fails the writing,
    /// through either way of opening it, once every writer has stopped: the filler neither
    /// hangs waiting for buffers nor reports success.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_refused_write_is_an_error_not_a_hang() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            eprintln!("skipped: no /dev/full");
            return;
        }
        let data = vec![b'x'; (BUFFERS + WRITERS + 2) * BLOCK + 5];
        for direct in [true, false] {
            let mut out = Output::with(full, direct).unwrap();
            let written = out.write_all(&data).and_then(|()| out.finish().map(drop));
            assert!(written.is_err(), "direct {direct}");
        }
    }

    /// A file first written longer is truncated by the next.
    #[test]
    fn replaces_a_longer_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        for direct in [true, false] {
            std::fs::write(&path, vec![b'x'; 3 * ALIGN]).unwrap();
            let mut out = Output::with(&path, direct).unwrap();
            out.write_all(b"{}\n").unwrap();
            out.finish().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"{}\n");
        }
    }
}
