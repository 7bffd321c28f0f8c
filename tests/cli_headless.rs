//! The real `timx` binary: config init/check, headless audits against the emulator (formats,
//! exit codes, explained errors, journal), and the usersig tools.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use timx::emulator::{EmulatorConfig, Running};

/// The emulator on its own runtime thread, so the test can block on the child process.
fn emulator(cfg: EmulatorConfig) -> (Running, tokio::runtime::Runtime) {
    start_isolated(cfg, Some(timx::emulator::data::DataFile::load(Path::new("assets/demo/demo.json")).unwrap()))
}

#[test]
fn config_init_check_and_an_inspect_as_a_new_user_would() {
    let (emu, _rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let init = env.run(&["config", "init"], None);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let path = env.dir.path().join("config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Never overwrites.
    let again = env.run(&["config", "init"], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("not overwriting"));
    // Without the key: check says which variable to set, exit 1.
    let check = env.run(&["config", "check"], None);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).contains("TIMX_SECRET_KEY"), "{}", text(&check.stdout));
    // Point the demo profile at the running emulator, as the user would by editing the file.
    let cfg = std::fs::read_to_string(&path).unwrap().replace("http://127.0.0.1:8080", &emu.base_url);
    std::fs::write(&path, cfg).unwrap();
    let check = env.run(&["config", "check", "--online"], Some(KEY));
    let out = text(&check.stdout);
    assert!(check.status.success(), "{out}");
    assert!(out.contains("✓ demo") && out.contains("8 attribute names"), "{out}");
    assert!(!out.contains(KEY));

    let accounts = env.dir.path().join("accounts.txt");
    std::fs::write(&accounts, "bob\r\n张小红\n\nghost-user\nbob\n").unwrap();
    let o = env.run(&["inspect", "-p", "demo", "-f", accounts.to_str().unwrap(), "--format", "csv"], Some(KEY));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = text(&o.stdout);
    // Every cell is quoted (no spreadsheet splits a cell); read it back as CSV.
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
    let lines: Vec<String> = rdr.records().map(|r| r.unwrap().iter().collect::<Vec<_>>().join(",")).collect();
    assert!(csv.starts_with(r#""account","sex","city","会员等级""#), "{csv}");
    assert!(
        lines[0].starts_with("account,sex,city,会员等级,lang,platform,plan,signup_year,push_device,other_attrs,tags")
    );
    assert!(lines[1].starts_with("bob,other,São Paulo,"), "{}", lines[1]);
    assert!(lines[2].starts_with("张小红,"));
    assert!(lines[3].starts_with("ghost-user,") && lines[3].contains("not_found,70107"));
    assert_eq!(lines.len(), 4, "duplicates and blank lines are not rows");
    let summary = text(&o.stderr);
    assert!(summary.contains("not found 1") && summary.contains("1 duplicates skipped"), "{summary}");

    // The journal has one line per job, without keys, sigs or accounts.
    let journal = std::fs::read_to_string(env.dir.path().join("data/journal.ndjson")).unwrap();
    let last: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["command"], "inspect");
    assert_eq!(last["profile"], "demo");
    assert_eq!(last["accounts"], 3);
    assert!(!journal.contains(KEY) && !journal.contains("bob") && !journal.contains("usersig"));
    emu_shutdown(emu, _rt);
}

#[test]
fn formats_and_exit_codes() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let base = one_off(&emu);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["tags".to_string()];
        v.extend(base.iter().cloned());
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |a: Vec<String>, key| env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), key);
    // Not a terminal: ndjson by default; all answered → 0.
    let o = run(args(&["bob", "ghost-user"]), Some(KEY));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows[0]["account"], "bob");
    assert_eq!(rows[1]["status"], "not_found");
    // JSON is one array.
    let o = run(args(&["bob", "--format", "json"]), Some(KEY));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    // An invalid account → 1.
    let long = "y".repeat(33);
    let o = run(args(&["bob", &long]), Some(KEY));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("over the 32-byte UserID limit"));
    // Usage errors → 2 with the fix.
    let o = run(args(&[]), Some(KEY));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no accounts given"));
    let o = run(args(&["bob"]), None);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("TIMX_SECRET_KEY"), "{}", text(&o.stderr));
    // Accounts from stdin.
    let mut c = env.cmd();
    c.args(args(&["-f", "-"]))
        .env("TIMX_SECRET_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"bob\ncarol\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(text(&o.stdout).lines().count(), 2);
    rt.block_on(emu.shutdown());
}

