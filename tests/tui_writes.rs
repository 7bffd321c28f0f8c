//! Writes in the explorer, end to end in-process: the real worker plans and applies against the
//! emulator over loopback while the test presses keys. Edit one account and read it back, mark
//! 250 rows and tag them, set an attribute on a filter, undo to the exact earlier state, write
//! under faults, cancel mid-write and undo, rename a slot and undo; and every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::harness::Harness;
use common::writes::write_calls;
use common::*;
use crossterm::event::KeyCode;
use timx::config::Config;
use timx::emulator::data::DataFile;
use timx::emulator::{EmulatorConfig, Fault, Faults, Running};
use timx::tui::Launch;
use timx::tui::app::{App, Pane};
use timx::tui::msg::{Msg, WorkerEvent};
use timx::tui::overlay::Overlay;
use timx::write::WriteStatus;

/// Every user as the emulator holds them: attributes by slot, tags in order.
type Held = HashMap<String, (BTreeMap<usize, String>, Vec<String>)>;

fn held(emu: &Running) -> Held {
    emu.with_store(|s| s.users.iter().map(|(k, u)| (k.clone(), (u.attrs.clone(), u.tags.clone()))).collect())
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
    /// The first profile's emulator (the one in use at the start).
    emu: Running,
    /// The other profiles' emulators, in order.
    others: Vec<Running>,
    dir: tempfile::TempDir,
}

/// The explorer on a writable (or read-only) profile over an emulator holding `data`, its
/// attribute names read, its undo files in a temporary directory.
async fn explorer(data: DataFile, faults: Faults, rate_limit: u32, read_only: bool) -> Explorer {
    explorer_on(vec![("app", data)], faults, rate_limit, read_only).await
}

/// The explorer with one writable (or read-only) profile per app, each on an emulator of its
/// own holding its data; the first profile is in use, its attribute names read.
async fn explorer_on(apps: Vec<(&str, DataFile)>, faults: Faults, rate_limit: u32, read_only: bool) -> Explorer {
    let (mut emus, mut profiles) = (Vec::new(), Vec::new());
    for (name, data) in apps {
        let emu = start(EmulatorConfig { faults: faults.clone(), ..EmulatorConfig::default() }, Some(data)).await;
        profiles.push(timx::config::Profile { read_only, rate_limit, ..test_profile(name, &emu.base_url) });
        emus.push(emu);
    }
    let launch = Launch { config: Config::default(), profiles, select: None, demo: false, problems: vec![] };
    let mut h = Harness::start(launch).await;
    let dir = tempfile::tempdir().unwrap();
    h.app.undo_dir = Some(dir.path().join("undo"));
    h.wait_for("attribute names", |a| a.attr_names.names.is_some()).await;
    let emu = emus.remove(0);
    Explorer { h, emu, others: emus, dir }
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

    /// `:profile NAME` and wait for its attribute names.
    async fn switch(&mut self, name: &str) {
        self.h.command(&format!("profile {name}"));
        assert_eq!(self.h.app.active_profile().unwrap().name, name, "{}", self.status());
        self.h.wait_for("the attribute names", |a| !a.attr_names.loading).await;
    }

    /// A command line run as if typed, also where the overlay on screen (a plan) takes the keys.
    fn command_under(&mut self, line: &str) {
        let cmds = timx::tui::commands::run(&mut self.h.app, line);
        self.h.dispatch(cmds);
    }

    /// The rows exported to a CSV in the test's directory: a desired-state file of them, unedited.
    fn export_rows(&mut self) -> std::path::PathBuf {
        let file = self.dir.path().join("rows.csv");
        self.h.command(&format!("export {}", file.display()));
        assert!(self.status().starts_with("exported"), "{}", self.status());
        file
    }

    /// Wait for the worker's answer for `file` (read for `:apply`) and feed it in.
    async fn file_answer(&mut self, file: &std::path::Path) {
        let desired = |e: &WorkerEvent| matches!(e, WorkerEvent::DesiredLoaded { path, .. } if path == file);
        self.h.pump_until("the file's answer", desired).await;
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
    let mut x = explorer(users(600), faults.clone(), 3, false).await;
    let before = held(&x.emu);
    let accounts: Vec<String> = (0..600).map(|i| format!("u{i:03}")).collect();
    x.run(&accounts.join("\n")).await;
    x.h.command("attr set plan=gold");
    assert_eq!(x.planned().await, 600);
    x.h.type_str("600");
    x.h.key(KeyCode::Enter);
    x.h.wait_for("the first outcomes", |a| !a.results.outcomes().is_empty()).await;
    // From here every call stalls (held by the emulator), so the Esc below comes mid-write
    // however slow the machine is.
    x.emu.set_faults(Faults { extra: vec![(Fault::Stall, 1.0)], ..faults.clone() });
    x.h.key(KeyCode::Esc);
    let ended = |a: &App| a.status.as_ref().is_some_and(|s| s.text.contains("cancelled"));
    x.h.wait_for("the cancelled write", ended).await;
    x.emu.set_faults(faults);
    x.h.wait_for("its read-back", idle).await;
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
    // Esc while a real file is still being read: its late answer arrives and plans nothing.
    let file = x.export_rows();
    x.h.command(&format!("apply {}", file.display()));
    x.h.key(KeyCode::Esc);
    assert!(x.status().contains("will not be planned"), "{}", x.status());
    x.file_answer(&file).await;
    assert!(matches!(x.h.app.overlay, Overlay::None), "no plan shows for a file Esc stopped");
    assert!(x.h.app.write.is_none());
    assert_eq!(write_calls(&x.emu), 0);
    // Unstopped, the same file plans (so the check above could see a plan).
    x.h.command(&format!("apply {}", file.display()));
    x.planned().await;
    x.h.key(KeyCode::Esc);
    assert_eq!(write_calls(&x.emu), 0);
}

/// A real read still running (a slow emulator): no write starts beside it, by any key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_starts_beside_a_running_read() {
    let faults = Faults { latency: Duration::from_millis(40), ..Faults::default() };
    let mut x = explorer(users(300), faults, 5, false).await;
    let accounts: Vec<String> = (0..300).map(|i| format!("u{i:03}")).collect();
    x.h.send(Msg::Paste(accounts.join("\n")));
    x.h.ctrl('r');
    x.h.wait_for("the first rows", |a| a.results.present() > 0).await;
    assert!(x.h.app.job.as_ref().unwrap().running(), "the read still runs");
    x.h.command("tag add vip");
    assert!(x.status().contains("a job is running"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::None));
    x.h.key(KeyCode::Char('+'));
    assert!(x.status().contains("a job is running"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::None));
    x.h.key(KeyCode::Char('e'));
    assert!(matches!(x.h.app.overlay, Overlay::None));
    assert!(x.h.app.write.is_none());
    x.h.wait_for("the read job", idle).await;
    assert_eq!(x.h.app.results.present(), 300);
    assert_eq!(write_calls(&x.emu), 0, "nothing was written beside the read");
}

