//! Drawing only: `draw` reads the app and paints a frame. One file per pane.

mod overlays;
mod panes;
mod results;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::app::{App, Level, MIN_HEIGHT, MIN_WIDTH, Overlay, Pane};
use crate::text::escape;

/// Where everything goes at the app's current size.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub header: Rect,
    pub profiles: Rect,
    pub attr_names: Rect,
    pub accounts: Rect,
    pub results: Rect,
    /// The rows of the results table (inside borders, below tabs, progress and the header row).
    pub results_table: Rect,
    pub status: Rect,
}

pub fn layout(app: &App) -> Areas {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let [header, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let left_w = (area.width / 3).clamp(28, 44);
    let [left, results] = Layout::horizontal([Constraint::Length(left_w), Constraint::Min(0)]).areas(body);
    let profiles_h = (app.profiles.len() as u16 + 2).clamp(3, 8);
    let [profiles, attr_names, accounts] =
        Layout::vertical([Constraint::Length(profiles_h), Constraint::Length(12), Constraint::Min(5)]).areas(left);
    // Inside the results block: tabs/progress line, table header row, then the rows.
    let inner = results.inner(ratatui::layout::Margin::new(1, 1));
    let results_table = Rect { y: inner.y + 2, height: inner.height.saturating_sub(2), ..inner };
    Areas { header, profiles, attr_names, accounts, results, results_table, status }
}

pub fn pane_block<'a>(app: &App, pane: Pane, title: impl Into<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane && matches!(app.overlay, Overlay::None);
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { app.theme.border_focus } else { app.theme.border })
        .title(title)
        .title_style(if focused { app.theme.title } else { Style::default() })
}

pub fn draw(app: &App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = vec![
            Line::from("Terminal too small").style(app.theme.error),
            Line::from(format!("need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}", area.width, area.height)),
            Line::from("enlarge the window, or press q / Ctrl-C to quit"),
        ];
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let a = layout(app);
    header(app, f, a.header);
    panes::profiles(app, f, a.profiles);
    panes::attr_names(app, f, a.attr_names);
    panes::accounts(app, f, a.accounts);
    results::results(app, f, a.results);
    status_line(app, f, a.status);
    overlays::draw(app, f, area, a.status);
}

fn header(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" timx ", t.title)];
    match app.active_profile() {
        Some(p) => {
            spans.push(Span::raw("│ "));
            spans.push(Span::styled(escape(&p.name).into_owned(), t.title));
            spans.push(Span::raw(format!(
                " · {} · SDKAppID {} · {} · admin {} ",
                p.endpoint.label(),
                p.sdkappid,
                p.family,
                escape(&p.admin)
            )));
            if p.read_only {
                spans.push(Span::styled(" RO ", t.badge));
            }
        }
        None => spans.push(Span::styled("│ no profile selected", t.dim)),
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    if matches!(app.overlay, Overlay::Command(_) | Overlay::Filter(_)) {
        return; // the input line is drawn by the overlay
    }
    let line = match &app.status {
        Some(s) => {
            let style = match s.level {
                Level::Info => t.ok,
                Level::Warn => t.warn,
                Level::Error => t.error,
            };
            Line::from(Span::styled(escape(&s.text).into_owned(), style))
        }
        None => hints(app),
    };
    f.render_widget(Paragraph::new(line), area);
}

fn hints(app: &App) -> Line<'static> {
    let t = &app.theme;
    let pairs: &[(&str, &str)] = match app.focus {
        Pane::Accounts => &[("Ctrl-R", "run"), ("Tab", "next pane"), ("Esc", "leave editor"), ("F1", "help")],
        Pane::Results => &[
            ("Enter", "detail"),
            ("/", "filter"),
            ("s", "sort"),
            ("t", "tab"),
            ("e", "export"),
            ("y", "copy"),
            ("?", "help"),
            ("q", "quit"),
        ],
        _ => &[("Tab", "pane"), ("Enter", "select"), ("Ctrl-R", "run"), (":", "command"), ("?", "help"), ("q", "quit")],
    };
    let mut spans = Vec::new();
    for (k, d) in pairs {
        spans.push(Span::styled(format!(" {k}"), t.key));
        spans.push(Span::raw(format!(" {d} ")));
    }
    Line::from(spans)
}
