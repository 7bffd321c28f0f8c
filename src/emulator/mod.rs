//! `timx serve`: a local emulator of the attr/tag REST API, for demos, tests and benchmarks.
//! It checks requests the way the service documents (UserSig, admin, limits, rate) and can
//! inject faults (latency, 91000 answers, HTTP 502s, dropped connections).

pub mod data;
pub mod limits;
pub mod pushes;
mod routes;
pub mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::usersig::SecretKey;

/// The example key printed in every official README and test: public, for local use only.
pub const PUBLIC_EXAMPLE_KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const DEFAULT_SDKAPPID: u64 = 1_400_000_000;
pub const DEFAULT_ADMIN: &str = "administrator";

/// A further kind of fault, injected with `--fault KIND=RATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An HTTP error status with an HTML body (e.g. 503, 504).
    Http(u16),
    /// Answer only after a minute: the client's timeout must fire.
    Stall,
    /// The real answer cut in half: invalid JSON.
    Truncate,
    /// HTTP 200 with an HTML body.
    Garbage,
    /// HTTP 200, valid JSON of the wrong shape (arrays as strings, fields missing).
    Shape,
    /// HTTP 200 with a 9 MB body.
    Huge,
    /// ActionStatus FAIL with an ErrorCode no catalog knows.
    UnknownCode,
    /// ActionStatus FAIL with this ErrorCode (e.g. 60011 to see the client slow down).
    Code(i64),
    /// An HTML error page with this status that echoes the request URL, UserSig and all (as
    /// proxies and WAFs do).
    Echo(u16),
    /// A write answered OK but not kept (what `--verify` is there to catch); reads unchanged.
    Forget,
}

impl Fault {
    pub fn name(self) -> String {
        match self {
            Fault::Http(c) => c.to_string(),
            Fault::Stall => "stall".into(),
            Fault::Truncate => "truncate".into(),
            Fault::Garbage => "garbage".into(),
            Fault::Shape => "shape".into(),
            Fault::Huge => "huge".into(),
            Fault::UnknownCode => "unknown-code".into(),
            Fault::Code(c) => format!("code-{c}"),
            Fault::Echo(200) => "echo".into(),
            Fault::Echo(c) => format!("echo-{c}"),
            Fault::Forget => "forget".into(),
        }
    }

    /// `KIND=RATE`, e.g. `503=0.1`, `stall=0.05`.
    pub fn parse(spec: &str) -> Result<(Fault, f64), FaultError> {
        let bad = |why: FaultProblem| FaultError { spec: spec.to_owned(), why };
        let (kind, rate) = spec.split_once('=').ok_or(bad(FaultProblem::Shape))?;
        let rate: f64 = rate.parse().map_err(|_| bad(FaultProblem::Rate))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(bad(FaultProblem::Rate));
        }
        let number = |prefix: &str| kind.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
        let fault = match kind {
            "stall" => Fault::Stall,
            "truncate" => Fault::Truncate,
            "garbage" => Fault::Garbage,
            "shape" => Fault::Shape,
            "huge" => Fault::Huge,
            "unknown-code" => Fault::UnknownCode,
            "echo" => Fault::Echo(200),
            "forget" => Fault::Forget,
            _ => match (number("code-"), number("echo-"), number("")) {
                (Some(c), _, _) if c > 0 => Fault::Code(c),
                (_, Some(c), _) if (200..600).contains(&c) => Fault::Echo(c as u16),
                (_, _, Some(c)) if (400..600).contains(&c) => Fault::Http(c as u16),
                _ => return Err(bad(FaultProblem::Kind)),
            },
        };
        Ok((fault, rate))
    }
}

/// What is wrong with a `--fault` spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultProblem {
    Shape,
    Rate,
    Kind,
}

/// A `--fault KIND=RATE` that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--fault {spec:?}: {}", match why {
    FaultProblem::Shape => "expected KIND=RATE",
    FaultProblem::Rate => "RATE must be a number between 0 and 1",
    FaultProblem::Kind => "KIND must be an HTTP status (400-599), stall, truncate, garbage, shape, huge, unknown-code, code-ERRORCODE, echo, echo-STATUS or forget",
})]
pub struct FaultError {
    pub spec: String,
    pub why: FaultProblem,
}

/// Injected faults; rates are probabilities per request (0.0–1.0).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub latency: Duration,
    pub jitter: Duration,
    /// Answer `ErrorCode 91000` (push service internal error).
    pub fail_rate: f64,
    /// Answer HTTP 502 with an HTML body, as a gateway would.
    pub http_error_rate: f64,
    /// Send headers, then drop the connection before the body.
    pub drop_rate: f64,
    /// Further faults, each rolled per request in order.
    pub extra: Vec<(Fault, f64)>,
    /// UserSigs older than this are answered 70001 (expired), whatever their own validity:
    /// a UserSig "expiring mid-audit".
    pub sig_max_age: Option<Duration>,
    /// Seed for the fault dice: the same seed gives the same sequence of faults (tests).
    pub seed: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub sdkappid: u64,
    pub admin: String,
    pub key: SecretKey,
    /// Calls per second per command; 0 turns the limiter off.
    pub rate_limit: u32,
    pub burst: Option<u32>,
    /// Refuse the (rate+1)-th call in any sliding second (instead of a token bucket).
    pub strict: bool,
    /// Accounts per request before 90018 (the service's is 100); lower it to exercise splitting.
    pub max_accounts: usize,
    pub faults: Faults,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            sdkappid: DEFAULT_SDKAPPID,
            admin: DEFAULT_ADMIN.into(),
            key: SecretKey::new(PUBLIC_EXAMPLE_KEY),
            rate_limit: crate::api::MAX_CALLS_PER_SECOND,
            burst: None,
            strict: false,
            max_accounts: crate::api::MAX_ACCOUNTS_PER_CALL,
            faults: Faults::default(),
        }
    }
}

