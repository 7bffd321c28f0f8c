//! `--resume`: pick up an interrupted run from its `-o FILE`. The rows it finished are kept byte
//! for byte, the rest are redone, and FILE ends as one uninterrupted run would have written it:
//! the same rows, in input order, one per account.
//!
//! FILE is read once to find, per input entry, the byte range of a row whose outcome is final;
//! then it is moved aside, and the new FILE is written in input order, copying kept rows from the
//! old one and placing each redone row where it belongs.

use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};

use crate::engine::{AccountList, Normalized, Outcome};
use crate::export::{Format, RecordWriter, unneutralize};

/// One row of an earlier output as far as resuming cares.
#[derive(Debug)]
pub struct RowInfo {
    pub account: String,
    pub status: String,
    /// NDJSON: the row's keys (which tell the command); CSV: none (the header tells).
    pub keys: Vec<String>,
    /// A write's row lists changes (made, or to be made).
    pub changes: bool,
}

impl RowInfo {
    /// A write's row whose account a call may have changed (its undo record matters): the
    /// write outcomes that may have written, a `failed` one only when it lists changes (a row
    /// whose plan read failed lists none).
    pub fn may_have_written(&self) -> bool {
        use crate::write::WriteStatus;
        WriteStatus::from_label(&self.status)
            .is_some_and(|s| s.may_have_written() && (s != WriteStatus::Failed || self.changes))
    }
}

type Visit<'a> = dyn FnMut((u64, u64), RowInfo) -> anyhow::Result<()> + 'a;

/// What an earlier run of the same job left in FILE (and in the copies an interrupted resume
/// set aside beside it).
#[derive(Debug)]
pub struct Earlier {
    path: PathBuf,
    /// The file's column header (CSV), compared with the one this run writes.
    header: Vec<u8>,
    /// Where kept rows are read from: copies set aside by earlier resumes, oldest first.
    sources: Vec<PathBuf>,
    /// Per input entry the files reached: (source, byte range) of its row when its outcome is
    /// final (source `usize::MAX`: FILE itself, until it is set aside).
    kept: Vec<Option<(usize, u64, u64)>>,
    /// Statuses of the kept rows, by label.
    pub kept_statuses: Vec<String>,
    /// Some row, in FILE or a copy, is a write's that may have changed its account.
    pub any_written: bool,
}

/// What one file holds for a resume.
struct Scanned {
    any_written: bool,
    header: Vec<u8>,
    kept: Vec<Option<(u64, u64)>>,
    statuses: Vec<Option<String>>,
}

/// What a write's files must say of their job (audits' files carry none).
pub type HeadCheck<'a> = &'a dyn Fn(Option<crate::write::file_head::FileHead>) -> Result<(), String>;

impl Earlier {
    /// Read FILE, checking each row is the input's account at that place and that `check`
    /// accepts it (same command); `is_final` says which statuses are kept.
    pub fn scan(
        path: &Path,
        format: Format,
        input: &Normalized,
        is_final: &dyn Fn(&str) -> bool,
        check: &dyn Fn(&RowInfo) -> Result<(), String>,
    ) -> anyhow::Result<Earlier> {
        Earlier::scan_job(path, format, input, is_final, check, None)
    }

    /// `scan`, for a file whose first line names its job: `head` refuses another job's file.
    /// Copies an interrupted resume set aside (`FILE.timx-resume-*`) are read too: a row kept
    /// in FILE wins, else one kept in a copy.
    pub fn scan_job(
        path: &Path,
        format: Format,
        input: &Normalized,
        is_final: &dyn Fn(&str) -> bool,
        check: &dyn Fn(&RowInfo) -> Result<(), String>,
        head: Option<HeadCheck<'_>>,
    ) -> anyhow::Result<Earlier> {
        if !matches!(format, Format::Ndjson | Format::Csv) {
            bail!("--resume needs -o FILE in ndjson or csv (a JSON array or a table is not written as it goes)");
        }
        let sources = leftovers(path);
        let mut e = Earlier {
            path: path.to_owned(),
            header: Vec::new(),
            sources,
            kept: Vec::new(),
            kept_statuses: Vec::new(),
            any_written: false,
        };
        let mut statuses: Vec<Option<String>> = Vec::new();
        let files: Vec<(usize, PathBuf)> = std::iter::once((usize::MAX, path.to_owned()))
            .filter(|(_, p)| p.exists())
            .chain(e.sources.iter().cloned().enumerate().rev())
            .collect();
        for (src, file) in files {
            let s = scan_one(&file, format, input, is_final, check, head)?;
            e.any_written |= s.any_written;
            if e.header.is_empty() {
                e.header = s.header;
            }
            for (n, range) in s.kept.into_iter().enumerate() {
                if e.kept.len() <= n {
                    e.kept.push(None);
                    statuses.push(None);
                }
                if e.kept[n].is_none()
                    && let Some((a, b)) = range
                {
                    e.kept[n] = Some((src, a, b));
                    statuses[n] = s.statuses[n].clone();
                }
            }
        }
        e.kept_statuses = statuses.into_iter().flatten().collect();
        Ok(e)
    }

