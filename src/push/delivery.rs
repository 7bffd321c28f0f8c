//! What happened to a push on an account's devices, from its trace: per device every stage
//! with its outcome, and one verdict for the account. Pure: the trace job, the explorer and the
//! tests read the same answer the same way.

use serde::Serialize;

use crate::api::post_send::{Instance, Stage};
use crate::api::push_codes::{self, StageKind};

/// An account's delivery, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Clicked,
    Delivered,
    Stopped,
    /// The trace lists terminals, but none recorded a single stage.
    NoDevices,
    /// An empty trace: older than 7 days, not in the task, or no device.
    NoTrace,
}

/// What an empty trace means: the service does not say which of the three.
pub const NO_TRACE: &str = "no trace: the data is older than 7 days, the account was not in the task, or it has \
    no device (the service does not say which)";
pub const NO_DEVICES: &str = "no devices: the trace lists terminals but none of them recorded a stage";

/// One stage of one device, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageRow {
    pub stage: StageKind,
    pub status: i64,
    pub code: i64,
    pub info: String,
    pub time: String,
    pub ok: bool,
}

/// One device: what the trace says of it, its stages, and how far the push got on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub instance: String,
    pub system: String,
    pub model: String,
    /// `PushPlatform`, raw: its value table is not published.
    pub platform: i64,
    /// `EventType`: 1 offline, 2 online.
    pub event_type: i64,
    pub push_time: String,
    pub token_bound: bool,
    pub certificate_bound: bool,
    /// `NotificationStatus`, raw: values not published.
    pub notification: i64,
    /// `last_active_terminal`, raw: its meaning is not documented.
    pub last_active: i64,
    pub stages: Vec<StageRow>,
    pub outcome: Delivery,
    /// `clicked`, `delivered`, or where it stopped and why.
    pub verdict: String,
    /// The stage that failed (or that has no record), when it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<StageKind>,
}

fn stages_of(d: &Instance) -> [(StageKind, Option<&Stage>); 5] {
    let im = d.im_commit_stat.as_ref().and_then(|s| s.im_stat.as_ref());
    let off = d.offline_push_stat.as_ref();
    [
        (StageKind::Im, im),
        (StageKind::Offline, off.and_then(|o| o.offline_stat.as_ref())),
        (StageKind::Channel, off.and_then(|o| o.channel_stat.as_ref())),
        (StageKind::Device, off.and_then(|o| o.device_stat.as_ref())),
        (StageKind::Click, off.and_then(|o| o.click_stat.as_ref())),
    ]
}

/// `410 Unregistered: …`: a failed stage's code explained from the one catalog.
pub fn failure_text(s: &Stage) -> String {
    let e = push_codes::explain(s.error_code, &s.error_info);
    let status =
        if s.push_status == 1 { String::new() } else { format!(" (PushStatus {}, undocumented)", s.push_status) };
    format!("{} {}{status}", s.error_code, e.meaning)
}

/// `stopped at channel: 410 Unregistered: …`.
pub fn stopped_text(stage: StageKind, s: &Stage) -> String {
    format!("stopped at {}: {}", stage.name(), failure_text(s))
}

/// Walk a device's chain: the first stage that failed, or that has no record, is where it stopped.
pub fn device(d: &Instance) -> DeviceRow {
    let chain = stages_of(d);
    let stages: Vec<StageRow> = chain
        .iter()
        .filter_map(|(k, s)| {
            let s = (*s)?;
            Some(StageRow {
                stage: *k,
                status: s.push_status,
                code: s.error_code,
                info: s.error_info.clone(),
                time: s.event_time.clone(),
                ok: s.succeeded(),
            })
        })
        .collect();
    let (outcome, verdict, failed) = walk(&chain, d.event_type);
    DeviceRow {
        instance: d.instance_id.clone(),
        system: d.system.clone(),
        model: d.device_model.clone(),
        platform: d.push_platform,
        event_type: d.event_type,
        push_time: d.push_time.clone(),
        token_bound: !d.token.is_empty(),
        certificate_bound: !(d.cert_id.is_empty() || d.cert_id == "0"),
        notification: d.notification_status,
        last_active: d.last_active_terminal,
        stages,
        outcome,
        verdict,
        failed,
    }
}

fn walk(chain: &[(StageKind, Option<&Stage>); 5], event_type: i64) -> (Delivery, String, Option<StageKind>) {
    if chain.iter().all(|(_, s)| s.is_none()) {
        return (Delivery::NoDevices, "no stage recorded".into(), None);
    }
    for (k, s) in chain {
        match s {
            Some(s) if s.succeeded() => {}
            Some(s) => return (Delivery::Stopped, stopped_text(*k, s), Some(*k)),
            // Reached the device and not clicked: delivered.
            None if *k == StageKind::Click => return (Delivery::Delivered, "delivered".into(), None),
            None => {
                let online = if event_type == 2 { " (an online push: its stages are not readable)" } else { "" };
                return (
                    Delivery::Stopped,
                    format!("stopped at {}: no record of this stage{online}", k.name()),
                    Some(*k),
                );
            }
        }
    }
    (Delivery::Clicked, "clicked".into(), None)
}

