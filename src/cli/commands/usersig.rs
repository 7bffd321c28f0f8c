//! `timx usersig gen|verify`: the UserSig tools developers need while integrating.

use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::cli::KeyArgs;
use crate::clock::unix_now;
use crate::text::escape;
use crate::usersig::{self, Expect};

#[derive(Debug, Subcommand)]
pub enum UsersigCmd {
    /// Print a UserSig for IDENTIFIER (no userbuf, as IM REST calls use).
    Gen(GenArgs),
    /// Decode a UserSig, show its fields and check it. Exit 0 when valid, 1 when not.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct GenArgs {
    #[arg(long)]
    pub sdkappid: u64,
    #[arg(long)]
    pub identifier: String,
    /// Validity in seconds.
    #[arg(long, default_value_t = usersig::DEFAULT_EXPIRE)]
    pub expire: u64,
    /// Generation time (Unix seconds); defaults to now.
    #[arg(long)]
    pub time: Option<u64>,
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(long)]
    pub sdkappid: u64,
    #[arg(long)]
    pub identifier: String,
    /// Check expiry against this time (Unix seconds) instead of now.
    #[arg(long)]
    pub now: Option<u64>,
    /// The UserSig, or `-` to read it from standard input.
    #[arg(default_value = "-")]
    pub sig: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cmd: UsersigCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        UsersigCmd::Gen(a) => {
            let key = a.key.resolve()?;
            if a.identifier.is_empty() || a.identifier.len() > crate::api::MAX_USERID_BYTES {
                bail!("--identifier must be 1-{} bytes", crate::api::MAX_USERID_BYTES);
            }
            let time = a.time.unwrap_or_else(unix_now);
            println!("{}", usersig::generate(a.sdkappid, &key, &a.identifier, time, a.expire));
            Ok(ExitCode::SUCCESS)
        }
        UsersigCmd::Verify(a) => verify(a),
    }
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    if a.sig == "-" && a.key.key_stdin {
        bail!(
            "the UserSig and the key cannot both come from standard input; pass the UserSig as an argument or use --key-file"
        );
    }
    let sig = if a.sig == "-" {
        let mut s = String::new();
        std::io::stdin().take(64 * 1024).read_to_string(&mut s)?;
        s.trim().to_owned()
    } else {
        a.sig.trim().to_owned()
    };
    let key = a.key.resolve_optional()?;
    let now = a.now.unwrap_or_else(unix_now);
    let doc = match usersig::decode_lenient(&sig) {
        Ok(doc) => doc,
        Err(e) => {
            println!("verdict     INVALID: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    print!("{}", describe(&doc, now));
    let expect = Expect {
        sdkappid: a.sdkappid,
        identifier: &a.identifier,
        now,
        key: key.as_ref(),
        userbuf: doc.userbuf.as_deref(),
    };
    // The service reads the numbers only as JSON numbers: a sig with numeric strings is
    // described above, and refused here as it would be there.
    let verdict = usersig::decode(&sig).and_then(|strict| usersig::check_doc(&strict, &expect));
    match &key {
        Some(_) => println!("signature   checked with the key"),
        None => println!(
            "signature   NOT checked: no key given (set TIMX_SECRET_KEY, or use --key-env/--key-file/--key-stdin)"
        ),
    }
    match verdict {
        Ok(()) if key.is_some() => {
            println!("verdict     VALID");
            Ok(ExitCode::SUCCESS)
        }
        Ok(()) => {
            println!("verdict     VALID (ids and expiry only; signature not checked)");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("verdict     INVALID: {}", escape(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}

fn rfc3339(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// Coarse "1d 2h 3m" for humans.
pub fn human_span(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn describe(doc: &usersig::SigDoc, now: u64) -> String {
    let left = if doc.is_expired(now) {
        format!("expired {} ago", human_span(now - doc.expires_at()))
    } else {
        human_span(doc.expires_at() - now)
    };
    let mut out = String::new();
    out += &format!("version     {}\n", escape(&doc.version));
    out += &format!("identifier  {}\n", escape(&doc.identifier));
    out += &format!("sdkappid    {}\n", doc.sdkappid);
    out += &format!("generated   {} ({})\n", rfc3339(doc.time), doc.time);
    out += &format!("validity    {} s ({})\n", doc.expire, human_span(doc.expire));
    out += &format!("expires     {} ({})\n", rfc3339(doc.expires_at()), doc.expires_at());
    out += &format!("time left   {left}\n");
    if let Some(buf) = &doc.userbuf {
        out += &format!("userbuf     {} bytes\n", buf.len());
    }
    out
}
