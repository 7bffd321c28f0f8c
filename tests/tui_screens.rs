//! Screen tests: the app fed fixed worker events, drawn on ratatui's TestBackend, compared with
//! insta snapshots at 80×24 and 200×50, plus the too-small screen, NO_COLOR and hostile text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use timx::api::wire::AttrNames;
use timx::config::{Config, Profile};
use timx::engine::{ErrorDetail, Event, Progress, Record, Status, Summary};
use timx::secret::SecretSource;
use timx::tui::app::App;
use timx::tui::msg::{Msg, WorkerEvent};
use timx::tui::theme::Theme;
use timx::tui::{self, Launch};
use timx::write::{WriteRecord, WriteStatus};

fn profile(name: &str) -> Profile {
    Profile {
        key: SecretSource::Env { env: "TIMX_SECRET_KEY".into() },
        ..common::test_profile(name, "http://127.0.0.1:8080")
    }
}

fn names() -> AttrNames {
    AttrNames {
        attr_names: [("0", "sex"), ("1", "city"), ("2", "会员等级"), ("8", "push_device")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        attr_types: Some([("0".to_string(), 0u8), ("1".into(), 0), ("2".into(), 0), ("8".into(), 1)].into()),
    }
}

fn record(i: u32, account: &str, attrs: &[(&str, &str)], tags: &[&str]) -> Record {
    let mut r =
        Record::new(i, account, if attrs.is_empty() && tags.is_empty() { Status::Empty } else { Status::Found });
    r.attrs = Some(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    r.tags = Some(tags.iter().map(|t| t.to_string()).collect());
    r
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// An app with a profile, attribute names and a finished job of five accounts.
fn app_with_results(theme: Theme, size: (u16, u16)) -> App {
    let launch = Launch {
        config: Config { path: "/home/u/.config/timx/config.toml".into(), ..Config::default() },
        profiles: vec![profile("demo"), profile("prod-sg")],
        select: None,
        demo: false,
        problems: vec![],
    };
    let mut app = tui::new_app(&launch, theme);
    app.update(Msg::Resize(size.0, size.1));
    let cmds = tui::initial_cmds(&mut app, &launch);
    assert_eq!(cmds.len(), 1, "reads the attribute names of the first profile");
    app.update(Msg::Worker(WorkerEvent::AttrNames {
        fetch: app.attr_names.fetch,
        profile: "demo".into(),
        result: Ok(names()),
    }));
    app.update(Msg::Paste("bob\n张小红\nghost\r\nalice\nmallory\n".into()));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)));
    let mut ghost = Record::new(2, "ghost", Status::NotFound);
    ghost.error = Some(ErrorDetail::from_code(70107, "account not exist"));
    let mut mallory = record(4, "mallory", &[("city", "\u{1b}]0;pwned\u{7}北京")], &["\u{202E}evil", "vip"]);
    mallory.status = Status::Found;
    let job = |event| Msg::Worker(WorkerEvent::Job { job: 1, event });
    app.update(job(Event::Started { total: 5, duplicates: 0, invalid: 0, batches: 1 }));
    app.update(job(Event::Batch(vec![
        record(
            0,
            "bob",
            &[("sex", "other"), ("city", "São Paulo"), ("会员等级", "白银")],
            &["WeekPassUser", "newsletter"],
        ),
        record(1, "张小红", &[("city", "深圳")], &["活跃"]),
        ghost,
        record(3, "alice", &[], &[]),
        mallory,
    ])));
    app.update(job(Event::Progress(Progress {
        done: 5,
        total: 5,
        calls: 2,
        retries: 0,
        elapsed: Default::default(),
        rate: 500.0,
    })));
    let mut summary = Summary { total: 5, calls: 2, ..Summary::default() };
    summary.counts.insert(Status::Found, 3);
    summary.counts.insert(Status::Empty, 1);
    summary.counts.insert(Status::NotFound, 1);
    app.update(job(Event::Finished(summary)));
    app
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    term.draw(|f| timx::tui::view::draw(app, f)).unwrap();
    term
}

