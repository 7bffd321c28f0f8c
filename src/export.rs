//! Result writers shared by the headless commands and the TUI: CSV, JSON, NDJSON and a plain
//! table for terminals. They write straight from records, one at a time (memory stays flat).
//! JSON/NDJSON keep every string losslessly; CSV neutralizes spreadsheet formulas; the table
//! escapes control characters.

use std::io::{self, Write};
use std::str::FromStr;

use crate::engine::Record;
use crate::text::{escape, pad};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

/// An output format timx does not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; expected table, csv, json or ndjson")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

impl Format {
    /// Guess from a file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }
}

/// Which columns a tabular format has.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Attribute names in slot order (one column each).
    pub attr_names: Vec<String>,
    pub attrs: bool,
    pub tags: bool,
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection);
/// so does one that starts with an apostrophe, so reading the file back (`state_file`) can
/// take exactly one off and get the value.
pub fn neutralize_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_mark(cell) { format!("'{cell}").into() } else { cell.into() }
}

/// The inverse of `neutralize_formula`: a leading `'` that protected a formula (or a `'`).
pub fn unneutralize(cell: &str) -> &str {
    cell.strip_prefix('\'').filter(|rest| needs_mark(rest)).unwrap_or(cell)
}

/// Starts a formula in a spreadsheet (OWASP CSV injection), or marks a neutralized cell.
fn needs_mark(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\''))
}

/// The columns of timx's CSV files that are not an attribute: an account export's (`account`,
/// `other_attrs`, `tags`, `status`, `error_code`, `error`) and a write plan's (`changes`). The one
/// list both the writers and the names' warnings (`timx attr-names set`, `:attr-name`) use.
pub const RESERVED_COLUMNS: [&str; 7] = ["account", "other_attrs", "tags", "status", "error_code", "error", "changes"];

/// What marks a CSV column as an attribute whatever its name: see `attr_column`.
pub const ATTR_COLUMN_PREFIX: &str = "attr:";

/// The CSV column of attribute `name`. An attribute is its own column, except one named like
/// a column of timx's files (`RESERVED_COLUMNS`: an attribute called `status` or `tags`) or one
/// whose name starts with `attr:`: that one is `attr:NAME` (`attr:status`, `attr:attr:x`), so
/// no header is ever written twice and `column_attr` reads every column back as what it was.
pub fn attr_column(name: &str) -> std::borrow::Cow<'_, str> {
    if RESERVED_COLUMNS.contains(&name) || name.starts_with(ATTR_COLUMN_PREFIX) {
        format!("{ATTR_COLUMN_PREFIX}{name}").into()
    } else {
        name.into()
    }
}

/// The inverse of `attr_column`: the attribute a CSV column holds, or `None` for one of
/// `RESERVED_COLUMNS`. `attr:NAME` is always attribute NAME (one `attr:` taken off).
pub fn column_attr(header: &str) -> Option<&str> {
    match header.strip_prefix(ATTR_COLUMN_PREFIX) {
        Some(name) => Some(name),
        None => (!RESERVED_COLUMNS.contains(&header)).then_some(header),
    }
}

/// What to tell someone naming an attribute `name` when CSV exports write it under another
/// column name (`attr_column`); `None` when its column is its name.
pub fn column_note(name: &str) -> Option<String> {
    let column = attr_column(name);
    (column != name).then(|| {
        format!(
            "{name:?} is also the name of a column of timx's CSV files: CSV exports write the attribute as column \
             {column:?}, which apply reads back as {name:?}"
        )
    })
}

/// The tags of one CSV cell: joined with `;`, each one a cell of its own where `;` is the
/// spreadsheet's list separator, so each is neutralized on its own (a leading `'`, also before
/// a tag that starts with `'`), and `%` and `;` inside a tag are written `%25` and `%3B`, and a
/// space, tab, CR or LF at either end of a tag `%20`, `%09`, `%0D`, `%0A` (`split_tags` trims
/// those around the separators), so `split_tags` gives back exactly the tags.
pub fn join_tags(tags: &[String]) -> String {
    let mut out = String::new();
    for (i, t) in tags.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let encoded = encode_tag(t);
        if needs_mark(&encoded) {
            out.push('\'');
        }
        out.push_str(&encoded);
    }
    out
}