#[test]
fn service_errors_surface_with_meaning_and_fix() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let cases: [(&[&str], &str, &str); 3] = [
        (&[], "wrong", "70009"),
        (&["--admin", "support-bob"], KEY, "90009"),
        (&["--sdkappid", "1400000001"], KEY, "70020"),
    ];
    for (override_args, key, code) in cases {
        let mut a: Vec<String> = vec!["attrs".into(), "--format".into(), "ndjson".into()];
        let mut base = one_off(&emu);
        for pair in override_args.chunks(2) {
            let pos = base.iter().position(|x| x == pair[0]).unwrap();
            base[pos + 1] = pair[1].to_string();
        }
        a.extend(base);
        a.extend(["bob".to_string(), "carol".to_string()]);
        let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(key));
        assert_eq!(o.status.code(), Some(1), "{code}: {}", text(&o.stderr));
        let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 2, "{code}");
        for r in &rows {
            assert_eq!(r["status"], "failed");
            assert_eq!(r["error"]["code"].to_string(), code);
            assert!(!r["error"]["meaning"].as_str().unwrap().is_empty());
            assert!(!r["error"]["fix"].as_str().unwrap().is_empty());
        }
        let err = text(&o.stderr);
        assert!(err.contains("failed 2") && err.contains("stopped early"), "{err}");
        assert_no_usersig(&err, "stderr");
        assert_no_usersig(&text(&o.stdout), "stdout");
    }
    rt.block_on(emu.shutdown());
}

#[test]
fn attr_names_and_usersig_tools() {
    let (emu, rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let mut a = vec!["attr-names".to_string(), "--format".into(), "csv".into()];
    a.extend(one_off(&emu));
    let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(r#""2","会员等级","UserID""#) && out.contains(r#""8","push_device","RegistrationID""#),
        "{out}"
    );

    let made = env.run(
        &[
            "usersig",
            "gen",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "xiaojun",
            "--time",
            "1700000000",
            "--expire",
            "15552000",
        ],
        Some(KEY),
    );
    let sig = text(&made.stdout).trim().to_owned();
    let ok = env.run(
        &["usersig", "verify", "--sdkappid", "1400000000", "--identifier", "xiaojun", "--now", "1700000001", &sig],
        Some(KEY),
    );
    assert_eq!(ok.status.code(), Some(0));
    assert!(text(&ok.stdout).contains("verdict     VALID"));
    assert!(text(&ok.stdout).contains("2023-11-14T22:13:20Z"));
    let late = env.run(&["usersig", "verify", "--sdkappid", "1400000000", "--identifier", "xiaojun", &sig], Some(KEY));
    assert_eq!(late.status.code(), Some(1));
    assert!(text(&late.stdout).contains("expired"));
    let nokey = env.run(
        &["usersig", "verify", "--sdkappid", "1400000000", "--identifier", "xiaojun", "--now", "1700000001", &sig],
        None,
    );
    assert_eq!(nokey.status.code(), Some(0));
    assert!(text(&nokey.stdout).contains("NOT checked"));
    let wrong = env.run(
        &["usersig", "verify", "--sdkappid", "1400000000", "--identifier", "xiaojun", "--now", "1700000001", &sig],
        Some("other"),
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stdout).contains("signature mismatch"));
    for o in [&made, &ok, &late, &nokey, &wrong] {
        assert!(!text(&o.stdout).contains(KEY) && !text(&o.stderr).contains(KEY));
    }
    rt.block_on(emu.shutdown());
}

