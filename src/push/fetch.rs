//! Fetching task reports: the window checked against the days each part is kept, ≤5 TaskIDs a
//! call, statistics and loss each in their own 1 call/s lane. `timx push-stats` and the
//! explorer's `:stats` both come here.

use super::stats::{self, TaskReport};
use crate::api::post_send::{self as ps, PostCall};
use crate::client::CallError;
use crate::clock::{parse_when, utc_text};
use crate::engine::calls::Calls;

/// Slack against the service's clock: a window that starts exactly 7 (or 30) days ago by this
/// machine's clock may be a second too old by the service's.
const SLACK: u64 = 300;

/// The window asked about, and the part of it the loss reasons still cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: u64,
    pub until: u64,
    /// None: the window is wholly older than the 7 days loss reasons are kept.
    pub loss_since: Option<u64>,
}

impl Window {
    /// From `--since` / `--until` as given (default: the last 7 days, up to now).
    pub fn new(since: Option<&str>, until: Option<&str>, now: u64) -> Result<Window, String> {
        let keep = |days: u64| now.saturating_sub(days * ps::DAY_SECS) + SLACK;
        let at = |s: Option<&str>, default: u64| s.map_or(Ok(default), |s| parse_when(s, now));
        let since = at(since, keep(ps::TRACE_DAYS))?;
        let until = at(until, now)?;
        if since > until {
            return Err(format!("--since {} is after --until {}", utc_text(since), utc_text(until)));
        }
        if since + ps::STATS_DAYS * ps::DAY_SECS < now {
            return Err(format!(
                "--since {} is older than the {} days statistics are kept",
                utc_text(since),
                ps::STATS_DAYS
            ));
        }
        // Within the slack of the edge: start at the edge the service still answers for.
        let since = since.max(keep(ps::STATS_DAYS));
        let loss_floor = keep(ps::TRACE_DAYS);
        let loss_since = (until >= loss_floor).then_some(since.max(loss_floor));
        Ok(Window { since, until, loss_since })
    }
}

/// Statistics calls (and as many loss calls) `tasks` takes: ≤5 TaskIDs each, one for totals.
pub fn calls_needed(tasks: &[String]) -> usize {
    tasks.len().div_ceil(ps::MAX_TASKS_PER_CALL).max(1)
}

/// Every task's report (none: the app's totals), in the order given.
pub async fn reports(calls: &Calls, w: &Window, tasks: &[String]) -> Result<Vec<TaskReport>, CallError> {
    let mut out = Vec::with_capacity(tasks.len().max(1));
    if tasks.is_empty() {
        return reports_of(calls, w, &[]).await;
    }
    for chunk in tasks.chunks(ps::MAX_TASKS_PER_CALL) {
        out.extend(reports_of(calls, w, chunk).await?);
    }
    Ok(out)
}

/// The reports of up to five tasks: one statistics call, one loss call.
async fn reports_of(calls: &Calls, w: &Window, tasks: &[String]) -> Result<Vec<TaskReport>, CallError> {
    let req = ps::WindowRequest { start_time: w.since, end_time: w.until, task_id: tasks.to_vec() };
    let st = calls.post(PostCall::Statistics, || calls.client().push_statistics(&req)).await?.body.results;
    let loss = match w.loss_since {
        Some(since) => {
            let req = ps::WindowRequest { start_time: since, ..req.clone() };
            Some(calls.post(PostCall::Loss, || calls.client().push_loss(&req)).await?.body.results)
        }
        None => None,
    };
    // The app's totals come back as one result, under whatever TaskID the service gives it.
    let totals = tasks.is_empty();
    let ids: Vec<String> = if totals { vec![String::new()] } else { tasks.to_vec() };
    let st_of = |id: &str| if totals { st.first() } else { st.iter().find(|s| s.task_id == id) };
    let loss_of =
        |id: &str| loss.as_ref().and_then(|l| if totals { l.first() } else { l.iter().find(|x| x.task_id == id) });
    let clipped = w.loss_since.is_some_and(|s| s > w.since);
    Ok(ids
        .iter()
        .map(|id| {
            let mut r = stats::report(id, st_of(id), loss_of(id));
            match (&loss, clipped) {
                (None, _) => {
                    r.notes.push(format!("loss reasons are kept {} days: none for this window", ps::TRACE_DAYS))
                }
                (Some(_), true) => {
                    r.notes.push(format!("loss reasons cover only the last {} days of the window", ps::TRACE_DAYS))
                }
                _ => {}
            }
            r
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_held_to_what_the_service_keeps() {
        let now = 100 * ps::DAY_SECS;
        let w = Window::new(None, None, now).unwrap();
        assert_eq!((w.until, w.loss_since), (now, Some(w.since)), "the last 7 days, loss and all");
        let w = Window::new(Some("10d"), None, now).unwrap();
        assert!(w.loss_since.unwrap() > w.since, "loss only for the last 7 days of it");
        let w = Window::new(Some("20d"), Some("10d"), now).unwrap();
        assert_eq!(w.loss_since, None);
        assert!(Window::new(Some("31d"), None, now).unwrap_err().contains("30 days"));
        assert!(Window::new(Some("now"), Some("1d"), now).is_err(), "since after until");
        assert_eq!(calls_needed(&[]), 1);
        assert_eq!(calls_needed(&vec![String::new(); 6]), 2);
    }
}
