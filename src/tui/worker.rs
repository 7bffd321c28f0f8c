//! The worker task: makes clients, runs engine jobs and probes, and streams what happens back
//! to the render loop over a channel. Nothing here blocks the screen.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::msg::{Cmd, WorkerEvent};
use crate::api::{Endpoint, Region};
use crate::client::Client;
use crate::config::Profile;
use crate::engine::{self, JobConfig};

/// Start the worker; returns where to send it commands.
pub fn spawn(events: UnboundedSender<WorkerEvent>) -> UnboundedSender<Cmd> {
    let (tx, rx) = unbounded_channel();
    tokio::spawn(run(rx, events));
    tx
}

/// Clients per profile, rebuilt when the profile changes (the key is read once per client).
#[derive(Default)]
struct Clients {
    by_profile: HashMap<String, (Profile, Arc<Client>)>,
}

impl Clients {
    async fn get(&mut self, p: &Profile) -> Result<Arc<Client>, String> {
        if let Some((known, c)) = self.by_profile.get(&p.name)
            && known.endpoint == p.endpoint
            && known.sdkappid == p.sdkappid
            && known.admin == p.admin
            && known.key == p.key
        {
            return Ok(c.clone());
        }
        // Reading the key may run a command (a password manager): keep it off the async threads.
        let profile = p.clone();
        let cfg = tokio::task::spawn_blocking(move || profile.client_config())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e:#}"))?;
        let client = Arc::new(Client::new(cfg).map_err(|e| format!("{e:#}"))?);
        self.by_profile.insert(p.name.clone(), (p.clone(), client.clone()));
        Ok(client)
    }
}

async fn run(mut rx: UnboundedReceiver<Cmd>, events: UnboundedSender<WorkerEvent>) {
    let mut clients = Clients::default();
    let mut jobs: HashMap<u64, CancellationToken> = HashMap::new();
    let mut demo = None;
    while let Some(cmd) = rx.recv().await {
        match cmd {
            Cmd::FetchAttrNames(p) => match clients.get(&p).await {
                Ok(client) => {
                    let events = events.clone();
                    tokio::spawn(async move {
                        let result = engine::fetch_attr_names(client, p.family, CancellationToken::new()).await;
                        let _ = events.send(WorkerEvent::AttrNames { profile: p.name, result: result.map(|r| r.body) });
                    });
                }
                Err(e) => {
                    let _ = events.send(WorkerEvent::Failed(format!("profile {}: {e}", p.name)));
                }
            },
            Cmd::RunJob { job, profile, kind, input } => match clients.get(&profile).await {
                Ok(client) => {
                    let cfg = JobConfig::new(kind, profile.family, profile.rate_limit);
                    let mut handle = engine::spawn_job(client, cfg, input.clone());
                    jobs.insert(job, handle.cancel.clone());
                    let events = events.clone();
                    tokio::spawn(async move {
                        let mut summary = None;
                        while let Some(event) = handle.events.recv().await {
                            if let engine::Event::Finished(s) = &event {
                                summary = Some(s.clone());
                            }
                            if events.send(WorkerEvent::Job { job, event }).is_err() {
                                handle.cancel.cancel();
                            }
                        }
                        if profile.journal
                            && let (Some(s), Some(path)) = (summary, crate::journal::default_path())
                        {
                            let entry = crate::journal::entry(&profile, "inspect", &s, Some(&input));
                            if let Err(e) = crate::journal::append(&path, &entry) {
                                tracing::warn!("cannot write the audit journal {}: {e}", path.display());
                            }
                        }
                    });
                }
                Err(e) => {
                    let _ =
                        events.send(WorkerEvent::JobError { job, message: format!("profile {}: {e}", profile.name) });
                }
            },
            Cmd::Cancel(job) => {
                if let Some(t) = jobs.get(&job) {
                    t.cancel();
                }
            }
            Cmd::Probe(p) => match clients.get(&p).await {
                Ok(client) => {
                    let events = events.clone();
                    tokio::spawn(async move {
                        let results = probe(&client, &p).await;
                        let _ = events.send(WorkerEvent::Probe { profile: p.name, results });
                    });
                }
                Err(e) => {
                    let _ = events.send(WorkerEvent::Failed(format!("profile {}: {e}", p.name)));
                }
            },
            Cmd::StartDemo => match crate::demo::start().await {
                Ok((running, profile)) => {
                    demo = Some(running);
                    let _ = events.send(WorkerEvent::DemoReady(profile));
                }
                Err(e) => {
                    let _ = events.send(WorkerEvent::Failed(format!("cannot start the demo emulator: {e:#}")));
                }
            },
            Cmd::Clipboard(_) => {}
        }
    }
    if let Some(d) = demo {
        d.shutdown().await;
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
