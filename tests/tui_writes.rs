//! Writes in the explorer, end to end in-process: the real worker plans and applies against the
//! emulator over loopback while the test presses keys. Edit one account and read it back, mark
//! 250 rows and tag them, set an attribute on a filter, undo to the exact earlier state, write
//! under faults, cancel mid-write and undo, rename a slot and undo; and every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::harness::Harness;
use common::*;
use crossterm::event::KeyCode;
use timx::config::Config;
use timx::emulator::data::DataFile;
use timx::emulator::{EmulatorConfig, Faults, Running};
use timx::tui::Launch;
use timx::tui::app::App;
use timx::tui::msg::Msg;
use timx::tui::overlay::Overlay;
use timx::write::WriteStatus;

/// Every user as the emulator holds them: attributes by slot, tags in order.
type Held = HashMap<String, (BTreeMap<usize, String>, Vec<String>)>;

fn held(emu: &Running) -> Held {
    emu.with_store(|s| s.users.iter().map(|(k, u)| (k.clone(), (u.attrs.clone(), u.tags.clone()))).collect())
}

fn write_calls(emu: &Running) -> u64 {
    let stats = emu.stats();
    stats.by_path.iter().filter(|(p, _)| !p.contains("get_")).flat_map(|(_, m)| m.values()).sum()
}

fn demo() -> DataFile {
    timx::demo::data().unwrap()
}

fn users(n: usize) -> DataFile {
    let users: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"id": format!("u{i:03}"), "attrs": {"city": format!("c{}", i % 3)}, "tags": ["t"]}))
        .collect();
    data(serde_json::json!({"attr_names": {"0": "city", "1": "plan"}, "users": users}))
}

struct Explorer {
    h: Harness,
    emu: Running,
    _dir: tempfile::TempDir,
}

/// The explorer on a writable (or read-only) profile over an emulator holding `data`, its
/// attribute names read, its undo files in a temporary directory.
async fn explorer(data: DataFile, faults: Faults, rate_limit: u32, read_only: bool) -> Explorer {
    let emu = start(EmulatorConfig { faults, ..EmulatorConfig::default() }, Some(data)).await;
    let profile = timx::config::Profile { read_only, rate_limit, ..test_profile("app", &emu.base_url) };
    let launch =
        Launch { config: Config::default(), profiles: vec![profile], select: None, demo: false, problems: vec![] };
    let mut h = Harness::start(launch).await;
    let dir = tempfile::tempdir().unwrap();
    h.app.undo_dir = Some(dir.path().join("undo"));
    h.wait_for("attribute names", |a| a.attr_names.names.is_some()).await;
    Explorer { h, emu, _dir: dir }
}

fn idle(a: &App) -> bool {
    a.write.is_none() && a.job.as_ref().is_none_or(|j| !j.running())
}

impl Explorer {
    /// Paste the accounts, run them, wait for every row.
    async fn run(&mut self, accounts: &str) {
        self.h.send(Msg::Paste(accounts.to_string()));
        self.h.ctrl('r');
        self.h.wait_for("the read job", idle).await;
    }

    /// Run every account the emulator holds; returns what it holds.
    async fn run_everyone(&mut self) -> Held {
        let before = held(&self.emu);
        let mut accounts: Vec<&str> = before.keys().map(String::as_str).collect();
        accounts.sort_unstable();
        self.run(&accounts.join("\n")).await;
        before
    }

    /// Wait for the plan on screen to be complete; returns how many accounts it changes.
    async fn planned(&mut self) -> u64 {
        self.h.wait_for("the plan", |a| matches!(&a.overlay, Overlay::Plan(p) if p.done)).await;
        let Overlay::Plan(p) = &self.h.app.overlay else { unreachable!() };
        p.changing()
    }

    /// Confirm the plan on screen (typing the count when it asks) and wait for the write and
    /// its read-back to end.
    async fn confirm(&mut self) {
        let n = self.planned().await;
        if n > 1 {
            self.h.type_str(&n.to_string());
        }
        self.h.key(KeyCode::Enter);
        assert!(self.h.app.write.is_some(), "the write started: {:?}", self.h.app.status);
        self.h.wait_for("the write and its read-back", idle).await;
    }

