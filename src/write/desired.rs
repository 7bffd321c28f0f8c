//! A desired-state file (`timx apply -f`, the explorer's `:apply` and `:undo`) read into what a
//! write job takes: the accounts, each one's desired state, and the rows that must not be
//! written (a repeated account, a value over a limit, an attribute the app does not have).

use std::collections::{BTreeSet, HashSet};

use crate::engine::{Normalized, Normalizer};
use crate::export::Format;
use crate::write::States;
use crate::write::state_file;
use crate::write::want::{check_names, check_values, mentioned_names};

#[derive(Debug, Default)]
pub struct Desired {
    pub input: Normalized,
    pub states: States,
    /// Accounts named by more than one row.
    pub repeats: HashSet<String>,
    /// Every attribute name the rows speak for.
    pub mentioned: BTreeSet<String>,
    /// Rows whose values break a limit, with why.
    pub invalid: Vec<(u32, String)>,
    /// (account, why): rows set aside because their data was not read (a failed row of an export),
    /// the first `SHOWN` of them.
    pub skipped: Vec<(String, String)>,
    /// How many more rows were set aside.
    pub skipped_more: u64,
    /// What was read other than as written (a tag given twice in a row's set, counted once),
    /// escaped for a terminal: for the user to see before the plan (the first `SHOWN`, then
    /// how many more).
    pub notes: Vec<String>,
}

/// How many skipped rows and notes are kept to be shown: a file of ten million rows that all
/// have one must not fill the memory with them.
const SHOWN: usize = 1000;

impl Desired {
    /// A desired-state file's text (the states kept in memory).
    pub fn parse(text: &str, format: Format) -> anyhow::Result<Desired> {
        Desired::from_rows(States::default(), &mut |sink| state_file::parse_each(text, format, sink))
    }

    /// A desired-state file read as it streams, its states kept in a temporary file so memory
    /// stays flat whatever its size; with the hash of its bytes (what names the job).
    pub fn read(path: &std::path::Path, format: Format) -> anyhow::Result<(Desired, String)> {
        let mut hash = String::new();
        let d = Desired::from_rows(States::spilled()?, &mut |sink| {
            hash = state_file::read_each(path, format, sink)?;
            Ok(())
        })?;
        Ok((d, hash))
    }

    /// `read` of a stream (standard input), named `what` in messages.
    pub fn read_stream(mut src: impl std::io::Read, what: &str, format: Format) -> anyhow::Result<(Desired, String)> {
        let mut hash = String::new();
        let d = Desired::from_rows(States::spilled()?, &mut |sink| {
            hash = state_file::stream_from(&mut src, what, format, sink)?;
            Ok(())
        })?;
        Ok((d, hash))
    }

    fn from_rows(
        states: States,
        rows: &mut dyn FnMut(&mut state_file::Sink<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<Desired> {
        let mut d = Desired { states, ..Desired::default() };
        let mut n = Normalizer::new();
        let mut more_notes = 0u64;
        rows(&mut |row| {
            let state_file::Row { state, status, note } = row;
            if let Some(why) = state_file::not_read(status) {
                if d.skipped.len() < SHOWN {
                    d.skipped.push((state.account, why));
                } else {
                    d.skipped_more += 1;
                }
                return;
            }
            match note {
                Some(note) if d.notes.len() < SHOWN => d.notes.push(note),
                Some(_) => more_notes += 1,
                None => {}
            }
            let Some(i) = n.push_account(state.account.trim()) else {
                d.repeats.insert(state.account.trim().to_owned());
                return;
            };
            for name in mentioned_names(&state) {
                if !d.mentioned.contains(name) {
                    d.mentioned.insert(name.clone());
                }
            }
            if let Err(why) = check_values(&state) {
                d.invalid.push((i, why));
            }
            d.states.push(state);
        })?;
        d.states.seal()?;
        if more_notes > 0 {
            d.notes.push(format!("… and {more_notes} more notes like these"));
        }
        d.input = n.finish();
        Ok(d)
    }

    /// Whether the rows name an attribute and the app's names are needed to check them.
    pub fn needs_names(&self) -> bool {
        !self.mentioned.is_empty()
    }

    /// Mark what must not be written as invalid (repeated accounts; with the app's names, rows
    /// naming an attribute it lacks) and return the job's input and desired states.
    pub fn finish(self, app_names: &[String]) -> (Normalized, States) {
        let Desired { mut input, states, repeats, mentioned, mut invalid, .. } = self;
        invalid.extend(
            (0..input.total() as u32)
                .filter(|i| repeats.contains(input.entries.get(*i as usize)))
                .map(|i| (i, "appears in more than one row: timx will not guess which one is meant".to_string())),
        );
        // Rows naming an attribute the app lacks (rare): find them by decoding.
        if mentioned.iter().any(|n| !app_names.contains(n)) {
            for i in 0..input.total() as u32 {
                if let Some(s) = states.get(i, input.entries.get(i as usize))
                    && let Err(why) = check_names(&s, app_names)
                {
                    invalid.push((i, why));
                }
            }
        }
        input.mark_invalid(invalid);
        (input, states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_tag_is_a_note_and_the_row_is_still_written() {
        let d = Desired::parse("account,tags\nbob,vip;vip\n\"zed\",x\n", Format::Csv).unwrap();
        assert_eq!(d.notes, ["line 2: bob: tag \"vip\" given more than once: counted once"]);
        assert!(d.invalid.is_empty() && d.skipped.is_empty());
        let (input, states) = d.finish(&[]);
        assert_eq!(input.total(), 2);
        let bob = states.get(0, input.entries.get(0)).unwrap();
        assert_eq!(bob.tags.as_deref(), Some(&["vip".to_string()][..]));
    }
}
