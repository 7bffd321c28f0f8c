//! timx's own exports read back as account states: CSV, NDJSON or JSON, as `inspect`, `attrs`
//! and `tags` write them (and as a spreadsheet saves them after an edit). What a file says is
//! exactly what it holds: an attribute column present in a CSV (or the `attrs` object in JSON)
//! is the whole set of those attributes (an empty cell or a missing name: no value); a `tags`
//! column or array is the whole tag set; what a file does not have stays unknown. Export-only
//! columns (`status`, `error_code`, `error`, `other_attrs`) are ignored; a file with `changes`
//! is a write's plan or outcomes, refused with a pointer to `--from-plan`. Rows
//! whose status says the data was not read (`failed`, `invalid`, `cancelled`) are set aside
//! with a note. A CSV column `attr:NAME` is attribute NAME (how an export writes an attribute
//! named like one of those columns: `export::attr_column`).
//!
//! Refused, with the file's line: a column twice in a CSV header, a key twice in a JSON row (or
//! in its `attrs`), text that is not UTF-8. A tag twice in one row's set is counted once, with a
//! note.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::export::{Format, column_attr, split_tags, unneutralize};
use crate::intake::Intake;
use crate::text::escape;

/// Statuses whose rows carry no data that was read.
const NOT_READ: [&str; 3] = ["failed", "invalid", "cancelled"];
/// How much of a file's line an error shows.
const EXCERPT_CHARS: usize = 200;

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
    /// What was read other than as written (a tag twice in a set), escaped for a terminal.
    pub notes: Vec<String>,
    seen: std::collections::HashSet<String>,
}

/// Why a file whose rows carry `changes` is not read as a desired state.
const WRITES_FILE: &str = "this is a write's plan or outcomes, not a desired state (it would change nothing): apply a \
                           saved plan with timx apply --from-plan PLAN.ndjson (saved with --plan -o PLAN.ndjson), \
                           finish an interrupted write with its command and --resume -o FILE";

/// One row of a state file as `parse_each` hands it over.
#[derive(Debug)]
pub struct Row<'a> {
    pub state: AccountState,
    /// Its `status` cell or key, if it has one.
    pub status: Option<&'a str>,
    /// What was read other than as written, escaped for a terminal: a tag given twice.
    pub note: Option<String>,
}

/// Why a row with this status is set aside, if it is.
pub fn not_read(status: Option<&str>) -> Option<String> {
    status.filter(|s| NOT_READ.contains(s)).map(|s| format!("status {s}: its data was not read"))
}

impl StateFile {
    fn push(&mut self, row: Row<'_>) {
        let Row { state, status, note } = row;
        if let Some(why) = not_read(status) {
            self.skipped.push((state.account, why));
            return;
        }
        self.notes.extend(note);
        if !self.seen.insert(state.account.clone()) {
            self.repeats.push(state.account);
        } else {
            self.rows.push(state);
        }
    }
}

/// Read a state file; the format from `format`, else from the extension.
pub fn read(path: &Path, format: Option<Format>) -> anyhow::Result<StateFile> {
    let format = format_of(path, format)?;
    let mut out = StateFile::default();
    read_each(path, format, &mut |row| out.push(row))?;
    Ok(out)
}

/// Each row of the state file at `path` (a regular file) handed to `sink` as it streams (see
/// `stream_each`); returns the short hash of its bytes. A refusal of the bytes themselves
/// (not UTF-8, over the cap) is said as it is.
pub fn read_each(path: &Path, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<String> {
    let file = crate::paths::open_regular(path)?;
    stream_from(file, &path.display().to_string(), format, sink)
}

/// `read_each` of any stream (standard input), named `what` in messages: capped at 1 GiB,
/// checked as UTF-8, lines of at most 1 MiB in the line-based formats (a row is far shorter),
/// hashed as it is read.
pub fn stream_from(inner: impl Read, what: &str, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<String> {
    let intake = Intake::new(inner, what, crate::paths::INPUT_CAP);
    let mut intake = if format == Format::Json { intake } else { intake.line_cap(1 << 20) };
    let mut src = std::io::BufReader::with_capacity(1 << 16, &mut intake);
    let read = stream_whole(&mut src, format, sink).with_context(|| format!("{what} is not a timx export"));
    drop(src);
    // A refusal of the bytes themselves is said as it is (the parser saw only an I/O error).
    if let Some(crate::intake::Refused(why)) = intake.refused() {
        bail!("{why}");
    }
    read.map(|()| intake.hash())
}

/// `bytes` as text; invalid UTF-8 is refused, naming the line (and byte offset) of the first
/// bad byte, whether `what` is a file or standard input (`-f -`).
pub fn text_of(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count();
        anyhow!("{} is not UTF-8 at line {line} (byte offset {at}): save it as UTF-8", escape(what))
    })
}

