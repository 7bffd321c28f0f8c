//! App state and the `update` router: every change of state happens in response to one `Msg`,
//! routed by where it came from (keys, paste, worker events) to the modules under `update/`,
//! and may return commands for the worker or the terminal. Drawing is elsewhere (`view`) and
//! only reads.

use std::time::Instant;

use crossterm::event::KeyEventKind;
use ratatui_textarea::TextArea;

use super::keymap::Context;
use super::msg::{Cmd, Msg};
use super::overlay::Overlay;
use super::results::{Results, Tab};
use super::theme::Theme;
use super::update::files::ExportTask;
use crate::api::wire::AttrNames;
use crate::config::{Config, Profile};
use crate::engine::{self, Normalized, Progress, Summary};

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
    pub(crate) fn step(self, d: isize) -> Pane {
        super::cycle(&Pane::ORDER, self, d)
    }
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
    /// A job on `profile` that starts now with `total` accounts.
    pub fn new(id: u64, profile: &str, total: u64) -> JobState {
        JobState {
            id,
            profile: profile.to_owned(),
            started: Instant::now(),
            progress: Progress { total, ..Progress::default() },
            summary: None,
        }
    }

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

/// What a handler did: whether the screen must be redrawn, and what must be run.
#[derive(Debug, Default)]
pub(crate) struct Effect {
    pub changed: bool,
    pub cmds: Vec<Cmd>,
}

impl Effect {
    /// Nothing changed: no frame.
    pub fn none() -> Effect {
        Effect::default()
    }
    pub fn redraw() -> Effect {
        Effect { changed: true, cmds: vec![] }
    }
    pub fn run(cmds: Vec<Cmd>) -> Effect {
        Effect { changed: true, cmds }
    }
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
    /// `:trace TASKID` of some result rows.
    pub trace: Option<crate::tui::post_send::TraceView>,
    /// `:stats TASKID…`, drawn in the summary.
    pub stats: Option<crate::tui::post_send::StatsView>,
    /// The `:scheduled` answer awaited (its job id): only the latest is shown.
    pub scheduled_job: Option<u64>,
    pub(crate) next_job: u64,
    /// An export being written in steps between frames.
    pub(crate) export: Option<ExportTask>,
    pub status: Option<StatusMsg>,
    pub size: (u16, u16),
    pub theme: Theme,
    pub config: Config,
    pub should_quit: bool,
    /// Set by `update` when something visible changed.
    pub dirty: bool,
    /// An error that must end the session (the loop returns it after restoring the terminal).
    pub fatal: Option<String>,
    /// F11/F12 raise an error/panic, for the terminal tests (`TIMX_TEST_TRIGGERS`, read once).
    pub(crate) test_triggers: bool,
    /// `q` was pressed once while a job ran: the next key decides (q quits, anything else not).
    pub(crate) quit_armed: bool,
    /// The write being planned, applied or read back.
    pub write: Option<super::writes::WriteFlow>,
    pub last_write: Option<super::writes::LastWrite>,
    /// What `:undo` offers, per profile.
    pub(crate) last_undo: super::writes::Undos,
    /// A new version of the profile in use, saved while a write held the app: it applies once
    /// the write ends.
    pub(crate) deferred: Option<Profile>,
    /// The slot under the cursor in the attribute-names pane.
    pub attr_cursor: usize,
    /// A desired-state file being read for `:apply` / `:undo` (Esc forgets it).
    /// With the name its plan will carry (`apply x.csv`, `undo <file>`).
    pub(crate) loading_desired: Option<(std::path::PathBuf, String)>,
    /// `:load` reading this file; Esc stops it.
    pub(crate) loading: Option<(std::path::PathBuf, tokio_util::sync::CancellationToken)>,
    /// What to say once the attribute names are read again (after naming slots).
    pub(crate) after_names: Option<StatusMsg>,
    /// Where the push conditions applied before are kept (the state dir; tests put it elsewhere).
    pub audience_history: Option<std::path::PathBuf>,
    /// Where undo files go (the data dir's `undo/`; tests put it elsewhere).
    pub undo_dir: Option<std::path::PathBuf>,
}

