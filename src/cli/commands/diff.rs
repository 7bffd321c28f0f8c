//! `timx diff A B`: what changed between two exports (CSV, JSON or NDJSON), per account, in the
//! plan format. Exit 0 when they say the same, 1 when they differ, 2 when a file cannot be read.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::export::Format;
use crate::text::escape;
use crate::write::change::{self, Op, PlanRow};
use crate::write::state_file::{self, AccountState, AttrSet};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier export (CSV, JSON or NDJSON, by extension).
    pub a: PathBuf,
    /// The later export.
    pub b: PathBuf,
    /// table, csv, json or ndjson (default: table on a terminal, else ndjson).
    #[arg(long)]
    pub format: Option<Format>,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let a = state_file::read(&args.a, None)?;
    let b = state_file::read(&args.b, None)?;
    for (file, f) in [(&args.a, &a), (&args.b, &b)] {
        for (account, why) in &f.skipped {
            eprintln!("timx: {}: skipped {}: {why}", file.display(), escape(account));
        }
        for note in &f.notes {
            eprintln!("timx: {}: note: {note}", file.display());
        }
        for account in &f.repeats {
            eprintln!(
                "timx: {}: {} appears more than once; the first row is compared",
                file.display(),
                escape(account)
            );
        }
    }
    let rows = diff(&a.rows, &b.rows);
    let mut out = std::io::stdout().lock();
    change::write(super::audit::default_format(args.format), &rows, &mut out)?;
    eprintln!("{}", summary(&rows));
    let same = rows.iter().all(|r| r.status == "unchanged");
    Ok(if same { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Per account of A (in A's order), then those only in B.
pub fn diff(a: &[AccountState], b: &[AccountState]) -> Vec<PlanRow> {
    let in_b: HashMap<&str, &AccountState> = b.iter().map(|s| (s.account.as_str(), s)).collect();
    let in_a: HashMap<&str, &AccountState> = a.iter().map(|s| (s.account.as_str(), s)).collect();
    let row = |account: &str, status: &str, changes| PlanRow {
        account: account.to_owned(),
        status: status.to_owned(),
        changes,
        ..PlanRow::default()
    };
    let mut rows: Vec<PlanRow> = a
        .iter()
        .map(|sa| match in_b.get(sa.account.as_str()) {
            None => row(&sa.account, "only_in_a", vec![]),
            Some(sb) => {
                let attrs = sa.attrs.as_ref().map(|x| x.values.clone()).unwrap_or_default();
                let changes = change::changes(&attrs, sa.tags.as_deref().unwrap_or_default(), &comparable(sa, sb));
                row(&sa.account, if changes.is_empty() { "unchanged" } else { "changed" }, changes)
            }
        })
        .collect();
    rows.extend(
        b.iter().filter(|s| !in_a.contains_key(s.account.as_str())).map(|s| row(&s.account, "only_in_b", vec![])),
    );
    rows
}

/// What B says that A can be compared with: attributes both speak for, tags if both have them.
fn comparable(a: &AccountState, b: &AccountState) -> AccountState {
    let attrs = match (&a.attrs, &b.attrs) {
        (Some(x), Some(y)) => {
            let names = match (&x.names, &y.names) {
                (None, None) => None,
                (Some(n), _) | (None, Some(n)) => {
                    Some(n.iter().filter(|n| x.covers(n) && y.covers(n)).cloned().collect())
                }
            };
            let set = AttrSet { values: y.values.clone(), names };
            Some(AttrSet {
                values: set.values.iter().filter(|(k, _)| set.covers(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
                ..set
            })
        }
        _ => None,
    };
    AccountState { account: b.account.clone(), attrs, tags: a.tags.as_ref().and(b.tags.clone()) }
}

fn summary(rows: &[PlanRow]) -> String {
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let ops = |op: Op| rows.iter().flat_map(|r| &r.changes).filter(|c| c.op == op).count();
    format!(
        "{} accounts: {} changed, {} unchanged, {} only in A, {} only in B; set {}, unset {}, add tag {}, remove tag {}",
        rows.len(),
        count("changed"),
        count("unchanged"),
        count("only_in_a"),
        count("only_in_b"),
        ops(Op::Set),
        ops(Op::Unset),
        ops(Op::Add),
        ops(Op::Remove)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_before_and_a_json_after_compare_on_what_both_say() {
        let before = state_file::parse(
            "account,sex,city,tags,status\nbob,M,北京,vip,found\namy,,,,empty\ngone,F,,,found\n",
            Format::Csv,
        )
        .unwrap();
        let after = state_file::parse(
            "{\"account\":\"bob\",\"status\":\"found\",\"attrs\":{\"city\":\"深圳\",\"plan\":\"gold\"},\"tags\":[\"vip\",\"new\"]}\n\
             {\"account\":\"amy\",\"status\":\"empty\",\"attrs\":{},\"tags\":[]}\n\
             {\"account\":\"fresh\",\"status\":\"found\",\"tags\":[\"x\"]}\n",
            Format::Ndjson,
        )
        .unwrap();
        let rows = diff(&before.rows, &after.rows);
        let bob: Vec<String> = rows[0].changes.iter().map(change::Change::text).collect();
        // plan is not a column of the CSV: not compared. sex is, and is gone in JSON.
        assert_eq!(bob, ["set city: 北京 → 深圳", "unset sex (was M)", "add tag new"]);
        assert_eq!(rows[1].status, "unchanged");
        assert_eq!((rows[2].account.as_str(), rows[2].status.as_str()), ("gone", "only_in_a"));
        assert_eq!((rows[3].account.as_str(), rows[3].status.as_str()), ("fresh", "only_in_b"));
        assert!(summary(&rows).starts_with("4 accounts: 1 changed, 1 unchanged, 1 only in A, 1 only in B"));
    }
}
