//! Drawing only: `draw` reads the app and paints a frame. One file per pane.

mod delivery;
mod overlays;
mod panes;
mod results;
mod writes;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::app::{App, Level, MIN_HEIGHT, MIN_WIDTH, Pane};
use super::layout::layout;
use super::overlay::Overlay;
use crate::text::escape;

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
            spans.push(Span::styled(format!("{} ", escape(&p.name)), t.title));
            // First, so a narrow terminal never cuts it off.
            if p.read_only {
                spans.push(Span::styled(" RO ", t.badge));
            } else {
                // Writes go through: say so loudly, in colour and without.
                spans.push(Span::styled(" RW: WRITES ALLOWED ", t.rw_badge));
            }
            spans.push(Span::raw(format!(
                " {} · SDKAppID {} · {} · admin {} ",
                p.endpoint.label(),
                p.sdkappid,
                p.family,
                escape(&p.admin)
            )));
        }
        None => spans.push(Span::styled("│ no profile selected", t.dim)),
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    if matches!(app.overlay, Overlay::Command(_) | Overlay::Filter(_) | Overlay::Unlock(_)) {
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

/// The keys worth knowing here, from the keymap's hint column.
fn hints(app: &App) -> Line<'static> {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (k, d) in app.hints() {
        spans.push(Span::styled(format!(" {k}"), t.key));
        spans.push(Span::raw(format!(" {d} ")));
    }
    Line::from(spans)
}