    /// The input entries to do again (not kept), in order.
    pub fn redo(&self, input: &Normalized) -> Vec<u32> {
        (0..input.total() as u32).filter(|i| self.kept.get(*i as usize).is_none_or(Option::is_none)).collect()
    }

    /// Move FILE aside (under a name of its own) and open it anew, `first` (a job's head line)
    /// at its top; rows go to it through the returned splice.
    pub fn splice<'a, R: Outcome>(
        mut self,
        redo: Vec<u32>,
        first: Vec<u8>,
        make: impl FnOnce(SharedBuf) -> std::io::Result<Box<dyn RecordWriter<R> + 'a>>,
    ) -> anyhow::Result<Splice<'a, R>> {
        let buf = SharedBuf::default();
        let mut render = make(buf.clone())?;
        render.flush()?;
        let header = buf.take();
        if !self.header.is_empty() && header != self.header {
            bail!(
                "{} does not match this command: its columns differ from the ones this run writes",
                self.path.display()
            );
        }
        if self.path.exists() {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let aside = aside_name(&self.path, &format!("{}-{}", nanos.as_nanos(), std::process::id()));
            std::fs::rename(&self.path, &aside)
                .with_context(|| format!("cannot move {} aside", self.path.display()))?;
            let src = self.sources.len();
            self.sources.push(aside);
            for k in self.kept.iter_mut().flatten().filter(|k| k.0 == usize::MAX) {
                k.0 = src;
            }
        }
        let mut old = Vec::with_capacity(self.sources.len());
        for s in &self.sources {
            old.push((BufReader::new(std::fs::File::open(s)?), 0u64));
        }
        let file = crate::private_file::open(&self.path, crate::private_file::Open::Truncate)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        out.write_all(&first)?;
        out.write_all(&header)?;
        // On disk now, so an interrupted resume leaves FILE with its head and the copies beside.
        out.flush()?;
        Ok(Splice { out, old, next: 0, kept: self.kept, redo, buf, render, asides: self.sources })
    }
}

/// Remove the copies interrupted resumes left beside FILE (a fresh run starts over).
pub fn discard_leftovers(path: &Path) {
    for p in leftovers(path) {
        let _ = std::fs::remove_file(p);
    }
}

/// Whether FILE, or a copy an interrupted resume set aside, is there to resume from.
pub fn has_earlier(path: &Path) -> bool {
    path.exists() || !leftovers(path).is_empty()
}

/// `FILE.timx-resume-<tag>`, beside FILE.
fn aside_name(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".timx-resume-{tag}"));
    path.with_file_name(name)
}

/// Copies of FILE that interrupted resumes left beside it, oldest first.
fn leftovers(path: &Path) -> Vec<PathBuf> {
    let prefix = aside_name(path, "");
    let (Some(dir), Some(prefix)) = (prefix.parent(), prefix.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(prefix)))
                .map(|e| path.with_file_name(e.file_name()))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// One file's rows: each checked against the input, the final ones' ranges kept.
