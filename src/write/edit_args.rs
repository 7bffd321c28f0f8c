//! `timx edit`'s arguments read into what it changes: each `--set NAME=VALUE` once, with a value.

use std::collections::BTreeMap;

use anyhow::bail;

use crate::text::escape;

/// `--set NAME=VALUE…` as name → value. Refused: a `--set` without `=` or without a name, one
/// with an empty value (a value is not removed by setting it empty: `--unset NAME` does that),
/// and a name set twice (which value is meant cannot be told).
pub fn parse_sets(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for s in args {
        let Some((name, value)) = s.split_once('=').filter(|(name, _)| !name.is_empty()) else {
            bail!("--set {}: expected NAME=VALUE", quoted(s))
        };
        if value.is_empty() {
            bail!(
                "--set {}: an empty value; to remove attribute {}, use --unset {}",
                quoted(s),
                quoted(name),
                escape(name)
            );
        }
        if let Some(first) = out.get(name) {
            bail!(
                "--set names {} twice (={} and ={}): give each attribute one value",
                quoted(name),
                quoted(first),
                quoted(value)
            );
        }
        out.insert(name.to_owned(), value.to_owned());
    }
    Ok(out)
}

/// `s` in quotes as Rust writes it, with nothing left that could drive a terminal.
fn quoted(s: &str) -> String {
    escape(&format!("{s:?}")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(args: &[&str]) -> anyhow::Result<BTreeMap<String, String>> {
        parse_sets(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn each_name_once_with_a_value() {
        let got = sets(&["city=深圳", "note=a=b", "lang= "]).unwrap();
        assert_eq!(
            got,
            [("city".into(), "深圳".into()), ("lang".into(), " ".into()), ("note".into(), "a=b".into())].into()
        );
        assert!(sets(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_repeated_name_an_empty_value_and_a_missing_equals_sign_are_refused() {
        let e = sets(&["city=a", "sex=F", "city=b"]).unwrap_err().to_string();
        assert!(e.contains("\"city\" twice") && e.contains("\"a\"") && e.contains("\"b\""), "{e}");
        let e = sets(&["city=a", "city=a"]).unwrap_err().to_string();
        assert!(e.contains("twice"), "the same value twice is still two --set: {e}");
        let e = sets(&["city="]).unwrap_err().to_string();
        assert!(e.contains("--unset city"), "{e}");
        let e = sets(&["city"]).unwrap_err().to_string();
        assert_eq!(e, "--set \"city\": expected NAME=VALUE");
        assert!(sets(&["=x"]).unwrap_err().to_string().contains("expected NAME=VALUE"));
    }

    #[test]
    fn control_characters_in_a_refusal_are_escaped() {
        let e = sets(&["a\u{1b}[2J"]).unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e}");
    }
}