fn accounts(n: usize) -> String {
    (0..n).map(|i| format!("u{i:03}")).collect::<Vec<_>>().join("\n")
}

fn vip_count(emu: &Running) -> usize {
    held(emu).values().filter(|(_, tags)| tags.contains(&"vip".to_string())).count()
}

/// `:profile`, `:family` and Enter in the Profiles pane are refused while a plan is open and
/// while its write runs; the write, its read-back and its undo are on the plan's app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_cannot_change_under_a_plan_or_its_write() {
    let mut x = explorer_on(vec![("prod", users(40)), ("staging", users(40))], Faults::default(), 100, false).await;
    x.run(&accounts(40)).await;
    // A file being read for a plan holds the app too.
    let file = x.export_rows();
    x.h.command(&format!("apply {}", file.display()));
    x.h.command("profile staging");
    assert!(x.status().contains("a file is being read"), "{}", x.status());
    assert_eq!(x.h.app.active_profile().unwrap().name, "prod");
    x.h.key(KeyCode::Esc);
    x.file_answer(&file).await;
    x.h.command("tag add vip");
    assert_eq!(x.planned().await, 40);
    // The plan takes the keys: the command line is run beneath it.
    for line in ["profile staging", "family all_member_push"] {
        x.command_under(line);
        assert!(x.status().contains("prod"), "{line}: {}", x.status());
        assert_eq!(x.h.app.active_profile().unwrap().name, "prod", "{line}");
        assert_eq!(x.h.app.active_profile().unwrap().family, timx::api::Family::Timpush, "{line}");
        assert!(matches!(x.h.app.overlay, Overlay::Plan(_)), "{line}: the plan stays");
    }
    x.h.type_str("40");
    x.h.key(KeyCode::Enter);
    assert!(x.h.app.write.is_some());
    // The write runs (its events are not fed yet): every way to switch is refused.
    x.h.command("profile staging");
    assert!(x.status().contains("prod"), "{}", x.status());
    x.h.command("family all_member_push");
    assert!(x.status().contains("prod"), "{}", x.status());
    x.h.app.focus = Pane::Profiles;
    x.h.key(KeyCode::Down);
    x.h.key(KeyCode::Enter);
    assert!(x.status().contains("prod"), "{}", x.status());
    // The profile form's save (which switches to the saved profile): the form stays, saying why.
    x.h.key(KeyCode::Char('n'));
    x.h.type_str("prod-sg");
    x.h.key(KeyCode::Tab);
    x.h.key(KeyCode::Right); // Singapore
    x.h.key(KeyCode::Tab);
    x.h.key(KeyCode::Tab);
    x.h.type_str("1400000001");
    for _ in 0..6 {
        x.h.key(KeyCode::Tab);
    }
    x.h.key(KeyCode::Enter);
    let Overlay::Form(form) = &x.h.app.overlay else { panic!("the form stays: {}", x.status()) };
    assert!(form.error.as_ref().is_some_and(|e| e.contains("not saved now")), "{:?}", form.error);
    x.h.key(KeyCode::Esc);
    assert_eq!(x.h.app.active_profile().unwrap().name, "prod");
    assert_eq!(x.h.app.active_profile().unwrap().family, timx::api::Family::Timpush);
    x.h.wait_for("the write and its read-back", idle).await;
    assert_eq!(vip_count(&x.emu), 40, "the write landed on the plan's app");
    assert_eq!(write_calls(&x.others[0]), 0, "nothing on the other app");
    assert_eq!(x.h.app.results.tag_counts.get("vip"), Some(&40), "read back from the plan's app");
    let undo = x.h.app.last_write.as_ref().unwrap().undo.clone().unwrap();
    assert!(undo.file_name().unwrap().to_string_lossy().ends_with("-prod.ndjson"), "{}", undo.display());
    // Once it ended, switching works again.
    x.switch("staging").await;
}

