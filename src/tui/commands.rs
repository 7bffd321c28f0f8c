//! The `:` commands, in one table: name, arguments, help and what it does. Parsing, the help
//! overlay, the command line's completion and README's list all come from it.

use super::app::App;
use super::msg::{Cmd, WorkerCmd};
use super::overlay::{Overlay, Popup, ProfileForm};
use crate::api::Family;
use crate::write::Edit;

pub struct Command {
    pub name: &'static str,
    /// Other spellings (`q` for `quit`).
    pub aliases: &'static [&'static str],
    pub args: &'static str,
    pub help: &'static str,
    /// Takes the rest of the line as typed, as one argument (a condition's JSON: the spaces
    /// inside a tag are the tag's), not split into words.
    pub whole: bool,
    pub run: fn(&mut App, &[&str]) -> Vec<Cmd>,
}

impl Command {
    /// `export PATH [filtered]`.
    pub fn usage(&self) -> String {
        if self.args.is_empty() { self.name.to_string() } else { format!("{} {}", self.name, self.args) }
    }
}

#[rustfmt::skip]
pub const COMMANDS: &[Command] = &[
    Command { name: "run", aliases: &[], args: "", help: "run the accounts in the editor", whole: false, run: |app, _| app.run() },
    Command { name: "profile", aliases: &[], args: "NAME", help: "switch profile", whole: false, run: profile },
    Command { name: "family", aliases: &[], args: "all_member_push|timpush", help: "the API family for this session", whole: false, run: family },
    Command { name: "export", aliases: &[], args: "PATH [filtered]", help: "write results as CSV/JSON/NDJSON (by extension), file mode 0600", whole: false, run: export },
    Command { name: "load", aliases: &[], args: "PATH", help: "replace the accounts with a file's lines", whole: false, run: load },
    Command { name: "audience", aliases: &[], args: "CONDITION-JSON|off", help: "would a push with this Condition (or push body) reach each account, and why not; filter with audience=yes|no|unknown", whole: true, run: audience },
    Command { name: "trace", aliases: &[], args: "TASKID", help: "did the marked rows (else the shown rows) get push TASKID: a Delivery column, the devices' stages in the detail (1 call/s; Esc cancels)", whole: false, run: trace },
    Command { name: "stats", aliases: &[], args: "[TASKID…]", help: "each task's funnel and loss reasons as bars in the summary (none: the app's totals; the last 7 days)", whole: false, run: stats },
    Command { name: "scheduled", aliases: &[], args: "[ID]", help: "the pending scheduled pushes; with ID, its Condition becomes the audience (the Aud column and reasons)", whole: false, run: scheduled },
    Command { name: "tag", aliases: &[], args: "add|remove TAG… | clear", help: "add or remove tags on the marked rows (else the shown rows); plan, then confirm", whole: false, run: tag },
    Command { name: "attr", aliases: &[], args: "set NAME=VALUE… | unset NAME…", help: "set or unset attributes on the marked rows (else the shown rows); plan, then confirm", whole: false, run: attr },
    Command { name: "apply", aliases: &[], args: "PATH", help: "apply a desired-state file (a timx export, edited), as timx apply: plan, then confirm", whole: false, run: apply },
    Command { name: "undo", aliases: &[], args: "", help: "put back what the last write changed (its undo file): plan, then confirm", whole: false, run: |app, _| app.undo_last() },
    Command { name: "attr-name", aliases: &[], args: "SLOT NAME [user|registration]", help: "name an attribute slot (timpush: its account type, fixed once set)", whole: false, run: attr_name },
    Command { name: "unlock", aliases: &[], args: "", help: "allow writes on a read-only profile for this session (asks for its SDKAppID)", whole: false, run: |app, _| app.ask_unlock() },
    Command { name: "probe", aliases: &[], args: "", help: "ask every region which holds this SDKAppID (after 70016/70020)", whole: false, run: |app, _| app.probe() },
    Command { name: "new", aliases: &[], args: "", help: "new profile form", whole: false, run: |app, _| { app.open(Overlay::Form(Box::new(ProfileForm::new(app.config.path.clone())))); vec![] } },
    Command { name: "help", aliases: &[], args: "", help: "this help", whole: false, run: |app, _| { app.open(Overlay::Help(Popup::default())); vec![] } },
    Command { name: "quit", aliases: &["q"], args: "", help: "quit", whole: false, run: |app, _| { app.should_quit = true; vec![] } },
];

/// The command a word names (its name or an alias).
pub(crate) fn find(word: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == word || c.aliases.contains(&word))
}

/// Run one command line.
pub fn run(app: &mut App, line: &str) -> Vec<Cmd> {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else { return vec![] };
    let rest: Vec<&str> = words.collect();
    match find(word) {
        Some(c) if c.whole => {
            let typed = line.trim_start()[word.len()..].trim();
            (c.run)(app, &[typed][..usize::from(!typed.is_empty())])
        }
        Some(c) => (c.run)(app, &rest),
        None => {
            let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            app.error(format!("unknown command {:?}; try: {}", crate::text::escape(word), names.join(", ")));
            vec![]
        }
    }
}

