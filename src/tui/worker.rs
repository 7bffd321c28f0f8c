//! The worker task: makes clients, runs engine jobs and probes, and streams what happens back
//! to the render loop over a channel. Nothing here blocks the screen.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::msg::{WorkerCmd, WorkerError, WorkerEvent};
use crate::api::{Endpoint, Region};
use crate::client::Client;
use crate::config::Profile;
use crate::engine::{self, JobConfig};

/// Start the worker; returns where to send it commands, and the task, which ends (its jobs
/// cancelled, finished and journaled) once the sender is dropped.
pub fn spawn(events: UnboundedSender<WorkerEvent>) -> (UnboundedSender<WorkerCmd>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = unbounded_channel();
    let task = tokio::spawn(run(rx, events));
    (tx, task)
}

/// Clients per profile, rebuilt when the profile changes (the key is read once per client),
/// on refresh, and after a job stopped on a configuration error (the user may have fixed the
/// key). Shared by the tasks the worker spawns, so no command waits behind another's key.
#[derive(Default, Clone)]
pub(super) struct Clients {
    by_profile: Arc<std::sync::Mutex<ClientMap>>,
}

/// Profile name → the profile a client was made for, and the client.
type ClientMap = HashMap<String, (Profile, Arc<Client>)>;

impl Clients {
    fn cached(&self, p: &Profile) -> Option<Arc<Client>> {
        let map = self.by_profile.lock().unwrap_or_else(|e| e.into_inner());
        let (known, c) = map.get(&p.name)?;
        let same = known.endpoint == p.endpoint
            && known.sdkappid == p.sdkappid
            && known.admin == p.admin
            && known.key == p.key;
        same.then(|| c.clone())
    }

    /// The next `get` reads the key again.
    pub(super) fn forget(&self, name: &str) {
        self.by_profile.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
    }

    pub(super) async fn get(&self, p: &Profile) -> Result<Arc<Client>, WorkerError> {
        if let Some(c) = self.cached(p) {
            return Ok(c);
        }
        let failed = |message: String| WorkerError::Profile { profile: p.name.clone(), message };
        // Reading the key may run a command (a password manager): keep it off the async threads.
        let profile = p.clone();
        let cfg = tokio::task::spawn_blocking(move || profile.client_config())
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(|e| failed(format!("{e:#}")))?;
        let client = Arc::new(Client::new(cfg).map_err(|e| failed(format!("{e:#}")))?);
        self.by_profile.lock().unwrap_or_else(|e| e.into_inner()).insert(p.name.clone(), (p.clone(), client.clone()));
        Ok(client)
    }
}

/// What the worker needs to start a job, for the task that runs it.
struct JobRun {
    job: u64,
    profile: Profile,
    kind: engine::JobKind,
    input: Arc<engine::Normalized>,
    cancel: CancellationToken,
}