/// A profile saved, or the demo coming up, while a write is open adds the profile but does not
/// switch to it; a change to the plan's own profile waits for the write to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_saved_and_demo_ready_under_a_write_do_not_switch() {
    let mut x = explorer_on(vec![("prod", users(20))], Faults::default(), 100, false).await;
    x.run(&accounts(20)).await;
    x.h.command("tag add vip");
    assert_eq!(x.planned().await, 20);
    let saved = |p: timx::config::Profile| {
        Msg::Worker(WorkerEvent::ProfileSaved {
            config: Box::new(Config::default()),
            profile: Box::new(p),
            result: Ok(()),
        })
    };
    x.h.send(saved(test_profile("other", &x.emu.base_url)));
    assert_eq!(x.h.app.active_profile().unwrap().name, "prod");
    assert!(x.h.app.profiles.iter().any(|p| p.name == "other"), "the saved profile is listed");
    assert!(x.status().contains("other") && x.status().contains("prod"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::Plan(_)), "the plan stays");
    x.h.send(Msg::Worker(WorkerEvent::DemoReady(test_profile("demo", "http://127.0.0.1:9"))));
    assert_eq!(x.h.app.active_profile().unwrap().name, "prod");
    assert!(x.h.app.profiles.iter().any(|p| p.name == "demo"));
    assert!(x.status().contains("demo") && x.status().contains("prod"), "{}", x.status());
    x.h.type_str("20");
    x.h.key(KeyCode::Enter);
    assert!(x.h.app.write.is_some());
    // The plan's own profile saved with another app: it waits for the write.
    let moved = timx::config::Profile {
        sdkappid: 1_400_000_009,
        read_only: false,
        ..test_profile("prod", "http://127.0.0.1:9")
    };
    x.h.send(saved(moved));
    assert_eq!(x.h.app.active_profile().unwrap().sdkappid, SDKAPPID, "{}", x.status());
    x.h.send(Msg::Worker(WorkerEvent::DemoReady(test_profile("demo", "http://127.0.0.1:9"))));
    assert_eq!(x.h.app.active_profile().unwrap().name, "prod");
    x.h.wait_for("the write and its read-back", idle).await;
    assert_eq!(vip_count(&x.emu), 20);
    assert_eq!(x.h.app.results.tag_counts.get("vip"), Some(&20), "read back from the plan's app");
    // After the write, the saved settings apply.
    x.h.wait_for("the saved profile applied", |a| a.active_profile().is_some_and(|p| p.sdkappid == 1_400_000_009))
        .await;
}

