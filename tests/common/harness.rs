//! The explorer in-process for end-to-end tests: the real worker runs real jobs against the
//! emulator over loopback while the test injects keys and reads state and the drawn screen.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use timx::tui::app::App;
use timx::tui::msg::{Cmd, Msg, TerminalCmd, WorkerCmd, WorkerEvent};
use timx::tui::theme::Theme;
use timx::tui::{self, Launch};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::buffer_text;

pub struct Harness {
    pub app: App,
    pub worker: UnboundedSender<WorkerCmd>,
    pub events: UnboundedReceiver<WorkerEvent>,
    pub clipboard: Vec<String>,
    pub term: Terminal<TestBackend>,
}

impl Harness {
    pub async fn start(launch: Launch) -> Harness {
        let (tx, events) = unbounded_channel();
        let (worker, _task) = tui::worker::spawn(tx);
        let mut app = tui::new_app(&launch, Theme::new(false));
        app.update(Msg::Resize(120, 40));
        let mut h =
            Harness { app, worker, events, clipboard: vec![], term: Terminal::new(TestBackend::new(120, 40)).unwrap() };
        let cmds = tui::initial_cmds(&mut h.app, &launch);
        h.dispatch(cmds);
        h.term.draw(|f| tui::view::draw(&h.app, f)).unwrap();
        h
    }

    pub fn dispatch(&mut self, cmds: Vec<Cmd>) {
        for c in cmds {
            match c {
                Cmd::Terminal(TerminalCmd::Clipboard(t)) => self.clipboard.push(t),
                Cmd::Worker(w) => self.worker.send(w).unwrap(),
            }
        }
    }

    pub fn send(&mut self, msg: Msg) {
        let cmds = self.app.update(msg);
        self.dispatch(cmds);
        // Every state must draw.
        self.term.draw(|f| tui::view::draw(&self.app, f)).unwrap();
    }

    pub fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn ctrl(&mut self, c: char) {
        self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
    }

    pub fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Feed worker events into the app until `done` holds.
    pub async fn wait_for(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(ev)) => self.send(Msg::Worker(ev)),
                _ => panic!("timed out waiting for {what}; status {:?}", self.app.status),
            }
        }
    }

    /// Feed worker events into the app until one that `this` picks has been fed (a late answer
    /// the app must ignore: the test sees it arrive, then what the app made of it).
    pub async fn pump_until(&mut self, what: &str, this: impl Fn(&WorkerEvent) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(ev)) => {
                    let found = this(&ev);
                    self.send(Msg::Worker(ev));
                    if found {
                        return;
                    }
                }
                _ => panic!("timed out waiting for {what}; status {:?}", self.app.status),
            }
        }
    }

    pub fn screen(&self) -> String {
        buffer_text(self.term.backend().buffer())
    }

    /// A `:` command, typed and run.
    pub fn command(&mut self, line: &str) {
        self.key(KeyCode::Char(':'));
        self.type_str(line);
        self.key(KeyCode::Enter);
    }
}
