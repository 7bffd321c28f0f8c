//! Writes against the emulator over loopback: `apply` round trips through every export format
//! and back through the undo file, `edit`, the plan that writes nothing, refusals, local checks,
//! per-account errors, faults at 10,000 accounts, and Ctrl-C mid-apply.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::writes::{State, demo, held, undo_path, write_calls, write_rows};
use common::*;
use timx::api::Family;
use timx::client::Client;
use timx::emulator::{EmulatorConfig, Fault, Faults, Running};
use timx::engine::{self, JobConfig, JobKind};
use timx::write::job::Mode;
use timx::write::undo::UndoLog;
use timx::write::{Edit, Want, WriteConfig, WriteStatus};
use tokio_util::sync::CancellationToken;

/// A head for undo files the engine tests make directly.
fn test_head() -> timx::write::file_head::FileHead {
    use timx::write::file_head::{FileHead, FileKind, Target};
    let target = Target { profile: "t".into(), endpoint: "x".into(), sdkappid: 1, family: Family::Timpush };
    FileHead {
        kind: FileKind::Outcomes,
        target,
        names: Default::default(),
        time: "t".into(),
        command: "test".into(),
        job: "j".into(),
        undo_file: None,
        accounts: None,
    }
}

fn args(v: &[&str], emu: &Running) -> Vec<String> {
    let mut a: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    a.extend(one_off(emu));
    a
}

/// The rows of a write's output.
fn rows(o: &std::process::Output) -> Vec<serde_json::Value> {
    write_rows(&text(&o.stdout))
}

fn run(env: &Workspace, a: &[String]) -> std::process::Output {
    env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY))
}

/// Edit an export in `format` as a person would: bob's city to CJK, his plan emptied, his
/// language to a formula-looking value, a tag added and one removed; carol's tags all removed.
fn edit_export(format: &str, before: &str) -> String {
    match format {
        "csv" => {
            let mut rdr = csv::Reader::from_reader(before.as_bytes());
            let header = rdr.headers().unwrap().clone();
            let col = |n: &str| header.iter().position(|h| h == n).unwrap();
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
            w.write_record(&header).unwrap();
            for rec in rdr.records() {
                let mut rec: Vec<String> = rec.unwrap().iter().map(String::from).collect();
                if rec[0] == "bob" {
                    rec[col("city")] = "深圳".into();
                    rec[col("plan")] = String::new();
                    rec[col("lang")] = "'=1+1".into(); // as timx's CSV writes a leading `=`
                    rec[col("tags")] = rec[col("tags")].replace("newsletter", "中文标签");
                }
                if rec[0] == "carol" {
                    rec[col("tags")] = String::new();
                }
                w.write_record(&rec).unwrap();
            }
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        }
        _ => {
            let mut rows: Vec<serde_json::Value> = if format == "json" {
                serde_json::from_str(before).unwrap()
            } else {
                before.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
            };
            for r in &mut rows {
                if r["account"] == "bob" {
                    let attrs = r["attrs"].as_object_mut().unwrap();
                    attrs.insert("city".into(), "深圳".into());
                    attrs.remove("plan");
                    attrs.insert("lang".into(), "=1+1".into());
                    let tags = r["tags"].as_array_mut().unwrap();
                    tags.retain(|t| t != "newsletter");
                    tags.push("中文标签".into());
                }
                if r["account"] == "carol" {
                    r["tags"] = serde_json::json!([]);
                }
            }
            if format == "json" {
                serde_json::to_string_pretty(&rows).unwrap()
            } else {
                rows.iter().map(|r| format!("{r}\n")).collect()
            }
        }
    }
}