/// Rows read on one app, shown after a switch to another: marked stale on the border, and
/// writes on them are refused until Ctrl-R reads them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_results_refuse_writes_until_they_are_read_again() {
    let mut x = explorer_on(vec![("prod", users(5)), ("staging", users(5))], Faults::default(), 100, false).await;
    x.run(&accounts(5)).await;
    let file = x.export_rows();
    x.switch("staging").await;
    assert!(x.h.screen().contains("stale: read on prod/timpush"), "{}", x.h.screen());
    for attempt in ["e", "+", "-", ":tag add vip", ":attr set plan=x"] {
        match attempt.strip_prefix(':') {
            Some(line) => x.h.command(line),
            None => x.h.key(KeyCode::Char(attempt.chars().next().unwrap())),
        }
        assert!(x.status().contains("read on prod"), "{attempt}: {}", x.status());
        assert!(matches!(x.h.app.overlay, Overlay::None), "{attempt}");
        assert!(x.h.app.write.is_none(), "{attempt}");
    }
    // A file whose accounts are these rows would be written into them: refused too.
    x.h.command(&format!("apply {}", file.display()));
    x.h.wait_for("the file read", |a| a.status.as_ref().is_some_and(|s| s.text.contains("read on prod"))).await;
    assert!(matches!(x.h.app.overlay, Overlay::None));
    assert_eq!(write_calls(&x.emu) + write_calls(&x.others[0]), 0);
    x.h.ctrl('r');
    x.h.wait_for("the read job", idle).await;
    assert!(!x.h.screen().contains("stale"), "{}", x.h.screen());
    x.h.command("tag add vip");
    x.confirm().await;
    assert_eq!(vip_count(&x.others[0]), 5);
    assert_eq!(vip_count(&x.emu), 0);
}

/// Review: `:undo` was refused while the rows shown were stale (read on another profile), though
/// an undo writes its own file's accounts, not the rows. It plans, its accounts become the rows,
/// and it puts back what the write changed on this app only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_plans_while_the_rows_shown_are_stale() {
    let mut x = explorer_on(vec![("prod", users(5)), ("staging", users(5))], Faults::default(), 100, false).await;
    x.switch("staging").await;
    x.run(&accounts(5)).await;
    x.h.command("tag add vip");
    x.confirm().await;
    assert_eq!(vip_count(&x.others[0]), 5);
    x.switch("prod").await;
    x.run(&accounts(5)).await;
    x.switch("staging").await;
    assert!(x.h.screen().contains("stale: read on prod/timpush"), "{}", x.h.screen());
    x.h.command("undo");
    assert_eq!(x.planned().await, 5, "{}", x.status());
    assert!(matches!(&x.h.app.overlay, Overlay::Plan(p) if p.title.starts_with("undo ")));
    x.confirm().await;
    assert_eq!(vip_count(&x.others[0]), 0, "staging put back");
    assert_eq!(vip_count(&x.emu), 0, "prod untouched");
    assert!(!x.h.screen().contains("stale"), "the undo's accounts are the rows now: {}", x.h.screen());
}

/// Review: Esc during a write's read-back blanked every row (its cancelled read holds no
/// attributes, no tags) while the row still said `changed`, and nothing said it was not read
/// back. The read-back's answers as a cancel gives them (each account `cancelled`) are fed to
/// the explorer as the worker would: the rows keep what they showed, and the status line says
/// how many were not read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_read_back_keeps_the_rows_and_says_they_were_not_read_back() {
    use timx::engine::{Event, Record, Status, Summary};
    let mut x = explorer_on(vec![("prod", users(5))], Faults::default(), 100, false).await;
    x.run(&accounts(5)).await;
    let before: Vec<_> = (0..5).map(|i| x.h.app.results.get(i).unwrap()).collect();
    assert!(before.iter().all(|r| r.tags.as_ref().is_some_and(|t| !t.is_empty())), "{before:?}");
    x.h.command("tag add vip");
    let n = x.planned().await;
    x.h.type_str(&n.to_string());
    x.h.key(KeyCode::Enter);
    let reading = |a: &App| a.write.as_ref().is_some_and(|w| w.phase == timx::tui::writes::Phase::ReadingBack);
    x.h.wait_for("the read-back", reading).await;
    let job = x.h.app.write.as_ref().unwrap().job;
    let cancelled: Vec<Record> =
        (0..5).map(|i| Record::new(i, &before[i as usize].account, Status::Cancelled)).collect();
    x.h.send(Msg::Worker(WorkerEvent::Job { job, event: Event::Batch(cancelled) }));
    x.h.send(Msg::Worker(WorkerEvent::Job { job, event: Event::Finished(Summary::default()) }));
    assert!(x.h.app.write.is_none(), "the flow ended");
    for (i, b) in before.iter().enumerate() {
        let now = x.h.app.results.get(i as u32).unwrap();
        assert_eq!((&now.attrs, &now.tags, now.status), (&b.attrs, &b.tags, b.status), "row {i} keeps what it showed");
    }
    assert!(x.status().contains("5 rows were not read back"), "{}", x.status());
    assert_eq!(vip_count(&x.emu), 5, "the write went through");
}