fn scan_one(
    path: &Path,
    format: Format,
    input: &Normalized,
    is_final: &dyn Fn(&str) -> bool,
    check: &dyn Fn(&RowInfo) -> Result<(), String>,
    head: Option<HeadCheck<'_>>,
) -> anyhow::Result<Scanned> {
    // The rows will be written back to FILE, which is never written through a symlink: said
    // here, before it is read, as `-o` says it.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        anyhow::bail!("--resume: {}", crate::private_file::symlink_refusal(path));
    }
    // Streamed, so memory stays flat however many rows the file has.
    let file = crate::paths::open_regular(path).context("--resume")?;
    let len = file.metadata().map(|m| m.len()).unwrap_or_default();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut off = 0usize;
    if let Some(head) = head {
        let mut first = Vec::new();
        (&mut reader)
            .take(1 << 20)
            .read_until(b'\n', &mut first)
            .with_context(|| format!("--resume: cannot read {}", path.display()))?;
        let parsed = crate::write::file_head::FileHead::parse(&String::from_utf8_lossy(&first));
        if parsed.is_some() {
            off = first.len();
        } else {
            // Not a head: read the file from its start.
            reader.seek(std::io::SeekFrom::Start(0))?;
        }
        head(parsed).map_err(|why| anyhow::anyhow!("{}: {why}; it was left as it is", path.display()))?;
    }
    let mut s = Scanned { any_written: false, header: Vec::new(), kept: Vec::new(), statuses: Vec::new() };
    let mut n = 0usize;
    let mut visit = |range: (u64, u64), row: RowInfo| -> anyhow::Result<()> {
        let Some(expected) = (n < input.total()).then(|| input.entries.get(n)) else {
            bail!("{} does not match the input: it has more rows than the input has accounts", path.display());
        };
        if row.account != expected {
            bail!(
                "{} does not match the input: row {} is {:?}, the input has {:?} there (another account list?)",
                path.display(),
                n + 1,
                crate::text::escape(&row.account),
                crate::text::escape(expected)
            );
        }
        check(&row).map_err(|why| anyhow::anyhow!("{} does not match this command: {why}", path.display()))?;
        s.any_written |= row.may_have_written();
        let keep = is_final(&row.status);
        s.kept.push(keep.then_some((range.0 + off as u64, range.1 + off as u64)));
        s.statuses.push(keep.then_some(row.status));
        n += 1;
        Ok(())
    };
    match format {
        Format::Csv => {
            let side =
                reader.get_ref().try_clone().with_context(|| format!("--resume: cannot read {}", path.display()))?;
            let bytes = Body { file: side, off: off as u64, len: len.saturating_sub(off as u64) };
            each_csv(reader, bytes, &mut s.header, &mut visit)?;
        }
        _ => each_ndjson(reader, &mut visit)?,
    }
    Ok(s)
}

/// The part of a file after its head, read at any offset (to copy a CSV header, and to see
/// whether a row ends its line).
struct Body {
    file: std::fs::File,
    off: u64,
    len: u64,
}

impl Body {
    fn read(&self, at: u64, n: usize) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0; n];
        self.file.read_exact_at(&mut buf, self.off + at)?;
        Ok(buf)
    }
    /// Whether the byte before `end` is a line end.
    fn line_ends_at(&self, end: u64) -> bool {
        end > 0 && self.read(end - 1, 1).is_ok_and(|b| b == b"\n")
    }
}

/// Each row of an NDJSON file with its byte range; a last line cut short ends the rows.
fn each_ndjson(mut reader: impl BufRead, visit: &mut Visit<'_>) -> anyhow::Result<()> {
    let mut start = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).context("--resume: cannot read the file")?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let row = serde_json::from_slice::<serde_json::Value>(&line[..n - 1]).ok().and_then(|v| {
            let keys = v.as_object()?.keys().cloned().collect();
            let changes = v["changes"].as_array().is_some_and(|c| !c.is_empty());
            let (account, status) = (v["account"].as_str()?.to_owned(), v["status"].as_str()?.to_owned());
            Some(RowInfo { account, status, keys, changes })
        });
        let Some(row) = row else {
            if start == 0 {
                bail!("--resume: its first line is not a timx NDJSON row (another format?)");
            }
            break;
        };
        visit((start, start + n as u64), row)?;
        start += n as u64;
    }
    Ok(())
}

