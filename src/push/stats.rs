//! A task's funnel and loss reasons, from the statistics and loss answers: counts with their
//! ratios, per platform, and every loss code explained from the one catalog. Pure: `timx
//! push-stats` prints it, the explorer's `:stats` draws it.

use serde::Serialize;

use crate::api::post_send::{Counts, Loss, PlatformLoss, TaskLoss, TaskStatistics};
use crate::api::push_codes::{self, Explained};

/// One step of the funnel: its count, its share of the step before and of "can be sent".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub count: u64,
    /// Of the step before (None for the first step, or when that one is 0).
    pub of_previous: Option<f64>,
    /// Of "can be sent" (TotalCount).
    pub of_total: Option<f64>,
}

/// The steps' names, in order (TotalCount is "quantity that can be sent", 可发送数量).
pub const STEPS: [&str; 4] = ["can send", "sent", "delivered", "clicked"];

fn ratio(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

pub fn funnel(c: &Counts) -> Vec<Step> {
    let counts = [c.total, c.sent, c.delivered, c.click];
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| Step {
            name: STEPS[i],
            count: n,
            of_previous: if i == 0 { None } else { ratio(n, counts[i - 1]) },
            of_total: if i == 0 { None } else { ratio(n, c.total) },
        })
        .collect()
}

/// One platform's funnel. `PushPlatform` is raw: its value table is not published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformFunnel {
    pub event_type: i64,
    pub push_platform: i64,
    pub label: String,
    pub steps: Vec<Step>,
}

/// One loss reason, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LossLine {
    pub count: u64,
    /// The vendor's ErrInfo, as received.
    pub info: String,
    #[serde(flatten)]
    pub code: Explained,
    /// `offline 7 (undocumented)` for the per-platform lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// One task's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskReport {
    /// `""`: the app's totals.
    pub task_id: String,
    pub funnel: Vec<Step>,
    pub platforms: Vec<PlatformFunnel>,
    /// Lost before sending (ReadyToSendLoss).
    pub before_sending: Vec<LossLine>,
    /// Lost after the vendor channel (PostSendDeliveredLoss).
    pub after_channel: Vec<LossLine>,
    pub platform_before_sending: Vec<LossLine>,
    pub platform_after_channel: Vec<LossLine>,
    /// Why a part is missing (loss outside its 7 days, say).
    pub notes: Vec<String>,
}

fn platform_label(event_type: i64, platform: i64) -> String {
    format!("{} {}", push_codes::event_type_label(event_type), push_codes::platform_label(platform))
}

fn lines(l: &[Loss]) -> Vec<LossLine> {
    let mut out: Vec<LossLine> = l
        .iter()
        .map(|x| LossLine {
            count: x.err_count,
            info: x.err_info.clone(),
            code: push_codes::explain_text(&x.err_code, &x.err_info),
            platform: None,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.code.cmp(&b.code.code)));
    out
}

fn platform_lines(l: &[PlatformLoss]) -> Vec<LossLine> {
    let mut out: Vec<LossLine> = l
        .iter()
        .map(|x| LossLine {
            platform: Some(platform_label(x.event_type, x.push_platform)),
            ..lines(std::slice::from_ref(&x.loss)).remove(0)
        })
        .collect();
    out.sort_by_key(|l| std::cmp::Reverse(l.count));
    out
}