async fn run(mut rx: UnboundedReceiver<WorkerCmd>, events: UnboundedSender<WorkerEvent>) {
    let clients = Clients::default();
    let mut jobs: HashMap<u64, CancellationToken> = HashMap::new();
    let mut running = tokio::task::JoinSet::new();
    let mut demo = None;
    while let Some(cmd) = rx.recv().await {
        // Every command runs in a task of its own: Cancel is never stuck behind a slow key.
        match cmd {
            WorkerCmd::FetchAttrNames { fetch, profile } => {
                // A refresh reads the key again: the user may just have fixed it.
                clients.forget(&profile.name);
                tokio::spawn(fetch_attr_names(clients.clone(), events.clone(), fetch, profile));
            }
            WorkerCmd::RunJob { job, profile, kind, input } => {
                // Forget the jobs that finished.
                while let Some(done) = running.try_join_next() {
                    if let Ok(id) = done {
                        jobs.remove(&id);
                    }
                }
                let cancel = CancellationToken::new();
                jobs.insert(job, cancel.clone());
                let run = JobRun { job, profile, kind, input, cancel };
                running.spawn(run_job(clients.clone(), events.clone(), run));
            }
            WorkerCmd::Write(w) => {
                let cancel = CancellationToken::new();
                jobs.insert(w.job, cancel.clone());
                running.spawn(super::write_worker::run_write(clients.clone(), events.clone(), *w, cancel));
            }
            WorkerCmd::SetAttrNames(set) => {
                let (clients, events) = (clients.clone(), events.clone());
                tokio::spawn(async move {
                    let result = super::write_worker::set_attr_names(&clients, &set).await;
                    let _ = events.send(WorkerEvent::AttrNamesSet { job: set.job, result });
                });
            }
            WorkerCmd::LoadDesired(path) => {
                tokio::spawn(super::write_worker::load_desired(events.clone(), path));
            }
            WorkerCmd::Cancel(job) => {
                if let Some(t) = jobs.remove(&job) {
                    t.cancel();
                }
            }
            WorkerCmd::Probe(p) => {
                let (clients, events) = (clients.clone(), events.clone());
                tokio::spawn(async move {
                    let event = match clients.get(&p).await {
                        Ok(client) => WorkerEvent::Probe { results: probe(&client, &p).await, profile: p.name },
                        Err(e) => WorkerEvent::Failed(e),
                    };
                    let _ = events.send(event);
                });
            }
            WorkerCmd::StartDemo => match crate::demo::start().await {
                Ok((running, profile)) => {
                    demo = Some(running);
                    let _ = events.send(WorkerEvent::DemoReady(profile));
                }
                Err(e) => {
                    let _ = events.send(WorkerEvent::Failed(WorkerError::Demo(format!("{e:#}"))));
                }
            },
            WorkerCmd::Load(path, stop) => {
                tokio::spawn(load(events.clone(), path, stop));
            }
            cmd @ (WorkerCmd::Trace { .. } | WorkerCmd::Stats { .. } | WorkerCmd::Scheduled { .. }) => {
                super::post_worker::start(cmd, &clients, &events, &mut jobs, &mut running);
            }
            WorkerCmd::SaveProfile { config, profile } => {
                tokio::spawn(save_profile(events.clone(), config, profile));
            }
        }
    }
    // The loop is gone (quit): stop what runs, so each job ends, says so and is journaled.
    jobs.values().for_each(CancellationToken::cancel);
    while running.join_next().await.is_some() {}
    if let Some(d) = demo {
        d.shutdown().await;
    }
}

async fn fetch_attr_names(clients: Clients, events: UnboundedSender<WorkerEvent>, fetch: u64, p: Profile) {
    match clients.get(&p).await {
        Ok(client) => {
            let result = engine::fetch_attr_names(client, p.family, CancellationToken::new()).await;
            if result.as_ref().is_err_and(|e| e.action() == crate::api::Action::Stop) {
                clients.forget(&p.name);
            }
            let _ = events.send(WorkerEvent::AttrNames { fetch, profile: p.name, result: result.map(|r| r.body) });
        }
        Err(e) => {
            let _ = events.send(WorkerEvent::Failed(e));
        }
    }
}

