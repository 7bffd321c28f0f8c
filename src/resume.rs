//! `--resume`: pick up an interrupted run from its `-o FILE`. The rows it finished are kept byte
//! for byte, the rest are redone, and FILE ends as one uninterrupted run would have written it:
//! the same rows, in input order, one per account.
//!
//! FILE is read once to find, per input entry, the byte range of a row whose outcome is final;
//! then it is moved aside, and the new FILE is written in input order, copying kept rows from the
//! old one and placing each redone row where it belongs.

use std::io::{BufReader, Read, Write};
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
}

type Visit<'a> = dyn FnMut((u64, u64), RowInfo) -> anyhow::Result<()> + 'a;

/// What an earlier run of the same job left in FILE.
#[derive(Debug)]
pub struct Earlier {
    path: PathBuf,
    /// The file's first line (CSV header), compared with the one this run writes.
    header: Vec<u8>,
    /// Per input entry the file reached: the byte range of its row when its outcome is final.
    kept: Vec<Option<(u64, u64)>>,
    /// Statuses of the kept rows, by label.
    pub kept_statuses: Vec<String>,
}

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
        if !matches!(format, Format::Ndjson | Format::Csv) {
            bail!("--resume needs -o FILE in ndjson or csv (a JSON array or a table is not written as it goes)");
        }
        let bytes = std::fs::read(path).with_context(|| format!("--resume: cannot read {}", path.display()))?;
        let mut e = Earlier { path: path.to_owned(), header: Vec::new(), kept: Vec::new(), kept_statuses: Vec::new() };
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
            let keep = is_final(&row.status);
            if keep {
                e.kept_statuses.push(row.status);
            }
            e.kept.push(keep.then_some(range));
            n += 1;
            Ok(())
        };
        match format {
            Format::Csv => each_csv(&bytes, &mut e.header, &mut visit)?,
            _ => each_ndjson(&bytes, &mut visit)?,
        }
        Ok(e)
    }

    /// The input entries to do again (not kept), in order.
    pub fn redo(&self, input: &Normalized) -> Vec<u32> {
        (0..input.total() as u32).filter(|i| self.kept.get(*i as usize).is_none_or(Option::is_none)).collect()
    }

    /// Move FILE aside and open it anew; rows go to it through the returned splice.
    pub fn splice<'a, R: Outcome>(
        self,
        redo: Vec<u32>,
        make: impl FnOnce(SharedBuf) -> std::io::Result<Box<dyn RecordWriter<R> + 'a>>,
    ) -> anyhow::Result<Splice<'a, R>> {
        let aside = self.path.with_extension("timx-resume");
        std::fs::rename(&self.path, &aside).with_context(|| format!("cannot move {} aside", self.path.display()))?;
        let old = BufReader::new(std::fs::File::open(&aside)?);
        let file = crate::private_file::open(&self.path, crate::private_file::Open::Truncate)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let buf = SharedBuf::default();
        let mut render = make(buf.clone())?;
        render.flush()?;
        let header = buf.take();
        if !self.header.is_empty() && header != self.header {
            // Put the file back as it was: nothing is lost by a refusal.
            drop(file);
            std::fs::rename(&aside, &self.path)?;
            bail!(
                "{} does not match this command: its columns differ from the ones this run writes",
                self.path.display()
            );
        }
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        out.write_all(&header)?;
        Ok(Splice { out, old, pos: 0, next: 0, kept: self.kept, redo, buf, render, aside })
    }
}

/// Each row of an NDJSON file with its byte range; a last line cut short ends the rows.
fn each_ndjson(bytes: &[u8], visit: &mut Visit<'_>) -> anyhow::Result<()> {
    let mut start = 0usize;
    while start < bytes.len() {
        let Some(len) = bytes[start..].iter().position(|b| *b == b'\n') else { break };
        let line = &bytes[start..start + len];
        let row = serde_json::from_slice::<serde_json::Value>(line).ok().and_then(|v| {
            let keys = v.as_object()?.keys().cloned().collect();
            Some(RowInfo { account: v["account"].as_str()?.to_owned(), status: v["status"].as_str()?.to_owned(), keys })
        });
        let Some(row) = row else {
            if start == 0 {
                bail!("--resume: its first line is not a timx NDJSON row (another format?)");
            }
            break;
        };
        visit((start as u64, (start + len + 1) as u64), row)?;
        start += len + 1;
    }
    Ok(())
}

/// Each row of a CSV file with its byte range; the header goes to `header`. A last row cut short
/// (another number of cells, or no line end) ends the rows.
fn each_csv(bytes: &[u8], header: &mut Vec<u8>, visit: &mut Visit<'_>) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(bytes);
    let mut records = rdr.records();
    let Some(first) = records.next() else { return Ok(()) };
    let first = first.context("--resume: the file's header cannot be read")?;
    let names: Vec<String> = first.iter().map(|h| unneutralize(h).to_owned()).collect();
    let col = |n: &str| names.iter().position(|h| h == n);
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
        let end = next.as_ref().map(start_of).unwrap_or(bytes.len() as u64);
        if !header_done {
            let first_row = current.as_ref().or(next.as_ref()).map(start_of).unwrap_or(bytes.len() as u64);
            header.extend_from_slice(&bytes[..first_row as usize]);
            header_done = true;
        }
        if let Some(rec) = current.take() {
            if !bytes[..end as usize].ends_with(b"\n") {
                break;
            }
            let cell = |i: usize| unneutralize(rec.get(i).unwrap_or_default()).to_owned();
            visit((start_of(&rec), end), RowInfo { account: cell(account), status: cell(status), keys: vec![] })?;
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

/// The new FILE being written: kept rows copied from the old one, redone rows rendered in
/// between, all in input order.
pub struct Splice<'a, R> {
    out: std::io::BufWriter<std::fs::File>,
    old: BufReader<std::fs::File>,
    /// Where `old` is read up to.
    pos: u64,
    /// The next input entry to place.
    next: u32,
    kept: Vec<Option<(u64, u64)>>,
    /// Sub-job index → input entry.
    redo: Vec<u32>,
    buf: SharedBuf,
    render: Box<dyn RecordWriter<R> + 'a>,
    aside: PathBuf,
}

impl<R> Splice<'_, R> {
    /// Copy kept rows of entries before `until`.
    fn copy_kept(&mut self, until: u32) -> std::io::Result<()> {
        while self.next < until {
            if let Some(Some((start, end))) = self.kept.get(self.next as usize).copied() {
                self.old.seek_relative(start as i64 - self.pos as i64)?;
                std::io::copy(&mut (&mut self.old).take(end - start), &mut self.out)?;
                self.pos = end;
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
        let _ = std::fs::remove_file(&self.aside);
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
        each_ndjson(text, &mut |r, row| {
            seen.push((r, row.account));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [((0, 33), "a".to_string())]);
        let mut header = Vec::new();
        let csv = b"\"account\",\"status\"\n\"a\",\"found\"\n\"b\",\"fou";
        let mut seen = Vec::new();
        each_csv(csv, &mut header, &mut |r, row| {
            seen.push((r, row.account, row.status));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [((19, 31), "a".to_string(), "found".to_string())]);
        assert_eq!(header, b"\"account\",\"status\"\n");
    }
}