pub fn parse(text: &str, format: Format) -> anyhow::Result<StateFile> {
    let mut out = StateFile::default();
    parse_each(text, format, &mut |row| out.push(row))?;
    Ok(out)
}

/// What receives each row.
pub type Sink<'a> = dyn FnMut(Row<'_>) + 'a;

/// Each row of a state file's text in file order, handed to `sink` one at a time.
pub fn parse_each(text: &str, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    stream_each(&mut text.as_bytes(), format, sink)
}

/// `stream_each`, then the rest of `src` read (trailing blanks), so all of it is hashed.
fn stream_whole(src: &mut dyn BufRead, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    stream_each(src, format, sink)?;
    std::io::copy(src, &mut std::io::sink())?;
    Ok(())
}

/// Each row of a state file in file order, handed to `sink` as it is read: neither the file
/// nor its rows are ever held whole. A leading byte-order mark (as spreadsheets save "CSV
/// UTF-8") is not part of the text.
pub fn stream_each(src: &mut dyn BufRead, format: Format, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    if src.fill_buf()?.starts_with("\u{FEFF}".as_bytes()) {
        src.consume(3);
    }
    match format {
        Format::Csv => parse_csv(src, sink),
        Format::Json => parse_json(src, sink),
        Format::Ndjson => {
            let mut line = Vec::new();
            let mut n = 0;
            loop {
                line.clear();
                if src.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                let l = std::str::from_utf8(&line).map_err(|_| anyhow!("line {}: not UTF-8", n + 1))?;
                let l = l.strip_suffix('\n').map_or(l, |l| l.strip_suffix('\r').unwrap_or(l));
                if !l.trim().is_empty() {
                    parse_records(std::iter::once(decode_line(&(n, l))), sink)?;
                }
                n += 1;
            }
        }
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

/// Where a row is in its file, for messages.
#[derive(Debug, Clone, Copy)]
enum Where {
    Line(usize),
    /// The n-th element of a JSON array.
    Row(usize),
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Where::Line(n) => write!(f, "line {n}"),
            Where::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// At most `EXCERPT_CHARS` characters of `line` around byte `column` (0: its start), escaped.
fn excerpt(line: &str, column: usize) -> String {
    let chars = line.chars().count();
    if chars <= EXCERPT_CHARS {
        return escape(line).into_owned();
    }
    let at = line.char_indices().take_while(|(i, _)| *i < column).count();
    let start = at.saturating_sub(EXCERPT_CHARS / 2).min(chars - EXCERPT_CHARS);
    let cut: String = line.chars().skip(start).take(EXCERPT_CHARS).collect();
    let (head, tail) = (if start > 0 { "…" } else { "" }, if start + EXCERPT_CHARS < chars { "…" } else { "" });
    format!("{head}{}{tail}", escape(&cut))
}

/// A refusal naming the line of `text` (1-based) and showing it.
fn at_line(text: &str, line: usize, column: usize, why: &str) -> anyhow::Error {
    let shown = text.lines().nth(line.saturating_sub(1)).map(|l| excerpt(l, column)).unwrap_or_default();
    anyhow!("line {line}: {why}: {shown}")
}

/// A JSON parse error of `text`, which starts at the file's line `first + 1`.
fn json_error(text: &str, e: serde_json::Error, first: usize) -> anyhow::Error {
    let line = text.lines().nth(e.line().max(1) - 1).unwrap_or_default().to_owned();
    json_error_at(&line, e, first)
}

/// A JSON parse error, shown with `line`, the text of the line it is on.
fn json_error_at(line: &str, e: serde_json::Error, first: usize) -> anyhow::Error {
    let column = e.column();
    // serde_json ends its message with the position, which is said here as the file's line.
    let msg = e.to_string();
    let msg = msg.strip_suffix(&format!(" at line {} column {column}", e.line())).unwrap_or(&msg);
    let shown = excerpt(line, column.saturating_sub(1));
    anyhow!("line {}: {}: {shown}", first + e.line().max(1), escape(msg))
}

/// What a CSV header cell is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Account,
    Tags,
    Status,
    /// Written by an export, not the account's data.
    Ignored,
    Attr(String),
}

/// The columns of a CSV header, refusing a column given twice or one that names nothing.
fn columns(header: &csv::StringRecord, text: &str) -> anyhow::Result<Vec<Column>> {
    let line = header.position().map_or(1, |p| p.line() as usize);
    let mut out: Vec<(String, Column)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let h = unneutralize(h);
        let col = match column_attr(h) {
            Some("") => {
                return Err(at_line(text, line, 0, &format!("column {} has no attribute name", i + 1)));
            }
            Some(name) => Column::Attr(name.to_owned()),
            None if h == "account" => Column::Account,
            None if h == "tags" => Column::Tags,
            None if h == "status" => Column::Status,
            None => Column::Ignored,
        };
        if let Some((first, _)) = out.iter().find(|(first, c)| *c == col && (col != Column::Ignored || first == h)) {
            let why = if first == h {
                format!("column \"{}\" appears twice in the header", escape(h))
            } else {
                format!("columns \"{}\" and \"{}\" are the same attribute", escape(first), escape(h))
            };
            return Err(at_line(text, line, 0, &why));
        }
        out.push((h.to_owned(), col));
    }
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

fn parse_csv(src: &mut dyn BufRead, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    // The header line is kept to be shown when a column is refused.
    let mut first = Vec::new();
    src.read_until(b'\n', &mut first)?;
    let header = String::from_utf8_lossy(&first).trim_end_matches(['\n', '\r']).to_owned();
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::Cursor::new(first).chain(src));
    let headers = rdr.headers().context("no header row")?;
    if headers.iter().any(|h| unneutralize(h) == "changes") {
        bail!("line 1: the header has \"changes\": {WRITES_FILE}");
    }
    let columns = columns(headers, &header)?;
    let col = |c: &Column| columns.iter().position(|x| x == c);
    let account = col(&Column::Account).context("no `account` column")?;
    let (tags, status) = (col(&Column::Tags), col(&Column::Status));
    let attr_cols: Vec<(usize, &String)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Column::Attr(name) => Some((i, name)),
            _ => None,
        })
        .collect();
    let names: Vec<String> = attr_cols.iter().map(|(_, n)| (*n).clone()).collect();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("row {}", n + 2))?;
        let line = rec.position().map_or(n + 2, |p| p.line() as usize);
        let cell = |i: usize| unneutralize(rec.get(i).unwrap_or_default());
        let attrs = (!attr_cols.is_empty()).then(|| AttrSet {
            values: attr_cols
                .iter()
                .filter(|(i, _)| !cell(*i).is_empty())
                .map(|(i, name)| ((*name).clone(), cell(*i).to_owned()))
                .collect(),
            names: Some(names.clone()),
        });
        let state = AccountState { account: cell(account).to_owned(), attrs, tags: None };
        let tags = tags.map(|i| split_tags(rec.get(i).unwrap_or_default()));
        sink(with_tags(state, tags, Where::Line(line), status.map(|i| rec.get(i).unwrap_or_default())));
    }
    Ok(())
}

