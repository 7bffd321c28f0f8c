//! Where the app's secret key comes from. Never argv: an environment variable, a file,
//! a command's output (e.g. a password manager), stdin, or (with a warning) inline config.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::usersig::SecretKey;

pub const DEFAULT_KEY_ENV: &str = "TIMX_SECRET_KEY";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SecretSource {
    Env {
        env: String,
    },
    File {
        file: PathBuf,
    },
    Command {
        command: Vec<String>,
    },
    /// Inline in the config file; allowed, with a warning when the file is readable by others.
    Value {
        value: String,
    },
    #[serde(skip)]
    Stdin,
}

impl SecretSource {
    /// A description that never includes the key itself.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env { env } => format!("environment variable {env}"),
            SecretSource::File { file } => format!("file {}", file.display()),
            SecretSource::Command { command } => {
                format!("command `{}`", command.first().map(String::as_str).unwrap_or(""))
            }
            SecretSource::Value { .. } => "inline value in the config file".into(),
            SecretSource::Stdin => "standard input".into(),
        }
    }

    /// Read the key. Errors say where we looked and how to fix it, never what was found.
    pub fn resolve(&self) -> anyhow::Result<SecretKey> {
        let raw = match self {
            SecretSource::Env { env } => std::env::var(env).map_err(|_| {
                anyhow::anyhow!("the secret key is not set: environment variable {env} is empty or missing. Export it, or use --key-file/--key-stdin")
            })?,
            SecretSource::File { file } => read_key_file(file)?,
            SecretSource::Command { command } => run_key_command(command)?,
            SecretSource::Value { value } => value.clone(),
            SecretSource::Stdin => {
                let mut s = String::new();
                std::io::stdin()
                    .take(64 * 1024)
                    .read_to_string(&mut s)
                    .context("cannot read the secret key from standard input")?;
                s
            }
        };
        let key = raw.trim();
        if key.is_empty() {
            bail!("the secret key from {} is empty", self.describe());
        }
        if key.chars().any(char::is_control) {
            bail!("the secret key from {} contains control characters; check it", self.describe());
        }
        Ok(SecretKey::new(key))
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    if meta.len() > 64 * 1024 {
        bail!("key file {} is {} bytes; a secret key is 64 characters", path.display(), meta.len());
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read key file {}", path.display()))
}

fn run_key_command(command: &[String]) -> anyhow::Result<String> {
    let (prog, args) = command.split_first().context("secret command is empty")?;
    // stderr is captured, never inherited: the command may run under the TUI, where its
    // messages would draw over the screen. Its last line explains a failure.
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run secret command `{prog}`"))?;
    if !out.status.success() {
        let mut err = String::from_utf8_lossy(&out.stderr).into_owned();
        // A failing command may still have printed the key, and echo it on stderr: never shown.
        let stdout = String::from_utf8_lossy(&out.stdout);
        for secret in stdout.lines().map(str::trim).filter(|l| l.len() >= 4) {
            err = err.replace(secret, "<redacted>");
        }
        let last: String = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(200).collect();
        let said = if last.is_empty() { String::new() } else { format!(": {}", crate::text::escape(last.trim())) };
        bail!("secret command `{prog}` failed with {}{said}", out.status);
    }
    // Like `pass`, the first line is the secret.
    let text = String::from_utf8(out.stdout).context("secret command output is not UTF-8")?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in review: a command that printed the key, echoed it on stderr and failed had
    /// the key shown in the error.
    #[test]
    fn a_failing_command_that_echoes_the_key_does_not_show_it() {
        let cmd = vec!["sh".into(), "-c".into(), "echo K3yK3yK3y; echo 'oops K3yK3yK3y' >&2; exit 3".into()];
        let e = SecretSource::Command { command: cmd }.resolve().unwrap_err().to_string();
        assert!(!e.contains("K3yK3yK3y"), "{e}");
        assert!(e.contains("oops <redacted>"), "{e}");
    }

    #[test]
    fn errors_name_the_source_not_the_value() {
        let e = SecretSource::Env { env: "TIMX_TEST_SURELY_UNSET_VAR".into() }.resolve().unwrap_err();
        assert!(e.to_string().contains("TIMX_TEST_SURELY_UNSET_VAR"));
        let k = SecretSource::Value { value: "  abc \n".into() }.resolve().unwrap();
        assert_eq!(k.expose(), "abc");
        let k = SecretSource::Command { command: vec!["printf".into(), "s3cret\\nmeta".into()] }.resolve().unwrap();
        assert_eq!(k.expose(), "s3cret");
    }

    #[test]
    fn a_failing_command_is_explained_from_its_captured_stderr() {
        let cmd = vec!["sh".into(), "-c".into(), "echo 'tim/x is not in the password store' >&2; exit 3".into()];
        let e = SecretSource::Command { command: cmd }.resolve().unwrap_err().to_string();
        assert!(e.contains("exit status: 3") && e.contains("not in the password store"), "{e}");
    }

    #[test]
    fn parses_every_toml_form() {
        #[derive(Deserialize)]
        struct W {
            key: SecretSource,
        }
        let w: W = toml::from_str(r#"key = { env = "X" }"#).unwrap();
        assert_eq!(w.key, SecretSource::Env { env: "X".into() });
        let w: W = toml::from_str(r#"key = { command = ["pass", "show", "tim"] }"#).unwrap();
        assert!(matches!(w.key, SecretSource::Command { .. }));
        let w: W = toml::from_str(r#"key = { file = "/k" }"#).unwrap();
        assert!(matches!(w.key, SecretSource::File { .. }));
    }
}
