//! The undo file of a write: the exact inverse of what it changes, headed by its job (target,
//! attribute names, time, command). Before a batch is sent, each account's inverse — only the
//! fields the write will change, each with the value it will write (the guard) and the value to
//! put back, and the tag order before — is appended and synced, so `timx apply -f UNDO` puts
//! them back even after Ctrl-C or a crash. Batches that finish their reads together share one
//! sync. The file is made on the first record (no empty undo files), its directory synced once;
//! a resumed write appends to its first run's file and never records a field twice.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use tokio::sync::{mpsc, oneshot};

use super::change::PlanRow;
use super::file_head::{FileHead, FileKind};
use crate::export::Format;

type Request = (Vec<u8>, oneshot::Sender<Result<(), String>>);

/// An undo file, made on its first record. Cheap to share behind an `Arc`; the writer thread
/// ends with the last one.
#[derive(Debug)]
pub struct UndoLog {
    path: PathBuf,
    tx: mpsc::UnboundedSender<Request>,
    /// A resumed write: per account, the fields its first run recorded (this run records each
    /// account once, so only those are kept: a hundred thousand new ones would cost MBs).
    held: Mutex<HashMap<String, HashSet<String>>>,
    /// A resumed write: what its first run recorded, per account (inverses).
    earlier: HashMap<String, Vec<super::change::Change>>,
}

impl UndoLog {
    /// A new undo file at `path` (0600; never an existing one), made when the first account
    /// is recorded.
    pub fn create(path: &Path, head: &FileHead) -> anyhow::Result<UndoLog> {
        if path.exists() {
            bail!("the undo file {} exists already: timx never reuses one", path.display());
        }
        UndoLog::start(path, head, false, HashMap::new())
    }

    /// The undo file of a write being resumed: appended to when it exists (its head must be
    /// this job's target), made like a new one when the first run recorded nothing.
    pub fn resume(path: &Path, head: &FileHead) -> anyhow::Result<UndoLog> {
        if !path.exists() {
            return UndoLog::start(path, head, false, HashMap::new());
        }
        let (old, rows) = read(path)?;
        if old.target != head.target {
            bail!(
                "the undo file {} is of {}, not {}: nothing was sent",
                path.display(),
                old.target.text(),
                head.target.text()
            );
        }
        let mut held: HashMap<String, HashSet<String>> = HashMap::new();
        let mut earlier: HashMap<String, Vec<super::change::Change>> = HashMap::new();
        for r in merge(rows) {
            held.entry(r.account.clone()).or_default().extend(r.changes.iter().map(super::change::Change::field));
            earlier.insert(r.account, r.changes);
        }
        let mut log = UndoLog::start(path, head, true, held)?;
        log.earlier = earlier;
        Ok(log)
    }

    /// What the first run of a resumed write recorded for `account` (the inverse of what it
    /// was about to write).
    pub fn earlier(&self, account: &str) -> Option<&[super::change::Change]> {
        self.earlier.get(account).map(Vec::as_slice)
    }

