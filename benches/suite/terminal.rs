//! B6, B8: bytes written when idle and per scroll step, time to the first frame and line.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

use super::common::pty::Session;

/// B6 bytes idle and per scroll step; B8 time to the first frame.
pub fn run(w: &Work, s: &Sizes, _: &tokio::runtime::Runtime) -> Vec<Figure> {
    let mut figs = idle_and_scroll(w, s);
    figs.push(first_line(w));
    figs
}

fn idle_and_scroll(w: &Work, s: &Sizes) -> Vec<Figure> {
    let mut figs = Vec::new();
    let mut pty = Session::start_in(&["demo"], &[], (50, 200), w.dir.path());
    pty.wait_for("Attribute names");
    let first = pty.first_output();
    pty.wait_for("Ctrl-R runs the");
    pty.send(b"\x12"); // Ctrl-R
    pty.wait_for("done");
    pty.settle(Duration::from_millis(300));
    let before = pty.len();
    std::thread::sleep(s.b6_idle);
    let idle = pty.len() - before;
    figs.push(fig(
        "B6",
        format!("bytes written in {:.0} s idle (200×50)", s.b6_idle.as_secs_f64()),
        idle as f64,
        "bytes",
        "0",
        Some(idle == 0),
    ));
    let steps = 20;
    let before = pty.len();
    for _ in 0..steps {
        pty.send(b"j");
        std::thread::sleep(Duration::from_millis(40));
    }
    pty.settle(Duration::from_millis(200));
    let per = (pty.len() - before) as f64 / steps as f64;
    figs.push(fig("B6", "bytes per one-row scroll (200×50)", per, "bytes", "≤ 2048", Some(per <= 2048.0)));
    figs.push(fig(
        "B8",
        "start to first frame (TUI, demo)",
        first.as_secs_f64() * 1e3,
        "ms",
        "≤ 50 ms",
        Some(first <= Duration::from_millis(50) || s.quick),
    ));
    figs
}

/// B8b: start to the first output line of a headless audit.
fn first_line(w: &Work) -> Figure {
    let data = w.path("small.json");
    write_data(&data, 10);
    let serve = Serve::spawn(&["--data", data.to_str().unwrap()], &[]);
    let t = Instant::now();
    let mut child = w
        .cmd()
        .arg("attrs")
        .args(target_args(&serve.url))
        .arg("u0000001")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let first = t.elapsed();
    let _ = child.wait();
    fig(
        "B8",
        "start to first output line (headless attrs)",
        first.as_secs_f64() * 1e3,
        "ms",
        "≤ 50 ms",
        Some(first <= Duration::from_millis(50)),
    )
}
