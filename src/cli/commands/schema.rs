//! `timx attr-names set SLOT=NAME… [--type SLOT=user|registration]…`: the app's attribute
//! schema. Plan (per slot), warnings (an account type is fixed once set; what renaming a slot does
//! to users' values is not documented), question, undo file, write, optional read-back.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::audit::{client, runtime};
use super::write::{WriteOpts, writable_profile};
use crate::api::{self, Family, wire};
use crate::engine::{self, Summary};
use crate::export::Format;
use crate::text::escape;
use crate::write::WriteStatus;

#[derive(Debug, Args)]
pub struct AttrNamesSetArgs {
    /// Slots to name, as SLOT=NAME (slot 0-9).
    #[arg(required = true, value_name = "SLOT=NAME")]
    pub pairs: Vec<String>,
    /// timpush: the account type of a slot, as SLOT=user or SLOT=registration (fixed once set).
    #[arg(long = "type", value_name = "SLOT=user|registration")]
    pub types: Vec<String>,
    #[command(flatten)]
    pub opts: WriteOpts,
}

/// One slot's row of the plan or the outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SlotRow {
    pub slot: usize,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the command line asks for: slot → (name, type).
pub(crate) type Wanted = Vec<(usize, String, Option<u8>)>;

fn parse(args: &AttrNamesSetArgs, family: Family) -> anyhow::Result<Wanted> {
    let mut out: Wanted = Vec::new();
    for p in &args.pairs {
        let Some((slot, name)) = p.split_once('=') else { bail!("{p:?}: expected SLOT=NAME") };
        let Some(slot) = api::slot_index(slot) else { bail!("{p:?}: the slot must be 0-9") };
        if let Err(why) = check_name(name) {
            bail!("{p:?}: {why}");
        }
        if out.iter().any(|(s, n, _)| *s == slot || n == name) {
            bail!("{p:?}: each slot and each name once");
        }
        out.push((slot, name.to_owned(), None));
    }
    for t in &args.types {
        if family != Family::Timpush {
            bail!("--type is a timpush setting (AttrTypes); this profile uses {family}");
        }
        let Some((slot, ty)) = t.split_once('=') else { bail!("--type {t:?}: expected SLOT=user|registration") };
        let Some(ty) = account_type(ty) else { bail!("--type {t:?}: the type is user or registration") };
        let slot = api::slot_index(slot).context("--type: the slot must be 0-9")?;
        let Some(w) = out.iter_mut().find(|(s, _, _)| *s == slot) else {
            bail!("--type {t:?}: slot {slot} is not among the SLOT=NAME given")
        };
        w.2 = Some(ty);
    }
    Ok(out)
}

/// Why a slot name cannot be sent, if it cannot.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > api::MAX_FIELD_BYTES {
        return Err(format!("a name is 1-{} bytes", api::MAX_FIELD_BYTES));
    }
    if name.chars().any(crate::text::is_unsafe) {
        return Err("the name holds a control or invisible character".into());
    }
    Ok(())
}

/// A timpush account type as written (`user`, `registration`).
pub(crate) fn account_type(word: &str) -> Option<u8> {
    match word {
        "user" | "userid" => Some(wire::ATTR_TYPE_USERID),
        "registration" | "registrationid" => Some(wire::ATTR_TYPE_REGISTRATION_ID),
        _ => None,
    }
}

/// The `set_attr_name` request for the slots that change (timpush: with the types asked for).
pub(crate) fn request(family: Family, wanted: &Wanted, changing: &[SlotRow]) -> wire::AttrNames {
    let types: std::collections::BTreeMap<String, u8> = wanted
        .iter()
        .filter(|(s, _, _)| changing.iter().any(|r| r.slot == *s))
        .filter_map(|(s, _, t)| Some((s.to_string(), (*t)?)))
        .collect();
    wire::AttrNames {
        attr_names: changing.iter().map(|r| (r.slot.to_string(), r.to.clone())).collect(),
        attr_types: (family == Family::Timpush && !types.is_empty()).then_some(types),
    }
}

