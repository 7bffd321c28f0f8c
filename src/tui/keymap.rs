//! Every key binding, in one table: `update` looks keys up here and the help overlay is
//! generated from the same table, so the help can never disagree with the app.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    ForceQuit,
    NextPane,
    PrevPane,
    Help,
    Run,
    Cancel,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Open,
    Filter,
    SortColumn,
    SortReverse,
    NextTab,
    TabAttrs,
    TabTags,
    TabSummary,
    Export,
    CopyAccount,
    CopyRow,
    CopyAccounts,
    CommandLine,
    Probe,
    NewProfile,
    Refresh,
    NextAttr,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, including while typing in the accounts editor.
    Always,
    /// Everywhere except the accounts editor (where the key types text).
    Global,
    Profiles,
    Results,
    Overlay,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Always => "Anywhere",
            Context::Global => "Outside the editor",
            Context::Profiles => "Profiles",
            Context::Results => "Results",
            Context::Overlay => "Detail / help",
        }
    }
}

pub struct Binding {
    pub keys: &'static [(KeyModifiers, KeyCode)],
    pub label: &'static str,
    pub action: Action,
    pub context: Context,
    pub desc: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

use Action::*;
use Context::*;
use KeyCode::{
    BackTab, Char, Down as KDown, End, Enter, Esc, F, Home, Left as KLeft, PageDown as KPgDn, PageUp as KPgUp,
    Right as KRight, Tab, Up as KUp,
};

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[(CTRL, Char('c'))],
        label: "Ctrl-C",
        action: ForceQuit,
        context: Always,
        desc: "quit (always works)",
    },
    Binding { keys: &[(NONE, Tab)], label: "Tab", action: NextPane, context: Always, desc: "next pane" },
    Binding {
        keys: &[(SHIFT, BackTab), (NONE, BackTab)],
        label: "Shift-Tab",
        action: PrevPane,
        context: Always,
        desc: "previous pane",
    },
    Binding {
        keys: &[(CTRL, Char('r')), (NONE, F(5))],
        label: "Ctrl-R / F5",
        action: Run,
        context: Always,
        desc: "run: attributes and tags of the accounts",
    },
    Binding {
        keys: &[(NONE, Esc)],
        label: "Esc",
        action: Cancel,
        context: Always,
        desc: "cancel the running job / close / leave the editor",
    },
    Binding { keys: &[(NONE, F(1))], label: "F1", action: Help, context: Always, desc: "help" },
    Binding { keys: &[(NONE, Char('?'))], label: "?", action: Help, context: Global, desc: "help" },
    Binding { keys: &[(NONE, Char('q'))], label: "q", action: Quit, context: Global, desc: "quit" },
    Binding {
        keys: &[(NONE, Char(':'))],
        label: ":",
        action: CommandLine,
        context: Global,
        desc: "command line (profile, family, export, load, probe, run, quit)",
    },
    Binding { keys: &[(NONE, Char('n'))], label: "n", action: NewProfile, context: Global, desc: "new profile form" },
    Binding {
        keys: &[(NONE, Char('R'))],
        label: "R",
        action: Refresh,
        context: Global,
        desc: "reload attribute names",
    },
    Binding {
        keys: &[(NONE, Char('p'))],
        label: "p",
        action: Probe,
        context: Global,
        desc: "probe other regions for this SDKAppID",
    },
    Binding { keys: &[(NONE, KUp), (NONE, Char('k'))], label: "↑ / k", action: Up, context: Global, desc: "move up" },
    Binding {
        keys: &[(NONE, KDown), (NONE, Char('j'))],
        label: "↓ / j",
        action: Down,
        context: Global,
        desc: "move down",
    },
    Binding {
        keys: &[(NONE, KPgUp), (CTRL, Char('u'))],
        label: "PgUp / Ctrl-U",
        action: PageUp,
        context: Global,
        desc: "page up",
    },
    Binding {
        keys: &[(NONE, KPgDn), (CTRL, Char('d'))],
        label: "PgDn / Ctrl-D",
        action: PageDown,
        context: Global,
        desc: "page down",
    },
    Binding {
        keys: &[(NONE, Home), (NONE, Char('g'))],
        label: "Home / g",
        action: Top,
        context: Global,
        desc: "first row",
    },
    Binding {
        keys: &[(NONE, End), (SHIFT, Char('G')), (NONE, Char('G'))],
        label: "End / G",
        action: Bottom,
        context: Global,
        desc: "last row",
    },
    Binding {
        keys: &[(NONE, Enter)],
        label: "Enter",
        action: Open,
        context: Profiles,
        desc: "use this profile (reads its attribute names)",
    },
    Binding {
        keys: &[(NONE, Enter)],
        label: "Enter",
        action: Open,
        context: Results,
        desc: "detail of the account: attributes, tags, raw JSON, error and fix",
    },
    Binding {
        keys: &[(NONE, KLeft), (NONE, Char('h'))],
        label: "← / h",
        action: Left,
        context: Results,
        desc: "previous column (sort target, scrolls wide tables)",
    },
    Binding {
        keys: &[(NONE, KRight), (NONE, Char('l'))],
        label: "→ / l",
        action: Right,
        context: Results,
        desc: "next column",
    },
    Binding {
        keys: &[(NONE, Char('/'))],
        label: "/",
        action: Filter,
        context: Results,
        desc: "filter rows (substring; Esc clears)",
    },
    Binding {
        keys: &[(NONE, Char('s'))],
        label: "s",
        action: SortColumn,
        context: Results,
        desc: "sort by the current column",
    },
    Binding {
        keys: &[(NONE, Char('S')), (SHIFT, Char('S'))],
        label: "S",
        action: SortReverse,
        context: Results,
        desc: "reverse the sort",
    },
    Binding {
        keys: &[(NONE, Char('t'))],
        label: "t",
        action: NextTab,
        context: Results,
        desc: "next tab (attributes, tags, summary)",
    },
    Binding { keys: &[(NONE, Char('1'))], label: "1", action: TabAttrs, context: Results, desc: "attributes tab" },
    Binding { keys: &[(NONE, Char('2'))], label: "2", action: TabTags, context: Results, desc: "tags tab" },
    Binding { keys: &[(NONE, Char('3'))], label: "3", action: TabSummary, context: Results, desc: "summary charts" },
    Binding {
        keys: &[(NONE, Char('a'))],
        label: "a",
        action: NextAttr,
        context: Results,
        desc: "summary: next attribute",
    },
    Binding {
        keys: &[(NONE, Char('e'))],
        label: "e",
        action: Export,
        context: Results,
        desc: "export (CSV/JSON/NDJSON by extension)",
    },
    Binding {
        keys: &[(NONE, Char('y'))],
        label: "y",
        action: CopyAccount,
        context: Results,
        desc: "copy the account (OSC 52)",
    },
    Binding {
        keys: &[(NONE, Char('Y')), (SHIFT, Char('Y'))],
        label: "Y",
        action: CopyRow,
        context: Results,
        desc: "copy the row as JSON",
    },
    Binding {
        keys: &[(CTRL, Char('y'))],
        label: "Ctrl-Y",
        action: CopyAccounts,
        context: Results,
        desc: "copy the shown accounts, one per line",
    },
];