/// A row with its tag set, each tag once: a tag given twice is counted once, with a note.
fn with_tags<'a>(mut state: AccountState, tags: Option<Vec<String>>, at: Where, status: Option<&'a str>) -> Row<'a> {
    let mut note = None;
    state.tags = tags.map(|tags| {
        let (once, twice) = once_each(tags);
        if !twice.is_empty() {
            let shown: Vec<String> = twice.iter().map(|t| format!("\"{}\"", escape(t))).collect();
            note = Some(format!(
                "{at}: {}: tag {} given more than once: counted once",
                escape(&state.account),
                shown.join(", ")
            ));
        }
        once
    });
    Row { state, status, note }
}

/// The tags in order, each once; and the ones given more than once.
fn once_each(tags: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut seen = std::collections::HashSet::with_capacity(tags.len());
    let first: Vec<bool> = tags.iter().map(|t| seen.insert(t.as_str())).collect();
    if first.iter().all(|f| *f) {
        return (tags, Vec::new());
    }
    let (mut once, mut twice) = (Vec::with_capacity(tags.len()), Vec::new());
    for (t, first) in tags.into_iter().zip(first) {
        if first {
            once.push(t);
        } else if !twice.contains(&t) {
            twice.push(t);
        }
    }
    (once, twice)
}

