//! Every key binding of every context, in one table: the main screen, the popups, the input
//! lines, the first-run screen and the profile form look keys up here; the help overlay, the
//! status-line hints and any message that names a key are generated from the same table, so
//! they can never disagree with the app.

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
    /// Popups: close.
    Close,
    /// Input lines and forms: take what was typed.
    Submit,
    /// Input lines: clear the text.
    ClearInput,
    /// Command line: complete the command or argument.
    Complete,
    /// First-run screen: start the demo emulator.
    StartDemo,
    /// Form: next / previous field, previous / next choice.
    NextField,
    PrevField,
    PrevChoice,
    NextChoice,
    /// Results, detail: edit the account; attribute names: rename the slot.
    Edit,
    /// Results: mark or unmark the row (writes act on marked rows, else on the shown rows).
    Mark,
    MarkAll,
    ClearMarks,
    /// Results: the command line, ready for `tag add` / `tag remove`.
    TagAdd,
    TagRemove,
    /// Results: the push-condition editor.
    ConditionEditor,
}

impl Action {
    /// Every action, for the test that each has a binding.
    pub const ALL: [Action; 48] = [
        Action::Quit,
        Action::ForceQuit,
        Action::NextPane,
        Action::PrevPane,
        Action::Help,
        Action::Run,
        Action::Cancel,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Left,
        Action::Right,
        Action::Open,
        Action::Filter,
        Action::SortColumn,
        Action::SortReverse,
        Action::NextTab,
        Action::TabAttrs,
        Action::TabTags,
        Action::TabSummary,
        Action::Export,
        Action::CopyAccount,
        Action::CopyRow,
        Action::CopyAccounts,
        Action::CommandLine,
        Action::Probe,
        Action::NewProfile,
        Action::Refresh,
        Action::NextAttr,
        Action::Close,
        Action::Submit,
        Action::ClearInput,
        Action::Complete,
        Action::StartDemo,
        Action::NextField,
        Action::PrevField,
        Action::PrevChoice,
        Action::NextChoice,
        Action::Edit,
        Action::Mark,
        Action::MarkAll,
        Action::ClearMarks,
        Action::TagAdd,
        Action::TagRemove,
        Action::ConditionEditor,
    ];
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main screen, including while typing in the accounts editor.
    Always,
    /// The main screen outside the accounts editor (where the key types text).
    Global,
    Profiles,
    Results,
    /// Help, account detail and information popups.
    Popup,
    /// The account detail popup (on top of `Popup`).
    Detail,
    /// The command line and the filter line.
    Input,
    /// The command line (on top of `Input`).
    CommandInput,
    FirstRun,
    Form,
    /// The attribute-names pane.
    AttrNames,
    /// The plan of a write, before it is confirmed.
    Plan,
    /// The form that edits one account.
    EditForm,
    /// The push-condition editor.
    Condition,
}

