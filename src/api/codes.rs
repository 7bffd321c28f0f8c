//! The error-code catalog (api-facts.md §3, §2.5): what a code means in plain words,
//! what the user should do, and what the client does about it. The one place for these facts.

use serde::Serialize;

/// What a client does when it meets a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Back off and resend the same request.
    Retry,
    /// Back off, resend, and slow the pace (rate-limit answers).
    RetrySlower,
    /// Generate a new UserSig and resend.
    Regen,
    /// Generate a new UserSig and resend once; if it fails again, stop the job: configuration.
    RegenOnce,
    /// Re-batch into smaller requests.
    Split,
    /// Per-account result (e.g. 70107 account not found): report it, no retry.
    Report,
    /// This request's input must be fixed (the rest of the job goes on).
    Fix,
    /// Configuration must be fixed: every further call would fail the same way (and 70050
    /// locks the key out after repeated signature failures), so the whole job stops sending.
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    pub code: i64,
    pub meaning: &'static str,
    pub fix: &'static str,
    pub action: Action,
}

use Action::*;

const CATALOG: &[(i64, &str, &str, Action)] = &[
    (60002, "HTTP parse error: the request URL is malformed", "Check the base URL and query parameters.", Stop),
    (60003, "request JSON parse error", "The request body was not valid JSON; report this as a timx bug.", Stop),
    (
        60004,
        "account or signature wrong in the URL or JSON",
        "Check identifier, key and SDKAppID in the profile.",
        RegenOnce,
    ),
    (
        60005,
        "account or signature wrong in the URL or JSON",
        "Check identifier, key and SDKAppID in the profile.",
        RegenOnce,
    ),
    (60006, "SDKAppID invalid", "Check the SDKAppID in the profile against the console.", Stop),
    (
        60007,
        "REST API call rate over the limit",
        "timx retries with backoff and slows down; lower rate_limit if this repeats.",
        RetrySlower,
    ),
    (
        60008,
        "service timeout or malformed HTTP request",
        "Retried automatically; if it repeats, check the network.",
        Retry,
    ),
    (60009, "bad resource or URL", "Check the region/base URL and the family (all_member_push or timpush).", Stop),
    (
        60010,
        "the request needs App admin permission: the identifier is not an App admin",
        "Set `admin` in the profile to an App admin account (console: App admin).",
        Stop,
    ),
    (
        60011,
        "SDKAppID-level request rate over the limit",
        "timx retries with backoff and slows down; lower rate_limit.",
        RetrySlower,
    ),
    (60012, "sdkappid missing from the URL", "Set sdkappid in the profile.", Stop),
    (60013, "response JSON parse error (server side)", "Retried automatically.", Retry),
    (60014, "account swap timeout", "Retried automatically.", Retry),
    (60015, "an account in the body is not a string", "Check the account list.", Fix),
    (60016, "SDKAppID disabled", "Open a ticket with Tencent Cloud.", Stop),
    (60017, "request disabled", "Open a ticket with Tencent Cloud.", Stop),
    (60018, "requests too frequent, try later", "timx retries with backoff and slows down.", RetrySlower),
    (60019, "requests too frequent, try later", "timx retries with backoff and slows down.", RetrySlower),
    (
        60020,
        "the Pro/package has expired and the app is deactivated",
        "Renew the package; service returns ~5 minutes after purchase.",
        Stop,
    ),
    (60021, "the REST API caller's IP is not allowed", "Add this machine's IP to the app's IP allow-list.", Stop),
    (70001, "UserSig expired", "timx makes a new UserSig and resends; check the machine clock if this repeats.", Regen),
    (70002, "UserSig is empty", "timx makes a new UserSig; check the key source if this repeats.", RegenOnce),
    (
        70003,
        "UserSig invalid or unparseable",
        "Check the key is the HMAC-SHA256 secret key (not an old ECDSA key) for this app.",
        RegenOnce,
    ),
    (
        70005,
        "UserSig invalid or unparseable",
        "Check the key is the HMAC-SHA256 secret key (not an old ECDSA key) for this app.",
        RegenOnce,
    ),
    (
        70009,
        "UserSig verification failed: signed with the wrong key or another SDKAppID's key",
        "Copy the secret key of this SDKAppID from the console into the profile's key source.",
        Stop,
    ),
    (
        70013,
        "the UserID in the request does not match the one inside the UserSig",
        "Check `admin` in the profile; timx signs for that identifier.",
        RegenOnce,
    ),
    (
        70014,
        "the SDKAppID in the request does not match the one inside the UserSig",
        "Check `sdkappid` in the profile.",
        Stop,
    ),
    (
        70016,
        "key does not exist for this SDKAppID in this data center",
        "The SDKAppID probably belongs to another region: check the profile's region.",
        Stop,
    ),
    (
        70020,
        "SDKAppID not found in this data center",
        "The SDKAppID probably belongs to another region: check the profile's region.",
        Stop,
    ),
    (70050, "too many failed UserSig verifications", "Fix the key, then wait at least 60 s before trying again.", Stop),
    (70051, "account blacklisted", "Contact Tencent Cloud support.", Stop),
    (70052, "UserSig expired", "timx makes a new UserSig and resends.", Regen),
    (
        70107,
        "account not imported into IM (does not exist)",
        "The account is not in this app; import it or check the ID.",
        Report,
    ),
    (70114, "login blocked for security reasons", "Contact Tencent Cloud support.", Stop),
    (70169, "internal timeout", "Retried automatically.", Retry),
    (70202, "internal timeout", "Retried automatically.", Retry),
    (70206, "invalid batch size in the request", "timx splits the batch.", Split),
    (70398, "account limit exceeded (trial edition: 100 accounts)", "Upgrade the edition.", Stop),
    (70402, "invalid parameter", "Check the request parameters.", Fix),
    (70403, "the request needs App admin permission", "Set `admin` in the profile to an App admin account.", Stop),
    (70500, "internal server error", "Retried automatically.", Retry),
    (
        90001,
        "JSON parse failed (push service)",
        "The request body was rejected as JSON; report this as a timx bug.",
        Fix,
    ),
    (90005, "MsgRandom missing or not an integer", "Check the request.", Fix),
    (
        90009,
        "the request needs App admin permission (push service)",
        "Set `admin` in the profile to an App admin account.",
        Stop,
    ),
    (90018, "too many accounts in one request", "timx splits the batch into ≤100 accounts.", Split),
    (90020, "tag longer than 50 bytes", "Shorten the tag to 50 bytes or fewer.", Fix),
    (90022, "duplicate tags in TagsOr and TagsAnd", "Remove the duplicate tags.", Fix),
    (90024, "push too frequent (interval must be over 1 s)", "Wait and retry.", Retry),
    (90026, "bad offline storage time", "Check the push parameters.", Fix),
    (
        90032,
        "more than 10 tags in a push condition or in one add-tag request",
        "Add at most 10 tags per user per request.",
        Split,
    ),
    (
        90033,
        "invalid attribute (unknown or duplicate name, or a changed account type)",
        "Check the attribute names set for the app.",
        Fix,
    ),
    (
        90035,
        "this attribute or tag applies to only one account type (UserID vs RegistrationID)",
        "Use an account of the attribute's type.",
        Report,
    ),
    (90039, "attribute push and tag push cannot be combined", "Use one condition kind per push.", Fix),
    (90040, "empty tag in a condition", "Remove empty tags.", Fix),
    (
        90045,
        "push to all users / tag push / single push is not enabled for this app",
        "Enable the push feature in the console (needs the right edition).",
        Stop,
    ),
    (90047, "daily push limit exceeded", "Wait until tomorrow or raise the limit.", Fix),
    (90049, "invalid TaskId", "Check the TaskId.", Fix),
    (90056, "push body over 10 KB", "Shorten the push body.", Fix),
    (90057, "DataId over 64 bytes", "Shorten the DataId.", Fix),
    (91000, "push service internal error", "Retried automatically.", Retry),
];