fn text_of(term: &Terminal<TestBackend>) -> String {
    common::buffer_text(term.backend().buffer())
}

fn screen(app: &App) -> String {
    text_of(&draw(app))
}

#[test]
fn main_screen_80x24() {
    let app = app_with_results(Theme::new(false), (80, 24));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn main_screen_200x50() {
    let app = app_with_results(Theme::new(false), (200, 50));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn too_small_screen_and_quit_from_it() {
    let mut app = app_with_results(Theme::new(false), (60, 20));
    let s = screen(&app);
    assert!(s.contains("Terminal too small") && s.contains("need 80×24, have 60×20"), "{s}");
    insta::assert_snapshot!(s);
    // Growing the window brings the app back; q quits from the small screen.
    app.update(Msg::Resize(80, 24));
    assert!(screen(&app).contains("Results"));
    app.update(Msg::Resize(40, 10));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[test]
fn detail_help_and_summary_screens() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("ghost") && s.contains("70107") && s.contains("import it or check"), "{s}");
    insta::assert_snapshot!("detail_not_found", s);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!("summary", screen(&app));
    // `a` steps through the attributes (sex, city, 会员等级, push_device), then the schema view.
    for _ in 0..4 {
        key(&mut app, KeyCode::Char('a'));
    }
    let s = screen(&app);
    assert!(s.contains("Schema use") && s.contains("Tags per account"), "{s}");
    insta::assert_snapshot!("summary_schema", s);
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(s.contains("Ctrl-R / F5") && s.contains("run: attributes and tags"), "{s}");
}

#[test]
fn hostile_text_is_shown_escaped() {
    let mut app = app_with_results(Theme::new(false), (200, 50));
    let term = draw(&app);
    let buf = term.backend().buffer();
    assert!(buf.content().iter().all(|c| !c.symbol().contains(['\u{1b}', '\u{7}', '\u{202E}'])));
    let s = text_of(&term);
    assert!(s.contains("\\e]0;pwned\\u{7}北京"), "the wide city column shows the escaped value: {s}");
    // Tags tab and detail view escape too.
    key(&mut app, KeyCode::Char('2'));
    assert!(screen(&app).contains("\\u{202E}evil"));
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("\\u{202E}evil") && s.contains("\\e]0;pwned"), "{s}");
}