/// What the journal records of a naming: the slots' outcomes and the calls made.
pub(crate) fn summary(
    family: Family,
    outcomes: impl IntoIterator<Item = WriteStatus>,
    named: usize,
    calls: u64,
    elapsed: std::time::Duration,
) -> Summary<WriteStatus> {
    let mut s: Summary<WriteStatus> = Summary { family: Some(family), calls, elapsed, ..Summary::default() };
    for o in outcomes {
        *s.counts.entry(o).or_default() += 1;
        s.total += 1;
    }
    s.ops.insert("set_attr_name".into(), named as u64);
    s
}

/// The plan against the current names: one row per asked slot.
pub(crate) fn plan(current: &wire::AttrNames, wanted: &Wanted) -> Vec<SlotRow> {
    let slots: Vec<wire::Slot<'_>> = current.slots().collect();
    wanted
        .iter()
        .map(|(slot, name, ty)| {
            let now = slots[*slot];
            let mut row = SlotRow {
                slot: *slot,
                status: "planned",
                from: now.name.map(str::to_owned),
                to: name.clone(),
                r#type: ty.map(wire::attr_type_name),
                error: None,
            };
            let type_changes =
                ty.is_some_and(|t| now.name.is_some() && current.attr_types.is_some() && t != now.attr_type);
            if let Some(other) = slots.iter().find(|s| s.slot != *slot && s.name == Some(name.as_str()))
                && !wanted.iter().any(|(s, _, _)| *s == other.slot)
            {
                row.status = "invalid";
                row.error = Some(format!("slot {} is already named {name:?}", other.slot));
            } else if type_changes {
                row.status = "invalid";
                row.error = Some(format!(
                    "slot {slot} is a {} attribute: an account type cannot be changed once set",
                    wire::attr_type_name(now.attr_type)
                ));
            } else if now.name == Some(name.as_str()) && (ty.is_none() || !type_changes) {
                row.status = "unchanged";
            }
            row
        })
        .collect()
}

fn print(rows: &[SlotRow], format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    match format {
        Format::Ndjson => rows.iter().try_for_each(|r| writeln!(out, "{}", serde_json::to_string(r)?))?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(rows)?)?,
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(&mut *out);
            w.write_record(["slot", "status", "from", "to", "type", "error"])?;
            for r in rows {
                let cells = [
                    r.slot.to_string(),
                    r.status.to_owned(),
                    r.from.clone().unwrap_or_default(),
                    r.to.clone(),
                    r.r#type.unwrap_or_default().to_owned(),
                    r.error.clone().unwrap_or_default(),
                ];
                w.write_record(cells.map(|c| crate::export::neutralize_formula(&c).into_owned()))?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(out, "SLOT  STATUS     CHANGE")?;
            for r in rows {
                let from = r.from.as_deref().map(|f| escape(f).into_owned()).unwrap_or_else(|| "(empty)".into());
                let ty = r.r#type.map(|t| format!(" ({t})")).unwrap_or_default();
                let err = r.error.as_deref().map(|e| format!("  {}", escape(e))).unwrap_or_default();
                writeln!(out, "{:<4}  {:<9}  {from} → {}{ty}{err}", r.slot, r.status, escape(&r.to))?;
            }
        }
    }
    Ok(())
}

