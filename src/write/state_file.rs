//! timx's own exports read back as account states: CSV, NDJSON or JSON, as `inspect`, `attrs`
//! and `tags` write them (and as a spreadsheet saves them after an edit). What a file says is
//! exactly what it holds: an attribute column present in a CSV (or the `attrs` object in JSON)
//! is the whole set of those attributes (an empty cell or a missing name: no value); a `tags`
//! column or array is the whole tag set; what a file does not have stays unknown. Export-only
//! columns (`status`, `error_code`, `error`, `other_attrs`) are ignored, and rows whose status
//! says the data was not read (`failed`, `invalid`, `cancelled`) are set aside with a note.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

use crate::export::{Format, split_tags, unneutralize};

/// Columns an export writes that are not the account's data.
const EXPORT_ONLY: [&str; 4] = ["status", "error_code", "error", "other_attrs"];
/// Statuses whose rows carry no data that was read.
const NOT_READ: [&str; 3] = ["failed", "invalid", "cancelled"];

/// The attributes a row speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttrSet {
    pub values: BTreeMap<String, String>,
    /// The names the row speaks for: `None` for every name (a JSON `attrs` object), or the
    /// attribute columns of a CSV (a name among them without a value has none).
    pub names: Option<Vec<String>>,
}

impl AttrSet {
    /// Whether the row says anything about attribute `name`.
    pub fn covers(&self, name: &str) -> bool {
        self.names.as_ref().is_none_or(|n| n.iter().any(|x| x == name))
    }
}

/// One account as a file states it; `None` where the file says nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub account: String,
    pub attrs: Option<AttrSet>,
    pub tags: Option<Vec<String>>,
}

/// A file's accounts in file order, and the rows set aside.
#[derive(Debug, Clone, Default)]
pub struct StateFile {
    pub rows: Vec<AccountState>,
    /// (account, why): rows whose data was not read.
    pub skipped: Vec<(String, String)>,
    /// Accounts named by more than one row (the first row is in `rows`): which row is meant
    /// cannot be told, so a write takes none of them.
    pub repeats: Vec<String>,
    seen: std::collections::HashSet<String>,
}

/// Why a row with this status is set aside, if it is.
pub fn not_read(status: Option<&str>) -> Option<String> {
    status.filter(|s| NOT_READ.contains(s)).map(|s| format!("status {s}: its data was not read"))
}

impl StateFile {
    fn push(&mut self, state: AccountState, status: Option<&str>) {
        if let Some(why) = not_read(status) {
            self.skipped.push((state.account, why));
        } else if !self.seen.insert(state.account.clone()) {
            self.repeats.push(state.account);
        } else {
            self.rows.push(state);
        }
    }
}

/// Read a state file; the format from `format`, else from the extension.
pub fn read(path: &Path, format: Option<Format>) -> anyhow::Result<StateFile> {
    let format = format_of(path, format)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text, format).with_context(|| format!("{} is not a timx {format:?} export", path.display()))
}

pub fn parse(text: &str, format: Format) -> anyhow::Result<StateFile> {
    let mut out = StateFile::default();
    parse_each(text, format, &mut |state, status| out.push(state, status))?;
    Ok(out)
}

/// What receives each row with its `status` cell, if any.
pub type Sink<'a> = dyn FnMut(AccountState, Option<&str>) + 'a;

/// Each row of a state file in file order, handed to `sink` one at a time (a large file's rows
/// are never all held as states at once).
pub fn parse_each(text: &str, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    match format {
        Format::Csv => parse_csv(text, sink),
        Format::Json => {
            let rows: Vec<RowIn> = serde_json::from_str(text).context("not a JSON array of timx rows")?;
            parse_records(rows.into_iter().map(Ok), sink)
        }
        Format::Ndjson => parse_records(
            text.lines().filter(|l| !l.trim().is_empty()).map(|l| {
                serde_json::from_str(l).with_context(|| format!("not a timx row: {}", crate::text::escape(l)))
            }),
            sink,
        ),
        Format::Table => bail!("a table is for reading, not a state file"),
    }
}

/// The format a path says (or the one given), refusing a table.
pub fn format_of(path: &Path, format: Option<Format>) -> anyhow::Result<Format> {
    match format.or_else(|| Format::from_path(path)) {
        Some(Format::Table) | None => bail!("{}: say which format it is (.csv, .json, .ndjson)", path.display()),
        Some(f) => Ok(f),
    }
}

