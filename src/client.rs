//! One signed HTTP call to the REST API, and typed wrappers for the attr/tag commands.
//!
//! The client reads `ActionStatus`/`ErrorCode` even on HTTP 200, caps response size, caches the
//! admin UserSig until shortly before it expires, and never lets the UserSig into an error.

use std::sync::Mutex;
use std::time::Duration;

use crate::clock::unix_now;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::codes;
use crate::api::post_send::{self, PostCall};
use crate::api::wire::{self, Status};
use crate::api::{Command, Endpoint, Family};
use crate::usersig::{self, SecretKey};

/// Everything needed to sign and send calls for one app.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub sdkappid: u64,
    /// An App admin account; calls are signed for it.
    pub admin: String,
    pub key: SecretKey,
    pub connect_timeout: Duration,
    /// Whole-request timeout (connect + send + receive).
    pub timeout: Duration,
    pub max_response_bytes: usize,
    /// Validity of the UserSigs we make.
    pub sig_validity: Duration,
    /// Make a new UserSig when the cached one has less than this left.
    pub sig_refresh_margin: Duration,
}

impl ClientConfig {
    pub fn new(endpoint: Endpoint, sdkappid: u64, admin: impl Into<String>, key: SecretKey) -> Self {
        ClientConfig {
            endpoint,
            sdkappid,
            admin: admin.into(),
            key,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_response_bytes: 8 * 1024 * 1024,
            sig_validity: Duration::from_secs(86_400),
            sig_refresh_margin: Duration::from_secs(300),
        }
    }
}

/// How a transport-level failure happened; all of these are worth a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Connect,
    Timeout,
    /// Connection dropped or reset while sending or receiving.
    Dropped,
    Other,
}

/// Why a call did not produce a usable answer. Never contains the UserSig or key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("network error ({kind:?}): {message}")]
    Transport { kind: TransportKind, message: String },
    #[error("HTTP {status} from the service{}", if .snippet.is_empty() { String::new() } else { format!(": {}", .snippet) })]
    Http { status: u16, snippet: String },
    #[error("malformed response: {reason}")]
    Malformed { reason: String },
    #[error("ErrorCode {code}: {} ({info}). {}", codes::lookup(*.code).meaning, codes::lookup(*.code).fix)]
    Service { code: i64, info: String },
    /// The caller cancelled before an answer came.
    #[error("cancelled")]
    Cancelled,
    /// Something on this machine stopped the call from being made (the undo file of a write
    /// could not be written, say). Nothing was sent.
    #[error("{reason}")]
    Local { reason: String },
}

impl CallError {
    /// The service's error code, when the failure came from the service.
    pub fn code(&self) -> Option<i64> {
        match self {
            CallError::Service { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// What the catalog says a client should do.
    pub fn action(&self) -> codes::Action {
        match self {
            CallError::Transport { .. } => codes::Action::Retry,
            // 429 is a gateway's "too many requests": slow down like 60007.
            CallError::Http { status: 429, .. } => codes::Action::RetrySlower,
            CallError::Http { status, .. } if *status >= 500 || *status == 408 => codes::Action::Retry,
            // Not found, unauthorized, forbidden: the endpoint or the credentials are wrong.
            CallError::Http { status: 401 | 403 | 404, .. } => codes::Action::Stop,
            CallError::Http { .. } => codes::Action::Fix,
            // A body cut short or garbled is most often a transient proxy fault.
            CallError::Malformed { .. } => codes::Action::Retry,
            CallError::Service { code, .. } => codes::lookup(*code).action,
            CallError::Cancelled => codes::Action::Fix,
            CallError::Local { .. } => codes::Action::Stop,
        }
    }

    /// A short label for tables and summaries: the code, or the failure class.
    pub fn label(&self) -> String {
        match self {
            CallError::Transport { kind, .. } => format!("net:{kind:?}").to_lowercase(),
            CallError::Http { status, .. } => format!("http:{status}"),
            CallError::Malformed { .. } => "malformed".into(),
            CallError::Service { code, .. } => code.to_string(),
            CallError::Cancelled => "cancelled".into(),
            CallError::Local { .. } => "local".into(),
        }
    }
}

/// A successful call: its status (with any timpush ErrorList) and the typed body.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub status: Status,
    pub body: T,
}

/// Replace the value of every `usersig` parameter with `<redacted>` (any case), in the forms a
/// URL, an echoed query, a form body or a JSON error page carry it: `usersig=…`, `usersig%3D…`,
/// `"usersig":"…"`, `usersig: …`.
pub fn redact_url(s: &str) -> String {
    const KEY: &str = "usersig";
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `s`.
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let key_end = from + found + KEY.len();
        from = key_end;
        let Some(sep) = separator_len(&lower[key_end..]) else { continue };
        let value_start = key_end + sep;
        let value_len = s[value_start..].find(|c: char| !is_sig_char(c)).unwrap_or(s.len() - value_start);
        if value_len == 0 {
            continue;
        }
        out.push_str(&s[pos..value_start]);
        out.push_str("<redacted>");
        pos = value_start + value_len;
        from = pos;
    }
    out.push_str(&s[pos..]);
    out
}

/// The length of what joins a `usersig` key to its value, if it is a key at all.
fn separator_len(after: &str) -> Option<usize> {
    ["=", "%3d", "\":\"", "\": \"", "':'", "': '", ": ", ":"]
        .iter()
        .find(|sep| after.starts_with(**sep))
        .map(|s| s.len())
}

/// Characters a UserSig (base64 with `*-_`, maybe percent-encoded) is made of.
fn is_sig_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '+' | '/' | '=' | '%' | '.')
}

