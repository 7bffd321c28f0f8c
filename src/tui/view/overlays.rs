//! Popups and input lines: help, account detail, command line, filter, profile form,
//! first-run screen and information (probe results).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::text::{escape, pad};
use crate::tui::app::App;
use crate::tui::commands;
use crate::tui::keymap::{self, Context};
use crate::tui::overlay::condition::Check;
use crate::tui::overlay::form::{Field, SecretKind};
use crate::tui::overlay::{ConditionEditor, Overlay};

pub(super) fn popup(area: Rect, w_pct: u16, h_pct: u16) -> Rect {
    let w = (area.width * w_pct / 100).max(40).min(area.width);
    let h = (area.height * h_pct / 100).max(10).min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// Blank a popup's area. A wide character (CJK) just left of it would cover the popup's
/// left border, so it is blanked too.
pub(super) fn clear(f: &mut Frame, r: Rect) {
    f.render_widget(Clear, r);
    if r.x == 0 {
        return;
    }
    let buf = f.buffer_mut();
    for y in r.top()..r.bottom() {
        let cell = &mut buf[(r.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

pub(super) fn framed<'a>(app: &App, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.border_focus)
        .title(title)
        .title_style(app.theme.title)
}

pub fn draw(app: &App, f: &mut Frame, area: Rect, status: Rect) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help(p) => text_popup(app, f, area, &titled("Help", Context::Popup), help_lines(app), p.scroll),
        Overlay::Detail(p) => {
            text_popup(app, f, area, &titled("Account", Context::Detail), detail_lines(app), p.scroll)
        }
        Overlay::Info { title, lines, scroll } => {
            let lines = lines.iter().map(|l| Line::raw(escape(l).into_owned())).collect();
            text_popup(app, f, area, &titled(title, Context::Popup), lines, scroll.scroll)
        }
        Overlay::Command(input) => {
            input_line(app, f, status, ":", &input.text);
            command_usage(app, f, status, &input.text);
        }
        Overlay::Filter(input) => input_line(app, f, status, "/", &input.text),
        Overlay::Form(_) => form(app, f, area),
        Overlay::FirstRun => first_run(app, f, area),
        Overlay::Plan(p) => super::writes::plan(app, f, area, p),
        Overlay::Edit(form) => super::writes::edit_form(app, f, area, form),
        Overlay::Unlock(input) => super::writes::unlock(app, f, status, &input.text),
        Overlay::Condition(e) => condition_editor(app, f, area, status, e),
    }
}

/// A popup title with its keys, from the keymap: " Account — Esc close · y copy ".
pub(super) fn titled(title: &str, context: Context) -> String {
    let keys: Vec<String> = keymap::hints(context, false).iter().map(|(k, h)| format!("{k} {h}")).collect();
    format!(" {title} — {} ", keys.join(" · "))
}

fn text_popup(app: &App, f: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, scroll: u16) {
    let r = popup(area, 80, 80);
    clear(f, r);
    let p = Paragraph::new(lines).block(framed(app, title.to_string())).wrap(Wrap { trim: false }).scroll((scroll, 0));
    f.render_widget(p, r);
}

fn input_line(app: &App, f: &mut Frame, area: Rect, prompt: &str, text: &str) {
    let line = Line::from(vec![
        Span::styled(prompt.to_string(), app.theme.key),
        Span::raw(escape(text).into_owned()),
        Span::styled("▏", app.theme.key),
    ]);
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(line), area);
}

/// The condition editor: a band above the status line with the line, its check and the history;
/// as tall as its wrapped lines (a warning is a sentence or two), up to half the screen.
fn condition_editor(app: &App, f: &mut Frame, area: Rect, status: Rect, e: &ConditionEditor) {
    let t = &app.theme;
    let (check, style) = match &e.check {
        Check::Valid(m) => (m.as_str(), t.ok),
        Check::Warn(m) => (m.as_str(), t.warn),
        Check::Invalid(m) => (m.as_str(), t.error),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("Condition ", t.key),
            Span::raw(escape(&e.text).into_owned()),
            Span::styled("▏", t.key),
        ]),
        Line::styled(escape(check).into_owned(), style),
        Line::styled(format!("{} earlier conditions (↑)", e.history.len()), t.dim),
    ];
    let inner = usize::from(area.width.saturating_sub(2).max(1));
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let h = u16::try_from(rows + 2).unwrap_or(u16::MAX).clamp(6, (status.y / 2).max(6)).min(status.y);
    let r = Rect { x: area.x, y: status.y - h, width: area.width, height: h };
    clear(f, r);
    let block = framed(app, titled("Push audience", Context::Condition));
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}