#[test]
fn no_color_keeps_the_selection_visible_without_colours() {
    let app = app_with_results(Theme::new(true), (80, 24));
    let term = draw(&app);
    let buf = term.backend().buffer();
    // No cell asks for a colour...
    assert!(buf.content().iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
    // ...and the selected row (bob, first row of the table) is reversed.
    let row_y = (0..24).find(|y| {
        (0..80).map(|x| buf[(x, *y)].symbol().to_string()).collect::<String>().contains("║bob") || {
            let line: String = (0..80).map(|x| buf[(x, *y)].symbol().to_string()).collect();
            line.contains("bob ") && line.contains("found")
        }
    });
    let y = row_y.expect("bob's row is on screen");
    let reversed = (30..60).filter(|x| buf[(*x, y)].modifier.contains(Modifier::REVERSED)).count();
    assert!(reversed > 20, "selection drawn reversed: {reversed} cells");
}

fn command(app: &mut App, line: &str) {
    key(app, KeyCode::Char(':'));
    app.update(Msg::Paste(line.into()));
    key(app, KeyCode::Enter);
}

/// `:audience`: the Aud column (✓ ✗ ?), the condition and counts on screen, the filter on the
/// verdict, the reasons in the detail, the reasons chart in the summary; NO_COLOR keeps the
/// symbols. An invalid condition is refused with the service's code.
#[test]
fn the_audience_column_reasons_and_charts() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    command(&mut app, r#"audience {"TagsAnd":["vip"],"AttrsAnd":{"city":"深圳"}}"#);
    let s = screen(&app);
    assert!(s.contains("invalid condition: 90039"), "{s}");
    assert!(app.results.audience.is_none());
    command(&mut app, r#"audience {"TagsOr":["newsletter","活跃"]}"#);
    let s = screen(&app);
    assert!(s.contains("Aud") && s.contains("✓ 2 ✗ 3 ? 0"), "{s}");
    insta::assert_snapshot!("audience_80x24", s);
    // Filter on the verdict.
    key(&mut app, KeyCode::Char('/'));
    app.update(Msg::Paste("audience=no".into()));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.results.view_len(), 3);
    // The detail of alice (not targeted) says why.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("✗ not targeted") && s.contains("TagsOr: has none of newsletter, 活跃"), "{s}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('3'));
    let s = screen(&app);
    assert!(s.contains("not targeted because") && s.contains("none of TagsOr"), "{s}");
    insta::assert_snapshot!("audience_summary", s);
    let wide = {
        let mut app = app_with_results(Theme::new(true), (200, 50));
        command(&mut app, r#"audience {"TagsOr":["newsletter","活跃"]}"#);
        screen(&app)
    };
    assert!(wide.contains("✓") && wide.contains("✗"), "NO_COLOR keeps the symbols");
    insta::assert_snapshot!("audience_200x50_no_color", wide);
    command(&mut app, "audience off");
    assert!(app.results.audience.is_none());
}

/// The screen with undo files' times (`20261201T183746759Z`) put as `<time>`: a snapshot must
/// not depend on when it ran.
fn timeless(screen: &str) -> String {
    let mut out = String::new();
    let mut rest = screen;
    while let Some(at) = rest.find("-demo.ndjson") {
        let (head, tail) = rest.split_at(at);
        let stamp = head.rfind(|c: char| !(c.is_ascii_alphanumeric())).map_or(0, |i| i + 1);
        out.push_str(&head[..stamp]);
        out.push_str("<time>");
        out.push_str("-demo.ndjson");
        rest = &tail["-demo.ndjson".len()..];
    }
    out.push_str(rest);
    out
}

fn tag_change(tag: &str) -> timx::write::change::Change {
    timx::write::change::Change {
        op: timx::write::change::Op::Add,
        name: None,
        tag: Some(tag.into()),
        from: None,
        to: None,
    }
}

fn write_row(i: u32, account: &str, status: WriteStatus, changes: Vec<timx::write::change::Change>) -> WriteRecord {
    WriteRecord { changes, ..WriteRecord::new(i, account, status) }
}

/// Undo files in a temporary directory, never the user's data dir.
fn undo_dir_of_its_own(app: &mut App) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    app.undo_dir = Some(dir.path().join("undo"));
    dir
}

/// The worker made the undo file before the first write: this test plays the worker.
fn play_the_worker_making_the_undo_file(app: &App) {
    let undo = app.write.as_ref().and_then(|f| f.undo.clone()).unwrap();
    std::fs::create_dir_all(undo.parent().unwrap()).unwrap();
    std::fs::write(&undo, "").unwrap();
}

fn write_summary(counts: &[(WriteStatus, u64)]) -> Summary<WriteStatus> {
    let mut s = Summary { total: counts.iter().map(|(_, n)| n).sum(), ..Summary::default() };
    s.counts.extend(counts.iter().copied());
    s
}

/// Writes on screen: the RO badge refusing, `:unlock` turning it into the RW warning, the edit
/// form, the plan overlay with its question, and the rows after the write with their outcomes
/// and what was read back; at 80×24 and 200×50, and in NO_COLOR the badge stays visible.
#[test]
fn the_edit_form_the_plan_and_the_rw_badge() {
    for size in [(80, 24), (200, 50)] {
        let tag = format!("{}x{}", size.0, size.1);
        let mut app = app_with_results(Theme::new(false), size);
        let _dir = undo_dir_of_its_own(&mut app);
        key(&mut app, KeyCode::Char('e'));
        assert!(screen(&app).contains("read-only"), "refused with why");
        command(&mut app, "unlock");
        app.update(Msg::Paste("1400000000".into()));
        key(&mut app, KeyCode::Enter);
        assert!(screen(&app).contains("RW: WRITES ALLOWED"));
        key(&mut app, KeyCode::Char('e'));
        key(&mut app, KeyCode::Down);
        app.update(Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        app.update(Msg::Paste("深圳".into()));
        insta::assert_snapshot!(format!("edit_form_{tag}"), screen(&app));
        key(&mut app, KeyCode::Esc);
        command(&mut app, "tag add vip");
        let job = app.write.as_ref().unwrap().job;
        let ev = |event| Msg::Worker(WorkerEvent::Write { job, event });
        let mut ghost = write_row(2, "ghost", WriteStatus::NotFound, vec![]);
        ghost.error = Some(ErrorDetail::from_code(70107, "account not exist"));
        app.update(ev(Event::Batch(vec![
            write_row(0, "bob", WriteStatus::Planned, vec![tag_change("vip")]),
            write_row(1, "张小红", WriteStatus::Planned, vec![tag_change("vip")]),
            ghost,
            write_row(3, "alice", WriteStatus::Planned, vec![tag_change("vip")]),
            write_row(4, "mallory", WriteStatus::Unchanged, vec![]),
        ])));
        app.update(ev(Event::Finished(write_summary(&[
            (WriteStatus::Planned, 3),
            (WriteStatus::Unchanged, 1),
            (WriteStatus::NotFound, 1),
        ]))));
        key(&mut app, KeyCode::Char('3'));
        insta::assert_snapshot!(format!("plan_{tag}"), screen(&app));
        key(&mut app, KeyCode::Enter);
        let job = app.write.as_ref().unwrap().job;
        let ev = |event| Msg::Worker(WorkerEvent::Write { job, event });
        play_the_worker_making_the_undo_file(&app);
        // One outcome per row, as the write reports them: the rows show write outcomes only.
        let mut ghost = write_row(2, "ghost", WriteStatus::NotFound, vec![]);
        ghost.error = Some(ErrorDetail::from_code(70107, "account not exist"));
        app.update(ev(Event::Batch(vec![
            write_row(0, "bob", WriteStatus::Changed, vec![tag_change("vip")]),
            write_row(1, "张小红", WriteStatus::Changed, vec![tag_change("vip")]),
            ghost,
            write_row(3, "alice", WriteStatus::Changed, vec![tag_change("vip")]),
            write_row(4, "mallory", WriteStatus::Unchanged, vec![]),
        ])));
        app.update(ev(Event::Finished(write_summary(&[
            (WriteStatus::Changed, 3),
            (WriteStatus::Unchanged, 1),
            (WriteStatus::NotFound, 1),
        ]))));
        // The read-back: the rows that exist, as the service holds them now (ghost is not read).
        let job = app.write.as_ref().unwrap().job;
        let read = |event| Msg::Worker(WorkerEvent::Job { job, event });
        let mut mallory = record(3, "mallory", &[("city", "\u{1b}]0;pwned\u{7}北京")], &["\u{202E}evil", "vip"]);
        mallory.status = Status::Found;
        app.update(read(Event::Batch(vec![
            record(0, "bob", &[("sex", "other"), ("city", "São Paulo")], &["WeekPassUser", "newsletter", "vip"]),
            record(1, "张小红", &[("city", "深圳")], &["活跃", "vip"]),
            record(2, "alice", &[], &["vip"]),
            mallory,
        ])));
        app.update(read(Event::Finished(Summary { total: 4, ..Summary::default() })));
        assert!(app.write.is_none());
        key(&mut app, KeyCode::Char('2'));
        insta::assert_snapshot!(format!("after_write_{tag}"), timeless(&screen(&app)));
    }
    let mut app = app_with_results(Theme::new(true), (80, 24));
    command(&mut app, "unlock");
    app.update(Msg::Paste("1400000000".into()));
    key(&mut app, KeyCode::Enter);
    let term = draw(&app);
    let buf = term.backend().buffer();
    let header: String = (0..80).map(|x| buf[(x, 0)].symbol().to_string()).collect();
    let at = header.find("RW: WRITES ALLOWED").expect("the badge is in the header");
    let x = header[..at].chars().count() as u16;
    let cell = &buf[(x, 0)];
    assert!(cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD), "NO_COLOR shows it by modifiers");
    assert_eq!(cell.bg, Color::Reset);
}

/// An app with results whose condition history is a file of its own (there while the dir lives).
fn app_with_history() -> (App, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("audience-history.json");
    let mut app = app_with_results(Theme::new(false), (80, 24));
    app.audience_history = Some(history.clone());
    (app, dir, history)
}

/// `A`: the condition editor checks the line as it is typed (the service's code for a bad one),
/// refuses to apply it while invalid, applies a good one, and remembers it for ↑ next time.
#[test]
fn the_condition_editor_checks_applies_and_remembers() {
    let (mut app, _dir, history) = app_with_history();
    key(&mut app, KeyCode::Char('A'));
    app.update(Msg::Paste(r#"{"TagsAnd":["vip"],"AttrsAnd":{"city":"深圳"}}"#.into()));
    insta::assert_snapshot!("condition_editor_invalid_80x24", screen(&app));
    key(&mut app, KeyCode::Enter);
    assert!(app.results.audience.is_none(), "an invalid condition is not applied");
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    app.update(Msg::Paste(r#"{"TagsOr":["vip","活跃"]}"#.into()));
    assert!(screen(&app).contains("valid: TagsOr vip, 活跃"));
    key(&mut app, KeyCode::Enter);
    assert!(app.results.audience.is_some(), "applied");
    assert!(screen(&app).contains("Aud"));
    let saved: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(saved, [r#"{"TagsOr":["vip","活跃"]}"#]);
    // Another session recalls it.
    let mut app = app_with_results(Theme::new(false), (80, 24));
    app.audience_history = Some(history);
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.results.audience.as_ref().map(|a| a.text.as_str()), Some(r#"{"TagsOr":["vip","活跃"]}"#));
    // The editor's text is applied whole: spaces inside a tag are the tag's.
    key(&mut app, KeyCode::Char('A'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
    app.update(Msg::Paste(r#"{"TagsOr":["big  spender"]}"#.into()));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.results.audience.as_ref().map(|a| a.text.as_str()), Some(r#"{"TagsOr":["big  spender"]}"#));
}

/// Rows read on one app, shown after a switch to another: the results border says so, whole
/// at 80 columns.
#[test]
fn stale_rows_are_marked_on_the_results_border() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    assert!(!screen(&app).contains("stale"));
    command(&mut app, "profile prod-sg");
    let s = screen(&app);
    assert!(s.lines().any(|l| l.contains("stale: read on demo/timpush")), "{s}");
}

/// The cells where `text` starts on screen, row by row (wide characters take two cells).
fn found(term: &Terminal<TestBackend>, text: &str) -> Vec<(u16, u16)> {
    let buf = term.backend().buffer();
    let (w, h) = (buf.area.width, buf.area.height);
    let n = text.chars().count() as u16;
    (0..h)
        .flat_map(|y| (0..w.saturating_sub(n)).map(move |x| (x, y)))
        .filter(|&(x, y)| (0..n).map(|i| buf[(x + i, y)].symbol()).collect::<String>() == text)
        .collect()
}

/// What the badge at `at` looks like, for the snapshot: colour or modifiers.
fn looks(term: &Terminal<TestBackend>, at: (u16, u16)) -> String {
    let c = &term.backend().buffer()[at];
    format!("fg {:?} bg {:?} modifiers {:?}", c.fg, c.bg, c.modifier)
}

/// A body without Condition: ALL USERS is a state — on the results border while it applies,
/// and in the summary — in colour on red, under NO_COLOR in reverse video.
#[test]
fn all_users_is_a_badge_on_the_border_and_in_the_summary() {
    for (no_color, name) in [(false, "all_users_80x24"), (true, "all_users_80x24_no_color")] {
        let mut app = app_with_results(Theme::new(no_color), (80, 24));
        command(&mut app, r#"audience {"MsgRandom":1,"MsgBody":[]}"#);
        // A message later, the badge stays (the status line's warning does not).
        command(&mut app, "no-such-command");
        let term = draw(&app);
        assert!(!text_of(&term).contains("ALL users who"), "the status line moved on");
        let border = found(&term, "ALL USERS");
        assert_eq!(border.len(), 1, "{}", text_of(&term));
        assert_eq!(border[0].1, 22, "on the results border");
        let on_border = looks(&term, border[0]);
        key(&mut app, KeyCode::Char('3'));
        let summary = draw(&app);
        let in_summary = found(&summary, "ALL USERS");
        assert!(in_summary.iter().any(|at| at.1 < 22), "in the summary: {}", text_of(&summary));
        let c = &summary.backend().buffer()[in_summary[0]];
        if no_color {
            assert!(c.modifier.contains(Modifier::REVERSED) && c.bg == Color::Reset, "reverse video: {c:?}");
        } else {
            assert_eq!(c.bg, Color::Red);
        }
        let s = format!(
            "{}\n--- results ---\n{}\nborder badge: {on_border}\nsummary badge: {}",
            text_of(&summary),
            text_of(&term),
            looks(&summary, in_summary[0])
        );
        insta::assert_snapshot!(name, s);
        command(&mut app, "audience off");
        assert!(found(&draw(&app), "ALL USERS").is_empty(), "gone with the condition");
    }
}

/// `:audience` takes the rest of the line as typed: the spaces inside a tag are the tag's.
#[test]
fn the_audience_command_keeps_the_line_as_typed() {
    let (mut app, _dir, history) = app_with_history();
    command(&mut app, r#"audience   {"TagsOr":["big    spender"]}  "#);
    assert_eq!(app.results.audience.as_ref().map(|a| a.text.as_str()), Some(r#"{"TagsOr":["big    spender"]}"#));
    let saved: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(saved, [r#"{"TagsOr":["big    spender"]}"#], "kept in the history as typed");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("TagsOr: has none of big    spender"), "{}", screen(&app));
}

/// A condition that rests on an undocumented point: the editor shows it as a warning (and still
/// applies it), the detail and the summary list the warning and what timx assumed.
#[test]
fn warnings_and_assumptions_in_the_editor_detail_and_summary() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    key(&mut app, KeyCode::Char('A'));
    app.update(Msg::Paste(r#"{"TagsOr":["vip","vip"]}"#.into()));
    let s = screen(&app);
    assert!(s.contains("valid: TagsOr vip, vip · warning: TagsOr lists vip twice"), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(app.results.audience.is_some(), "a warning does not stop it");
    assert!(screen(&app).contains("audience applied with 1 warning: TagsOr lists vip twice"), "{}", screen(&app));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("warning: TagsOr lists vip twice"), "{s}");
    (0..4).for_each(|_| key(&mut app, KeyCode::Down));
    let s = screen(&app);
    assert!(s.contains("assumed where the docs are silent"), "{s}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('3'));
    let s = screen(&app);
    assert!(s.contains("warning: TagsOr lists vip twice") && s.contains("assumed where the docs"), "{s}");
}

/// A device of a trace with fixed times: `codes` per stage (0 success), as the service answers.
fn traced_device(instance: &str, codes: &[i64], last_active: i64) -> timx::api::post_send::Instance {
    use timx::api::post_send::{ImCommitStat, Instance, OfflinePushStat, Stage};
    let stage = |k: usize| {
        codes.get(k).map(|c| Stage {
            push_status: if *c == 0 { 1 } else { 2 },
            error_code: *c,
            error_info: if *c == 0 { "success".into() } else { "Unregistered".into() },
            event_time: format!("2026-12-01 10:00:0{k}"),
        })
    };
    Instance {
        instance_id: instance.into(),
        push_time: "2026-12-01 10:00:00".into(),
        system: "Android".into(),
        device_model: "Pixel 8".into(),
        event_type: 1,
        push_platform: 7,
        token: "tok".into(),
        cert_id: "1107".into(),
        notification_status: 1,
        last_active_terminal: last_active,
        im_commit_stat: Some(ImCommitStat { im_stat: stage(0) }),
        offline_push_stat: Some(OfflinePushStat {
            offline_stat: stage(1),
            channel_stat: stage(2),
            device_stat: stage(3),
            click_stat: stage(4),
        }),
        ..Instance::default()
    }
}

/// `:trace T1` on the five rows, the worker played: two rows, then (the screen kept) the rest.
fn play_trace(app: &mut App) -> String {
    use timx::push::trace::{TraceRow, TraceStatus};
    command(app, "trace T1");
    let t = app.trace.as_ref().expect("a trace started");
    let (job, rows) = (t.job, t.rows.clone());
    let outcomes: Vec<Vec<timx::api::post_send::Instance>> = vec![
        vec![traced_device("1", &[0, 0, 0, 0, 0], 1)],
        vec![traced_device("2", &[0, 0, 410], 1), traced_device("3", &[0, 0, 0, 0], 0)],
        vec![],
        vec![traced_device("4", &[0, 0, 410], 1)],
        vec![traced_device("5", &[0, 0, 0, 0], 1)],
    ];
    let ev = |event| Msg::Worker(WorkerEvent::Trace { job, event });
    app.update(ev(Event::Started { total: 5, duplicates: 0, invalid: 0, batches: 5 }));
    let accounts: Vec<String> = rows.iter().map(|r| app.results.account(*r).unwrap_or_default().to_owned()).collect();
    let row = |k: usize, instances: &[timx::api::post_send::Instance]| {
        let (d, verdict, devices) = timx::push::delivery::account(instances);
        let (status, account) = (TraceStatus::of(d), accounts[k].clone());
        TraceRow { index: k as u32, account, status, verdict, devices, audience: None, error: None }
    };
    let first: Vec<TraceRow> = (0..2).map(|k| row(k, &outcomes[k])).collect();
    app.update(ev(Event::Batch(first)));
    app.update(ev(Event::Progress(Progress { done: 2, total: 5, rate: 1.0, ..Progress::default() })));
    let waiting = screen(app);
    let rest: Vec<TraceRow> = (2..5).map(|k| row(k, &outcomes[k])).collect();
    app.update(ev(Event::Batch(rest)));
    let mut s = Summary::<TraceStatus>::default();
    for (st, n) in
        [(TraceStatus::Clicked, 1), (TraceStatus::Delivered, 2), (TraceStatus::Stopped, 1), (TraceStatus::NoTrace, 1)]
    {
        s.counts.insert(st, n);
    }
    app.update(ev(Event::Finished(s)));
    waiting
}

/// `:stats T1`, the worker played: a funnel and two loss reasons.
fn play_stats(app: &mut App) {
    command(app, "stats T1");
    let job = app.stats.as_ref().expect("stats asked").job;
    let st = timx::api::post_send::TaskStatistics {
        task_id: "T1".into(),
        counts: timx::api::post_send::Counts { total: 200, sent: 150, delivered: 120, click: 30 },
        platform_statistics: vec![],
    };
    let loss = timx::api::post_send::TaskLoss {
        task_id: "T1".into(),
        ready_to_send_loss: vec![timx::api::post_send::Loss {
            err_code: "-2".into(),
            err_count: 40,
            err_info: "token not uploaded".into(),
        }],
        post_send_delivered_loss: vec![timx::api::post_send::Loss {
            err_code: "410".into(),
            err_count: 25,
            err_info: "Unregistered".into(),
        }],
        ..Default::default()
    };
    let report = timx::push::stats::report("T1", Some(&st), Some(&loss));
    app.update(Msg::Worker(WorkerEvent::Stats { job, result: Ok(vec![report]) }));
}

/// `:trace`: the Delivery column (✓✓ ✓ ✗ – and … while waiting), the progress with ETA and Esc
/// on the border, the detail's device funnel with the failed stage explained; `:stats`: the
/// funnel and loss reasons as bars in the summary. At 80×24 and 200×50, NO_COLOR too.
#[test]
fn the_delivery_column_the_device_funnel_and_the_stats_charts() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    let waiting = play_trace(&mut app);
    assert!(waiting.contains("Delivery") && waiting.contains("…"), "{waiting}");
    assert!(waiting.contains("2/5 at 1/s ETA 3s · Esc cancels"), "{waiting}");
    let s = screen(&app);
    assert!(s.contains("✓✓") && s.contains("✗") && s.contains("–"), "{s}");
    assert!(s.contains("trace T1: ✓✓ 1 ✓ 2 ✗ 1 – 1"), "{s}");
    insta::assert_snapshot!("delivery_80x24", s);
    // The detail of the row stopped at the vendor: its device's funnel, the failed stage explained.
    let stopped = app.trace.as_ref().unwrap().rows[3];
    while app.results.selected_index() != Some(stopped) {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    for _ in 0..14 {
        key(&mut app, KeyCode::Down);
    }
    let s = screen(&app);
    assert!(s.contains("✗ channel") && s.contains("410 Unregistered"), "{s}");
    assert!(s.contains("· device") && s.contains("(not reached)"), "{s}");
    insta::assert_snapshot!("delivery_detail_80x24", s);
    key(&mut app, KeyCode::Esc);
    // `:stats`: the funnel and the loss reasons as bars in the summary.
    play_stats(&mut app);
    let s = screen(&app);
    assert!(s.contains("Task T1") && s.contains("can send") && s.contains("█"), "{s}");
    assert!(s.contains("-2 token not uploaded") && s.contains("410 Unregistered"), "{s}");
    insta::assert_snapshot!("stats_summary_80x24", s);
    let mut wide = app_with_results(Theme::new(true), (200, 50));
    play_trace(&mut wide);
    let s = screen(&wide);
    assert!(s.contains("✓✓") && s.contains("✗"), "NO_COLOR keeps the symbols: {s}");
    insta::assert_snapshot!("delivery_200x50_no_color", s);
    play_stats(&mut wide);
    insta::assert_snapshot!("stats_summary_200x50_no_color", screen(&wide));
}

/// `:scheduled` lists the pending scheduled pushes; `:scheduled ID` applies one's Condition as
/// the audience (the Aud column), and a User task's list is refused as not a Condition.
#[test]
fn a_scheduled_push_becomes_the_audience() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    let task = |id: u64, kind: &str, content: serde_json::Value| timx::api::post_send::SchedTask {
        task_id: id,
        kind: kind.into(),
        sched_at: "2026-12-02 20:00:00".into(),
        status: "pending".into(),
        title: "tonight".into(),
        content,
        ..Default::default()
    };
    let tag = task(7, "Tag", serde_json::json!({"Condition": {"TagsOr": ["newsletter", "活跃"]}}));
    let users = task(8, "User", serde_json::json!({"To_Account": ["bob"]}));
    let answer = |app: &mut App, id, tasks| {
        let job = app.scheduled_job.expect("a :scheduled answer is awaited");
        app.update(Msg::Worker(WorkerEvent::Scheduled { job, id, result: Ok(tasks) }));
    };
    command(&mut app, "scheduled");
    answer(&mut app, None, vec![tag.clone(), users.clone()]);
    let s = screen(&app);
    assert!(
        s.contains("Scheduled pushes (pending)") && s.contains("2026-12-02 20:00:00") && s.contains("1 users: bob"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    command(&mut app, "scheduled 8");
    answer(&mut app, Some(8), vec![users]);
    assert!(app.results.audience.is_none());
    assert!(screen(&app).contains("not a Condition"), "{}", screen(&app));
    command(&mut app, "scheduled 7");
    answer(&mut app, Some(7), vec![tag]);
    let s = screen(&app);
    assert!(s.contains("Aud") && s.contains("✓ 2 ✗ 3 ? 0"), "{s}");
}

/// Found in review: `:trace 20250999` (a scheduled task's id) traced it as a push TaskId and every
/// row came back "no trace". It is refused, saying how to trace the push it fired; nothing runs.
#[test]
fn trace_of_a_scheduled_id_is_refused_with_the_way_to_trace_it() {
    let mut app = app_with_results(Theme::new(false), (80, 24));
    command(&mut app, "trace 20250999");
    let status = app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("is a scheduled task's id") && status.contains("timx trace --task 20250999"), "{status}");
    assert!(app.job.as_ref().is_none_or(|j| !j.running()), "no trace runs");
}
