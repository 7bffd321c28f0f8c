//! Files only their owner can read (configs, exports, undo files), written whole or not at all:
//! the text goes to a new 0600 file beside the target, which then replaces the target by
//! rename. An existing file's looser mode is never kept, and a symlink at the target is
//! replaced, not followed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// How a private file is opened: appended to (logs, the journal), truncated (an output that
/// grows as a job runs), or created anew (a temporary file, never an existing one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    Append,
    Truncate,
    CreateNew,
}

/// Open `path` as a file only its owner can read (a new file is made 0600). A symlink at
/// `path` is refused, not followed (it could point at anybody's file); a FIFO, a device or a
/// terminal (`-o /dev/null`, `-o /dev/stdout`) is written to as it is, its mode untouched.
/// Only a regular file is truncated and made 0600.
pub fn open(path: &Path, how: Open) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    match how {
        Open::Append => opts.append(true).create(true),
        // Truncated below, once it is known to be a regular file.
        Open::Truncate => opts.write(true).create(true),
        // create_new: never reuse (or follow a symlink planted at) the name.
        Open::CreateNew => opts.write(true).create_new(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = opts.open(path).map_err(|e| refused_link(path, e))?;
    if how == Open::Truncate && file.metadata()?.is_file() {
        file.set_len(0)?;
        // That mode is for a new file only: a regular file written anew is made private too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Why timx does not write to `path`, a symlink: `-o` and `--resume` say it alike.
pub(crate) fn symlink_refusal(path: &Path) -> String {
    format!("{} is a symbolic link: timx does not write through one (name the file it points to)", path.display())
}

/// The error of an open refused because the last component is a symlink, in words.
fn refused_link(path: &Path, e: std::io::Error) -> std::io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return std::io::Error::new(e.kind(), symlink_refusal(path));
    }
    let _ = path;
    e
}

/// Whether something other than a regular file, a directory or a symlink is at `path` (a
/// FIFO, a device, a socket): written to in place, never replaced.
fn special(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| {
        let t = m.file_type();
        !t.is_file() && !t.is_dir() && !t.is_symlink()
    })
}

/// Take the lock of the job writing `path` (a hidden `.NAME.timx-lock` beside it, held by
/// `flock` until the returned file is dropped or the process ends, however it ends). Another
/// holder is refused with the reason.
pub fn lock_beside(path: &Path) -> anyhow::Result<std::fs::File> {
    let lock = crate::paths::companion(path, "lock");
    let file = open(&lock, Open::Append).with_context(|| format!("cannot lock {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            bail!(
                "another timx is writing {} now (the same job started twice?): wait for it to end; nothing was sent",
                path.display()
            );
        }
    }
    Ok(file)
}

/// A private file being written; `commit` puts it in place. Dropped uncommitted, it is removed.
#[derive(Debug)]
pub struct PrivateFile {
    file: Option<std::fs::File>,
    /// The temporary file, or None when the target is written in place (a FIFO, a device).
    tmp: Option<PathBuf>,
    target: PathBuf,
}

/// The rename still to do for a file whose handle went elsewhere (`into_parts`): a writer can
/// own the file while this waits to put it in place. Dropped uncommitted, the file is removed.
#[derive(Debug)]
pub struct Pending {
    tmp: Option<PathBuf>,
    target: PathBuf,
    done: bool,
}

impl Pending {
    /// Sync what was written (through any handle) and move the file into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let target = self.target.clone();
        if let Some(tmp) = &self.tmp {
            std::fs::File::open(tmp)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(tmp, &target))
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (false, Some(tmp)) = (self.done, &self.tmp) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl PrivateFile {
    pub fn create(target: &Path) -> anyhow::Result<PrivateFile> {
        if special(target) {
            let file = open(target, Open::Truncate).with_context(|| format!("cannot write {}", target.display()))?;
            return Ok(PrivateFile { file: Some(file), tmp: None, target: target.to_owned() });
        }
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut last_err = None;
        for _ in 0..16 {
            let tmp = dir.join(format!(".{name}.{:08x}.tmp", rand::random::<u32>()));
            match open(&tmp, Open::CreateNew) {
                Ok(file) => return Ok(PrivateFile { file: Some(file), tmp: Some(tmp), target: target.to_owned() }),
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
        let Some(tmp) = self.tmp.take() else {
            // Written in place: a FIFO or a device has nothing to sync or rename.
            return self
                .file
                .take()
                .map_or(Ok(()), |mut f| f.flush())
                .with_context(|| format!("cannot write {}", target.display()));
        };
        if let Some(mut f) = self.file.take() {
            f.flush().and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", target.display()))?;
        }
        std::fs::rename(&tmp, &target).with_context(|| format!("cannot write {}", target.display()))
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
        if let (Some(_), Some(tmp)) = (self.file.take(), &self.tmp) {
            let _ = std::fs::remove_file(tmp);
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

    /// `-o` through a symlink: refused, the file it points to untouched (it used to be
    /// truncated and made 0600).
    #[test]
    fn an_output_opened_in_place_refuses_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("out.ndjson");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for how in [Open::Truncate, Open::Append, Open::CreateNew] {
            let e = open(&link, how).unwrap_err();
            if how != Open::CreateNew {
                assert!(e.to_string().contains("is a symbolic link"), "{e}");
            }
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(mode(&victim), 0o644);
    }

    /// `-o /dev/null`, a FIFO: written to, nothing about them changed (as root, `/dev/null`
    /// used to be made 0600). The device is a `mknod` one in a temp dir when running as root.
    #[test]
    fn a_device_or_a_fifo_is_written_in_place_and_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").args(["-m", "644"]).arg(&fifo).status().unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        let mut f = open(&fifo, Open::Truncate).unwrap();
        f.write_all(b"rows\n").unwrap();
        drop(f);
        assert_eq!(reader.join().unwrap(), b"rows\n");
        assert_eq!(mode(&fifo), 0o644);
        let null = dir.path().join("null");
        let root = std::process::Command::new("mknod").args(["-m", "666"]).arg(&null).args(["c", "1", "3"]).status();
        if !root.is_ok_and(|s| s.success()) {
            eprintln!("skipped the device case: mknod needs root");
            return;
        }
        let mut f = open(&null, Open::Truncate).unwrap();
        f.write_all(b"rows").unwrap();
        assert_eq!(mode(&null), 0o666, "the device keeps its mode");
        let mut p = PrivateFile::create(&null).unwrap();
        p.write_all(b"export").unwrap();
        p.commit().unwrap();
        let t = std::fs::symlink_metadata(&null).unwrap().file_type();
        use std::os::unix::fs::FileTypeExt;
        assert!(t.is_char_device(), "an export to a device is not replaced by a file");
        assert_eq!(mode(&null), 0o666);
    }

    /// Found in review: the same resume started twice ran twice at once and recorded accounts
    /// twice in the undo file. The second is refused while the first holds the lock.
    #[test]
    fn a_job_lock_is_held_once() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.ndjson");
        let first = lock_beside(&out).unwrap();
        let e = lock_beside(&out).unwrap_err().to_string();
        assert!(e.contains("another timx is writing"), "{e}");
        drop(first);
        assert!(lock_beside(&out).is_ok(), "free again once the first ends");
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
