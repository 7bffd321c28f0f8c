//! HTTP side of the emulator: query and UserSig checks, rate limit, faults, dispatch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::store::{AccountKind, Done, Fail};
use super::{Fault, Shared, lock};
use crate::api::post_send::PostCall;
use crate::api::wire::{self, Status};
use crate::api::{self, Command, Family, codes};
use crate::clock::unix_now;
use crate::usersig::{self, Expect, VerifyError};

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v4/{service}/{command}", post(handle))
        .route("/__timx/stats", get(stats))
        .route("/__timx/health", get(|| async { "ok" }))
        .with_state(shared)
}

async fn stats(State(sh): State<Arc<Shared>>) -> Response {
    let mut s = lock(&sh.stats).clone();
    s.peak_calls_per_second = lock(&sh.limiter).peak_per_second;
    axum::Json(s).into_response()
}

fn reply_body(status: Status, done: Done) -> String {
    let mut body = serde_json::to_value(&status).unwrap_or_else(|_| Value::Object(Default::default()));
    if let Value::Object(map) = &mut body {
        map.extend(done.body);
        if !done.error_list.is_empty() {
            map.insert("ErrorList".into(), serde_json::to_value(&done.error_list).unwrap_or_default());
        }
    }
    body.to_string()
}

fn reply(status: Status, done: Done) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], reply_body(status, done)).into_response()
}

/// True with probability `p`; a zero rate draws nothing, so each fault kind's sequence is
/// the same for a given seed whatever else is configured.
fn roll(sh: &Shared, p: f64) -> bool {
    p > 0.0 && rand::Rng::random::<f64>(&mut *lock(&sh.dice)) < p
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    Path((service, command)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let path = format!("v4/{service}/{command}");
    // The rate is judged when a call arrives, as a service's front door would, before any
    // injected latency can bunch arrivals up or spread them out.
    let admitted = lock(&sh.limiter).admit(&path, Instant::now());
    delay(&sh).await;
    {
        let mut stats = lock(&sh.stats);
        stats.calls += 1;
        *stats.calls_by_second.entry(sh.started.elapsed().as_secs()).or_default() += 1;
    }
    let query = query.unwrap_or_default();
    let fault = match early_fault(&sh, &path, &query) {
        Ok(fault) => fault,
        Err(response) => return *response,
    };
    // Stall past any sane client timeout, then answer normally.
    if fault == Some(Fault::Stall) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let forgotten = fault == Some(Fault::Forget)
        && Family::from_service(&service).and_then(|f| Command::from_wire(f, &command)).is_some_and(Command::is_write);
    let result = if forgotten { Ok(Done::default()) } else { answer(&sh, &service, &command, admitted, &query, &body) };
    let code = result.as_ref().map(|_| 0).unwrap_or_else(|f| f.code);
    *lock(&sh.stats).by_path.entry(path).or_default().entry(code).or_default() += 1;
    let response = match result {
        Ok(done) => reply_body(Status::ok(), done),
        Err(f) => reply_body(Status::fail(f.code, f.info), Done::default()),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], damage(fault, response)).into_response()
}

