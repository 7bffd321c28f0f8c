//! The real `timx` binary against the emulator for the post-send commands: `trace` for each
//! family of failure (no token, 410, not targeted, older than 7 days, unknown task, a device that
//! is not the last active one), with a Condition and from a scheduled task, formats and
//! `--resume`; `push-stats`; `scheduled list/show`; `audience --scheduled`; faults.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::pushes::*;
use common::*;
use serde_json::Value;
use timx::emulator::{EmulatorConfig, Fault, Faults, Running};

/// Non-strict, so a test may trace faster than the documented 1 call/s (`--pace`).
fn emulator(cfg: EmulatorConfig) -> (Running, tokio::runtime::Runtime) {
    start_isolated(cfg, Some(push_data()))
}

fn run(env: &Workspace, emu: &Running, args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(one_off(emu));
    env.run(&all.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY))
}

fn rows(o: &std::process::Output) -> Vec<Value> {
    text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn by_account<'a>(rows: &'a [Value], account: &str) -> &'a Value {
    rows.iter().find(|r| r["account"] == account).unwrap_or_else(|| panic!("no row for {account}"))
}

#[test]
fn trace_says_per_account_what_happened_on_each_device() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let o =
        run(&env, &emu, &["trace", "--task", T_ALL, "--pace", "50", "alice", "bob", "carol", "dave", "erin", "ghost"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = rows(&o);
    assert_eq!(
        r.iter().map(|r| r["account"].as_str().unwrap()).collect::<Vec<_>>(),
        ["alice", "bob", "carol", "dave", "erin", "ghost"]
    );
    assert_eq!(by_account(&r, "alice")["verdict"], "clicked");
    let bob = by_account(&r, "bob");
    assert!(bob["verdict"].as_str().unwrap().starts_with("stopped at offline: -2 token not uploaded"), "{bob}");
    assert_eq!(bob["devices"][0]["token_bound"], false);
    assert_eq!(bob["devices"][0]["stages"][1]["code"], -2);
    assert!(by_account(&r, "carol")["verdict"].as_str().unwrap().starts_with("stopped at channel: 410 Unregistered"));
    // dave's last active phone got it; the other one was refused by the vendor.
    let dave = by_account(&r, "dave");
    assert_eq!(dave["verdict"], "delivered");
    assert_eq!(dave["devices"][1]["last_active"], 0);
    assert_eq!(dave["devices"][1]["failed"], "channel");
    for who in ["erin", "ghost"] {
        let v = by_account(&r, who);
        assert_eq!(v["status"], "no_trace");
        let says = v["verdict"].as_str().unwrap();
        assert!(
            says.contains("older than 7 days") && says.contains("not in the task") && says.contains("no device"),
            "{says}"
        );
    }
    let err = text(&o.stderr);
    assert!(err.contains("tracing 6 accounts at 50 call/s"), "{err}");
    assert!(err.contains("clicked 1, delivered 1, stopped 2, no devices 0, no trace 2, failed 0"), "{err}");
    // Older than the 7 days kept, and an unknown task: no trace either.
    for task in [T_OLD, "no-such-task"] {
        let o = run(&env, &emu, &["trace", "--task", task, "--pace", "50", "alice"]);
        assert_eq!(rows(&o)[0]["status"], "no_trace", "{task}");
    }
    emu_shutdown(emu, rt);
}

#[test]
fn trace_judges_the_audience_from_a_condition_or_the_scheduled_task() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let cond = r#"{"TagsOr":["vip"]}"#;
    let o = run(&env, &emu, &["trace", "--task", T_TAG, "--pace", "50", "--condition", cond, "alice", "bob", "dave"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = rows(&o);
    assert_eq!(by_account(&r, "alice")["audience"]["targeted"], true);
    assert_eq!(by_account(&r, "bob")["audience"]["targeted"], false, "not targeted, and no trace");
    assert_eq!(by_account(&r, "bob")["status"], "no_trace");
    assert!(
        by_account(&r, "dave")["verdict"].as_str().unwrap().starts_with("stopped at offline: -1 certificate not set")
    );
    assert!(text(&o.stderr).contains("may have changed since the push was sent"));
    // A dispatched scheduled task: its push is traced, its Condition judged.
    let o = run(&env, &emu, &["trace", "--task", &S_DONE.to_string(), "--pace", "50", "alice", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("\"account\",\"status\",\"verdict\",\"devices\",\"targeted\""), "{out}");
    assert!(out.contains("\"alice\",\"delivered\",\"delivered\"") && out.contains("\"yes\""), "{out}");
    assert!(text(&o.stderr).contains(&format!("fired as push {T_TAG}")));
    // A pending one has nothing to trace yet: a usage error that says what to do.
    let o = run(&env, &emu, &["trace", "--task", &S_TAG.to_string(), "alice"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains(&format!("timx audience --scheduled {S_TAG}")), "{}", text(&o.stderr));
    emu_shutdown(emu, rt);
}

#[test]
fn trace_output_resumes_and_hostile_or_invalid_input_ends_in_one_row_each() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let file = env.dir.path().join("trace.ndjson");
    let f = file.to_str().unwrap();
    let accounts = ["alice", "bob", "carol", "dave", "evil\u{1b}[2J", &"x".repeat(40)];
    let mut args = vec!["trace", "--task", T_ALL, "--pace", "50", "-o", f];
    args.extend(accounts);
    let o = run(&env, &emu, &args);
    assert_eq!(o.status.code(), Some(1), "an invalid account: exit 1; {}", text(&o.stderr));
    let whole = std::fs::read_to_string(&file).unwrap();
    assert_eq!(whole.lines().count(), accounts.len());
    assert!(whole.contains("\"status\":\"invalid\""));
    // Cut after two rows, as a killed run leaves it: --resume redoes the rest only.
    let two: String = whole.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, two).unwrap();
    let mut again = args.clone();
    again.push("--resume");
    let o = run(&env, &emu, &again);
    assert!(text(&o.stderr).contains("2 of 6 accounts kept, 4 to do"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("tracing 2 accounts"), "the ETA is of what is left: {}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), whole);
    // Found in review: a resume with another task (or condition) kept the first task's rows.
    for other in
        [&["trace", "--task", T_TAG][..], &["trace", "--task", T_ALL, "--condition", r#"{"TagsAnd":["vip"]}"#][..]]
    {
        let mut a: Vec<&str> = other.to_vec();
        a.extend(["--pace", "50", "-o", f, "--resume"]);
        a.extend(accounts);
        let o = run(&env, &emu, &a);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("holds the trace of task"), "{}", text(&o.stderr));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), whole, "left as it was");
    }
    // An audit's file is not a trace's.
    let audit = env.dir.path().join("tags.ndjson");
    let o = run(&env, &emu, &["tags", "alice", "-o", audit.to_str().unwrap()]);
    assert!(o.status.success());
    let o = run(&env, &emu, &["trace", "--task", T_ALL, "alice", "-o", audit.to_str().unwrap(), "--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot tell which task"), "{}", text(&o.stderr));
    // The table escapes what the terminal must not run.
    let o = run(&env, &emu, &["trace", "--task", T_ALL, "--pace", "50", "evil\u{1b}[2J", "--format", "table"]);
    assert!(!text(&o.stdout).contains('\u{1b}') && text(&o.stdout).contains("evil\\e[2J"), "{}", text(&o.stdout));
    emu_shutdown(emu, rt);
}

#[test]
fn a_refusing_or_garbling_service_is_explained_per_account() {
    // A configuration error stops the job: every account fails with it, explained, once.
    let faults = Faults { extra: vec![(Fault::Code(70009), 1.0)], ..Faults::default() };
    let (emu, rt) = emulator(EmulatorConfig { faults, ..EmulatorConfig::default() });
    let env = Workspace::new();
    let o = run(&env, &emu, &["trace", "--task", T_ALL, "--pace", "50", "alice", "bob", "carol"]);
    assert_eq!(o.status.code(), Some(1));
    let r = rows(&o);
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|r| r["status"] == "failed" && r["error"]["code"] == 70009), "{r:?}");
    assert!(!text(&o.stderr).contains(KEY));
    emu_shutdown(emu, rt);
    // Answers cut short now and then: retried, and every account still gets its answer.
    let faults = Faults { extra: vec![(Fault::Truncate, 0.3)], ..Faults::default() };
    let (emu, rt) = emulator(EmulatorConfig { faults, ..EmulatorConfig::default() });
    let o = run(&env, &emu, &["trace", "--task", T_ALL, "--pace", "50", "alice", "bob", "carol", "dave"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(rows(&o).iter().filter(|r| r["status"] != "failed").count(), 4);
    emu_shutdown(emu, rt);
}

#[test]
fn push_stats_gives_the_funnel_and_the_loss_reasons_explained() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let o = run(&env, &emu, &["push-stats", T_ALL, "no-such-task", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let all = &v[0];
    assert_eq!(all["task_id"], T_ALL);
    let counts: Vec<u64> = all["funnel"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).collect();
    // Found in review: the 410 (lost after the vendor channel) was not counted as sent, so the
    // funnel and the loss reasons disagreed. Sent = can send − lost before sending.
    assert_eq!(counts, [4, 3, 2, 1]);
    assert_eq!(all["funnel"][1]["of_previous"], 0.75);
    assert_eq!(all["before_sending"][0]["code"], "-2");
    assert!(all["before_sending"][0]["meaning"].as_str().unwrap().starts_with("token not uploaded"));
    assert_eq!(all["after_channel"][0]["code"], "410");
    assert_eq!(all["platforms"][0]["label"], "offline 2 (undocumented)", "PushPlatform raw");
    assert!(v[1]["notes"][0].as_str().unwrap().contains("unknown TaskID"), "{}", v[1]);
    // The table draws the funnel as bars.
    let o = run(&env, &emu, &["push-stats", T_ALL, "--format", "table"]);
    assert!(text(&o.stdout).contains("can send") && text(&o.stdout).contains("█"), "{}", text(&o.stdout));
    // Past the 30 days kept: refused before anything is sent.
    let o = run(&env, &emu, &["push-stats", T_ALL, "--since", "40d"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("30 days"));
    // Older than 7 days: statistics, and no loss reasons (said).
    let o = run(&env, &emu, &["push-stats", T_OLD, "--since", "9d", "--until", "8d", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["funnel"][0]["count"], 1);
    assert!(v[0]["notes"].to_string().contains("kept 7 days"), "{}", v[0]);
    emu_shutdown(emu, rt);
}

#[test]
fn scheduled_tasks_are_listed_shown_and_judged_before_they_fire() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let o = run(&env, &emu, &["scheduled", "list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<u64> = v.as_array().unwrap().iter().map(|t| t["TaskID"].as_u64().unwrap()).collect();
    assert_eq!(ids, [S_DONE, S_TAG, S_USER]);
    assert_eq!(v[0]["PushTaskID"], T_TAG);
    assert!(text(&o.stderr).contains("UTC"));
    let o = run(&env, &emu, &["scheduled", "list", "--keyword", "follow", "--format", "table"]);
    let table = text(&o.stdout);
    assert!(table.contains("FIRES (UTC)") && table.contains("1 users: bob") && !table.contains("tonight"), "{table}");
    let o = run(&env, &emu, &["scheduled", "show", &S_DONE.to_string(), "--format", "table"]);
    let shown = text(&o.stdout);
    assert!(
        shown.contains(&format!("PushTaskID:    {T_TAG}")) && shown.contains("dispatched (undocumented)"),
        "{shown}"
    );
    let o = run(&env, &emu, &["scheduled", "show", "404"]);
    assert_eq!(o.status.code(), Some(1));
    // Judged before it fires: the Condition of a Tag task, the list of a User task.
    let o = run(&env, &emu, &["audience", "--scheduled", &S_TAG.to_string(), "alice", "bob"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r = rows(&o);
    assert_eq!(
        (by_account(&r, "alice")["targeted"].clone(), by_account(&r, "bob")["targeted"].clone()),
        (true.into(), false.into())
    );
    let o = run(&env, &emu, &["audience", "--scheduled", &S_USER.to_string(), "alice", "bob"]);
    let r = rows(&o);
    assert_eq!(by_account(&r, "bob")["targeted"], true);
    assert_eq!(by_account(&r, "alice")["reasons"][0], "not in the task's user list (1 accounts)");
    emu_shutdown(emu, rt);
}
