//! Drawing what happened after the send: the Delivery cell, the trace's progress, an
//! account's devices as a funnel of stages (the one that failed marked and explained), and the
//! `:stats` funnels and loss reasons as bars. Marks are symbols, so NO_COLOR reads the same.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::results::fit;
use crate::api::push_codes::{self, StageKind};
use crate::push::delivery::{DeviceRow, failure_text};
use crate::push::stats::{self, TaskReport};
use crate::push::trace::TraceStatus;
use crate::text::escape;
use crate::tui::app::App;
use crate::tui::post_send::DeliveryCell;

/// The Delivery cell of a result row; blank when it is not traced.
pub fn cell(app: &App, row: u32) -> (&'static str, Style) {
    let t = &app.theme;
    match app.trace.as_ref().and_then(|tr| tr.cell(row)) {
        None => ("", Style::default()),
        Some(c) => {
            let style = match c {
                DeliveryCell::Waiting => t.dim,
                DeliveryCell::Done(TraceStatus::Clicked | TraceStatus::Delivered) => t.ok,
                DeliveryCell::Done(TraceStatus::Stopped | TraceStatus::Failed | TraceStatus::Invalid) => t.error,
                DeliveryCell::Done(_) => t.warn,
            };
            (c.symbol(), style)
        }
    }
}

/// The trace on the results pane's border: progress with ETA and Esc while it runs, the
/// counts after.
pub fn border(app: &App) -> Option<Line<'static>> {
    let tr = app.trace.as_ref()?;
    let task = fit(&tr.task, 24);
    let text = match &tr.summary {
        None => {
            let p = &tr.progress;
            let eta = p.eta_text().map(|e| format!(" ETA {e}")).unwrap_or_default();
            format!(" trace {task} {}/{} at 1/s{eta} · Esc cancels ", p.done, p.total)
        }
        Some(s) => format!(
            " trace {task}: ✓✓ {} ✓ {} ✗ {} – {} ",
            s.count(TraceStatus::Clicked),
            s.count(TraceStatus::Delivered),
            s.count(TraceStatus::Stopped),
            s.count(TraceStatus::NoTrace) + s.count(TraceStatus::NoDevices)
        ),
    };
    Some(Line::styled(text, app.theme.key))
}

/// The detail's delivery section for a result row: verdict, then each device as a funnel.
pub fn detail(app: &App, row: u32) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(tr) = app.trace.as_ref() else { return vec![] };
    let Some(r) = tr.done.get(&row) else {
        return match tr.cell(row) {
            Some(_) => vec![
                Line::raw(""),
                Line::styled(format!("Delivery of {}: waiting its turn (1 call/s)", fit(&tr.task, 40)), t.dim),
            ],
            None => vec![],
        };
    };
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("Delivery of push {}", fit(&tr.task, 60)), t.header),
        Line::from(vec![Span::raw("  "), Span::styled(escape(&r.verdict).into_owned(), cell(app, row).1)]),
    ];
    if let Some(e) = &r.error {
        lines.push(Line::raw(format!("  {}", escape(&e.fix))));
    }
    for d in &r.devices {
        lines.extend(device(app, d));
    }
    lines
}

fn device(app: &App, d: &DeviceRow) -> Vec<Line<'static>> {
    let t = &app.theme;
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            format!(
                "  Device {} · {} {} · PushPlatform {} · pushed {}",
                escape(&d.instance),
                escape(&d.system),
                escape(&d.model),
                push_codes::platform_label(d.platform),
                escape(&d.push_time)
            ),
            t.header,
        ),
        Line::raw(format!(
            "    token {} · certificate {} · NotificationStatus {} · last_active_terminal {} (raw: not documented)",
            yes(d.token_bound),
            yes(d.certificate_bound),
            d.notification,
            d.last_active
        )),
    ];
    // The funnel: every step of the chain, reached or not, the failed one marked and explained.
    let mut stopped = false;
    for k in StageKind::ALL {
        let s = d.stages.iter().find(|s| s.stage == k);
        let (mark, style, text) = match s {
            _ if stopped => ("·", t.dim, format!("{} (not reached)", k.what())),
            Some(s) if s.ok => ("✓", t.ok, format!("{}  {}", k.what(), escape(&s.time))),
            Some(s) => {
                stopped = true;
                let stage = crate::api::post_send::Stage {
                    push_status: s.status,
                    error_code: s.code,
                    error_info: s.info.clone(),
                    event_time: s.time.clone(),
                };
                ("✗", t.error, format!("{}  {}", escape(&failure_text(&stage)), escape(&s.time)))
            }
            None if k == StageKind::Click => ("·", t.dim, "not clicked".to_string()),
            None => {
                stopped = true;
                ("✗", t.error, "no record of this stage: the chain stops here".to_string())
            }
        };
        lines.push(Line::from(vec![
            Span::styled(format!("    {mark} {:<8}", k.name()), style),
            Span::styled(text, if mark == "✗" { style } else { Style::default() }),
        ]));
    }
    lines
}

/// The `:stats` reports as bar charts for the summary tab.
pub fn stats_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(s) = app.stats.as_ref() else { return vec![] };
    let reports = match &s.reports {
        None => return vec![Line::styled("Push statistics: reading (1 call/s)…", t.dim)],
        Some(Err(e)) => return vec![Line::styled(format!("Push statistics: {}", fit(e, width)), t.error)],
        Some(Ok(r)) => r,
    };
    let mut lines = Vec::new();
    for r in reports {
        lines.extend(report(app, r, width));
    }
    lines
}

fn report(app: &App, r: &TaskReport, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let name =
        if r.task_id.is_empty() { "the app's totals".to_string() } else { fit(&r.task_id, width.saturating_sub(6)) };
    let mut lines = vec![Line::styled(format!("Task {name}"), t.header)];
    let max = r.funnel.iter().map(|s| s.count).max().unwrap_or(0);
    let bar_w = width.saturating_sub(28).max(4);
    for s in &r.funnel {
        lines.push(Line::from(vec![
            Span::raw(format!("{:<10}", s.name)),
            Span::styled(format!("{:<w$}", stats::bar(s.count, max, bar_w), w = bar_w), t.key),
            Span::raw(format!(" {} {}", s.count, stats::percent(s.of_previous))),
        ]));
    }
    let losses: Vec<_> =
        r.before_sending.iter().map(|l| ("before", l)).chain(r.after_channel.iter().map(|l| ("after", l))).collect();
    let lmax = losses.iter().map(|(_, l)| l.count).max().unwrap_or(0);
    for (side, l) in losses {
        let why = format!("{side} {} {}", l.code.code, l.code.meaning);
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<6}", stats::bar(l.count, lmax, 6)), t.error),
            Span::raw(format!(" {} ", l.count)),
            Span::raw(fit(&why, width.saturating_sub(16))),
        ]));
    }
    lines.extend(r.notes.iter().map(|n| Line::styled(format!("  {}", fit(n, width.saturating_sub(2))), t.dim)));
    lines.push(Line::raw(""));
    lines
}
