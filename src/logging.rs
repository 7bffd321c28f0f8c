//! Logs go to a file, never to the terminal the TUI draws on, and pass through a redactor
//! so a UserSig cannot reach them even by mistake.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone)]
struct Redacting {
    file: Arc<Mutex<std::fs::File>>,
}

struct Line {
    file: Arc<Mutex<std::fs::File>>,
    buf: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = crate::client::redact_url(&String::from_utf8_lossy(&self.buf));
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(text.as_bytes());
        }
    }
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line { file: self.file.clone(), buf: Vec::new() }
    }
}

pub fn default_log_file() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("timx.log"))
}

/// Start logging to `path` at `level` (RUST_LOG wins when set). Failure to open the file is
/// not fatal: timx runs without a log and says why on stderr.
pub fn init(path: Option<&Path>, level: &str) -> Option<PathBuf> {
    let path = path.map(Path::to_owned).or_else(default_log_file)?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match crate::private_file::open(&path, crate::private_file::Open::Append) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("timx: logging disabled: cannot open {}: {e}", path.display());
            return None;
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("timx={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Redacting { file: Arc::new(Mutex::new(file)) })
        .try_init();
    Some(path)
}
