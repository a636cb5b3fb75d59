//! External sorting of small fixed-size records in bounded memory: records are buffered
//! up to a budget, spilled as sorted runs to temporary files, and merged back in order
//! (a k-way merge of at most [`FAN_IN`] runs at a time). The import's duplicate-id check
//! sorts its keys, its notes per line and the key index of each stored file with it.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::error::{ImportError, io};

/// Runs merged at once; more are first merged into longer runs, in rounds.
const FAN_IN: usize = 32;

/// Read buffer of one run while merging.
const RUN_BUFFER: usize = 64 * 1024;

/// A record of a fixed number of bytes, sorted by its `Ord`.
pub(super) trait Fixed: Ord + Copy {
    /// Bytes of one encoded record.
    const SIZE: usize;
    /// Encodes into `out` (`SIZE` bytes).
    fn put(&self, out: &mut [u8]);
    /// Decodes from `b` (`SIZE` bytes).
    fn get(b: &[u8]) -> Self;
}

/// Writes records to a buffered file.
pub(super) struct RecordWriter {
    path: PathBuf,
    out: BufWriter<File>,
    buf: Vec<u8>,
}

impl RecordWriter {
    pub(super) fn create(path: &Path) -> Result<RecordWriter, ImportError> {
        let f = File::create(path).map_err(io(path))?;
        Ok(RecordWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(RUN_BUFFER, f),
            buf: Vec::new(),
        })
    }

    pub(super) fn write<T: Fixed>(&mut self, t: &T) -> Result<(), ImportError> {
        self.buf.resize(T::SIZE, 0);
        t.put(&mut self.buf);
        self.out.write_all(&self.buf).map_err(io(&self.path))
    }

    pub(super) fn write_bytes(&mut self, b: &[u8]) -> Result<(), ImportError> {
        self.out.write_all(b).map_err(io(&self.path))
    }

    /// Flushes and returns the file (not synced).
    pub(super) fn finish(self) -> Result<File, ImportError> {
        let path = self.path;
        self.out.into_inner().map_err(|e| ImportError::Io {
            path: path.display().to_string(),
            source: e.into_error(),
        })
    }
}

/// Reads records from a file, from its current position, until `count` are read.
pub(super) struct RecordReader<T> {
    path: PathBuf,
    input: BufReader<File>,
    left: u64,
    buf: Vec<u8>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Fixed> RecordReader<T> {
    pub(super) fn new(path: &Path, file: File, count: u64) -> RecordReader<T> {
        RecordReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(RUN_BUFFER, file),
            left: count,
            buf: vec![0; T::SIZE],
            _t: std::marker::PhantomData,
        }
    }

    /// Records not read yet.
    pub(super) fn remaining(&self) -> u64 {
        self.left
    }

    /// The next record whose bytes `below` does not hold for, passing over the others
    /// without decoding them; `None` at the end.
    pub(super) fn next_not(
        &mut self,
        below: impl Fn(&[u8]) -> bool,
    ) -> Result<Option<T>, ImportError> {
        while self.left > 0 {
            let buf = self.input.buffer();
            let whole = (buf.len() / T::SIZE).min(usize::try_from(self.left).unwrap_or(usize::MAX));
            if whole == 0 {
                // An empty buffer, or a record straddling a refill: read it whole.
                self.input
                    .read_exact(&mut self.buf)
                    .map_err(io(&self.path))?;
                self.left -= 1;
                if !below(&self.buf) {
                    return Ok(Some(T::get(&self.buf)));
                }
                continue;
            }
            let found = buf
                .chunks_exact(T::SIZE)
                .take(whole)
                .position(|r| !below(r));
            let (used, t) = match found {
                Some(i) => (i + 1, Some(T::get(&buf[i * T::SIZE..(i + 1) * T::SIZE]))),
                None => (whole, None),
            };
            self.input.consume(used * T::SIZE);
            self.left -= used as u64;
            if t.is_some() {
                return Ok(t);
            }
        }
        Ok(None)
    }

    pub(super) fn next_record(&mut self) -> Result<Option<T>, ImportError> {
        if self.left == 0 {
            return Ok(None);
        }
        // Straight from the read buffer when a whole record is in it (nearly always);
        // copied out only when one straddles two refills.
        let t = match self.input.buffer().get(..T::SIZE) {
            Some(b) => {
                let t = T::get(b);
                self.input.consume(T::SIZE);
                t
            }
            None => {
                self.input
                    .read_exact(&mut self.buf)
                    .map_err(io(&self.path))?;
                T::get(&self.buf)
            }
        };
        self.left -= 1;
        Ok(Some(t))
    }
}