pub fn run(args: AttrNamesSetArgs) -> anyhow::Result<ExitCode> {
    let profile = writable_profile(&args.opts)?;
    let wanted = parse(&args, profile.family)?;
    let client = client(&profile)?;
    let rt = runtime()?;
    let family = profile.family;
    let current = rt
        .block_on(engine::fetch_attr_names(client.clone(), family, CancellationToken::new()))
        .map_err(|e| anyhow::anyhow!("cannot read the attribute names of {}: {e}", profile.name))?
        .body;
    let rows = plan(&current, &wanted);
    let format = super::audit::default_format(args.opts.format);
    let changing: Vec<SlotRow> = rows.iter().filter(|r| r.status == "planned").cloned().collect();
    warn(&changing);
    let invalid = rows.iter().any(|r| r.status == "invalid");
    if args.opts.plan || changing.is_empty() || invalid {
        print(&rows, format, &mut std::io::stdout().lock())?;
        if invalid {
            eprintln!("timx: nothing was written: fix the invalid slots first");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.opts.yes && !confirmed(&rows, changing.len(), &profile)? {
        eprintln!("timx: stopped; nothing was written");
        return Ok(ExitCode::from(2));
    }
    let undo_path = match &args.opts.undo_file {
        Some(p) => p.clone(),
        None => crate::write::undo::default_path(&format!("{}-attr-names", profile.name))
            .context("no data directory for the undo file: pass --undo-file PATH")?,
    };
    write_undo(&undo_path, &current)?;
    let restore: Vec<String> =
        changing.iter().filter_map(|r| Some(format!("{}={}", r.slot, r.from.as_ref()?))).collect();
    eprintln!(
        "timx: undo file: {} (the names before; restore with: timx attr-names set {})",
        undo_path.display(),
        if restore.is_empty() { "(no slot was named before)".into() } else { restore.join(" ") }
    );
    let started = std::time::Instant::now();
    let error = rt.block_on(send_names(&client, family, &request(family, &wanted, &changing), args.opts.verify));
    let mut out_rows = rows;
    for r in out_rows.iter_mut().filter(|r| r.status == "planned") {
        r.status = if error.is_some() { "failed" } else { "changed" };
        r.error = error.clone();
    }
    print(&out_rows, format, &mut std::io::stdout().lock())?;
    let outcomes = out_rows.iter().map(|r| match r.status {
        "changed" => WriteStatus::Changed,
        "failed" => WriteStatus::Failed,
        _ => WriteStatus::Unchanged,
    });
    let calls = 1 + u64::from(args.opts.verify);
    let summary = summary(family, outcomes, changing.len(), calls, started.elapsed());
    eprintln!("{}", summary.line());
    if let Err(e) = crate::journal::after_job(&profile, "attr-names set", &summary, None, Some(&undo_path)) {
        eprintln!("timx: warning: {e}");
    }
    Ok(if error.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn warn(changing: &[SlotRow]) {
    for w in warnings(changing) {
        eprintln!("timx: warning: {w}");
    }
    for w in column_warnings(changing) {
        eprintln!("timx: warning: {}", escape(&w));
    }
}

/// A slot named like a column of timx's CSV files (`export::RESERVED_COLUMNS`): the column its
/// exports use instead (`attr:NAME`, read back by apply as NAME).
pub(crate) fn column_warnings(changing: &[SlotRow]) -> Vec<String> {
    changing.iter().filter_map(|r| Some(format!("slot {}: {}", r.slot, crate::export::column_note(&r.to)?))).collect()
}

/// What the user must know before slots change: renames are undocumented, types are final.
pub(crate) fn warnings(changing: &[SlotRow]) -> Vec<&'static str> {
    let mut out = Vec::new();
    if changing.iter().any(|r| r.from.is_some()) {
        out.push(
            "renaming a slot: the service does not document what happens to users' values stored under the old \
             name; try it on a sandbox app first",
        );
    }
    if changing.iter().any(|r| r.r#type.is_some()) {
        out.push("a slot's account type cannot be changed once set");
    }
    out
}

/// Show the plan on stderr and ask for the number of slots that change.
fn confirmed(rows: &[SlotRow], n: usize, profile: &crate::config::Profile) -> anyhow::Result<bool> {
    print(rows, Format::Table, &mut std::io::stderr().lock())?;
    Ok(super::write_run::typed_count(n as u64, "name", "slot", profile)?)
}

/// Write `request`'s names (and types); with `verify`, read them back. Returns why it failed.
pub(crate) async fn send_names(
    client: &std::sync::Arc<crate::client::Client>,
    family: Family,
    request: &wire::AttrNames,
    verify: bool,
) -> Option<String> {
    if let Err(e) = engine::set_attr_names(client.clone(), family, request, CancellationToken::new()).await {
        return Some(e.to_string());
    }
    if !verify {
        return None;
    }
    match engine::fetch_attr_names(client.clone(), family, CancellationToken::new()).await {
        Ok(r) => {
            let kept: Vec<wire::Slot<'_>> = r.body.slots().collect();
            let lost: Vec<String> = request
                .attr_names
                .iter()
                .filter(|(slot, name)| crate::api::slot_index(slot).is_none_or(|s| kept[s].name != Some(name.as_str())))
                .map(|(slot, _)| slot.clone())
                .collect();
            (!lost.is_empty()).then(|| format!("read back, slot(s) {} do not have the new name", lost.join(", ")))
        }
        Err(e) => Some(format!("written, but the check read failed: {e}")),
    }
}

/// The slots as they were, one NDJSON line each (the `attr-names --format ndjson` shape).
pub(crate) fn write_undo(path: &std::path::Path, current: &wire::AttrNames) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = crate::private_file::open(path, crate::private_file::Open::CreateNew)
        .with_context(|| format!("cannot create the undo file {}", path.display()))?;
    for s in current.slots() {
        if let Some(name) = s.name {
            let mut row = serde_json::json!({"slot": s.slot, "name": name});
            if current.attr_types.is_some() {
                row["type"] = wire::attr_type_name(s.attr_type).into();
            }
            writeln!(f, "{row}")?;
        }
    }
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pairs: &[(&str, &str)], types: Option<&[(&str, u8)]>) -> wire::AttrNames {
        wire::AttrNames {
            attr_names: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            attr_types: types.map(|t| t.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
        }
    }

    #[test]
    fn the_plan_names_renames_and_refuses_a_type_change_or_a_taken_name() {
        let current = names(&[("0", "sex"), ("1", "city")], Some(&[("0", 0), ("1", 0)]));
        let wanted: Wanted = vec![
            (0, "sex".into(), None),
            (1, "town".into(), None),
            (2, "plan".into(), Some(1)),
            (3, "city".into(), None),
        ];
        let rows = plan(&current, &wanted);
        let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.slot, r.status)).collect();
        assert_eq!(
            got,
            [(0, "unchanged"), (1, "planned"), (2, "planned"), (3, "planned")],
            "city moves with slot 1's rename"
        );
        let rows = plan(&current, &vec![(0, "sex".into(), Some(1)), (2, "city".into(), None)]);
        assert_eq!(rows[0].status, "invalid");
        assert!(rows[0].error.as_ref().unwrap().contains("cannot be changed"));
        assert_eq!(rows[1].status, "invalid");
        assert!(rows[1].error.as_ref().unwrap().contains("slot 1"));
    }

    #[test]
    fn a_name_like_an_export_column_is_warned_about_with_the_column_it_gets() {
        let current = names(&[("0", "sex")], None);
        let wanted: Wanted = vec![(1, "status".into(), None), (2, "city".into(), None), (3, "attr:x".into(), None)];
        let changing = plan(&current, &wanted);
        let w = column_warnings(&changing);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("slot 1: \"status\"") && w[0].contains("\"attr:status\""), "{w:?}");
        assert!(w[1].starts_with("slot 3:") && w[1].contains("\"attr:attr:x\""), "{w:?}");
        for name in crate::export::RESERVED_COLUMNS {
            let w = column_warnings(&plan(&current, &vec![(5, name.to_string(), None)]));
            assert_eq!(w.len(), 1, "{name}");
        }
    }
}
