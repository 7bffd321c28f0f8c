//! The delivery catalog, one place for it: the stages of a push's chain, the loss codes (the
//! `ErrCode` of the loss reasons, the `ErrorCode` of a trace stage) and the values the vendor
//! leaves undocumented. A code or value not here is shown raw and said to be undocumented;
//! timx never guesses what it means.

use serde::Serialize;

/// The steps of an offline push, in order (the console tool's words; post-send.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// `IMCommitStat.IMStat`
    Im,
    /// `OfflinePushStat.OfflineStat`
    Offline,
    /// `OfflinePushStat.ChannelStat`
    Channel,
    /// `OfflinePushStat.DeviceStat`
    Device,
    /// `OfflinePushStat.ClickStat`
    Click,
}

impl StageKind {
    pub const ALL: [StageKind; 5] =
        [StageKind::Im, StageKind::Offline, StageKind::Channel, StageKind::Device, StageKind::Click];

    pub fn name(self) -> &'static str {
        match self {
            StageKind::Im => "im",
            StageKind::Offline => "offline",
            StageKind::Channel => "channel",
            StageKind::Device => "device",
            StageKind::Click => "click",
        }
    }

    pub fn wire(self) -> &'static str {
        match self {
            StageKind::Im => "IMStat",
            StageKind::Offline => "OfflineStat",
            StageKind::Channel => "ChannelStat",
            StageKind::Device => "DeviceStat",
            StageKind::Click => "ClickStat",
        }
    }

    /// What success at this stage means (the mapping stage → step is the console's, inferred).
    pub fn what(self) -> &'static str {
        match self {
            StageKind::Im => "the IM server accepted the push",
            StageKind::Offline => "the IM server passed it to offline push",
            StageKind::Channel => "the vendor's push server (APNs, FCM, Huawei…) accepted it",
            StageKind::Device => "it reached the device",
            StageKind::Click => "the user clicked it",
        }
    }
}

/// Loss codes from the vendor's examples: code, meaning, what to do.
const LOSS: &[(i64, &str, &str)] = &[
    (0, "success", ""),
    (
        -1,
        "certificate not set: the app has no push certificate for this device's vendor channel",
        "Upload the vendor's certificate in the console (Push, access settings).",
    ),
    (
        -2,
        "token not uploaded: the device never reported its push token to IM",
        "The app must register for push and report the token after login.",
    ),
    (
        1,
        "regid_invalid: the vendor rejected the device's registration id as invalid",
        "The token is stale or belongs to another app: the device must register again.",
    ),
    (
        410,
        "Unregistered: the vendor says the token is no longer registered (app uninstalled or token rotated)",
        "Nothing reaches this device until the app is reinstalled or registers a new token.",
    ),
];

/// A code explained: from the catalog, or raw and said to be undocumented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// The code as received (a string in the loss answer).
    pub code: String,
    pub documented: bool,
    pub meaning: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

/// Explain a loss or stage code; `info` is the vendor's own text, kept beside an unknown code.
pub fn explain(code: i64, info: &str) -> Explained {
    match LOSS.iter().find(|(c, ..)| *c == code) {
        Some(&(_, meaning, fix)) => {
            Explained { code: code.to_string(), documented: true, meaning: meaning.into(), fix: fix.into() }
        }
        None => undocumented(&code.to_string(), info),
    }
}

/// `explain` for the loss answer's string `ErrCode`; one that is not a number is shown raw.
pub fn explain_text(code: &str, info: &str) -> Explained {
    match code.trim().parse::<i64>() {
        Ok(n) => Explained { code: code.to_owned(), ..explain(n, info) },
        Err(_) => undocumented(code, info),
    }
}

fn undocumented(code: &str, info: &str) -> Explained {
    let said = if info.is_empty() { String::new() } else { format!("; the service says: {info}") };
    Explained {
        code: code.to_owned(),
        documented: false,
        meaning: format!("undocumented code (not in the vendor's published examples){said}"),
        fix: String::new(),
    }
}

/// Every catalogued loss code, for the README and help.
pub fn loss_codes() -> impl Iterator<Item = Explained> {
    LOSS.iter().map(|&(c, _, _)| explain(c, ""))
}

/// A stage's `PushStatus`: only 1 (with ErrorCode 0, success) is documented.
pub fn push_status_label(status: i64) -> String {
    if status == 1 { "1 (done)".into() } else { format!("{status} (undocumented)") }
}

/// `EventType`: 1 offline push, 2 online push (from the callback docs).
pub fn event_type_label(t: i64) -> String {
    match t {
        1 => "offline".into(),
        2 => "online".into(),
        other => format!("{other} (undocumented)"),
    }
}

/// `PushPlatform`: the vendor channel. Its value table is not published: always raw.
pub fn platform_label(p: i64) -> String {
    format!("{p} (undocumented)")
}

/// `NotificationStatus`: notification-bar permission at dispatch. Values not published (the
/// examples show 1 and 0): raw.
pub fn notification_label(n: i64) -> String {
    format!("{n} (undocumented)")
}

/// What a note of undocumented values says once per output.
pub const UNDOCUMENTED_NOTE: &str = "PushPlatform, NotificationStatus, last_active_terminal and PushStatus other \
    than 1 have no published value table: timx shows them raw";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_are_explained_and_others_are_raw() {
        assert!(explain(410, "Unregistered").meaning.starts_with("Unregistered"));
        assert!(explain_text("-1", "").documented);
        assert!(explain_text(" -2", "").meaning.contains("token not uploaded"));
        let odd = explain_text("E42", "quota");
        assert!(!odd.documented && odd.code == "E42" && odd.meaning.contains("quota"), "{odd:?}");
        assert!(!explain(31_337, "").documented);
        assert_eq!(push_status_label(2), "2 (undocumented)");
        assert_eq!(event_type_label(1), "offline");
    }
}