/// Whitespace `split_tags` trims around a tag (`vip ; new`), so `join_tags` encodes it at a
/// tag's ends.
fn is_edge_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `%`, `;` and whitespace at either end of a tag, percent-encoded (see `join_tags`).
fn encode_tag(tag: &str) -> String {
    let (first, last) = (tag.find(|c| !is_edge_space(c)), tag.rfind(|c| !is_edge_space(c)));
    let mut out = String::with_capacity(tag.len());
    for (i, c) in tag.char_indices() {
        let at_edge = first.is_none_or(|f| i < f) || last.is_some_and(|l| i > l);
        match c {
            '%' => out.push_str("%25"),
            ';' => out.push_str("%3B"),
            c if at_edge && is_edge_space(c) => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of `encode_tag`, in one pass: `%25`, `%3B`, `%20`, `%09`, `%0D`, `%0A` (either
/// case); any other `%` is itself.
fn decode_tag(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_uppercase);
        let decoded = match code.as_deref() {
            Some("25") => Some('%'),
            Some("3B") => Some(';'),
            Some("20") => Some(' '),
            Some("09") => Some('\t'),
            Some("0D") => Some('\r'),
            Some("0A") => Some('\n'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The inverse of `join_tags`; spaces around a `;` (`vip ; new`, as a person types them) are
/// not part of a tag. A cell of only spaces has no tags.
pub fn split_tags(cell: &str) -> Vec<String> {
    if cell.trim_matches(is_edge_space).is_empty() {
        return vec![];
    }
    cell.split(';').map(|t| decode_tag(unneutralize(t.trim_matches(is_edge_space)))).collect()
}

pub trait RecordWriter<R = Record> {
    fn write(&mut self, r: &R) -> io::Result<()>;
    /// Push what was written so far to the file, so a killed process leaves a valid prefix
    /// (NDJSON, CSV, a table; a JSON array is closed only by `finish`).
    fn flush(&mut self) -> io::Result<()>;
    /// Close the document (JSON's closing bracket) and flush.
    fn finish(&mut self) -> io::Result<()>;
}

pub fn writer<'a, W: Write + 'a>(format: Format, columns: Columns, out: W) -> io::Result<Box<dyn RecordWriter + 'a>> {
    Ok(match format {
        Format::Ndjson => Box::new(Ndjson { out }),
        Format::Json => Box::new(Json { out, first: true }),
        Format::Csv => Box::new(Csv::new(columns, out)?),
        Format::Table => Box::new(Table::new(columns, out)?),
    })
}

/// How a kind of row is written as CSV and as a table (NDJSON and JSON serialize it as it is).
pub(crate) struct RowShape<R> {
    pub csv_header: &'static [&'static str],
    /// The cells of a row, as they are (the writer quotes and neutralizes them).
    pub csv_cells: fn(&R) -> Vec<String>,
    pub table_header: fn() -> String,
    /// A row's line, escaped (the writer trims its end).
    pub table_line: fn(&R) -> String,
}

/// A streaming writer of rows of one shape in any format (a header first; a JSON array closed
/// by `finish`).
pub(crate) fn shaped_writer<'a, R: serde::Serialize + 'a, W: Write + 'a>(
    format: Format,
    out: W,
    shape: RowShape<R>,
) -> io::Result<Box<dyn RecordWriter<R> + 'a>> {
    Ok(match format {
        Format::Ndjson => Box::new(Ndjson { out }),
        Format::Json => Box::new(Json { out, first: true }),
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(out);
            w.write_record(shape.csv_header)?;
            Box::new(ShapedCsv { out: w, cells: shape.csv_cells })
        }
        Format::Table => {
            let mut out = out;
            writeln!(out, "{}", (shape.table_header)())?;
            Box::new(ShapedTable { out, line: shape.table_line })
        }
    })
}

struct ShapedCsv<W: Write, R> {
    out: csv::Writer<W>,
    cells: fn(&R) -> Vec<String>,
}

impl<W: Write, R> RecordWriter<R> for ShapedCsv<W, R> {
    fn write(&mut self, r: &R) -> io::Result<()> {
        let cells: Vec<String> = (self.cells)(r).iter().map(|c| neutralize_formula(c).into_owned()).collect();
        Ok(self.out.write_record(&cells)?)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct ShapedTable<W, R> {
    out: W,
    line: fn(&R) -> String,
}

impl<W: Write, R> RecordWriter<R> for ShapedTable<W, R> {
    fn write(&mut self, r: &R) -> io::Result<()> {
        writeln!(self.out, "{}", (self.line)(r).trim_end())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One JSON object a line, for any row type.
struct Ndjson<W> {
    out: W,
}

impl<W: Write, R: serde::Serialize> RecordWriter<R> for Ndjson<W> {
    fn write(&mut self, r: &R) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, r)?;
        self.out.write_all(b"\n")
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A JSON array written element by element, for any row type.
struct Json<W> {
    out: W,
    first: bool,
}

impl<W: Write, R: serde::Serialize> RecordWriter<R> for Json<W> {
    fn write(&mut self, r: &R) -> io::Result<()> {
        self.out.write_all(if self.first { b"[\n  " } else { b",\n  " })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, r)?;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// The error text for a record: the invalid reason, or the code's meaning and fix.
pub fn error_text(r: &Record) -> String {
    match (&r.reason, &r.error) {
        (Some(reason), _) => reason.clone(),
        (None, Some(e)) => format!("{} {}", e.meaning, e.fix),
        (None, None) => String::new(),
    }
}

/// Attributes in slot order (the column order), then any others by name.
pub fn ordered_attrs<'a>(
    attrs: &'a std::collections::BTreeMap<String, String>,
    slot_order: &'a [String],
) -> impl Iterator<Item = (&'a String, &'a String)> + 'a {
    let known = slot_order.iter().filter_map(|n| attrs.get_key_value(n));
    let others = attrs.iter().filter(|(k, _)| !slot_order.contains(k));
    known.chain(others)
}

fn other_attrs(r: &Record, known: &[String]) -> String {
    r.attrs
        .iter()
        .flatten()
        .filter(|(k, _)| !known.contains(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

struct Csv<W: Write> {
    columns: Columns,
    out: csv::Writer<W>,
}

impl<W: Write> Csv<W> {
    fn new(columns: Columns, out: W) -> io::Result<Self> {
        // Every cell quoted: a spreadsheet whose list separator is `;` then splits no cell.
        let mut out = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(out);
        let mut header = vec!["account".to_string()];
        if columns.attrs {
            header.extend(columns.attr_names.iter().map(|n| attr_column(n).into_owned()));
            header.push("other_attrs".into());
        }
        if columns.tags {
            header.push("tags".into());
        }
        header.extend(["status".into(), "error_code".into(), "error".into()]);
        let header: Vec<String> = header.iter().map(|h| neutralize_formula(h).into_owned()).collect();
        out.write_record(&header)?;
        Ok(Csv { columns, out })
    }
}

impl<W: Write> RecordWriter for Csv<W> {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        let cell = |c: &str| neutralize_formula(c).into_owned();
        let mut row: Vec<String> = vec![cell(&r.account)];
        if self.columns.attrs {
            for name in &self.columns.attr_names {
                row.push(cell(r.attrs.as_ref().and_then(|a| a.get(name)).map(String::as_str).unwrap_or_default()));
            }
            row.push(cell(&other_attrs(r, &self.columns.attr_names)));
        }
        if self.columns.tags {
            // Neutralized tag by tag already.
            row.push(r.tags.as_ref().map(|t| join_tags(t)).unwrap_or_default());
        }
        row.push(r.status.label().into());
        row.push(cell(&r.error.as_ref().map(|e| e.label.clone()).unwrap_or_default()));
        row.push(cell(&error_text(r)));
        self.out.write_record(&row)?;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A readable table for a terminal: escaped, one line per account.
struct Table<W> {
    columns: Columns,
    out: W,
}

const ACCOUNT_WIDTH: usize = 20;

impl<W: Write> Table<W> {
    fn new(columns: Columns, mut out: W) -> io::Result<Self> {
        let mut h = format!("{}  {:<9}", pad("ACCOUNT", ACCOUNT_WIDTH), "STATUS");
        if columns.attrs {
            h += "  ATTRIBUTES";
        }
        if columns.tags {
            h += "  TAGS";
        }
        writeln!(out, "{}", h.trim_end())?;
        Ok(Table { columns, out })
    }
}

impl<W: Write> RecordWriter for Table<W> {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        let mut line = format!("{}  {:<9}", pad(&escape(&r.account), ACCOUNT_WIDTH), r.status.label());
        if self.columns.attrs
            && let Some(a) = &r.attrs
        {
            let attrs: Vec<String> = ordered_attrs(a, &self.columns.attr_names)
                .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
                .collect();
            line += &format!("  {}", attrs.join(", "));
        }
        if self.columns.tags
            && let Some(t) = &r.tags
        {
            let tags: Vec<String> = t.iter().map(|t| escape(t).into_owned()).collect();
            line += &format!("  [{}]", tags.join(", "));
        }
        if r.error.is_some() || r.reason.is_some() {
            let code = r.error.as_ref().map(|e| format!("{}: ", e.label)).unwrap_or_default();
            line += &format!("  {code}{}", escape(&error_text(r)));
        }
        writeln!(self.out, "{}", line.trim_end())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Test helpers, also for the modules that read exports back.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::Status;

    /// A found account with these attributes and tags.
    pub(crate) fn rec(account: &str, attrs: &[(&str, &str)], tags: &[&str]) -> Record {
        let mut r = Record::new(0, account, Status::Found);
        r.attrs = Some(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        r.tags = Some(tags.iter().map(|t| t.to_string()).collect());
        r
    }

    /// `records` exported in `format` with attribute columns `names` and a tags column.
    pub(crate) fn render_with(format: Format, names: &[&str], records: &[Record]) -> String {
        let mut buf = Vec::new();
        {
            let cols = Columns { attr_names: names.iter().map(|n| n.to_string()).collect(), attrs: true, tags: true };
            let mut w = writer(format, cols, &mut buf).unwrap();
            for r in records {
                w.write(r).unwrap();
            }
            w.finish().unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    fn render(format: Format, records: &[Record]) -> String {
        render_with(format, &["sex", "city"], records)
    }

    #[test]
    fn csv_has_a_column_per_attribute_and_neutralizes_formulas() {
        let out =
            render(Format::Csv, &[rec("=cmd|' /C calc'!A0", &[("city", "+1 深圳")], &["@x", "b", "=HYPERLINK(1)"])]);
        let mut lines = out.lines();
        assert_eq!(
            lines.next().unwrap(),
            r#""account","sex","city","other_attrs","tags","status","error_code","error""#
        );
        assert_eq!(
            lines.next().unwrap(),
            r#""'=cmd|' /C calc'!A0","","'+1 深圳","","'@x;b;'=HYPERLINK(1)","found","","""#
        );
    }

    #[test]
    fn tags_in_a_cell_round_trip_and_no_element_can_start_a_formula() {
        let tags: Vec<String> =
            ["vip", "a;b", "100%", "=1+1", "'quoted", "-x", "%3B", "''"].iter().map(|s| s.to_string()).collect();
        let cell = join_tags(&tags);
        assert_eq!(split_tags(&cell), tags);
        for element in cell.split(';') {
            assert!(!matches!(element.chars().next(), Some('=' | '+' | '-' | '@')), "{element} in {cell}");
        }
        assert!(split_tags("").is_empty());
    }

    #[test]
    fn tags_are_trimmed_around_the_separator_and_edge_spaces_of_a_tag_survive() {
        assert_eq!(split_tags("vip ; new"), ["vip", "new"]);
        assert_eq!(split_tags(" vip;\tnew york \n"), ["vip", "new york"]);
        assert_eq!(split_tags("a%3Bb ; %3b"), ["a;b", ";"], "an escaped ; still works, trimmed or not");
        assert_eq!(split_tags(" ' =x ; c"), ["' =x", "c"]);
        assert!(split_tags("  ").is_empty());
        assert_eq!(split_tags("50%off;%41;100%"), ["50%off", "%41", "100%"], "a % that is no code is itself");
        let tags: Vec<String> =
            [" lead", "trail ", " ", "\tx\n", "in side", "% 20", "%20", "'\t"].iter().map(|s| s.to_string()).collect();
        let cell = join_tags(&tags);
        assert_eq!(split_tags(&cell), tags, "{cell}");
        assert!(!cell.contains(" ;") && !cell.contains("; ") && !cell.starts_with(' '), "{cell}");
    }

    #[test]
    fn an_attribute_named_like_a_column_gets_an_attr_column_that_reads_back_as_it() {
        for name in RESERVED_COLUMNS {
            let column = attr_column(name);
            assert_eq!(column, format!("attr:{name}"));
            assert_eq!(column_attr(&column), Some(name));
            assert_eq!(column_attr(name), None, "{name} is the export's own column");
            assert!(column_note(name).unwrap().contains(&format!("\"attr:{name}\"")));
        }
        assert_eq!(attr_column("attr:x"), "attr:attr:x");
        assert_eq!(column_attr("attr:attr:x"), Some("attr:x"));
        assert_eq!((attr_column("city"), column_attr("city")), ("city".into(), Some("city")));
        assert_eq!((attr_column("Status"), column_note("city")), ("Status".into(), None), "names are exact");
        let out = render_with(Format::Csv, &["status", "tags", "city"], &[rec("a", &[("status", "failed")], &[])]);
        assert_eq!(
            out.lines().next().unwrap(),
            r#""account","attr:status","attr:tags","city","other_attrs","tags","status","error_code","error""#
        );
    }

    #[test]
    fn json_and_ndjson_keep_hostile_strings_losslessly() {
        let r = rec("a", &[("city", "\u{1b}]0;pwn\u{7}")], &["\u{202E}x"]);
        let nd = render(Format::Ndjson, std::slice::from_ref(&r));
        let back: serde_json::Value = serde_json::from_str(nd.trim()).unwrap();
        assert_eq!(back["attrs"]["city"], "\u{1b}]0;pwn\u{7}");
        assert!(!nd.contains('\u{1b}'), "JSON escapes the control character itself");
        let js = render(Format::Json, &[r.clone(), r]);
        let back: serde_json::Value = serde_json::from_str(&js).unwrap();
        assert_eq!(back.as_array().unwrap().len(), 2);
        assert_eq!(render(Format::Json, &[]), "[]\n");
    }

    #[test]
    fn table_escapes_control_characters() {
        let out = render(Format::Table, &[rec("a", &[("city", "\u{1b}[2J")], &[])]);
        assert!(out.contains("city=\\e[2J"), "{out}");
        assert!(!out.contains('\u{1b}'));
    }
}
