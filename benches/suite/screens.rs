//! B4, B5: frame cost flat in row count; filtering a million rows off the render path.

use std::time::{Duration, Instant};

use super::*;

/// A results view with `n` rows (3 attributes, 3 tags each), as the TUI holds them.
pub fn app_with_rows(n: usize, size: (u16, u16)) -> timx::tui::app::App {
    use timx::tui::msg::{Msg, WorkerEvent};
    let key = timx::secret::SecretSource::Value { value: KEY.into() };
    let endpoint = timx::api::Endpoint::base_url("http://127.0.0.1:1").unwrap();
    let profile = timx::config::Profile {
        family: timx::api::Family::Timpush,
        rate_limit: 100,
        journal: false,
        ..timx::config::Profile::new("bench", endpoint, SDKAPPID, ADMIN, key)
    };
    let launch = timx::tui::Launch {
        config: Default::default(),
        profiles: vec![profile],
        select: None,
        demo: false,
        problems: vec![],
    };
    let mut app = timx::tui::new_app(&launch, timx::tui::theme::Theme::new(false));
    app.update(Msg::Resize(size.0, size.1));
    timx::tui::initial_cmds(&mut app, &launch);
    let names = timx::api::wire::AttrNames {
        attr_names: [("0", "sex"), ("1", "city"), ("2", "plan")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        attr_types: None,
    };
    app.update(Msg::Worker(WorkerEvent::AttrNames {
        fetch: app.attr_names.fetch,
        profile: "bench".into(),
        result: Ok(names),
    }));
    app.set_accounts_text("x");
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('r'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    app.results.reset(n);
    for chunk in (0..n as u32).collect::<Vec<_>>().chunks(100) {
        let records = chunk
            .iter()
            .map(|&i| {
                let mut r = timx::engine::Record::new(i, &format!("u{i:07}"), timx::engine::Status::Found);
                r.attrs = Some(
                    [
                        ("sex", if i % 2 == 0 { "F" } else { "M" }.to_string()),
                        ("city", format!("city{}", i % 97)),
                        ("plan", format!("p{}", i % 7)),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                );
                r.tags = Some(vec![format!("t{}", i % 40), format!("g{}", i % 9), format!("h{}", i % 13)]);
                r
            })
            .collect();
        app.results.insert(records);
    }
    app
}

fn frame_time(app: &mut timx::tui::app::App, frames: usize) -> Duration {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    // Start mid-table, and move one row per frame: the cost of a real scroll.
    app.results.selected = app.results.view_len() / 2;
    let start = Instant::now();
    for _ in 0..frames {
        app.update(timx::tui::msg::Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Down,
            crossterm::event::KeyModifiers::NONE,
        )));
        term.draw(|f| timx::tui::view::draw(app, f)).unwrap();
    }
    start.elapsed() / frames as u32
}

/// B4 render cost by row count; B5 filter of many rows; B7b the TUI's memory for them.
pub fn run(_: &Work, s: &Sizes, _: &tokio::runtime::Runtime) -> Vec<Figure> {
    let mut figs = Vec::new();
    let frames = if s.quick { 5 } else { 300 };
    let mut times = Vec::new();
    let mut tui_rss = 0;
    for n in s.b4_rows {
        let before = rss_kib();
        let mut app = app_with_rows(n, (200, 50));
        tui_rss = rss_kib().saturating_sub(before);
        let t = frame_time(&mut app, frames);
        times.push(t);
        figs.push(fig(
            "B4",
            format!("frame at 200×50 with {n} rows"),
            t.as_secs_f64() * 1e3,
            "ms",
            if n == s.b4_rows[2] { "≤ 2 ms" } else { "" },
            (n == s.b4_rows[2]).then_some(t <= Duration::from_millis(2) || s.quick),
        ));
    }
    let ratio = times[2].as_secs_f64() / times[0].as_secs_f64();
    figs.push(fig("B4", "  largest / smallest frame", ratio, "ratio", "≤ 2×", Some(ratio <= 2.0 || s.quick)));
    figs.push(fig(
        "B7",
        format!("TUI holding {} results (RSS growth)", s.b4_rows[2]),
        tui_rss as f64 / 1024.0,
        "MB",
        "≤ 400 MB",
        Some(tui_rss <= 400 * 1024),
    ));

    let mut app = app_with_rows(s.b5_rows, (200, 50));
    let (total, worst_frame) = filter_timing(&mut app, "city42", true);
    figs.push(fig(
        "B5",
        format!("filter {} rows by substring (one query)", s.b5_rows),
        total.as_secs_f64() * 1e3,
        "ms",
        "≤ 100 ms",
        Some(total <= Duration::from_millis(100) || s.quick),
    ));
    figs.push(fig(
        "B5",
        "  longest frame while filtering",
        worst_frame.as_secs_f64() * 1e3,
        "ms",
        "no frame waits for it",
        None,
    ));
    let (typed, _) = filter_timing(&mut app, "city42", false);
    figs.push(fig(
        "B5",
        "  typed a key at a time (each key restarts it)",
        typed.as_secs_f64() * 1e3,
        "ms",
        "informational",
        None,
    ));
    figs
}

/// Type a filter and keep drawing until it is applied: total time, and the longest frame.
fn filter_timing(app: &mut timx::tui::app::App, needle: &str, at_once: bool) -> (Duration, Duration) {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use timx::tui::msg::Msg;
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    let key = |c| Msg::Key(crossterm::event::KeyEvent::new(c, crossterm::event::KeyModifiers::NONE));
    app.update(key(crossterm::event::KeyCode::Esc));
    app.update(key(crossterm::event::KeyCode::Char('/')));
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    if at_once {
        // Pasted into the filter line: one query.
        let t = Instant::now();
        app.update(Msg::Paste(needle.to_owned()));
        term.draw(|f| timx::tui::view::draw(app, f)).unwrap();
        worst = worst.max(t.elapsed());
    } else {
        for ch in needle.chars() {
            let t = Instant::now();
            app.update(key(crossterm::event::KeyCode::Char(ch)));
            term.draw(|f| timx::tui::view::draw(app, f)).unwrap();
            worst = worst.max(t.elapsed());
        }
    }
    while app.background_pending() {
        let t = Instant::now();
        app.poll_background();
        term.draw(|f| timx::tui::view::draw(app, f)).unwrap();
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_micros(200));
    }
    (start.elapsed(), worst)
}
