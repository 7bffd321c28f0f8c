//! The real binary in a pseudo-terminal, with everything it writes kept and parsed.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, NativePtySystem, PtyPair, PtySize, PtySystem};

pub struct Session {
    pub pair: PtyPair,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub output: Arc<Mutex<Vec<u8>>>,
    /// The screen, kept up to date as bytes arrive (so reading it is cheap).
    parser: Arc<Mutex<vt100::Parser>>,
    pub writer: Box<dyn Write + Send>,
    /// The workspace, when the session made its own.
    pub dir: Option<tempfile::TempDir>,
    /// When the binary was started, and when its first byte arrived (start-up time, B8).
    pub started: Instant,
    first_byte: Arc<Mutex<Option<Instant>>>,
}

impl Session {
    /// `timx ARGS` at 80×24 in a fresh workspace (config, state and data dirs of its own).
    pub fn start(args: &[&str]) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::start_in(args, &[], (24, 80), dir.path());
        s.dir = Some(dir);
        s
    }

    /// `timx ARGS` with extra environment, a size (rows, cols), in a given workspace directory.
    pub fn start_in(args: &[&str], env: &[(&str, String)], size: (u16, u16), dir: &std::path::Path) -> Session {
        let pair = NativePtySystem::default()
            .openpty(PtySize { rows: size.0, cols: size.1, pixel_width: 0, pixel_height: 0 })
            .expect("a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_timx"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("TIMX_CONFIG", dir.join("config.toml"));
        cmd.env("TIMX_STATE_DIR", dir.join("state"));
        cmd.env("TIMX_DATA_DIR", dir.join("data"));
        cmd.env_remove("TMUX");
        cmd.env("TIMX_TEST_TRIGGERS", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn timx");
        let first_byte = Arc::new(Mutex::new(None));
        let first = first_byte.clone();
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = output.clone();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size.0, size.1, 0)));
        let screen = parser.clone();
        // Drain the pty in the background so the child never blocks on a full buffer.
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                first.lock().unwrap().get_or_insert_with(Instant::now);
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
                screen.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Session { pair, child, output, parser, writer, dir: None, started, first_byte }
    }

    /// From start to the first byte the binary wrote (zero if none yet).
    pub fn first_output(&self) -> Duration {
        self.first_byte.lock().unwrap().map(|t| t - self.started).unwrap_or_default()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.output.lock().unwrap().len()
    }

    /// Wait until nothing has been written for `quiet`.
    pub fn settle(&self, quiet: Duration) {
        let mut last = self.len();
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            std::thread::sleep(Duration::from_millis(20));
            let now = self.len();
            if now != last {
                last = now;
                since = Instant::now();
            }
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.screen().contains(what) {
            assert!(Instant::now() < deadline, "timed out waiting for {what:?}; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the raw output holds `what` (text printed after the screen is left, which the
    /// reader thread may still be delivering when the process has already exited).
    pub fn wait_output(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
            if out.contains(what) {
                return out;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what:?} in the output:\n{out}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
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
    pub fn assert_restored(&self) {
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
