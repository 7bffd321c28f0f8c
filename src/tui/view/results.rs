//! The results pane: tabs, progress, the table (only visible rows are built), the summary charts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::pane_block;
use crate::engine::{OutcomeStatus, Status};
use crate::text::{escape, width};
use crate::tui::app::{App, Pane};
use crate::tui::results::{AudienceView, Results, SortKey, Tab};
use crate::tui::rows::{Pool, Row as ResultRow};
use crate::write::WriteStatus;

pub fn results(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let tab =
        |n: &str, label: &str, on: bool| Span::styled(format!(" {n} {label} "), if on { t.selection } else { t.dim });
    let title = Line::from(vec![
        Span::raw(" Results "),
        tab("1", "Attributes", app.tab == Tab::Attrs),
        tab("2", "Tags", app.tab == Tab::Tags),
        tab("3", "Summary", app.tab == Tab::Summary),
        Span::raw(" "),
    ]);
    let mut block = pane_block(app, Pane::Results, title);
    let r = &app.results;
    if let Some(read) = app.stale_results() {
        // Rows of another app: no write acts on them until Ctrl-R reads them again.
        block = block.title_bottom(Line::styled(format!(" stale: read on {} ", fit(&read.label(), 40)), t.error));
    }
    if let Some(a) = &r.audience {
        let [yes, no, unknown] = a.counts;
        let mut spans = Vec::new();
        if a.checked().is_all() {
            // A state, not a message: on the border for as long as the condition applies.
            spans.push(Span::styled(" ALL USERS ", t.all_badge));
        }
        spans.push(Span::styled(format!(" ✓ {yes} ✗ {no} ? {unknown} audience {} ", fit(&a.text, 40)), t.warn));
        block = block.title_bottom(Line::from(spans));
    }
    if let Some(line) = super::delivery::border(app) {
        block = block.title_bottom(line);
    }
    if r.marked() > 0 {
        // Writes act on these: the count is always in sight.
        block = block.title_bottom(Line::styled(format!(" ● {} marked ", r.marked()), t.warn));
    }
    if !r.filter.is_empty() {
        block = block.title_bottom(Line::styled(
            format!(" filter \"{}\": {} of {} ", escape(&r.filter), r.view_len(), r.present()),
            t.key,
        ));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(progress_line(app)), top);
    match app.tab {
        Tab::Summary => summary(app, f, body),
        _ => table(app, f, body),
    }
}

fn progress_line(app: &App) -> Line<'static> {
    let t = &app.theme;
    let mut spans = Vec::new();
    if let Some(job) = &app.job {
        let p = &job.progress;
        let frac = if p.total > 0 { p.done as f64 / p.total as f64 } else { 0.0 };
        let cells = 8usize;
        let filled = ((frac * cells as f64).round() as usize).min(cells);
        spans.push(Span::styled("█".repeat(filled), t.ok));
        spans.push(Span::styled("░".repeat(cells - filled), t.dim));
        let elapsed = job.summary.as_ref().map(|s| s.elapsed).unwrap_or(p.elapsed);
        spans.push(Span::raw(format!(
            " {}/{} {:.0}/s {} retries {:.1}s",
            p.done,
            p.total,
            p.rate,
            p.retries,
            elapsed.as_secs_f64()
        )));
        match &job.summary {
            None => {
                if let Some(eta) = p.eta_text() {
                    spans.push(Span::raw(format!(" ETA {eta}")));
                }
                spans.push(Span::styled(" Esc cancels", t.warn));
            }
            Some(s) if s.cancelled => spans.push(Span::styled(" cancelled", t.warn)),
            Some(s) if s.aborted.is_some() => spans.push(Span::styled(" stopped: config error", t.error)),
            Some(_) => spans.push(Span::styled(" done", t.ok)),
        }
    } else {
        spans.push(Span::styled("paste accounts, then Ctrl-R", t.dim));
    }
    Line::from(spans)
}

pub fn status_style(app: &App, s: Status) -> Style {
    let t = &app.theme;
    match s {
        Status::Found => t.ok,
        Status::Empty | Status::Cancelled => t.dim,
        Status::NotFound => t.warn,
        Status::Failed | Status::Invalid => t.error,
    }
}