/// `:load`: read the file off the loop (it may be large, or on a slow disk).
async fn load(events: UnboundedSender<WorkerEvent>, path: std::path::PathBuf, stop: CancellationToken) {
    let read = path.clone();
    let capped = move || crate::paths::read_capped_until(&read, crate::paths::INPUT_CAP, &|| stop.is_cancelled());
    let result = match tokio::task::spawn_blocking(capped).await {
        Ok(Ok(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        // The error names the file already.
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(e) => Err(format!("cannot read {}: {e}", crate::paths::shown(&path))),
    };
    let _ = events.send(WorkerEvent::Loaded { path, result });
}

/// The profile form's save: the config file is written off the loop.
async fn save_profile(
    events: UnboundedSender<WorkerEvent>,
    mut config: Box<crate::config::Config>,
    profile: Box<Profile>,
) {
    let name = profile.name.clone();
    let saved = tokio::task::spawn_blocking(move || {
        let result = config.save_profile(&profile).map_err(|e| format!("{e:#}"));
        WorkerEvent::ProfileSaved { config, profile, result }
    })
    .await;
    let event = saved.unwrap_or_else(|e| {
        WorkerEvent::Failed(WorkerError::Profile { profile: name, message: format!("cannot save the profile: {e}") })
    });
    let _ = events.send(event);
}

/// Resolve the client (cancellable), run the job, stream its events, journal it. Returns the
/// job's id, so the worker forgets it.
async fn run_job(clients: Clients, events: UnboundedSender<WorkerEvent>, run: JobRun) -> u64 {
    let JobRun { job, profile, kind, input, cancel } = run;
    let Some(client) = job_client(&clients, &events, job, &profile, &cancel).await else { return job };
    let cfg = JobConfig::new(kind, profile.family, profile.rate_limit);
    let handle = engine::spawn_job_with(client, cfg, input.clone(), cancel);
    let end = JobEnd { profile: &profile, command: kind.name(), input: &input, undo: None };
    forward(&clients, &events, handle, |event| WorkerEvent::Job { job, event }, end).await;
    job
}

/// The client for a job, resolved while the job can still be cancelled; None (and the loop
/// told why) when it cannot be made.
pub(super) async fn job_client(
    clients: &Clients,
    events: &UnboundedSender<WorkerEvent>,
    job: u64,
    profile: &Profile,
    cancel: &CancellationToken,
) -> Option<Arc<Client>> {
    let client = tokio::select! {
        _ = cancel.cancelled() => Err(WorkerError::Cancelled),
        c = clients.get(profile) => c,
    };
    match client {
        Ok(c) => Some(c),
        Err(error) => {
            let _ = events.send(WorkerEvent::JobError { job, error });
            None
        }
    }
}

/// What the journal says of a job that ended.
pub(super) struct JobEnd<'a> {
    pub profile: &'a Profile,
    pub command: &'a str,
    pub input: &'a engine::Normalized,
    pub undo: Option<&'a std::path::Path>,
}

/// Stream a job's events to the loop (each wrapped by `wrap`) until it ends, then journal it.
pub(super) async fn forward<R: engine::Outcome>(
    clients: &Clients,
    events: &UnboundedSender<WorkerEvent>,
    mut handle: engine::JobHandle<R>,
    wrap: impl Fn(engine::Event<R>) -> WorkerEvent,
    end: JobEnd<'_>,
) {
    let mut summary = None;
    while let Some(event) = handle.events.recv().await {
        if let engine::Event::Finished(s) = &event {
            summary = Some(s.clone());
        }
        if events.send(wrap(event)).is_err() {
            handle.cancel.cancel();
        }
    }
    let summary = match summary {
        Some(s) => s,
        None => handle.task.await.unwrap_or_default(),
    };
    // Stopped on a configuration error (wrong key, say): the next run reads the key again.
    if summary.aborted.is_some() {
        clients.forget(&end.profile.name);
    }
    if let Err(e) = crate::journal::after_job(end.profile, end.command, &summary, Some(end.input), end.undo) {
        tracing::warn!("{e}");
        let _ = events.send(WorkerEvent::Failed(WorkerError::Journal(e.to_string())));
    }
}

/// Ask every region's primary domain for the attribute names with this app's credentials.
/// The region whose answer is not 70016/70020 holds the SDKAppID.
pub async fn probe(client: &Client, p: &Profile) -> Vec<(String, Result<(), crate::client::CallError>)> {
    probe_endpoints(
        client,
        p,
        Region::ALL.iter().map(|r| (r.slug().to_string(), Endpoint::Region { region: *r, backup: false })).collect(),
    )
    .await
}

pub async fn probe_endpoints(
    client: &Client,
    p: &Profile,
    endpoints: Vec<(String, Endpoint)>,
) -> Vec<(String, Result<(), crate::client::CallError>)> {
    let base = client.config().clone();
    let calls = endpoints.into_iter().map(|(label, endpoint)| {
        let mut cfg = base.clone();
        cfg.endpoint = endpoint;
        cfg.timeout = Duration::from_secs(8);
        let family = p.family;
        async move {
            let r = match Client::new(cfg) {
                Ok(c) => c.get_attr_names(family).await.map(|_| ()),
                Err(e) => Err(crate::client::CallError::Transport {
                    kind: crate::client::TransportKind::Other,
                    message: e.to_string(),
                }),
            };
            (label, r)
        }
    });
    futures_util::future::join_all(calls).await
}
