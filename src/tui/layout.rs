//! Where everything goes at the app's current size: used by `view` to draw and by `update`
//! to page and scroll, so neither depends on the other.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::App;

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