/// Everything known about a code; unknown codes get a generic entry that says so.
pub fn lookup(code: i64) -> CodeInfo {
    CATALOG
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|&(code, meaning, fix, action)| CodeInfo { code, meaning, fix, action })
        .unwrap_or(CodeInfo {
            code,
            meaning: "unknown error code (not in timx's catalog)",
            fix: "Look the code up in the Tencent Cloud Chat error-code documentation.",
            action: Fix,
        })
}

/// 70107: the account is not imported into IM (a per-account answer of timpush).
pub const NOT_IMPORTED: i64 = 70107;
/// 91000: the push service's internal error (retried).
pub const PUSH_INTERNAL_ERROR: i64 = 91000;

/// 70016/70020: the SDKAppID lives in another data center (the region probe is offered).
pub fn is_wrong_region(code: i64) -> bool {
    matches!(code, 70016 | 70020)
}

pub fn is_known(code: i64) -> bool {
    CATALOG.iter().any(|(c, ..)| *c == code)
}

/// All catalogued codes, for help screens and docs.
pub fn all() -> impl Iterator<Item = CodeInfo> {
    CATALOG.iter().map(|&(code, meaning, fix, action)| CodeInfo { code, meaning, fix, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_api_facts() {
        assert_eq!(lookup(91000).action, Retry);
        assert_eq!(lookup(60007).action, RetrySlower);
        assert_eq!(lookup(70001).action, Regen);
        assert_eq!(lookup(90018).action, Split);
        assert_eq!(lookup(70107).action, Report);
        // 60010 is "needs admin", not "feature not enabled".
        assert!(lookup(60010).meaning.contains("admin"));
        assert!(lookup(70020).fix.contains("region"));
        assert!(!is_known(12345));
        assert_eq!(lookup(12345).action, Fix);
        // Configuration errors stop the job; input errors fail their request only.
        for code in [60010, 60020, 70009, 70016, 70020, 70050, 90009, 90045] {
            assert_eq!(lookup(code).action, Stop, "{code}");
        }
        for code in [60015, 70402, 90001, 90033] {
            assert_eq!(lookup(code).action, Fix, "{code}");
        }
    }

    #[test]
    fn signature_trouble_gets_one_new_usersig_then_stops() {
        for code in [60004, 60005, 70003, 70005, 70013] {
            assert_eq!(lookup(code).action, RegenOnce, "{code}");
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = all().map(|c| c.code).collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(n, codes.len());
    }
}
