//! Hostile data from the service and from input, end to end: ANSI CSI/OSC sequences, C0/C1
//! controls, bidi overrides, zero-width characters, wide CJK and emoji, values over 50 bytes,
//! invalid UTF-8 and a 10,000-line paste with CRLF and tabs. Screens show them escaped, CSV
//! neutralizes formulas, JSON/NDJSON keep them losslessly.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use timx::api::Family;
use timx::emulator::EmulatorConfig;
use timx::emulator::store::AccountKind;
use timx::engine::{self, Event, JobConfig, JobKind, Record, Status};
use timx::export::{Columns, Format};
use timx::tui::msg::{Msg, WorkerEvent};

const HOSTILE: [&str; 8] = [
    "\u{1b}]0;owned title\u{7}",
    "\u{1b}[2J\u{1b}[H cleared",
    "\u{1b}]52;c;c3RvbGVu\u{7}",
    "c1 \u{9b}31m red",
    "bidi \u{202E}txt.exe",
    "zero\u{200B}width\u{FEFF}",
    "宽字符😀emoji",
    "=HYPERLINK(\"http://x\")",
];

async fn hostile_records() -> Vec<Record> {
    let emu =
        start(EmulatorConfig::default(), Some(data(serde_json::json!({"attr_names": {"0": "note", "1": "city"}}))))
            .await;
    let long = "长".repeat(40); // 120 bytes: over the 50-byte limit the real service enforces
    emu.with_store_mut(|s| {
        for (i, v) in HOSTILE.iter().enumerate() {
            let id = format!("h{i}");
            s.import(&id, AccountKind::UserId);
            let u = s.users.get_mut(&id).unwrap();
            u.attrs.insert(0, v.to_string());
            u.attrs.insert(1, long.clone());
            s.set_tags(&id, vec![v.to_string(), "ok".into()]);
        }
    });
    let mut n = engine::Normalizer::new();
    (0..HOSTILE.len()).for_each(|i| n.push_line(&format!("h{i}")));
    let job = engine::spawn_job(
        Arc::new(client(&emu)),
        JobConfig::new(JobKind::Inspect, Family::Timpush, 100),
        Arc::new(n.finish()),
    );
    let (records, _) = drain(job).await;
    emu.shutdown().await;
    records
}

#[tokio::test]
async fn exports_keep_hostile_values_losslessly_and_csv_neutralizes_formulas() {
    let records = hostile_records().await;
    assert!(records.iter().all(|r| r.status == Status::Found));
    let columns = Columns { attr_names: vec!["note".into(), "city".into()], attrs: true, tags: true };
    let render = |f: Format| render(f, columns.clone(), &records);
    let nd = render(Format::Ndjson);
    for (line, want) in nd.lines().zip(HOSTILE) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["attrs"]["note"], want, "lossless");
        assert_eq!(v["tags"][0], want);
    }
    assert!(!nd.contains('\u{1b}') && !nd.contains('\u{7}'), "JSON escapes C0 controls");
    let js: Vec<serde_json::Value> = serde_json::from_str(&render(Format::Json)).unwrap();
    assert_eq!(js[7]["attrs"]["note"], HOSTILE[7]);
    let csv = render(Format::Csv);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[7][1], "'=HYPERLINK(\"http://x\")", "formula neutralized");
    let table = render(Format::Table);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{202E}') && !table.contains('\u{9b}'), "{table}");
    assert!(table.contains("\\e]0;owned title\\u{7}"));
}

#[tokio::test]
async fn screens_show_hostile_values_escaped() {
    let records = hostile_records().await;
    let launch =
        timx::tui::Launch { config: Default::default(), profiles: vec![], select: None, demo: false, problems: vec![] };
    let mut app = timx::tui::new_app(&launch, timx::tui::theme::Theme::new(false));
    app.overlay = timx::tui::overlay::Overlay::None;
    app.update(Msg::Resize(200, 50));
    app.results.reset(records.len());
    app.update(Msg::Worker(WorkerEvent::Job {
        job: 0,
        event: Event::Started { total: 8, duplicates: 0, invalid: 0, batches: 1 },
    }));
    app.results.insert(records);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    for tab in ['1', '2', '3'] {
        app.focus = timx::tui::app::Pane::Results;
        app.update(Msg::Key(KeyEvent::new(KeyCode::Char(tab), KeyModifiers::NONE)));
        term.draw(|f| timx::tui::view::draw(&app, f)).unwrap();
        let cells = term.backend().buffer().content();
        for c in cells {
            assert!(!c.symbol().chars().any(timx::text::is_unsafe), "tab {tab}: raw {:?} on screen", c.symbol());
        }
    }
    // The detail view of each row, too.
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::NONE)));
    for _ in 0..8 {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        term.draw(|f| timx::tui::view::draw(&app, f)).unwrap();
        let text = buffer_text(term.backend().buffer());
        assert!(term.backend().buffer().content().iter().all(|c| !c.symbol().chars().any(timx::text::is_unsafe)));
        assert!(text.contains("Raw JSON"));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    }
}

#[test]
fn a_10000_line_paste_with_crlf_tabs_and_invalid_input_is_one_edit() {
    let launch =
        timx::tui::Launch { config: Default::default(), profiles: vec![], select: None, demo: false, problems: vec![] };
    let mut app = timx::tui::new_app(&launch, timx::tui::theme::Theme::new(false));
    app.overlay = timx::tui::overlay::Overlay::None;
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!("\tuser_{i}  \r\n"));
    }
    text.push_str("\u{1b}[31mred\r\nbad\u{202E}id\r\n");
    text.push_str(&String::from_utf8_lossy(b"broken\xff\xfeutf8\r\n"));
    text.push_str("user_1\r\n");
    let t = std::time::Instant::now();
    app.update(Msg::Paste(text));
    let took = t.elapsed();
    assert_eq!(app.input_stats.accounts, 10_003);
    assert_eq!(app.input_stats.duplicates, 1);
    assert_eq!(app.input_stats.invalid, 3, "escape sequence, bidi override, invalid UTF-8");
    let n = app.editor_input();
    assert!(n.invalid.iter().any(|(_, r)| r.contains("not valid UTF-8")));
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    // One edit: a single undo empties the editor.
    app.editor.undo();
    assert!(app.editor.is_empty(), "the paste was one edit");
}