#[test]
fn apply_round_trips_every_format_and_the_undo_file_restores_it_exactly() {
    for format in ["csv", "ndjson", "json"] {
        let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
        let env = Workspace::new();
        let dir = env.dir.path();
        let accounts = ["bob", "carol", "张小红", "alice"];
        let original: Vec<Option<State>> = accounts.iter().map(|a| held(&emu, a)).collect();
        let mut a = args(&["inspect", "--format", format], &emu);
        a.extend(accounts.iter().map(|s| s.to_string()));
        let before = text(&run(&env, &a).stdout);
        let file = |name: &str| dir.join(format!("{name}.{format}"));
        std::fs::write(file("before"), &before).unwrap();
        std::fs::write(file("edited"), edit_export(format, &before)).unwrap();

        let o = run(
            &env,
            &args(&["apply", "-f", file("edited").to_str().unwrap(), "--yes", "--read-write", "--verify"], &emu),
        );
        assert_eq!(o.status.code(), Some(0), "{format}: {}", text(&o.stderr));
        let out = rows(&o);
        let status: Vec<(&str, &str)> =
            out.iter().map(|r| (r["account"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
        assert_eq!(status, [("bob", "changed"), ("carol", "changed"), ("张小红", "unchanged"), ("alice", "unchanged")]);
        let (attrs, tags) = held(&emu, "bob").unwrap();
        assert_eq!((attrs["city"].as_str(), attrs["lang"].as_str(), attrs.get("plan")), ("深圳", "=1+1", None));
        assert!(tags.contains(&"中文标签".to_string()) && !tags.contains(&"newsletter".to_string()), "{tags:?}");
        assert!(held(&emu, "carol").unwrap().1.is_empty());

        // An inspect now says what the edit said; diff of before/after lists exactly the edits.
        let after = text(&run(&env, &a).stdout);
        std::fs::write(file("after"), &after).unwrap();
        let same = env.run(&["diff", file("edited").to_str().unwrap(), file("after").to_str().unwrap()], None);
        assert_eq!(same.status.code(), Some(0), "{format}: {}", text(&same.stdout));
        let d = env.run(&["diff", file("before").to_str().unwrap(), file("after").to_str().unwrap()], None);
        let changed: Vec<serde_json::Value> = rows(&d).into_iter().filter(|r| r["status"] == "changed").collect();
        assert_eq!(changed.len(), 2, "{format}: {changed:?}");
        assert_eq!(changed[0]["changes"].as_array().unwrap().len(), 5, "{format}: {changed:?}");

        // The undo file restores the original exactly, and what it wrote can itself be undone.
        let undo = undo_path(&o);
        let journal = std::fs::read_to_string(dir.join("data").join("journal.ndjson")).unwrap();
        let entry: serde_json::Value = journal
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|e: &serde_json::Value| e["command"] == "apply")
            .unwrap();
        assert_eq!(entry["outcomes"], serde_json::json!({"changed": 2, "unchanged": 2}), "{entry}");
        assert_eq!(entry["undo_file"], undo.display().to_string());
        assert_eq!(entry["operations"]["set"], 2, "{entry}");
        assert!(!journal.contains("深圳"), "no values in the journal");
        let u = run(&env, &args(&["apply", "-f", undo.to_str().unwrap(), "--yes", "--read-write"], &emu));
        assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
        let restored: Vec<Option<State>> = accounts.iter().map(|a| held(&emu, a)).collect();
        assert_eq!(restored, original, "{format}");
        rt.block_on(emu.shutdown());
    }
}

#[test]
fn plan_writes_nothing_and_refusals_send_nothing() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    let edit = ["edit", "bob", "carol", "--set", "city=深圳", "--add-tag", "vip"];
    let o = run(&env, &args(&[&edit[..], &["--plan"]].concat(), &emu));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = rows(&o);
    assert!(out.iter().all(|r| r["status"] == "planned"), "{out:?}");
    assert_eq!(
        out[0]["changes"][0],
        serde_json::json!({"op": "set", "name": "city", "from": "São Paulo", "to": "深圳"})
    );
    assert!(text(&o.stderr).contains("planned 2"), "{}", text(&o.stderr));
    assert_eq!(write_calls(&emu), 0, "a plan writes nothing");
    // The desired state from standard input, its format named.
    let mut a = vec!["apply", "-f", "-", "--input-format", "ndjson", "--plan"];
    let target = one_off(&emu);
    a.extend(target.iter().map(String::as_str));
    let o = env.run_with(&a, &[("TIMX_SECRET_KEY", KEY)], b"{\"account\":\"bob\",\"tags\":[\"only\"]}\n");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = rows(&o);
    assert_eq!(out[0]["changes"].as_array().unwrap().iter().filter(|c| c["op"] == "add").count(), 1, "{out:?}");
    assert_eq!(write_calls(&emu), 0);

    // Refused before any call: a one-off target without --read-write; no terminal and no --yes.
    let calls = emu.stats().calls;
    let o = run(&env, &args(&[&edit[..], &["--yes"]].concat(), &emu));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--read-write"), "{}", text(&o.stderr));
    let o = run(&env, &args(&[&edit[..], &["--read-write"]].concat(), &emu));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--plan") && text(&o.stderr).contains("--yes"), "{}", text(&o.stderr));
    // A read-only profile (the default) says how to allow writes.
    std::fs::write(
        env.dir.path().join("config.toml"),
        format!(
            "[profiles.sandbox]\nbase_url = \"{}\"\nsdkappid = {SDKAPPID}\nadmin = \"{ADMIN}\"\nfamily = \"timpush\"\n\
             key = {{ env = \"TIMX_SECRET_KEY\" }}\n",
            emu.base_url
        ),
    )
    .unwrap();
    let o = env.run(&["edit", "bob", "--set", "city=x", "--yes", "-p", "sandbox"], Some(KEY));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("read_only = false"), "{}", text(&o.stderr));
    assert_eq!(emu.stats().calls, calls, "refusals send nothing");
    assert_eq!(held(&emu, "bob").unwrap().0["city"], "São Paulo");
    rt.block_on(emu.shutdown());
}