impl App {
    pub fn new(config: Config, profiles: Vec<Profile>, select: Option<&str>, theme: Theme) -> App {
        let mut editor = TextArea::default();
        editor.set_placeholder_text("paste or type accounts, one per line");
        editor.set_cursor_line_style(ratatui::style::Style::default());
        let first_run = profiles.is_empty();
        let cursor = select.and_then(|n| profiles.iter().position(|p| p.name == n)).unwrap_or(0);
        App {
            profiles,
            profile_cursor: cursor,
            active: None,
            focus: Pane::Profiles,
            overlay: if first_run { Overlay::FirstRun } else { Overlay::None },
            attr_names: AttrNamesState::default(),
            editor,
            input_stats: InputStats::default(),
            results: Results::default(),
            tab: Tab::Attrs,
            summary_attr: 0,
            job: None,
            trace: None,
            stats: None,
            scheduled_job: None,
            next_job: 1,
            export: None,
            status: None,
            size: (MIN_WIDTH, MIN_HEIGHT),
            theme,
            config,
            should_quit: false,
            dirty: true,
            fatal: None,
            test_triggers: std::env::var_os("TIMX_TEST_TRIGGERS").is_some(),
            quit_armed: false,
            write: None,
            last_write: None,
            last_undo: super::writes::Undos::default(),
            deferred: None,
            attr_cursor: 0,
            after_names: None,
            loading_desired: None,
            loading: None,
            audience_history: crate::config::state_dir().map(|d| d.join("audience-history.json")),
            undo_dir: crate::config::data_dir().map(|d| d.join("undo")),
        }
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

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Info });
    }
    pub(crate) fn warn(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Warn });
    }
    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), level: Level::Error });
    }

    pub(crate) fn open(&mut self, overlay: Overlay) {
        self.overlay = overlay;
    }

    /// Where keys go now: the overlay's context, or the focused pane's.
    pub(crate) fn key_context(&self) -> Context {
        self.overlay.context().unwrap_or(match self.focus {
            Pane::Profiles => Context::Profiles,
            Pane::Results => Context::Results,
            Pane::AttrNames => Context::AttrNames,
            Pane::Accounts => Context::Global,
        })
    }

    /// The status-line hints for where keys go now.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        super::keymap::hints(self.key_context(), self.editing())
    }

    /// Work runs between frames (a large filter, an export) in steps.
    pub fn background_pending(&self) -> bool {
        self.results.filter_pending() || self.results.audience_pending() || self.export.is_some()
    }

    /// One step of background work between frames.
    pub fn poll_background(&mut self) {
        let budget = std::time::Duration::from_millis(8);
        if self.results.audience_pending() {
            self.results.poll_audience(budget);
        } else if self.results.filter_pending() {
            self.results.poll_filter(budget);
        } else {
            self.poll_export(budget);
        }
        self.dirty = true;
    }

    /// Rows the results table shows at the current size (for paging and scrolling).
    pub fn results_height(&self) -> usize {
        super::layout::layout(self).results_table.height as usize
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        let effect = match msg {
            Msg::Resize(w, h) => self.resize(w, h),
            Msg::Quit => {
                self.should_quit = true;
                Effect::redraw()
            }
            Msg::Paste(text) => self.paste(&text),
            Msg::Key(k) if k.kind == KeyEventKind::Release => Effect::none(),
            Msg::Key(k) => self.key(k),
            Msg::Worker(ev) => self.worker(ev),
        };
        self.dirty |= effect.changed;
        let mut cmds = effect.cmds;
        // A profile saved while a write held the app applies once it does not.
        cmds.extend(self.release());
        cmds
    }

    fn resize(&mut self, w: u16, h: u16) -> Effect {
        self.size = (w, h);
        let h = self.results_height();
        self.results.scroll_into_view(h);
        Effect::redraw()
    }

    fn paste(&mut self, text: &str) -> Effect {
        if self.overlay.paste(text) {
            if let Overlay::Filter(input) = &self.overlay {
                let f = input.text.clone();
                self.results.set_filter(&f);
            }
            return Effect::redraw();
        }
        if !matches!(self.overlay, Overlay::None) {
            return Effect::none();
        }
        // A paste always lands in the accounts editor, as one edit.
        self.focus = Pane::Accounts;
        let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        self.editor.insert_str(normalized);
        self.recount();
        self.info(format!("pasted {} lines", text.lines().count()));
        Effect::redraw()
    }

    /// Normalize what the editor holds, for the counts under it and for a run.
    pub fn editor_input(&self) -> Normalized {
        let mut n = engine::Normalizer::new();
        for line in self.editor.lines() {
            n.push_line(line);
        }
        n.finish()
    }

    pub(crate) fn recount(&mut self) {
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

    /// A job runs, or a write is being planned, applied or read back: one at a time.
    pub(crate) fn busy(&self) -> bool {
        self.job.as_ref().is_some_and(JobState::running) || self.write.is_some()
    }

    /// The id of the next job (reads, plans, writes and read-backs share one sequence).
    pub(crate) fn next_job_id(&mut self) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        id
    }
}