    fn start(
        path: &Path,
        head: &FileHead,
        exists: bool,
        held: HashMap<String, HashSet<String>>,
    ) -> anyhow::Result<UndoLog> {
        let head = FileHead { kind: FileKind::Undo, undo_file: None, ..head.clone() };
        let first = if exists { Vec::new() } else { head.line(Format::Ndjson).unwrap_or_default().into_bytes() };
        let (tx, rx) = mpsc::unbounded_channel();
        let target = path.to_owned();
        std::thread::Builder::new()
            .name("timx-undo".into())
            .spawn(move || writer(&target, exists, first, rx))
            .context("cannot start the undo file's writer")?;
        Ok(UndoLog { path: path.to_owned(), tx, held: Mutex::new(held), earlier: HashMap::new() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append these accounts' inverses (fields already held are left out) and wait until they
    /// are on disk.
    pub async fn record(&self, rows: Vec<PlanRow>) -> Result<(), String> {
        let mut bytes = Vec::with_capacity(rows.len() * 96);
        {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            for mut r in rows {
                if let Some(fields) = held.get_mut(&r.account) {
                    r.changes.retain(|c| !fields.contains(&c.field()));
                    fields.extend(r.changes.iter().map(super::change::Change::field));
                }
                if r.changes.is_empty() {
                    continue;
                }
                serde_json::to_writer(&mut bytes, &r).map_err(|e| e.to_string())?;
                bytes.push(b'\n');
            }
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.tx.send((bytes, done)).map_err(|_| "the undo file's writer stopped".to_string())?;
        answer.await.map_err(|_| "the undo file's writer stopped".to_string())?
    }
}

/// Make the file on the first request; then write what is queued, sync once for all of it,
/// and tell each waiting batch.
fn writer(path: &Path, exists: bool, head: Vec<u8>, mut rx: mpsc::UnboundedReceiver<Request>) {
    let mut file: Option<std::fs::File> = None;
    let mut failed: Option<String> = None;
    while let Some(first) = rx.blocking_recv() {
        let mut group = vec![first];
        while let Ok(more) = rx.try_recv() {
            group.push(more);
        }
        if file.is_none() && failed.is_none() {
            match open(path, exists, &head) {
                Ok(f) => file = Some(f),
                Err(e) => failed = Some(e),
            }
        }
        let result = match (&failed, file.as_mut()) {
            // After a failed write the file may end mid-line: nothing more goes in it.
            (Some(e), _) => Err(e.clone()),
            (None, None) => Err("the undo file is not open".to_string()),
            (None, Some(f)) => group
                .iter()
                .try_for_each(|(bytes, _)| f.write_all(bytes))
                .and_then(|()| f.sync_data())
                .map_err(|e| format!("cannot write the undo file: {e}")),
        };
        if let Err(e) = &result {
            failed = Some(e.clone());
        }
        for (_, done) in group {
            let _ = done.send(result.clone());
        }
    }
}

/// Open (append) or make the file with its head, synced, and its directory synced once made.
fn open(path: &Path, exists: bool, head: &[u8]) -> Result<std::fs::File, String> {
    use crate::private_file::{Open, open};
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let how = if exists { Open::Append } else { Open::CreateNew };
    let mut f = open(path, how).map_err(|e| format!("cannot create the undo file {}: {e}", path.display()))?;
    if !exists {
        f.write_all(head).and_then(|()| f.sync_all()).map_err(|e| format!("cannot write the undo file: {e}"))?;
        if let Some(d) = dir.and_then(|d| std::fs::File::open(d).ok()) {
            let _ = d.sync_all();
        }
    }
    Ok(f)
}

/// An undo file's head and rows, an account's rows merged into one (a resumed write may have
/// appended a second row for fields its first run did not reach).
pub fn read(path: &Path) -> anyhow::Result<(FileHead, Vec<PlanRow>)> {
    let (head, rows) = super::plan_file::read(path)?;
    if head.kind != FileKind::Undo {
        bail!("{} is a timx {} file, not an undo file", path.display(), head.kind.label());
    }
    Ok((head, merge(rows)))
}

/// One row per account, in the order of their first rows.
pub fn merge(rows: Vec<PlanRow>) -> Vec<PlanRow> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<PlanRow> = Vec::with_capacity(rows.len());
    for r in rows {
        match at.get(&r.account) {
            Some(i) => {
                let first = &mut out[*i];
                first.changes.extend(r.changes);
                if first.tag_order.is_none() {
                    first.tag_order = r.tag_order;
                }
            }
            None => {
                at.insert(r.account.clone(), out.len());
                out.push(r);
            }
        }
    }
    out
}

/// `undo/<time>-<profile>.ndjson` under the data dir.
pub fn default_path(profile: &str) -> Option<PathBuf> {
    crate::config::data_dir().map(|d| path_in(&d.join("undo"), profile))
}

/// A new undo file's path in `dir`: `<time>-<profile>.ndjson`, the name made safe for a file.
pub fn path_in(dir: &Path, profile: &str) -> PathBuf {
    let time = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let time: String = time.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    dir.join(format!("{time}{}", suffix(profile)))
}

/// How a profile's undo files end: `-<profile>.ndjson`.
fn suffix(profile: &str) -> String {
    let name: String =
        profile.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("-{name}.ndjson")
}

/// The newest undo file in `dir` of a profile's account writes (the names start with their time).
/// A name is read as `<time>-<profile>.ndjson`, the time as `path_in` writes it (digits, `T`, `Z`:
/// no `-`), and its profile part must be the profile's exactly: `-demo.ndjson` does not match
/// `…-staging-demo.ndjson`.
pub fn newest_in(dir: &Path, profile: &str) -> Option<PathBuf> {
    let suffix = suffix(profile);
    let is_time = |t: &str| {
        t.starts_with(|c: char| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || c == 'T' || c == 'Z')
    };
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.find('-').is_some_and(|at| is_time(&n[..at]) && n[at..] == suffix))
        .max()?;
    Some(dir.join(newest))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::write::change::{Change, Op};

    fn head() -> FileHead {
        let target = super::super::file_head::Target {
            profile: "demo".into(),
            endpoint: "http://127.0.0.1:1".into(),
            sdkappid: 1,
            family: crate::api::Family::AllMemberPush,
        };
        FileHead {
            kind: FileKind::Outcomes,
            target,
            names: Default::default(),
            time: "t".into(),
            command: "edit".into(),
            job: "j".into(),
            undo_file: None,
            accounts: None,
        }
    }

    fn row(account: &str, changes: Vec<Change>) -> PlanRow {
        PlanRow { account: account.into(), status: "planned".into(), changes, ..PlanRow::default() }
    }

    fn set(name: &str, from: &str, to: &str) -> Change {
        Change { op: Op::Set, name: Some(name.into()), tag: None, from: Some(from.into()), to: Some(to.into()) }
    }

    #[test]
    fn newest_in_matches_the_profile_part_of_the_name_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "20240101T000000000Z-demo.ndjson",
            "20240102T000000000Z-staging-demo.ndjson",
            "20240103T000000000Z-demo-attr-names.ndjson",
            "notes-demo.ndjson",
            "20240104T000000000Z-demo.ndjson.tmp",
            "20240105T000000000Z-Demo.ndjson",
        ] {
            std::fs::write(d.join(name), "").unwrap();
        }
        assert_eq!(newest_in(d, "demo"), Some(d.join("20240101T000000000Z-demo.ndjson")));
        assert_eq!(newest_in(d, "staging-demo"), Some(d.join("20240102T000000000Z-staging-demo.ndjson")));
        assert_eq!(newest_in(d, "demo-attr-names"), Some(d.join("20240103T000000000Z-demo-attr-names.ndjson")));
        assert_eq!(newest_in(d, "staging"), None);
        assert_eq!(newest_in(d, "emo"), None);
        // A new file's name is found again under its profile, the name made safe.
        let p = path_in(d, "a b/c");
        std::fs::write(&p, "").unwrap();
        assert_eq!(newest_in(d, "a b/c"), Some(p));
        assert_eq!(newest_in(d, "c"), None);
    }