#[test]
fn local_checks_make_invalid_outcomes_and_send_nothing_for_them() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    let hundred: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    let file = env.dir.path().join("want.ndjson");
    let long = "长".repeat(17);
    let lines = [
        serde_json::json!({"account": "bob", "attrs": {"city": "深圳", "nickname": "x"}}),
        serde_json::json!({"account": "carol", "attrs": {"city": long}}),
        serde_json::json!({"account": "alice", "tags": ["ok", ""]}),
        serde_json::json!({"account": "dave", "tags": hundred}),
        serde_json::json!({"account": "张小红", "tags": ["a"]}),
        serde_json::json!({"account": "张小红", "tags": ["b"]}),
        serde_json::json!({"account": "erin", "status": "failed"}),
    ];
    std::fs::write(&file, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let before: Vec<Option<State>> =
        ["bob", "carol", "alice", "dave", "张小红"].iter().map(|a| held(&emu, a)).collect();
    let o = run(&env, &args(&["apply", "-f", file.to_str().unwrap(), "--yes", "--read-write"], &emu));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = rows(&o);
    let got: Vec<(&str, &str, &str)> = out
        .iter()
        .map(|r| (r["account"].as_str().unwrap(), r["status"].as_str().unwrap(), r["error"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(got[0].1 == "invalid" && got[0].2.contains("\"nickname\"") && got[0].2.contains("city"), "{got:?}");
    assert!(got[1].1 == "invalid" && got[1].2.contains("51 bytes"), "{got:?}");
    assert!(got[2].1 == "invalid" && got[2].2.contains("empty tag"), "{got:?}");
    assert!(got[3].1 == "invalid" && got[3].2.contains("100"), "{got:?}");
    assert!(got[4].1 == "invalid" && got[4].2.contains("more than one row"), "{got:?}");
    assert!(text(&o.stderr).contains("skipped erin"), "{}", text(&o.stderr));
    let after: Vec<Option<State>> = ["bob", "carol", "alice", "dave", "张小红"].iter().map(|a| held(&emu, a)).collect();
    assert_eq!(after, before);
    assert_eq!(write_calls(&emu), 0);
    rt.block_on(emu.shutdown());
}

/// timpush answers per account in `ErrorList`: 90035 (an attribute of the other account type)
/// fails that account with the meaning; the rest of the batch is changed; unknown accounts are
/// not found (70107) and never written.
#[test]
fn error_list_entries_become_that_accounts_outcome() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    // push_device is a RegistrationID attribute: setting it on a UserID account is 90035.
    let file = env.dir.path().join("want.ndjson");
    let lines = [
        serde_json::json!({"account": "bob", "attrs": {"push_device": "x"}}),
        serde_json::json!({"account": "carol", "tags": ["fresh"]}),
        serde_json::json!({"account": "ghost-user", "tags": ["fresh"]}),
    ];
    std::fs::write(&file, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let o = run(&env, &args(&["apply", "-f", file.to_str().unwrap(), "--yes", "--read-write"], &emu));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = rows(&o);
    // Its attributes were removed (remove_attr went through), the set was refused: partial,
    // saying which change was not written.
    assert_eq!(out[0]["status"], "partial", "{out:?}");
    assert!(out[0]["error"].as_str().unwrap().starts_with("90035"), "{out:?}");
    assert_eq!(out[0]["not_written"][0]["name"], "push_device", "{out:?}");
    assert_eq!(out[1]["status"], "changed");
    assert_eq!(held(&emu, "carol").unwrap().1, ["fresh"]);
    assert_eq!(out[2]["status"], "not_found");
    assert!(held(&emu, "ghost-user").is_none());
    rt.block_on(emu.shutdown());
}

/// 10,000 accounts under 91000, 502, dropped connections, stalls and truncated answers: the
/// emulator ends holding the desired state for every account, each with one outcome.
#[test]
fn a_ten_thousand_account_apply_under_faults_ends_in_the_desired_state() {
    let users: Vec<serde_json::Value> = (0..10_000)
        .map(|i| serde_json::json!({"id": format!("u{i:05}"), "attrs": {"city": format!("c{}", i % 7)}, "tags": [format!("t{}", i % 5), "keep"]}))
        .collect();
    let data = data(serde_json::json!({"attr_names": {"0": "sex", "1": "city"}, "users": users}));
    let faults = Faults {
        fail_rate: 0.03,
        http_error_rate: 0.03,
        drop_rate: 0.02,
        extra: vec![(Fault::Stall, 0.01), (Fault::Truncate, 0.02)],
        ..Faults::default()
    };
    let (emu, rt) = start_isolated(EmulatorConfig { faults, rate_limit: 0, ..EmulatorConfig::default() }, Some(data));
    let dir = tempfile::tempdir().unwrap();
    let (records, summary) = rt.block_on(async {
        let mut ccfg = client_cfg(&emu);
        ccfg.timeout = Duration::from_millis(800);
        let mut job = JobConfig::new(JobKind::Inspect, Family::Timpush, 100);
        job.backoff_base = Duration::from_millis(5);
        job.backoff_max = Duration::from_millis(50);
        job.max_attempts = 30;
        let edit = Edit {
            set: [("sex".to_string(), "F".to_string())].into(),
            unset: vec!["city".into()],
            add_tags: vec!["new".into()],
            remove_tags: vec!["t1".into()],
            clear_tags: false,
        };
        let undo = Arc::new(UndoLog::create(&dir.path().join("undo.ndjson"), &test_head()).unwrap());
        let cfg = WriteConfig { job, want: Want::Same(edit), mode: Mode::Apply { undo, verify: true } };
        let mut n = engine::Normalizer::new();
        (0..10_000).for_each(|i| n.push_line(&format!("u{i:05}")));
        let client = Arc::new(Client::new(ccfg).unwrap());
        drain(timx::write::spawn_write(client, cfg, Arc::new(n.finish()), CancellationToken::new())).await
    });
    assert_eq!(records.len(), 10_000);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.index as usize, i, "one outcome each, in order");
        assert_eq!(r.status, WriteStatus::Changed, "{r:?}");
    }
    assert!(summary.retries > 0, "the faults were met: {summary:?}");
    for i in 0..10_000 {
        let (attrs, tags) = held(&emu, &format!("u{i:05}")).unwrap();
        assert_eq!(attrs, [("sex".to_string(), "F".to_string())].into(), "u{i:05}");
        let mut want: Vec<String> =
            [format!("t{}", i % 5), "keep".into(), "new".into()].into_iter().filter(|t| t != "t1").collect();
        let mut tags = tags.clone();
        tags.sort();
        want.sort();
        assert_eq!(tags, want, "u{i:05}");
    }
    // The undo file holds, per account, the inverse of what was written: exactly its changes.
    let (_, rows) = timx::write::undo::read(&dir.path().join("undo.ndjson")).unwrap();
    assert_eq!(rows.len(), 10_000);
    assert!(rows.iter().all(|r| r.tag_order.is_some() && r.changes.iter().any(|c| c.name.as_deref() == Some("sex"))));
    rt.spawn(emu.shutdown());
    rt.shutdown_background();
}

/// 5,000 users u0000.. with the tag `a`, behind an emulator with this latency, and a workspace
/// holding their list (`accounts.txt`).
fn five_thousand_users(latency_ms: u64) -> (Running, tokio::runtime::Runtime, Workspace, PathBuf) {
    let faults = Faults { latency: Duration::from_millis(latency_ms), ..Default::default() };
    let users: Vec<serde_json::Value> =
        (0..5_000).map(|i| serde_json::json!({"id": format!("u{i:04}"), "tags": ["a"]})).collect();
    let data = data(serde_json::json!({"attr_names": {"0": "sex"}, "users": users}));
    let (emu, rt) = start_isolated(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(data));
    let env = Workspace::new();
    let accounts = env.dir.path().join("accounts.txt");
    std::fs::write(&accounts, (0..5_000).map(|i| format!("u{i:04}\n")).collect::<String>()).unwrap();
    (emu, rt, env, accounts)
}

/// Ctrl-C mid-apply: exit 130, every account one outcome, and every account whose state
/// changed is in the undo file (so the undo file restores the original). The same after a crash
/// (SIGKILL): the previous state was on disk before any batch was sent.
#[test]
fn ctrl_c_or_a_crash_mid_apply_leaves_an_undo_file_that_covers_what_was_sent() {
    for signal in ["-INT", "-KILL"] {
        let (emu, rt, env, accounts) = five_thousand_users(50);
        let undo = env.dir.path().join("undo.ndjson");
        let a = args(
            &[
                "edit",
                "-f",
                accounts.to_str().unwrap(),
                "--add-tag",
                "b",
                "--set",
                "sex=F",
                "--yes",
                "--read-write",
                "--rate-limit",
                "5",
                "--undo-file",
                undo.to_str().unwrap(),
            ],
            &emu,
        );
        let child = env
            .cmd()
            .args(&a)
            .env("TIMX_SECRET_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until some writes went out, then interrupt.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while write_calls(&emu) < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap().success());
        let o = child.wait_with_output().unwrap();
        if signal == "-INT" {
            assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
            assert_eq!(rows(&o).len(), 5_000, "every account has an outcome");
        }
        let changed: Vec<String> = (0..5_000)
            .map(|i| format!("u{i:04}"))
            .filter(|a| held(&emu, a).unwrap() != (BTreeMap::new(), vec!["a".to_string()]))
            .collect();
        assert!(!changed.is_empty() && changed.len() < 5_000, "{signal}: {}", changed.len());
        let (_, undo_rows) = timx::write::undo::read(&undo).unwrap();
        let covered: std::collections::HashSet<&str> = undo_rows.iter().map(|r| r.account.as_str()).collect();
        for a in &changed {
            assert!(covered.contains(a.as_str()), "{signal}: {a} was written but is not in the undo file");
        }
        // And it restores them.
        let u = run(&env, &args(&["apply", "-f", undo.to_str().unwrap(), "--yes", "--read-write"], &emu));
        assert_eq!(u.status.code(), Some(0), "{}", text(&u.stderr));
        for a in &changed {
            assert_eq!(held(&emu, a).unwrap(), (BTreeMap::new(), vec!["a".to_string()]), "{signal}: {a}");
        }
        rt.block_on(emu.shutdown());
    }
}

/// `attr-names set`: a plan writes nothing; a rename warns and leaves the old names in an undo
/// file; a type change once set is refused before anything is sent.
#[test]
fn attr_names_set_plans_warns_keeps_an_undo_file_and_refuses_a_type_change() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    let names = |emu: &Running| emu.with_store(|s| s.attr_names.clone());
    let before = names(&emu);
    let o = run(&env, &args(&["attr-names", "set", "1=town", "7=tier", "--type", "7=user", "--plan"], &emu));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(rows(&o)[0], serde_json::json!({"slot": 1, "status": "planned", "from": "city", "to": "town"}));
    assert_eq!(names(&emu), before, "a plan writes nothing");
    let o = run(
        &env,
        &args(
            &["attr-names", "set", "1=town", "7=tier", "--type", "7=user", "--yes", "--read-write", "--verify"],
            &emu,
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("does not document"), "{}", text(&o.stderr));
    assert_eq!(rows(&o).iter().filter(|r| r["status"] == "changed").count(), 2);
    let after = names(&emu);
    assert_eq!((after[1].as_deref(), after[7].as_deref()), (Some("town"), Some("tier")));
    let undo = std::fs::read_to_string(undo_path(&o)).unwrap();
    assert!(undo.lines().any(|l| l.contains("\"slot\":1") && l.contains("\"city\"")), "{undo}");
    // push_device (slot 8) is a RegistrationID attribute: it stays one.
    let calls = emu.stats().calls;
    let o =
        run(&env, &args(&["attr-names", "set", "8=push_device", "--type", "8=user", "--yes", "--read-write"], &emu));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("cannot be changed once set"), "{}", text(&o.stdout));
    assert_eq!(emu.stats().calls, calls + 1, "only the read of the current names");
    rt.block_on(emu.shutdown());
}

/// On a terminal without --yes: the plan is shown, and only the number of accounts that will
/// change, typed back, applies it; anything else writes nothing (exit 2).
#[test]
fn on_a_terminal_the_user_types_the_number_of_accounts_to_apply() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let dir = tempfile::tempdir().unwrap();
    let env = [("TIMX_SECRET_KEY", KEY.to_string())];
    let edit = |extra: &[&str]| {
        let mut a = args(&["edit", "bob", "carol", "ghost-user", "--add-tag", "asked", "--read-write"], &emu);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = edit(&[]);
    let mut s =
        common::pty::Session::start_in(&a.iter().map(String::as_str).collect::<Vec<_>>(), &env, (24, 120), dir.path());
    s.wait_for("Type 2 to change 2 accounts");
    assert!(s.screen().contains("add tag asked"), "{}", s.screen());
    s.send(b"3\r");
    assert_eq!(s.wait_exit().exit_code(), 2);
    assert!(s.screen().contains("nothing was written"), "{}", s.screen());
    assert_eq!(write_calls(&emu), 0);

    let mut s =
        common::pty::Session::start_in(&a.iter().map(String::as_str).collect::<Vec<_>>(), &env, (24, 120), dir.path());
    s.wait_for("Type 2 to change 2 accounts");
    s.send(b"2\r");
    assert_eq!(s.wait_exit().exit_code(), 1, "ghost-user is not found: exit 1");
    assert!(s.screen().contains("changed 2"), "{}", s.screen());
    assert!(held(&emu, "bob").unwrap().1.contains(&"asked".to_string()));
    rt.block_on(emu.shutdown());
}

/// Run a write on the engine against `emu`.
fn engine_write(
    emu: &Running,
    rt: &tokio::runtime::Runtime,
    family: Family,
    want: Want,
    verify: bool,
    accounts: &[&str],
) -> (Vec<timx::write::WriteRecord>, timx::engine::Summary<WriteStatus>) {
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let undo = Arc::new(UndoLog::create(&dir.path().join("undo.ndjson"), &test_head()).unwrap());
        let job = JobConfig::new(JobKind::Inspect, family, 100);
        let cfg = WriteConfig { job, want, mode: Mode::Apply { undo, verify } };
        let mut n = engine::Normalizer::new();
        accounts.iter().for_each(|a| n.push_line(a));
        let client = Arc::new(Client::new(client_cfg(emu)).unwrap());
        drain(timx::write::spawn_write(client, cfg, Arc::new(n.finish()), CancellationToken::new())).await
    })
}

