//! A large output file (a fleet's plan.json: gigabytes) written past the page cache.
//!
//! The file is synced before it is put in place, so its bytes go to the disk anyway; copying
//! them into the page cache first only costs a fresh page for each 4 KiB written (on a small
//! virtual machine, most of a fleet plan's time). Where the file system allows it, the file is
//! opened with `O_DIRECT` and written in large aligned blocks straight from one buffer; the last,
//! partial block is padded to the alignment and the file then cut to its length. Where it does
//! not (tmpfs, another system), or a direct write is refused, the same buffer is written the
//! ordinary way from where the direct writes stopped.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// What direct writes align their memory, offsets and lengths to: a multiple of every logical
/// block size in common use (512 bytes, 4 KiB).
const ALIGN: usize = 4096;
/// Bytes gathered before each write.
const BLOCK: usize = 4 << 20;

/// A file being written; [`Output::finish`] writes what is buffered and gives the file back.
pub struct Output {
    path: PathBuf,
    file: File,
    /// Whether `file` was opened with `O_DIRECT` (and no direct write has been refused yet).
    direct: bool,
    buf: Vec<u8>,
    /// Where in `buf` the aligned block starts.
    start: usize,
    /// Bytes buffered, from `start`.
    len: usize,
    /// Bytes already in the file.
    offset: u64,
}

impl Output {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Output> {
        Output::with(path, true)
    }

    /// [`Output::create`], through the page cache unless `direct`.
    fn with(path: &Path, direct: bool) -> io::Result<Output> {
        let buf = vec![0; BLOCK + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        let opened = match direct && start < ALIGN {
            true => open_direct(path),
            false => Err(io::ErrorKind::Unsupported.into()),
        };
        let (file, direct) = match opened {
            Ok(file) => (file, true),
            _ => (File::create(path)?, false),
        };
        Ok(Output {
            path: path.to_path_buf(),
            file,
            direct,
            buf,
            start: start.min(ALIGN),
            len: 0,
            offset: 0,
        })
    }

    /// Whether the file is being written past the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Writes what is still buffered and returns the file, at its exact length (not yet
    /// synced).
    pub fn finish(mut self) -> io::Result<File> {
        let end = self.offset + self.len as u64;
        if self.len > 0 {
            let padded = self.direct;
            if padded {
                // Zeros up to the alignment, cut off again below.
                let to = self.start + self.len.next_multiple_of(ALIGN);
                self.buf[self.start + self.len..to].fill(0);
                self.len = to - self.start;
            }
            self.flush_block()?;
            if padded {
                self.file.set_len(end)?;
            }
        }
        Ok(self.file)
    }

    /// Writes `buf[start..start + len]` at `offset`; a refused direct write is made again
    /// through the page cache, which the rest of the file then goes through too.
    fn flush_block(&mut self) -> io::Result<()> {
        let block = &self.buf[self.start..self.start + self.len];
        match self.file.write_all_at(block, self.offset) {
            Err(e) if self.direct && e.kind() == io::ErrorKind::InvalidInput => {
                let file = OpenOptions::new().write(true).open(&self.path)?;
                file.write_all_at(block, self.offset)?;
                self.file = file;
                self.direct = false;
            }
            written => written?,
        }
        self.offset += self.len as u64;
        self.len = 0;
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = data.len().min(BLOCK - self.len);
            let at = self.start + self.len;
            self.buf[at..at + n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            if self.len == BLOCK {
                self.flush_block()?;
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