/// Each row of a CSV file with its byte range; the header goes to `header`. A last row cut short
/// (another number of cells, or no line end) ends the rows.
fn each_csv(reader: impl Read, bytes: Body, header: &mut Vec<u8>, visit: &mut Visit<'_>) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
    let mut records = rdr.records();
    let Some(first) = records.next() else { return Ok(()) };
    let first = first.context("--resume: the file's header cannot be read")?;
    let names: Vec<String> = first.iter().map(|h| unneutralize(h).to_owned()).collect();
    let col = |n: &str| names.iter().position(|h| h == n);
    let changes = col("changes");
    let (Some(account), Some(status)) = (col("account"), col("status")) else {
        bail!("--resume: the file has no account/status columns: not a timx export");
    };
    let start_of = |r: &csv::StringRecord| r.position().map(|p| p.byte()).unwrap_or_default();
    let mut current: Option<csv::StringRecord> = None;
    let mut header_done = false;
    loop {
        let next = match records.next() {
            Some(Ok(r)) if r.len() == names.len() => Some(r),
            _ => None,
        };
        let end = next.as_ref().map(start_of).unwrap_or(bytes.len);
        if !header_done {
            let first_row = current.as_ref().or(next.as_ref()).map(start_of).unwrap_or(bytes.len);
            header.extend(bytes.read(0, first_row as usize).context("--resume: cannot read the file's header")?);
            header_done = true;
        }
        if let Some(rec) = current.take() {
            if !bytes.line_ends_at(end) {
                break;
            }
            let cell = |i: usize| unneutralize(rec.get(i).unwrap_or_default()).to_owned();
            let changes = changes.is_some_and(|i| !rec.get(i).unwrap_or_default().is_empty());
            let row = RowInfo { account: cell(account), status: cell(status), keys: vec![], changes };
            visit((start_of(&rec), end), row)?;
        }
        match next {
            Some(r) => current = Some(r),
            None => break,
        }
    }
    Ok(())
}

/// Bytes a record writer renders into, taken out row by row.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The new FILE being written: kept rows copied from the old copies, redone rows rendered in
/// between, all in input order.
pub struct Splice<'a, R> {
    out: std::io::BufWriter<std::fs::File>,
    /// The copies set aside, each with where it is read up to.
    old: Vec<(BufReader<std::fs::File>, u64)>,
    /// The next input entry to place.
    next: u32,
    kept: Vec<Option<(usize, u64, u64)>>,
    /// Sub-job index → input entry.
    redo: Vec<u32>,
    buf: SharedBuf,
    render: Box<dyn RecordWriter<R> + 'a>,
    asides: Vec<PathBuf>,
}

impl<R> Splice<'_, R> {
    /// Copy kept rows of entries before `until`.
    fn copy_kept(&mut self, until: u32) -> std::io::Result<()> {
        while self.next < until {
            if let Some(Some((src, start, end))) = self.kept.get(self.next as usize).copied()
                && let Some((old, pos)) = self.old.get_mut(src)
            {
                old.seek_relative(start as i64 - *pos as i64)?;
                std::io::copy(&mut old.take(end - start), &mut self.out)?;
                *pos = end;
            }
            self.next += 1;
        }
        Ok(())
    }
}

impl<R: Outcome> RecordWriter<R> for Splice<'_, R> {
    fn write(&mut self, r: &R) -> std::io::Result<()> {
        let Some(entry) = self.redo.get(r.index() as usize).copied() else {
            return Err(std::io::Error::other(format!("resume: no entry for row {}", r.index())));
        };
        self.copy_kept(entry)?;
        // Rows do not carry their index in the output: rendered as they are.
        self.render.write(r)?;
        self.render.flush()?;
        self.out.write_all(&self.buf.take())?;
        self.next = entry + 1;
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.copy_kept(self.kept.len() as u32)?;
        self.render.finish()?;
        self.out.write_all(&self.buf.take())?;
        self.out.flush()?;
        // FILE is whole again: the copies it was made from go.
        for a in &self.asides {
            let _ = std::fs::remove_file(a);
        }
        Ok(())
    }
}

