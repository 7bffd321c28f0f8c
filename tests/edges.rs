//! At the edges of long jobs, through the real binary against the emulator: a closed stdout,
//! SIGTERM and SIGHUP end a write like Ctrl-C does — nothing more is sent, every account has
//! its outcome (in `-o`, or at least in the undo file), the summary and the journal line
//! follow, and the exit code says what happened; `--resume` then gives the uninterrupted result.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::writes::{held, write_calls, write_rows};
use common::*;
use timx::emulator::{EmulatorConfig, Faults, Running};

const N: usize = 3_000;

fn setup() -> (Running, tokio::runtime::Runtime, Workspace, std::path::PathBuf) {
    let faults = Faults { latency: Duration::from_millis(10), ..Default::default() };
    let users: Vec<serde_json::Value> =
        (0..N).map(|i| serde_json::json!({"id": format!("u{i:05}"), "tags": ["keep"]})).collect();
    let data = data(serde_json::json!({"attr_names": {"0": "sex"}, "users": users}));
    let (emu, rt) = start_isolated(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(data));
    let env = Workspace::new();
    let accounts = env.dir.path().join("accounts.txt");
    std::fs::write(&accounts, (0..N).map(|i| format!("u{i:05}\n")).collect::<String>()).unwrap();
    (emu, rt, env, accounts)
}

fn edit(emu: &Running, accounts: &std::path::Path, tag: &str, extra: &[&str]) -> Vec<String> {
    let base =
        ["edit", "-f", accounts.to_str().unwrap(), "--add-tag", tag, "--yes", "--read-write", "--rate-limit", "20"];
    let mut a: Vec<String> = base.iter().chain(extra).map(|s| s.to_string()).collect();
    a.extend(one_off(emu));
    a
}