    #[tokio::test]
    async fn records_are_appended_made_on_the_first_and_never_twice_for_a_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u").join("undo.ndjson");
        let log = std::sync::Arc::new(UndoLog::create(&path, &head()).unwrap());
        log.record(vec![]).await.unwrap();
        assert!(!path.exists(), "no record, no file");
        let mut tasks = Vec::new();
        for i in 0..20 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                log.record(vec![row(&format!("u{i}"), vec![set("city", "深圳", "=北京")])]).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        drop(log);
        // A resumed write: u0's city is held already, its tag is new.
        let again = UndoLog::resume(&path, &head()).unwrap();
        let tag = Change { op: Op::Remove, name: None, tag: Some("vip".into()), from: None, to: None };
        again.record(vec![row("u0", vec![set("city", "x", "y"), tag])]).await.unwrap();
        drop(again);
        let (h, rows) = read(&path).unwrap();
        assert_eq!(h.kind, FileKind::Undo);
        assert_eq!(rows.len(), 20);
        let u0 = rows.iter().find(|r| r.account == "u0").unwrap();
        assert_eq!(u0.changes.len(), 2, "the tag appended, the city not recorded twice");
        assert_eq!(u0.changes[0], set("city", "深圳", "=北京"));
        assert!(UndoLog::create(&path, &head()).is_err(), "an existing undo file is never reused");
        let other = FileHead { target: super::super::file_head::Target { sdkappid: 2, ..head().target }, ..head() };
        assert!(UndoLog::resume(&path, &other).is_err(), "another app's undo file is not appended to");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
