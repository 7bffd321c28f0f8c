//! B10: `timx apply` at the ceiling: every account changes one attribute and gains one tag,
//! against the strict emulator at 100 ± 20 ms; without and with `--verify`; a saved plan
//! (`--plan -o`, then `--from-plan`: the guard read and the writes, as the interactive flow's
//! confirmation runs it); and the same writes made one call at a time, as an SDK script would.

use std::path::Path;
use std::time::Instant;

use super::*;

/// The desired state for users `write_data` made: plan changed, one tag more.
pub(super) fn write_desired(path: &Path, users: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..users {
        writeln!(f, r#"{{"account":"u{i:07}",{}}}"#, user_fields(i, "q", &["new"])).unwrap();
    }
}

/// Run `timx apply` to a file; wall time, peak RSS (KiB), exit status.
fn apply(w: &Work, url: &str, desired: &Path, out: &Path, verify: bool) -> (Duration, u64, i32) {
    let input = ["-f", desired.to_str().unwrap(), "--yes"];
    timx_apply(w, url, &[&input[..], if verify { &["--verify"][..] } else { &[] }].concat(), out)
}

/// `timx apply ARGS --read-write --format ndjson` with stdout to `out`.
fn timx_apply(w: &Work, url: &str, args: &[&str], out: &Path) -> (Duration, u64, i32) {
    let t = Instant::now();
    let mut child = w
        .cmd()
        .arg("apply")
        .args(target_args(url))
        .args(args)
        .args(["--read-write", "--format", "ndjson"])
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (status, rss) = wait_rss(&mut child);
    (t.elapsed(), rss, status)
}

/// Plan to a file, then apply exactly that plan: the plan read, and the guarded apply.
fn saved_plan(
    w: &Work,
    s: &Sizes,
    rt: &tokio::runtime::Runtime,
    data: &Path,
    desired: &Path,
    strict: &[&str],
) -> Vec<Figure> {
    let n = s.b10_accounts;
    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], strict].concat(), &[]);
    let (plan, out) = (w.path("b10-plan.ndjson"), w.path("b10-from-plan.ndjson"));
    let (tp, _, sp) = timx_apply(w, &serve.url, &["-f", desired.to_str().unwrap(), "--plan"], &plan);
    // Two processes back to back would meet the strict limiter's sliding second (each paces
    // itself only): the user reviewing the plan takes longer than this anyway.
    std::thread::sleep(Duration::from_millis(1100));
    let (ta, rss, sa) = timx_apply(w, &serve.url, &["--from-plan", plan.to_str().unwrap(), "--yes"], &out);
    let changed = std::fs::read_to_string(&out).unwrap_or_default().matches("\"status\":\"changed\"").count();
    let rate = n as f64 / ta.as_secs_f64();
    let stats = stats(&serve, rt);
    let rejected = count_code(&stats, 60007);
    let ok = (rate >= 0.95 * CEILING || s.quick) && sa == 0 && sp == 0 && changed == n;
    vec![
        fig(
            "B10",
            format!("apply a saved plan of {n} accounts (guard read + writes)"),
            rate,
            "acct/s",
            "≥ 9500 acct/s",
            Some(ok),
        ),
        fig("B10", "  accounts changed, saved plan", changed as f64, "count", format!("{n}"), Some(changed == n)),
        fig("B10", "  60007 answers, saved plan", rejected as f64, "count", "0", Some(rejected == 0)),
        fig("B10", "  peak RSS, saved plan", rss as f64 / 1024.0, "MB", "≤ 60 MB", Some(rss <= 60 * 1024)),
        fig(
            "B10",
            format!("  the plan's read, {n} accounts"),
            n as f64 / tp.as_secs_f64(),
            "acct/s",
            "informational",
            None,
        ),
        fig(
            "B10",
            "  interactive flow: plan read + guarded apply",
            (tp + ta).as_secs_f64(),
            "s",
            "informational",
            None,
        ),
    ]
}