impl Context {
    pub const ALL: [Context; 14] = [
        Context::Always,
        Context::Global,
        Context::Profiles,
        Context::Results,
        Context::Popup,
        Context::Detail,
        Context::Input,
        Context::CommandInput,
        Context::FirstRun,
        Context::Form,
        Context::AttrNames,
        Context::Plan,
        Context::EditForm,
        Context::Condition,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Always => "Anywhere",
            Context::Global => "Outside the editor",
            Context::Profiles => "Profiles",
            Context::Results => "Results",
            Context::Popup => "Help, detail and information popups",
            Context::Detail => "Account detail",
            Context::Input => "Command line and filter",
            Context::CommandInput => "Command line",
            Context::FirstRun => "First run",
            Context::Form => "Profile form",
            Context::AttrNames => "Attribute names",
            Context::Plan => "Plan of a write",
            Context::EditForm => "Edit form (one account)",
            Context::Condition => "Push-condition editor",
        }
    }

    /// The contexts whose bindings are live here, most specific first.
    pub(crate) fn layers(self, editing: bool) -> &'static [Context] {
        match (self, editing) {
            (Context::Profiles | Context::Results | Context::Global | Context::AttrNames, true) => &[Context::Always],
            (Context::AttrNames, false) => &[Context::AttrNames, Context::Global, Context::Always],
            (Context::Profiles, false) => &[Context::Profiles, Context::Global, Context::Always],
            (Context::Results, false) => &[Context::Results, Context::Global, Context::Always],
            (Context::Global, false) => &[Context::Global, Context::Always],
            (Context::Detail, _) => &[Context::Detail, Context::Popup],
            (Context::CommandInput, _) => &[Context::CommandInput, Context::Input],
            (Context::Always, _) => &[Context::Always],
            (Context::Popup, _) => &[Context::Popup],
            (Context::Input, _) => &[Context::Input],
            (Context::FirstRun, _) => &[Context::FirstRun],
            (Context::Form, _) => &[Context::Form],
            (Context::Plan, _) => &[Context::Plan],
            (Context::EditForm, _) => &[Context::EditForm],
            (Context::Condition, _) => &[Context::Condition],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    /// The keys: the table's, or the ones a `[keys]` table in the config put instead.
    pub keys: std::borrow::Cow<'static, [(KeyModifiers, KeyCode)]>,
    pub action: Action,
    pub context: Context,
    pub desc: &'static str,
    /// A word or two for the status line, when this binding is worth a hint there.
    pub hint: Option<&'static str>,
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

const fn b(
    keys: &'static [(KeyModifiers, KeyCode)],
    action: Action,
    context: Context,
    desc: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding { keys: std::borrow::Cow::Borrowed(keys), action, context, desc, hint }
}

/// The bindings in force: the table, or the table with the config's `[keys]` applied.
static ACTIVE: std::sync::OnceLock<Vec<Binding>> = std::sync::OnceLock::new();

/// The bindings every lookup, label, help line and hint uses.
pub fn bindings() -> &'static [Binding] {
    ACTIVE.get().map(Vec::as_slice).unwrap_or(BINDINGS)
}

