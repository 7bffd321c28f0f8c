//! `timx audience` against the emulator over loopback: the real binary reads the accounts as
//! `inspect` does and answers per account whether the push would reach it, and why not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::writes::demo;
use common::*;
use timx::emulator::EmulatorConfig;

fn audience(
    env: &Workspace,
    emu: &timx::emulator::Running,
    condition: &str,
    accounts: &[&str],
) -> std::process::Output {
    let mut a = vec!["audience".to_string(), "--condition".into(), condition.into()];
    a.extend(accounts.iter().map(|s| s.to_string()));
    a.extend(one_off(emu));
    env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY))
}

fn rows(o: &std::process::Output) -> Vec<serde_json::Value> {
    text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn audience_says_who_a_condition_reaches_and_why_not() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    // bob has newsletter and PlatinumMember; carol and the unknown account do not.
    let o = audience(&env, &emu, r#"{"TagsAnd":["newsletter","PlatinumMember"]}"#, &["bob", "carol", "ghost-user"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = rows(&o);
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["account"], "bob");
    assert_eq!(out[0]["targeted"], true, "{:?}", out[0]);
    assert_eq!(out[1]["targeted"], false);
    assert!(out[1]["reasons"][0].as_str().unwrap().starts_with("TagsAnd:"), "{:?}", out[1]);
    assert_eq!(out[2]["targeted"], false);
    assert!(out[2]["reasons"][0].as_str().unwrap().contains("not imported"));
    let err = text(&o.stderr);
    assert!(err.contains("1 of 3 would be targeted"), "{err}");
    assert!(err.contains("not imported: 1"), "{err}");
    assert!(err.contains("assumed"), "{err}");
    assert_eq!(emu.stats().by_path.keys().filter(|p| !p.contains("get_")).count(), 0, "nothing but reads is sent");

    // From a file, a push body with a Condition on attributes, CSV out.
    let file = env.dir.path().join("push.json");
    std::fs::write(&file, r#"{"MsgRandom":1,"Condition":{"AttrsAnd":{"city":"São Paulo"}}}"#).unwrap();
    let mut a = vec![
        "audience".to_string(),
        "--condition".into(),
        format!("@{}", file.display()),
        "bob".into(),
        "carol".into(),
        "--format".into(),
        "csv".into(),
    ];
    a.extend(one_off(&emu));
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let csv = text(&o.stdout);
    assert!(csv.starts_with("\"account\",\"targeted\",\"reasons\",\"error\""), "{csv}");
    assert!(csv.contains("\"bob\",\"yes\"") && csv.contains("\"carol\",\"no\""), "{csv}");

    // No Condition: everyone, said loudly. An invalid one: exit 2 with the code.
    let o = audience(&env, &emu, r#"{"MsgRandom":1,"MsgBody":[]}"#, &["bob"]);
    assert!(text(&o.stderr).contains("ALL USERS"), "{}", text(&o.stderr));
    assert_eq!(rows(&o)[0]["targeted"], true);
    let o = audience(&env, &emu, r#"{"TagsAnd":["a"],"AttrsAnd":{"city":"x"}}"#, &["bob"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("90039"), "{}", text(&o.stderr));
    let o = audience(&env, &emu, r#"{"AttrsOr":{"tier":"gold"}}"#, &["bob"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("90033") && text(&o.stderr).contains("会员等级"), "{}", text(&o.stderr));
    let o = audience(&env, &emu, "{}", &["bob"]);
    assert_eq!(o.status.code(), Some(2));
    rt.block_on(emu.shutdown());
}

/// Issue 19 in the real binary: ALL USERS again on the last line; Condition keys outside
/// `Condition`, `Condition: null` and a repeated key refused (exit 2, nothing read); the
/// condition's warnings in the summary and in every row; all_member_push's unknown account is
/// undecided under ALL, not targeted.
#[test]
fn audience_never_guesses_silently() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    let o = audience(&env, &emu, r#"{"MsgRandom":1,"MsgBody":[]}"#, &["bob", "carol"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.lines().last().unwrap_or_default().contains("ALL USERS"), "the last line repeats it: {err}");
    assert!(err.contains("2 of 2 would be targeted"), "{err}");
    let calls = || emu.stats().by_path.values().flat_map(|m| m.values()).sum::<u64>();
    let reads = calls();
    for (body, says) in [
        (r#"{"MsgRandom":1,"TagsAnd":["newsletter"]}"#, "top level of the push body"),
        (r#"{"MsgBody":[],"condition":{"TagsAnd":["newsletter"]}}"#, "keys are case-sensitive"),
        (r#"{"MsgRandom":1,"Condition":null}"#, "\"Condition\" is null"),
        (r#"{"TagsAnd":["vip"],"TagsAnd":["newsletter"]}"#, "key \"TagsAnd\" is given twice"),
        (r#"{"AttrsAnd":{"city":"Seoul","city":"São Paulo"}}"#, "key \"city\" is given twice in \"AttrsAnd\""),
    ] {
        let o = audience(&env, &emu, body, &["bob"]);
        assert_eq!(o.status.code(), Some(2), "{body}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(says), "{body}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{body}: no rows");
    }
    let attr_name_reads = calls() - reads;
    assert_eq!(attr_name_reads, 5, "only the attribute names were read for the refused ones");

    let o = audience(&env, &emu, r#"{"TagsOr":["newsletter","newsletter"]}"#, &["bob", "carol"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("warning: TagsOr lists newsletter twice"), "{err}");
    assert!(!err.lines().last().unwrap_or_default().contains("ALL USERS"), "{err}");
    for row in rows(&o) {
        let w = row["warnings"].as_array().unwrap();
        assert!(w.len() == 1 && w[0].as_str().unwrap().contains("undocumented"), "{row}");
    }
    let o = audience(&env, &emu, r#"{"TagsOr":["newsletter"]}"#, &["bob"]);
    assert_eq!(rows(&o)[0]["warnings"], serde_json::json!([]), "the field is there, empty");

    // all_member_push answers an unknown account as an empty one.
    let mut a: Vec<String> =
        ["audience", "--condition", r#"{"MsgRandom":1}"#, "bob", "ghost-never-existed"].map(String::from).to_vec();
    a.extend(one_off(&emu));
    *a.last_mut().unwrap() = "all_member_push".into();
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = rows(&o);
    assert_eq!(out[0]["targeted"], true, "{}", out[0]);
    assert_eq!(out[1]["targeted"], serde_json::Value::Null, "{}", out[1]);
    assert!(out[1]["reasons"][0].as_str().unwrap().contains("does not say whether this account exists"), "{}", out[1]);
    assert!(text(&o.stderr).contains("1 of 2 would be targeted (0 not, 1 undecided)"), "{}", text(&o.stderr));
    rt.block_on(emu.shutdown());
}

/// `timx inspect --summary`: the schema's use instead of the rows (rows to -o when given).
#[test]
fn inspect_summary_reports_the_schema_in_use() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(demo()));
    let env = Workspace::new();
    let out = env.dir.path().join("rows.ndjson");
    let mut a: Vec<String> =
        ["inspect", "bob", "carol", "alice", "ghost-user", "--summary", "-o"].map(String::from).to_vec();
    a.push(out.display().to_string());
    a.extend(one_off(&emu));
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report = text(&o.stdout);
    assert!(report.starts_with("Schema use of 3 answered accounts"), "{report}");
    assert!(report.contains("city") && report.contains("Tags per account"), "{report}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4, "the rows went to -o");
    a.retain(|x| x != "-o" && *x != out.display().to_string());
    a.extend(["--format".into(), "json".into()]);
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(json["answered"], 3);
    let city = json["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "city").unwrap();
    assert_eq!(city["with_value"], 2, "{json}");
    rt.block_on(emu.shutdown());
}