/// Complete the last word of a command line: a command name, a profile or a family.
pub fn complete(line: &str, profiles: &[String]) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let (last, head) = words.split_last().map(|(l, h)| (*l, h.join(" "))).unwrap_or(("", String::new()));
    let candidates: Vec<String> = match (words.len(), words.first().copied()) {
        (1, _) => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        (2, Some("profile")) => profiles.to_vec(),
        (2, Some("family")) => Family::ALL.iter().map(|f| f.to_string()).collect(),
        (3, Some("export")) => vec!["filtered".into()],
        (2, Some("tag")) => vec!["add".into(), "remove".into(), "clear".into()],
        (2, Some("attr")) => vec!["set".into(), "unset".into()],
        _ => vec![],
    };
    let matching: Vec<&String> = candidates.iter().filter(|c| c.starts_with(last)).collect();
    let done = match matching.as_slice() {
        [] => return line.to_string(),
        [one] => format!("{one} "),
        many => common_prefix(many),
    };
    if head.is_empty() { done } else { format!("{head} {done}") }
}

fn common_prefix(words: &[&String]) -> String {
    let first = words[0];
    let len = words.iter().fold(first.len(), |n, w| {
        first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, c), _)| i + c.len_utf8())
            .min(n)
    });
    first[..len].to_string()
}

/// The `:` command list for README.md, generated (a test checks README holds it).
#[cfg(test)]
pub fn markdown() -> String {
    let mut out = String::from("| command | does |\n| --- | --- |\n");
    for c in COMMANDS {
        out.push_str(&format!("| `{}` | {} |\n", c.usage().replace('|', "\\|"), c.help));
    }
    out
}

fn profile(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest.first().and_then(|n| app.profiles.iter().position(|p| p.name == *n)) {
        Some(i) => app.switch_profile(i),
        None => {
            let names: Vec<&str> = app.profiles.iter().map(|p| p.name.as_str()).collect();
            app.error(format!("no such profile; known: {}", names.join(", ")));
            vec![]
        }
    }
}

fn family(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest.first().map(|f| f.parse::<Family>()) {
        Some(Ok(f)) => return app.set_family(f),
        Some(Err(e)) => app.error(e.to_string()),
        None => app.error("usage: family all_member_push|timpush"),
    }
    vec![]
}

fn export(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest.first() {
        Some(path) => app.start_export(crate::paths::expand(path), rest.get(1) == Some(&"filtered")),
        None => app.error("usage: export PATH [filtered]   (format from the extension: .csv .json .ndjson)"),
    }
    vec![]
}

fn audience(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    let json = rest.join(" ");
    if json.is_empty() || json == "off" {
        app.results.clear_audience();
        app.info(if json.is_empty() { "usage: audience CONDITION-JSON|off" } else { "audience off" });
        return vec![];
    }
    apply_audience(app, json);
    vec![]
}

/// Check a condition and apply it to the results (`:audience`, the condition editor), as typed:
/// the editor's text is used whole, never re-split into words.
pub(crate) fn apply_audience(app: &mut App, json: String) {
    let Some(parsed) = app.parse_audience(&json) else {
        app.error("pick a profile and let its attribute names load first (they check the condition)");
        return;
    };
    match parsed {
        Ok(a) => {
            let (all, warnings) = (a.is_all(), a.warnings.clone());
            remember_condition(app, &json);
            app.results.set_audience(a, json);
            if all {
                app.error("no Condition: this push goes to ALL users who have logged in or been imported");
            } else if let Some(first) = warnings.first() {
                let n = warnings.len();
                app.warn(format!("audience applied with {n} warning{}: {first}", if n == 1 { "" } else { "s" }));
            } else {
                app.info("audience applied: see the Aud column, the detail (Enter) and the summary (3)");
            }
        }
        Err(e) => app.error(format!("invalid condition: {e}")),
    }
}

fn trace(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest {
        // Found in review: a scheduled task's id (digits) was traced as a push TaskId, and every
        // row came back "no trace". The explorer does not resolve it: say how.
        [task] if !task.is_empty() && task.bytes().all(|b| b.is_ascii_digit()) => {
            app.error(format!(
                "{task} is a scheduled task's id, not a push TaskId: `:scheduled` lists them, and `timx trace --task \
                 {task}` traces the push it fired (or :trace its PushTaskID)"
            ));
            vec![]
        }
        [task] => app.start_trace(task),
        _ => {
            app.error("usage: trace TASKID   (the push's TaskId, as the push answered)");
            vec![]
        }
    }
}

fn stats(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    app.start_stats(rest.iter().map(|t| (*t).to_owned()).collect())
}