fn matches(b: &Binding, key: &KeyEvent) -> bool {
    b.keys.iter().any(|(m, c)| {
        // Terminals differ on whether Shift is reported with an upper-case letter.
        let mods = if matches!(c, Char(ch) if ch.is_ascii_uppercase()) { key.modifiers - SHIFT } else { key.modifiers };
        let want = if matches!(c, Char(ch) if ch.is_ascii_uppercase()) { *m - SHIFT } else { *m };
        *c == key.code && mods == want
    })
}

/// The action for a key in a context. `editing`: the accounts editor has focus.
pub fn lookup(key: &KeyEvent, context: Context, editing: bool) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| match b.context {
            Always => true,
            Global => !editing,
            c => c == context && !editing,
        })
        .find(|b| matches(b, key))
        .map(|b| b.action)
}

/// The help text: one section per context, straight from the table.
pub fn help_lines() -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    [Always, Global, Profiles, Results]
        .into_iter()
        .map(|c| {
            (c.title().to_string(), BINDINGS.iter().filter(|b| b.context == c).map(|b| (b.label, b.desc)).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn editor_keys_type_text_but_control_keys_still_work() {
        assert_eq!(lookup(&key(Char('q'), NONE), Context::Results, true), None);
        assert_eq!(lookup(&key(Char('q'), NONE), Context::Results, false), Some(Quit));
        assert_eq!(lookup(&key(Char('c'), CTRL), Context::Results, true), Some(ForceQuit));
        assert_eq!(lookup(&key(Char('r'), CTRL), Context::Profiles, true), Some(Run));
        assert_eq!(lookup(&key(Enter, NONE), Context::Profiles, false), Some(Open));
        assert_eq!(lookup(&key(Char('G'), SHIFT), Context::Results, false), Some(Bottom));
        assert_eq!(lookup(&key(Char('/'), NONE), Context::Profiles, false), None);
    }

    #[test]
    fn every_action_is_in_the_help() {
        let help = help_lines();
        let n: usize = help.iter().map(|(_, rows)| rows.len()).sum();
        assert_eq!(n, BINDINGS.iter().filter(|b| b.context != Context::Overlay).count());
    }
}
