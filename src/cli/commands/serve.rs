//! `timx serve`: run the emulator until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::emulator::{self, EmulatorConfig, Fault, Faults, data::DataFile};
use crate::secret::SecretSource;
use crate::usersig::SecretKey;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[arg(long, default_value_t = emulator::DEFAULT_SDKAPPID)]
    pub sdkappid: u64,
    /// The App admin account calls must be signed for.
    #[arg(long, default_value = emulator::DEFAULT_ADMIN)]
    pub admin: String,
    /// Read the app key from this environment variable (default: the public example key).
    #[arg(long, value_name = "VAR", conflicts_with = "key_file")]
    pub key_env: Option<String>,
    /// Read the app key from a file.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Load attribute names, users, attributes and tags from a JSON file (see README).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Calls per second per command before 60007; 0 turns the limiter off.
    #[arg(long, default_value_t = crate::api::MAX_CALLS_PER_SECOND)]
    pub rate_limit: u32,
    /// Strict limit: refuse the (N+1)-th call of a command in any sliding second, and hold the
    /// post-send calls to their documented rates (trace, statistics, loss 1/s; scheduled tasks
    /// 5/s) (default: a token bucket at --rate-limit for every call, burst a tenth of a second).
    #[arg(long)]
    pub strict: bool,
    /// Accounts per request before 90018 (the service allows 100); lower it to test batch splitting.
    #[arg(long, default_value_t = crate::api::MAX_ACCOUNTS_PER_CALL)]
    pub max_accounts: usize,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Latency varies uniformly by ± this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Fraction of requests answered with ErrorCode 91000.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Fraction of requests answered with HTTP 502.
    #[arg(long, default_value_t = 0.0)]
    pub http_error_rate: f64,
    /// Fraction of requests whose connection is dropped before the body.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Further faults as KIND=RATE (repeatable): an HTTP status such as 503 or 504, stall,
    /// truncate, garbage, shape, huge, unknown-code, code-N (ErrorCode N), echo (an HTML page that echoes the request
    /// URL, as some proxies do; `echo-502` with that status), forget (a write answered OK but not kept).
    #[arg(long, value_name = "KIND=RATE")]
    pub fault: Vec<String>,
    /// Answer 70001 (expired) to UserSigs older than this many seconds.
    #[arg(long, value_name = "SECS")]
    pub sig_max_age: Option<u64>,
    /// Seed the fault dice, so the same run injects the same faults.
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<EmulatorConfig> {
        for (name, p) in [
            ("--fail-rate", self.fail_rate),
            ("--http-error-rate", self.http_error_rate),
            ("--drop-rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                bail!("{name} must be between 0 and 1, got {p}");
            }
        }
        let key = if let Some(env) = &self.key_env {
            SecretSource::Env { env: env.clone() }.resolve()?
        } else if let Some(file) = &self.key_file {
            SecretSource::File { file: file.clone() }.resolve()?
        } else {
            eprintln!(
                "timx serve: using the PUBLIC example key from the official docs; anyone can sign for this emulator"
            );
            SecretKey::new(emulator::PUBLIC_EXAMPLE_KEY)
        };
        Ok(EmulatorConfig {
            sdkappid: self.sdkappid,
            admin: self.admin.clone(),
            key,
            rate_limit: self.rate_limit,
            burst: None,
            strict: self.strict,
            max_accounts: self.max_accounts,
            faults: Faults {
                latency: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
                fail_rate: self.fail_rate,
                http_error_rate: self.http_error_rate,
                drop_rate: self.drop_rate,
                extra: self.fault.iter().map(|f| Fault::parse(f)).collect::<Result<_, _>>()?,
                sig_max_age: self.sig_max_age.map(Duration::from_secs),
                seed: self.fault_seed,
            },
        })
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.config()?;
    let data = args.data.as_deref().map(DataFile::load).transpose()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let running = emulator::start(cfg.clone(), data, args.listen).await?;
        println!(
            "timx serve listening on {} (sdkappid {}, admin {})",
            running.base_url,
            cfg.sdkappid,
            crate::text::escape(&cfg.admin)
        );
        tokio::signal::ctrl_c().await?;
        running.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
