//! Near misses: a value or tag that differs from the condition's only by Unicode form (NFC vs
//! NFD), letter case or surrounding spaces. timx compares exact bytes (the documents do not say
//! how the service compares), so such a pair does not match — and the reason says why, since
//! `São Paulo ≠ São Paulo` alone is unreadable.

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;

/// The ways two texts may differ and still read the same, in the order they are tried.
const WAYS: [(Way, &str); 3] =
    [(Way::Spaces, "surrounding spaces"), (Way::Form, "Unicode form"), (Way::Case, "letter case")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Spaces,
    Form,
    Case,
}

/// `text` with the differences in `ways` taken out.
fn fold(text: &str, ways: &[Way]) -> String {
    let mut s = Cow::Borrowed(text);
    if ways.contains(&Way::Spaces) {
        s = Cow::Owned(s.trim().to_owned());
    }
    if ways.contains(&Way::Form) {
        s = Cow::Owned(ComposingNormalizerBorrowed::new_nfc().normalize(&s).into_owned());
    }
    if ways.contains(&Way::Case) {
        s = Cow::Owned(s.to_lowercase());
    }
    s.into_owned()
}

/// How `have` differs from `want` when only by the ways above (the fewest that explain it):
/// "differs only in Unicode form — how the service compares is undocumented". None when they
/// are equal, or differ in more than that.
pub fn differs_only(want: &str, have: &str) -> Option<String> {
    if want == have {
        return None;
    }
    // Every set of ways, fewest first: a pair that is only NFC vs NFD is not called a case change.
    let sets: [&[usize]; 7] = [&[0], &[1], &[2], &[0, 1], &[0, 2], &[1, 2], &[0, 1, 2]];
    let set = sets.iter().find(|set| {
        let ways: Vec<Way> = set.iter().map(|i| WAYS[*i].0).collect();
        fold(want, &ways) == fold(have, &ways)
    })?;
    let names: Vec<&str> = set.iter().map(|i| WAYS[*i].1).collect();
    let list = match names.as_slice() {
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => return None,
    };
    Some(format!("differs only in {list} — how the service compares is undocumented"))
}

/// The first of `held` that `want` nearly matches, with how: for "lacks vip (the account has
/// "vip ": differs only in surrounding spaces …)".
pub fn nearest<'a>(want: &str, held: impl IntoIterator<Item = &'a String>) -> Option<(&'a String, String)> {
    held.into_iter().find_map(|h| differs_only(want, h).map(|how| (h, how)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_fewest_ways_that_explain_the_difference() {
        let how = |a: &str, b: &str| differs_only(a, b).unwrap_or_default();
        assert!(how("São Paulo", "Sa\u{303}o Paulo").starts_with("differs only in Unicode form —"));
        assert!(how("vip", "vip ").starts_with("differs only in surrounding spaces —"));
        assert!(how("vip", "VIP").starts_with("differs only in letter case —"));
        assert!(how("vip", " VIP").starts_with("differs only in surrounding spaces and letter case —"));
        assert!(
            how("são", " SA\u{303}O").starts_with("differs only in surrounding spaces, Unicode form and letter case")
        );
        assert_eq!(differs_only("vip", "vip"), None);
        assert_eq!(differs_only("vip", "gold"), None);
        assert_eq!(differs_only("big spender", "big  spender"), None, "inner spaces are the value's");
    }
}
