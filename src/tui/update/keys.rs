//! Keys: the overlay on top gets them first (and says what it wants as an `Outcome`); else the
//! keymap turns them into actions for the focused pane.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::app::{App, Effect, Pane};
use crate::tui::commands;
use crate::tui::keymap::{self, Action};
use crate::tui::msg::{TerminalCmd, WorkerCmd};
use crate::tui::overlay::{ConditionEditor, LineInput, Outcome, Overlay, Popup, ProfileForm, condition};
use crate::tui::results::{SortKey, Tab};

impl App {
    pub(crate) fn key(&mut self, k: KeyEvent) -> Effect {
        let armed = std::mem::take(&mut self.quit_armed);
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.should_quit = true;
            return Effect::redraw();
        }
        if self.test_triggers {
            match k.code {
                KeyCode::F(12) => panic!("test-only panic trigger"),
                KeyCode::F(11) => {
                    self.fatal = Some("test-only error trigger".into());
                    return Effect::redraw();
                }
                _ => {}
            }
        }
        if self.too_small() {
            if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                self.should_quit = true;
            }
            return Effect::none();
        }
        if !matches!(self.overlay, Overlay::None) {
            let outcome = self.overlay.key(&k);
            return self.outcome(outcome);
        }
        match keymap::lookup(&k, self.key_context(), self.editing()) {
            Some(Action::Quit) => self.quit(armed),
            Some(a) => self.action(a),
            None if self.editing() => {
                if self.editor.input(k) {
                    self.recount();
                }
                Effect::redraw()
            }
            None => Effect::none(),
        }
    }

    /// Act on what an overlay asked for.
    fn outcome(&mut self, outcome: Outcome) -> Effect {
        match outcome {
            Outcome::Ignored => Effect::none(),
            Outcome::Changed => {
                if let Overlay::Filter(input) = &self.overlay {
                    let f = input.text.clone();
                    self.results.set_filter(&f);
                }
                Effect::redraw()
            }
            Outcome::Close if matches!(self.overlay, Overlay::Plan(_)) => self.back_out(),
            Outcome::Close => {
                if matches!(self.overlay, Overlay::Filter(_)) {
                    self.results.set_filter("");
                }
                let back_to_first_run = matches!(self.overlay, Overlay::Form(_)) && self.profiles.is_empty();
                self.overlay = if back_to_first_run { Overlay::FirstRun } else { Overlay::None };
                Effect::redraw()
            }
            Outcome::Submit(text) => match std::mem::replace(&mut self.overlay, Overlay::None) {
                Overlay::Command(_) => Effect::run(commands::run(self, &text)),
                Overlay::Unlock(_) => self.unlock(&text),
                Overlay::Condition(_) => {
                    commands::apply_audience(self, text);
                    Effect::redraw()
                }
                _ => {
                    self.focus = Pane::Results;
                    Effect::redraw()
                }
            },
            Outcome::Save(profile) => self.save_profile(*profile),
            Outcome::Review(desired) => self.review_edit(*desired),
            Outcome::Confirm => self.confirm_write(),
            Outcome::Do(Action::Complete) => {
                let names: Vec<String> = self.profiles.iter().map(|p| p.name.clone()).collect();
                if let Overlay::Command(input) = &mut self.overlay {
                    input.text = commands::complete(&input.text, &names);
                }
                Effect::redraw()
            }
            Outcome::Do(Action::StartDemo) => {
                self.overlay = Overlay::None;
                self.info("starting the demo emulator…");
                Effect::run(vec![WorkerCmd::StartDemo.into()])
            }
            Outcome::Do(a) => self.action(a),
        }
    }

    pub(crate) fn action(&mut self, a: Action) -> Effect {
        match a {
            Action::Quit => return self.quit(false),
            Action::ForceQuit => self.should_quit = true,
            Action::NextPane => self.focus = self.focus.step(1),
            Action::PrevPane => self.focus = self.focus.step(-1),
            Action::Help => self.open(Overlay::Help(Popup::default())),
            Action::Run => return Effect::run(self.run()),
            Action::Cancel => return self.escape(),
            Action::CommandLine => self.open(Overlay::Command(LineInput::default())),
            Action::NewProfile => self.open(Overlay::Form(Box::new(ProfileForm::new(self.config.path.clone())))),
            Action::Refresh => return Effect::run(self.reload_names()),
            Action::Probe => return Effect::run(self.probe()),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                return self.navigate(a);
            }
            Action::Open => return self.open_selected(),
            Action::Filter => self.open(Overlay::Filter(LineInput::new(self.results.filter.clone()))),
            Action::Export => self.open(Overlay::Command(LineInput::new("export timx-results.csv"))),
            Action::Edit if self.focus == Pane::AttrNames => self.edit_slot(),
            Action::Edit => return self.edit_selected(),
            Action::ConditionEditor => self.open_condition_editor(),
            Action::TagAdd => self.rows_command_line("tag add ".into()),
            Action::TagRemove => self.rows_command_line("tag remove ".into()),
            _ => return self.results_action(a),
        }
        Effect::redraw()
    }

    /// `q`: quits, but asks first while a job runs (a second `q` quits; the job is cancelled and
    /// journaled). Ctrl-C always quits at once.
    fn quit(&mut self, armed: bool) -> Effect {
        let running = self.job.as_ref().is_some_and(crate::tui::app::JobState::running);
        if running && !armed {
            self.quit_armed = true;
            let (q, esc) = (keymap::key_for(Action::Quit), keymap::key_for(Action::Cancel));
            self.warn(format!(
                "a job is running: press {q} again to quit (the job is cancelled and journaled), {esc} to cancel it"
            ));
        } else {
            self.should_quit = true;
        }
        Effect::redraw()
    }

    /// Actions on the results table: columns, sorting, tabs, copies.
    fn results_action(&mut self, a: Action) -> Effect {
        match a {
            Action::Left => self.results.column = self.results.column.saturating_sub(1),
            Action::Right => self.results.column = (self.results.column + 1).min(self.column_count().saturating_sub(1)),
            Action::SortColumn | Action::SortReverse => {
                let key = self.column_key(self.results.column);
                let desc = match &self.results.sort {
                    Some((k, d)) if *k == key => *d != (a == Action::SortReverse),
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
                // The attributes, then the schema view.
                let n = self.attr_names.columns().len() + 1;
                self.summary_attr = (self.summary_attr + 1) % n;
            }
            Action::Mark => {
                if let Some(i) = self.results.selected_index() {
                    self.results.toggle_mark(i);
                    self.results.move_by(1);
                    let h = self.results_height();
                    self.results.scroll_into_view(h);
                    self.marks_status();
                }
            }
            Action::MarkAll => {
                self.results.mark_shown();
                self.marks_status();
            }
            Action::ClearMarks => {
                self.results.clear_marks();
                self.info("marks cleared: writes act on the shown rows");
            }
            Action::CopyAccount => return self.copy_selected(|r| r.account.clone()),
            Action::CopyRow => return self.copy_selected(|r| serde_json::to_string(r).unwrap_or_default()),
            Action::CopyAccounts => {
                self.results.finish_filter();
                let r = &self.results;
                let text: Vec<&str> = r.view().iter().filter_map(|i| r.row(*i)).map(|(row, _)| row.account()).collect();
                return self.copy(text.join("\n"));
            }
            _ => return Effect::none(),
        }
        Effect::redraw()
    }

    fn open_selected(&mut self) -> Effect {
        match self.focus {
            Pane::Profiles => Effect::run(self.switch_profile(self.profile_cursor)),
            Pane::Results if self.results.selected_record().is_some() && self.tab != Tab::Summary => {
                // The detail stays on this account while rows stream in around it.
                self.results.pin_current();
                self.open(Overlay::Detail(Popup::default()));
                Effect::redraw()
            }
            _ => Effect::none(),
        }
    }

    /// `A`: the condition editor, on the condition applied now (if any), with the history.
    fn open_condition_editor(&mut self) {
        let (Some(profile), Some(names)) = (self.active_profile(), self.attr_names.names.as_ref()) else {
            self.error("pick a profile and let its attribute names load first (they check the condition)");
            return;
        };
        let (family, names) = (profile.family, names.names_in_slot_order());
        let history = self.audience_history.as_deref().map(condition::load_history).unwrap_or_default();
        let text = self.results.audience.as_ref().map(|a| a.text.clone()).unwrap_or_default();
        self.open(Overlay::Condition(Box::new(ConditionEditor::new(text, history, family, names))));
    }

    fn marks_status(&mut self) {
        let n = self.results.marked();
        let (add, clear) = (keymap::key_for(Action::TagAdd), keymap::key_for(Action::ClearMarks));
        self.info(format!("{n} marked: :tag, :attr and {add} act on them ({clear} clears the marks)"));
    }

    /// `e` in the attribute-names pane: the command line, ready to name the slot.
    fn edit_slot(&mut self) {
        let slot = self.attr_cursor;
        let name = self.attr_names.names.as_ref().and_then(|n| n.slots().nth(slot)).and_then(|s| s.name);
        self.write_command_line(format!("attr-name {slot} {}", name.unwrap_or_default()));
    }

    fn navigate(&mut self, a: Action) -> Effect {
        let page = self.results_height().max(1) as isize;
        match self.focus {
            Pane::Profiles if !self.profiles.is_empty() => {
                let n = self.profiles.len();
                self.profile_cursor = match a {
                    Action::Up => self.profile_cursor.saturating_sub(1),
                    Action::Down => (self.profile_cursor + 1).min(n - 1),
                    Action::Top | Action::PageUp => 0,
                    _ => n - 1,
                };
            }
            Pane::AttrNames => {
                let last = crate::api::ATTR_SLOTS - 1;
                self.attr_cursor = match a {
                    Action::Up => self.attr_cursor.saturating_sub(1),
                    Action::Down => (self.attr_cursor + 1).min(last),
                    Action::Top | Action::PageUp => 0,
                    _ => last,
                };
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
            _ => return Effect::none(),
        }
        Effect::redraw()
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

    /// Esc: cancel the job, else leave the editor, else clear the filter.
    fn escape(&mut self) -> Effect {
        if let Some(job) = &self.job
            && job.running()
        {
            let id = job.id;
            self.warn("cancelling… what finished stays");
            return Effect::run(vec![WorkerCmd::Cancel(id).into()]);
        }
        if let Some(t) = self.trace.as_ref().filter(|t| t.running()) {
            let id = t.job;
            self.warn("cancelling the trace… what finished stays");
            return Effect::run(vec![WorkerCmd::Cancel(id).into()]);
        }
        if let Some((path, _)) = self.loading_desired.take() {
            self.info(format!("stopped: {} will not be planned; nothing was written", path.display()));
        } else if let Some((path, stop)) = self.loading.take() {
            stop.cancel();
            self.info(format!("stopped loading {}: the accounts are as they were", crate::paths::shown(&path)));
        } else if self.focus == Pane::Accounts {
            self.focus = Pane::Results;
        } else if !self.results.filter.is_empty() {
            self.results.set_filter("");
            self.info("filter cleared");
        } else {
            return Effect::none();
        }
        Effect::redraw()
    }

    fn copy_selected(&mut self, text: impl Fn(&crate::engine::Record) -> String) -> Effect {
        match self.results.selected_record() {
            Some(r) => self.copy(text(&r)),
            None => Effect::none(),
        }
    }

    fn copy(&mut self, text: String) -> Effect {
        match crate::tui::clipboard::check_size(&text) {
            Ok(()) => {
                self.info(format!(
                    "sent to terminal (OSC 52): {} bytes — the terminal decides whether to accept it",
                    text.len()
                ));
                Effect::run(vec![TerminalCmd::Clipboard(text).into()])
            }
            Err(e) => {
                self.error(e);
                Effect::redraw()
            }
        }
    }
}
