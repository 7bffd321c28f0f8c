//! The real binary in a pseudo-terminal: it starts on the demo, answers `?`, quits, and leaves
//! the terminal as it found it (alternate screen left, bracketed paste off, cursor shown, raw
//! mode off) after `q` and after SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::pty::Session;
use common::{KEY, start_isolated};
use timx::emulator::EmulatorConfig;

#[test]
fn starts_shows_help_quits_and_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("会员等级");
    s.wait_for("Ctrl-R runs the");
    s.send(b"\t\t\t"); // to the results pane
    s.send(b"?");
    s.wait_for("Help");
    s.wait_for("Ctrl-R / F5");
    s.send(b"\x1b");
    s.send(b"q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    let pid = s.child.process_id().expect("pid");
    assert!(std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    s.wait_exit();
    s.assert_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    let pid = s.child.process_id().expect("pid");
    assert!(std::process::Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap().success());
    s.wait_exit();
    s.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_the_message_is_readable() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    s.send(b"\x1b[24~"); // F12: the test-only panic trigger
    let status = s.wait_exit();
    assert!(!status.success());
    s.assert_restored();
    // The message comes after the alternate screen was left, so it stays on the user's screen.
    let out = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    let left = out.rfind("\x1b[?1049l").unwrap();
    assert!(out[left..].contains("test-only panic trigger"), "{}", &out[left..]);
}

#[test]
fn an_error_restores_the_terminal_and_is_reported() {
    let mut s = Session::start(&["demo"]);
    s.wait_for("Ctrl-R runs the");
    s.send(b"\x1b[23~"); // F11: the test-only error trigger
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 2);
    let out = s.wait_output("timx: test-only error trigger");
    s.assert_restored();
    let left = out.rfind("\x1b[?1049l").unwrap();
    assert!(out[left..].contains("timx: test-only error trigger"), "{}", &out[left..]);
}

/// While ~1,000 calls stream in, a key press is answered by a frame (how fast is B6 in
/// `cargo bench`; here only a generous sanity bound).
#[test]
fn keys_are_answered_while_results_stream_in() {
    let dir = tempfile::tempdir().unwrap();
    let serve = common::ServeProcess::spawn(&["--latency-ms", "20", "--jitter-ms", "5"], &[]);
    let url = serve.url.clone();
    let cfg = format!(
        "[profiles.load]\nbase_url = \"{url}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\nrate_limit = 100\njournal = false\nkey = {{ value = \"5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e\" }}\n"
    );
    let cfg_path = dir.path().join("load.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let mut s = Session::start(&["--config", cfg_path.to_str().unwrap()]);
    s.wait_for("attribute names");
    // 50,000 accounts: 500 batches × 2 commands = 1,000 calls at 100/s per command.
    let mut paste = b"\x1b[200~".to_vec();
    for i in 0..50_000 {
        paste.extend_from_slice(format!("user_{i}\n").as_bytes());
    }
    paste.extend_from_slice(b"\x1b[201~");
    s.send(&paste);
    s.wait_for("Accounts 50000");
    s.send(b"\x12");
    s.wait_for("Esc cancels");
    let mut latencies = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        s.writer.write_all(b"/").unwrap();
        s.writer.flush().unwrap();
        while !s.screen().lines().last().unwrap_or_default().starts_with("/▏") {
            assert!(t.elapsed() < Duration::from_secs(5), "no answer to a key while streaming");
            std::thread::sleep(Duration::from_millis(1));
        }
        latencies.push(t.elapsed());
        s.send(b"\x1b");
        std::thread::sleep(Duration::from_millis(100));
    }
    let still_running = s.screen().contains("Esc cancels");
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    eprintln!("key-to-frame latencies while streaming: {latencies:?}");
    assert!(still_running, "the job was still streaming while keys were measured");
    assert!(median <= Duration::from_secs(1), "median {median:?}");
    s.send(b"\x03");
}

/// Quitting mid-job still writes the job's journal line, saying it was cancelled.
#[test]
fn quitting_mid_job_journals_the_job_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let serve = common::ServeProcess::spawn(&["--latency-ms", "20"], &[]);
    let url = serve.url.clone();
    let cfg = format!(
        "[profiles.slow]\nbase_url = \"{url}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\nrate_limit = 5\njournal = true\nkey = {{ value = \"5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e\" }}\n"
    );
    std::fs::write(dir.path().join("config.toml"), cfg).unwrap();
    let mut s = Session::start_in(&[], &[], (24, 80), dir.path());
    s.wait_for("attribute names");
    let mut paste = b"\x1b[200~".to_vec();
    (0..2_000).for_each(|i| paste.extend_from_slice(format!("user_{i}\n").as_bytes()));
    paste.extend_from_slice(b"\x1b[201~");
    s.send(&paste);
    s.wait_for("Accounts 2000");
    s.send(b"\x12");
    s.wait_for("Esc cancels");
    s.send(b"\x03");
    assert_eq!(s.wait_exit().exit_code(), 0);
    let journal = std::fs::read_to_string(dir.path().join("data").join("journal.ndjson")).expect("a journal line");
    let lines: Vec<serde_json::Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{journal}");
    assert_eq!(lines[0]["cancelled"], true);
    assert_eq!(lines[0]["accounts"], 2000);
    let cancelled = lines[0]["outcomes"]["cancelled"].as_u64().unwrap();
    assert!(cancelled > 0, "{journal}");
    assert_eq!(lines[0]["done"].as_u64().unwrap(), 2000 - cancelled, "how far the job got");
}

