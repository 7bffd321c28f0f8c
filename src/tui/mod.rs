//! The explorer TUI, Elm-shaped: `Msg` in, `update` changes `App` and returns `Cmd`s for the
//! worker, `view::draw` paints. The loop redraws only when something changed; an idle
//! screen sends nothing to the terminal.

pub mod app;
pub(crate) mod clipboard;
pub mod commands;
pub mod key_overrides;
pub mod keymap;
pub(crate) mod layout;
pub mod msg;
pub mod overlay;
pub(crate) mod post_send;
mod post_worker;
pub(crate) mod probe;
pub mod results;
pub(crate) mod rows;
pub mod target;
pub(crate) mod terminal;
pub mod theme;
mod update;
pub mod view;
pub mod worker;
mod write_worker;
pub mod writes;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::config::{Config, Profile};
use app::App;
use msg::{Cmd, Msg, TerminalCmd, WorkerCmd};

/// The item `d` places from `current` in `items`, wrapping around (panes, form choices).
pub(crate) fn cycle<T: PartialEq + Copy>(items: &[T], current: T, d: isize) -> T {
    let i = items.iter().position(|x| *x == current).unwrap_or(0) as isize;
    items[(i + d).rem_euclid(items.len().max(1) as isize) as usize]
}

/// What the TUI starts with.
pub struct Launch {
    pub config: Config,
    pub profiles: Vec<Profile>,
    pub select: Option<String>,
    /// Start the in-process demo emulator and select its profile.
    pub demo: bool,
    /// Problems found in the config, shown in the status line.
    pub problems: Vec<String>,
}

/// Build the app for a launch (also used by tests, with any backend).
pub fn new_app(launch: &Launch, theme: theme::Theme) -> App {
    let mut app = App::new(launch.config.clone(), launch.profiles.clone(), launch.select.as_deref(), theme);
    if launch.demo && matches!(app.overlay, overlay::Overlay::FirstRun) {
        app.overlay = overlay::Overlay::None;
    }
    if let Some(p) = launch.problems.first() {
        app.error(p.clone());
    }
    app
}

/// The commands that start a launch.
pub fn initial_cmds(app: &mut App, launch: &Launch) -> Vec<Cmd> {
    let mut cmds = app.init();
    if launch.demo {
        cmds.push(WorkerCmd::StartDemo.into());
    }
    cmds
}

pub fn run(launch: Launch) -> anyhow::Result<ExitCode> {
    let rt =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let result = rt.block_on(async move {
        let (mut term, guard) = terminal::enter(launch.config.file.mouse).context("cannot set up the terminal")?;
        let result = event_loop(&mut term, launch).await;
        drop(guard);
        result
    });
    // A key command still running (a password manager at its prompt) must not keep us here.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    result?;
    Ok(ExitCode::SUCCESS)
}

fn dispatch(cmds: Vec<Cmd>, worker: &UnboundedSender<WorkerCmd>, term: &mut terminal::Term) {
    for cmd in cmds {
        match cmd {
            Cmd::Terminal(TerminalCmd::Clipboard(text)) => {
                if let Ok(seq) = clipboard::osc52(&text, clipboard::Mux::detect()) {
                    let out = term.backend_mut();
                    let _ = out.write_all(seq.as_bytes());
                    let _ = out.flush();
                }
            }
            Cmd::Worker(w) => {
                let _ = worker.send(w);
            }
        }
    }
}

async fn event_loop(term: &mut terminal::Term, launch: Launch) -> anyhow::Result<()> {
    let (events_tx, mut worker_rx) = unbounded_channel();
    let (worker, worker_task) = worker::spawn(events_tx);
    let result = update_loop(term, launch, &worker, &mut worker_rx).await;
    // Leaving, also mid-job: the worker cancels what runs and journals it before we go.
    drop(worker);
    drop(worker_rx);
    if tokio::time::timeout(std::time::Duration::from_secs(3), worker_task).await.is_err() {
        tracing::warn!("the worker did not finish within 3 s of quitting");
    }
    result
}

async fn update_loop(
    term: &mut terminal::Term,
    launch: Launch,
    worker: &UnboundedSender<WorkerCmd>,
    worker_rx: &mut tokio::sync::mpsc::UnboundedReceiver<msg::WorkerEvent>,
) -> anyhow::Result<()> {
    let mut app = new_app(&launch, theme::Theme::from_env());
    let size = term.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let cmds = initial_cmds(&mut app, &launch);
    dispatch(cmds, worker, term);

    let mut input = EventStream::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        if app.dirty {
            term.draw(|f| view::draw(&app, f))?;
            app.dirty = false;
        }
        if app.should_quit {
            break;
        }
        if let Some(e) = app.fatal.take() {
            anyhow::bail!(e);
        }
        let msg = tokio::select! {
            // Input first, so a key is answered even while results stream in.
            biased;
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(k))) => Msg::Key(k),
                Some(Ok(TermEvent::Paste(s))) => Msg::Paste(s),
                Some(Ok(TermEvent::Resize(w, h))) => Msg::Resize(w, h),
                // With `mouse = true`: the wheel moves the selection like ↑/↓.
                Some(Ok(TermEvent::Mouse(m))) => match m.kind {
                    MouseEventKind::ScrollDown => Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
                    MouseEventKind::ScrollUp => Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)),
                    _ => continue,
                },
                Some(Ok(_)) => continue,
                // The terminal is gone (e.g. the SSH link dropped).
                Some(Err(_)) | None => Msg::Quit,
            },
            Some(ev) = worker_rx.recv() => Msg::Worker(ev),
            // Background work (a large filter, an export) runs in steps between frames and keys.
            _ = std::future::ready(()), if app.background_pending() => {
                app.poll_background();
                continue;
            }
            _ = sigterm.recv() => Msg::Quit,
            _ = sighup.recv() => Msg::Quit,
        };
        let mut cmds = app.update(msg);
        // Take what else is queued from the worker before drawing: one frame per burst.
        for _ in 0..256 {
            match worker_rx.try_recv() {
                Ok(ev) => cmds.extend(app.update(Msg::Worker(ev))),
                Err(_) => break,
            }
        }
        dispatch(cmds, worker, term);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// README's key table and `:` command list are the tables themselves. To refresh README after
    /// changing a table: `TIMX_UPDATE_README=1 cargo test --lib readme`.
    #[test]
    fn readme_lists_match_the_keymap_and_the_command_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let mut readme = std::fs::read_to_string(&path).unwrap();
        for (name, table) in [("keys", super::keymap::markdown()), ("commands", super::commands::markdown())] {
            let (start, end) = (format!("<!-- {name}:start -->\n"), format!("<!-- {name}:end -->"));
            let a = readme.find(&start).unwrap_or_else(|| panic!("README has no {start}")) + start.len();
            let b = readme[a..].find(&end).unwrap() + a;
            if std::env::var_os("TIMX_UPDATE_README").is_some() {
                readme.replace_range(a..b, &table);
            } else {
                assert_eq!(readme[a..b], table, "README's {name} list differs from the table; see this test's doc");
            }
        }
        if std::env::var_os("TIMX_UPDATE_README").is_some() {
            std::fs::write(&path, readme).unwrap();
        }
    }
}
