//! The duplicate-id check in bounded memory.
//!
//! An import first stores every valid row as if no id repeated; [`any_repeat`] then
//! merges the key indexes that wrote with each other and meets them with the stored
//! files' indexes (one stored file at a time for a small import into a large store, the
//! stored files merged otherwise). Only when an id does repeat is the file imported
//! again as follows.
//!
//! A first pass over the file gives the key (hash of site and id) and line of every row
//! with an id; they are sorted externally. Walking the sorted keys finds the ids on
//! several lines, and a merge with the key index of every stored file finds the ids
//! already stored (and visible). What the second pass must know about a line is a
//! [`Note`], sorted by line, so the second pass reads them in step with the file: it
//! checks the rows and keeps the first valid line of each repeated id, so a later valid
//! line gets "same id as line N of this file". When more lines than the sorter budget
//! repeat ids, the first pass checks the rows instead and sorts the keys of the valid ones
//! only; the notes then name the first line of each id outright.
//!
//! Each committed Parquet file has a key index next to it (`<run>.keys`): its
//! rows' keys, sorted, with their anchor time and site. It is written with the Parquet
//! file (temporary name, fsync, rename, before the commit); a stored file without one (a
//! store older than the index) gets it built from its Parquet columns on first use.
//!
//! Index file layout (little-endian): `YSKEYS02`, then `count` entries of 28 bytes (key
//! u128, anchor UTC milliseconds i64, site number u32) sorted by key, then the site table
//! (for each site: length u32, UTF-8 bytes), then the footer: `count` u64, number of
//! sites u64, `YSKEYEND`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use yardstick_core::records::RecordKind;

use super::check::key;
use super::error::{ImportError, io};
use super::sorter::{Fixed, Merge, RecordReader, RecordWriter, Sorted, Sorter};
use super::stored::{Committed, scan_rows};

/// Version 02: keys are FNV-1a 128 (01 used the standard library's hasher, whose
/// algorithm may change between releases); an index of another version is rebuilt from
/// its Parquet file.
const MAGIC: &[u8; 8] = b"YSKEYS02";
const END: &[u8; 8] = b"YSKEYEND";
const FOOTER: u64 = 24;

/// Stored files whose key indexes are merged at once.
const FILES_AT_ONCE: usize = 32;

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u128_at(b: &[u8], at: usize) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[at..at + 16]);
    u128::from_le_bytes(a)
}

/// The key and line of a valid row with an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct KeyLine {
    pub(super) key: u128,
    pub(super) line: u64,
}

impl Fixed for KeyLine {
    const SIZE: usize = 24;
    fn put(&self, out: &mut [u8]) {
        out[..16].copy_from_slice(&self.key.to_le_bytes());
        out[16..24].copy_from_slice(&self.line.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        KeyLine {
            key: u128_at(b, 0),
            line: u64_at(b, 16),
        }
    }
}

/// One entry of a key index: a stored row's key, anchor time and site number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub(super) key: u128,
    pub(super) at: i64,
    pub(super) site: u32,
}

impl Fixed for Entry {
    const SIZE: usize = 28;
    fn put(&self, out: &mut [u8]) {
        out[..16].copy_from_slice(&self.key.to_le_bytes());
        out[16..24].copy_from_slice(&self.at.to_le_bytes());
        out[24..28].copy_from_slice(&self.site.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        let mut at = [0u8; 8];
        at.copy_from_slice(&b[16..24]);
        Entry {
            key: u128_at(b, 0),
            at: i64::from_le_bytes(at),
            site: u32_at(b, 24),
        }
    }
}

/// Where a stored record is: its batch and its local day (days from the common era).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(super) struct Stored {
    pub(super) batch: u32,
    pub(super) day: i32,
}

/// What the second pass must know about one line of the file. Notes sort by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Note {
    /// A later line of an id: the first (valid) line of that id.
    Repeat { line: u64, first: u64 },
    /// The first line of an id that is already stored (and visible).
    Stored { line: u64, stored: Stored },
    /// A line of an id that is on several lines of the file (valid or not: the rows
    /// are not checked yet), with the first of those lines and where the id is stored.
    /// The first valid line of the group is its first occurrence.
    Group {
        line: u64,
        first: u64,
        stored: Option<Stored>,
    },
}

