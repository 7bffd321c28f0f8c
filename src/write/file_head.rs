//! The first line of every file a write leaves — its plan (`--plan -o`), its outcomes (`-o`)
//! and its undo file: which job wrote it, on which app, with which attribute names. `--resume`,
//! `--from-plan`, `apply -f UNDO` and `:undo` read it to refuse another job's or another app's
//! file before anything is sent.
//!
//! NDJSON: `{"timx_file":{…}}` as the first line; CSV: `#timx_file {…}` as the first line.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use crate::api::Family;
use crate::api::wire::AttrNames;
use crate::config::Profile;
use crate::export::Format;

/// What a file of a write holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// Rows planned, nothing written (`--plan -o`): `--from-plan` applies it.
    Plan,
    /// The outcome of each account of a write that ran (`-o`): `--resume` finishes it.
    Outcomes,
    /// What a write changed, inverted: applying it puts the accounts back.
    Undo,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Plan => "plan",
            FileKind::Outcomes => "outcomes",
            FileKind::Undo => "undo",
        }
    }
}

/// The app a write is made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub profile: String,
    pub endpoint: String,
    pub sdkappid: u64,
    pub family: Family,
}

impl Target {
    pub fn of(p: &Profile) -> Target {
        Target { profile: p.name.clone(), endpoint: p.endpoint.root(), sdkappid: p.sdkappid, family: p.family }
    }

    pub fn text(&self) -> String {
        format!(
            "profile {} ({}, SDKAppID {}, {})",
            crate::text::escape(&self.profile),
            crate::text::escape(&self.endpoint),
            self.sdkappid,
            self.family.service()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHead {
    pub kind: FileKind,
    pub target: Target,
    /// The app's attribute names when the job ran: slot → name.
    #[serde(default)]
    pub names: BTreeMap<usize, String>,
    /// RFC 3339.
    pub time: String,
    /// The command, as the journal would name it (no accounts or values).
    pub command: String,
    /// The job's identity: command, arguments (or the desired file's hash), accounts, target,
    /// mode. `--resume` takes only a file of the same job.
    pub job: String,
    /// The write's undo file (outcomes and, with `--plan` none); an undo file names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_file: Option<std::path::PathBuf>,
    /// A plan's number of accounts, one row each: a plan file holding fewer rows was cut short
    /// (its planning killed) or had rows taken out, and is not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<usize>,
}

#[derive(Serialize, Deserialize)]
struct Wrapped {
    timx_file: FileHead,
}

const CSV_MARK: &str = "#timx_file ";

/// The slot → name map of an app's names.
pub fn names_of(names: &AttrNames) -> BTreeMap<usize, String> {
    names.slots().filter_map(|s| Some((s.slot, s.name?.to_owned()))).collect()
}

impl FileHead {
    pub fn new(
        kind: FileKind,
        profile: &Profile,
        names: BTreeMap<usize, String>,
        command: &str,
        job: String,
    ) -> FileHead {
        FileHead {
            kind,
            target: Target::of(profile),
            names,
            time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            command: command.to_owned(),
            job,
            undo_file: None,
            accounts: None,
        }
    }

    /// The head as the first line of a file in `format` (with its line end); None for formats
    /// that carry none (a JSON array, a table).
    pub fn line(&self, format: Format) -> Option<String> {
        let json = serde_json::to_string(&Wrapped { timx_file: self.clone() }).ok()?;
        match format {
            Format::Ndjson => Some(format!("{json}\n")),
            Format::Csv => Some(format!("{CSV_MARK}{json}\n")),
            Format::Json | Format::Table => None,
        }
    }

    /// The head of a file's first line, if it is one.
    pub fn parse(first_line: &str) -> Option<FileHead> {
        let json = first_line.strip_prefix(CSV_MARK).unwrap_or(first_line);
        serde_json::from_str::<Wrapped>(json.trim_end()).ok().map(|w| w.timx_file)
    }

    /// Whether this line is a head (whatever it says).
    pub fn is_head(first_line: &str) -> bool {
        first_line.starts_with(CSV_MARK) || first_line.starts_with("{\"timx_file\"")
    }

    /// Refuse a file made on another app than `profile`.
    pub fn check_target(&self, profile: &Profile, what: &str) -> anyhow::Result<()> {
        let now = Target::of(profile);
        if self.target != now {
            bail!(
                "{what} was made on {}, not on {}: nothing was sent (use the profile it was made on)",
                self.target.text(),
                now.text()
            );
        }
        Ok(())
    }

    /// Refuse a file whose attribute names (those `used` names) are not in the same slots now.
    pub fn check_names<'a>(
        &self,
        now: &BTreeMap<usize, String>,
        used: impl Iterator<Item = &'a str>,
        what: &str,
    ) -> anyhow::Result<()> {
        let slot = |m: &BTreeMap<usize, String>, n: &str| m.iter().find(|(_, v)| v.as_str() == n).map(|(k, _)| *k);
        let mut moved = Vec::new();
        for name in used {
            let (then, at) = (slot(&self.names, name), slot(now, name));
            if then != at {
                let place = |s: Option<usize>| s.map_or_else(|| "no slot".to_string(), |s| format!("slot {s}"));
                moved.push(format!("{} was in {}, now {}", crate::text::escape(name), place(then), place(at)));
            }
        }
        if !moved.is_empty() {
            moved.dedup();
            bail!(
                "the app's attribute names changed since {what} was made ({}): nothing was sent; make a new plan",
                moved.join(", ")
            );
        }
        Ok(())
    }
}

/// A job's identity: a short hash of what makes it that job.
pub fn job_id(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    short_hash(&h.finalize())
}

/// The short form of a digest that names a job or a file: its first 12 bytes in hex.
pub fn short_hash(digest: &[u8]) -> String {
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> FileHead {
        FileHead {
            kind: FileKind::Plan,
            target: Target {
                profile: "demo".into(),
                endpoint: "http://127.0.0.1:1".into(),
                sdkappid: 1,
                family: Family::Timpush,
            },
            names: [(0, "sex".to_string()), (1, "city".to_string())].into(),
            time: "t".into(),
            command: "edit".into(),
            job: job_id(&[b"a", b"b"]),
            undo_file: None,
            accounts: None,
        }
    }

    #[test]
    fn a_head_reads_back_from_either_format() {
        let h = head();
        for f in [Format::Ndjson, Format::Csv] {
            let line = h.line(f).unwrap();
            assert!(FileHead::is_head(&line));
            assert_eq!(FileHead::parse(&line), Some(h.clone()));
        }
        assert_eq!(FileHead::parse("{\"account\":\"a\"}"), None);
        assert_ne!(job_id(&[b"ab", b""]), job_id(&[b"a", b"b"]), "parts are delimited");
    }

    #[test]
    fn names_moved_to_another_slot_are_refused() {
        let h = head();
        let same: BTreeMap<usize, String> = [(0, "sex".to_string()), (1, "city".to_string()), (2, "x".into())].into();
        assert!(h.check_names(&same, ["city"].into_iter(), "the plan").is_ok());
        let swapped: BTreeMap<usize, String> = [(1, "sex".to_string()), (0, "city".to_string())].into();
        let e = h.check_names(&swapped, ["city"].into_iter(), "the plan").unwrap_err().to_string();
        assert!(e.contains("city was in slot 1, now slot 0"), "{e}");
    }
}
