//! The benchmark code runs, on tiny inputs. No timing is asserted here (benchmarks are not
//! tests); what is checked is that every figure is produced and the correctness figures hold.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

#[path = "../benches/suite/mod.rs"]
mod suite;

#[test]
fn the_benchmark_suite_runs_on_tiny_inputs() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_timx"));
    let figs = suite::run_all(bin, &suite::Sizes::tiny());
    for id in ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13"] {
        assert!(figs.iter().any(|f| f.id == id), "{id} missing");
    }
    let get = |what: &str| figs.iter().find(|f| f.what.contains(what)).unwrap_or_else(|| panic!("{what}"));
    assert_eq!(get("data identical to B1").value, 1.0, "faults change nothing in the data");
    assert_eq!(get("60007 answers").value, 0.0);
    assert_eq!(get("accounts changed, with --verify").value, 500.0, "every account of the apply changed");
    assert_eq!(get("trace refusals (60007)").value, 0.0, "the trace keeps the documented 1 call/s");
    assert!(figs.iter().all(|f| f.value.is_finite()));
    let dir = tempfile::tempdir().unwrap();
    suite::write_json(&dir.path().join("f.json"), &figs).unwrap();
}