impl Note {
    pub(super) fn line(&self) -> u64 {
        match self {
            Note::Repeat { line, .. } | Note::Stored { line, .. } | Note::Group { line, .. } => {
                *line
            }
        }
    }
}

impl Note {
    fn order(&self) -> (u64, u8, u64) {
        match self {
            Note::Repeat { line, first } => (*line, 0, *first),
            Note::Stored { line, stored } => (
                *line,
                1,
                (u64::from(stored.batch) << 32) | u64::from(stored.day.cast_unsigned()),
            ),
            Note::Group { line, first, .. } => (*line, 2, *first),
        }
    }
}

impl PartialOrd for Note {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Note {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

impl Fixed for Note {
    const SIZE: usize = 26;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.line().to_le_bytes());
        match self {
            Note::Group {
                first, stored: s, ..
            } => {
                out[8] = 2;
                out[9..17].copy_from_slice(&first.to_le_bytes());
                let s = s.map_or((0, 0, 0), |s| (1, s.batch, s.day));
                out[17] = s.0;
                out[18..22].copy_from_slice(&s.1.to_le_bytes());
                out[22..26].copy_from_slice(&s.2.to_le_bytes());
            }
            Note::Repeat { first, .. } => {
                out[8] = 0;
                out[9..17].copy_from_slice(&first.to_le_bytes());
            }
            Note::Stored { stored, .. } => {
                out[8] = 1;
                out[9..13].copy_from_slice(&stored.batch.to_le_bytes());
                out[13..17].copy_from_slice(&stored.day.to_le_bytes());
            }
        }
    }
    fn get(b: &[u8]) -> Self {
        let line = u64_at(b, 0);
        if b[8] == 2 {
            let mut day = [0u8; 4];
            day.copy_from_slice(&b[22..26]);
            return Note::Group {
                line,
                first: u64_at(b, 9),
                stored: (b[17] == 1).then(|| Stored {
                    batch: u32_at(b, 18),
                    day: i32::from_le_bytes(day),
                }),
            };
        }
        if b[8] == 0 {
            Note::Repeat {
                line,
                first: u64_at(b, 9),
            }
        } else {
            let mut day = [0u8; 4];
            day.copy_from_slice(&b[13..17]);
            Note::Stored {
                line,
                stored: Stored {
                    batch: u32_at(b, 9),
                    day: i32::from_le_bytes(day),
                },
            }
        }
    }
}

/// A visible stored copy of a first line's id, found in the stored file numbered `file`
/// (files in manifest order: the latest copy wins, as a later batch would).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Match {
    key: u128,
    file: u32,
    line: u64,
    stored: Stored,
}

