//! `--resume`: a 30,000-account audit killed (SIGKILL, SIGHUP) or interrupted (SIGINT) midway,
//! then resumed, leaves the same file byte for byte as an uninterrupted run; a file that does
//! not match the input or the command is refused and left as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use timx::emulator::{EmulatorConfig, Faults};

const N: usize = 30_000;

fn users() -> timx::emulator::data::DataFile {
    let users: Vec<serde_json::Value> = (0..N)
        .map(|i| serde_json::json!({"id": format!("u{i:05}"), "attrs": {"city": format!("城{}", i % 7)}, "tags": [format!("t{}", i % 5)]}))
        .collect();
    data(serde_json::json!({"attr_names": {"0": "city", "1": "sex"}, "users": users}))
}

fn audit(env: &Workspace, emu: &timx::emulator::Running, accounts: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = env.cmd();
    c.args(["inspect", "-f", accounts.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(one_off(emu))
        .args(extra)
        .env("TIMX_SECRET_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn lines(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

#[test]
fn a_killed_or_interrupted_audit_resumes_to_the_same_file_byte_for_byte() {
    // Some accounts unknown (not_found rows are final too), one invalid.
    let faults = Faults { latency: Duration::from_millis(5), ..Faults::default() };
    let (emu, rt) = start_isolated(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(users()));
    let env = Workspace::new();
    let dir = env.dir.path();
    let accounts = dir.join("accounts.txt");
    let mut list: String = (0..N).map(|i| format!("u{:05}\n", if i % 1000 == 7 { i + N } else { i })).collect();
    list.push_str("bad\u{1b}id\n");
    std::fs::write(&accounts, list).unwrap();
    for format in ["ndjson", "csv"] {
        let full = dir.join(format!("full.{format}"));
        let o = audit(&env, &emu, &accounts, &full, &["--rate-limit", "100"]).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "one invalid account: {}", text(&o.stderr));
        for (signal, code) in [("-KILL", None), ("-HUP", Some(129)), ("-INT", Some(130)), ("-TERM", Some(143))] {
            let part = dir.join(format!("part-{signal}.{format}"));
            let mut child = audit(&env, &emu, &accounts, &part, &["--rate-limit", "20"]).spawn().unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while lines(&part) < 2_000 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
            let status = child.wait().unwrap();
            if signal != "-KILL" {
                // Ctrl-C, SIGHUP, SIGTERM: every account has its row, the rest `cancelled`
                // (redone on resume), and the exit code says which signal it was.
                assert_eq!(status.code(), code, "{format} {signal}");
                let t = std::fs::read_to_string(&part).unwrap();
                assert!(t.contains("cancelled"), "{format} {signal}: no cancelled rows");
                assert_eq!(lines(&part), N + 1 + usize::from(format == "csv"), "{format} {signal}: a row each");
            } else {
                let before = lines(&part);
                assert!((2_000..N).contains(&before), "{format} {signal}: {before} lines when stopped");
            }
            let o = audit(&env, &emu, &accounts, &part, &["--rate-limit", "100", "--resume"]).output().unwrap();
            assert_eq!(o.status.code(), Some(1), "{format} {signal}: {}", text(&o.stderr));
            assert!(text(&o.stderr).contains("resuming"), "{}", text(&o.stderr));
            assert!(std::fs::read(&part).unwrap() == std::fs::read(&full).unwrap(), "{format} {signal}: differs");
            assert!(!part.with_extension("timx-resume").exists(), "the old file is cleaned up");
        }
    }
    // Refused, and the file left as it was: another account list; another command.
    let full = dir.join("full.ndjson");
    let kept = std::fs::read(&full).unwrap();
    let other = dir.join("other.txt");
    std::fs::write(&other, "u00001\nu00002\n").unwrap();
    let o = audit(&env, &emu, &other, &full, &["--resume"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("does not match the input"), "{}", text(&o.stderr));
    let mut c = env.cmd();
    c.args(["tags", "-f", accounts.to_str().unwrap(), "-o", full.to_str().unwrap(), "--resume"])
        .args(one_off(&emu))
        .env("TIMX_SECRET_KEY", KEY);
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("does not match this command"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&full).unwrap(), kept);
    rt.block_on(emu.shutdown());
}