/// A user at the 100-tag limit swaps 15 tags for 15 others: all_member_push removes before it
/// adds (in rounds of 10), timpush replaces the set in one call; neither passes 100.
#[test]
fn a_full_tag_set_is_swapped_without_passing_the_limit_in_both_families() {
    let tags: Vec<String> = (0..100).map(|i| format!("old{i}")).collect();
    let data = data(serde_json::json!({"attr_names": {"0": "sex"}, "users": [{"id": "full", "tags": tags}]}));
    let mut want: Vec<String> = tags[15..].to_vec();
    want.extend((0..15).map(|i| format!("new{i}")));
    for family in [Family::AllMemberPush, Family::Timpush] {
        let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(data.clone()));
        let mut states = timx::write::States::default();
        states.push(timx::write::state_file::AccountState {
            account: "full".into(),
            attrs: None,
            tags: Some(want.clone()),
        });
        let (records, _) = engine_write(&emu, &rt, family, Want::Each(Arc::new(states)), true, &["full"]);
        assert_eq!(records[0].status, WriteStatus::Changed, "{family}: {:?}", records[0]);
        let mut held_tags = held(&emu, "full").unwrap().1;
        held_tags.sort();
        let mut sorted = want.clone();
        sorted.sort();
        assert_eq!(held_tags, sorted, "{family}");
        let stats = emu.stats();
        let add_calls: u64 =
            stats.by_path.iter().filter(|(p, _)| p.contains("add_tag")).flat_map(|(_, m)| m.values()).sum();
        assert_eq!(add_calls, if family == Family::Timpush { 1 } else { 2 }, "{family}: {stats:?}");
        assert_eq!(stats.count(90032), 0, "{family}: never over 100 tags");
        rt.block_on(emu.shutdown());
    }
}