/// Sorts records in bounded memory.
pub(super) struct Sorter<T> {
    dir: PathBuf,
    name: String,
    budget: usize,
    buf: Vec<T>,
    runs: Vec<(PathBuf, u64)>,
    made: usize,
}

impl<T: Fixed> Sorter<T> {
    /// A sorter keeping at most `budget` records in memory; runs go to `dir` (created
    /// when needed) under names starting with `name`.
    pub(super) fn new(dir: &Path, name: &str, budget: usize) -> Sorter<T> {
        Sorter {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            budget: budget.max(1),
            buf: Vec::new(),
            runs: Vec::new(),
            made: 0,
        }
    }

    pub(super) fn push(&mut self, t: T) -> Result<(), ImportError> {
        self.buf.push(t);
        if self.buf.len() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Records buffered in memory.
    pub(super) fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn next_path(&mut self) -> Result<PathBuf, ImportError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        self.made += 1;
        Ok(self.dir.join(format!("{}-{}.run", self.name, self.made)))
    }

    /// Writes the buffered records out as a sorted run.
    pub(super) fn spill(&mut self) -> Result<(), ImportError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.buf.sort_unstable();
        let path = self.next_path()?;
        let mut w = RecordWriter::create(&path)?;
        for t in &self.buf {
            w.write(t)?;
        }
        w.finish()?;
        self.runs.push((path, self.buf.len() as u64));
        self.buf.clear();
        // Give the memory back: a sorter may stay alive, empty, for the rest of the run.
        self.buf.shrink_to(0);
        Ok(())
    }

    /// All records, in order.
    pub(super) fn finish(mut self) -> Result<Sorted<T>, ImportError> {
        if self.runs.is_empty() {
            self.buf.sort_unstable();
            return Ok(Sorted {
                inner: SortedInner::Memory(std::mem::take(&mut self.buf).into_iter()),
                files: Vec::new(),
            });
        }
        self.spill()?;
        while self.runs.len() > FAN_IN {
            let mut next = Vec::new();
            for group in std::mem::take(&mut self.runs).chunks(FAN_IN) {
                let mut merge = Merge::<T>::open(group)?;
                let path = self.next_path()?;
                let mut w = RecordWriter::create(&path)?;
                let mut n = 0u64;
                while let Some((_, t)) = merge.next_record()? {
                    w.write(&t)?;
                    n += 1;
                }
                w.finish()?;
                for (p, _) in group {
                    let _ = std::fs::remove_file(p);
                }
                next.push((path, n));
            }
            self.runs = next;
        }
        let files = self.runs.iter().map(|(p, _)| p.clone()).collect();
        Ok(Sorted {
            inner: SortedInner::Files(Merge::open(&self.runs)?),
            files,
        })
    }
}

/// The records of a sorter, in order. Its run files are removed when it is dropped.
pub(super) struct Sorted<T: Fixed> {
    inner: SortedInner<T>,
    files: Vec<PathBuf>,
}

enum SortedInner<T: Fixed> {
    Memory(std::vec::IntoIter<T>),
    Files(Merge<T>),
}

impl<T: Fixed> Sorted<T> {
    pub(super) fn next_record(&mut self) -> Result<Option<T>, ImportError> {
        match &mut self.inner {
            SortedInner::Memory(it) => Ok(it.next()),
            SortedInner::Files(m) => Ok(m.next_record()?.map(|(_, t)| t)),
        }
    }
}

impl<T: Fixed> Drop for Sorted<T> {
    fn drop(&mut self) {
        for p in &self.files {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// One head of a k-way merge: the smallest record of a source first, then the source.
struct Head<T>(T, usize);

impl<T: Ord> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: Ord> Eq for Head<T> {}
impl<T: Ord> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Ord> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.0, self.1).cmp(&(&other.0, other.1))
    }
}

/// A k-way merge of sorted sources; yields each record with the index of its source.
pub(super) struct Merge<T: Fixed> {
    sources: Vec<RecordReader<T>>,
    heap: BinaryHeap<Reverse<Head<T>>>,
}

impl<T: Fixed> Merge<T> {
    /// Merges whole run files of `count` records each.
    fn open(runs: &[(PathBuf, u64)]) -> Result<Merge<T>, ImportError> {
        let mut sources = Vec::with_capacity(runs.len());
        for (p, n) in runs {
            let f = File::open(p).map_err(io(p))?;
            sources.push(RecordReader::new(p, f, *n));
        }
        Merge::of(sources)
    }

