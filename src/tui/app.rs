//! App state and `update`: every change of state happens here, in response to one `Msg`,
//! and may return commands for the worker. Drawing is elsewhere (`view`) and only reads.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui_textarea::TextArea;

use super::form::{FormOutcome, ProfileForm};
use super::keymap::{self, Action, Context};
use super::msg::{Cmd, Msg, WorkerEvent};
use super::results::{Results, SortKey, Tab};
use super::theme::Theme;
use crate::api::wire::AttrNames;
use crate::api::{Endpoint, Family, codes};
use crate::config::{Config, Profile};
use crate::engine::{self, Event, JobKind, Normalized, Progress, Summary};
use crate::export::{self, Columns, Format};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Profiles,
    AttrNames,
    Accounts,
    Results,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Profiles, Pane::AttrNames, Pane::Accounts, Pane::Results];
    fn step(self, d: isize) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ORDER[(i + d).rem_euclid(4) as usize]
    }
}

/// A one-line text input (command line, filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
}

impl LineInput {
    /// Returns true when the text changed.
    pub fn key(&mut self, k: &KeyEvent) -> bool {
        match k.code {
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.clear();
                true
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.push(c);
                true
            }
            KeyCode::Backspace => self.text.pop().is_some(),
            _ => false,
        }
    }
}

#[derive(Debug)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    Detail {
        scroll: u16,
    },
    Command(LineInput),
    Filter(LineInput),
    Form(Box<ProfileForm>),
    FirstRun,
    /// Text to read (probe results and the like).
    Info {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
}

#[derive(Debug, Default)]
pub struct AttrNamesState {
    /// The fetch whose answer is awaited or shown; older answers are dropped.
    pub fetch: u64,
    pub profile: String,
    pub loading: bool,
    pub names: Option<AttrNames>,
    pub error: Option<engine::ErrorDetail>,
}