/// Put the config's overrides in force (once, before the explorer starts).
pub fn install(table: Vec<Binding>) {
    let _ = ACTIVE.set(table);
}

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b(&[(CTRL, Char('c'))], ForceQuit, Always, "quit (always works)", None),
    b(&[(NONE, Tab)], NextPane, Always, "next pane", Some("next pane")),
    b(&[(SHIFT, BackTab), (NONE, BackTab)], PrevPane, Always, "previous pane", None),
    b(&[(CTRL, Char('r')), (NONE, F(5))], Run, Always, "run: attributes and tags of the accounts", Some("run")),
    b(&[(NONE, Esc)], Cancel, Always, "cancel the running job / leave the editor / clear the filter", Some("back")),
    b(&[(NONE, F(1))], Help, Always, "help", Some("help")),
    b(&[(NONE, Char('?'))], Help, Global, "help", Some("help")),
    b(&[(NONE, Char('q'))], Quit, Global, "quit (asks first while a job runs)", Some("quit")),
    b(&[(NONE, Char(':'))], CommandLine, Global, "command line (see the commands below)", Some("command")),
    b(&[(NONE, Char('n'))], NewProfile, Global, "new profile form", None),
    b(&[(NONE, Char('R'))], Refresh, Global, "reload attribute names (reads the key again)", None),
    b(&[(NONE, Char('p'))], Probe, Global, "probe other regions for this SDKAppID", None),
    b(&[(NONE, KUp), (NONE, Char('k'))], Up, Global, "move up", None),
    b(&[(NONE, KDown), (NONE, Char('j'))], Down, Global, "move down", None),
    b(&[(NONE, KPgUp), (CTRL, Char('u'))], PageUp, Global, "page up", None),
    b(&[(NONE, KPgDn), (CTRL, Char('d'))], PageDown, Global, "page down", None),
    b(&[(NONE, Home), (NONE, Char('g'))], Top, Global, "first row", None),
    b(&[(NONE, End), (SHIFT, Char('G')), (NONE, Char('G'))], Bottom, Global, "last row", None),
    b(&[(NONE, Enter)], Open, Profiles, "use this profile (reads its attribute names)", Some("select")),
    b(&[(NONE, Enter)], Open, Results, "detail of the account: attributes, tags, raw JSON, error and fix", Some("detail")),
    b(&[(NONE, KLeft), (NONE, Char('h'))], Left, Results, "previous column (sort target, scrolls wide tables)", None),
    b(&[(NONE, KRight), (NONE, Char('l'))], Right, Results, "next column", None),
    b(&[(NONE, Char('/'))], Filter, Results, "filter rows (substring; Esc clears)", Some("filter")),
    b(&[(NONE, Char('s'))], SortColumn, Results, "sort by the current column", Some("sort")),
    b(&[(NONE, Char('S')), (SHIFT, Char('S'))], SortReverse, Results, "reverse the sort", None),
    b(&[(NONE, Char('t'))], NextTab, Results, "next tab (attributes, tags, summary)", Some("tab")),
    b(&[(NONE, Char('1'))], TabAttrs, Results, "attributes tab", None),
    b(&[(NONE, Char('2'))], TabTags, Results, "tags tab", None),
    b(&[(NONE, Char('3'))], TabSummary, Results, "summary charts", None),
    b(&[(NONE, Char('a'))], NextAttr, Results, "summary: next attribute, then the schema view", None),
    b(&[(NONE, Char('A')), (SHIFT, Char('A'))], ConditionEditor, Results, "push audience: the condition editor (checked as you type; ↑ recalls earlier ones)", Some("audience")),
    b(&[(NONE, Char('x'))], Export, Results, "export (CSV/JSON/NDJSON by extension)", None),
    b(&[(NONE, Char('e'))], Edit, Results, "edit the account: attributes and tags (plan, then confirm)", Some("edit")),
    b(&[(NONE, Char(' '))], Mark, Results, "mark / unmark the row (writes act on marked rows, else on the shown rows)", Some("mark")),
    b(&[(NONE, Char('*'))], MarkAll, Results, "mark every shown row", None),
    b(&[(NONE, Char('u'))], ClearMarks, Results, "clear the marks", None),
    b(&[(NONE, Char('+'))], TagAdd, Results, "add tags to the marked (else shown) rows: :tag add", None),
    b(&[(NONE, Char('-'))], TagRemove, Results, "remove tags from the marked (else shown) rows: :tag remove", None),
    b(&[(NONE, Char('y'))], CopyAccount, Results, "copy the account (OSC 52)", Some("copy")),
    b(&[(NONE, Char('Y')), (SHIFT, Char('Y'))], CopyRow, Results, "copy the row as JSON", None),
    b(&[(CTRL, Char('y'))], CopyAccounts, Results, "copy the shown accounts, one per line", None),
    b(&[(NONE, Char('e'))], Edit, AttrNames, "name the slot under the cursor (schema: plan, then confirm)", Some("rename")),
    b(&[(NONE, Esc), (NONE, Char('q')), (NONE, Enter), (NONE, Char('?')), (NONE, F(1))], Close, Popup, "close", Some("close")),
    b(&[(NONE, KDown), (NONE, Char('j'))], Down, Popup, "scroll down", None),
    b(&[(NONE, KUp), (NONE, Char('k'))], Up, Popup, "scroll up", None),
    b(&[(NONE, KPgDn)], PageDown, Popup, "scroll a page down", None),
    b(&[(NONE, KPgUp)], PageUp, Popup, "scroll a page up", None),
    b(&[(NONE, Char('y'))], CopyAccount, Detail, "copy the account", Some("copy")),
    b(&[(NONE, Char('Y')), (SHIFT, Char('Y'))], CopyRow, Detail, "copy the row as JSON", None),
    b(&[(NONE, Char('e'))], Edit, Detail, "edit the account", Some("edit")),
    b(&[(NONE, Enter)], Submit, Input, "run the command / keep the filter", Some("run")),
    b(&[(NONE, Esc)], Close, Input, "close (the filter is cleared)", Some("cancel")),
    b(&[(CTRL, Char('u'))], ClearInput, Input, "clear the line", None),
    b(&[(NONE, Tab)], Complete, CommandInput, "complete the command, profile or family", Some("complete")),
    b(&[(NONE, Char('d'))], StartDemo, FirstRun, "try the demo: a local emulator with 390 users", Some("demo")),
    b(&[(NONE, Char('n'))], NewProfile, FirstRun, "create a profile for your app", Some("new profile")),
    b(&[(NONE, Char('q')), (NONE, Esc)], Quit, FirstRun, "quit", Some("quit")),
    b(&[(NONE, Tab), (NONE, KDown)], NextField, Form, "next field", Some("next")),
    b(&[(SHIFT, BackTab), (NONE, BackTab), (NONE, KUp)], PrevField, Form, "previous field", None),
    b(&[(NONE, KLeft)], PrevChoice, Form, "previous choice", None),
    b(&[(NONE, KRight), (NONE, Char(' '))], NextChoice, Form, "next choice (text fields take the space)", Some("choose")),
    b(&[(NONE, Enter)], Submit, Form, "next field; on Save, save the profile", Some("save")),
    b(&[(NONE, Esc)], Close, Form, "cancel", Some("cancel")),
    b(&[(NONE, Enter)], Submit, Plan, "apply (type the number of accounts first when more than one changes)", Some("apply")),
    b(&[(NONE, Esc)], Close, Plan, "back out: nothing is sent (cancels the plan's reads)", Some("back out")),
    b(&[(NONE, KDown)], Down, Plan, "scroll down", None),
    b(&[(NONE, KUp)], Up, Plan, "scroll up", None),
    b(&[(NONE, KPgDn)], PageDown, Plan, "scroll a page down", None),
    b(&[(NONE, KPgUp)], PageUp, Plan, "scroll a page up", None),
    b(&[(NONE, Tab), (NONE, KDown)], NextField, EditForm, "next field (the last one adds a tag)", Some("next")),
    b(&[(SHIFT, BackTab), (NONE, BackTab), (NONE, KUp)], PrevField, EditForm, "previous field", None),
    b(&[(CTRL, Char('u'))], ClearInput, EditForm, "clear the field (an empty tag is removed, an empty value unset)", Some("clear")),
    b(&[(NONE, Enter)], Submit, EditForm, "review the changes (the plan)", Some("review")),
    b(&[(NONE, Esc)], Close, EditForm, "back out: nothing is changed", Some("cancel")),
    b(&[(NONE, Enter)], Submit, Condition, "apply the condition (not while it is invalid)", Some("apply")),
    b(&[(NONE, KUp)], Up, Condition, "an earlier condition (kept between sessions)", Some("history")),
    b(&[(NONE, KDown)], Down, Condition, "a later condition, then back to what you typed", None),
    b(&[(CTRL, Char('u'))], ClearInput, Condition, "clear the line", None),
    b(&[(NONE, Esc)], Close, Condition, "close (the condition applied stays)", Some("close")),
];