impl Fixed for Match {
    const SIZE: usize = 36;
    fn put(&self, out: &mut [u8]) {
        out[..16].copy_from_slice(&self.key.to_le_bytes());
        out[16..20].copy_from_slice(&self.file.to_le_bytes());
        out[20..28].copy_from_slice(&self.line.to_le_bytes());
        out[28..32].copy_from_slice(&self.stored.batch.to_le_bytes());
        out[32..36].copy_from_slice(&self.stored.day.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        let mut day = [0u8; 4];
        day.copy_from_slice(&b[32..36]);
        Match {
            key: u128_at(b, 0),
            file: u32_at(b, 16),
            line: u64_at(b, 20),
            stored: Stored {
                batch: u32_at(b, 28),
                day: i32::from_le_bytes(day),
            },
        }
    }
}

/// The key index next to a Parquet file.
pub(super) fn index_path(parquet: &Path) -> PathBuf {
    crate::layout::key_index_path(parquet)
}

/// Writes a key index from sorted entries: under `tmp`, synced, then renamed to `path`.
pub(super) fn write_index(
    path: &Path,
    tmp: &Path,
    mut entries: Sorted<Entry>,
    sites: &[String],
) -> Result<(), ImportError> {
    let mut w = RecordWriter::create(tmp)?;
    w.write_bytes(MAGIC)?;
    let mut count = 0u64;
    while let Some(e) = entries.next_record()? {
        w.write(&e)?;
        count += 1;
    }
    drop(entries);
    for s in sites {
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        w.write_bytes(&len.to_le_bytes())?;
        w.write_bytes(s.as_bytes())?;
    }
    w.write_bytes(&count.to_le_bytes())?;
    w.write_bytes(&(sites.len() as u64).to_le_bytes())?;
    w.write_bytes(END)?;
    let file = w.finish()?;
    file.sync_all().map_err(io(tmp))?;
    drop(file);
    std::fs::rename(tmp, path).map_err(io(path))?;
    if let Some(parent) = path.parent()
        && let Ok(d) = File::open(parent)
    {
        // Persist the rename itself; some file systems need the directory synced.
        let _ = d.sync_all();
    }
    Ok(())
}

/// An open key index: its entries, in key order, and its site table.
struct Index {
    entries: RecordReader<Entry>,
    sites: Vec<String>,
}

/// Opens a key index; `None` when it is missing or not a complete index.
fn open_index(path: &Path) -> Option<Index> {
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len < 8 + FOOTER {
        return None;
    }
    let mut foot = [0u8; 24];
    f.seek(SeekFrom::Start(len - FOOTER)).ok()?;
    f.read_exact(&mut foot).ok()?;
    if &foot[16..24] != END {
        return None;
    }
    let count = u64_at(&foot, 0);
    let nsites = u64_at(&foot, 8);
    let sites_at = count.checked_mul(Entry::SIZE as u64)?.checked_add(8)?;
    if sites_at > len - FOOTER {
        return None;
    }
    f.seek(SeekFrom::Start(sites_at)).ok()?;
    let mut table = Vec::new();
    f.by_ref()
        .take(len - FOOTER - sites_at)
        .read_to_end(&mut table)
        .ok()?;
    let mut sites = Vec::new();
    let mut at = 0usize;
    for _ in 0..nsites {
        let n = usize::try_from(u32_at(table.get(at..at + 4)?, 0)).ok()?;
        let s = std::str::from_utf8(table.get(at + 4..at + 4 + n)?).ok()?;
        sites.push(s.to_string());
        at += 4 + n;
    }
    if at != table.len() {
        return None;
    }
    let mut magic = [0u8; 8];
    f.seek(SeekFrom::Start(0)).ok()?;
    f.read_exact(&mut magic).ok()?;
    if &magic != MAGIC {
        return None;
    }
    Some(Index {
        entries: RecordReader::new(path, f, count),
        sites,
    })
}

/// Sites of one run or file, numbered in order of appearance.
#[derive(Default)]
pub(super) struct Sites {
    names: Vec<String>,
    numbers: std::collections::HashMap<String, u32>,
    /// The number handed out last.
    last: Option<u32>,
}

impl Sites {
    pub(super) fn number(&mut self, site: &str) -> u32 {
        // Rows come mostly in runs of one site: the last one is checked first.
        if let Some(n) = self.last
            && self.names.get(n as usize).is_some_and(|s| s == site)
        {
            return n;
        }
        let n = match self.numbers.get(site) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                self.names.push(site.to_string());
                self.numbers.insert(site.to_string(), n);
                n
            }
        };
        self.last = Some(n);
        n
    }

    pub(super) fn names(&self) -> &[String] {
        &self.names
    }
}

/// What the key check needs from the run: where temporary files go and how many records
/// a sorter may hold.
pub(super) struct Scratch<'a> {
    pub(super) dir: &'a Path,
    pub(super) budget: usize,
    /// Tells this run's temporary names apart from another's.
    pub(super) tag: u64,
}

