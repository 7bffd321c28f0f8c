//! `cargo bench`: the full benchmark suite. Prints a table and writes `target/timx-bench.json`.
//! `TIMX_BENCH_QUICK=1 cargo bench` runs it on tiny inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "suite/mod.rs"]
mod suite;

fn main() {
    // `cargo bench` passes harness flags such as --bench; nothing to parse.
    let quick = std::env::var_os("TIMX_BENCH_QUICK").is_some();
    let sizes = if quick { suite::Sizes::tiny() } else { suite::Sizes::full() };
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_timx"));
    eprintln!("timx benchmarks ({}) with {}", if quick { "quick" } else { "full" }, bin.display());
    // TIMX_BENCH_ONLY=screens runs one group (audits, screens, terminal, memory, emulator).
    let figs = match std::env::var("TIMX_BENCH_ONLY").ok().as_deref() {
        Some(group) => suite::run_group(bin, &sizes, group),
        None => suite::run_all(bin, &sizes),
    };
    suite::print_table(&figs);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("timx-bench.json");
    match suite::write_json(&out, &figs) {
        Ok(()) => println!("\nfigures written to {}", out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", out.display()),
    }
}