pub fn run(w: &Work, s: &Sizes, rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let n = s.b10_accounts;
    let (data, desired) = (w.path("b10-users.json"), w.path("b10-desired.ndjson"));
    write_data(&data, n);
    write_desired(&desired, n);
    let strict = ["--latency-ms", "100", "--jitter-ms", "20", "--rate-limit", "100", "--strict"];
    let mut figs = Vec::new();
    for verify in [false, true] {
        let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], &strict[..]].concat(), &[]);
        let out = w.path("b10.ndjson");
        let (t, rss, status) = apply(w, &serve.url, &desired, &out, verify);
        let changed = std::fs::read_to_string(&out).unwrap_or_default().matches("\"status\":\"changed\"").count();
        let rate = n as f64 / t.as_secs_f64();
        let (target, floor) =
            if verify { ("≥ 4750 acct/s", 0.95 * 5_000.0) } else { ("≥ 9500 acct/s", 0.95 * CEILING) };
        let label = if verify { "with --verify" } else { "without --verify" };
        figs.push(fig(
            "B10",
            format!("apply {n} accounts (1 attr + 1 tag each), {label}"),
            rate,
            "acct/s",
            target,
            Some((rate >= floor || s.quick) && status == 0 && changed == n),
        ));
        figs.push(fig(
            "B10",
            format!("  accounts changed, {label}"),
            changed as f64,
            "count",
            format!("{n}"),
            Some(changed == n),
        ));
        let stats = stats(&serve, rt);
        let rejected = count_code(&stats, 60007);
        figs.push(fig("B10", format!("  60007 answers, {label}"), rejected as f64, "count", "0", Some(rejected == 0)));
        let peak = stats["peak_calls_per_second"].as_f64().unwrap_or(f64::MAX);
        figs.push(fig(
            "B10",
            format!("  peak calls of one command in any second, {label}"),
            peak,
            "calls",
            "≤ 100",
            Some(peak <= 100.0),
        ));
        figs.push(fig(
            "B10",
            format!("  peak RSS, {label}"),
            rss as f64 / 1024.0,
            "MB",
            "≤ 60 MB",
            Some(rss <= 60 * 1024),
        ));
    }
    figs.extend(saved_plan(w, s, rt, &data, &desired, &strict));
    figs.push(one_call_at_a_time(s, rt, &data, &strict));
    figs
}

/// The same apply as an SDK script makes it: per 100 accounts, read attributes, read tags,
/// set the attribute, add the tag, one call after the other.
fn one_call_at_a_time(s: &Sizes, rt: &tokio::runtime::Runtime, data: &Path, strict: &[&str]) -> Figure {
    use timx::api::{Family, wire};
    let serve = Serve::spawn(&[&["--data", data.to_str().unwrap()][..], strict].concat(), &[]);
    let n = s.b2_accounts.min(s.b10_accounts);
    let rate = rt.block_on(async {
        let endpoint = timx::api::Endpoint::base_url(&serve.url).unwrap();
        let cfg = timx::client::ClientConfig::new(endpoint, SDKAPPID, ADMIN, timx::usersig::SecretKey::new(KEY));
        let client = timx::client::Client::new(cfg).unwrap();
        let ids: Vec<String> = (0..n).map(|i| format!("u{i:07}")).collect();
        let t = Instant::now();
        for chunk in ids.chunks(100) {
            client.get_attrs(Family::Timpush, chunk).await.unwrap();
            client.get_tags(Family::Timpush, chunk).await.unwrap();
            let attrs = wire::SetAttrRequest {
                user_attrs: chunk
                    .iter()
                    .map(|a| wire::UserAttrs { to_account: a.clone(), attrs: [("plan".into(), "q".into())].into() })
                    .collect(),
            };
            client.set_attrs(Family::Timpush, &attrs).await.unwrap();
            let tags = wire::TagsRequest {
                replace: None,
                user_tags: chunk
                    .iter()
                    .map(|a| wire::UserTags { to_account: a.clone(), tags: vec!["new".into()] })
                    .collect(),
            };
            client.add_tags(Family::Timpush, &tags).await.unwrap();
        }
        n as f64 / t.elapsed().as_secs_f64()
    });
    fig("B10", format!("  the same writes one call at a time, {n} accounts"), rate, "acct/s", "informational", None)
}
