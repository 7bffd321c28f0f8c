//! The benchmark suite: audits at the rate-limit ceiling, render cost flat in row count, silent
//! when idle, memory, the emulator's own throughput. Shared by `cargo bench` (full sizes) and
//! `tests/bench_smoke.rs` (tiny sizes, no timing assertions). Servers and audits are the real
//! binary (`tests/common`'s `timx serve` process and pseudo-terminal); screens are the real view
//! code on ratatui's TestBackend or the real binary in a pseudo-terminal. One module per group;
//! `GROUPS` lists them for run-all and run-one.
#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
pub mod common;

pub mod audience;
pub mod audits;
pub mod emulator;
pub mod memory;
pub mod screens;
pub mod terminal;
pub mod trace;
pub mod writes;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use common::ServeProcess as Serve;
pub use common::{ADMIN, KEY, SDKAPPID};

/// The service's ceiling: 100 calls/s × 100 accounts per call.
pub const CEILING: f64 = 10_000.0;

#[derive(Debug, Clone)]
pub struct Sizes {
    pub quick: bool,
    pub b1_accounts: usize,
    pub b2_accounts: usize,
    pub b4_rows: [usize; 3],
    pub b5_rows: usize,
    pub b6_idle: Duration,
    pub b7_accounts: usize,
    pub b9_calls: usize,
    pub b10_accounts: usize,
    /// Accounts traced at the documented 1 call/s (B13).
    pub b12_accounts: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            quick: false,
            b1_accounts: 100_000,
            b2_accounts: 10_000,
            b4_rows: [100, 10_000, 1_000_000],
            b5_rows: 1_000_000,
            b6_idle: Duration::from_secs(10),
            b7_accounts: 1_000_000,
            b9_calls: 100_000,
            b10_accounts: 100_000,
            b12_accounts: 100,
        }
    }
    pub fn tiny() -> Sizes {
        Sizes {
            quick: true,
            b1_accounts: 500,
            b2_accounts: 200,
            b4_rows: [10, 100, 1_000],
            b5_rows: 1_000,
            b6_idle: Duration::from_millis(500),
            b7_accounts: 1_000,
            b9_calls: 500,
            b10_accounts: 500,
            b12_accounts: 3,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub id: &'static str,
    pub what: String,
    pub value: f64,
    pub unit: &'static str,
    pub target: String,
    /// None: informational (no target of its own).
    pub pass: Option<bool>,
}

fn fig(
    id: &'static str,
    what: impl Into<String>,
    value: f64,
    unit: &'static str,
    target: impl Into<String>,
    pass: Option<bool>,
) -> Figure {
    Figure { id, what: what.into(), value, unit, target: target.into(), pass }
}

pub fn print_table(figs: &[Figure]) {
    println!("{:<4} {:<58} {:>14} {:<9} {:<30} result", "id", "what", "value", "unit", "target");
    for f in figs {
        let result = match f.pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "",
        };
        let value = if f.value.abs() >= 100.0 { format!("{:.0}", f.value) } else { format!("{:.3}", f.value) };
        println!("{:<4} {:<58} {:>14} {:<9} {:<30} {}", f.id, f.what, value, f.unit, f.target, result);
    }
}

pub fn write_json(path: &Path, figs: &[Figure]) -> std::io::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(figs).unwrap_or_default())
}

/// A temporary workspace: data files, outputs, and the env every child gets.
pub struct Work {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
}

impl Work {
    pub fn new(bin: &Path) -> Work {
        Work { dir: tempfile::tempdir().unwrap(), bin: bin.to_owned() }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("TIMX_SECRET_KEY", KEY)
            .env("TIMX_CONFIG", self.path("config.toml"))
            .env("TIMX_DATA_DIR", self.path("data"))
            .env("TIMX_STATE_DIR", self.path("state"))
            .stdin(Stdio::null());
        c
    }
}