/// Redact `sig` itself, whole or cut short, and every `usersig` parameter from text that came
/// back from the network.
pub fn scrub(text: &str, sig: &str) -> String {
    // A snippet may end inside the sig: redact from its first characters to the end of the run.
    let head = &sig[..sig.len().min(16)];
    if head.is_empty() {
        return redact_url(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = text[pos..].find(head) {
        let start = pos + found;
        out.push_str(&text[pos..start]);
        out.push_str("<redacted>");
        pos = start + text[start..].find(|c: char| !is_sig_char(c)).unwrap_or(text.len() - start);
    }
    out.push_str(&text[pos..]);
    redact_url(&out)
}

impl CallError {
    /// The same error with the UserSig scrubbed from every text a response put in it: a
    /// gateway page or an ErrorInfo may echo the request URL.
    fn scrubbed(self, sig: &str) -> CallError {
        match self {
            CallError::Transport { kind, message } => CallError::Transport { kind, message: scrub(&message, sig) },
            CallError::Http { status, snippet } => CallError::Http { status, snippet: scrub(&snippet, sig) },
            CallError::Malformed { reason } => CallError::Malformed { reason: scrub(&reason, sig) },
            CallError::Service { code, info } => CallError::Service { code, info: scrub(&info, sig) },
            CallError::Cancelled => CallError::Cancelled,
            CallError::Local { reason } => CallError::Local { reason },
        }
    }
}

#[derive(Debug)]
struct CachedSig {
    sig: String,
    expires_at: u64,
}

/// A signed client for one app. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    cfg: ClientConfig,
    sig: Mutex<Option<CachedSig>>,
}

impl Client {
    /// The whole-request timeout calls are sent with.
    pub fn timeout(&self) -> Duration {
        self.cfg.timeout
    }

    pub fn new(cfg: ClientConfig) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .pool_max_idle_per_host(256)
            .user_agent(concat!("timx/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(Client { http, cfg, sig: Mutex::new(None) })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The cached admin UserSig, made anew when close to expiry or after `invalidate_sig`.
    fn usersig(&self) -> String {
        let now = unix_now();
        let mut guard = self.sig.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = guard.as_ref()
            && c.expires_at > now + self.cfg.sig_refresh_margin.as_secs()
        {
            return c.sig.clone();
        }
        let expire = self.cfg.sig_validity.as_secs().max(1);
        let sig = usersig::generate(self.cfg.sdkappid, &self.cfg.key, &self.cfg.admin, now, expire);
        *guard = Some(CachedSig { sig: sig.clone(), expires_at: now + expire });
        sig
    }

    /// Drop the cached UserSig so the next call signs anew (after 70001/70052).
    pub fn invalidate_sig(&self) {
        *self.sig.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The URL of a call, with the UserSig redacted: safe to show or log.
    pub fn display_url(&self, path: &str) -> String {
        redact_url(&self.url(path, "<redacted>", 0))
    }

    fn url(&self, path: &str, sig: &str, random: u32) -> String {
        format!(
            "{}/{}?sdkappid={}&identifier={}&usersig={}&random={}&contenttype=json",
            self.cfg.endpoint.root(),
            path,
            self.cfg.sdkappid,
            urlencode(&self.cfg.admin),
            sig,
            random
        )
    }

    /// One signed POST. Returns the status and the raw JSON body, or why it failed.
    pub async fn call_raw<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<(Status, Value), CallError> {
        let sig = self.usersig();
        self.send(path, body, &sig).await.map_err(|e| e.scrubbed(&sig))
    }

    async fn send<B: Serialize + ?Sized>(&self, path: &str, body: &B, sig: &str) -> Result<(Status, Value), CallError> {
        let random: u32 = rand::random();
        let url = self.url(path, sig, random);
        let payload = serde_json::to_vec(body)
            .map_err(|e| CallError::Malformed { reason: format!("cannot encode request: {e}") })?;
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status();
        let bytes = read_capped(resp, self.cfg.max_response_bytes).await?;
        if !status.is_success() {
            return Err(CallError::Http { status: status.as_u16(), snippet: snippet(&bytes) });
        }
        parse_body(&bytes)
    }

    /// A signed call whose body must parse as `T`.
    pub async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Reply<T>, CallError> {
        let (status, value) = self.call_raw(path, body).await?;
        let body = serde_json::from_value(value)
            .map_err(|e| CallError::Malformed { reason: format!("unexpected response shape for {path}: {e}") })?;
        Ok(Reply { status, body })
    }

    pub async fn get_attr_names(&self, family: Family) -> Result<Reply<wire::AttrNames>, CallError> {
        self.call(&Command::GetAttrName.path(family), &serde_json::json!({})).await
    }

    pub async fn set_attr_names(&self, family: Family, names: &wire::AttrNames) -> Result<Reply<Value>, CallError> {
        self.call(&Command::SetAttrName.path(family), names).await
    }

    pub async fn get_attrs(
        &self,
        family: Family,
        accounts: &[String],
    ) -> Result<Reply<wire::GetAttrResponse>, CallError> {
        let req = wire::AccountsRequest { to_account: accounts.to_vec() };
        self.call(&Command::GetAttr.path(family), &req).await
    }

    pub async fn set_attrs(&self, family: Family, req: &wire::SetAttrRequest) -> Result<Reply<Value>, CallError> {
        self.call(&Command::SetAttr.path(family), req).await
    }

    pub async fn remove_attrs(&self, family: Family, req: &wire::RemoveAttrRequest) -> Result<Reply<Value>, CallError> {
        self.call(&Command::RemoveAttr.path(family), req).await
    }

    pub async fn get_tags(
        &self,
        family: Family,
        accounts: &[String],
    ) -> Result<Reply<wire::GetTagResponse>, CallError> {
        let req = wire::AccountsRequest { to_account: accounts.to_vec() };
        self.call(&Command::GetTag.path(family), &req).await
    }

    pub async fn add_tags(&self, family: Family, req: &wire::TagsRequest) -> Result<Reply<Value>, CallError> {
        self.call(&Command::AddTag.path(family), req).await
    }

    pub async fn remove_tags(&self, family: Family, req: &wire::TagsRequest) -> Result<Reply<Value>, CallError> {
        self.call(&Command::RemoveTag.path(family), req).await
    }

    pub async fn remove_all_tags(&self, family: Family, accounts: &[String]) -> Result<Reply<Value>, CallError> {
        let req = wire::AccountsRequest { to_account: accounts.to_vec() };
        self.call(&Command::RemoveAllTags.path(family), &req).await
    }

    /// `all_member_push_trace`: what happened to task `task` on each device of `user`.
    pub async fn push_trace(&self, task: &str, user: &str) -> Result<Reply<post_send::TraceResponse>, CallError> {
        let req = post_send::TraceRequest { task_id: task.to_owned(), user_id: user.to_owned() };
        self.call(&PostCall::Trace.path(), &req).await
    }

    /// `all_member_push_statistics`: the funnel of ≤5 tasks (none: the app's totals).
    pub async fn push_statistics(
        &self,
        req: &post_send::WindowRequest,
    ) -> Result<Reply<post_send::StatisticsResponse>, CallError> {
        self.call(&PostCall::Statistics.path(), req).await
    }

    /// `all_member_push_loss`: why deliveries of ≤5 tasks were lost.
    pub async fn push_loss(&self, req: &post_send::WindowRequest) -> Result<Reply<post_send::LossResponse>, CallError> {
        self.call(&PostCall::Loss.path(), req).await
    }

    /// `get_sched_task`: one scheduled task (`Sdkappid` is this client's).
    pub async fn get_sched_task(&self, id: u64) -> Result<Reply<post_send::GetSchedResponse>, CallError> {
        let req = post_send::GetSchedRequest { sdkappid: self.cfg.sdkappid, task_id: id };
        self.call(&PostCall::GetSched.path(), &req).await
    }

    /// `list_sched_task`: one page of scheduled tasks (`req.sdkappid` is set to this client's).
    pub async fn list_sched_tasks(
        &self,
        req: &post_send::ListSchedRequest,
    ) -> Result<Reply<post_send::ListSchedResponse>, CallError> {
        let req = post_send::ListSchedRequest { sdkappid: self.cfg.sdkappid, ..req.clone() };
        self.call(&PostCall::ListSched.path(), &req).await
    }

    pub async fn import_account(&self, user_id: &str) -> Result<Reply<Value>, CallError> {
        let req = wire::AccountImport { user_id: user_id.to_owned(), nick: None, face_url: None };
        self.call(wire::ACCOUNT_IMPORT_PATH, &req).await
    }

    pub async fn import_accounts(
        &self,
        accounts: &[String],
    ) -> Result<Reply<wire::MultiAccountImportResponse>, CallError> {
        let req = wire::MultiAccountImport { accounts: accounts.to_vec() };
        self.call(wire::MULTI_ACCOUNT_IMPORT_PATH, &req).await
    }
}

/// Read an HTTP 200 body: JSON object, `ActionStatus` OK or FAIL, the error code honoured.
/// Pure, so it can be fuzzed: any bytes give a value or a `CallError`, never a panic.
pub fn parse_body(bytes: &[u8]) -> Result<(Status, Value), CallError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| CallError::Malformed { reason: format!("body is not JSON ({e}): {}", snippet(bytes)) })?;
    if !value.is_object() {
        return Err(CallError::Malformed { reason: format!("body is not a JSON object: {}", snippet(bytes)) });
    }
    let st = <Status as serde::Deserialize>::deserialize(&value)
        .map_err(|e| CallError::Malformed { reason: format!("bad status fields: {e}") })?;
    if st.action_status != "OK" && st.action_status != "FAIL" {
        return Err(CallError::Malformed {
            reason: format!("ActionStatus is {:?}, expected OK or FAIL", crate::text::escape(&st.action_status)),
        });
    }
    if st.action_status == "FAIL" || st.error_code != 0 {
        // FAIL with code 0 says nothing; treat it as an internal error worth a retry.
        let code = if st.error_code == 0 { codes::PUSH_INTERNAL_ERROR } else { st.error_code };
        // Kept as received (exports are lossless); front ends escape it for display.
        return Err(CallError::Service { code, info: st.error_info });
    }
    Ok((st, value))
}

fn transport_error(e: reqwest::Error) -> CallError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Dropped
    } else {
        TransportKind::Other
    };
    CallError::Transport { kind, message: redact_url(&error_chain(&e.without_url())) }
}