    /// Merges readers (each sorted).
    pub(super) fn of(mut sources: Vec<RecordReader<T>>) -> Result<Merge<T>, ImportError> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(t) = s.next_record()? {
                heap.push(Reverse(Head(t, i)));
            }
        }
        Ok(Merge { sources, heap })
    }

    pub(super) fn next_record(&mut self) -> Result<Option<(usize, T)>, ImportError> {
        let Some(Reverse(Head(t, i))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.sources[i].next_record()? {
            self.heap.push(Reverse(Head(next, i)));
        }
        Ok(Some((i, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct N(u64);

    impl Fixed for N {
        const SIZE: usize = 8;
        fn put(&self, out: &mut [u8]) {
            out.copy_from_slice(&self.0.to_le_bytes());
        }
        fn get(b: &[u8]) -> Self {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            N(u64::from_le_bytes(a))
        }
    }

    #[test]
    fn many_runs_merge_in_rounds_into_one_order() {
        let tmp = tempfile::tempdir().expect("temp dir");
        // 3 records a run: 1000 records make 334 runs, more than FAN_IN squared / 4.
        let mut s = Sorter::new(tmp.path(), "n", 3);
        for i in 0..1000u64 {
            // A permutation of 0..1000 (7 is coprime with 1000).
            s.push(N(i * 7 % 1000)).expect("pushed");
            assert!(s.buffered() < 3);
        }
        let mut sorted = s.finish().expect("sorted");
        let mut out = Vec::new();
        while let Some(N(x)) = sorted.next_record().expect("read") {
            out.push(x);
        }
        assert_eq!(out, (0..1000).collect::<Vec<_>>());
        drop(sorted);
        let left = std::fs::read_dir(tmp.path()).expect("dir").count();
        assert_eq!(left, 0, "run files are removed");
    }

    /// A record of 12 bytes: 64 KiB of read buffer is not a whole number of them, so
    /// records straddle refills.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Odd(u64, u32);

    impl Fixed for Odd {
        const SIZE: usize = 12;
        fn put(&self, out: &mut [u8]) {
            out[..8].copy_from_slice(&self.0.to_le_bytes());
            out[8..].copy_from_slice(&self.1.to_le_bytes());
        }
        fn get(b: &[u8]) -> Self {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[..8]);
            let mut c = [0u8; 4];
            c.copy_from_slice(&b[8..12]);
            Odd(u64::from_le_bytes(a), u32::from_le_bytes(c))
        }
    }

    #[test]
    fn records_straddling_buffer_refills_read_back_whole() {
        // 20 000 records of 12 bytes are 240 000 bytes: three full refills of 65 536
        // bytes, and 65 536 = 5 461 × 12 + 4, so a record straddles each refill.
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("odd");
        let mut w = RecordWriter::create(&path).expect("create");
        for i in 0..20_000u32 {
            w.write(&Odd(u64::from(i) * 1_000_003, i ^ 0xA5A5))
                .expect("write");
        }
        let file = w.finish().expect("finish");
        drop(file);
        let file = File::open(&path).expect("open");
        let mut r = RecordReader::<Odd>::new(&path, file, 20_000);
        assert_eq!(r.remaining(), 20_000);
        let mut n = 0u32;
        while let Some(rec) = r.next_record().expect("read") {
            assert_eq!(rec, Odd(u64::from(n) * 1_000_003, n ^ 0xA5A5), "record {n}");
            n += 1;
        }
        assert_eq!(n, 20_000);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn records_passed_over_undecoded_end_where_the_test_first_fails() {
        // Records 0..20 000 with first field 3·i; targets ascending, some between
        // records, some past the end. Each call passes over what is below its target.
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("odd");
        let mut w = RecordWriter::create(&path).expect("create");
        for i in 0..20_000u32 {
            w.write(&Odd(u64::from(i) * 3, i)).expect("write");
        }
        drop(w.finish().expect("finish"));
        let mut r = RecordReader::<Odd>::new(&path, File::open(&path).expect("open"), 20_000);
        let first = |b: &[u8]| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[..8]);
            u64::from_le_bytes(a)
        };
        // 0 is record 0 itself (read whole: the buffer starts empty). 16 383 = 3·5 461
        // is record 5 461, the one straddling the first 64 KiB refill (65 536 =
        // 5 461 × 12 + 4). 16 385 is past it, so record 5 462 (16 386). 30 000 is
        // record 10 000; 59 998 is past the last (59 997), so the end.
        for (target, want) in [
            (0, Some(0)),
            (16_383, Some(5_461)),
            (16_385, Some(5_462)),
            (30_000, Some(10_000)),
            (59_998, None),
        ] {
            let got = r.next_not(|b| first(b) < target).expect("read");
            assert_eq!(got.map(|o| o.1), want, "target {target}");
        }
        assert_eq!(r.remaining(), 0);
    }
}