/// How far a device got, to pick the device an account's verdict comes from.
fn reach(d: &DeviceRow) -> (Delivery, std::cmp::Reverse<usize>, bool) {
    let got = d.stages.iter().take_while(|s| s.ok).count();
    (d.outcome, std::cmp::Reverse(got), d.last_active != 1)
}

/// The account's verdict over its devices: the best device's (clicked before delivered before
/// stopped; among stopped ones the one that got furthest, the last active one on a tie).
pub fn account(instances: &[Instance]) -> (Delivery, String, Vec<DeviceRow>) {
    let devices: Vec<DeviceRow> = instances.iter().map(device).collect();
    match devices.iter().min_by_key(|d| reach(d)) {
        None => (Delivery::NoTrace, NO_TRACE.into(), devices),
        Some(d) if d.outcome == Delivery::NoDevices => (Delivery::NoDevices, NO_DEVICES.into(), devices),
        Some(d) => {
            let verdict = d.verdict.clone();
            (d.outcome, verdict, devices)
        }
    }
}

/// One device in a line: `Android Pixel 8 (last active) im✓ offline✓ channel✗410`.
pub fn device_line(d: &DeviceRow) -> String {
    let stages: Vec<String> = d
        .stages
        .iter()
        .map(|s| if s.ok { format!("{}✓", s.stage.name()) } else { format!("{}✗{}", s.stage.name(), s.code) })
        .collect();
    let mut flags = Vec::new();
    if d.last_active == 1 {
        flags.push("last active".to_string());
    }
    if !d.token_bound {
        flags.push("no token".into());
    }
    if !d.certificate_bound {
        flags.push("no certificate".into());
    }
    // Only 1 is the examples' usual value; any other is worth seeing (raw: values not published).
    if d.notification != 1 {
        flags.push(format!("NotificationStatus {}", d.notification));
    }
    let flags = if flags.is_empty() { String::new() } else { format!(" ({})", flags.join(", ")) };
    let model = if d.model.is_empty() { String::new() } else { format!(" {}", d.model) };
    format!("{}{model}{flags} {}", d.system, stages.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::post_send::{ImCommitStat, OfflinePushStat};

    fn stage(code: i64) -> Option<Stage> {
        Some(Stage { push_status: if code == 0 { 1 } else { 2 }, error_code: code, ..Stage::default() })
    }

    fn dev(codes: &[i64], last_active: i64) -> Instance {
        let s = |k: usize| codes.get(k).and_then(|c| stage(*c));
        Instance {
            last_active_terminal: last_active,
            event_type: 1,
            im_commit_stat: Some(ImCommitStat { im_stat: s(0) }),
            offline_push_stat: Some(OfflinePushStat {
                offline_stat: s(1),
                channel_stat: s(2),
                device_stat: s(3),
                click_stat: s(4),
            }),
            ..Instance::default()
        }
    }

    #[test]
    fn the_best_device_gives_the_verdict() {
        assert_eq!(account(&[]).0, Delivery::NoTrace);
        assert_eq!(account(&[dev(&[0, 0, 0, 0, 0], 1)]).1, "clicked");
        let (d, v, _) = account(&[dev(&[0, 0, 410], 1), dev(&[0, 0, 0, 0], 0)]);
        assert_eq!((d, v.as_str()), (Delivery::Delivered, "delivered"), "another device got it");
        let (d, v, devices) = account(&[dev(&[0, -2], 1)]);
        assert_eq!(d, Delivery::Stopped);
        assert!(v.starts_with("stopped at offline: -2 token not uploaded"), "{v}");
        assert_eq!(devices[0].failed, Some(StageKind::Offline));
        let (_, v, _) = account(&[dev(&[0, 0, 31_337], 1)]);
        assert!(v.contains("31337 undocumented code"), "{v}");
        let (_, v, _) = account(&[dev(&[0, 0], 1)]);
        assert_eq!(v, "stopped at channel: no record of this stage");
        let none = Instance { im_commit_stat: None, offline_push_stat: None, ..Instance::default() };
        assert_eq!(account(&[none]).0, Delivery::NoDevices);
    }

    #[test]
    fn of_two_stopped_devices_the_furthest_then_the_last_active_speaks() {
        let (_, v, _) = account(&[dev(&[0, -1], 1), dev(&[0, 0, 410], 0)]);
        assert!(v.starts_with("stopped at channel: 410"), "{v}");
        let (_, v, _) = account(&[dev(&[0, 0, 1], 0), dev(&[0, 0, 410], 1)]);
        assert!(v.starts_with("stopped at channel: 410"), "the last active one: {v}");
    }
}
