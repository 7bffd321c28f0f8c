//! The secret-key flags shared by every command that signs: never the key itself on argv.

use std::path::PathBuf;

use clap::Args;

use crate::secret::{DEFAULT_KEY_ENV, SecretSource};
use crate::usersig::SecretKey;

#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// Read the secret key from this environment variable.
    #[arg(long, value_name = "VAR", default_value = DEFAULT_KEY_ENV, global = false)]
    pub key_env: String,
    /// Read the secret key from a file (first line).
    #[arg(long, value_name = "PATH", conflicts_with = "key_stdin")]
    pub key_file: Option<PathBuf>,
    /// Read the secret key from standard input.
    #[arg(long)]
    pub key_stdin: bool,
}

impl KeyArgs {
    pub fn source(&self) -> SecretSource {
        if let Some(f) = &self.key_file {
            SecretSource::File { file: f.clone() }
        } else if self.key_stdin {
            SecretSource::Stdin
        } else {
            SecretSource::Env { env: self.key_env.clone() }
        }
    }

    /// True when the user named a source explicitly (a file, stdin, or a non-default env var).
    pub fn explicit(&self) -> bool {
        self.key_file.is_some() || self.key_stdin || self.key_env != DEFAULT_KEY_ENV
    }

    pub fn resolve(&self) -> anyhow::Result<SecretKey> {
        self.source().resolve()
    }

    /// The key if one is available; an explicit source that fails is an error.
    pub fn resolve_optional(&self) -> anyhow::Result<Option<SecretKey>> {
        if !self.explicit() && std::env::var_os(&self.key_env).is_none() {
            return Ok(None);
        }
        self.resolve().map(Some)
    }
}