/// One JSON row as timx exports it. Keys it does not know are ignored.
#[derive(Debug, Default)]
struct RowIn {
    /// The row has `changes`: it is a write's, not a state.
    changes: bool,
    account: Option<String>,
    status: Option<String>,
    attrs: Option<BTreeMap<String, String>>,
    tags: Option<Vec<String>>,
}

/// A JSON object read key by key (through `NoRepeats`, which refuses a key given twice, where a
/// plain map would keep the last one).
trait Entries: Default {
    /// What the object is, for "expected …" and "appears twice in …".
    const WHAT: &'static str;
    fn entry<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

impl Entries for RowIn {
    const WHAT: &'static str = "the row";
    fn entry<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "account" => self.account = map.next_value()?,
            "status" => self.status = map.next_value()?,
            "changes" => {
                self.changes = true;
                map.next_value::<de::IgnoredAny>()?;
            }
            "attrs" => self.attrs = map.next_value::<Option<NoRepeats<Attrs>>>()?.map(|m| m.0.0),
            "tags" => self.tags = map.next_value()?,
            _ => {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A row's `attrs` object.
#[derive(Default)]
struct Attrs(BTreeMap<String, String>);

impl Entries for Attrs {
    const WHAT: &'static str = "\"attrs\"";
    fn entry<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        self.0.insert(key.to_owned(), map.next_value()?);
        Ok(())
    }
}

/// An object's key: borrowed from the text when it has no escapes.
#[derive(PartialEq)]
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// An object of `Entries`, refused when a key is given twice.
struct NoRepeats<T>(T);

impl<'de, T: Entries> Deserialize<'de> for NoRepeats<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(NoRepeatsVisitor(std::marker::PhantomData))
    }
}

struct NoRepeatsVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Entries> Visitor<'de> for NoRepeatsVisitor<T> {
    type Value = NoRepeats<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object ({})", T::WHAT)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoRepeats<T>, A::Error> {
        let mut out = T::default();
        // A row has a few keys, and `attrs` at most one per slot. Keys are borrowed from the
        // text where they can be (most are): a large file decodes with far fewer allocations.
        let mut seen: Vec<Key<'de>> = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("key \"{}\" appears twice in {}", escape(&key.0), T::WHAT)));
            }
            out.entry(&key.0, &mut map)?;
            seen.push(key);
        }
        Ok(NoRepeats(out))
    }
}

/// A JSON array of rows, each handed over as it is read.
fn parse_json(src: &mut dyn BufRead, sink: &mut Sink<'_>) -> anyhow::Result<()> {
    let mut lines = Lines { inner: src, line: 1, cur: Vec::new(), prev: Vec::new() };
    let mut stopped = None;
    let read = {
        let mut de = serde_json::Deserializer::from_reader(&mut lines);
        de.deserialize_seq(Each { sink, stopped: &mut stopped }).and_then(|()| de.end())
    };
    if let Some(e) = stopped {
        return Err(e);
    }
    read.map_err(|e| {
        let line = lines.text(e.line());
        json_error_at(&line, e, 0)
    })
    .context("not a JSON array of timx rows")
}

/// Hands each element of a JSON array to the sink; a row the sink refuses stops the read.
struct Each<'s, 'k> {
    sink: &'s mut Sink<'k>,
    stopped: &'s mut Option<anyhow::Error>,
}

impl<'de> Visitor<'de> for Each<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of timx rows")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(row) = seq.next_element::<NoRepeats<RowIn>>()? {
            n += 1;
            if let Err(e) = parse_records(std::iter::once(Ok((Where::Row(n), row.0))), self.sink) {
                *self.stopped = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// The reader under a streamed JSON array: keeps the line being read and the one before it
/// (each up to 64 KiB), so an error shows its line as a whole-file read did.
struct Lines<'a> {
    inner: &'a mut dyn BufRead,
    /// The line being read, 1-based.
    line: usize,
    cur: Vec<u8>,
    prev: Vec<u8>,
}

const KEPT_LINE: usize = 64 << 10;