/// `:undo` on profile `demo` never takes `staging-demo`'s undo file, although the one name ends
/// the other; back on `staging-demo` its own undo plans, titled "undo …".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_on_a_profile_never_picks_another_profiles_file() {
    let mut x = explorer_on(vec![("staging-demo", users(5)), ("demo", users(5))], Faults::default(), 100, false).await;
    let before = held(&x.emu);
    x.run(&accounts(5)).await;
    x.h.command("tag add vip");
    x.confirm().await;
    assert_eq!(vip_count(&x.emu), 5);
    x.switch("demo").await;
    x.h.command("undo");
    assert!(x.status().contains("no write to undo"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::None) && x.h.app.write.is_none(), "{}", x.status());
    x.switch("staging-demo").await;
    x.h.command("undo");
    x.planned().await;
    let Overlay::Plan(plan) = &x.h.app.overlay else { unreachable!() };
    assert!(plan.title.starts_with("undo ") && plan.title.ends_with("-staging-demo.ndjson"), "{}", plan.title);
    x.confirm().await;
    assert_eq!(held(&x.emu), before);
    assert_eq!(write_calls(&x.others[0]), 0);
}

/// A schema undo belongs to the app it was made on: refused on another profile, and on the
/// same profile once it names another SDKAppID; on its own app it plans as "undo …".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_undo_is_refused_on_another_app() {
    let mut x = explorer_on(vec![("prod", users(3)), ("staging", users(3))], Faults::default(), 100, false).await;
    x.h.command("attr-name 7 tier");
    assert_eq!(x.planned().await, 1);
    x.h.key(KeyCode::Enter);
    x.h.wait_for("the slot named", |a| a.write.is_none() && a.attr_names.names.is_some()).await;
    x.switch("staging").await;
    x.h.command("undo");
    assert!(matches!(x.h.app.overlay, Overlay::None), "no plan on another app: {}", x.status());
    assert!(x.h.app.write.is_none());
    assert!(x.status().contains("no write to undo"), "{}", x.status());
    x.switch("prod").await;
    x.h.command("undo");
    assert_eq!(x.planned().await, 0, "slot 7 was empty: its name stays");
    let Overlay::Plan(plan) = &x.h.app.overlay else { unreachable!() };
    assert!(plan.title.starts_with("undo "), "{}", plan.title);
    x.h.key(KeyCode::Esc);
    // The same profile, saved with another SDKAppID: another app.
    let moved =
        timx::config::Profile { sdkappid: 1_400_000_001, read_only: false, ..test_profile("prod", &x.emu.base_url) };
    x.h.send(Msg::Worker(WorkerEvent::ProfileSaved {
        config: Box::new(Config::default()),
        profile: Box::new(moved),
        result: Ok(()),
    }));
    x.h.wait_for("the attribute names", |a| !a.attr_names.loading).await;
    x.h.command("undo");
    assert!(x.status().contains("SDKAppID 1400000000"), "{}", x.status());
    assert!(matches!(x.h.app.overlay, Overlay::None) && x.h.app.write.is_none());
    assert_eq!(x.emu.with_store(|s| s.attr_names[7].clone()).as_deref(), Some("tier"));
    assert_eq!(x.others[0].with_store(|s| s.attr_names[7].clone()), None);
}