fn scheduled(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest {
        [] => app.ask_scheduled(None),
        [id] => match id.parse::<u64>() {
            Ok(id) => app.ask_scheduled(Some(id)),
            Err(_) => {
                app.error("usage: scheduled [ID]   (a scheduled task's TaskID is an integer)");
                vec![]
            }
        },
        _ => {
            app.error("usage: scheduled [ID]");
            vec![]
        }
    }
}

fn tag(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    let tags: Vec<String> = rest.iter().skip(1).map(|t| (*t).to_owned()).collect();
    let edit = match (rest.first().copied(), tags.is_empty()) {
        (Some("add"), false) => Edit { add_tags: tags, ..Edit::default() },
        (Some("remove"), false) => Edit { remove_tags: tags, ..Edit::default() },
        (Some("clear"), true) => Edit { clear_tags: true, ..Edit::default() },
        _ => {
            app.error("usage: tag add TAG… | tag remove TAG… | tag clear   (tags are separated by spaces)");
            return vec![];
        }
    };
    app.bulk_edit(format!("tag {}", rest.join(" ")), edit)
}

fn attr(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    let mut edit = Edit::default();
    match rest.split_first() {
        Some((&"set", pairs)) if !pairs.is_empty() => {
            let pairs: Vec<String> = pairs.iter().map(|p| (*p).to_owned()).collect();
            match crate::write::edit_args::parse_sets(&pairs) {
                Ok(set) => edit.set = set,
                Err(e) => {
                    app.error(format!("attr {}", crate::text::escape(&format!("{e:#}")).trim_start_matches("--")));
                    return vec![];
                }
            }
        }
        Some((&"unset", names)) if !names.is_empty() => edit.unset = names.iter().map(|n| (*n).to_owned()).collect(),
        _ => {
            app.error("usage: attr set NAME=VALUE… | attr unset NAME…");
            return vec![];
        }
    }
    app.bulk_edit(format!("attr {}", rest.join(" ")), edit)
}

fn apply(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    if rest.is_empty() {
        app.error("usage: apply PATH   (a timx export, edited: .csv .json .ndjson)");
        return vec![];
    }
    let path = crate::paths::expand(&rest.join(" "));
    let label = format!("apply {}", crate::paths::shown(&path));
    app.load_desired(path, label)
}

fn attr_name(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    let (Some(slot), Some(name)) = (rest.first().and_then(|s| crate::api::slot_index(s)), rest.get(1)) else {
        app.error("usage: attr-name SLOT NAME [user|registration]   (slot 0-9)");
        return vec![];
    };
    use crate::cli::commands::schema::{account_type, check_name};
    let ty = match rest.get(2).copied() {
        None => None,
        Some(word) => match account_type(word) {
            Some(ty) => Some(ty),
            None => {
                app.error(format!("{}: the type is user or registration", crate::text::escape(word)));
                return vec![];
            }
        },
    };
    if ty.is_some() && app.active_profile().is_some_and(|p| p.family != Family::Timpush) {
        app.error("an account type is a timpush setting (AttrTypes)");
        return vec![];
    }
    if let Err(why) = check_name(name) {
        app.error(format!("{}: {why}", crate::text::escape(name)));
        return vec![];
    }
    app.start_schema(&vec![(slot, (*name).to_owned(), ty)], "attribute names")
}

/// Keep an applied condition in the history the editor recalls (`A`, ↑).
fn remember_condition(app: &mut App, json: &str) {
    let Some(path) = app.audience_history.as_deref() else { return };
    if let Err(e) = crate::tui::overlay::condition::record(path, json) {
        tracing::warn!("cannot keep the condition history in {}: {e}", path.display());
    }
}

fn load(app: &mut App, rest: &[&str]) -> Vec<Cmd> {
    match rest.first() {
        Some(_) => {
            let path = crate::paths::expand(&rest.join(" "));
            app.info(format!("loading {}… (Esc stops)", crate::paths::shown(&path)));
            let stop = tokio_util::sync::CancellationToken::new();
            if let Some((_, older)) = app.loading.replace((path.clone(), stop.clone())) {
                older.cancel();
            }
            vec![WorkerCmd::Load(path, stop).into()]
        }
        None => {
            app.error("usage: load PATH");
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_profiles_and_families() {
        let profiles = vec!["prod-sg".to_string(), "prod-de".to_string(), "demo".to_string()];
        assert_eq!(complete("ex", &profiles), "export ");
        assert_eq!(complete("p", &profiles), "pro");
        assert_eq!(complete("profile d", &profiles), "profile demo ");
        assert_eq!(complete("profile prod", &profiles), "profile prod-");
        assert_eq!(complete("family t", &profiles), "family timpush ");
        assert_eq!(complete("export a.csv f", &profiles), "export a.csv filtered ");
        assert_eq!(complete("zzz", &profiles), "zzz");
    }

    #[test]
    fn every_command_and_alias_is_found_once() {
        let mut names: Vec<&str> =
            COMMANDS.iter().flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied())).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(n, names.len());
        assert!(find("q").is_some_and(|c| c.name == "quit"));
    }
}
