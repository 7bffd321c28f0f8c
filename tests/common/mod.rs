//! Shared test helpers: an emulator on loopback and a real client pointed at it, the real
//! `timx serve` as a process, export rendering, screen text, and a pseudo-terminal session.
#![allow(dead_code)]

pub mod harness;
pub mod pty;
pub mod pushes;
pub mod writes;

use std::net::SocketAddr;

use timx::api::Endpoint;
use timx::client::{Client, ClientConfig};
use timx::emulator::{self, EmulatorConfig, Running, data::DataFile};
use timx::usersig::SecretKey;

pub const KEY: &str = emulator::PUBLIC_EXAMPLE_KEY;
pub const SDKAPPID: u64 = emulator::DEFAULT_SDKAPPID;
pub const ADMIN: &str = emulator::DEFAULT_ADMIN;

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The fault dice every test emulator uses unless the test picks its own: tests are repeatable.
pub const TEST_FAULT_SEED: u64 = 20_261_124;

/// An emulator on loopback. Its fault dice are always seeded (a test may pick the seed).
pub async fn start(mut cfg: EmulatorConfig, data: Option<DataFile>) -> Running {
    cfg.faults.seed.get_or_insert(TEST_FAULT_SEED);
    emulator::start(cfg, data, loopback()).await.expect("emulator starts")
}

/// An emulator on a runtime of its own, so the client under test cannot starve it (and the
/// limiter sees requests when they arrive, not when a shared runtime gets round to them).
pub fn start_isolated(cfg: EmulatorConfig, data: Option<DataFile>) -> (Running, tokio::runtime::Runtime) {
    // Built on a plain thread: callers may themselves be inside a runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let emu = rt.block_on(start(cfg, data));
        (emu, rt)
    })
    .join()
    .unwrap()
}

/// Stop an emulator `start_isolated` made, on its own runtime.
pub fn emu_shutdown(emu: Running, rt: tokio::runtime::Runtime) {
    rt.block_on(emu.shutdown());
}

/// A test profile for an emulator at `base_url`: timpush, its public key inline, no journal.
pub fn test_profile(name: &str, base_url: &str) -> timx::config::Profile {
    let key = timx::secret::SecretSource::Value { value: KEY.into() };
    let endpoint = Endpoint::base_url(base_url).unwrap();
    timx::config::Profile {
        family: timx::api::Family::Timpush,
        journal: false,
        ..timx::config::Profile::new(name, endpoint, SDKAPPID, ADMIN, key)
    }
}

pub fn client_cfg(emu: &Running) -> ClientConfig {
    ClientConfig::new(Endpoint::base_url(&emu.base_url).unwrap(), SDKAPPID, ADMIN, SecretKey::new(KEY))
}

pub fn client(emu: &Running) -> Client {
    Client::new(client_cfg(emu)).unwrap()
}

pub fn data(json: serde_json::Value) -> DataFile {
    serde_json::from_value(json).unwrap()
}

/// A drawn ratatui buffer as text, one line per row (a wide character's second cell skipped).
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
        }
        out.push('\n');
    }
    out
}

/// Every record through one export format, as text.
pub fn render(
    format: timx::export::Format,
    columns: timx::export::Columns,
    records: &[timx::engine::Record],
) -> String {
    let mut buf = Vec::new();
    let mut w = timx::export::writer(format, columns, &mut buf).unwrap();
    records.iter().for_each(|r| w.write(r).unwrap());
    w.finish().unwrap();
    drop(w);
    String::from_utf8(buf).unwrap()
}

/// The real `timx serve` on a free loopback port; killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    pub url: String,
}

impl ServeProcess {
    /// `timx serve ARGS`; without `--fault-seed` in ARGS the test seed is added.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> ServeProcess {
        let seed = TEST_FAULT_SEED.to_string();
        let seeded: &[&str] = if args.contains(&"--fault-seed") { &[] } else { &["--fault-seed", &seed] };
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_timx"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .args(seeded)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("serve prints its URL").to_owned();
        ServeProcess { child, url }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// No UserSig in `s`: every `usersig=` is followed by `<redacted>`, and nothing looks like a
/// UserSig itself (zlib-compressed JSON in base64 starts with `eJ`, and runs on for 100+ chars).
pub fn assert_no_usersig(s: &str, what: &str) {
    let lower = s.to_ascii_lowercase();
    for (i, _) in lower.match_indices("usersig=") {
        assert!(
            s[i + 8..].starts_with("<redacted>"),
            "{what}: a usersig= not redacted: {}",
            &s[i..(i + 60).min(s.len())]
        );
    }
    let sig_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_');
    for (i, _) in s.match_indices("eJ") {
        let run = s[i..].chars().take_while(|c| sig_char(*c)).count();
        assert!(run < 100, "{what}: something that looks like a UserSig: {}", &s[i..(i + 60).min(s.len())]);
    }
}

/// Run a job to its end: its records in input order, and its summary.
pub async fn drain<R: timx::engine::Outcome>(
    mut job: timx::engine::JobHandle<R>,
) -> (Vec<R>, timx::engine::Summary<R::Status>) {
    let (mut records, mut summary) = (Vec::new(), None);
    while let Some(e) = job.events.recv().await {
        match e {
            timx::engine::Event::Batch(b) => records.extend(b),
            timx::engine::Event::Finished(s) => summary = Some(s),
            _ => {}
        }
    }
    records.sort_by_key(|r| r.index());
    (records, summary.expect("every job ends with a summary"))
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The one-off target flags for an emulator (timpush, the default app and admin).
pub fn one_off(emu: &Running) -> Vec<String> {
    ["--base-url", &emu.base_url, "--sdkappid", "1400000000", "--admin", ADMIN, "--family", "timpush"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A workspace of its own for the real binary: config, data and state dirs, HOME, a clean env.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().unwrap() }
    }

    pub fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_timx"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TIMX_CONFIG", self.dir.path().join("config.toml"))
            .env("TIMX_DATA_DIR", self.dir.path().join("data"))
            .env("TIMX_STATE_DIR", self.dir.path().join("state"))
            .stdin(std::process::Stdio::null());
        c
    }

    /// `timx ARGS`, with the key in `TIMX_SECRET_KEY` when given.
    pub fn run(&self, args: &[&str], key: Option<&str>) -> std::process::Output {
        let env: Vec<(&str, &str)> = key.map(|k| ("TIMX_SECRET_KEY", k)).into_iter().collect();
        self.run_with(args, &env, b"")
    }

    /// `timx ARGS` with extra environment and `stdin` fed to it.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> std::process::Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .cmd()
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The child may exit before reading it all (a refused command): a closed pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(stdin);
        child.wait_with_output().unwrap()
    }
}