/// The report of one task from its statistics and (when within 7 days) its loss.
pub fn report(task_id: &str, stats: Option<&TaskStatistics>, loss: Option<&TaskLoss>) -> TaskReport {
    let counts = stats.map(|s| s.counts).unwrap_or_default();
    let platforms = stats
        .map(|s| {
            s.platform_statistics
                .iter()
                .map(|p| PlatformFunnel {
                    event_type: p.event_type,
                    push_platform: p.push_platform,
                    label: platform_label(p.event_type, p.push_platform),
                    steps: funnel(&p.counts),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut notes = Vec::new();
    if stats.is_none() {
        notes.push("no statistics in the answer for this task".into());
    } else if counts == Counts::default() {
        notes.push(
            "all counts are 0: an unknown TaskID, a task outside the window, or a push not covered by these \
             statistics (whether im_push tasks are is not documented)"
                .into(),
        );
    }
    let lost = |f: fn(&TaskLoss) -> &Vec<Loss>| loss.map(|l| lines(f(l))).unwrap_or_default();
    let lost_p = |f: fn(&TaskLoss) -> &Vec<PlatformLoss>| loss.map(|l| platform_lines(f(l))).unwrap_or_default();
    TaskReport {
        task_id: task_id.to_owned(),
        funnel: funnel(&counts),
        platforms,
        before_sending: lost(|l| &l.ready_to_send_loss),
        after_channel: lost(|l| &l.post_send_delivered_loss),
        platform_before_sending: lost_p(|l| &l.platform_ready_to_send_loss),
        platform_after_channel: lost_p(|l| &l.platform_post_send_delivered_loss),
        notes,
    }
}

/// `42.0%`, or `–` without a base.
pub fn percent(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "–".into())
}

/// A bar of `width` cells for `n` of `max`.
pub fn bar(n: u64, max: u64, width: usize) -> String {
    let cells = if max == 0 { 0 } else { ((n as f64 / max as f64) * width as f64).round() as usize };
    "█".repeat(cells.min(width))
}

/// The report as text lines (escaped): funnel bars, per platform, loss reasons.
pub fn text_lines(r: &TaskReport) -> Vec<String> {
    use crate::text::escape;
    let name =
        if r.task_id.is_empty() { "the app's totals (no TaskID)".to_string() } else { escape(&r.task_id).into_owned() };
    let mut out = vec![format!("Task {name}")];
    let max = r.funnel.first().map(|s| s.count).unwrap_or(0).max(r.funnel.iter().map(|s| s.count).max().unwrap_or(0));
    for s in &r.funnel {
        out.push(format!(
            "  {:<10} {:>8}  {:>6} of previous  {:>6} of can send  {}",
            s.name,
            s.count,
            percent(s.of_previous),
            percent(s.of_total),
            bar(s.count, max, 20)
        ));
    }
    for p in &r.platforms {
        let steps: Vec<String> = p.steps.iter().map(|s| format!("{} {}", s.name, s.count)).collect();
        out.push(format!("  platform {}: {}", p.label, steps.join(", ")));
    }
    for (title, list) in
        [("lost before sending", &r.before_sending), ("lost after the vendor channel", &r.after_channel)]
    {
        if list.is_empty() {
            continue;
        }
        out.push(format!("  {title}:"));
        for l in list {
            out.push(format!("    {:>6}  {:>5}  {}", l.count, escape(&l.code.code), escape(&l.code.meaning)));
        }
    }
    for (title, list) in [
        ("lost before sending, per platform", &r.platform_before_sending),
        ("lost after the vendor channel, per platform", &r.platform_after_channel),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push(format!("  {title}:"));
        for l in list {
            let p = l.platform.as_deref().unwrap_or_default();
            out.push(format!("    {:>6}  {:>5}  {p}  {}", l.count, escape(&l.code.code), escape(&l.info)));
        }
    }
    out.extend(r.notes.iter().map(|n| format!("  note: {}", escape(n))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_of_the_step_before_and_of_can_send() {
        let f = funnel(&Counts { total: 200, sent: 100, delivered: 50, click: 0 });
        assert_eq!(f[1].of_previous, Some(0.5));
        assert_eq!(f[2].of_total, Some(0.25));
        assert_eq!(percent(f[3].of_previous), "0.0%");
        assert_eq!(funnel(&Counts::default())[1].of_previous, None, "no base, no ratio");
        assert_eq!(bar(5, 10, 10), "█████");
    }

    #[test]
    fn loss_codes_are_explained_and_unknown_ones_said_undocumented() {
        let loss = TaskLoss {
            task_id: "T".into(),
            ready_to_send_loss: vec![Loss {
                err_code: "-1".into(),
                err_count: 2,
                err_info: "Certificate id not set".into(),
            }],
            post_send_delivered_loss: vec![
                Loss { err_code: "410".into(), err_count: 9, err_info: "Unregistered".into() },
                Loss { err_code: "x9".into(), err_count: 1, err_info: "?".into() },
            ],
            ..TaskLoss::default()
        };
        let r = report("T", None, Some(&loss));
        assert!(r.before_sending[0].code.meaning.starts_with("certificate not set"));
        assert_eq!(r.after_channel[0].code.code, "410", "most first");
        assert!(!r.after_channel[1].code.documented);
        let text = text_lines(&r).join("\n");
        assert!(text.contains("undocumented code") && text.contains("no statistics"), "{text}");
    }
}
