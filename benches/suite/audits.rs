//! B1–B3, B12: audits against the emulator at the ceiling, one call at a time, under faults and
//! under stalls.

use std::path::Path;
use std::time::Instant;

use super::*;

/// B1, B2, B3: audits against the emulator at the ceiling, one call at a time, and under faults.
pub fn run(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let data = w.path("users.json");
    write_data(&data, s.b1_accounts);
    let accounts = w.path("accounts.txt");
    write_accounts(&accounts, s.b1_accounts);
    let latency = ["--latency-ms", "100", "--jitter-ms", "20", "--rate-limit", "100", "--strict"];
    let mut figs = Vec::new();

    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], &latency[..]].concat(), &[]);
    let out1 = w.path("b1.ndjson");
    let (t1, _) = headless(w, &serve.url, "attrs", &accounts, &out1);
    let b1 = s.b1_accounts as f64 / t1.as_secs_f64();
    let stats = stats(&serve, rt);
    let rejected = count_code(&stats, 60007);
    figs.push(fig(
        "B1",
        format!("headless attrs, {} accounts, 100±20 ms, limit 100/s", s.b1_accounts),
        b1,
        "acct/s",
        "≥ 9700 acct/s",
        Some(b1 >= 0.97 * CEILING || s.quick),
    ));
    figs.push(fig("B1", "  share of the 10,000 acct/s ceiling", b1 / CEILING, "ratio", "≥ 0.97", None));
    figs.push(fig("B1", "  60007 answers (strict sliding window)", rejected as f64, "count", "0", Some(rejected == 0)));
    let peak = stats["peak_calls_per_second"].as_f64().unwrap_or(f64::MAX);
    figs.push(fig("B1", "  peak calls of one command in any second", peak, "calls", "≤ 100", Some(peak <= 100.0)));

    // B2: one call at a time, as SDK-based scripts do.
    let b2 = rt.block_on(async {
        let endpoint = timx::api::Endpoint::base_url(&serve.url).unwrap();
        let cfg = timx::client::ClientConfig::new(endpoint, SDKAPPID, ADMIN, timx::usersig::SecretKey::new(KEY));
        let client = timx::client::Client::new(cfg).unwrap();
        let ids: Vec<String> = (0..s.b2_accounts).map(|i| format!("u{i:07}")).collect();
        let t = Instant::now();
        for chunk in ids.chunks(100) {
            client.get_attrs(timx::api::Family::Timpush, chunk).await.unwrap();
        }
        s.b2_accounts as f64 / t.elapsed().as_secs_f64()
    });
    figs.push(fig(
        "B2",
        format!("one call at a time, {} accounts, same server", s.b2_accounts),
        b2,
        "acct/s",
        "informational",
        None,
    ));
    figs.push(fig("B2", "  B1 / B2 speed-up", b1 / b2, "ratio", "≈ 10×", None));
    drop(serve);
    figs.extend(b3(w, s, rt, &latency, &out1));
    figs.extend(b12(w, s, rt, &latency, &out1));
    figs
}

/// B12: the B1 audit with stalled calls (answered after 60 s, past the client's 15 s timeout):
/// hedged, its pace and memory hold, and its output equals B1's.
fn b12(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime, latency: &[&str], out1: &Path) -> Vec<Figure> {
    let mut figs = Vec::new();
    let (data, accounts) = (w.path("users.json"), w.path("accounts.txt"));
    for (rate, bar) in [("0.002", true), ("0.02", false)] {
        let faults = ["--fault", &format!("stall={rate}")];
        let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], latency, &faults[..]].concat(), &[]);
        let out = w.path(&format!("b12-{rate}.ndjson"));
        let (t, rss_kib) = headless(w, &serve.url, "attrs", &accounts, &out);
        let stats = stats(&serve, rt);
        let stalls = stats["injected"]["stall"].as_u64().unwrap_or(0);
        let calls = stats["calls"].as_u64().unwrap_or(0);
        let speed = s.b1_accounts as f64 / t.as_secs_f64();
        let same = std::fs::read(out1).unwrap() == std::fs::read(&out).unwrap();
        let rss = rss_kib as f64 / 1024.0;
        let what =
            format!("headless attrs, {} accounts, stall={rate} ({stalls} stalled of {calls} calls)", s.b1_accounts);
        if bar {
            figs.push(fig("B12", what, speed, "acct/s", "≥ 9000 acct/s", Some(speed >= 0.9 * CEILING || s.quick)));
            figs.push(fig("B12", "  peak RSS", rss, "MB", "≤ 40 MB", Some(rss <= 40.0 || s.quick)));
        } else {
            figs.push(fig("B12", what, speed, "acct/s", "informational", None));
            figs.push(fig("B12", "  peak RSS", rss, "MB", "informational", None));
        }
        figs.push(fig("B12", "  data identical to B1", if same { 1.0 } else { 0.0 }, "bool", "1", Some(same)));
    }
    figs
}

/// B3: the B1 audit with 20% 91000 and 5% dropped connections; its output must equal B1's.
fn b3(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime, latency: &[&str], out1: &Path) -> Vec<Figure> {
    let mut figs = Vec::new();
    let (data, accounts) = (w.path("users.json"), w.path("accounts.txt"));
    let faults = ["--fail-rate", "0.2", "--drop-rate", "0.05"];
    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], latency, &faults[..]].concat(), &[]);
    let out3 = w.path("b3.ndjson");
    let (t3, _) = headless(w, &serve.url, "attrs", &accounts, &out3);
    let stats = stats(&serve, rt);
    let calls = stats["calls"].as_u64().unwrap_or(0) as f64;
    let overall = calls / t3.as_secs_f64();
    // The pace while work is queued: calls in each whole second, first and last dropped
    // (start-up, and the tail where only batches in backoff remain).
    let mut per_second: Vec<f64> = stats["calls_by_second"]
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    if per_second.len() > 2 {
        per_second = per_second[1..per_second.len() - 1].to_vec();
    }
    per_second.sort_by(|a, b| a.total_cmp(b));
    let steady = per_second.get(per_second.len() / 2).copied().unwrap_or(overall);
    let same = std::fs::read(out1).unwrap() == std::fs::read(&out3).unwrap();
    figs.push(fig(
        "B3",
        "faults: calls/s sent, median second (20% 91000, 5% drops)",
        steady,
        "calls/s",
        "≥ 95 calls/s",
        Some(steady >= 95.0 || s.quick),
    ));
    figs.push(fig("B3", "  calls/s over the whole run, tail included", overall, "calls/s", "informational", None));
    figs.push(fig("B3", "  data identical to B1", if same { 1.0 } else { 0.0 }, "bool", "1", Some(same)));
    figs.push(fig(
        "B3",
        "  accounts/s under faults",
        s.b1_accounts as f64 / t3.as_secs_f64(),
        "acct/s",
        "informational",
        None,
    ));
    figs
}
