//! The real binary in a pseudo-terminal: it starts on the demo, answers `?`, quits, and leaves
//! the terminal as it found it (alternate screen left, bracketed paste off, cursor shown, raw
//! mode off) after `q` and after SIGTERM.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, NativePtySystem, PtyPair, PtySize, PtySystem};

const BIN: &str = env!("CARGO_BIN_EXE_timx");

struct Session {
    pair: PtyPair,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    output: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let pair = NativePtySystem::default()
            .openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 })
            .expect("a pty");
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("TIMX_CONFIG", dir.path().join("config.toml"));
        cmd.env("TIMX_STATE_DIR", dir.path().join("state"));
        cmd.env("TIMX_DATA_DIR", dir.path().join("data"));
        cmd.env_remove("TMUX");
        cmd.env("TIMX_TEST_TRIGGERS", "1");
        let child = pair.slave.spawn_command(cmd).expect("spawn timx");
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = output.clone();
        // Drain the pty in the background so the child never blocks on a full buffer.
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Session { pair, child, output, writer, _dir: dir }
    }

    fn screen(&self) -> String {
        let mut p = vt100::Parser::new(24, 80, 0);
        p.process(&self.output.lock().unwrap());
        p.screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.screen().contains(what) {
            assert!(Instant::now() < deadline, "timed out waiting for {what:?}; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "timx did not exit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The modes after exit: what the app last wrote, and the tty's own settings.
    fn assert_restored(&self) {
        let out = self.output.lock().unwrap().clone();
        let text = String::from_utf8_lossy(&out);
        let entered = text.rfind("\x1b[?1049h").expect("entered the alternate screen");
        let tail = &text[entered..];
        assert!(tail.contains("\x1b[?1049l"), "left the alternate screen");
        assert!(tail.contains("\x1b[?2004l"), "bracketed paste off");
        assert!(tail.contains("\x1b[?25h"), "cursor shown");
        // Raw mode off: ask the tty itself.
        let mut stty = CommandBuilder::new("stty");
        stty.arg("-a");
        let before = out.len();
        let mut child = self.pair.slave.spawn_command(stty).unwrap();
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let settings = loop {
            let all = self.output.lock().unwrap().clone();
            let s = String::from_utf8_lossy(&all[before..]).to_string();
            if s.contains("icanon") || Instant::now() > deadline {
                break s;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let words: Vec<&str> = settings.split_whitespace().collect();
        assert!(words.contains(&"icanon") && words.contains(&"echo"), "cooked mode restored: {settings}");
    }
}

#[test]
fn starts_shows_help_quits_and_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("会员等级");
    s.wait_for("Ctrl-R runs the");
    s.send(b"\t\t\t"); // to the results pane
    s.send(b"?");
    s.wait_for("Help");
    s.wait_for("Ctrl-R / F5");
    s.send(b"\x1b");
    s.send(b"q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    let pid = s.child.process_id().expect("pid");
    assert!(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    s.wait_exit();
    s.assert_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    let pid = s.child.process_id().expect("pid");
    assert!(std::process::Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap().success());
    s.wait_exit();
    s.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_the_message_is_readable() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    s.send(b"\x1b[24~"); // F12: the test-only panic trigger
    let status = s.wait_exit();
    assert!(!status.success());
    s.assert_restored();
    // The message comes after the alternate screen was left, so it stays on the user's screen.
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    let left = out.rfind("\x1b[?1049l").unwrap();
    assert!(out[left..].contains("test-only panic trigger"), "{}", &out[left..]);
}

#[test]
fn an_error_restores_the_terminal_and_is_reported() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    s.send(b"\x1b[23~"); // F11: the test-only error trigger
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 2);
    s.assert_restored();
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    let left = out.rfind("\x1b[?1049l").unwrap();
    assert!(out[left..].contains("timx: test-only error trigger"), "{}", &out[left..]);
}