/// The injected latency (± jitter).
async fn delay(sh: &Shared) {
    let faults = sh.faults();
    if faults.latency.is_zero() && faults.jitter.is_zero() {
        return;
    }
    let jitter = faults.jitter.as_secs_f64();
    let offset = if jitter > 0.0 { (rand::Rng::random::<f64>(&mut *lock(&sh.dice)) * 2.0 - 1.0) * jitter } else { 0.0 };
    tokio::time::sleep(Duration::from_secs_f64((faults.latency.as_secs_f64() + offset).max(0.0))).await;
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// Roll the fault dice. A fault that replaces the answer comes back as `Err(response)`; one
/// that delays or damages the real answer comes back as `Ok(Some(fault))`.
fn early_fault(sh: &Shared, path: &str, query: &str) -> Result<Option<Fault>, Box<Response>> {
    let faults = sh.faults();
    if roll(sh, faults.drop_rate) {
        lock(&sh.stats).injected_drops += 1;
        let broken =
            futures_util::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("injected drop")) });
        return Err(Box::new((StatusCode::OK, Body::from_stream(broken)).into_response()));
    }
    if roll(sh, faults.http_error_rate) {
        lock(&sh.stats).injected_http_errors += 1;
        return Err(Box::new(html(
            StatusCode::BAD_GATEWAY,
            "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
        )));
    }
    let fault = scripted(sh, path).or_else(|| faults.extra.iter().find(|(_, p)| roll(sh, *p)).map(|(f, _)| *f));
    if let Some(f) = fault {
        *lock(&sh.stats).injected.entry(f.name()).or_default() += 1;
    }
    match fault {
        Some(Fault::Http(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            Err(Box::new(html(status, format!("<html><body><h1>{code}</h1></body></html>"))))
        }
        Some(Fault::Garbage) => Err(Box::new(html(StatusCode::OK, "<html>upstream says hello</html>".into()))),
        Some(Fault::Echo(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = format!("<html><body><h1>Request blocked</h1><p>URL: /{path}?{query}</p></body></html>");
            Err(Box::new(html(status, page)))
        }
        Some(Fault::UnknownCode) => {
            Err(Box::new(reply(Status::fail(99_999, "an error code no catalog knows (injected)"), Done::default())))
        }
        Some(Fault::Code(code)) => Err(Box::new(reply(Status::fail(code, "injected"), Done::default()))),
        other => Ok(other),
    }
}

/// The next scripted fault for this call's command, taken off the script.
fn scripted(sh: &Shared, path: &str) -> Option<Fault> {
    let command = path.rsplit('/').next()?;
    let mut script = lock(&sh.script);
    let at = script.iter().position(|(c, _)| c == command)?;
    script.remove(at).map(|(_, f)| f)
}

/// Faults that damage the real answer (a write has already been applied: retries must be safe).
fn damage(fault: Option<Fault>, response: String) -> Bytes {
    match fault {
        // Cut bytes, not characters: the cut may fall inside a CJK character, as on a real wire.
        Some(Fault::Truncate) => {
            let half = response.len() / 2;
            Bytes::from(response).slice(..half)
        }
        Some(Fault::Shape) => r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","UserAttrs":"oops","UserTags":{"To_Account":1},"AttrNames":[1,2]}"#.into(),
        Some(Fault::Huge) => {
            let mut big = String::from(r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Pad":""#);
            big.push_str(&"x".repeat(9 * 1024 * 1024));
            big.push_str(r#""}"#);
            big.into()
        }
        _ => response.into(),
    }
}

enum Target {
    Push(Family, Command),
    PostSend(PostCall),
    AccountImport,
    MultiAccountImport,
}

fn answer(sh: &Shared, service: &str, command: &str, admitted: bool, query: &str, body: &[u8]) -> Result<Done, Fail> {
    let post = if service == "timpush" { PostCall::from_wire(command) } else { None };
    let target = match (service, command, post) {
        (_, _, Some(call)) => Target::PostSend(call),
        ("im_open_login_svc", "account_import", _) => Target::AccountImport,
        ("im_open_login_svc", "multiaccount_import", _) => Target::MultiAccountImport,
        _ => {
            let family =
                Family::from_service(service).ok_or_else(|| Fail::new(60009, format!("unknown service {service}")))?;
            let cmd = Command::from_wire(family, command)
                .ok_or_else(|| Fail::new(60009, format!("unknown command {command} in {service}")))?;
            Target::Push(family, cmd)
        }
    };
    let identifier = authenticate(sh, query)?;
    if identifier != sh.cfg.admin {
        return Err(match target {
            Target::Push(..) | Target::PostSend(_) => Fail::new(90009, "the request requires App admin permission"),
            _ => Fail::new(70403, "the request requires App admin permission"),
        });
    }
    if !admitted {
        return Err(Fail::new(60007, "REST API call rate over the limit"));
    }
    if roll(sh, sh.faults().fail_rate) {
        lock(&sh.stats).injected_91000 += 1;
        return Err(Fail::new(codes::PUSH_INTERNAL_ERROR, "internal error, please retry (injected)"));
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| match target {
        Target::Push(..) | Target::PostSend(_) => Fail::new(90001, format!("json parse error: {e}")),
        _ => Fail::new(60003, format!("json parse error: {e}")),
    })?;
    let mut store = lock(&sh.store);
    match target {
        Target::Push(family, cmd) => store.run(family, cmd, &json),
        Target::PostSend(call) => store.pushes.run(call, &json, sh.cfg.sdkappid, unix_now()),
        Target::AccountImport => {
            let req: wire::AccountImport = serde_json::from_value(json).map_err(|e| Fail::new(60003, e.to_string()))?;
            if store.import(&req.user_id, AccountKind::UserId) {
                Ok(Done::default())
            } else {
                Err(Fail::new(70402, format!("invalid UserID: must be 1-{} bytes", api::MAX_USERID_BYTES)))
            }
        }
        Target::MultiAccountImport => {
            let req: wire::MultiAccountImport =
                serde_json::from_value(json).map_err(|e| Fail::new(60003, e.to_string()))?;
            if req.accounts.len() > api::MAX_ACCOUNTS_PER_CALL {
                return Err(Fail::new(70402, format!("at most {} accounts per import", api::MAX_ACCOUNTS_PER_CALL)));
            }
            let failed: Vec<String> =
                req.accounts.into_iter().filter(|a| !store.import(a, AccountKind::UserId)).collect();
            Ok(Done::with(&wire::MultiAccountImportResponse { fail_accounts: failed }))
        }
    }
}

/// Check the query parameters and the UserSig. Returns the identifier.
fn authenticate(sh: &Shared, query: &str) -> Result<String, Fail> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        params.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let sdkappid: u64 = get("sdkappid")
        .ok_or(Fail::new(60012, "sdkappid missing from the URL"))?
        .parse()
        .map_err(|_| Fail::new(60002, "sdkappid is not a number"))?;
    let identifier = get("identifier").ok_or(Fail::new(60002, "identifier missing from the URL"))?;
    let sig = get("usersig").ok_or(Fail::new(70002, "usersig is empty"))?;
    get("random")
        .and_then(|r| r.parse::<u32>().ok())
        .ok_or(Fail::new(60002, "random must be a 32-bit unsigned integer"))?;
    if get("contenttype") != Some("json") {
        return Err(Fail::new(60002, "contenttype must be json"));
    }
    if sdkappid != sh.cfg.sdkappid {
        return Err(Fail::new(
            70020,
            format!("sdkappid {sdkappid} not found; check that the SDKAppID matches the data center"),
        ));
    }
    let expect = Expect { sdkappid, identifier, now: unix_now(), key: Some(&sh.cfg.key), userbuf: None };
    let cached = lock(&sh.verified).get(sig).cloned();
    let checked = match cached {
        // Known good signature: only the ids and expiry can differ now.
        Some(doc) => usersig::check_doc(&doc, &Expect { key: None, ..expect }).map(|()| doc),
        None => usersig::verify(sig, &expect).inspect(|doc| {
            let mut cache = lock(&sh.verified);
            if cache.len() >= 4096 {
                cache.clear();
            }
            cache.insert(sig.to_owned(), doc.clone());
        }),
    };
    let doc = checked.map_err(|e| {
        let code = match e {
            VerifyError::Expired { .. } => 70001,
            VerifyError::SigMismatch => 70009,
            VerifyError::IdentifierMismatch { .. } => 70013,
            VerifyError::SdkAppIdMismatch { .. } => 70014,
            _ => 70003,
        };
        Fail::new(code, e.to_string())
    })?;
    if let Some(max) = sh.faults().sig_max_age
        && unix_now().saturating_sub(doc.time) > max.as_secs()
    {
        return Err(Fail::new(70001, format!("UserSig expired (older than {} s here)", max.as_secs())));
    }
    Ok(identifier.to_owned())
}