/// Fit a cell to `w` columns, escaping control characters first.
pub(super) fn fit(s: &str, w: usize) -> String {
    let s = escape(s);
    if width(&s) <= w {
        return s.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

struct Col {
    title: String,
    width: u16,
    key: SortKey,
}

fn columns(app: &App) -> Vec<Col> {
    let mut cols = vec![
        Col { title: "Account".into(), width: 18, key: SortKey::Account },
        Col { title: "Status".into(), width: 9, key: SortKey::Status },
    ];
    if app.trace.is_some() {
        cols.push(Col { title: "Delivery".into(), width: 8, key: SortKey::Delivery });
    }
    if app.results.audience.is_some() {
        cols.push(Col { title: "Aud".into(), width: 5, key: SortKey::Audience });
    }
    match app.tab {
        Tab::Attrs => {
            for name in app.attr_names.columns() {
                let w = (width(&name) as u16).clamp(8, 16);
                cols.push(Col { title: name.clone(), width: w, key: SortKey::Attr(name) });
            }
        }
        _ => cols.push(Col { title: "Tags".into(), width: 200, key: SortKey::Tags }),
    }
    cols
}

/// A cell straight from the compact row (no record is rebuilt to draw a frame).
fn cell_text(r: &ResultRow, pool: &Pool, key: &SortKey) -> String {
    match key {
        SortKey::Account => r.account().to_owned(),
        SortKey::Status => r.status.label().to_owned(),
        // Drawn from the verdicts (`audience_cell`); a row alone does not know it.
        SortKey::Audience | SortKey::Delivery => String::new(),
        SortKey::Attr(name) => r.attr(name, pool).unwrap_or_default().to_owned(),
        SortKey::Tags => match (r.has_tags_part(), r.error(), r.reason()) {
            (true, _, _) => r.tags(pool).collect::<Vec<_>>().join(", "),
            (false, Some(e), _) => format!("{}: {}", e.label, e.meaning),
            (false, None, Some(reason)) => reason.to_owned(),
            _ => String::new(),
        },
    }
}

fn table(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let res: &Results = &app.results;
    let mut cols = columns(app);
    let height = area.height.saturating_sub(1) as usize;
    // Size columns to what the visible rows hold (escaped), within bounds.
    for c in cols.iter_mut().filter(|c| !matches!(c.key, SortKey::Tags | SortKey::Audience | SortKey::Delivery)) {
        let content = res
            .window(height)
            .iter()
            .filter_map(|i| res.row(*i))
            .map(|(r, pool)| width(&escape(&cell_text(r, pool, &c.key))))
            .max()
            .unwrap_or(0);
        let cap = if c.key == SortKey::Account { 32 } else { 28 };
        c.width = (content.max(width(&c.title) + 2) as u16).clamp(c.width.min(8), cap);
    }
    // Scroll horizontally so the cursor's column is visible; Account stays pinned.
    let cur = app.results.column.min(cols.len().saturating_sub(1));
    let mut first = 1usize;
    loop {
        let used: u16 = cols[0].width + 1 + cols[first..=cur.max(first)].iter().map(|c| c.width + 1).sum::<u16>();
        if used <= area.width || first >= cur {
            break;
        }
        first += 1;
    }
    let mut shown: Vec<usize> = vec![0];
    let mut used = cols[0].width + 1;
    for (i, c) in cols.iter().enumerate().skip(first) {
        if used >= area.width {
            break;
        }
        shown.push(i);
        used += c.width + 1;
    }
    let sort = res.sort.as_ref();
    let header = Row::new(shown.iter().map(|&i| {
        let c = &cols[i];
        let arrow = match sort {
            Some((k, desc)) if *k == c.key => {
                if *desc {
                    " ▼"
                } else {
                    " ▲"
                }
            }
            _ => "",
        };
        let style = if i == cur && app.focus == Pane::Results { t.header.patch(t.selection) } else { t.header };
        Cell::from(fit(&format!("{}{arrow}", c.title), c.width as usize)).style(style)
    }));
    let rows = res.window(height).iter().enumerate().filter_map(|(k, idx)| {
        let (r, pool) = res.row(*idx)?;
        let selected = res.offset + k == res.selected;
        let cells = shown.iter().map(|&i| {
            let c = &cols[i];
            if let Some(cell) = beside_row(app, c, *idx) {
                return cell;
            }
            let mut text = cell_text(r, pool, &c.key);
            if c.key == SortKey::Account && res.is_marked(*idx) {
                // A mark is a symbol, so NO_COLOR shows it too.
                text = format!("● {text}");
            }
            let style = if c.key == SortKey::Status { status_style(app, r.status) } else { Style::default() };
            Cell::from(fit(&text, c.width as usize)).style(style)
        });
        let row = Row::new(cells);
        Some(if selected { row.style(t.selection) } else { row })
    });
    let widths: Vec<Constraint> = shown.iter().map(|&i| Constraint::Length(cols[i].width)).collect();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    f.render_widget(table, area);
    if res.view_len() == 0 && res.present() > 0 {
        let msg = Paragraph::new(Line::styled("no row matches the filter (Esc clears it)", t.dim));
        f.render_widget(msg, Rect { y: area.y + 1, height: 1, ..area });
    }
}

/// A cell drawn from what lives beside the rows (the audience's verdicts, the trace, the last
/// write's outcome) rather than from the row itself.
fn beside_row(app: &App, c: &Col, idx: u32) -> Option<Cell<'static>> {
    let (text, style) = match c.key {
        SortKey::Audience => audience_cell(app, app.results.verdict(idx)),
        SortKey::Delivery => super::delivery::cell(app, idx),
        SortKey::Status => {
            let o = app.results.outcome(idx)?;
            return Some(Cell::from(fit(o.status.label(), c.width as usize)).style(write_style(app, o.status)));
        }
        _ => return None,
    };
    Some(Cell::from(text).style(style))
}

/// A row's last write outcome, in the Status column.
pub(super) fn write_style(app: &App, s: WriteStatus) -> Style {
    let t = &app.theme;
    match s {
        WriteStatus::Changed => t.ok.add_modifier(ratatui::style::Modifier::BOLD),
        WriteStatus::Unchanged | WriteStatus::Planned => t.ok,
        WriteStatus::Failed | WriteStatus::Invalid | WriteStatus::Conflict => t.error,
        WriteStatus::NotFound | WriteStatus::Cancelled | WriteStatus::Partial | WriteStatus::Unknown => t.warn,
    }
}

/// ✓ targeted, ✗ not, ? undecided (symbols, so NO_COLOR reads the same); blank until judged.
fn audience_cell(app: &App, verdict: Option<Option<bool>>) -> (&'static str, Style) {
    let t = &app.theme;
    match verdict {
        Some(Some(true)) => ("✓", t.ok),
        Some(Some(false)) => ("✗", t.error),
        Some(None) => ("?", t.warn),
        None => ("", Style::default()),
    }
}

/// Horizontal bars of the most frequent values, because people would rather look than read.
fn bars(app: &App, title: String, top: &[(String, u64)], area: Rect, label_w: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = vec![Line::styled(title, t.header)];
    let max = top.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let bar_w = (area.width as usize).saturating_sub(label_w + 10).max(4);
    for (label, n) in top {
        let len = ((*n as f64 / max as f64) * bar_w as f64).round().max(1.0) as usize;
        lines.push(Line::from(vec![
            Span::raw(format!("{} ", crate::text::pad(&fit(label, label_w), label_w))),
            Span::styled("█".repeat(len), t.key),
            Span::raw(format!(" {n}")),
        ]));
    }
    if top.is_empty() {
        lines.push(Line::styled("no data yet", t.dim));
    }
    lines
}

fn summary(app: &App, f: &mut Frame, area: Rect) {
    let res = &app.results;
    let t = &app.theme;
    let counts: Vec<Span> = Status::ALL
        .iter()
        .filter_map(|s| res.status_counts.get(s).map(|n| (s, n)))
        .map(|(s, n)| Span::styled(format!("{} {n}  ", s.label()), status_style(app, *s)))
        .collect();
    // The last write's outcomes, counted, above the read counts.
    let write_line = app.last_write.as_ref().map(|w| {
        let mut spans = vec![Span::styled(format!("Last write ({}): ", fit(&w.label, 40)), t.header)];
        spans.extend(
            w.summary
                .counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| Span::styled(format!("{} {n}  ", s.label()), write_style(app, *s))),
        );
        if let Some(p) = &w.undo {
            spans.push(Span::styled(format!("undo file {}", p.display()), t.dim));
        }
        Line::from(spans)
    });
    let [writes, head, charts] = Layout::vertical([
        Constraint::Length(u16::from(write_line.is_some())),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    if let Some(l) = write_line {
        f.render_widget(Paragraph::new(l), writes);
    }
    f.render_widget(Paragraph::new(Line::from(counts)), head);
    let [left, right] = if charts.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts)
    };
    let n = (left.height as usize).saturating_sub(1).max(1);
    match &res.audience {
        // With a condition applied, the audience takes the tags' place.
        Some(a) => f.render_widget(Paragraph::new(audience_summary(app, a, left)).wrap(Wrap { trim: false }), left),
        None => {
            let tags = Results::top(&res.tag_counts, n);
            f.render_widget(
                Paragraph::new(bars(app, format!("Tags: accounts carrying each (top {n})"), &tags, left, 14)),
                left,
            );
        }
    }
    if app.stats.is_some() {
        // `:stats` takes the right half: the tasks' funnels and loss reasons.
        f.render_widget(Paragraph::new(super::delivery::stats_lines(app, right.width as usize)), right);
        return;
    }
    let names = app.attr_names.columns();
    // `a` steps through the attributes, then the schema view.
    let lines = match names.get(app.summary_attr % (names.len() + 1)) {
        Some(name) => {
            let top = res.attr_values.get(name).map(|m| Results::top(m, n)).unwrap_or_default();
            bars(app, format!("Attribute {} (a: next / schema)", escape(name)), &top, right, 14)
        }
        None => {
            let attrs = res.schema.attrs(&names, &|n| res.attr_values.get(n), 3);
            let mut lines = vec![Line::styled("Schema use (a: next)", t.header)];
            lines.extend(res.schema.lines(&attrs).into_iter().skip(1).map(Line::raw));
            lines
        }
    };
    f.render_widget(Paragraph::new(lines), right);
}