/// Users u0000000.. with 3 attributes and 3 tags each, as a `--data` file.
pub fn write_data(path: &Path, users: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(f, r#"{{"attr_names":{{"0":"sex","1":"city","2":"plan"}},"users":["#).unwrap();
    for i in 0..users {
        if i > 0 {
            f.write_all(b",").unwrap();
        }
        write!(f, r#"{{"id":"u{i:07}",{}}}"#, user_fields(i, "p", &[])).unwrap();
    }
    f.write_all(b"]}").unwrap();
}

/// User `i`'s attributes and tags as JSON members: 3 attributes (`plan` is `{plan}N`) and 3
/// tags, then `more` tags. `write_data` and the B10 desired state share them.
pub fn user_fields(i: usize, plan: &str, more: &[&str]) -> String {
    let sex = if i.is_multiple_of(2) { "F" } else { "M" };
    let more: String = more.iter().map(|t| format!(",\"{t}\"")).collect();
    format!(
        r#""attrs":{{"sex":"{sex}","city":"city{}","plan":"{plan}{}"}},"tags":["t{}","g{}","h{}"{more}]"#,
        i % 97,
        i % 7,
        i % 40,
        i % 9,
        i % 13
    )
}

pub fn write_accounts(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(f, "u{i:07}").unwrap();
    }
}

/// The emulator's `/__timx/stats`.
pub fn stats(serve: &Serve, rt: &tokio::runtime::Runtime) -> serde_json::Value {
    rt.block_on(async { reqwest::get(format!("{}/__timx/stats", serve.url)).await.unwrap().json().await.unwrap() })
}

pub fn count_code(stats: &serde_json::Value, code: i64) -> u64 {
    stats["by_path"].as_object().map(|m| m.values().filter_map(|v| v[code.to_string()].as_u64()).sum()).unwrap_or(0)
}

fn target_args(url: &str) -> Vec<String> {
    [
        "--base-url",
        url,
        "--sdkappid",
        &SDKAPPID.to_string(),
        "--admin",
        ADMIN,
        "--family",
        "timpush",
        "--rate-limit",
        "100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Run a headless audit to a file; returns the wall time and the child's peak RSS (KiB).
pub fn headless(w: &Work, url: &str, cmd: &str, accounts: &Path, out: &Path) -> (Duration, u64) {
    let (status, elapsed, rss) = timed(w, url, &[cmd], accounts, out);
    assert!(status <= 1, "timx {cmd} exited with {status}");
    (elapsed, rss)
}

/// `timx ARGS` on the accounts of a file to an ndjson file: its exit code, wall time and peak RSS.
pub fn timed(w: &Work, url: &str, args: &[&str], accounts: &Path, out: &Path) -> (i32, Duration, u64) {
    let t = Instant::now();
    let mut child = w
        .cmd()
        .args(args)
        .args(target_args(url))
        .args(["-f", accounts.to_str().unwrap(), "--format", "ndjson"])
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (status, rss) = wait_rss(&mut child);
    (status, t.elapsed(), rss)
}

/// Wait for a child and read its own peak resident set size (VmHWM of its process image;
/// wait4's ru_maxrss would include the bench process's pages inherited at fork).
fn wait_rss(child: &mut Child) -> (i32, u64) {
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(kib) =
                s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A group of benchmarks: its name (for `TIMX_BENCH_ONLY`) and what it runs.
pub struct Group {
    pub name: &'static str,
    pub run: fn(&Work, &Sizes, &tokio::runtime::Runtime) -> Vec<Figure>,
}

pub const GROUPS: &[Group] = &[
    Group { name: "audits", run: audits::run },
    Group { name: "screens", run: screens::run },
    Group { name: "terminal", run: terminal::run },
    Group { name: "memory", run: memory::run },
    Group { name: "emulator", run: emulator::run },
    Group { name: "writes", run: writes::run },
    Group { name: "audience", run: audience::run },
    Group { name: "trace", run: trace::run },
];

pub fn run_all(bin: &Path, s: &Sizes) -> Vec<Figure> {
    let (w, rt) = (Work::new(bin), runtime());
    GROUPS.iter().flat_map(|g| (g.run)(&w, s, &rt)).collect()
}

/// One group of benchmarks, for profiling a single figure.
pub fn run_group(bin: &Path, s: &Sizes, group: &str) -> Vec<Figure> {
    let (w, rt) = (Work::new(bin), runtime());
    match GROUPS.iter().find(|g| g.name == group) {
        Some(g) => (g.run)(&w, s, &rt),
        None => {
            let names: Vec<&str> = GROUPS.iter().map(|g| g.name).collect();
            panic!("unknown group {group:?}: {}", names.join(", "))
        }
    }
}