#[test]
fn ctrl_c_prints_what_finished_and_exits_130() {
    let faults = timx::emulator::Faults { latency: std::time::Duration::from_millis(100), ..Default::default() };
    let (emu, rt) = emulator(EmulatorConfig { faults, ..EmulatorConfig::default() });
    let env = Workspace::new();
    let accounts = env.dir.path().join("many.txt");
    std::fs::write(&accounts, (0..20_000).map(|i| format!("user{i}\n")).collect::<String>()).unwrap();
    let mut a =
        vec!["tags".to_string(), "--rate-limit".into(), "5".into(), "-f".into(), accounts.display().to_string()];
    a.extend(one_off(&emu));
    let mut c = env.cmd();
    c.args(&a).env("TIMX_SECRET_KEY", KEY).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 20_000, "every account has an outcome");
    let done = rows.iter().filter(|r| r["status"] != "cancelled").count();
    assert!((100..20_000).contains(&done), "{done}");
    assert!(text(&o.stderr).contains("cancelled"));
    rt.block_on(emu.shutdown());
}

/// `timx diff`: an inspect exported as CSV, edited as in a spreadsheet, compared with the
/// original, and with an NDJSON export of the same data (no change).
#[test]
fn diff_lists_exactly_the_edits_between_two_exports() {
    let (emu, _rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let mut args = vec!["inspect".to_string(), "bob".into(), "张小红".into(), "ghost-user".into()];
    args.extend(one_off(&emu));
    let export = |format: &str| {
        let mut a = args.clone();
        a.extend(["--format".into(), format.into()]);
        let o = env.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), Some(KEY));
        text(&o.stdout)
    };
    let (csv_before, nd_before) = (export("csv"), export("ndjson"));
    let dir = env.dir.path();
    std::fs::write(dir.join("before.csv"), &csv_before).unwrap();
    std::fs::write(dir.join("before.ndjson"), &nd_before).unwrap();
    let same =
        env.run(&["diff", dir.join("before.csv").to_str().unwrap(), dir.join("before.ndjson").to_str().unwrap()], None);
    assert_eq!(same.status.code(), Some(0), "{} {}", text(&same.stdout), text(&same.stderr));
    // Edit bob's city and add a tag starting with `=` (the CSV neutralizes it; diff reads it back).
    let mut rdr = csv::Reader::from_reader(csv_before.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let city = header.iter().position(|h| h == "city").unwrap();
    let tags = header.iter().position(|h| h == "tags").unwrap();
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for rec in rdr.records() {
        let mut rec: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if rec[0] == "bob" {
            rec[city] = "深圳".into();
            rec[tags] = format!("{};'=vip", rec[tags]);
        }
        w.write_record(&rec).unwrap();
    }
    std::fs::write(dir.join("after.csv"), w.into_inner().unwrap()).unwrap();
    let o =
        env.run(&["diff", dir.join("before.ndjson").to_str().unwrap(), dir.join("after.csv").to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = text(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let changed: Vec<&serde_json::Value> = rows.iter().filter(|r| r["status"] == "changed").collect();
    assert_eq!(changed.len(), 1, "{rows:?}");
    assert_eq!(changed[0]["account"], "bob");
    assert_eq!(
        changed[0]["changes"],
        serde_json::json!([{"op": "set", "name": "city", "from": "São Paulo", "to": "深圳"}, {"op": "add", "tag": "=vip"}])
    );
    assert!(text(&o.stderr).contains("1 changed"), "{}", text(&o.stderr));
}

/// Completions and the man page come from the same clap definitions: every command is in them,
/// and bash accepts the script.
#[test]
fn completions_and_man_page_list_every_command() {
    let env = Workspace::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = env.run(&["completions", shell], None);
        assert!(o.status.success(), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        for cmd in ["inspect", "diff", "serve", "usersig", "completions", "trace", "push-stats", "scheduled"] {
            assert!(script.contains(cmd), "{shell} completions lack {cmd}");
        }
    }
    let bash = env.run(&["completions", "bash"], None);
    let script = env.dir.path().join("timx.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p timx", script.display()))
        .output()
        .unwrap();
    assert!(text(&loaded.stdout).contains("timx"), "{}", text(&loaded.stderr));
    let man = env.run(&["man"], None);
    let page = text(&man.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH timx 1"), "{page:.200}");
    assert!(page.contains("diff") && page.contains("inspect"));
    assert!(
        page.contains("trace") && page.contains("push\\-stats") && page.contains("scheduled"),
        "the post-send commands"
    );
    assert_eq!(env.run(&["completions", "tcsh"], None).status.code(), Some(2));
}

/// Dynamic completions (`source <(COMPLETE=bash timx)`): bash completes `-p` with the profile
/// names of the config file, read when asked; regions and families complete too.
#[test]
fn bash_completes_profile_names_regions_and_families_from_the_config() {
    let env = Workspace::new();
    std::fs::write(
        env.dir.path().join("config.toml"),
        "[profiles.prod-sg]\nregion = \"singapore\"\nsdkappid = 1\nadmin = \"a\"\nkey = { env = \"X\" }\n\
         [profiles.sandbox]\nbase_url = \"http://127.0.0.1:1\"\nsdkappid = 1\nadmin = \"a\"\nkey = { env = \"X\" }\n",
    )
    .unwrap();
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let script = format!(
            "source <(COMPLETE=bash {bin}) && COMP_WORDS=({words}) && COMP_CWORD={cword} && COMP_TYPE=9 && \
             _clap_complete_timx timx '{cur}' '{prev}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            bin = env!("CARGO_BIN_EXE_timx"),
            words = quoted.join(" "),
            cword = words.len() - 1,
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let o = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("TIMX_CONFIG", env.dir.path().join("config.toml"))
            .output()
            .unwrap();
        text(&o.stdout).lines().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(complete(&["timx", "inspect", "-p", ""]), ["prod-sg", "sandbox"]);
    assert_eq!(complete(&["timx", "tags", "--profile", "s"]), ["sandbox"]);
    assert!(complete(&["timx", "attrs", "--region", "s"]).contains(&"singapore".to_string()));
    assert_eq!(complete(&["timx", "edit", "--family", "t"]), ["timpush"]);
}

/// `-o FILE`: the same rows as standard output, mode 0600, the format from the extension, and
/// flushed per batch: a run killed with SIGKILL leaves a valid prefix in input order.
#[test]
fn output_file_is_written_per_batch_and_survives_a_kill() {
    let (emu, _rt) = emulator(EmulatorConfig::default());
    let env = Workspace::new();
    let dir = env.dir.path();
    let mut base = vec!["inspect".to_string(), "bob".into(), "张小红".into(), "ghost-user".into()];
    base.extend(one_off(&emu));
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = base.iter().map(String::as_str).collect();
        a.extend_from_slice(extra);
        env.run(&a, Some(KEY))
    };
    let stdout = run(&["--format", "ndjson"]);
    let out = dir.join("rows.ndjson");
    let to_file = run(&["-o", out.to_str().unwrap()]);
    assert_eq!(to_file.status.code(), Some(0), "{}", text(&to_file.stderr));
    assert!(to_file.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text(&stdout.stdout));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let csv_out = dir.join("rows.csv");
    run(&["-o", csv_out.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&csv_out).unwrap().starts_with("\"account\""));

    // A slow audit (2 calls/s) killed after some batches: every line in the file is a whole row.
    let accounts = dir.join("many.txt");
    std::fs::write(&accounts, (0..2_000).map(|i| format!("user_{i}\n")).collect::<String>()).unwrap();
    let partial = dir.join("partial.ndjson");
    let mut a = one_off(&emu);
    a.extend(["--rate-limit".into(), "2".into()]);
    let mut child = env.cmd();
    child.args(["attrs", "-f", accounts.to_str().unwrap(), "-o", partial.to_str().unwrap()]).args(&a);
    child.env("TIMX_SECRET_KEY", KEY).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = child.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&partial).map(|t| t.lines().count()).unwrap_or(0) < 200 {
        assert!(std::time::Instant::now() < deadline, "no rows reached the file");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&partial).unwrap();
    assert!(text.ends_with('\n'), "the last row is whole");
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(rows.len() < 2_000, "killed before the end");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["account"], format!("user_{i}"), "input order, no gaps");
    }
}