/// An applied audience is checked again when the family or the attribute names change, and
/// dropped with the reason when it no longer holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applied_audience_is_checked_again_when_the_app_changes() {
    let region = data(serde_json::json!({"attr_names": {"0": "region"}, "users": [{"id": "u000", "tags": ["t"]}]}));
    let mut x = explorer_on(vec![("prod", users(5)), ("other", region)], Faults::default(), 100, false).await;
    x.run(&accounts(5)).await;
    x.h.command(r#"audience {"TagsNot":["t"]}"#);
    assert!(x.h.app.results.audience.is_some(), "{}", x.status());
    x.h.command("family all_member_push");
    x.h.wait_for("the attribute names", |a| !a.attr_names.loading).await;
    assert!(x.h.app.results.audience.is_none(), "TagsNot does not hold on all_member_push");
    assert!(x.status().contains("audience dropped") && x.status().contains("TagsNot"), "{}", x.status());
    x.h.command("family timpush");
    x.h.wait_for("the attribute names", |a| !a.attr_names.loading).await;
    x.h.command(r#"audience {"AttrsAnd":{"city":"c1"}}"#);
    assert!(x.h.app.results.audience.is_some(), "{}", x.status());
    x.switch("other").await;
    assert!(x.h.app.results.audience.is_none(), "the other app has no attribute city");
    assert!(x.status().contains("audience dropped") && x.status().contains("city"), "{}", x.status());
}

/// On `:family` the applied condition is checked again for the new family, not only for its
/// names: a body without Condition stays applied, and all_member_push — which answers an
/// unknown account as an empty one — leaves that account undecided where timpush's 70107 said
/// it was not imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_condition_is_judged_again_for_the_new_family() {
    let mut x = explorer(users(3), Faults::default(), 100, false).await;
    x.run(&format!("{}\nghost-never-existed", accounts(3))).await;
    x.h.command(r#"audience {"MsgRandom":1,"MsgBody":[]}"#);
    let counts = |x: &Explorer| x.h.app.results.audience.as_ref().map(|a| a.counts);
    assert_eq!(counts(&x), Some([3, 1, 0]), "{}", x.status());
    x.h.command("family all_member_push");
    x.h.wait_for("the attribute names", |a| !a.attr_names.loading).await;
    let a = x.h.app.results.audience.as_ref().expect("a body without Condition holds on all_member_push");
    assert_eq!(a.checked().family, timx::api::Family::AllMemberPush);
    x.h.ctrl('r');
    x.h.wait_for("the read job", idle).await;
    assert_eq!(counts(&x), Some([3, 0, 1]), "the unknown account is undecided: {}", x.status());
}

/// Defect 2: a plan that stopped early (90009 on its reads) said "100 change · 150 failed",
/// and typing 100 wrote all 250. Now Enter applies the plan shown: only its planned rows are
/// written; the rows it could not read are not, and the plan says how many and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_stopped_early_writes_only_its_planned_rows() {
    let mut x = explorer(users(250), Faults::default(), 100, false).await;
    let accounts: Vec<String> = (0..250).map(|i| format!("u{i:03}")).collect();
    x.run(&accounts.join("\n")).await;
    // The plan's reads meet a configuration error midway: the dice keep the emulator's seed, and
    // the plan's three get_tag calls go out one by one at the pace, so the same call fails each run.
    let fault = timx::emulator::Fault::Code(90009);
    x.emu.set_faults(Faults { extra: vec![(fault, 0.7)], ..Faults::default() });
    x.h.command("tag add stopped-plan");
    let n = x.planned().await;
    let Overlay::Plan(p) = &x.h.app.overlay else { unreachable!() };
    let failed = p.count(WriteStatus::Failed);
    assert!(n > 0 && failed > 0 && n + failed == 250, "planned {n}, failed {failed}");
    assert!(p.warnings.iter().any(|w| w.contains("will not be written")), "{:?}", p.warnings);
    let planned: Vec<String> =
        p.entries.iter().filter(|e| e.status == WriteStatus::Planned).map(|e| e.head.clone()).collect();
    assert_eq!(planned.len() as u64, n);
    x.emu.set_faults(Faults::default());
    x.confirm().await;
    let now = held(&x.emu);
    for a in &accounts {
        assert_eq!(now[a].1.contains(&"stopped-plan".to_string()), planned.contains(a), "{a}");
    }
    assert_eq!(x.h.app.last_write.as_ref().unwrap().summary.count(WriteStatus::Changed), n);
}