fn wait_for_writes(emu: &Running, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while write_calls(emu) < at_least && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn journal(env: &Workspace) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(env.dir.path().join("data/journal.ndjson")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn with_tag(emu: &Running, tag: &str) -> usize {
    (0..N).filter(|i| held(emu, &format!("u{i:05}")).unwrap().1.iter().any(|t| t == tag)).count()
}

/// Defect (issue 18): `timx edit … --yes | head -1` wrote accounts, then "internal error: …
/// rows were held back", exit 2, and no journal entry. Now: exit 141, the summary counts
/// exactly what was written, the journal has the job, and the undo file holds every account
/// that was changed.
#[test]
fn a_write_whose_stdout_is_closed_ends_with_its_summary_journal_line_and_undo_file() {
    let (emu, _rt, env, accounts) = setup();
    let mut child = env
        .cmd()
        .args(edit(&emu, &accounts, "piped", &[]))
        .env("TIMX_SECRET_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    wait_for_writes(&emu, 3);
    drop(out); // `| head -1` exits
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("internal error"), "{err}");
    assert!(err.contains("standard output was closed"), "{err}");
    let changed = with_tag(&emu, "piped");
    assert!(changed > 0 && changed < N, "stopped midway: {changed}");
    assert!(err.contains(&format!("changed {changed}")), "the summary counts what was written ({changed}): {err}");
    let last = journal(&env).pop().expect("a journal line");
    assert_eq!(last["command"], "edit", "{last}");
    let undo = err.lines().find_map(|l| l.strip_prefix("timx: to undo: timx apply -f ")).expect(&err);
    let undone = write_rows(&std::fs::read_to_string(undo).unwrap());
    for i in 0..N {
        let a = format!("u{i:05}");
        if held(&emu, &a).unwrap().1.iter().any(|t| t == "piped") {
            assert!(undone.iter().any(|r| r["account"] == a.as_str()), "{a} was changed and is not in the undo file");
        }
    }
}

/// SIGTERM and SIGHUP during a write with `-o`: exit 143 / 129, every account has its row,
/// and `--resume` finishes it to what an uninterrupted run gives.
#[test]
fn a_write_terminated_or_hung_up_keeps_every_outcome_and_resumes_to_the_whole_result() {
    let (emu, _rt, env, accounts) = setup();
    for (signal, code, tag) in [("-TERM", 143, "term"), ("-HUP", 129, "hup")] {
        let out = env.dir.path().join(format!("{tag}.ndjson"));
        let o_args = ["-o", out.to_str().unwrap()];
        let before = write_calls(&emu);
        let child = env
            .cmd()
            .args(edit(&emu, &accounts, tag, &o_args))
            .env("TIMX_SECRET_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_writes(&emu, before + 3);
        assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
        let o = child.wait_with_output().unwrap();
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{signal}: {err}");
        let rows = write_rows(&std::fs::read_to_string(&out).unwrap());
        assert_eq!(rows.len(), N, "{signal}: a row for every account");
        let changed = rows.iter().filter(|r| r["status"] == "changed").count();
        assert_eq!(changed, with_tag(&emu, tag), "{signal}: the rows say exactly what was written");
        assert!(changed > 0 && changed < N, "{signal}: stopped midway: {changed}");
        assert!(journal(&env).last().is_some_and(|j| j["command"] == "edit"), "{signal}: journaled");
        let r = env.run(
            &edit(&emu, &accounts, tag, &[&o_args[..], &["--resume"]].concat())
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            Some(KEY),
        );
        assert_eq!(r.status.code(), Some(0), "{signal} resumed: {}", text(&r.stderr));
        let rows = write_rows(&std::fs::read_to_string(&out).unwrap());
        assert_eq!(rows.len(), N);
        assert!(rows.iter().all(|r| r["status"] == "changed"), "{signal}: every account written once resumed");
        assert_eq!(with_tag(&emu, tag), N);
    }
}

/// Issue 18: `--format csv` to a terminal wrote an OSC title sequence from an attribute value,
/// and NDJSON let U+009B through. On a pty both come out escaped; through a pipe the bytes are
/// exact.
#[test]
fn machine_formats_on_a_terminal_are_escaped_and_exact_in_a_pipe() {
    let hostile = "\u{1b}]0;pwned\u{7}x\u{9b}2J\u{202e}";
    let users = serde_json::json!([{"id": "eve", "attrs": {"city": hostile}, "tags": ["t"]}]);
    let data = data(serde_json::json!({"attr_names": {"0": "city"}, "users": users}));
    let (emu, _rt) = start_isolated(EmulatorConfig::default(), Some(data));
    for format in ["csv", "ndjson", "json"] {
        let mut a: Vec<String> = ["inspect", "eve", "--format", format].iter().map(|s| s.to_string()).collect();
        a.extend(one_off(&emu));
        let args: Vec<&str> = a.iter().map(String::as_str).collect();
        let dir = tempfile::tempdir().unwrap();
        let mut s =
            common::pty::Session::start_in(&args, &[("TIMX_SECRET_KEY", KEY.to_string())], (24, 200), dir.path());
        s.wait_exit();
        let out = s.wait_output("eve");
        let raw = String::from_utf8_lossy(&s.output.lock().unwrap()).into_owned();
        assert!(!raw.contains("\u{1b}]0;pwned"), "{format}: the title sequence reached the terminal: {out:?}");
        assert!(!raw.contains('\u{9b}') && !raw.contains('\u{202e}'), "{format}: a C1 or bidi control reached it");
        let esc_shown = raw.contains("\\e]0;pwned") || raw.contains("\\u001b]0;pwned");
        assert!(esc_shown && raw.contains("\\u{9B}"), "{format}: shown escaped: {raw:?}");
        // A pipe gets the exact bytes (JSON's own escapes aside).
        let env = Workspace::new();
        let o = env.run(&args, Some(KEY));
        let piped = text(&o.stdout);
        assert!(piped.contains('\u{9b}') && piped.contains('\u{202e}'), "{format}: exact in a pipe: {piped:?}");
    }
}

/// An audit whose stdout is closed (`timx inspect … | head -1`) used to end with exit 1 and no
/// summary or journal line: now it stops like Ctrl-C, says why, journals, and exits 141.
#[test]
fn an_audit_whose_stdout_is_closed_ends_with_its_summary_and_journal_line() {
    let (emu, _rt, env, accounts) = setup();
    let mut a: Vec<String> =
        ["inspect", "-f", accounts.to_str().unwrap(), "--rate-limit", "20"].iter().map(|s| s.to_string()).collect();
    a.extend(one_off(&emu));
    let mut child =
        env.cmd().args(&a).env("TIMX_SECRET_KEY", KEY).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("u00000"), "{first}");
    drop(out);
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(err.contains("standard output was closed") && err.contains("found "), "{err}");
    let last = journal(&env).pop().expect("a journal line");
    assert_eq!(last["command"], "inspect", "{last}");
}

/// Found in review: `-o` naming an input replaced the account list (or the reviewed plan) with
/// the outcomes. Now refused before anything is read or sent; the input is left as it was.
#[test]
fn an_output_that_is_an_input_is_refused() {
    let (emu, _rt, env, accounts) = setup();
    let kept = std::fs::read(&accounts).unwrap();
    let mut a: Vec<String> = ["inspect", "-f", accounts.to_str().unwrap(), "-o", accounts.to_str().unwrap()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(one_off(&emu));
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("is also an input"), "{}", text(&o.stderr));
    let plan = env.dir.path().join("plan.ndjson");
    let p = edit(&emu, &accounts, "x", &["--plan", "-o", plan.to_str().unwrap()]);
    let p: Vec<&str> = p.iter().map(String::as_str).filter(|s| *s != "--yes").collect();
    assert_eq!(env.run(&p, Some(KEY)).status.code(), Some(0));
    let plan_kept = std::fs::read(&plan).unwrap();
    let mut a: Vec<String> =
        ["apply", "--from-plan", plan.to_str().unwrap(), "-o", plan.to_str().unwrap(), "--yes", "--read-write"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    a.extend(one_off(&emu));
    let calls = write_calls(&emu);
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(write_calls(&emu), calls);
    assert_eq!(std::fs::read(&accounts).unwrap(), kept);
    assert_eq!(std::fs::read(&plan).unwrap(), plan_kept);
}

/// Found in review: one line without a line end (`-f /dev/zero`, a runaway pipe) grew memory
/// until the machine ran out. A line is now kept to 4 KiB (an account is at most 32 bytes, so
/// the line is an `invalid` account) and a source to 1 GiB.
#[test]
fn a_huge_line_on_standard_input_is_one_invalid_account() {
    let (emu, _rt, env, _) = setup();
    let mut a: Vec<String> = ["inspect", "-f", "-", "--format", "ndjson"].iter().map(|s| s.to_string()).collect();
    a.extend(one_off(&emu));
    let mut input = vec![b'x'; 20 << 20];
    input.extend_from_slice(b"\nu00001\n");
    let o = env.run_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[("TIMX_SECRET_KEY", KEY)], &input);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["status"], "invalid");
    assert!(rows[0]["account"].as_str().unwrap().len() <= 4096, "the line is kept short");
    assert_eq!(rows[1]["status"], "found");
}
