//! B13: the delivery trace. `timx trace` of N accounts against `timx serve --strict` (trace held
//! to its documented 1 call/s, 100 ± 20 ms) at the default pace, timed end to end: its pace
//! against the 1 call/s ceiling and the refusals; and the explorer's frames while a `:trace` of
//! 100 marked rows streams in over a million results.

use std::time::Instant;

use super::*;

pub fn run(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let mut figs = headless(w, s, rt);
    figs.extend(frames(s));
    figs
}

const TASK: &str = "660cc447_537ed82a_200000cd7ee17f5_84035729_bc614e";

/// Users u0000000.. and one push task that reached each on one device, clicked.
fn write_task_data(path: &std::path::Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let users: Vec<String> = (0..n).map(|i| format!(r#"{{"id":"u{i:07}"}}"#)).collect();
    let ok = r#"[1,0,"success"]"#;
    let deliveries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#""u{i:07}":[{{"instance":"{i}","system":"Android","platform":7,"token":"t","cert":"1","last_active":1,"stages":[{ok},{ok},{ok},{ok},{ok}]}}]"#
            )
        })
        .collect();
    write!(
        f,
        r#"{{"users":[{}],"push_tasks":[{{"id":"{TASK}","sent_ago_s":3600,"target":"All","deliveries":{{{}}}}}]}}"#,
        users.join(","),
        deliveries.join(",")
    )
    .unwrap();
}

fn headless(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let n = s.b12_accounts;
    let (data, accounts) = (w.path("b12-data.json"), w.path("b12-accounts.txt"));
    write_task_data(&data, n);
    write_accounts(&accounts, n);
    let strict = ["--latency-ms", "100", "--jitter-ms", "20", "--strict"];
    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], &strict[..]].concat(), &[]);
    let out = w.path("b12.ndjson");
    let (status, elapsed, _) = timed(w, &serve.url, &["trace", "--task", TASK], &accounts, &out);
    // n calls at 1/s: the first goes at once, so the ceiling's time is n - 1 seconds.
    let ideal = (n.saturating_sub(1)) as f64;
    let share = if ideal > 0.0 { ideal / elapsed.as_secs_f64() } else { 1.0 };
    let clicked = std::fs::read_to_string(&out).map(|t| t.matches(r#""status":"clicked""#).count()).unwrap_or(0);
    let refused = count_code(&stats(&serve, rt), 60007);
    vec![
        fig(
            "B13",
            format!("timx trace of {n} accounts, strict 1 call/s, 100±20 ms"),
            share,
            "of 1/s",
            "≥ 0.95 of the ceiling's pace",
            Some((share >= 0.95 || s.quick) && status == 0 && clicked == n),
        ),
        fig("B13", "  trace refusals (60007)", refused as f64, "count", "0", Some(refused == 0)),
    ]
}

/// A `:trace` of 100 marked rows over the B5 results: every frame while its rows come in.
fn frames(s: &Sizes) -> Vec<Figure> {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use timx::tui::msg::{Msg, WorkerEvent};
    let mut app = super::screens::app_with_rows(s.b5_rows, (200, 50));
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    app.update(key(KeyCode::Esc));
    let marked = 100.min(s.b5_rows);
    for _ in 0..marked {
        app.update(key(KeyCode::Char(' ')));
    }
    app.update(key(KeyCode::Char(':')));
    app.update(Msg::Paste(format!("trace {TASK}")));
    app.update(key(KeyCode::Enter));
    let job = app.trace.as_ref().map(|t| t.job).unwrap_or_default();
    let accounts: Vec<String> = app
        .trace
        .as_ref()
        .map(|t| t.rows.iter().map(|r| app.results.account(*r).unwrap_or_default().to_owned()).collect())
        .unwrap_or_default();
    let mut worst = std::time::Duration::ZERO;
    for (k, account) in accounts.iter().enumerate() {
        let row = timx::push::trace::TraceRow {
            index: k as u32,
            account: account.clone(),
            status: timx::push::trace::TraceStatus::Clicked,
            verdict: "clicked".into(),
            devices: vec![],
            audience: None,
            error: None,
        };
        let t = Instant::now();
        app.update(Msg::Worker(WorkerEvent::Trace { job, event: timx::engine::Event::Batch(vec![row]) }));
        term.draw(|f| timx::tui::view::draw(&app, f)).unwrap();
        worst = worst.max(t.elapsed());
    }
    let ms = worst.as_secs_f64() * 1e3;
    vec![fig(
        "B13",
        format!("longest frame while a :trace of {marked} rows streams over {} results", s.b5_rows),
        ms,
        "ms",
        "< 16 ms",
        Some((ms < 16.0 || s.quick) && accounts.len() == marked),
    )]
}
