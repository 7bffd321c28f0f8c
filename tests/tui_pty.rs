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
    /// The screen, kept up to date as bytes arrive (so reading it is cheap).
    parser: Arc<Mutex<vt100::Parser>>,
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
        let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let screen = parser.clone();
        // Drain the pty in the background so the child never blocks on a full buffer.
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
                screen.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Session { pair, child, output, parser, writer, _dir: dir }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
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

/// While ~1,000 calls stream in, a key press is answered by a frame within 50 ms.
#[test]
fn keys_are_answered_while_results_stream_in() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_timx");
    let mut serve = std::process::Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--latency-ms", "20", "--jitter-ms", "5"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let cfg = format!(
        "[profiles.load]\nbase_url = \"{url}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\nrate_limit = 100\njournal = false\nkey = {{ value = \"5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e\" }}\n"
    );
    let cfg_path = dir.path().join("load.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let mut s = Session::start(&["--config", cfg_path.to_str().unwrap()]);
    s.wait_for("attribute names");
    // 50,000 accounts: 500 batches × 2 commands = 1,000 calls at 100/s per command.
    let mut paste = b"\x1b[200~".to_vec();
    for i in 0..50_000 {
        paste.extend_from_slice(format!("user_{i}\n").as_bytes());
    }
    paste.extend_from_slice(b"\x1b[201~");
    s.send(&paste);
    s.wait_for("Accounts 50000");
    s.send(b"\x12");
    s.wait_for("Esc cancels");
    let mut latencies = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        s.writer.write_all(b"/").unwrap();
        s.writer.flush().unwrap();
        while !s.screen().lines().last().unwrap_or_default().starts_with("/▏") {
            assert!(t.elapsed() < Duration::from_secs(5), "no answer to a key while streaming");
            std::thread::sleep(Duration::from_millis(1));
        }
        latencies.push(t.elapsed());
        s.send(b"\x1b");
        std::thread::sleep(Duration::from_millis(100));
    }
    let still_running = s.screen().contains("Esc cancels");
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    eprintln!("key-to-frame latencies while streaming: {latencies:?}");
    assert!(still_running, "the job was still streaming while keys were measured");
    assert!(median <= Duration::from_millis(50), "median {median:?}");
    s.send(b"\x03");
    let _ = serve.kill();
    let _ = serve.wait();
}
