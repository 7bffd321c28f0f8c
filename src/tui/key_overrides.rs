//! The config's `[keys]` table: action names mapped to keys, as slumber and gitui allow.
//!
//! ```toml
//! [keys]
//! quit = "Q"                    # every binding of the action
//! run = ["ctrl-r", "f5"]
//! [keys.results]                # only in one context
//! export = "x"
//! ```
//!
//! Checked before the explorer starts: an unknown action, context or key, a plain character for
//! a key that must work while typing accounts, or a key another action already has where both
//! are live, is an error naming the entry (and, through `config::locate`, its line).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyModifiers};
use serde::{Deserialize, Serialize};

use super::keymap::{Action, BINDINGS, Binding, Context, key_label, normalized};

/// One entry of `[keys]`: keys for an action, or a context's table of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyEntry {
    Keys(KeyList),
    Context(BTreeMap<String, KeyList>),
}

/// One key or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    fn items(&self) -> Vec<&str> {
        match self {
            KeyList::One(k) => vec![k.as_str()],
            KeyList::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What is wrong with an entry, and where (`keys.results.export` → `["results", "export"]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keys.{}: {message}", path.join("."))]
pub struct KeyError {
    pub path: Vec<String>,
    pub message: String,
}

/// `CopyAccounts` → `copy_accounts`: the names `[keys]` uses.
fn snake(debug: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

pub fn action_name(a: Action) -> String {
    snake(&format!("{a:?}"))
}

pub fn context_name(c: Context) -> String {
    snake(&format!("{c:?}"))
}

/// `q`, `Q`, `ctrl-r`, `shift-tab`, `f5`, `enter`, `esc`, `space`, `pgdn`…
pub fn parse_key(text: &str) -> Option<(KeyModifiers, KeyCode)> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let (m, n) = if lower.starts_with("ctrl-") {
            (KeyModifiers::CONTROL, 5)
        } else if lower.starts_with("shift-") {
            (KeyModifiers::SHIFT, 6)
        } else if lower.starts_with("alt-") {
            (KeyModifiers::ALT, 4)
        } else {
            break;
        };
        if rest.len() == n {
            break;
        }
        mods |= m;
        rest = &rest[n..];
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
        (Some(c), None) => KeyCode::Char(c),
        _ => match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.starts_with('f') => KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?),
            _ => return None,
        },
    };
    Some((mods, code))
}

/// The table with `keys` applied, or the first problem found.
pub fn build(keys: &BTreeMap<String, KeyEntry>) -> Result<Vec<Binding>, KeyError> {
    let mut table: Vec<Binding> = BINDINGS.to_vec();
    let mut changed: Vec<(usize, Vec<String>)> = Vec::new();
    for (name, entry) in keys {
        match entry {
            KeyEntry::Keys(list) => apply(&mut table, &mut changed, None, std::slice::from_ref(name), list)?,
            KeyEntry::Context(map) => {
                let ctx = Context::ALL.into_iter().find(|c| context_name(*c) == *name).ok_or_else(|| KeyError {
                    path: vec![name.clone()],
                    message: format!(
                        "no context or action named {name:?}; contexts: {}",
                        Context::ALL.map(context_name).join(", ")
                    ),
                })?;
                for (action, list) in map {
                    apply(&mut table, &mut changed, Some(ctx), &[name.clone(), action.clone()], list)?;
                }
            }
        }
    }
    check_collisions(&table, &changed)?;
    Ok(table)
}

fn apply(
    table: &mut [Binding],
    changed: &mut Vec<(usize, Vec<String>)>,
    ctx: Option<Context>,
    path: &[String],
    list: &KeyList,
) -> Result<(), KeyError> {
    let err = |message: String| KeyError { path: path.to_vec(), message };
    let name = path.last().map(String::as_str).unwrap_or_default();
    let action = Action::ALL.into_iter().find(|a| action_name(*a) == name).ok_or_else(|| {
        err(format!("no action named {name:?}; actions: {}", Action::ALL.map(action_name).join(", ")))
    })?;
    let mut keys = Vec::new();
    for k in list.items() {
        let key = parse_key(k).ok_or_else(|| {
            err(format!("{k:?} is not a key; keys look like q, Q, ctrl-r, shift-tab, f5, enter, esc, space, pgdn"))
        })?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(err("no key given".into()));
    }
    let targets: Vec<usize> =
        (0..table.len()).filter(|i| table[*i].action == action && ctx.is_none_or(|c| table[*i].context == c)).collect();
    if targets.is_empty() {
        let has: Vec<String> = table.iter().filter(|b| b.action == action).map(|b| context_name(b.context)).collect();
        return Err(err(format!("{name} has no key in that context (it has: {})", has.join(", "))));
    }
    for i in targets {
        if table[i].context == Context::Always
            && let Some((_, c)) = keys.iter().find(|(m, c)| typed(*m, c))
        {
            return Err(err(format!(
                "{} works while typing accounts, so it cannot be the plain key {}; use ctrl- or a function key",
                name,
                key_label(KeyModifiers::NONE, *c)
            )));
        }
        table[i].keys = std::borrow::Cow::Owned(keys.clone());
        changed.push((i, path.to_vec()));
    }
    Ok(())
}

/// A key that types text in the accounts editor.
fn typed(m: KeyModifiers, c: &KeyCode) -> bool {
    matches!(c, KeyCode::Char(_)) && (m - KeyModifiers::SHIFT).is_empty()
}

/// A changed key that another action has where both are live is a collision.
fn check_collisions(table: &[Binding], changed: &[(usize, Vec<String>)]) -> Result<(), KeyError> {
    for (i, path) in changed {
        let b = &table[*i];
        for ctx in Context::ALL {
            for editing in [false, true] {
                let layers = ctx.layers(editing);
                if !layers.contains(&b.context) {
                    continue;
                }
                let other = table.iter().filter(|o| o.action != b.action && layers.contains(&o.context)).find(|o| {
                    o.keys.iter().any(|(om, oc)| b.keys.iter().any(|(m, c)| normalized(*om, oc) == normalized(*m, c)))
                });
                if let Some(o) = other {
                    return Err(KeyError {
                        path: path.clone(),
                        message: format!(
                            "{} is already {} ({}); pick another key or move that one too",
                            super::keymap::label(b),
                            action_name(o.action),
                            o.desc
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(toml_text: &str) -> Result<Vec<Binding>, KeyError> {
        #[derive(Deserialize)]
        struct F {
            keys: BTreeMap<String, KeyEntry>,
        }
        let f: F = toml::from_str(toml_text).unwrap();
        build(&f.keys)
    }

    fn find(table: &[Binding], action: Action, ctx: Context) -> String {
        table.iter().find(|b| b.action == action && b.context == ctx).map(super::super::keymap::label).unwrap()
    }

    #[test]
    fn keys_are_parsed_as_people_write_them() {
        assert_eq!(parse_key("q"), Some((KeyModifiers::NONE, KeyCode::Char('q'))));
        assert_eq!(parse_key("Ctrl-R"), Some((KeyModifiers::CONTROL, KeyCode::Char('r'))));
        assert_eq!(parse_key("shift-tab"), Some((KeyModifiers::NONE, KeyCode::BackTab)));
        assert_eq!(parse_key("f5"), Some((KeyModifiers::NONE, KeyCode::F(5))));
        assert_eq!(parse_key("space"), Some((KeyModifiers::NONE, KeyCode::Char(' '))));
        assert_eq!(parse_key("-"), Some((KeyModifiers::NONE, KeyCode::Char('-'))));
        assert_eq!(parse_key("f13"), None);
        assert_eq!(parse_key("hyper-x"), None);
    }

    #[test]
    fn overrides_apply_per_action_or_per_context() {
        let t = keys("[keys]\nquit = \"Q\"\nrun = [\"ctrl-e\", \"f6\"]\n[keys.results]\nexport = \"x\"\n").unwrap();
        assert_eq!(find(&t, Action::Quit, Context::Global), "Q");
        assert_eq!(find(&t, Action::Quit, Context::FirstRun), "Q");
        assert_eq!(find(&t, Action::Run, Context::Always), "Ctrl-E / F6");
        assert_eq!(find(&t, Action::Export, Context::Results), "x");
        assert_eq!(find(&t, Action::SortColumn, Context::Results), "s", "the rest is untouched");
    }

    #[test]
    fn bad_entries_name_what_is_wrong() {
        let e = keys("[keys]\nquitt = \"Q\"\n").unwrap_err();
        assert!(e.message.contains("no action named \"quitt\"") && e.message.contains("force_quit"), "{e}");
        let e = keys("[keys]\nquit = \"hyper-q\"\n").unwrap_err();
        assert!(e.message.contains("not a key"), "{e}");
        let e = keys("[keys.resluts]\nexport = \"x\"\n").unwrap_err();
        assert!(e.message.contains("command_input"), "{e}");
        let e = keys("[keys.form]\nexport = \"x\"\n").unwrap_err();
        assert!(e.message.contains("it has: results"), "{e}");
        let e = keys("[keys]\nhelp = \"h\"\n").unwrap_err();
        assert!(e.message.contains("while typing accounts"), "{e}");
        assert_eq!(e.path, ["help"]);
        // `s` sorts in the results: quitting with it would never work there.
        let e = keys("[keys]\nquit = \"s\"\n").unwrap_err();
        assert!(e.message.contains("sort_column"), "{e}");
        let e = keys("[keys.results]\nexport = \"Y\"\n").unwrap_err();
        assert!(e.message.contains("copy_row"), "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("keys.results.export"));
    }
}