/// After the command line's cursor, dimmed: how the command typed so far is used
/// (`attr-name SLOT NAME [user|registration] — name an attribute slot…`).
fn command_usage(app: &App, f: &mut Frame, area: Rect, text: &str) {
    let Some(word) = text.split_whitespace().next() else { return };
    let Some(c) = commands::find(word) else { return };
    let used = crate::text::width(&escape(text)) as u16 + 3;
    if used + 4 >= area.width {
        return;
    }
    let hint = format!("  {} — {}", c.usage(), c.help);
    let r = Rect { x: area.x + used, width: area.width - used, ..area };
    f.render_widget(Paragraph::new(Line::styled(super::results::fit(&hint, r.width as usize), app.theme.dim)), r);
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    for (section, rows) in keymap::help_sections() {
        lines.push(Line::styled(section, t.header));
        for (keys, desc) in rows {
            lines.push(Line::from(vec![Span::styled(pad(&keys, 16), t.key), Span::raw(desc)]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Command line (:)", t.header));
    for c in commands::COMMANDS {
        lines.push(Line::from(vec![Span::styled(pad(&c.usage(), 24), t.key), Span::raw(c.help)]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Copying uses OSC 52: the text is sent to your terminal, which may or may not accept it (tmux: set-clipboard on).",
        t.dim,
    ));
    if let Some(path) = crate::logging::default_log_file() {
        lines.push(Line::styled(format!("Log file: {}", path.display()), t.dim));
    }
    lines
}

fn detail_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(r) = app.results.selected_record() else { return vec![Line::raw("no row selected")] };
    let mut lines = vec![
        Line::from(vec![Span::styled("Account  ", t.header), Span::raw(escape(&r.account).into_owned())]),
        Line::from(vec![
            Span::styled("Status   ", t.header),
            Span::styled(r.status.label(), super::results::status_style(app, r.status)),
        ]),
    ];
    if let Some(reason) = &r.reason {
        lines.push(Line::from(vec![Span::styled("Invalid  ", t.header), Span::raw(escape(reason).into_owned())]));
    }
    if let Some(e) = &r.error {
        lines.push(Line::from(vec![Span::styled("Error    ", t.header), Span::styled(e.label.clone(), t.error)]));
        lines.push(Line::from(vec![Span::styled("Meaning  ", t.header), Span::raw(escape(&e.meaning).into_owned())]));
        lines.push(Line::from(vec![
            Span::styled("Fix      ", t.header),
            Span::styled(escape(&e.fix).into_owned(), t.warn),
        ]));
        lines.push(Line::from(vec![Span::styled("Attempts ", t.header), Span::raw(e.attempts.to_string())]));
    }
    if let Some(i) = app.results.selected_index() {
        lines.extend(super::writes::detail(app, i));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Attributes", t.header));
    let names = app.attr_names.names.as_ref();
    let attrs = r.attrs.clone().unwrap_or_default();
    for (slot, name) in names.iter().flat_map(|n| n.slots()).filter_map(|s| Some((s.slot, s.name?))) {
        let value = attrs.get(name).map(|v| escape(v).into_owned()).unwrap_or_else(|| "—".into());
        lines.push(Line::from(vec![
            Span::styled(format!("  {slot} "), t.dim),
            Span::raw(pad(&escape(name), 16)),
            Span::raw(value),
        ]));
    }
    for (k, v) in attrs.iter().filter(|(k, _)| !names.is_some_and(|n| n.attr_names.values().any(|x| x == *k))) {
        lines.push(Line::raw(format!("  ? {} {}", pad(&escape(k), 16), escape(v))));
    }
    lines.push(Line::raw(""));
    let tags = r.tags.clone().unwrap_or_default();
    lines.push(Line::styled(format!("Tags ({})", tags.len()), t.header));
    for tag in &tags {
        // `"vip "` is not `vip`: surrounding spaces shown.
        lines.push(Line::raw(format!("  {}", escape(&crate::text::edges_shown(tag)))));
    }
    if let Some(a) = &app.results.audience {
        lines.push(Line::raw(""));
        let schema = names.map(crate::audience::Schema::new).unwrap_or_default();
        let v = crate::audience::evaluate(a.judge(), &schema, &r);
        let (word, style) = match v.targeted {
            Some(true) => ("✓ targeted", t.ok),
            Some(false) => ("✗ not targeted", t.error),
            None => ("? undecided", t.warn),
        };
        let mut head = vec![Span::styled("Push audience  ", t.header), Span::styled(word, style)];
        if a.checked().is_all() {
            head.extend([Span::raw("  "), Span::styled(" ALL USERS ", t.all_badge)]);
        }
        lines.push(Line::from(head));
        lines.extend(v.reasons.iter().map(|x| Line::raw(format!("  {}", escape(x)))));
        lines.extend(v.warnings.iter().map(|w| Line::styled(format!("  warning: {}", escape(w)), t.warn)));
        if !a.checked().is_all() {
            lines.push(Line::styled(format!("  {}", crate::audience::ASSUMPTIONS), t.dim));
        }
    }
    if let Some(i) = app.results.selected_index() {
        lines.extend(super::delivery::detail(app, i));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Raw JSON", t.header));
    let json = serde_json::to_string_pretty(&r).unwrap_or_default();
    lines.extend(json.lines().map(|l| Line::raw(escape(l).into_owned())));
    lines
}

fn first_run(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = popup(area, 70, 50);
    clear(f, r);
    let lines = vec![
        Line::styled("Welcome to timx", t.title),
        Line::raw(""),
        Line::raw(format!("No profiles in {} yet.", app.config.path.display())),
        Line::raw(""),
    ];
    let mut lines = lines;
    for b in keymap::bindings().iter().filter(|b| b.context == Context::FirstRun) {
        lines.push(Line::from(vec![Span::styled(format!("  {} ", keymap::label(b)), t.key), Span::raw(b.desc)]));
    }
    f.render_widget(Paragraph::new(lines).block(framed(app, " timx ")).wrap(Wrap { trim: true }), r);
}

fn form(app: &App, f: &mut Frame, area: Rect) {
    let Overlay::Form(form) = &app.overlay else { return };
    let t = &app.theme;
    let r = popup(area, 80, 80);
    clear(f, r);
    let mut lines =
        vec![Line::styled("Where the secret key lives is saved, never the key itself.", t.dim), Line::raw("")];
    let current = form.current();
    for field in form.fields() {
        let (label, value) = match field {
            Field::Name => ("Name", escape(&form.name).into_owned()),
            Field::Where => ("Data center", format!("◀ {} ▶", form.place_label())),
            Field::Backup => {
                ("Backup domain", if form.backup { "[x] use *.my-imcloud.com".into() } else { "[ ]".into() })
            }
            Field::BaseUrl => ("Base URL", escape(&form.base_url).into_owned()),
            Field::SdkAppId => ("SDKAppID", escape(&form.sdkappid).into_owned()),
            Field::Admin => ("Admin account", escape(&form.admin).into_owned()),
            Field::Family => ("Family", format!("◀ {} ▶", form.family)),
            Field::SecretKind => ("Secret key from", format!("◀ {} ▶", form.secret_kind.label())),
            Field::SecretValue => (
                match form.secret_kind {
                    SecretKind::Env => "Variable name",
                    SecretKind::File => "File path",
                    SecretKind::Command => "Command",
                },
                escape(&form.secret_value).into_owned(),
            ),
            Field::ReadOnly => ("Read-only", if form.read_only { "[x]".into() } else { "[ ]".into() }),
            Field::Save => ("", "[ Save ]".into()),
        };
        let line = Line::from(vec![Span::styled(pad(label, 18), t.header), Span::raw(value)]);
        lines.push(if field == current { line.style(t.selection) } else { line });
    }
    lines.push(Line::raw(""));
    let keys: Vec<String> = keymap::bindings()
        .iter()
        .filter(|b| b.context == Context::Form)
        .map(|b| format!("{} {}", keymap::label(b), b.hint.unwrap_or(b.desc)))
        .collect();
    lines.push(Line::styled(keys.join(" · "), t.dim));
    if let Some(e) = &form.error {
        lines.push(Line::styled(escape(e).into_owned(), t.error));
    }
    let title = format!(" New profile → {} ", form.config_path.display());
    f.render_widget(Paragraph::new(lines).block(framed(app, title)).wrap(Wrap { trim: false }), r);
}
