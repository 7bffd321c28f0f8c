//! Secrets stay secret: with a canary key, neither the key nor any UserSig appears in stdout,
//! stderr, screens, logs, the journal, exports, error or panic messages, or any process's argv.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::ServeProcess;
use common::pty::Session;

const CANARY: &str = "CANARY-k3y-0f-t1mx-must-never-leak";
const BIN: &str = env!("CARGO_BIN_EXE_timx");

/// A UserSig looks like `eJ…` or `eAE…` followed by many URL-safe base64 characters.
fn has_usersig(text: &str) -> bool {
    let bytes = text.as_bytes();
    let ok = |c: u8| c.is_ascii_alphanumeric() || c == b'*' || c == b'-' || c == b'_';
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b'e' && (bytes[i + 1] == b'J' || (bytes[i + 1] == b'A' && bytes[i + 2] == b'E')) {
            let run = bytes[i..].iter().take_while(|c| ok(**c)).count();
            if run >= 100 && timx::usersig::decode(&text[i..i + run]).is_ok() {
                return true;
            }
            i += run.max(1);
        } else {
            i += 1;
        }
    }
    false
}

#[test]
fn the_detector_finds_a_usersig_and_the_key() {
    let sig = timx::usersig::generate(1400000000, &timx::usersig::SecretKey::new(CANARY), "administrator", 1, 86400);
    assert!(has_usersig(&format!("GET /v4/x?usersig={sig}&random=1")));
    assert!(!has_usersig("eJ short and harmless"));
    let r = std::panic::catch_unwind(|| assert_clean("t", &format!("key {CANARY}")));
    assert!(r.is_err());
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} contains the key");
    assert!(!has_usersig(text), "{what} contains a UserSig");
}

/// The payloads of every OSC 52 copy in a terminal's output, decoded (the copy is base64: a
/// scan of the raw bytes would never see a secret in it).
fn osc52_payloads(out: &str) -> Vec<String> {
    use base64::Engine;
    out.split("\x1b]52;")
        .skip(1)
        .filter_map(|rest| {
            let body = rest.split(['\x07', '\x1b']).next()?;
            let b64 = body.split_once(';').map_or(body, |(_, b)| b);
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        })
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

/// Run a child to its end, reading every process's argv all along (a key command runs midway).
fn wait_watching_argv(mut child: std::process::Child) -> std::process::Output {
    loop {
        let leaks = argv_leaks();
        assert!(leaks.is_empty(), "argv leak: {leaks:?}");
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Every process whose argv holds the canary (our children must not).
fn argv_leaks() -> Vec<String> {
    let mut hits = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if cmd.contains(CANARY) {
                    hits.push(cmd);
                }
            }
        }
    }
    hits
}