/// The error with its sources, which is where hyper says what actually went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, CallError> {
    if let Some(len) = resp.content_length()
        && len as usize > cap
    {
        return Err(CallError::Malformed { reason: format!("response of {len} bytes exceeds the {cap}-byte cap") });
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if buf.len() + chunk.len() > cap {
            return Err(CallError::Malformed { reason: format!("response exceeds the {cap}-byte cap") });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The first bytes of a body, escaped and with any `usersig` redacted, for error messages.
/// (The caller also scrubs the UserSig it sent, which the first bytes may hold cut short.)
fn snippet(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    redact_url(&crate::text::escape(s.trim()))
}

/// Percent-encode a query value (UserIDs may hold any UTF-8).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_usersig_parameter() {
        let u = "https://x/v4/a?sdkappid=1&usersig=eJyrVg_&random=3 and USERSIG=abc";
        let r = redact_url(u);
        assert_eq!(r, "https://x/v4/a?sdkappid=1&usersig=<redacted>&random=3 and USERSIG=<redacted>");
    }

    #[test]
    fn redacts_usersig_in_every_form_an_echo_carries_it() {
        for (raw, want) in [
            ("GET /v4/x?usersig=eJw*ab-c_d&random=1", "GET /v4/x?usersig=<redacted>&random=1"),
            ("q=usersig%3DeJwab%2A1&x", "q=usersig%3D<redacted>&x"),
            (r#"{"usersig":"eJwabc","a":1}"#, r#"{"usersig":"<redacted>","a":1}"#),
            ("UserSig: eJwabc\n", "UserSig: <redacted>\n"),
            ("the usersig is fine", "the usersig is fine"),
        ] {
            assert_eq!(redact_url(raw), want, "{raw}");
        }
    }

    #[test]
    fn scrub_removes_the_sig_whole_or_cut_short() {
        let sig = "eJwtjM0KgjAQhF9F9twFrX_0z-12*ab-cd";
        let page = format!("<p>upstream {sig} failed</p> and <i>{}", &sig[..20]);
        let s = scrub(&page, sig);
        assert!(!s.contains(&sig[..12]), "{s}");
        assert_eq!(s, "<p>upstream <redacted> failed</p> and <i><redacted>");
    }

    #[test]
    fn display_url_never_holds_the_sig() {
        let cfg = ClientConfig::new(Endpoint::base_url("http://127.0.0.1:1").unwrap(), 1, "admin", SecretKey::new("k"));
        let c = Client::new(cfg).unwrap();
        let real = c.usersig();
        let shown = c.display_url("v4/timpush/get_tag");
        assert!(!shown.contains(&real));
        assert!(shown.contains("usersig=<redacted>"));
    }

    #[test]
    fn error_info_is_kept_as_received_for_lossless_exports() {
        let body = br#"{"ActionStatus":"FAIL","ErrorCode":70402,"ErrorInfo":"bad \u001b[2J param \u202e"}"#;
        let Err(CallError::Service { code, info }) = parse_body(body) else { panic!("a service error") };
        assert_eq!((code, info.as_str()), (70402, "bad \u{1b}[2J param \u{202e}"));
    }

    #[test]
    fn default_timeouts_are_5_s_to_connect_and_15_s_in_all() {
        let cfg = ClientConfig::new(Endpoint::base_url("http://127.0.0.1:1").unwrap(), 1, "a", SecretKey::new("k"));
        assert_eq!((cfg.connect_timeout, cfg.timeout), (Duration::from_secs(5), Duration::from_secs(15)));
        assert_eq!(cfg.max_response_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn the_usersig_is_renewed_before_it_expires() {
        let mut cfg = ClientConfig::new(Endpoint::base_url("http://127.0.0.1:1").unwrap(), 1, "a", SecretKey::new("k"));
        // Valid for 2 s, renewed when under 1 s is left: a second later it must be new.
        cfg.sig_validity = Duration::from_secs(2);
        cfg.sig_refresh_margin = Duration::from_secs(1);
        let c = Client::new(cfg).unwrap();
        let first = c.usersig();
        std::thread::sleep(Duration::from_millis(1100));
        let second = c.usersig();
        assert_ne!(first, second, "renewed");
        let t = |s: &str| usersig::decode(s).unwrap().time;
        assert!(t(&second) > t(&first));
        // Far from expiry (the default 24 h, renewed 5 min before), it is kept.
        let c = Client::new(ClientConfig::new(
            Endpoint::base_url("http://127.0.0.1:1").unwrap(),
            1,
            "a",
            SecretKey::new("k"),
        ))
        .unwrap();
        let a = c.usersig();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(a, c.usersig());
    }

    #[test]
    fn sig_is_cached_and_invalidated() {
        let cfg = ClientConfig::new(Endpoint::base_url("http://127.0.0.1:1").unwrap(), 1, "admin", SecretKey::new("k"));
        let c = Client::new(cfg).unwrap();
        let a = c.usersig();
        assert_eq!(a, c.usersig());
        c.invalidate_sig();
        // Same second may give the same sig; what matters is that the cache was emptied.
        assert!(c.sig.lock().unwrap().is_none());
    }
}