fn is_upper(c: &KeyCode) -> bool {
    matches!(c, Char(ch) if ch.is_ascii_uppercase())
}

/// A key as bindings compare it: terminals differ on whether Shift is reported with an
/// upper-case letter, so it is left out there.
pub(crate) fn normalized(m: KeyModifiers, c: &KeyCode) -> (KeyModifiers, KeyCode) {
    (if is_upper(c) { m - SHIFT } else { m }, *c)
}

fn matches(b: &Binding, key: &KeyEvent) -> bool {
    let pressed = normalized(key.modifiers, &key.code);
    b.keys.iter().any(|(m, c)| normalized(*m, c) == pressed)
}

/// The action for a key in a context. `editing`: the accounts editor has focus.
pub fn lookup(key: &KeyEvent, context: Context, editing: bool) -> Option<Action> {
    context
        .layers(editing)
        .iter()
        .find_map(|c| bindings().iter().filter(|b| b.context == *c).find(|b| matches(b, key)).map(|b| b.action))
}

/// How one key is written: `Ctrl-R`, `Shift-Tab`, `↑`, `G`.
pub fn key_label(m: KeyModifiers, c: KeyCode) -> String {
    let name = match c {
        Char(' ') => "Space".to_string(),
        Char(ch) if m.contains(CTRL) => ch.to_ascii_uppercase().to_string(),
        Char(ch) => ch.to_string(),
        F(n) => format!("F{n}"),
        KUp => "↑".into(),
        KDown => "↓".into(),
        KLeft => "←".into(),
        KRight => "→".into(),
        KPgUp => "PgUp".into(),
        KPgDn => "PgDn".into(),
        BackTab => return "Shift-Tab".into(),
        other => format!("{other:?}"),
    };
    if m.contains(CTRL) { format!("Ctrl-{name}") } else { name }
}

