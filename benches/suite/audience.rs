//! B11: the push audience. A condition applied to a million results in the explorer (in steps
//! between frames, like the filter), and `timx audience` over 100,000 accounts against the
//! strict emulator at 100 ± 20 ms (the read ceiling).

use std::time::{Duration, Instant};

use super::*;

pub fn run(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let mut figs = tui(s);
    figs.extend(headless(w, s, rt));
    figs
}

/// `:audience` on the B5 results: total time until every row is judged, the longest frame.
fn tui(s: &Sizes) -> Vec<Figure> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use timx::tui::msg::Msg;
    let mut app = super::screens::app_with_rows(s.b5_rows, (200, 50));
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    let key = |c| Msg::Key(crossterm::event::KeyEvent::new(c, crossterm::event::KeyModifiers::NONE));
    app.update(key(crossterm::event::KeyCode::Esc));
    app.update(key(crossterm::event::KeyCode::Char(':')));
    app.update(Msg::Paste(r#"audience {"TagsAnd":["t7"],"TagsOr":["g1","g2","h3"]}"#.into()));
    let start = Instant::now();
    let t = Instant::now();
    app.update(key(crossterm::event::KeyCode::Enter));
    term.draw(|f| timx::tui::view::draw(&app, f)).unwrap();
    let mut worst = t.elapsed();
    while app.background_pending() {
        let t = Instant::now();
        app.poll_background();
        term.draw(|f| timx::tui::view::draw(&app, f)).unwrap();
        worst = worst.max(t.elapsed());
    }
    let total = start.elapsed();
    let judged = app.results.audience.as_ref().map(|a| a.counts.iter().sum::<u64>()).unwrap_or(0);
    vec![
        fig(
            "B11",
            format!("apply a condition to {} results in the explorer", s.b5_rows),
            total.as_secs_f64() * 1e3,
            "ms",
            "≤ 100 ms",
            Some((total <= Duration::from_millis(100) || s.quick) && judged == s.b5_rows as u64),
        ),
        fig("B11", "  longest frame while it applies", worst.as_secs_f64() * 1e3, "ms", "no frame waits", None),
    ]
}

/// `timx audience` over the B1 users against the strict emulator.
fn headless(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let n = s.b1_accounts;
    let (data, accounts) = (w.path("b11-users.json"), w.path("b11-accounts.txt"));
    write_data(&data, n);
    write_accounts(&accounts, n);
    let strict = ["--latency-ms", "100", "--jitter-ms", "20", "--rate-limit", "100", "--strict"];
    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], &strict[..]].concat(), &[]);
    let out = w.path("b11.ndjson");
    let condition = r#"{"TagsAnd":["t7"],"TagsOr":["g1","g2"]}"#;
    let (status, elapsed, _) = timed(w, &serve.url, &["audience", "--condition", condition], &accounts, &out);
    let rate = n as f64 / elapsed.as_secs_f64();
    let rows = std::fs::read_to_string(&out).map(|t| t.lines().count()).unwrap_or(0);
    let stats = stats(&serve, rt);
    let rejected = count_code(&stats, 60007);
    vec![
        fig(
            "B11",
            format!("timx audience over {n} accounts, 100±20 ms, strict 100/s"),
            rate,
            "acct/s",
            "≥ 9500 acct/s",
            Some((rate >= 0.95 * CEILING || s.quick) && status == 0 && rows == n),
        ),
        fig("B11", "  60007 answers", rejected as f64, "count", "0", Some(rejected == 0)),
    ]
}