/// `--verify` reads the accounts back: a write the service answered OK but did not keep fails
/// its account, saying so.
#[test]
fn verify_fails_an_account_whose_write_was_not_kept() {
    let faults = Faults { extra: vec![(Fault::Forget, 1.0)], ..Faults::default() };
    let (emu, rt) = start_isolated(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(demo()));
    let edit = Edit { set: [("city".to_string(), "深圳".to_string())].into(), ..Edit::default() };
    let (records, summary) =
        engine_write(&emu, &rt, Family::Timpush, Want::Same(edit.clone()), true, &["bob", "carol"]);
    for r in &records {
        assert_eq!(r.status, WriteStatus::Failed, "{r:?}");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.label, "verify");
        assert!(e.meaning.contains("set city") && e.fix.contains("someone else"), "{e:?}");
    }
    assert!(!summary.all_answered());
    // Without --verify the same write is reported changed: the service said OK.
    let (records, _) = engine_write(&emu, &rt, Family::Timpush, Want::Same(edit), false, &["bob"]);
    assert_eq!(records[0].status, WriteStatus::Changed);
    rt.block_on(emu.shutdown());
}

/// A write killed midway and resumed from its `-o` file: the accounts with an outcome there are
/// kept as they are, only the rest are planned (read) and written again, and every account ends
/// with the tag, one row each, in input order — each `changed`, also the ones the killed run
/// wrote without writing their row out (its undo file, appended to, says it wrote them).
#[test]
fn a_killed_write_resumes_planning_only_the_accounts_without_an_outcome() {
    let (emu, rt, env, accounts) = five_thousand_users(20);
    let out = env.dir.path().join("out.ndjson");
    let edit = |extra: &[&str]| {
        let base = ["edit", "-f", accounts.to_str().unwrap(), "--add-tag", "b", "--yes", "--read-write"];
        args(&[&base[..], &["-o", out.to_str().unwrap()], extra].concat(), &emu)
    };
    let child = env.cmd().args(edit(&["--rate-limit", "5"])).env("TIMX_SECRET_KEY", KEY).stderr(Stdio::null()).spawn();
    let mut child = child.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&out).map(|t| t.lines().count()).unwrap_or(0) < 300
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    child.wait().unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    let kept = before.lines().count() - 1;
    assert!((300..5_000).contains(&kept), "{kept}");
    let reads_before = emu.stats().by_path.get("v4/timpush/get_tag").and_then(|m| m.get(&0).copied()).unwrap_or(0);
    let o = run(&env, &edit(&["--resume"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let after = std::fs::read_to_string(&out).unwrap();
    assert!(after.starts_with(&before), "the rows with an outcome are kept as they were");
    let rows: Vec<serde_json::Value> = after.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 5_000);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["account"], format!("u{i:04}"));
        assert_eq!(r["status"], "changed", "{r}");
    }
    let undo_files: Vec<_> = std::fs::read_dir(env.dir.path().join("data").join("undo")).unwrap().collect();
    assert_eq!(undo_files.len(), 1, "one write job, one undo file, across the resume");
    let reads = emu.stats().by_path.get("v4/timpush/get_tag").and_then(|m| m.get(&0).copied()).unwrap_or(0);
    assert_eq!(reads - reads_before, (5_000 - kept as u64).div_ceil(100), "only the rest is planned again");
    for i in 0..5_000 {
        assert!(held(&emu, &format!("u{i:04}")).unwrap().1.contains(&"b".to_string()), "u{i:04}");
    }
    rt.block_on(emu.shutdown());
}