/// With `mouse = true` in the config, the wheel moves the selection like ↓.
#[test]
fn the_mouse_wheel_moves_the_selection_when_mouse_is_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "mouse = true\n").unwrap();
    let mut s = Session::start_in(&["demo"], &[], (40, 120), dir.path());
    s.wait_for("Ctrl-R runs the");
    s.send(b"\x12");
    s.wait_for("found");
    let account = |s: &mut Session| {
        s.send(b"\r");
        s.wait_for("Raw JSON");
        let screen = s.screen();
        // The detail's "Account  NAME" line, not the table's "Account  Status" header.
        let line = screen.lines().find(|l| l.contains("Account  ") && !l.contains("Status")).unwrap().to_owned();
        s.send(b"\x1b");
        line.split("Account  ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned()
    };
    let first = account(&mut s);
    // SGR mouse reports: wheel down (button 65) twice over the table.
    s.send(b"\x1b[<65;20;15M\x1b[<65;20;15M");
    std::thread::sleep(Duration::from_millis(200));
    let third = account(&mut s);
    assert_ne!(first, third, "the wheel moved the selection");
    s.send(b"\x1b[<64;20;15M\x1b[<64;20;15M");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(account(&mut s), first, "and back up");
    s.send(b"\x03");
    s.wait_exit();
    s.assert_restored();
}

/// `[keys]` in the config: the help and the hints show the keys the user chose, and they work;
/// a bad entry stops the explorer before it starts, naming the line.
#[test]
fn key_overrides_from_the_config_show_in_help_and_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[keys]\nquit = \"Q\"\nrun = [\"ctrl-e\", \"f5\"]\n").unwrap();
    let mut s = Session::start_in(&["demo"], &[], (24, 80), dir.path());
    s.wait_for("Ctrl-E runs the");
    s.send(b"\t\t\t");
    s.send(b"?");
    s.wait_for("Ctrl-E / F5");
    s.send(b"\x1b");
    s.send(b"q");
    s.settle(Duration::from_millis(300));
    assert!(s.child.try_wait().unwrap().is_none(), "q no longer quits");
    s.send(b"Q");
    assert!(s.wait_exit().success());
    s.assert_restored();

    std::fs::write(dir.path().join("config.toml"), "mouse = false\n\n[keys]\nhelp = \"h\"\n").unwrap();
    let mut s = Session::start_in(&["demo"], &[], (24, 80), dir.path());
    let status = s.wait_exit();
    assert!(!status.success());
    let out = s.wait_output("while typing accounts");
    assert!(out.contains("config.toml:4:1: keys.help"), "{out}");
}

/// The real binary: a read-only profile refuses an edit, `:unlock` with the SDKAppID makes it
/// writable (the RW warning shows), the edit form's change is planned, confirmed and written,
/// and quitting leaves the terminal as it was.
#[test]
fn unlock_edit_confirm_quit_and_the_terminal_is_restored() {
    let (emu, _rt) = start_isolated(EmulatorConfig::default(), Some(timx::demo::data().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[profiles.app]\nbase_url = \"{}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\n\
         key = {{ env = \"TIMX_TEST_KEY\" }}\n",
        emu.base_url
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let mut s = Session::start_in(&[], &[("TIMX_TEST_KEY", KEY.to_string())], (24, 80), dir.path());
    s.wait_for("attribute names");
    s.send(b"\t\tbob");
    s.send(b"\x12"); // Ctrl-R
    s.wait_for("found 1");
    s.send(b"e");
    s.wait_for("is read-only");
    s.send(b":unlock\r");
    s.wait_for("type the SDKAppID");
    s.send(b"1400000000\r");
    s.wait_for("RW: WRITES ALLOWED");
    s.send(b"e");
    s.wait_for("Account  bob");
    s.send(b"\x1b[B\x15"); // ↓ to city, Ctrl-U clears it
    s.send("深圳".as_bytes());
    s.send(b"\r");
    s.wait_for("Enter writes this 1 account");
    s.send(b"\r");
    s.wait_for(":undo puts it back");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.assert_restored();
    let city = emu.with_store(|st| st.users.get("bob").and_then(|u| u.attrs.get(&1).cloned()));
    assert_eq!(city.as_deref(), Some("深圳"));
    let undo = std::fs::read_dir(dir.path().join("data").join("undo")).unwrap().count();
    assert_eq!(undo, 1, "the write left its undo file in the data dir");
}