impl Lines<'_> {
    fn keep(&mut self, chunk: &[u8]) {
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let (text, ends) = match part.strip_suffix(b"\n") {
                Some(t) => (t, true),
                None => (part, false),
            };
            let room = KEPT_LINE.saturating_sub(self.cur.len());
            self.cur.extend_from_slice(&text[..text.len().min(room)]);
            if ends {
                self.prev = std::mem::take(&mut self.cur);
                self.line += 1;
            }
        }
    }

    /// The text of line `n`, if it is the one being read (read on to its end) or the one before.
    fn text(&mut self, n: usize) -> String {
        if n + 1 == self.line {
            return String::from_utf8_lossy(&self.prev).into_owned();
        }
        if n != self.line {
            return String::new();
        }
        while self.cur.len() < KEPT_LINE {
            let Ok(buf) = self.inner.fill_buf() else { break };
            if buf.is_empty() {
                break;
            }
            let (take, ends) = buf.iter().position(|b| *b == b'\n').map_or((buf.len(), false), |i| (i, true));
            let room = KEPT_LINE - self.cur.len();
            self.cur.extend_from_slice(&buf[..take.min(room)]);
            self.inner.consume(take);
            if ends {
                break;
            }
        }
        String::from_utf8_lossy(&self.cur).into_owned()
    }
}

impl Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.keep(&buf[..n]);
        Ok(n)
    }
}

type Decoded = anyhow::Result<(Where, RowIn)>;

fn decode_line((n, l): &(usize, &str)) -> Decoded {
    let row: NoRepeats<RowIn> = serde_json::from_str(l).map_err(|e| json_error(l, e, *n))?;
    Ok((Where::Line(n + 1), row.0))
}