/// A binding's keys, as the help shows them: `PgUp / Ctrl-U`.
pub fn label(b: &Binding) -> String {
    let mut labels: Vec<String> = Vec::new();
    for (m, c) in b.keys.iter() {
        let l = key_label(*m, *c);
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels.join(" / ")
}

/// The first key of an action, for messages ("press p to probe").
pub fn key_for(action: Action) -> String {
    bindings().iter().find(|b| b.action == action).map(first_key).unwrap_or_default()
}

/// A binding's first key, as messages and hints name it.
fn first_key(b: &Binding) -> String {
    b.keys.first().map(|(m, c)| key_label(*m, *c)).unwrap_or_default()
}

/// The help text: one section per context, straight from the table.
pub fn help_sections() -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    Context::ALL
        .into_iter()
        .map(|c| (c.title(), bindings().iter().filter(|b| b.context == c).map(|b| (label(b), b.desc)).collect()))
        .collect()
}

/// The status-line hints live in a context: (key, hint), most specific context first, one per
/// action.
pub fn hints(context: Context, editing: bool) -> Vec<(String, &'static str)> {
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    for c in context.layers(editing) {
        for b in bindings().iter().filter(|b| b.context == *c) {
            if let Some(h) = b.hint
                && !seen.contains(&b.action)
            {
                seen.push(b.action);
                out.push((first_key(b), h));
            }
        }
    }
    out
}

/// The key table for README.md, generated (a test checks README holds it).
#[cfg(test)]
pub fn markdown() -> String {
    let mut out = String::from("| context | keys | does |\n| --- | --- | --- |\n");
    for b in BINDINGS {
        out.push_str(&format!("| {} | {} | {} |\n", b.context.title(), label(b).replace('|', "\\|"), b.desc));
    }
    out
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
        assert_eq!(lookup(&key(Char('y'), NONE), Context::Detail, false), Some(CopyAccount));
        assert_eq!(lookup(&key(Esc, NONE), Context::Detail, false), Some(Close));
        assert_eq!(lookup(&key(Tab, NONE), Context::CommandInput, false), Some(Complete));
        assert_eq!(lookup(&key(Tab, NONE), Context::Input, false), None, "the filter line does not complete");
    }

    #[test]
    fn every_action_has_a_binding() {
        for a in Action::ALL {
            assert!(BINDINGS.iter().any(|b| b.action == a), "{a:?} has no key");
        }
    }

    #[test]
    fn every_binding_is_in_the_help() {
        let help = help_sections();
        for b in BINDINGS {
            let section = help.iter().find(|(t, _)| *t == b.context.title()).unwrap();
            assert!(section.1.iter().any(|(k, d)| *k == label(b) && *d == b.desc), "{} not in help", b.desc);
        }
    }

    #[test]
    fn no_two_bindings_collide_in_one_context() {
        for c in Context::ALL {
            for editing in [false, true] {
                let live: Vec<&Binding> =
                    c.layers(editing).iter().flat_map(|l| BINDINGS.iter().filter(move |b| b.context == *l)).collect();
                let mut seen: Vec<(KeyModifiers, KeyCode, Context, &str)> = Vec::new();
                for b in &live {
                    for (m, k) in b.keys.iter() {
                        let (m, _) = normalized(*m, k);
                        // The same key in two layers is an override (most specific wins);
                        // in two bindings of one layer it is a collision.
                        let clash =
                            seen.iter().any(|(sm, sk, sc, sd)| (*sm, *sk, *sc) == (m, *k, b.context) && *sd != b.desc);
                        assert!(!clash, "{k:?} twice in {:?}", b.context);
                        seen.push((m, *k, b.context, b.desc));
                    }
                }
            }
        }
    }

    #[test]
    fn labels_come_from_the_keys() {
        let run = BINDINGS.iter().find(|b| b.action == Run).unwrap();
        assert_eq!(label(run), "Ctrl-R / F5");
        let sort = BINDINGS.iter().find(|b| b.action == SortReverse).unwrap();
        assert_eq!(label(sort), "S");
        assert_eq!(key_for(Probe), "p");
        assert_eq!(key_for(PrevPane), "Shift-Tab");
    }
}
