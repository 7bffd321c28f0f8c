//! Files only their owner can read (configs, exports, undo files), written whole or not at all:
//! the text goes to a new 0600 file beside the target, which then replaces the target by
//! rename. An existing file's looser mode is never kept, and a symlink at the target is
//! replaced, not followed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// How a private file is opened: appended to (logs, the journal), truncated (an output that
/// grows as a job runs), or created anew (a temporary file, never an existing one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    Append,
    Truncate,
    CreateNew,
}

/// Open `path` as a file only its owner can read (a new file is made 0600).
pub fn open(path: &Path, how: Open) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    match how {
        Open::Append => opts.append(true).create(true),
        Open::Truncate => opts.write(true).create(true).truncate(true),
        // create_new: never reuse (or follow a symlink planted at) the name.
        Open::CreateNew => opts.write(true).create_new(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    // That mode is for a new file only: a file written anew is made private too.
    #[cfg(unix)]
    if how == Open::Truncate {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// A private file being written; `commit` puts it in place. Dropped uncommitted, it is removed.
#[derive(Debug)]
pub struct PrivateFile {
    file: Option<std::fs::File>,
    tmp: PathBuf,
    target: PathBuf,
}

/// The rename still to do for a file whose handle went elsewhere (`into_parts`): a writer can
/// own the file while this waits to put it in place. Dropped uncommitted, the file is removed.
#[derive(Debug)]
pub struct Pending {
    tmp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Pending {
    /// Sync what was written (through any handle) and move the file into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let target = self.target.clone();
        std::fs::File::open(&self.tmp)
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &target))
            .with_context(|| format!("cannot write {}", target.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl PrivateFile {
    pub fn create(target: &Path) -> anyhow::Result<PrivateFile> {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut last_err = None;
        for _ in 0..16 {
            let tmp = dir.join(format!(".{name}.{:08x}.tmp", rand::random::<u32>()));
            match open(&tmp, Open::CreateNew) {
                Ok(file) => return Ok(PrivateFile { file: Some(file), tmp, target: target.to_owned() }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(e).with_context(|| format!("cannot write {}", target.display())),
            }
        }
        Err(anyhow::anyhow!("cannot write {}: {:?}", target.display(), last_err))
    }

    /// The open file and the rename still to do.
    pub fn into_parts(mut self) -> anyhow::Result<(std::fs::File, Pending)> {
        let pending = Pending { tmp: self.tmp.clone(), target: self.target.clone(), done: false };
        let file = self.file.take().context("file already committed")?;
        Ok((file, pending))
    }

    /// Flush, sync and move the file into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let target = self.target.clone();
        if let Some(mut f) = self.file.take() {
            f.flush().and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", target.display()))?;
        }
        std::fs::rename(&self.tmp, &target).with_context(|| format!("cannot write {}", target.display()))
    }
}

impl Write for PrivateFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write a whole private file.
pub fn write(target: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = PrivateFile::create(target)?;
    f.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", target.display()))?;
    f.commit()
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_existing_file_is_replaced_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn a_symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write(&link, "export").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(mode(&link), 0o600);
    }

    #[test]
    fn a_file_handed_to_a_writer_is_put_in_place_by_its_pending_rename() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.ndjson");
        let (mut file, pending) = PrivateFile::create(&p).unwrap().into_parts().unwrap();
        file.write_all(b"{}\n").unwrap();
        drop(file);
        assert!(!p.exists(), "not in place before the commit");
        pending.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{}\n");
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn a_file_written_anew_in_place_is_made_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rows.ndjson");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = open(&p, Open::Truncate).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        let mut f = PrivateFile::create(&p).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
