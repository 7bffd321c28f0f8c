//! Styles. With NO_COLOR no colour is ever requested (crossterm would turn an empty colour
//! into a full SGR reset that also cancels REVERSED), so the selection stays visible through
//! modifiers alone. The colour theme uses explicit 256-colour backgrounds for selection,
//! which render in terminals without truecolor (macOS Terminal.app).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub no_color: bool,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selection: Style,
    pub header: Style,
    pub dim: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub badge: Style,
    /// A profile that allows writes.
    pub rw_badge: Style,
    /// The applied push condition selects everyone (ALL USERS).
    pub all_badge: Style,
    pub key: Style,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme::new(std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
    }

    pub fn new(no_color: bool) -> Theme {
        let plain = Style::default();
        if no_color {
            return Theme {
                no_color,
                title: plain.add_modifier(Modifier::BOLD),
                border: plain,
                border_focus: plain.add_modifier(Modifier::BOLD),
                selection: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
                header: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                dim: plain.add_modifier(Modifier::DIM),
                ok: plain,
                warn: plain.add_modifier(Modifier::BOLD),
                error: plain.add_modifier(Modifier::BOLD),
                badge: plain.add_modifier(Modifier::REVERSED),
                rw_badge: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::SLOW_BLINK),
                all_badge: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
                key: plain.add_modifier(Modifier::BOLD),
            };
        }
        Theme {
            no_color,
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            border_focus: Style::new().fg(Color::Cyan),
            selection: Style::new().bg(Color::Indexed(24)).fg(Color::Indexed(231)).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            badge: Style::new().bg(Color::Indexed(94)).fg(Color::Indexed(231)),
            rw_badge: Style::new().bg(Color::Red).fg(Color::White).add_modifier(Modifier::BOLD),
            all_badge: Style::new().bg(Color::Red).fg(Color::White).add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        }
    }
}
