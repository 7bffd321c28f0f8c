//! B7: peak memory of the TUI with a million rows and of a streaming headless audit.

use super::*;

/// B7a: peak memory of a streaming headless audit.
pub fn run(w: &Work, s: &Sizes, _: &tokio::runtime::Runtime) -> Vec<Figure> {
    let data = w.path("big.json");
    write_data(&data, s.b7_accounts);
    let accounts = w.path("big.txt");
    write_accounts(&accounts, s.b7_accounts);
    let serve = Serve::spawn(&["--data", data.to_str().unwrap(), "--rate-limit", "0"], &[]);
    let (t, rss) = headless(w, &serve.url, "inspect", &accounts, &w.path("big.ndjson"));
    vec![
        fig(
            "B7",
            format!("headless inspect ndjson, {} accounts: peak RSS", s.b7_accounts),
            rss as f64 / 1024.0,
            "MB",
            "≤ 50 MB",
            Some(rss <= 50 * 1024),
        ),
        fig("B7", "  its duration", t.as_secs_f64(), "s", "informational", None),
    ]
}