/// The input entries `redo` as a job's input of their own (indices 0.., invalid ones kept).
pub fn sub_input(input: &Normalized, redo: &[u32]) -> Normalized {
    let mut entries = AccountList::default();
    let mut invalid = Vec::new();
    let mut reasons = input.invalid.iter().peekable();
    for (k, i) in redo.iter().enumerate() {
        while reasons.next_if(|(j, _)| j < i).is_some() {}
        if let Some((_, why)) = reasons.next_if(|(j, _)| j == i) {
            invalid.push((k as u32, why.clone()));
        }
        entries.push(input.entries.get(*i as usize));
    }
    Normalized { entries, invalid, duplicates: input.duplicates, blank: input.blank }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_input_keeps_invalid_reasons_at_their_new_places() {
        let input = crate::engine::normalize_text("a\nbad\u{1b}x\nb\nc");
        let sub = sub_input(&input, &[1, 3]);
        assert_eq!(sub.entries.iter().collect::<Vec<_>>().len(), 2);
        assert_eq!(sub.invalid.len(), 1);
        assert_eq!(sub.invalid[0].0, 0);
        assert_eq!(sub.entries.get(1), "c");
    }

    #[test]
    fn a_row_cut_short_ends_the_earlier_rows() {
        let mut seen = Vec::new();
        let text = b"{\"account\":\"a\",\"status\":\"found\"}\n{\"account\":\"b\",\"sta";
        each_ndjson(&text[..], &mut |r, row| {
            seen.push((r, row.account));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [((0, 33), "a".to_string())]);
        let mut header = Vec::new();
        let csv = b"\"account\",\"status\"\n\"a\",\"found\"\n\"b\",\"fou";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), csv).unwrap();
        let body = Body { file: std::fs::File::open(dir.path().join("x.csv")).unwrap(), off: 0, len: csv.len() as u64 };
        let mut seen = Vec::new();
        each_csv(&csv[..], body, &mut header, &mut |r, row| {
            seen.push((r, row.account, row.status));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [((19, 31), "a".to_string(), "found".to_string())]);
        assert_eq!(header, b"\"account\",\"status\"\n");
    }

    /// Rows as `{"account","status"}` lines, for the splice tests.
    struct Lines(SharedBuf);

    impl RecordWriter<crate::engine::Record> for Lines {
        fn write(&mut self, r: &crate::engine::Record) -> std::io::Result<()> {
            writeln!(self.0, "{{\"account\":\"{}\",\"status\":\"{}\"}}", r.account, r.status.label())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
        fn finish(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Review: `--resume -o LINK` read through the symlink and refused with "not a timx NDJSON
    /// row", where `-o LINK` says it is a symlink. A resume is refused the same way, before any
    /// read, and the target is left as it is.
    #[cfg(unix)]
    #[test]
    fn a_resume_of_a_symlink_is_refused_as_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let (victim, link) = (dir.path().join("victim.ndjson"), dir.path().join("out.ndjson"));
        std::fs::write(&victim, "{\"account\":\"a\",\"status\":\"found\"}\n").unwrap();
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let input = crate::engine::normalize_text("a\nb");
        let e = Earlier::scan(&link, Format::Ndjson, &input, &|s| s == "found", &|_| Ok(())).unwrap_err();
        assert!(format!("{e:#}").contains("is a symbolic link"), "{e:#}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "{\"account\":\"a\",\"status\":\"found\"}\n");
    }

    #[test]
    fn a_resume_interrupted_before_it_wrote_loses_nothing_the_next_one_takes_its_copy() {
        use crate::engine::{Record, Status};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        std::fs::write(&path, "{\"account\":\"a\",\"status\":\"found\"}\n{\"account\":\"b\",\"status\":\"failed\"}\n")
            .unwrap();
        let input = crate::engine::normalize_text("a\nb\nc");
        let scan = || Earlier::scan(&path, Format::Ndjson, &input, &|s| s == "found", &|_| Ok(())).unwrap();
        let first = scan();
        assert_eq!(first.redo(&input), [1, 2]);
        // The resume sets FILE aside and is killed before it writes a row.
        let splice = first.splice::<Record>(vec![1, 2], Vec::new(), |b| Ok(Box::new(Lines(b)))).unwrap();
        drop(splice);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "FILE is new and empty");
        assert_eq!(leftovers(&path).len(), 1, "its rows wait in a copy beside it");
        // The next resume still keeps a's row, from the copy.
        let again = scan();
        assert_eq!(again.redo(&input), [1, 2]);
        let mut splice = again.splice::<Record>(vec![1, 2], Vec::new(), |b| Ok(Box::new(Lines(b)))).unwrap();
        splice.write(&Record::new(0, "b", Status::Found)).unwrap();
        splice.write(&Record::new(1, "c", Status::Empty)).unwrap();
        splice.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"account\":\"a\",\"status\":\"found\"}\n{\"account\":\"b\",\"status\":\"found\"}\n{\"account\":\"c\",\"status\":\"empty\"}\n"
        );
        assert!(leftovers(&path).is_empty(), "the copies go once FILE is whole");
    }
}