fn parse_records(
    rows: impl Iterator<Item = anyhow::Result<(Where, RowIn)>>,
    sink: &mut Sink<'_>,
) -> anyhow::Result<()> {
    for row in rows {
        let (at, row) = row?;
        if row.changes {
            bail!("{at}: the row has \"changes\": {WRITES_FILE}");
        }
        let account = row.account.with_context(|| format!("{at}: no \"account\""))?;
        // An empty value is no value, as an empty CSV cell is.
        let attrs = row.attrs.map(|mut values| {
            values.retain(|_, v| !v.is_empty());
            AttrSet { values, names: None }
        });
        let state = AccountState { account, attrs, tags: None };
        sink(with_tags(state, row.tags, at, row.status.as_deref()));
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

    #[test]
    fn attributes_named_like_export_columns_read_back_as_they_were_exported() {
        use crate::export::tests::{rec, render_with};
        let names = ["status", "tags", "city", "account", "error", "other_attrs", "error_code", "changes", "attr:x"];
        let all: Vec<(&str, &str)> = names.iter().map(|n| (*n, "failed")).collect();
        let mut records = [
            rec("bob", &[("status", "failed"), ("tags", "a;b"), ("city", "x")], &["vip", " new"]),
            rec("amy", &all, &[]),
            rec("cat", &[], &[]),
        ];
        records[2].status = crate::engine::Status::Empty;
        for format in [Format::Csv, Format::Ndjson, Format::Json] {
            let f = parse(&render_with(format, &names, &records), format).unwrap();
            assert!(f.skipped.is_empty() && f.notes.is_empty(), "{format:?}: {:?} {:?}", f.skipped, f.notes);
            assert_eq!(f.rows.len(), 3, "{format:?}: a `status` attribute of `failed` is not the row's status");
            for (row, r) in f.rows.iter().zip(&records) {
                assert_eq!(row.account, r.account);
                assert_eq!(Some(&row.attrs.as_ref().unwrap().values), r.attrs.as_ref(), "{format:?}");
                assert_eq!(row.tags, r.tags, "{format:?}: the tag set is the tags, not the attribute");
                if format == Format::Csv {
                    assert!(names.iter().all(|n| row.attrs.as_ref().unwrap().covers(n)), "every column speaks");
                }
            }
        }
    }

    #[test]
    fn a_column_given_twice_is_refused_with_its_name_and_line() {
        let e = parse("account,status,tags,status\nbob,found,,\n", Format::Csv).unwrap_err().to_string();
        assert_eq!(e, "line 1: column \"status\" appears twice in the header: account,status,tags,status");
        let e = parse("account,city,attr:city\n", Format::Csv).unwrap_err().to_string();
        assert!(e.contains("\"city\" and \"attr:city\" are the same attribute"), "{e}");
        let e = parse("\u{feff}account,city,'=x,=x\n", Format::Csv).unwrap_err().to_string();
        assert!(e.contains("\"=x\" appears twice"), "{e}");
        assert!(parse("account,attr:\n", Format::Csv).unwrap_err().to_string().contains("no attribute name"));
        let long = format!("account,x,{},x\n", "y".repeat(300));
        let e = parse(&long, Format::Csv).unwrap_err().to_string();
        assert!(e.contains("\"x\" appears twice") && e.ends_with('…') && e.len() < 320, "{e}");
        assert!(parse("account,error,error_code\nbob,,\n", Format::Csv).is_ok(), "distinct columns");
        let e = parse("account,status,changes\nbob,planned,\n", Format::Csv).unwrap_err().to_string();
        assert!(e.contains("plan or outcomes") && e.contains("--from-plan"), "a write's file: {e}");
    }

    #[test]
    fn a_json_key_given_twice_in_a_row_or_its_attrs_is_refused_with_its_line() {
        let nd = "{\"account\":\"a\",\"tags\":[]}\n\n{\"account\":\"b\",\"status\":\"found\",\"status\":\"failed\"}\n";
        let e = format!("{:#}", parse(nd, Format::Ndjson).unwrap_err());
        assert_eq!(
            e,
            "line 3: key \"status\" appears twice in the row: {\"account\":\"b\",\"status\":\"found\",\"status\":\"failed\"}"
        );
        let nd = "{\"account\":\"a\",\"attrs\":{\"city\":\"x\",\"city\":\"y\"}}\n";
        let e = format!("{:#}", parse(nd, Format::Ndjson).unwrap_err());
        assert!(e.starts_with("line 1: key \"city\" appears twice in \"attrs\": {"), "{e}");
        let js = "[\n  {\"account\":\"a\"},\n  {\"account\":\"b\",\"tags\":[],\"tags\":[\"x\"]}\n]\n";
        let e = format!("{:#}", parse(js, Format::Json).unwrap_err());
        assert!(e.contains("line 3: key \"tags\" appears twice in the row:   {\"account\":\"b\""), "{e}");
        let e = format!("{:#}", parse("{\"account\":\"a\",\"x\":1,\"x\":2}", Format::Ndjson).unwrap_err());
        assert!(e.contains("key \"x\" appears twice"), "unknown keys too: {e}");
        let e = format!("{:#}", parse("{\"account\":\"\u{1b}[2J\",\"account\":\"b\"}", Format::Ndjson).unwrap_err());
        assert!(!e.contains('\u{1b}') && e.contains("\\e[2J"), "{e}");
        let e = format!("{:#}", parse("{\"account\": 1}", Format::Ndjson).unwrap_err());
        assert!(e.starts_with("line 1: invalid type") && !e.contains("column"), "{e}");
    }

    #[test]
    fn a_tag_given_twice_is_counted_once_with_a_note() {
        let csv = "account,tags\nbob,vip; new ;vip\namy,a;b\n";
        let f = parse(csv, Format::Csv).unwrap();
        assert_eq!(f.rows[0].tags.as_deref(), Some(&["vip".to_string(), "new".into()][..]));
        assert_eq!(f.notes, ["line 2: bob: tag \"vip\" given more than once: counted once"]);
        let f = parse("{\"account\":\"b\",\"tags\":[\"x\",\"y\",\"x\",\"y\",\"x\"]}\n", Format::Ndjson).unwrap();
        assert_eq!(f.rows[0].tags.as_deref(), Some(&["x".to_string(), "y".into()][..]));
        assert_eq!(f.notes, ["line 1: b: tag \"x\", \"y\" given more than once: counted once"]);
        let f = parse("[{\"account\":\"b\",\"tags\":[\"x\",\"x\"]}]", Format::Json).unwrap();
        assert_eq!(f.notes, ["row 1: b: tag \"x\" given more than once: counted once"]);
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_line() {
        let e = text_of(b"account\nbob\nb\xffd\n".to_vec(), "standard input").unwrap_err().to_string();
        assert_eq!(e, "standard input is not UTF-8 at line 3 (byte offset 13): save it as UTF-8");
        assert_eq!(text_of("张\n".as_bytes().to_vec(), "x").unwrap(), "张\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, b"account\n\xe5\xbc\n").unwrap();
        let e = format!("{:#}", read(&path, None).unwrap_err());
        assert_eq!(e, format!("{} is not UTF-8 at line 2 (byte offset 8): save it as UTF-8", path.display()));
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_column() {
        let f = parse("\u{feff}\"account\",\"city\"\n\"bob\",\"x\"\n", Format::Csv).unwrap();
        assert_eq!(f.rows[0].attrs.as_ref().unwrap().values["city"], "x");
        assert_eq!(parse("\u{feff}{\"account\":\"a\"}\n", Format::Ndjson).unwrap().rows.len(), 1);
    }
}
