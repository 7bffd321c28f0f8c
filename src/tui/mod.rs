//! The explorer TUI, Elm-shaped: `Msg` in, `update` changes `App` and returns `Cmd`s for the
//! worker, `view::draw` paints. The loop redraws only when something changed; an idle
//! screen sends nothing to the terminal.

pub mod app;
pub mod clipboard;
pub mod form;
pub mod keymap;
pub mod msg;
pub mod results;
pub mod rows;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod worker;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::config::{Config, Profile};
use app::App;
use msg::{Cmd, Msg};

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
    if launch.demo && matches!(app.overlay, app::Overlay::FirstRun) {
        app.overlay = app::Overlay::None;
    }
    if let Some(p) = launch.problems.first() {
        app.update(Msg::Worker(msg::WorkerEvent::Failed(p.clone())));
    }
    app
}

/// The commands that start a launch.
pub fn initial_cmds(app: &mut App, launch: &Launch) -> Vec<Cmd> {
    let mut cmds = app.init();
    if launch.demo {
        cmds.push(Cmd::StartDemo);
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

fn dispatch(cmds: Vec<Cmd>, worker: &UnboundedSender<Cmd>, term: &mut terminal::Term) {
    for cmd in cmds {
        match cmd {
            Cmd::Clipboard(text) => {
                if let Ok(seq) = clipboard::osc52(&text, clipboard::Mux::detect()) {
                    let out = term.backend_mut();
                    let _ = out.write_all(seq.as_bytes());
                    let _ = out.flush();
                }
            }
            other => {
                let _ = worker.send(other);
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
    worker: &UnboundedSender<Cmd>,
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
            // Background work (a large filter) runs in steps between frames and keys.
            _ = std::future::ready(()), if app.filter_pending() => {
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
