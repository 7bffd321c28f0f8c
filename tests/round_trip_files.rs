//! Files in the round trip, through the real binary against the emulator: an app whose
//! attributes are named like export columns (`status`, `tags`, …) exports and re-applies with
//! nothing changed, in both families; an edited cell with spaces around `;` and a tag twice
//! plans what a person meant; a file with a column or a key twice is refused with its line,
//! and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::writes::{write_calls, write_rows};
use common::*;
use timx::emulator::{EmulatorConfig, Running};

/// Slots named like the columns of an export, and the accounts that use them.
fn colliding_app() -> timx::emulator::data::DataFile {
    data(serde_json::json!({
        "attr_names": {"0": "status", "1": "tags", "2": "city", "3": "error", "4": "account"},
        "users": [
            {"id": "alice", "attrs": {"status": "failed", "tags": "a;b", "city": "深圳", "error": "=1", "account": "x"},
             "tags": ["vip", "new"]},
            {"id": "bob", "attrs": {"status": "cancelled"}},
            {"id": "carol", "tags": ["x"]},
            {"id": "dan", "attrs": {"tags": "vip"}, "tags": ["status"]},
        ]
    }))
}

const ACCOUNTS: [&str; 4] = ["alice", "bob", "carol", "dan"];

/// The one-off target of `emu` in `family`.
fn target(emu: &Running, family: &str) -> Vec<String> {
    let mut t = one_off(emu);
    *t.last_mut().unwrap() = family.into();
    t
}

fn timx(env: &Workspace, args: &[&str], emu: &Running, family: &str) -> std::process::Output {
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.extend(target(emu, family));
    env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY))
}

/// (account, status) of each plan row on stdout.
fn statuses(o: &std::process::Output) -> Vec<(String, String)> {
    write_rows(&text(&o.stdout))
        .iter()
        .map(|v| (v["account"].as_str().unwrap().to_owned(), v["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn all(status: &str) -> Vec<(String, String)> {
    ACCOUNTS.iter().map(|a| (a.to_string(), status.to_string())).collect()
}

#[test]
fn an_unedited_export_of_attributes_named_like_columns_reapplies_as_unchanged_in_both_families() {
    for family in ["timpush", "all_member_push"] {
        let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(colliding_app()));
        let env = Workspace::new();
        for ext in ["csv", "ndjson", "json"] {
            let file = env.dir.path().join(format!("x.{ext}"));
            let file = file.to_str().unwrap();
            let o = timx(&env, &[&["inspect", "-o", file][..], &ACCOUNTS].concat(), &emu, family);
            assert_eq!(o.status.code(), Some(0), "{family} {ext}: {}", text(&o.stderr));
            if ext == "csv" {
                let header = std::fs::read_to_string(file).unwrap().lines().next().unwrap().to_owned();
                assert_eq!(
                    header,
                    "\"account\",\"attr:status\",\"attr:tags\",\"city\",\"attr:error\",\"attr:account\",\
                     \"other_attrs\",\"tags\",\"status\",\"error_code\",\"error\"",
                    "{family}"
                );
            }
            let o = timx(&env, &["apply", "-f", file, "--plan"], &emu, family);
            assert_eq!(o.status.code(), Some(0), "{family} {ext}: {}", text(&o.stderr));
            assert_eq!(statuses(&o), all("unchanged"), "{family} {ext}: {}", text(&o.stdout));
            assert!(!text(&o.stderr).contains("skipped"), "{family} {ext}: {}", text(&o.stderr));
        }
        assert_eq!(write_calls(&emu), 0, "{family}: a plan writes nothing");
        rt.block_on(emu.shutdown());
    }
}

#[test]
fn an_edited_csv_plans_what_was_meant_and_a_column_or_key_twice_is_refused() {
    let (emu, rt) = start_isolated(EmulatorConfig::default(), Some(colliding_app()));
    let env = Workspace::new();
    let file = |name: &str| env.dir.path().join(name).to_str().unwrap().to_owned();
    let o = timx(&env, &["inspect", "-o", &file("x.csv"), "carol", "dan"], &emu, "timpush");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // As a person edits it: spaces around `;`, a tag twice, the `status` attribute given a value.
    let csv = std::fs::read_to_string(file("x.csv")).unwrap();
    let edited =
        csv.replace("\"carol\",\"\",", "\"carol\",\"gold\",").replace("\"x\",\"found\"", "\"x ; vip ;x\",\"found\"");
    assert_ne!(edited, csv);
    std::fs::write(file("edited.csv"), &edited).unwrap();
    let o = timx(&env, &["apply", "-f", &file("edited.csv"), "--plan"], &emu, "timpush");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows = write_rows(&text(&o.stdout));
    assert_eq!(rows[0]["account"], "carol");
    assert_eq!(
        rows[0]["changes"],
        serde_json::json!([{"op": "set", "name": "status", "to": "gold"}, {"op": "add", "tag": "vip"}]),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(rows[1]["status"], "unchanged", "{}", text(&o.stdout));

    // A column twice: refused with its name and line, nothing sent.
    std::fs::write(file("twice.csv"), "account,status,city,status\ncarol,found,x,failed\n").unwrap();
    let o = timx(&env, &["apply", "-f", &file("twice.csv"), "--plan"], &emu, "timpush");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("line 1: column \"status\" appears twice in the header: account,status,city,status"),
        "{}",
        text(&o.stderr)
    );
    // A key twice in a JSON row, and in its attrs.
    for (name, line) in [
        ("twice.ndjson", "{\"account\":\"carol\",\"tags\":[\"a\"],\"tags\":[]}"),
        ("attrs.ndjson", "{\"account\":\"carol\",\"attrs\":{\"city\":\"a\",\"city\":\"b\"}}"),
    ] {
        std::fs::write(file(name), format!("{{\"account\":\"dan\"}}\n{line}\n")).unwrap();
        let o = timx(&env, &["apply", "-f", &file(name), "--yes", "--read-write"], &emu, "timpush");
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("line 2: key \""), "{name}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(line), "{name}: the line is shown: {}", text(&o.stderr));
    }
    assert_eq!(write_calls(&emu), 0, "nothing was written");
    rt.block_on(emu.shutdown());
}
