//! B7: peak memory of the TUI with a million rows, of a streaming headless audit, and of
//! `apply -f` reading a desired-state file as it streams.

use super::*;

/// B7a: peak memory of a streaming headless audit.
pub fn run(w: &Work, s: &Sizes, _: &tokio::runtime::Runtime) -> Vec<Figure> {
    let data = w.path("big.json");
    write_data(&data, s.b7_accounts);
    let accounts = w.path("big.txt");
    write_accounts(&accounts, s.b7_accounts);
    let serve = Serve::spawn(&["--data", data.to_str().unwrap(), "--rate-limit", "0"], &[]);
    let (t, rss) = headless(w, &serve.url, "inspect", &accounts, &w.path("big.ndjson"));
    let mut figs = vec![
        fig(
            "B7",
            format!("headless inspect ndjson, {} accounts: peak RSS", s.b7_accounts),
            rss as f64 / 1024.0,
            "MB",
            "≤ 50 MB",
            Some(rss <= 50 * 1024),
        ),
        fig("B7", "  its duration", t.as_secs_f64(), "s", "informational", None),
    ];
    figs.extend(desired_file(w, s, &serve.url));
    figs
}

/// B7c: `apply -f FILE --plan -o PLAN` of a tenth and of all of the B7 accounts as NDJSON, stopped
/// with Ctrl-C once its plan has started (the whole file read; every account not yet planned
/// then ends `cancelled`): peak RSS, and what each further row costs.
fn desired_file(w: &Work, s: &Sizes, url: &str) -> Vec<Figure> {
    let peak = |n: usize| {
        let (desired, plan) = (w.path(&format!("b7c-{n}.ndjson")), w.path(&format!("b7c-{n}-plan.ndjson")));
        super::writes::write_desired(&desired, n);
        let mut child = w
            .cmd()
            .args(["apply", "-f", desired.to_str().unwrap(), "--plan", "-o", plan.to_str().unwrap()])
            .args(target_args(url))
            .args(["--read-write", "--format", "ndjson"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        let stopper = std::thread::spawn(move || {
            // The head line, then planned rows: the file has been read whole.
            while std::fs::read_to_string(&plan).map_or(0, |t| t.lines().count()) < 2 {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(500));
            let _ = std::process::Command::new("kill").args(["-INT", &pid]).status();
        });
        let (status, rss) = wait_rss(&mut child);
        stopper.join().unwrap();
        let _ = std::fs::remove_file(&desired);
        (status, rss)
    };
    let (small, big) = (s.b7_accounts / 10, s.b7_accounts);
    let ((s1, r1), (s2, r2)) = (peak(small), peak(big));
    let per_row = (r2.saturating_sub(r1) * 1024) as f64 / (big - small) as f64;
    vec![
        fig(
            "B7",
            format!("apply -f of {small} NDJSON rows (--plan, then Ctrl-C): peak RSS"),
            r1 as f64 / 1024.0,
            "MB",
            "informational",
            None,
        ),
        fig(
            "B7",
            format!("apply -f of {big} NDJSON rows (--plan, then Ctrl-C): peak RSS"),
            r2 as f64 / 1024.0,
            "MB",
            "≤ 60 MB",
            Some(r2 <= 60 * 1024 && (s.quick || (s1 == 130 && s2 == 130))),
        ),
        fig("B7", "  each further row (the account kept for its outcome)", per_row, "bytes", "informational", None),
    ]
}
