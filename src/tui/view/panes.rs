//! The left column: profiles, attribute names, the accounts editor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::api::{Family, wire};
use crate::text::{escape, pad};
use crate::tui::app::{App, Pane};

pub fn profiles(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = pane_block(app, Pane::Profiles, " Profiles ");
    let inner_h = area.height.saturating_sub(2) as usize;
    let start = app.profile_cursor.saturating_sub(inner_h.saturating_sub(1));
    let lines: Vec<Line> = app
        .profiles
        .iter()
        .enumerate()
        .skip(start)
        .take(inner_h)
        .map(|(i, p)| {
            let marker = if Some(i) == app.active { "● " } else { "  " };
            let mut spans = vec![Span::raw(marker), Span::raw(pad(&escape(&p.name), 10))];
            let place = p.endpoint.region().map(|r| r.name().to_string()).unwrap_or_else(|| "custom".into());
            spans.push(Span::styled(format!(" {place}"), t.dim));
            spans.push(Span::raw(" "));
            if p.read_only {
                spans.push(Span::styled("RO", t.badge));
            } else {
                spans.push(Span::styled("RW", t.rw_badge));
            }
            let line = Line::from(spans);
            if i == app.profile_cursor && app.focus == Pane::Profiles { line.style(t.selection) } else { line }
        })
        .collect();
    let body = if lines.is_empty() { vec![Line::styled("none: n creates one", t.dim)] } else { lines };
    f.render_widget(Paragraph::new(body).block(block), area);
}

pub fn attr_names(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let st = &app.attr_names;
    let title = if st.loading { " Attribute names (loading…) ".to_string() } else { " Attribute names ".to_string() };
    let block = pane_block(app, Pane::AttrNames, title);
    if let Some(e) = &st.error {
        let mut lines = vec![
            Line::styled(format!("error {}", e.label), t.error),
            Line::raw(escape(&e.meaning).into_owned()),
            Line::styled(escape(&e.fix).into_owned(), t.warn),
        ];
        if e.wrong_region() {
            lines.push(Line::styled("press p to probe the other regions", t.key));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
        return;
    }
    let timpush = app.active_profile().is_some_and(|p| p.family == Family::Timpush);
    let empty = wire::AttrNames::default();
    let names = st.names.as_ref().unwrap_or(&empty);
    let lines: Vec<Line> = names
        .slots()
        .map(|s| {
            let mut spans = vec![Span::styled(format!("{} ", s.slot), t.dim)];
            match s.name {
                Some(name) => spans.push(Span::raw(escape(name).into_owned())),
                None => spans.push(Span::styled("(empty)", t.dim)),
            }
            if timpush && s.name.is_some() && s.attr_type != wire::ATTR_TYPE_USERID {
                let short = if s.attr_type == wire::ATTR_TYPE_REGISTRATION_ID { "RegID" } else { "?" };
                spans.push(Span::styled(format!("  {short}"), t.warn));
            }
            let line = Line::from(spans);
            if app.focus == Pane::AttrNames && s.slot == app.attr_cursor { line.style(t.selection) } else { line }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn accounts(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let s = app.input_stats;
    let mut title = vec![Span::raw(format!(" Accounts {} ", s.accounts))];
    if s.duplicates > 0 {
        title.push(Span::styled(format!("{} dup ", s.duplicates), t.warn));
    }
    if s.invalid > 0 {
        title.push(Span::styled(format!("{} invalid ", s.invalid), t.error));
    }
    let block = pane_block(app, Pane::Accounts, Line::from(title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    // The editor shows text as typed; a control character is drawn by ratatui as a replacement,
    // never sent raw, and the counts above flag it as invalid.
    f.render_widget(&app.editor, inner);
}
