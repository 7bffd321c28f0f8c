//! File work off the loop thread's critical path: exports are written in steps between frames
//! (a million rows never freeze the screen), `:load` files are read by the worker, and the
//! profile form's save is done by the worker; each reports back as an event or a status.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{Config, Profile};
use crate::export::{self, Columns, Format, RecordWriter};
use crate::private_file::{Pending, PrivateFile};
use crate::tui::app::{App, Effect, Pane};
use crate::tui::msg::WorkerCmd;
use crate::tui::overlay::Overlay;

/// An export being written, a slice of rows per step.
pub(crate) struct ExportTask {
    path: PathBuf,
    writer: Box<dyn RecordWriter>,
    pending: Pending,
    /// Input indices of the rows to write, in order.
    rows: Vec<u32>,
    next: usize,
}

impl App {
    /// `:export PATH [filtered]`: open the file and start writing in steps.
    pub(crate) fn start_export(&mut self, path: PathBuf, filtered: bool) {
        let Some(format) = Format::from_path(&path).filter(|f| *f != Format::Table) else {
            self.error("export needs a .csv, .json or .ndjson file name");
            return;
        };
        // Opening a FIFO waits for a reader, and a device or terminal would take the rows at its
        // own pace: the explorer's one thread would freeze (Ctrl-C too). `timx export -o` writes there.
        if let Some(what) = std::fs::metadata(&path).ok().as_ref().and_then(crate::paths::not_regular) {
            self.error(format!(
                "export failed: {} is {what}; the explorer exports to a regular file (timx inspect … -o writes to \
                 anything)",
                crate::paths::shown(&path)
            ));
            return;
        }
        self.finish_export();
        let rows: Vec<u32> = if filtered {
            self.results.finish_filter();
            self.results.view().to_vec()
        } else {
            (0..self.results.total() as u32).filter(|i| self.results.row(*i).is_some()).collect()
        };
        let columns = Columns { attr_names: self.attr_names.columns(), attrs: true, tags: true };
        let opened = PrivateFile::create(&path).and_then(|f| f.into_parts()).and_then(|(file, pending)| {
            let writer = export::writer(format, columns, std::io::BufWriter::new(file))?;
            Ok((writer, pending))
        });
        match opened {
            Ok((writer, pending)) => {
                self.export = Some(ExportTask { path, writer, pending, rows, next: 0 });
                self.poll_export(Duration::from_millis(8));
            }
            Err(e) => self.error(format!("export failed: {e:#}")),
        }
    }

    /// Write rows for up to `budget`; the last step closes the file and puts it in place.
    pub(crate) fn poll_export(&mut self, budget: Duration) {
        let Some(task) = self.export.as_mut() else { return };
        let start = Instant::now();
        let mut failed = None;
        while task.next < task.rows.len() && start.elapsed() < budget {
            let end = (task.next + 512).min(task.rows.len());
            for i in &task.rows[task.next..end] {
                if let Some(r) = self.results.get(*i)
                    && let Err(e) = task.writer.write(&r)
                {
                    failed = Some(e.into());
                    break;
                }
            }
            task.next = end;
            if failed.is_some() {
                break;
            }
        }
        let (done, total, path) = (task.next, task.rows.len(), task.path.display().to_string());
        if failed.is_none() && done < total {
            self.info(format!("exporting {done}/{total} rows to {path}…"));
            return;
        }
        let Some(task) = self.export.take() else { return };
        match failed.map_or_else(|| close(task), Err) {
            Ok(n) => self.info(format!("exported {n} rows to {path}")),
            Err(e) => self.error(format!("export failed: {e:#}")),
        }
    }

    /// Write whatever is left of an export now (before its rows are replaced).
    pub(crate) fn finish_export(&mut self) {
        while self.export.is_some() {
            self.poll_export(Duration::from_secs(3600));
        }
    }

    pub(crate) fn loaded(&mut self, path: &Path, result: Result<String, String>) -> Effect {
        match result {
            Ok(text) => {
                self.set_accounts_text(&text);
                self.focus = Pane::Accounts;
                self.info(format!("loaded {} accounts from {}", self.input_stats.accounts, crate::paths::shown(path)));
            }
            // The worker's message names the file (and what it is, when not a regular file).
            Err(e) => self.error(e),
        }
        Effect::redraw()
    }

    /// The form is filled in: the worker writes the config file. Not while a write holds the
    /// app (a saved profile is switched to): the form stays open and says why.
    pub(crate) fn save_profile(&mut self, profile: Profile) -> Effect {
        if let Some(why) = self.holding() {
            if let Overlay::Form(form) = &mut self.overlay {
                form.error = Some(format!("not saved now: {why}"));
            }
            self.error(format!("profile {} not saved now: {why}", profile.name));
            return Effect::redraw();
        }
        self.info(format!("saving profile {} to {}…", profile.name, self.config.path.display()));
        let config = Box::new(self.config.clone());
        Effect::run(vec![WorkerCmd::SaveProfile { config, profile: Box::new(profile) }.into()])
    }

    pub(crate) fn profile_saved(&mut self, config: Config, profile: Profile, result: Result<(), String>) -> Effect {
        if let Err(e) = result {
            match &mut self.overlay {
                Overlay::Form(form) => form.error = Some(format!("cannot save: {e}")),
                _ => self.error(format!("cannot save the profile: {e}")),
            }
            return Effect::redraw();
        }
        self.config = config;
        if matches!(self.overlay, Overlay::Form(_)) {
            self.overlay = Overlay::None;
        }
        let what = format!("profile {} saved", profile.name);
        // While a write holds the app it is listed, not switched to (the status says so).
        let Some(cmds) = self.offer_profile(profile, &what) else { return Effect::redraw() };
        let path = self.config.path.display().to_string();
        self.info(format!("saved to {path}; reading attribute names…"));
        Effect::run(cmds)
    }
}

/// Close the writer and put the file in place; the number of rows written.
fn close(mut task: ExportTask) -> anyhow::Result<usize> {
    task.writer.finish()?;
    drop(task.writer);
    task.pending.commit()?;
    Ok(task.rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Record, Status};

    fn app_with_rows(n: u32) -> App {
        let mut app = App::new(Config::default(), vec![], None, crate::tui::theme::Theme::new(false));
        app.overlay = Overlay::None;
        app.results.reset(n as usize);
        app.results.insert(
            (0..n)
                .map(|i| Record {
                    tags: Some(vec![format!("t{}", i % 3)]),
                    ..Record::new(i, &format!("u{i}"), Status::Found)
                })
                .collect(),
        );
        app
    }

    #[test]
    fn a_large_export_is_written_in_steps_and_put_in_place_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let mut app = app_with_rows(200_000);
        app.start_export(path.clone(), false);
        // The first step does not write everything: the loop stays free between steps.
        assert!(app.background_pending(), "{:?}", app.status);
        assert!(!path.exists(), "the file appears only when complete");
        let mut steps = 1;
        while app.background_pending() {
            app.poll_export(Duration::from_millis(1));
            steps += 1;
        }
        assert!(steps > 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 200_000);
        assert!(app.status.as_ref().unwrap().text.starts_with("exported 200000 rows"));
    }

    #[test]
    fn an_export_to_a_name_without_a_format_is_refused() {
        let mut app = app_with_rows(3);
        app.start_export(PathBuf::from("out.txt"), false);
        assert!(app.export.is_none());
        assert!(app.status.as_ref().unwrap().text.contains(".csv, .json or .ndjson"));
    }
}
