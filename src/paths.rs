//! Paths a user types (the explorer's `:export`, `:apply`, `:load`, a `@FILE` condition) and
//! the files read from them: a leading `~/` is the home directory, as in a shell; where a
//! regular file is meant, a FIFO, a device or a directory is refused, and what is read is
//! capped, so `/dev/zero` or a runaway file cannot fill the memory.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Account lists and edited exports: 10 million rows of a few dozen bytes.
pub const INPUT_CAP: u64 = 1 << 30;
/// A condition or body file (the service takes a few KB).
pub const CONDITION_CAP: u64 = 1 << 20;

/// `~` and `~/…` as the home directory; anything else as typed.
pub fn expand(typed: &str) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_owned());
    match typed.strip_prefix('~') {
        Some("") => home().unwrap_or_else(|| typed.into()),
        Some(rest) if rest.starts_with('/') => match home() {
            Some(h) => h.join(rest.trim_start_matches('/')),
            None => typed.into(),
        },
        _ => typed.into(),
    }
}

/// The hidden companion of a file a job writes (`.NAME.timx-KIND` in its directory): its lock,
/// what a trace traced.
pub fn companion(path: &Path, kind: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.timx-{kind}"))
}

/// Refuse an output that is one of the inputs (`-f list.txt -o list.txt`): the input would be
/// replaced by the outcomes, and a reviewed plan lost.
pub fn output_is_not_an_input<'a>(
    output: Option<&Path>,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> anyhow::Result<()> {
    let Some(out) = output else { return Ok(()) };
    let Ok(o) = std::fs::metadata(out) else { return Ok(()) };
    for input in inputs {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if std::fs::metadata(input).is_ok_and(|i| i.is_file() && i.dev() == o.dev() && i.ino() == o.ino()) {
                anyhow::bail!(
                    "-o {} is also an input: it would be overwritten with the outcomes; name another file",
                    shown(out)
                );
            }
        }
    }
    Ok(())
}

/// The absolute form of a path, for messages (the path itself when it cannot be made).
pub fn shown(p: &Path) -> String {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned()).display().to_string()
}

/// What is at `p`, when it is not a regular file, in words ("a FIFO", "a directory", …).
pub fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some(if t.is_dir() { "a directory" } else { "not a regular file" })
}

/// Open `p` for reading only if it is a regular file (a symlink to one is fine); the error
/// says what it is otherwise. The check is on the opened file, so it cannot be swapped
/// between the check and the read — and opening a FIFO does not wait for a writer.
pub fn open_regular(p: &Path) -> anyhow::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts.open(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", shown(p)))?;
    let meta = f.metadata().map_err(|e| anyhow::anyhow!("cannot read {}: {e}", shown(p)))?;
    if let Some(what) = not_regular(&meta) {
        anyhow::bail!("cannot read {}: it is {what}; timx reads a regular file here", shown(p));
    }
    Ok(f)
}

/// Read a whole regular file of at most `cap` bytes.
pub fn read_capped(p: &Path, cap: u64) -> anyhow::Result<Vec<u8>> {
    read_capped_until(p, cap, &|| false)
}

/// [`read_capped`], given up when `stopped` says so (checked every MiB).
pub fn read_capped_until(p: &Path, cap: u64, stopped: &dyn Fn() -> bool) -> anyhow::Result<Vec<u8>> {
    let mut f = open_regular(p)?.take(cap + 1);
    let mut bytes = Vec::new();
    loop {
        if stopped() {
            anyhow::bail!("stopped reading {}", shown(p));
        }
        let n = (&mut f)
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", shown(p)))?;
        if n == 0 {
            break;
        }
    }
    if bytes.len() as u64 > cap {
        anyhow::bail!("{} is larger than {}: timx stops reading there", shown(p), size(cap));
    }
    Ok(bytes)
}

/// A whole regular text file of at most `cap` bytes.
pub fn read_text_capped(p: &Path, cap: u64) -> anyhow::Result<String> {
    String::from_utf8(read_capped(p, cap)?).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", shown(p)))
}

/// A cap in words ("1 GiB").
pub(crate) fn size(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{} GiB", n >> 30)
    } else if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_tilde_is_the_home_directory() {
        let home = directories::BaseDirs::new().unwrap().home_dir().to_owned();
        assert_eq!(expand("~/x.csv"), home.join("x.csv"));
        assert_eq!(expand("~"), home);
        assert_eq!(expand("~other/x"), PathBuf::from("~other/x"), "another user's home is not guessed");
        assert_eq!(expand("a/~/b"), PathBuf::from("a/~/b"));
    }

    #[test]
    fn only_regular_files_are_read_and_the_read_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "0123456789").unwrap();
        assert_eq!(read_capped(&f, 10).unwrap(), b"0123456789");
        let e = read_capped(&f, 9).unwrap_err().to_string();
        assert!(e.contains("larger than 9 bytes"), "{e}");
        let e = read_capped(dir.path(), 10).unwrap_err().to_string();
        assert!(e.contains("a directory"), "{e}");
        #[cfg(unix)]
        {
            let e = read_capped(Path::new("/dev/zero"), INPUT_CAP).unwrap_err().to_string();
            assert!(e.contains("a device"), "{e}");
            let fifo = dir.path().join("fifo");
            assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
            let e = read_capped(&fifo, INPUT_CAP).unwrap_err().to_string();
            assert!(e.contains("a FIFO"), "{e}");
            let link = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            let e = read_capped(&link, INPUT_CAP).unwrap_err().to_string();
            assert!(e.contains("a device"), "a link to /dev/zero: {e}");
        }
    }
}