/// The audience in the summary: the counts (ALL USERS while it selects everyone), its warnings,
/// the reasons for not being targeted as bars, and what timx assumed.
fn audience_summary(app: &App, a: &AudienceView, area: Rect) -> Vec<Line<'static>> {
    let t = &app.theme;
    let checked = a.checked();
    let [yes, no, unknown] = a.counts;
    let mut head = vec![Span::styled(format!("Audience ✓ {yes} ✗ {no} ? {unknown}"), t.header)];
    let mut notes: Vec<Line<'static>> = Vec::new();
    if checked.is_all() {
        head.extend([Span::raw(" "), Span::styled(" ALL USERS ", t.all_badge)]);
        notes.push(Line::styled("no Condition: every user who has logged in or been imported", t.warn));
    }
    notes.extend(checked.warnings.iter().map(|w| Line::styled(format!("warning: {}", escape(w)), t.warn)));
    let assumed = (!checked.is_all()).then(|| Line::styled(crate::audience::ASSUMPTIONS, t.dim));
    // Lines the notes take once wrapped; the bars get what is left.
    let cols = usize::from(area.width.max(1));
    let noted: usize = notes.iter().chain(&assumed).map(|l| l.width().div_ceil(cols).max(1)).sum();
    let n = usize::from(area.height).saturating_sub(2 + noted).max(1);
    let mut lines = vec![Line::from(head)];
    lines.extend(notes);
    let top = a.top_misses(n);
    if !top.is_empty() {
        // Reasons are sentences: half the width for them.
        let label_w = (area.width as usize / 2).max(14);
        lines.extend(bars(app, "not targeted because".into(), &top, area, label_w));
    }
    lines.extend(assumed);
    lines
}
