//! Drawing writes: the plan overlay, the edit form, the unlock prompt, a row's last write in
//! the detail view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::overlays::{clear, framed, popup, titled};
use crate::engine::OutcomeStatus;
use crate::text::{escape, pad};
use crate::tui::app::App;
use crate::tui::keymap::Context;
use crate::tui::overlay::edit::FieldKind;
use crate::tui::overlay::plan::Ask;
use crate::tui::overlay::{EditForm, PlanView};

pub fn plan(app: &App, f: &mut Frame, area: Rect, plan: &PlanView) {
    let t = &app.theme;
    let r = popup(area, 86, 86);
    clear(f, r);
    let block = framed(app, titled("Write", Context::Plan));
    let inner = block.inner(r);
    f.render_widget(block, r);
    // The plan's app: its write goes there.
    let on = app.write.as_ref().map(|w| &w.profile).or(app.active_profile());
    let target = on.map(|p| format!("{} (SDKAppID {})", p.name, p.sdkappid)).unwrap_or_default();
    let mut head = vec![
        Line::from(vec![Span::styled("Plan  ", t.header), Span::raw(escape(&plan.title).into_owned())]),
        Line::styled(format!("on {}", escape(&target)), t.dim),
        Line::styled(plan.counts_line(), if plan.changing() > 0 { t.warn } else { t.ok }),
    ];
    if !plan.done {
        let (done, total) = plan.progress;
        head.push(Line::styled(format!("planning: read {done} of {total} accounts… nothing is written yet"), t.dim));
    }
    head.extend(plan.warnings.iter().map(|w| Line::styled(format!("⚠ {}", escape(w)), t.error)));
    // The question stays at the bottom whatever the diff holds: it is what the user must see.
    let mut foot = vec![question(app, plan)];
    foot.extend(plan.note.as_ref().map(|n| Line::styled(escape(n).into_owned(), t.error)));
    let wrapped =
        |lines: &[Line], w: u16| -> u16 { lines.iter().map(|l| (l.width() as u16).div_ceil(w.max(1)).max(1)).sum() };
    let [head_a, body_a, foot_a] = Layout::vertical([
        Constraint::Length(wrapped(&head, inner.width) + 1),
        Constraint::Min(1),
        Constraint::Length(wrapped(&foot, inner.width) + 1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_a);
    let rows = body_a.height as usize;
    let diff = plan.lines();
    let start = plan.scroll.min(diff.len().saturating_sub(1));
    let more = diff.len().saturating_sub(start + rows);
    let shown = if more > 0 { rows.saturating_sub(1) } else { rows };
    let mut body: Vec<Line> = diff
        .iter()
        .skip(start)
        .take(shown)
        .map(|(is_head, text)| {
            // Cut to the width: a long error ends in `…` rather than pushing the rest down.
            let line = super::results::fit(text, body_a.width as usize);
            if *is_head { Line::styled(line, t.header) } else { Line::raw(line) }
        })
        .collect();
    if more > 0 {
        body.push(Line::styled(format!("… {} more lines (↓ / PgDn)", diff.len() - start - shown), t.dim));
    }
    f.render_widget(Paragraph::new(body), body_a);
    let foot_a = Rect { y: foot_a.y + 1, height: foot_a.height.saturating_sub(1), ..foot_a };
    f.render_widget(Paragraph::new(foot).wrap(Wrap { trim: false }), foot_a);
}

/// What Enter does now, and the number typed so far.
fn question(app: &App, plan: &PlanView) -> Line<'static> {
    let t = &app.theme;
    match plan.ask() {
        Ask::Planning => Line::styled("Esc backs out", t.dim),
        Ask::Nothing => Line::styled("Nothing to change. Esc goes back.", t.ok),
        Ask::FixInvalid => Line::styled("Fix the invalid slots first. Esc goes back.", t.error),
        Ask::Type(n) => Line::from(vec![
            Span::styled(format!("Type {n} to write {n} {}s, then Enter: ", plan.noun), t.warn),
            Span::styled(format!("{}▏", plan.typed), t.key),
            Span::styled("   Esc backs out, nothing is sent", t.dim),
        ]),
        Ask::Enter => Line::from(vec![
            Span::styled(format!("Enter writes this 1 {}", plan.noun), t.warn),
            Span::styled("   Esc backs out, nothing is sent", t.dim),
        ]),
    }
}

pub fn edit_form(app: &App, f: &mut Frame, area: Rect, form: &EditForm) {
    let t = &app.theme;
    let r = popup(area, 80, 86);
    clear(f, r);
    let mut lines = vec![
        Line::from(vec![Span::styled("Account  ", t.header), Span::raw(escape(&form.account).into_owned())]),
        Line::styled("An emptied value is unset, an emptied tag removed; the last line adds a tag.", t.dim),
        Line::raw(""),
    ];
    let mut tags_started = false;
    for (i, field) in form.fields.iter().enumerate() {
        let label = match &field.kind {
            FieldKind::Attr(name) => escape(name).into_owned(),
            FieldKind::Tag if field.was.is_none() && field.value.is_empty() => "+ tag".to_string(),
            FieldKind::Tag => "tag".to_string(),
        };
        if field.kind == FieldKind::Tag && !tags_started {
            tags_started = true;
            lines.push(Line::styled("Tags", t.header));
        }
        let changed = field.was.as_deref().unwrap_or_default() != field.value;
        let mut spans = vec![Span::styled(pad(&label, 16), t.key), Span::raw(escape(&field.value).into_owned())];
        if i == form.cursor {
            spans.push(Span::styled("▏", t.key));
        }
        if changed {
            let note = match (field.was.as_deref(), field.value.is_empty(), &field.kind) {
                (Some(w), true, FieldKind::Tag) => format!("  (removed: {})", escape(w)),
                (Some(w), true, FieldKind::Attr(_)) => format!("  (unset, was {})", escape(w)),
                (Some(w), false, _) => format!("  (was {})", escape(w)),
                (None, _, _) => "  (new)".into(),
            };
            spans.push(Span::styled(note, t.warn));
        }
        let line = Line::from(spans);
        lines.push(if i == form.cursor { line.style(t.selection) } else { line });
    }
    if let Some(e) = &form.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(escape(e).into_owned(), t.error));
    }
    let block = framed(app, titled("Edit", Context::EditForm));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}

/// The prompt for `:unlock`, on the status line.
pub fn unlock(app: &App, f: &mut Frame, area: Rect, typed: &str) {
    let name = app.active_profile().map(|p| escape(&p.name).into_owned()).unwrap_or_default();
    let line = Line::from(vec![
        Span::styled(format!("type the SDKAppID of {name} to allow writes this session: "), app.theme.warn),
        Span::raw(escape(typed).into_owned()),
        Span::styled("▏", app.theme.key),
    ]);
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(line), area);
}

/// The detail view's lines about the row's last write.
pub fn detail(app: &App, index: u32) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(o) = app.results.outcome(index) else { return vec![] };
    let mut lines = vec![
        Line::raw(""),
        Line::from(vec![
            Span::styled("Last write  ", t.header),
            Span::styled(o.status.label(), super::results::write_style(app, o.status)),
            Span::styled(
                app.last_write.as_ref().map(|w| format!("  ({})", escape(&w.label))).unwrap_or_default(),
                t.dim,
            ),
        ]),
    ];
    lines.extend(o.changes.iter().map(|c| Line::raw(format!("  {}", c.text()))));
    if let Some(why) = o.row().error {
        lines.push(Line::styled(format!("  {}", escape(&why)), t.error));
    }
    lines
}
