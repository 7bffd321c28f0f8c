//! How a headless job is interrupted, and how it ends anyway: Ctrl-C, SIGTERM, SIGHUP (the SSH
//! link dropped) and a closed stdout all stop the job the same way — nothing more is sent, the
//! calls out finish (for at most [`GRACE`]), what finished is written, and the summary and the
//! journal line follow — each with its own exit code.

use std::io::Write;
use std::time::Duration;

/// How long calls already out may take to finish after an interruption; then they are
/// abandoned (their accounts end `cancelled`, or `unknown` for a write).
pub const GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    CtrlC,
    Term,
    Hup,
    /// Standard output was closed (`| head`).
    Pipe,
}

impl Interrupt {
    /// The exit code: 128 + the signal's number, as a shell reports a job killed by it.
    pub fn code(self) -> u8 {
        match self {
            Interrupt::CtrlC => 130,
            Interrupt::Term => 143,
            Interrupt::Hup => 129,
            Interrupt::Pipe => 141,
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Interrupt::CtrlC => "interrupted (Ctrl-C)",
            Interrupt::Term => "terminated (SIGTERM)",
            Interrupt::Hup => "hung up (SIGHUP)",
            Interrupt::Pipe => "standard output was closed",
        }
    }
}

/// The signals a job listens to while it runs.
pub struct Signals {
    #[cfg(unix)]
    kinds: Vec<(tokio::signal::unix::Signal, Interrupt)>,
}

impl Signals {
    /// Listen for Ctrl-C, SIGTERM and SIGHUP (from now on they no longer end the process).
    pub fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SignalKind::interrupt(), Interrupt::CtrlC),
                (SignalKind::terminate(), Interrupt::Term),
                (SignalKind::hangup(), Interrupt::Hup),
            ]
            .into_iter()
            .filter_map(|(k, i)| signal(k).ok().map(|s| (s, i)))
            .collect();
            Signals { kinds }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal.
    pub async fn next(&mut self) -> Interrupt {
        #[cfg(unix)]
        {
            if self.kinds.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.kinds.iter_mut().map(|(s, i)| {
                let i = *i;
                Box::pin(async move {
                    s.recv().await;
                    i
                })
            });
            futures_util::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Interrupt::CtrlC
        }
    }
}

impl Default for Signals {
    fn default() -> Self {
        Signals::new()
    }
}

/// A line on stderr that never fails the job: after SIGHUP the terminal may be gone, and a
/// closed stderr must not lose the journal line that follows.
pub fn say(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

/// Progress on stderr (same rule as [`say`]).
pub fn progress(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = write!(e, "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_interruption_has_the_shells_exit_code() {
        assert_eq!(
            [Interrupt::CtrlC, Interrupt::Term, Interrupt::Hup, Interrupt::Pipe].map(Interrupt::code),
            [130, 143, 129, 141]
        );
    }
}