struct World {
    dir: tempfile::TempDir,
    _serve: ServeProcess,
    url: String,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users.json");
        std::fs::write(&users, timx::demo::DATA).unwrap();
        let log = dir.path().join("serve.log");
        #[rustfmt::skip]
        let args = [
            "--key-env", "CANARY_KEY", "--data", users.to_str().unwrap(), "--fail-rate", "0.2", "--drop-rate", "0.1",
            "--fault", "truncate=0.1", "--log-level", "trace", "--log-file", log.to_str().unwrap(),
        ];
        let serve = ServeProcess::spawn(&args, &[("CANARY_KEY", CANARY)]);
        let url = serve.url.clone();
        World { dir, _serve: serve, url }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        let d = self.dir.path();
        c.env("TIMX_CANARY", CANARY)
            .env("TIMX_CONFIG", d.join("config.toml"))
            .env("TIMX_DATA_DIR", d.join("data"))
            .env("TIMX_STATE_DIR", d.join("state"))
            .env("RUST_LOG", "timx=trace")
            .args(["--log-file"])
            .arg(d.join("timx.log"));
        c
    }

    fn config(&self, key_env: &str) {
        let cfg = format!(
            "default_profile = \"app\"\n[profiles.app]\nbase_url = \"{}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\nkey = {{ env = \"{key_env}\" }}\n\n[profiles.wrong]\nbase_url = \"{}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nkey = {{ value = \"{CANARY}-but-wrong\" }}\n\n[profiles.cmd]\nbase_url = \"{}\"\nsdkappid = 1400000000\nadmin = \"administrator\"\nfamily = \"timpush\"\nkey = {{ command = [\"sh\", \"-c\", \"sleep 0.3; printf %s \\\"$TIMX_CANARY\\\"\"] }}\n",
            self.url, self.url, self.url
        );
        std::fs::write(self.dir.path().join("config.toml"), cfg).unwrap();
    }

    /// Everything timx wrote to disk under the workspace.
    fn files(&self) -> Vec<(String, String)> {
        fn walk(p: &Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.file_name().is_some_and(|n| n != "config.toml" && n != "users.json") {
                    out.push((
                        path.display().to_string(),
                        String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
                    ));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

#[test]
fn headless_commands_never_show_the_key_or_a_usersig() {
    let w = World::new();
    w.config("TIMX_CANARY");
    let accounts = w.dir.path().join("accounts.txt");
    std::fs::write(&accounts, timx::demo::SAMPLE_ACCOUNTS).unwrap();
    let runs: Vec<Vec<String>> = vec![
        vec!["inspect".into(), "-f".into(), accounts.display().to_string(), "--format".into(), "csv".into()],
        vec!["attrs".into(), "-f".into(), accounts.display().to_string(), "--format".into(), "json".into()],
        vec!["tags".into(), "-p".into(), "wrong".into(), "bob".into(), "carol".into()],
        vec!["attr-names".into(), "-p".into(), "wrong".into()],
        // The key from a command (a password manager): argv is watched while it runs.
        vec!["attrs".into(), "-p".into(), "cmd".into(), "bob".into()],
        vec!["attr-names".into(), "--key-env".into(), "NOT_SET_ANYWHERE".into()],
        vec!["config".into(), "check".into(), "--online".into()],
        vec![
            "usersig".into(),
            "verify".into(),
            "--sdkappid".into(),
            "1".into(),
            "--identifier".into(),
            "x".into(),
            "--key-env".into(),
            "TIMX_CANARY".into(),
            "garbage".into(),
        ],
    ];
    for args in runs {
        let child = w.cmd().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // While it runs (and while its key command runs), nothing's argv carries the key.
        let out = wait_watching_argv(child);
        assert_clean(&format!("stdout of {args:?}"), &String::from_utf8_lossy(&out.stdout));
        assert_clean(&format!("stderr of {args:?}"), &String::from_utf8_lossy(&out.stderr));
    }
    let files = w.files();
    assert!(
        files.iter().any(|(p, t)| p.ends_with("timx.log") && t.contains("call failed")),
        "the log was written at trace level"
    );
    assert!(files.iter().any(|(p, _)| p.ends_with("journal.ndjson")));
    for (path, text) in &files {
        assert_clean(path, text);
    }
}

#[test]
fn the_tui_never_shows_the_key_or_a_usersig_even_when_it_panics() {
    let w = World::new();
    w.config("TIMX_CANARY");
    let d = w.dir.path();
    let env = [("TIMX_CANARY", CANARY.to_string()), ("RUST_LOG", "timx=trace".to_string())];
    // The session runs in World's workspace, so its log, journal and export are scanned below.
    let mut s = Session::start_in(&[], &env, (40, 140), d);
    s.wait_for("attribute names");
    // Paste accounts, run, export, open a detail, copy a row; then the wrong-key profile; then panic.
    s.send(b"\x1b[200~bob\ncarol\nghost-user\n\x1b[201~");
    s.send(b"\x12");
    s.wait_for("done");
    let export = d.join("out.csv");
    s.send(format!(":export {}\r", export.display()).as_bytes());
    s.send(b"\r");
    s.send(b"Y");
    s.send(b"\x1b");
    s.send(b":profile wrong\r");
    s.wait_for("70009");
    assert!(argv_leaks().is_empty());
    s.send(b"\x1b[24~");
    s.wait_exit();
    let all = String::from_utf8_lossy(&s.output.lock().unwrap()).into_owned();
    assert!(all.contains("test-only panic trigger"), "the panic message was shown");
    assert_clean("the terminal output (all screens, the OSC 52 copy, the panic message)", &all);
    let copies = osc52_payloads(&all);
    assert!(copies.iter().any(|c| c.contains("\"account\"")), "the row copy was decoded: {copies:?}");
    for c in &copies {
        assert_clean("an OSC 52 copy, decoded", c);
    }
    assert!(std::fs::read_to_string(&export).unwrap().contains("bob"));
    for (path, text) in w.files() {
        assert_clean(&path, &text);
    }
}