    fn status(&self) -> String {
        self.h.app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
    }

    /// Every row's last write outcome, by account.
    fn outcomes(&self) -> BTreeMap<String, WriteStatus> {
        self.h.app.results.outcomes().values().map(|o| (o.account.clone(), o.status)).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_one_account_in_the_form_and_the_row_is_read_back() {
    let mut x = explorer(demo(), Faults::default(), 100, false).await;
    x.run("alice\nbob\ncarol").await;
    x.h.key(KeyCode::Down);
    x.h.key(KeyCode::Enter); // the detail: `e` edits from there too
    x.h.key(KeyCode::Char('e'));
    let Overlay::Edit(form) = &x.h.app.overlay else { panic!("e opens the edit form: {:?}", x.status()) };
    assert_eq!(form.account, "bob");
    let last = form.fields.len() - 1;
    x.h.key(KeyCode::Down); // city
    x.h.ctrl('u');
    x.h.type_str("深圳");
    for _ in 1..last {
        x.h.key(KeyCode::Down);
    }
    x.h.type_str("vip");
    assert!(x.h.screen().contains("(was São Paulo)"), "{}", x.h.screen());
    x.h.key(KeyCode::Enter);
    assert_eq!(x.planned().await, 1);
    let screen = x.h.screen();
    assert!(screen.contains("set city: São Paulo → 深圳") && screen.contains("add tag vip"), "{screen}");
    assert_eq!(write_calls(&x.emu), 0, "nothing is written before the confirmation");
    x.confirm().await;
    let (attrs, tags) = held(&x.emu).remove("bob").unwrap();
    assert_eq!(attrs.get(&1).map(String::as_str), Some("深圳"));
    assert!(tags.contains(&"vip".to_string()) && tags.contains(&"newsletter".to_string()), "{tags:?}");
    // The row holds what the service holds now, and says what happened to it.
    let row = x.h.app.results.get(1).unwrap();
    assert_eq!(row.attrs.unwrap().get("city").map(String::as_str), Some("深圳"));
    assert!(row.tags.unwrap().contains(&"vip".to_string()));
    assert_eq!(x.outcomes(), BTreeMap::from([("bob".to_string(), WriteStatus::Changed)]));
    assert!(x.status().contains(":undo"), "{}", x.status());
    let undo = x.h.app.last_write.as_ref().unwrap().undo.clone().unwrap();
    assert!(std::fs::read_to_string(undo).unwrap().contains("São Paulo"), "the undo file holds the old value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_250_rows_and_add_a_tag_to_exactly_them() {
    let mut x = explorer(users(300), Faults::default(), 100, false).await;
    let accounts: Vec<String> = (0..300).map(|i| format!("u{i:03}")).collect();
    x.run(&accounts.join("\n")).await;
    for _ in 0..250 {
        x.h.key(KeyCode::Char(' '));
    }
    assert_eq!(x.h.app.results.marked(), 250);
    x.h.command("tag add vip");
    assert_eq!(x.planned().await, 250);
    x.h.key(KeyCode::Enter);
    assert!(matches!(&x.h.app.overlay, Overlay::Plan(p) if p.note.as_ref().is_some_and(|n| n.contains("type 250"))));
    x.confirm().await;
    let now = held(&x.emu);
    for (i, a) in accounts.iter().enumerate() {
        assert_eq!(now[a].1.contains(&"vip".to_string()), i < 250, "{a}");
    }
    let outcomes = x.outcomes();
    assert_eq!(outcomes.len(), 250);
    assert!(outcomes.values().all(|s| *s == WriteStatus::Changed));
    assert_eq!(x.h.app.results.marked(), 0, "the marks go once written");
    assert_eq!(x.h.app.results.tag_counts.get("vip"), Some(&250), "the rows were read back");
    assert_eq!(x.h.app.last_write.as_ref().unwrap().summary.count(WriteStatus::Changed), 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attr_set_changes_the_filtered_rows_and_nothing_else() {
    let mut x = explorer(demo(), Faults::default(), 100, false).await;
    let before = x.run_everyone().await;
    x.h.key(KeyCode::Char('/'));
    x.h.type_str("Seoul");
    x.h.key(KeyCode::Enter);
    let shown: Vec<String> = x.h.app.results.shown().map(|r| r.account).collect();
    assert!(shown.len() > 1, "{shown:?}");
    x.h.command("attr set plan=gold");
    x.confirm().await;
    let after = held(&x.emu);
    for (account, (attrs, tags)) in &before {
        if shown.contains(account) {
            assert_eq!(after[account].0.get(&5).map(String::as_str), Some("gold"), "{account}");
            let mut rest = after[account].0.clone();
            rest.remove(&5);
            let mut was = attrs.clone();
            was.remove(&5);
            assert_eq!(rest, was, "{account}: only plan changed");
        } else {
            assert_eq!(&after[account].0, attrs, "{account} was not shown");
        }
        assert_eq!(&after[account].1, tags);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_puts_back_exactly_what_a_write_changed() {
    let mut x = explorer(demo(), Faults::default(), 100, false).await;
    let before = x.run_everyone().await;
    x.h.command("tag clear");
    x.confirm().await;
    assert!(held(&x.emu).values().all(|(_, tags)| tags.is_empty()));
    x.h.command("attr unset city");
    x.confirm().await;
    x.h.command("undo");
    x.confirm().await;
    x.h.command("undo");
    // The last undo file is the undo's own now: undoing the undo would unset the cities again.
    x.planned().await;
    assert!(x.h.screen().contains("unset city"), "{}", x.h.screen());
    x.h.key(KeyCode::Esc);
    assert!(idle(&x.h.app));
    // The tag clear's undo file, applied as a desired-state file.
    let dir = x.h.app.undo_dir.clone().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    x.h.command(&format!("apply {}", files[0].display()));
    x.confirm().await;
    assert_eq!(held(&x.emu), before, "attributes and tags, in order, as they were");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_under_faults_ends_with_the_desired_state() {
    let faults = Faults { fail_rate: 0.05, http_error_rate: 0.05, drop_rate: 0.03, ..Faults::default() };
    let mut x = explorer(users(200), faults, 100, false).await;
    let accounts: Vec<String> = (0..200).map(|i| format!("u{i:03}")).collect();
    x.run(&accounts.join("\n")).await;
    x.h.key(KeyCode::Char('*'));
    x.h.command("tag add vip");
    x.confirm().await;
    assert!(x.emu.stats().injected_91000 + x.emu.stats().injected_http_errors > 0, "faults were met");
    let now = held(&x.emu);
    assert!(accounts.iter().all(|a| now[a].1 == ["t", "vip"]), "every account has its tag once");
    let outcomes = x.outcomes();
    assert_eq!(outcomes.len(), 200);
    assert!(outcomes.values().all(|s| *s == WriteStatus::Changed), "{outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_write_leaves_an_undo_file_that_restores() {
    let faults = Faults { latency: Duration::from_millis(20), ..Faults::default() };
    let mut x = explorer(users(600), faults, 3, false).await;
    let before = held(&x.emu);
    let accounts: Vec<String> = (0..600).map(|i| format!("u{i:03}")).collect();
    x.run(&accounts.join("\n")).await;
    x.h.command("attr set plan=gold");
    assert_eq!(x.planned().await, 600);
    x.h.type_str("600");
    x.h.key(KeyCode::Enter);
    x.h.wait_for("the first outcomes", |a| !a.results.outcomes().is_empty()).await;
    x.h.key(KeyCode::Esc);
    x.h.wait_for("the cancelled write and its read-back", idle).await;
    let outcomes = x.outcomes();
    let changed = outcomes.values().filter(|s| **s == WriteStatus::Changed).count();
    assert!(changed > 0 && changed < 600, "{changed} changed before the cancel");
    assert_eq!(outcomes.len(), 600, "every account has one outcome");
    x.h.command("undo");
    x.confirm().await;
    assert_eq!(held(&x.emu), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_a_slot_from_the_names_pane_and_undo_it() {
    let mut x = explorer(demo(), Faults::default(), 100, false).await;
    x.h.key(KeyCode::Tab); // the attribute names
    for _ in 0..5 {
        x.h.key(KeyCode::Down);
    }
    x.h.key(KeyCode::Char('e'));
    assert!(matches!(&x.h.app.overlay, Overlay::Command(l) if l.text == "attr-name 5 plan"));
    assert!(x.h.screen().contains("SLOT NAME [user|registration]"), "the usage follows the cursor");
    for _ in 0.."plan".len() {
        x.h.key(KeyCode::Backspace);
    }
    x.h.type_str("tier");
    x.h.key(KeyCode::Enter);
    assert_eq!(x.planned().await, 1);
    assert!(x.h.screen().contains("does not document"), "the rename warning: {}", x.h.screen());
    x.h.key(KeyCode::Enter);
    x.h.wait_for("the slot named", |a| a.write.is_none() && a.attr_names.names.is_some()).await;
    assert_eq!(x.emu.with_store(|s| s.attr_names[5].clone()).as_deref(), Some("tier"));
    assert!(x.status().contains("undo"), "{}", x.status());
    x.h.command("undo");
    assert_eq!(x.planned().await, 1);
    x.h.key(KeyCode::Enter);
    x.h.wait_for("the slot renamed back", |a| a.write.is_none() && a.attr_names.names.is_some()).await;
    assert_eq!(x.emu.with_store(|s| s.attr_names[5].clone()).as_deref(), Some("plan"));
    // Naming an empty slot: its undo cannot empty it again, and the plan says so.
    x.h.command("attr-name 7 tier");
    assert_eq!(x.planned().await, 1);
    x.h.key(KeyCode::Enter);
    x.h.wait_for("slot 7 named", |a| a.write.is_none() && a.attr_names.names.is_some()).await;
    x.h.command("undo");
    assert_eq!(x.planned().await, 0);
    assert!(x.h.screen().contains("slot 7 was empty before"), "{}", x.h.screen());
    x.h.key(KeyCode::Esc);
}

/// A read-only profile refuses every write and says why; `:unlock` wants the SDKAppID typed;
/// Esc from a plan sends nothing; no write starts while a job runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_read_only_unlock_escape_and_busy() {
    let mut x = explorer(demo(), Faults::default(), 100, true).await;
    x.run("alice\nbob").await;
    assert!(x.h.screen().contains(" RO "), "{}", x.h.screen());
    for attempt in ["e", "+", ":tag add vip", ":attr set plan=x", ":apply x.csv", ":undo", ":attr-name 7 tier"] {
        match attempt.strip_prefix(':') {
            Some(line) => x.h.command(line),
            None => x.h.key(KeyCode::Char(attempt.chars().next().unwrap())),
        }
        assert!(x.status().contains("read-only"), "{attempt}: {}", x.status());
        assert!(matches!(x.h.app.overlay, Overlay::None), "{attempt}");
    }
    x.h.command("unlock");
    x.h.type_str("1400000001");
    x.h.key(KeyCode::Enter);
    assert!(x.status().contains("not the SDKAppID"), "{}", x.status());
    assert!(x.h.app.active_profile().unwrap().read_only);
    x.h.command("unlock");
    assert!(x.h.screen().contains("type the SDKAppID of app"), "{}", x.h.screen());
    x.h.type_str("1400000000");
    x.h.key(KeyCode::Enter);
    assert!(!x.h.app.active_profile().unwrap().read_only);
    assert!(x.h.screen().contains("RW: WRITES ALLOWED"), "{}", x.h.screen());
    // Esc from the plan: nothing sent.
    x.h.command("tag add vip");
    x.planned().await;
    x.h.key(KeyCode::Esc);
    assert!(idle(&x.h.app) && matches!(x.h.app.overlay, Overlay::None));
    assert!(x.status().contains("nothing was written"), "{}", x.status());
    assert_eq!(write_calls(&x.emu), 0);
    // Esc while a file is still being read: its plan never shows.
    x.h.command("apply /nonexistent/x.csv");
    x.h.key(KeyCode::Esc);
    assert!(x.status().contains("will not be planned"), "{}", x.status());
    // A job running: no write beside it.
    x.h.app.job.as_mut().unwrap().summary = None;
    x.h.command("tag add vip");
    assert!(x.status().contains("a job is running"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::None));
}
