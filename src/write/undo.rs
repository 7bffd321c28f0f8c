//! The undo file of a write: before a batch is sent, the state its accounts had is appended
//! (NDJSON in the apply format) and synced to disk, so `timx apply -f UNDO --yes` restores it
//! even after Ctrl-C or a crash. Batches that finish their reads together share one sync.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

type Request = (Vec<u8>, oneshot::Sender<Result<(), String>>);

/// An open undo file. Cheap to share behind an `Arc`; the writer thread ends with the last one.
#[derive(Debug)]
pub struct UndoLog {
    path: PathBuf,
    tx: mpsc::UnboundedSender<Request>,
}

/// One account as it was before the write: what `apply` needs to put it back.
#[derive(Debug, Serialize)]
pub struct Before<'a> {
    pub account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attrs: Option<&'a std::collections::BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a [String]>,
}

impl UndoLog {
    /// Create the file (0600; never an existing one) and its writer thread.
    pub fn create(path: &Path) -> anyhow::Result<UndoLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = crate::private_file::open(path, crate::private_file::Open::CreateNew)
            .with_context(|| format!("cannot create the undo file {}", path.display()))?;
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("timx-undo".into())
            .spawn(move || writer(file, rx))
            .context("cannot start the undo file's writer")?;
        Ok(UndoLog { path: path.to_owned(), tx })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append these accounts' previous states and wait until they are on disk.
    pub async fn record(&self, before: &[Before<'_>]) -> Result<(), String> {
        let mut bytes = Vec::with_capacity(before.len() * 64);
        for b in before {
            serde_json::to_writer(&mut bytes, b).map_err(|e| e.to_string())?;
            bytes.push(b'\n');
        }
        let (done, answer) = oneshot::channel();
        self.tx.send((bytes, done)).map_err(|_| "the undo file's writer stopped".to_string())?;
        answer.await.map_err(|_| "the undo file's writer stopped".to_string())?
    }
}

/// Write what is queued, sync once for all of it, then tell each waiting batch.
fn writer(mut file: std::fs::File, mut rx: mpsc::UnboundedReceiver<Request>) {
    let mut failed: Option<String> = None;
    while let Some(first) = rx.blocking_recv() {
        let mut group = vec![first];
        while let Ok(more) = rx.try_recv() {
            group.push(more);
        }
        let result = match &failed {
            // After a failed write the file may end mid-line: nothing more goes in it.
            Some(e) => Err(e.clone()),
            None => group
                .iter()
                .try_for_each(|(bytes, _)| file.write_all(bytes))
                .and_then(|()| file.sync_data())
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
    async fn records_are_appended_and_read_back_as_an_apply_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u").join("undo.ndjson");
        let log = std::sync::Arc::new(UndoLog::create(&path).unwrap());
        let attrs: std::collections::BTreeMap<String, String> = [("city".to_string(), "=北京".to_string())].into();
        let tags = vec!["vip".to_string()];
        let mut tasks = Vec::new();
        for i in 0..20 {
            let log = log.clone();
            let (attrs, tags) = (attrs.clone(), tags.clone());
            tasks.push(tokio::spawn(async move {
                let account = format!("u{i}");
                log.record(&[Before { account: &account, attrs: Some(&attrs), tags: Some(&tags) }]).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let f = crate::write::state_file::parse(&text, crate::export::Format::Ndjson).unwrap();
        assert_eq!(f.rows.len(), 20);
        assert!(f.rows.iter().all(|r| r.attrs.as_ref().unwrap().values["city"] == "=北京"));
        assert!(UndoLog::create(&path).is_err(), "an existing undo file is never reused");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