impl AttrNamesState {
    /// Attribute names in slot order, for the results columns.
    pub fn columns(&self) -> Vec<String> {
        self.names.as_ref().map(AttrNames::names_in_slot_order).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputStats {
    pub accounts: usize,
    pub duplicates: u64,
    pub invalid: usize,
}

#[derive(Debug)]
pub struct JobState {
    pub id: u64,
    pub profile: String,
    pub started: Instant,
    pub progress: Progress,
    pub summary: Option<Summary>,
}

impl JobState {
    pub fn running(&self) -> bool {
        self.summary.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMsg {
    pub text: String,
    pub level: Level,
}

pub struct App {
    pub profiles: Vec<Profile>,
    /// Cursor in the profiles list.
    pub profile_cursor: usize,
    /// The profile in use.
    pub active: Option<usize>,
    pub focus: Pane,
    pub overlay: Overlay,
    pub attr_names: AttrNamesState,
    pub editor: TextArea<'static>,
    pub input_stats: InputStats,
    pub results: Results,
    pub tab: Tab,
    /// Attribute shown in the summary chart (index into the columns).
    pub summary_attr: usize,
    pub job: Option<JobState>,
    next_job: u64,
    pub status: Option<StatusMsg>,
    pub size: (u16, u16),
    pub theme: Theme,
    pub config: Config,
    pub should_quit: bool,
    /// Set by `update` when something visible changed.
    pub dirty: bool,
    /// An error that must end the session (the loop returns it after restoring the terminal).
    pub fatal: Option<String>,
}

impl App {
    pub fn new(config: Config, profiles: Vec<Profile>, select: Option<&str>, theme: Theme) -> App {
        let mut editor = TextArea::default();
        editor.set_placeholder_text("paste or type accounts, one per line");
        editor.set_cursor_line_style(ratatui::style::Style::default());
        let mut app = App {
            profiles,
            profile_cursor: 0,
            active: None,
            focus: Pane::Profiles,
            overlay: Overlay::None,
            attr_names: AttrNamesState::default(),
            editor,
            input_stats: InputStats::default(),
            results: Results::default(),
            tab: Tab::Attrs,
            summary_attr: 0,
            job: None,
            next_job: 1,
            status: None,
            size: (MIN_WIDTH, MIN_HEIGHT),
            theme,
            config,
            should_quit: false,
            dirty: true,
            fatal: None,
        };
        if app.profiles.is_empty() {
            app.overlay = Overlay::FirstRun;
        } else if let Some(i) = select.and_then(|n| app.profiles.iter().position(|p| p.name == n)) {
            app.profile_cursor = i;
        }
        app
    }

    /// Commands to run at start: read the attribute names of the selected profile.
    pub fn init(&mut self) -> Vec<Cmd> {
        if self.profiles.is_empty() { vec![] } else { self.activate(self.profile_cursor) }
    }

    pub fn active_profile(&self) -> Option<&Profile> {
        self.profiles.get(self.active?)
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    pub fn editing(&self) -> bool {
        self.focus == Pane::Accounts && matches!(self.overlay, Overlay::None)
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Info });
    }
    fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Warn });
    }
    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Error });
    }

    /// A filter is still being applied (large result sets are filtered in steps).
    pub fn filter_pending(&self) -> bool {
        self.results.filter_pending()
    }

    /// One step of background work between frames.
    pub fn poll_background(&mut self) {
        self.results.poll_filter(std::time::Duration::from_millis(8));
        self.dirty = true;
    }

    /// Rows the results table shows at the current size (for paging and scrolling).
    pub fn results_height(&self) -> usize {
        super::view::layout(self).results_table.height as usize
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        self.dirty = true;
        match msg {
            Msg::Resize(w, h) => {
                self.size = (w, h);
                let h = self.results_height();
                self.results.scroll_into_view(h);
                vec![]
            }
            Msg::Quit => {
                self.should_quit = true;
                vec![]
            }
            Msg::Paste(text) => self.paste(&text),
            Msg::Key(k) if k.kind == KeyEventKind::Release => {
                self.dirty = false;
                vec![]
            }
            Msg::Key(k) => self.key(k),
            Msg::Worker(ev) => self.worker(ev),
        }
    }

    fn paste(&mut self, text: &str) -> Vec<Cmd> {
        match &mut self.overlay {
            Overlay::Command(input) | Overlay::Filter(input) => {
                input.text.push_str(text.lines().next().unwrap_or_default());
                if let Overlay::Filter(input) = &self.overlay {
                    let f = input.text.clone();
                    self.results.set_filter(&f);
                }
            }
            Overlay::Form(form) => form.paste(text),
            Overlay::None => {
                // A paste always lands in the accounts editor, as one edit.
                self.focus = Pane::Accounts;
                let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
                self.editor.insert_str(normalized);
                self.recount();
                let n = text.lines().count();
                self.info(format!("pasted {n} lines"));
            }
            _ => {}
        }
        vec![]
    }

    /// Normalize what the editor holds, for the counts under it and for a run.
    pub fn editor_input(&self) -> Normalized {
        let mut n = engine::Normalizer::new();
        for line in self.editor.lines() {
            n.push_line(line);
        }
        n.finish()
    }

    fn recount(&mut self) {
        let n = self.editor_input();
        self.input_stats = InputStats { accounts: n.total(), duplicates: n.duplicates, invalid: n.invalid.len() };
    }

    /// Replace the editor's text (`:load`).
    pub fn set_accounts_text(&mut self, text: &str) {
        self.editor.select_all();
        self.editor.cut();
        self.editor.insert_str(text.replace("\r\n", "\n"));
        self.recount();
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            self.should_quit = true;
            return vec![];
        }
        // Test-only triggers, so the terminal tests can prove every exit path restores it.
        if std::env::var_os("TIMX_TEST_TRIGGERS").is_some() {
            match k.code {
                KeyCode::F(12) => panic!("test-only panic trigger"),
                KeyCode::F(11) => {
                    self.fatal = Some("test-only error trigger".into());
                    return vec![];
                }
                _ => {}
            }
        }
        if self.too_small() {
            if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                self.should_quit = true;
            }
            return vec![];
        }
        if !matches!(self.overlay, Overlay::None) {
            return self.overlay_key(k);
        }
        let context = match self.focus {
            Pane::Profiles => Context::Profiles,
            Pane::Results => Context::Results,
            _ => Context::Global,
        };
        match keymap::lookup(&k, context, self.editing()) {
            Some(a) => self.action(a),
            None if self.editing() => {
                if self.editor.input(k) {
                    self.recount();
                }
                vec![]
            }
            None => {
                self.dirty = false;
                vec![]
            }
        }
    }

    fn action(&mut self, a: Action) -> Vec<Cmd> {
        let page = self.results_height().max(1) as isize;
        match a {
            Action::Quit | Action::ForceQuit => self.should_quit = true,
            Action::NextPane => self.focus = self.focus.step(1),
            Action::PrevPane => self.focus = self.focus.step(-1),
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Run => return self.run(),
            Action::Cancel => return self.escape(),
            Action::CommandLine => self.overlay = Overlay::Command(LineInput::default()),
            Action::NewProfile => self.overlay = Overlay::Form(Box::new(ProfileForm::new(self.config.path.clone()))),
            Action::Refresh => {
                if let Some(i) = self.active {
                    return self.activate(i);
                }
            }
            Action::Probe => return self.probe(),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.navigate(a, page)
            }
            Action::Open => match self.focus {
                Pane::Profiles => return self.activate(self.profile_cursor),
                Pane::Results if self.results.selected_record().is_some() && self.tab != Tab::Summary => {
                    // The detail stays on this account while rows stream in around it.
                    self.results.pin_current();
                    self.overlay = Overlay::Detail { scroll: 0 }
                }
                _ => {}
            },
            Action::Left => self.results.column = self.results.column.saturating_sub(1),
            Action::Right => self.results.column = (self.results.column + 1).min(self.column_count().saturating_sub(1)),
            Action::Filter => self.overlay = Overlay::Filter(LineInput { text: self.results.filter.clone() }),
            Action::SortColumn | Action::SortReverse => {
                let key = self.column_key(self.results.column);
                let desc = match &self.results.sort {
                    Some((k, d)) if *k == key => {
                        if a == Action::SortReverse {
                            !d
                        } else {
                            *d
                        }
                    }
                    _ => a == Action::SortReverse,
                };
                self.results.set_sort(key, desc);
            }
            Action::NextTab => self.set_tab(match self.tab {
                Tab::Attrs => Tab::Tags,
                Tab::Tags => Tab::Summary,
                Tab::Summary => Tab::Attrs,
            }),
            Action::TabAttrs => self.set_tab(Tab::Attrs),
            Action::TabTags => self.set_tab(Tab::Tags),
            Action::TabSummary => self.set_tab(Tab::Summary),
            Action::NextAttr => {
                let n = self.attr_names.columns().len().max(1);
                self.summary_attr = (self.summary_attr + 1) % n;
            }
            Action::Export => {
                self.overlay = Overlay::Command(LineInput { text: "export timx-results.csv".into() });
            }
            Action::CopyAccount => {
                if let Some(r) = self.results.selected_record() {
                    return self.copy(r.account.clone());
                }
            }
            Action::CopyRow => {
                if let Some(r) = self.results.selected_record() {
                    return self.copy(serde_json::to_string(&r).unwrap_or_default());
                }
            }
            Action::CopyAccounts => {
                self.results.finish_filter();
                let r = &self.results;
                let text: Vec<&str> = r.view().iter().filter_map(|i| r.row(*i)).map(|(row, _)| row.account()).collect();
                return self.copy(text.join("\n"));
            }
        }
        vec![]
    }

    fn navigate(&mut self, a: Action, page: isize) {
        match self.focus {
            Pane::Profiles => {
                let n = self.profiles.len();
                if n > 0 {
                    self.profile_cursor = match a {
                        Action::Up => self.profile_cursor.saturating_sub(1),
                        Action::Down => (self.profile_cursor + 1).min(n - 1),
                        Action::Top | Action::PageUp => 0,
                        _ => n - 1,
                    };
                }
            }
            Pane::Results => {
                match a {
                    Action::Up => self.results.move_by(-1),
                    Action::Down => self.results.move_by(1),
                    Action::PageUp => self.results.move_by(-page),
                    Action::PageDown => self.results.move_by(page),
                    Action::Top => self.results.move_by(isize::MIN / 2),
                    _ => self.results.select_last(),
                }
                let h = self.results_height();
                self.results.scroll_into_view(h);
            }
            _ => self.dirty = false,
        }
    }

    /// Another tab has other columns: the column cursor starts again at the first.
    fn set_tab(&mut self, tab: Tab) {
        if tab != self.tab {
            self.tab = tab;
            self.results.column = 0;
        }
    }

    /// Columns of the current results tab: account, status, then attributes or tags.
    pub fn column_count(&self) -> usize {
        match self.tab {
            Tab::Attrs => 2 + self.attr_names.columns().len(),
            Tab::Tags => 3,
            Tab::Summary => 0,
        }
    }

    fn column_key(&self, col: usize) -> SortKey {
        match (self.tab, col) {
            (_, 0) => SortKey::Account,
            (_, 1) => SortKey::Status,
            (Tab::Attrs, c) => {
                self.attr_names.columns().get(c - 2).cloned().map(SortKey::Attr).unwrap_or(SortKey::Account)
            }
            _ => SortKey::Tags,
        }
    }

    fn escape(&mut self) -> Vec<Cmd> {
        if let Some(job) = &self.job
            && job.running()
        {
            let id = job.id;
            self.warn("cancelling… what finished stays");
            return vec![Cmd::Cancel(id)];
        }
        if self.focus == Pane::Accounts {
            self.focus = Pane::Results;
        } else if !self.results.filter.is_empty() {
            self.results.set_filter("");
            self.info("filter cleared");
        } else {
            self.dirty = false;
        }
        vec![]
    }

    fn copy(&mut self, text: String) -> Vec<Cmd> {
        match super::clipboard::check_size(&text) {
            Ok(()) => {
                self.info(format!(
                    "sent to terminal (OSC 52): {} bytes — the terminal decides whether to accept it",
                    text.len()
                ));
                vec![Cmd::Clipboard(text)]
            }
            Err(e) => {
                self.error(e);
                vec![]
            }
        }
    }

    /// Use profile `i`: show it in the header and read its attribute names.
    fn activate(&mut self, i: usize) -> Vec<Cmd> {
        let Some(p) = self.profiles.get(i).cloned() else { return vec![] };
        self.active = Some(i);
        self.profile_cursor = i;
        let fetch = self.attr_names.fetch + 1;
        self.attr_names = AttrNamesState { fetch, profile: p.name.clone(), loading: true, names: None, error: None };
        self.summary_attr = 0;
        self.info(format!("profile {}: reading attribute names…", p.name));
        vec![Cmd::FetchAttrNames { fetch, profile: p }]
    }

    fn run(&mut self) -> Vec<Cmd> {
        let Some(profile) = self.active_profile().cloned() else {
            self.error("pick a profile first: Enter in the Profiles pane");
            return vec![];
        };
        if self.job.as_ref().is_some_and(JobState::running) {
            self.warn("a job is running; Esc cancels it");
            return vec![];
        }
        let input = self.editor_input();
        if input.total() == 0 {
            self.error("no accounts: paste or type them in the Accounts pane (Tab to get there)");
            self.focus = Pane::Accounts;
            return vec![];
        }
        let id = self.next_job;
        self.next_job += 1;
        // The filter carries over to the new job's rows (reset keeps it applied).
        self.results.reset(input.total());
        self.job = Some(JobState {
            id,
            profile: profile.name.clone(),
            started: Instant::now(),
            progress: Progress { total: input.total() as u64, ..Progress::default() },
            summary: None,
        });
        self.focus = Pane::Results;
        self.info(format!("running {} accounts on {}… Esc cancels", input.total(), profile.name));
        vec![Cmd::RunJob { job: id, profile, kind: JobKind::Inspect, input: Arc::new(input) }]
    }

    fn probe(&mut self) -> Vec<Cmd> {
        match self.active_profile() {
            Some(p) if matches!(p.endpoint, Endpoint::Region { .. }) => {
                let p = p.clone();
                self.info(format!("probing every region for SDKAppID {}…", p.sdkappid));
                vec![Cmd::Probe(p)]
            }
            Some(_) => {
                self.warn("probing regions needs a profile with a region, not a base URL");
                vec![]
            }
            None => {
                self.error("pick a profile first");
                vec![]
            }
        }
    }

    fn overlay_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let esc = k.code == KeyCode::Esc;
        match &mut self.overlay {
            Overlay::Help { scroll } | Overlay::Detail { scroll } | Overlay::Info { scroll, .. } => {
                match k.code {
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter | KeyCode::Char('?') | KeyCode::F(1) => {
                        self.overlay = Overlay::None
                    }
                    KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                    KeyCode::PageDown => *scroll = scroll.saturating_add(10),
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                    KeyCode::Char('y') if matches!(self.overlay, Overlay::Detail { .. }) => {
                        return self.action(Action::CopyAccount);
                    }
                    KeyCode::Char('Y') if matches!(self.overlay, Overlay::Detail { .. }) => {
                        return self.action(Action::CopyRow);
                    }
                    _ => self.dirty = false,
                }
                vec![]
            }
            Overlay::Filter(input) => {
                if esc {
                    self.overlay = Overlay::None;
                    self.results.set_filter("");
                } else if k.code == KeyCode::Enter {
                    self.overlay = Overlay::None;
                    self.focus = Pane::Results;
                } else if input.key(&k) {
                    let f = input.text.clone();
                    self.results.set_filter(&f);
                }
                vec![]
            }
            Overlay::Command(input) => {
                if esc {
                    self.overlay = Overlay::None;
                } else if k.code == KeyCode::Enter {
                    let line = input.text.clone();
                    self.overlay = Overlay::None;
                    return self.command(&line);
                } else {
                    input.key(&k);
                }
                vec![]
            }
            Overlay::Form(form) => {
                match form.key(&k) {
                    FormOutcome::Continue => {}
                    FormOutcome::Cancel => {
                        self.overlay = if self.profiles.is_empty() { Overlay::FirstRun } else { Overlay::None }
                    }
                    FormOutcome::Save(profile) => return self.save_profile(*profile),
                }
                vec![]
            }
            Overlay::FirstRun => {
                match k.code {
                    KeyCode::Char('d') => {
                        self.overlay = Overlay::None;
                        self.info("starting the demo emulator…");
                        return vec![Cmd::StartDemo];
                    }
                    KeyCode::Char('n') => {
                        self.overlay = Overlay::Form(Box::new(ProfileForm::new(self.config.path.clone())))
                    }
                    KeyCode::Char('q') | KeyCode::Esc => self.should_quit = true,
                    _ => self.dirty = false,
                }
                vec![]
            }
            Overlay::None => vec![],
        }
    }

    fn save_profile(&mut self, profile: Profile) -> Vec<Cmd> {
        if let Err(e) = self.config.save_profile(&profile) {
            if let Overlay::Form(form) = &mut self.overlay {
                form.error = Some(format!("cannot save: {e:#}"));
            }
            return vec![];
        }
        self.overlay = Overlay::None;
        let i = match self.profiles.iter().position(|p| p.name == profile.name) {
            Some(i) => {
                self.profiles[i] = profile;
                i
            }
            None => {
                self.profiles.push(profile);
                self.profiles.len() - 1
            }
        };
        let path = self.config.path.display().to_string();
        let cmds = self.activate(i);
        self.info(format!("saved to {path}; reading attribute names…"));
        cmds
    }

    /// The `:` command line.
    pub fn command(&mut self, line: &str) -> Vec<Cmd> {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        match cmd {
            "" => {}
            "q" | "quit" => self.should_quit = true,
            "run" => return self.run(),
            "probe" => return self.probe(),
            "help" => self.overlay = Overlay::Help { scroll: 0 },
            "new" => self.overlay = Overlay::Form(Box::new(ProfileForm::new(self.config.path.clone()))),
            "profile" => match rest.first().and_then(|n| self.profiles.iter().position(|p| p.name == *n)) {
                Some(i) => return self.activate(i),
                None => {
                    let names: Vec<&str> = self.profiles.iter().map(|p| p.name.as_str()).collect();
                    self.error(format!("no such profile; known: {}", names.join(", ")));
                }
            },
            "family" => match (rest.first().map(|f| f.parse::<Family>()), self.active) {
                (Some(Ok(f)), Some(i)) => {
                    self.profiles[i].family = f;
                    return self.activate(i);
                }
                (Some(Err(e)), _) => self.error(e),
                (None, _) => self.error("usage: family all_member_push|timpush"),
                (_, None) => self.error("pick a profile first"),
            },
            "export" => match rest.first() {
                Some(path) => self.export(Path::new(path), rest.get(1) == Some(&"filtered")),
                None => self.error("usage: export PATH [filtered]   (format from the extension: .csv .json .ndjson)"),
            },
            "load" => match rest.first() {
                Some(path) => match std::fs::read(path) {
                    Ok(bytes) => {
                        self.set_accounts_text(&String::from_utf8_lossy(&bytes));
                        self.focus = Pane::Accounts;
                        self.info(format!("loaded {} accounts from {path}", self.input_stats.accounts));
                    }
                    Err(e) => self.error(format!("cannot read {path}: {e}")),
                },
                None => self.error("usage: load PATH"),
            },
            other => self.error(format!(
                "unknown command {:?}; try: run, profile NAME, family F, export PATH [filtered], load PATH, probe, new, help, quit",
                crate::text::escape(other)
            )),
        }
        vec![]
    }

    fn export(&mut self, path: &Path, filtered: bool) {
        let Some(format) = Format::from_path(path).filter(|f| *f != Format::Table) else {
            self.error("export needs a .csv, .json or .ndjson file name");
            return;
        };
        let columns = Columns { attr_names: self.attr_names.columns(), attrs: true, tags: true };
        if filtered {
            self.results.finish_filter();
        }
        let result = (|| -> anyhow::Result<usize> {
            let mut file = crate::private_file::PrivateFile::create(path)?;
            let mut w = export::writer(format, columns, std::io::BufWriter::new(&mut file))?;
            let mut n = 0;
            let rows: Box<dyn Iterator<Item = engine::Record>> =
                if filtered { Box::new(self.results.shown()) } else { Box::new(self.results.all()) };
            for r in rows {
                w.write(&r)?;
                n += 1;
            }
            w.finish()?;
            drop(w);
            file.commit()?;
            Ok(n)
        })();
        match result {
            Ok(n) => self.info(format!("exported {n} rows to {}", path.display())),
            Err(e) => self.error(format!("export failed: {e:#}")),
        }
    }

    fn worker(&mut self, ev: WorkerEvent) -> Vec<Cmd> {
        match ev {
            WorkerEvent::AttrNames { fetch, profile, result } => {
                if fetch != self.attr_names.fetch {
                    self.dirty = false;
                    return vec![];
                }
                self.attr_names.loading = false;
                match result {
                    Ok(names) => {
                        let n = names.attr_names.len();
                        self.attr_names.names = Some(names);
                        self.attr_names.error = None;
                        let hint = match self.input_stats.accounts {
                            0 => " — paste accounts in the Accounts pane, then Ctrl-R".to_string(),
                            k => format!(" — Ctrl-R runs the {k} accounts in the editor"),
                        };
                        self.info(format!("profile {profile}: {n} attribute names{hint}"));
                    }
                    Err(e) => {
                        let ex = engine::ErrorDetail::from_call(&e, 1);
                        let hint = if ex.wrong_region() { " — press p to probe the other regions" } else { "" };
                        self.error(format!("{}: {}{hint}", ex.label, ex.meaning));
                        self.attr_names.error = Some(ex);
                    }
                }
            }
            WorkerEvent::Job { job, event } => {
                let Some(state) = self.job.as_mut().filter(|j| j.id == job) else {
                    self.dirty = false;
                    return vec![];
                };
                match event {
                    Event::Started { .. } => {}
                    Event::Batch(records) => {
                        self.results.insert(records);
                    }
                    Event::Progress(p) => state.progress = p,
                    Event::Finished(s) => {
                        let line = s.line();
                        let failed = s.count(engine::Status::Failed) > 0 || s.aborted.is_some();
                        state.summary = Some(s);
                        if failed { self.warn(line) } else { self.info(line) }
                    }
                }
                let h = self.results_height();
                self.results.scroll_into_view(h);
            }
            WorkerEvent::JobError { job, message } => {
                if let Some(state) = self.job.as_mut().filter(|j| j.id == job) {
                    state.summary = Some(Summary::default());
                }
                self.error(message);
            }
            WorkerEvent::Probe { profile, results } => {
                let mut lines =
                    vec![format!("SDKAppID of profile {profile}, asked in every data center:"), String::new()];
                let mut home = Vec::new();
                for (region, r) in &results {
                    let verdict = match r {
                        Ok(()) => {
                            home.push(region.clone());
                            "answers: this is the app's data center".to_string()
                        }
                        Err(e) if matches!(e.code(), Some(70016 | 70020)) => "not here (70016/70020)".to_string(),
                        Err(e) => {
                            // Another error still proves the app exists here (e.g. 90045 feature off).
                            if e.code().is_some() {
                                home.push(region.clone());
                            }
                            format!("{}: {}", e.label(), codes::lookup(e.code().unwrap_or(0)).meaning)
                        }
                    };
                    lines.push(format!("{region:<16} {verdict}"));
                }
                lines.push(String::new());
                lines.push(match home.as_slice() {
                    [] => "No region recognised the SDKAppID; check it in the console.".into(),
                    [r] => format!("Set region = \"{r}\" in the profile."),
                    many => format!("Several regions answered: {}", many.join(", ")),
                });
                self.overlay = Overlay::Info { title: "Region probe".into(), lines, scroll: 0 };
            }
            WorkerEvent::DemoReady(profile) => {
                let name = profile.name.clone();
                self.profiles.retain(|p| p.name != name);
                self.profiles.push(profile);
                let i = self.profiles.len() - 1;
                if matches!(self.overlay, Overlay::FirstRun) {
                    self.overlay = Overlay::None;
                }
                let cmds = self.activate(i);
                if self.editor.is_empty() {
                    self.set_accounts_text(crate::demo::SAMPLE_ACCOUNTS);
                }
                self.info("demo ready: sample accounts are in the Accounts pane — press Ctrl-R to run");
                return cmds;
            }
            WorkerEvent::Failed(message) => {
                self.attr_names.loading = false;
                self.error(message);
            }
        }
        vec![]
    }
}