fn parse_csv(text: &str, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> =
        rdr.headers().context("no header row")?.iter().map(|h| unneutralize(h).to_owned()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let account = col("account").context("no `account` column")?;
    let (tags, status) = (col("tags"), col("status"));
    let attr_cols: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != account && Some(*i) != tags && !EXPORT_ONLY.contains(&h.as_str()))
        .map(|(i, h)| (i, h.clone()))
        .collect();
    let names: Vec<String> = attr_cols.iter().map(|(_, n)| n.clone()).collect();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("row {}", n + 2))?;
        let cell = |i: usize| unneutralize(rec.get(i).unwrap_or_default());
        let attrs = (!attr_cols.is_empty()).then(|| AttrSet {
            values: attr_cols
                .iter()
                .filter(|(i, _)| !cell(*i).is_empty())
                .map(|(i, name)| (name.clone(), cell(*i).to_owned()))
                .collect(),
            names: Some(names.clone()),
        });
        let state = AccountState {
            account: cell(account).to_owned(),
            attrs,
            tags: tags.map(|i| split_tags(rec.get(i).unwrap_or_default())),
        };
        sink(state, status.map(|i| rec.get(i).unwrap_or_default()));
    }
    Ok(())
}

/// One JSON row as timx exports it (fields it does not know are ignored).
#[derive(serde::Deserialize)]
struct RowIn {
    account: Option<String>,
    status: Option<String>,
    #[serde(default)]
    attrs: Option<BTreeMap<String, String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

fn parse_records(rows: impl Iterator<Item = anyhow::Result<RowIn>>, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    for (n, row) in rows.enumerate() {
        let row = row?;
        let account = row.account.with_context(|| format!("row {}: no \"account\"", n + 1))?;
        // An empty value is no value, as an empty CSV cell is.
        let attrs = row.attrs.map(|mut values| {
            values.retain(|_, v| !v.is_empty());
            AttrSet { values, names: None }
        });
        sink(AccountState { account, attrs, tags: row.tags }, row.status.as_deref());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_export_reads_back_with_its_columns_as_the_whole_set() {
        let csv = "\"account\",\"sex\",\"city\",\"other_attrs\",\"tags\",\"status\",\"error_code\",\"error\"\n\
                   \"bob\",\"M\",\"'=深圳\",\"x=1\",\"vip;'-x;a%3Bb\",\"found\",\"\",\"\"\n\
                   \"amy\",\"\",\"\",\"\",\"\",\"empty\",\"\",\"\"\n\
                   \"zed\",\"\",\"\",\"\",\"\",\"failed\",\"91000\",\"…\"\n";
        let f = parse(csv, Format::Csv).unwrap();
        assert_eq!(f.rows.len(), 2);
        let bob = &f.rows[0];
        let attrs = bob.attrs.as_ref().unwrap();
        assert_eq!(attrs.values, [("city".into(), "=深圳".into()), ("sex".into(), "M".into())].into());
        assert!(attrs.covers("sex") && !attrs.covers("plan"), "other_attrs is not a column of data");
        assert_eq!(bob.tags.as_deref(), Some(&["vip".to_string(), "-x".into(), "a;b".into()][..]));
        assert!(f.rows[1].attrs.as_ref().unwrap().values.is_empty());
        assert_eq!(f.skipped, [("zed".to_string(), "status failed: its data was not read".to_string())]);
    }

    #[test]
    fn ndjson_and_json_read_back_losslessly() {
        let nd = "{\"account\":\"a\",\"status\":\"found\",\"attrs\":{\"city\":\"\\u001b[2J\"},\"tags\":[\"t\"]}\n\
                  {\"account\":\"b\",\"status\":\"found\",\"tags\":[]}\n\
                  {\"account\":\"a\",\"status\":\"found\"}\n";
        let f = parse(nd, Format::Ndjson).unwrap();
        assert_eq!(f.rows[0].attrs.as_ref().unwrap().values["city"], "\u{1b}[2J");
        assert!(f.rows[0].attrs.as_ref().unwrap().covers("anything"));
        assert!(f.rows[1].attrs.is_none(), "a tags export says nothing of attributes");
        assert_eq!(f.repeats, ["a"], "the repeat of a");
        let js = format!("[{}]", nd.lines().take(2).collect::<Vec<_>>().join(","));
        assert_eq!(parse(&js, Format::Json).unwrap().rows, f.rows);
        assert!(parse("{\"x\":1}", Format::Ndjson).is_err());
    }
}