/// Builds the key index of a stored file that has none (a store older than key
/// indexes), from its Parquet columns.
fn build_index(
    f: &Committed<'_>,
    kind: RecordKind,
    id: &str,
    scratch: &Scratch<'_>,
) -> Result<(), ImportError> {
    let mut sites = Sites::default();
    let mut sorter = Sorter::new(scratch.dir, "index", scratch.budget);
    let mut failed = None;
    scan_rows(f, kind, Some(id), &mut |site, rid, at| {
        if failed.is_some() {
            return;
        }
        let e = Entry {
            key: key(site, rid.unwrap_or("")),
            at,
            site: sites.number(site),
        };
        if let Err(e) = sorter.push(e) {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let path = index_path(&f.parquet);
    let tmp = path.with_extension(format!("keys.{:016x}.tmp", scratch.tag));
    let done = write_index(&path, &tmp, sorter.finish()?, sites.names());
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// Which rows the sorted keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    /// Valid rows only (the first pass checked them).
    Valid,
    /// Every row with an id cell, checked or not (the second pass tells valid rows).
    Unchecked,
}

/// Turns the sorted keys of the file's rows into notes sorted by line.
///
/// From valid rows: every later line of a key repeats its first line, and a first line
/// whose key is stored and visible (`visible` gives the stored copy's local day, `None`
/// when a later `--replace` batch superseded it) is stored already. From unchecked rows:
/// a key on one line gets a note only when it is stored; every line of a key on several
/// lines gets a group note (first line, stored copy), the second pass keeping the first
/// valid line of each group. That is `None` when more than the budget of lines are in
/// such groups (the second pass would remember too many): check the rows first then.
pub(super) fn notes(
    mut keys: Sorted<KeyLine>,
    rows: Rows,
    stored: &[Committed<'_>],
    kind: RecordKind,
    id: &str,
    visible: &dyn Fn(&str, i64, i64) -> Option<i32>,
    scratch: &Scratch<'_>,
) -> Result<Option<Sorted<Note>>, ImportError> {
    let mut notes = Sorter::new(scratch.dir, "notes", scratch.budget);
    std::fs::create_dir_all(scratch.dir).map_err(io(scratch.dir))?;
    let firsts_path = scratch.dir.join("firsts.run");
    let groups_path = scratch.dir.join("groups.run");
    let mut firsts = RecordWriter::create(&firsts_path)?;
    let mut groups = RecordWriter::create(&groups_path)?;
    let (mut count, mut grouped) = (0u64, 0u64);
    let mut group: Option<(KeyLine, bool)> = None;
    while let Some(k) = keys.next_record()? {
        match (&mut group, rows) {
            (Some((g, _)), Rows::Valid) if g.key == k.key => notes.push(Note::Repeat {
                line: k.line,
                first: g.line,
            })?,
            (Some((g, several)), Rows::Unchecked) if g.key == k.key => {
                if !*several {
                    groups.write(g)?;
                    grouped += 1;
                    *several = true;
                }
                groups.write(&k)?;
                grouped += 1;
                if grouped > scratch.budget as u64 {
                    drop(groups);
                    let _ = std::fs::remove_file(&groups_path);
                    let _ = std::fs::remove_file(&firsts_path);
                    return Ok(None);
                }
            }
            _ => {
                firsts.write(&k)?;
                count += 1;
                group = Some((k, false));
            }
        }
    }
    drop(keys);
    drop(firsts.finish()?);
    drop(groups.finish()?);
    let mut found = if count > 0 && !stored.is_empty() {
        Some(stored_matches(
            &firsts_path,
            count,
            stored,
            kind,
            id,
            visible,
            scratch,
        )?)
    } else {
        None
    };
    let _ = std::fs::remove_file(&firsts_path);
    let file = File::open(&groups_path).map_err(io(&groups_path))?;
    let mut grouped_lines = RecordReader::<KeyLine>::new(&groups_path, file, grouped);
    let mut next_found = || -> Result<Option<Match>, ImportError> {
        match &mut found {
            Some(f) => f.next_latest(),
            None => Ok(None),
        }
    };
    let mut m = next_found()?;
    let mut g = grouped_lines.next_record()?;
    loop {
        match (m, g) {
            (None, None) => break,
            (Some(mm), None) => {
                notes.push(Note::Stored {
                    line: mm.line,
                    stored: mm.stored,
                })?;
                m = next_found()?;
            }
            (Some(mm), Some(gg)) if mm.key < gg.key => {
                notes.push(Note::Stored {
                    line: mm.line,
                    stored: mm.stored,
                })?;
                m = next_found()?;
            }
            (mm, Some(first)) => {
                let stored = mm.filter(|mm| mm.key == first.key).map(|mm| mm.stored);
                if stored.is_some() {
                    m = next_found()?;
                }
                while let Some(line) = g.filter(|l| l.key == first.key) {
                    notes.push(Note::Group {
                        line: line.line,
                        first: first.line,
                        stored,
                    })?;
                    g = grouped_lines.next_record()?;
                }
            }
        }
    }
    drop(grouped_lines);
    let _ = std::fs::remove_file(&groups_path);
    notes.finish().map(Some)
}

/// The latest visible stored copy of each key, in key order.
struct Latest {
    sorted: Sorted<Match>,
    head: Option<Match>,
}

impl Latest {
    /// The latest copy of the next key (matches come sorted by key, then file: the last
    /// of a key is its latest copy).
    fn next_latest(&mut self) -> Result<Option<Match>, ImportError> {
        let Some(mut last) = self.head.take() else {
            return Ok(None);
        };
        loop {
            match self.sorted.next_record()? {
                Some(m) if m.key == last.key => last = m,
                next => {
                    self.head = next;
                    return Ok(Some(last));
                }
            }
        }
    }
}

/// The key index of a stored file, built from its Parquet columns first when it has
/// none.
fn stored_index(
    f: &Committed<'_>,
    kind: RecordKind,
    id: &str,
    scratch: &Scratch<'_>,
) -> Result<Index, ImportError> {
    if let Some(ix) = open_index(&index_path(&f.parquet)) {
        return Ok(ix);
    }
    build_index(f, kind, id, scratch)?;
    open_index(&index_path(&f.parquet)).ok_or_else(|| ImportError::ReadStored {
        path: index_path(&f.parquet).display().to_string(),
        message: "key index unreadable just after it was written".into(),
    })
}

/// The entries of some stored files' key indexes merged in key order, with each file's
/// site table.
fn merge_stored(
    files: &[Committed<'_>],
    kind: RecordKind,
    id: &str,
    scratch: &Scratch<'_>,
) -> Result<(Merge<Entry>, Vec<Vec<String>>), ImportError> {
    let mut readers = Vec::with_capacity(files.len());
    let mut tables = Vec::with_capacity(files.len());
    for f in files {
        let ix = stored_index(f, kind, id, scratch)?;
        readers.push(ix.entries);
        tables.push(ix.sites);
    }
    Ok((Merge::of(readers)?, tables))
}

/// The name of site number `site` in the table of merged file `src`.
fn site_name(tables: &[Vec<String>], src: usize, site: u32) -> &str {
    tables
        .get(src)
        .and_then(|t| t.get(usize::try_from(site).unwrap_or(usize::MAX)))
        .map_or("", String::as_str)
}

/// Whether the rows a run stored repeat any key: one key on two of them, or a key that
/// is stored and visible already (`visible` as for [`notes`]). `written` are the key
/// indexes of the run's files. When none is repeated, a run that stored every valid row
/// with an id stored exactly what the two-pass check would have stored: the check
/// would have found nothing to say about any line.
pub(super) fn any_repeat(
    written: &[PathBuf],
    stored: &[Committed<'_>],
    kind: RecordKind,
    id: &str,
    visible: &dyn Fn(&str, i64, i64) -> Option<i32>,
    scratch: &Scratch<'_>,
) -> Result<bool, ImportError> {
    if written.len() > FILES_AT_ONCE {
        // Too many to merge at once (open files are limited): "maybe", and the caller
        // runs the full check, which is always right.
        return Ok(true);
    }
    let run_keys = || -> Result<Merge<Entry>, ImportError> {
        let mut readers = Vec::with_capacity(written.len());
        for p in written {
            let ix = open_index(p).ok_or_else(|| ImportError::ReadStored {
                path: p.display().to_string(),
                message: "key index unreadable just after it was written".into(),
            })?;
            readers.push(ix.entries);
        }
        Merge::of(readers)
    };
    let mut run = run_keys()?;
    let mut last = None;
    let mut new_keys = 0u64;
    // The run's keys in memory when they are no more than a sorter holds, so that
    // meeting each stored file does not merge the run's indexes again.
    let mut held: Option<Vec<u128>> = Some(Vec::new());
    while let Some((_, e)) = run.next_record()? {
        if last == Some(e.key) {
            return Ok(true);
        }
        last = Some(e.key);
        new_keys += 1;
        if let Some(h) = &mut held {
            if h.len() < scratch.budget {
                h.push(e.key);
            } else {
                held = None;
            }
        }
    }
    if last.is_none() {
        return Ok(false);
    }
    let mut stored_keys = 0u64;
    for f in stored {
        stored_keys += stored_index(f, kind, id, scratch)?.entries.remaining();
    }
    let seen = |tables: &[Vec<String>], src: usize, y: &Entry, batch: i64| {
        visible(site_name(tables, src, y.site), y.at, batch).is_some()
    };
    if one_file_at_a_time(new_keys, stored.len(), stored_keys) {
        for f in stored {
            let ix = stored_index(f, kind, id, scratch)?;
            let (mut old, tables) = (ix.entries, [ix.sites]);
            let mut new = match &held {
                Some(keys) => RunKeys::Held(keys.iter()),
                None => RunKeys::Merged(run_keys()?),
            };
            let mut cur = old.next_record()?;
            // The run's keys are distinct (checked above): each meets the stored keys
            // equal to it, and stored keys below it meet no later one, so they are
            // passed over undecoded.
            while let Some(x) = new.next_key()? {
                if cur.is_some_and(|e| e.key < x) {
                    cur = old.next_not(|b| u128_at(b, 0) < x)?;
                }
                while let Some(e) = cur
                    && e.key == x
                {
                    if seen(&tables, 0, &e, f.batch()) {
                        return Ok(true);
                    }
                    cur = old.next_record()?;
                }
                if cur.is_none() {
                    break;
                }
            }
        }
        return Ok(false);
    }
    for chunk in stored.chunks(FILES_AT_ONCE) {
        let (mut old, tables) = merge_stored(chunk, kind, id, scratch)?;
        let found = meets_stored(&mut run_keys()?, &mut || old.next_record(), &|src, y| {
            seen(&tables, src, y, chunk[src].batch())
        })?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The run's keys in order: held in memory, or merged from its indexes again.
enum RunKeys<'a> {
    Held(std::slice::Iter<'a, u128>),
    Merged(Merge<Entry>),
}

impl RunKeys<'_> {
    fn next_key(&mut self) -> Result<Option<u128>, ImportError> {
        match self {
            RunKeys::Held(keys) => Ok(keys.next().copied()),
            RunKeys::Merged(m) => Ok(m.next_record()?.map(|(_, e)| e.key)),
        }
    }
}

/// Whether the run's keys (`new`, in key order) meet a stored key (`old`, in key order,
/// with the number of the file it is from) that `seen` says is visible.
fn meets_stored(
    new: &mut Merge<Entry>,
    old: &mut dyn FnMut() -> Result<Option<(usize, Entry)>, ImportError>,
    seen: &dyn Fn(usize, &Entry) -> bool,
) -> Result<bool, ImportError> {
    let (mut a, mut b) = (new.next_record()?, old()?);
    while let (Some((_, x)), Some((src, y))) = (a, b) {
        match x.key.cmp(&y.key) {
            std::cmp::Ordering::Less => a = new.next_record()?,
            std::cmp::Ordering::Greater => b = old()?,
            std::cmp::Ordering::Equal => {
                if seen(src, &y) {
                    return Ok(true);
                }
                b = old()?;
            }
        }
    }
    Ok(false)
}

/// Whether the run's `new` keys meet the `stored` keys of `files` key indexes one file
/// at a time rather than all files merged. Either way every stored key is read once.
/// One at a time reads the run's keys again for each file, but takes each stored key
/// straight from its file; merged, each stored key passes through a heap, which costs
/// several plain reads. So one at a time when the run's keys, once per file, are no
/// more than the stored keys: a day's file into a large store.
fn one_file_at_a_time(new: u64, files: usize, stored: u64) -> bool {
    new.saturating_mul(u64::try_from(files).unwrap_or(u64::MAX)) <= stored
}

/// Every visible stored copy of the keys in `firsts` (a file of `count` first lines,
/// sorted by key), merged from the stored files' key indexes a few files at a time.
fn stored_matches(
    firsts_path: &Path,
    count: u64,
    stored: &[Committed<'_>],
    kind: RecordKind,
    id: &str,
    visible: &dyn Fn(&str, i64, i64) -> Option<i32>,
    scratch: &Scratch<'_>,
) -> Result<Latest, ImportError> {
    let mut matches = Sorter::new(scratch.dir, "matches", scratch.budget);
    for (chunk_no, chunk) in stored.chunks(FILES_AT_ONCE).enumerate() {
        let (mut merge, tables) = merge_stored(chunk, kind, id, scratch)?;
        let file = File::open(firsts_path).map_err(io(firsts_path))?;
        let mut first = RecordReader::<KeyLine>::new(firsts_path, file, count);
        let mut cur = merge.next_record()?;
        while let Some(k) = first.next_record()? {
            while let Some((_, e)) = cur
                && e.key < k.key
            {
                cur = merge.next_record()?;
            }
            while let Some((src, e)) = cur
                && e.key == k.key
            {
                let f = &chunk[src];
                if let Some(day) = visible(site_name(&tables, src, e.site), e.at, f.batch()) {
                    let n = chunk_no * FILES_AT_ONCE + src;
                    matches.push(Match {
                        key: k.key,
                        file: u32::try_from(n).unwrap_or(u32::MAX),
                        line: k.line,
                        stored: Stored {
                            batch: u32::try_from(f.batch()).unwrap_or(u32::MAX),
                            day,
                        },
                    })?;
                }
                cur = merge.next_record()?;
            }
            if cur.is_none() {
                break;
            }
        }
    }
    let mut sorted = matches.finish()?;
    let head = sorted.next_record()?;
    Ok(Latest { sorted, head })
}

/// Notes read in step with the file's lines.
pub(super) struct Notes {
    sorted: Option<Sorted<Note>>,
    head: Option<Note>,
}

impl Notes {
    pub(super) fn none() -> Notes {
        Notes {
            sorted: None,
            head: None,
        }
    }

    pub(super) fn new(mut sorted: Sorted<Note>) -> Result<Notes, ImportError> {
        let head = sorted.next_record()?;
        Ok(Notes {
            sorted: Some(sorted),
            head,
        })
    }

    /// The note of `line`, if any; lines must be asked in increasing order.
    pub(super) fn at(&mut self, line: u64) -> Result<Option<Note>, ImportError> {
        while let Some(h) = self.head {
            if h.line() > line {
                return Ok(None);
            }
            self.head = match &mut self.sorted {
                Some(s) => s.next_record()?,
                None => None,
            };
            if h.line() == line {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::one_file_at_a_time;

    #[test]
    fn small_runs_meet_stored_files_one_at_a_time() {
        // 100 000 new keys against 7 files of 10 M keys: 700 000 ≤ 10 M.
        assert!(one_file_at_a_time(100_000, 7, 10_000_000));
        // 10 M new keys against the same: 70 M > 10 M, merged.
        assert!(!one_file_at_a_time(10_000_000, 7, 10_000_000));
        // The bound itself, one at a time; no overflow for absurd counts.
        assert!(one_file_at_a_time(40, 2, 80));
        assert!(!one_file_at_a_time(41, 2, 80));
        assert!(!one_file_at_a_time(u64::MAX, 2, u64::MAX - 1));
    }
}
