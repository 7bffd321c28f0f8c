//! Saving a profile into the config file in place (toml_edit): comments, key order and the other
//! profiles stay as the user wrote them; only the keys whose values changed are touched, and a
//! key the file leaves out stays out when its default already says the same.

use anyhow::Context;
use toml_edit::{DocumentMut, Item, Table};

use crate::config::ProfileFile;

/// `text` with `[profiles.NAME]` set to `profile` (and `default_profile` set when there is none).
pub fn upsert_profile(text: &str, name: &str, profile: &ProfileFile) -> anyhow::Result<String> {
    let mut doc: DocumentMut = text.parse().context("the config is not valid TOML")?;
    let wanted = minimal_table(profile)?;
    if doc.get("default_profile").is_none() {
        doc.insert("default_profile", toml_edit::value(name));
    }
    let profiles = doc.entry("profiles").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let Some(profiles) = profiles.as_table_mut() else { anyhow::bail!("`profiles` in the config is not a table") };
    match profiles.get_mut(name).and_then(Item::as_table_mut) {
        Some(existing) => update(existing, &wanted, profile)?,
        None => {
            profiles.insert(name, Item::Table(wanted));
        }
    }
    Ok(doc.to_string())
}

/// The profile as a table without the keys its defaults imply.
fn minimal_table(profile: &ProfileFile) -> anyhow::Result<Table> {
    let full: DocumentMut =
        toml::to_string(profile).context("cannot encode the profile")?.parse().context("cannot encode the profile")?;
    let mut table = full.as_table().clone();
    // Nested values (the key source) as inline tables: `key = { env = "VAR" }`, as people write it.
    let nested: Vec<String> = table.iter().filter(|(_, v)| v.is_table()).map(|(k, _)| k.to_owned()).collect();
    for k in nested {
        if let Some(Item::Table(t)) = table.remove(&k) {
            table.insert(&k, toml_edit::value(t.into_inline_table()));
        }
    }
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_owned()).collect();
    for k in keys {
        let mut without = table.clone();
        without.remove(&k);
        if reads_as(&without, profile) {
            table = without;
        }
    }
    table.set_implicit(false);
    Ok(table)
}

/// Whether `table` reads back as exactly `profile`.
fn reads_as(table: &Table, profile: &ProfileFile) -> bool {
    let doc = DocumentMut::from(table.clone());
    toml::from_str::<ProfileFile>(&doc.to_string()).is_ok_and(|p| &p == profile)
}

/// Change `old` in place to say `profile`: keys it no longer has go, changed values are replaced
/// keeping their comments, new keys come last.
fn update(old: &mut Table, wanted: &Table, profile: &ProfileFile) -> anyhow::Result<()> {
    for (k, item) in wanted.iter() {
        match old.get_mut(k) {
            Some(Item::Value(v)) if item.as_value().is_some_and(|n| n.to_string().trim() != v.to_string().trim()) => {
                let decor = v.decor().clone();
                if let Some(n) = item.as_value() {
                    *v = n.clone();
                    *v.decor_mut() = decor;
                }
            }
            Some(_) => {}
            None => {
                old.insert(k, item.clone());
            }
        }
    }
    // Keys the saved profile does not need: a line that restates a default stays as written;
    // one that now says something else goes.
    let extra: Vec<String> = old.iter().map(|(k, _)| k.to_owned()).filter(|k| !wanted.contains_key(k)).collect();
    for k in extra {
        if !reads_as(old, profile) {
            old.remove(&k);
        }
    }
    anyhow::ensure!(reads_as(old, profile), "internal error: the edited profile does not read back as saved");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFile, EXAMPLE};
    use crate::secret::SecretSource;

    #[test]
    fn saving_keeps_comments_order_and_other_profiles() {
        let file: ConfigFile = toml::from_str(EXAMPLE).unwrap();
        let mut demo = file.profiles["demo"].clone();
        demo.rate_limit = 80;
        demo.admin = "ops".into();
        let text = upsert_profile(EXAMPLE, "demo", &demo).unwrap();
        // Every comment line of the example is still there, in order.
        let comments: Vec<&str> = EXAMPLE.lines().filter(|l| l.trim_start().starts_with('#')).collect();
        let kept: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with('#')).collect();
        assert_eq!(kept, comments);
        assert!(text.contains("family = \"timpush\"              # or \"all_member_push\""), "{text}");
        assert!(text.contains("admin = \"ops\""), "{text}");
        let back: ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(back.profiles["demo"], demo);
        assert_eq!(back.default_profile.as_deref(), Some("demo"));
        // Unchanged keys are not rewritten: only the changed line and the new key differ.
        let changed: Vec<&str> = text.lines().filter(|l| !EXAMPLE.lines().any(|e| e == *l)).collect();
        assert_eq!(changed, ["admin = \"ops\"", "rate_limit = 80"], "{text}");

        // A new profile is added with only what its defaults do not say.
        let sg = ProfileFile {
            region: Some("singapore".into()),
            key: SecretSource::Env { env: "SG_KEY".into() },
            sdkappid: 1_400_000_001,
            ..demo.clone()
        };
        let sg = ProfileFile { base_url: None, rate_limit: 50, read_only: true, ..sg };
        let text = upsert_profile(&text, "prod-sg", &sg).unwrap();
        let back: ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(back.profiles["prod-sg"], sg);
        assert_eq!(back.profiles["demo"], demo);
        let start = text.find("[profiles.prod-sg]").unwrap();
        let table = &text[start..start + text[start..].find("\n\n").unwrap_or(text.len() - start)];
        assert!(!table.contains("read_only") && !table.contains("journal"), "defaults left out: {table}");
        assert!(table.contains("key = { env = \"SG_KEY\" }"), "{table}");
    }

    #[test]
    fn a_new_file_gets_a_default_profile_and_the_table() {
        let file: ConfigFile = toml::from_str(EXAMPLE).unwrap();
        let text = upsert_profile("", "demo", &file.profiles["demo"]).unwrap();
        let back: ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(back.default_profile.as_deref(), Some("demo"));
        assert_eq!(back.profiles["demo"], file.profiles["demo"]);
    }
}