impl Shared {
    fn faults(&self) -> Arc<Faults> {
        self.faults.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Counters a test or benchmark reads back (also served at `GET /__timx/stats`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub calls: u64,
    /// Per `v4/<service>/<command>`: answers by ErrorCode (0 = OK).
    pub by_path: BTreeMap<String, BTreeMap<i64, u64>>,
    pub injected_91000: u64,
    pub injected_http_errors: u64,
    pub injected_drops: u64,
    /// Faults from `--fault`, by kind.
    pub injected: BTreeMap<String, u64>,
    /// Most calls that arrived for one command within any sliding one-second window.
    pub peak_calls_per_second: usize,
    /// Calls received in each whole second since the emulator started.
    pub calls_by_second: BTreeMap<u64, u64>,
}

impl Stats {
    /// How many answers carried `code`, over all paths.
    pub fn count(&self, code: i64) -> u64 {
        self.by_path.values().filter_map(|m| m.get(&code)).sum()
    }
}

struct Shared {
    cfg: EmulatorConfig,
    /// The faults in force: `cfg.faults` at the start; a test may change them on a running
    /// emulator (`Running::set_faults`), e.g. to fault a plan and not the read before it.
    faults: std::sync::RwLock<Arc<Faults>>,
    /// The fault dice (seeded when `faults.seed` is set).
    dice: Mutex<rand::rngs::StdRng>,
    started: std::time::Instant,
    /// UserSigs already verified (signature and form), so a client reusing its sig costs one
    /// map lookup instead of base64 + zlib + JSON + HMAC. Ids and expiry are still checked.
    verified: Mutex<std::collections::HashMap<String, crate::usersig::SigDoc>>,
    store: Mutex<store::Store>,
    limiter: Mutex<limits::Limiter>,
    stats: Mutex<Stats>,
    /// Faults dealt in order to calls of one command, before any dice (`Running::script`): a
    /// test's exact sequence, e.g. a write carried out with its answer lost, then 90018.
    script: Mutex<std::collections::VecDeque<(String, Fault)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running emulator. Dropping it without `shutdown` leaves the task running until the runtime ends.
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn stats(&self) -> Stats {
        let mut s = lock(&self.shared.stats).clone();
        s.peak_calls_per_second = lock(&self.shared.limiter).peak_per_second;
        s
    }

    /// Read access to the data, e.g. to compare an audit's output with what is held.
    /// Change the injected faults from the next request on (the dice keep their seed).
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(faults);
    }

    /// Deal these faults, in order, to the next calls of `command` (its wire name, e.g.
    /// `set_attr`), each once, ahead of the dice.
    pub fn script(&self, command: &str, faults: &[Fault]) {
        lock(&self.shared.script).extend(faults.iter().map(|f| (command.to_owned(), *f)));
    }

    pub fn with_store<R>(&self, f: impl FnOnce(&store::Store) -> R) -> R {
        f(&lock(&self.shared.store))
    }

    /// Stop accepting, give open requests a moment, then drop the rest (stalled ones).
    /// Write access to the data, e.g. to plant values the `--data` checks would refuse.
    pub fn with_store_mut<R>(&self, f: impl FnOnce(&mut store::Store) -> R) -> R {
        f(&mut lock(&self.shared.store))
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task).await.is_err() {
            self.task.abort();
        }
    }
}

/// Bind `listen` (port 0 picks a free one) and serve in a background task.
pub async fn start(cfg: EmulatorConfig, data: Option<data::DataFile>, listen: SocketAddr) -> anyhow::Result<Running> {
    let mut store = data.unwrap_or_default().into_store()?;
    store.max_accounts = cfg.max_accounts;
    let limiter = if cfg.strict {
        limits::Limiter::strict(cfg.rate_limit).with_documented_post_send_rates()
    } else {
        limits::Limiter::new(cfg.rate_limit, cfg.burst)
    };
    let shared = Arc::new(Shared {
        dice: Mutex::new(match cfg.faults.seed {
            Some(seed) => rand::SeedableRng::seed_from_u64(seed),
            None => rand::SeedableRng::from_os_rng(),
        }),
        faults: std::sync::RwLock::new(Arc::new(cfg.faults.clone())),
        cfg,
        started: std::time::Instant::now(),
        verified: Mutex::default(),
        store: Mutex::new(store),
        limiter: Mutex::new(limiter),
        stats: Mutex::default(),
        script: Mutex::default(),
    });
    let listener = TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let app = routes::router(shared.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("emulator stopped: {e}");
        }
    });
    let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
    let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
    Ok(Running { base_url: format!("http://{host}:{}", addr.port()), addr, shared, stop: Some(tx), task })
}
