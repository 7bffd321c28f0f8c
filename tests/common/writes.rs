//! Helpers the write tests share: the demo data, what the emulator holds, how many write calls
//! it answered, a write's output rows and the undo file it announced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use timx::emulator::Running;
use timx::emulator::data::DataFile;

/// The demo app's data (`assets/demo/demo.json`).
pub fn demo() -> DataFile {
    DataFile::load(Path::new("assets/demo/demo.json")).unwrap()
}

/// An account's attributes by name, and its tags.
pub type State = (BTreeMap<String, String>, Vec<String>);

/// What the emulator holds for an account.
pub fn held(emu: &Running, account: &str) -> Option<State> {
    emu.with_store(|s| {
        let u = s.users.get(account)?;
        let attrs = u.attrs.iter().filter_map(|(slot, v)| Some((s.attr_names[*slot].clone()?, v.clone()))).collect();
        Some((attrs, u.tags.clone()))
    })
}

/// Calls the emulator answered for write commands.
pub fn write_calls(emu: &Running) -> u64 {
    emu.stats().by_path.iter().filter(|(p, _)| !p.contains("get_")).flat_map(|(_, m)| m.values()).sum()
}

/// The rows of a write's output or file, after its job's head line.
pub fn write_rows(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !timx::write::file_head::FileHead::is_head(l))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The undo file a write announced on stderr.
pub fn undo_path(o: &std::process::Output) -> PathBuf {
    let err = super::text(&o.stderr);
    let line = err.lines().find(|l| l.starts_with("timx: undo file: ")).unwrap_or_else(|| panic!("{err}"));
    PathBuf::from(line["timx: undo file: ".len()..].split(" (").next().unwrap())
}
