use proptest::prelude::*;

use super::*;
use crate::engine::{Record, Status};

fn names() -> Vec<String> {
    ["sex", "city", "会员等级", "push_device"].iter().map(|s| s.to_string()).collect()
}

fn record(account: &str, status: Status, attrs: &[(&str, &str)], tags: &[&str]) -> Record {
    Record {
        attrs: Some(attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        tags: Some(tags.iter().map(|s| s.to_string()).collect()),
        ..Record::new(0, account, status)
    }
}

fn schema() -> Schema {
    Schema { types: [("push_device".to_string(), wire::ATTR_TYPE_REGISTRATION_ID)].into() }
}

fn run(cond: &str, family: Family, r: &Record) -> Verdict {
    let a = parse(cond, family, &names()).unwrap_or_else(|e| panic!("{cond}: {e}"));
    evaluate(&Judge::new(&a), &schema(), r)
}

#[test]
fn validation_answers_with_the_services_codes() {
    let code = |cond: &str, family| parse(cond, family, &names()).unwrap_err().code;
    let tp = Family::Timpush;
    assert_eq!(code(r#"{"TagsAnd":["a"],"AttrsOr":{"sex":"F"}}"#, tp), 90039);
    let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    assert_eq!(code(&serde_json::json!({ "TagsOr": eleven }).to_string(), tp), 90032);
    assert_eq!(code(r#"{"TagsAnd":["a"],"TagsOr":["a","b"]}"#, tp), 90022);
    assert_eq!(code(r#"{"TagsAnd":[""]}"#, tp), 90040);
    assert_eq!(code(&format!(r#"{{"TagsAnd":["{}"]}}"#, "x".repeat(51)), tp), 90020);
    let e = parse(r#"{"AttrsAnd":{"plan":"gold"}}"#, tp, &names()).unwrap_err();
    assert_eq!(e.code, 90033);
    assert!(e.message.contains("sex, city"), "{e}");
    let e = parse(r#"{"TagsNot":["a"]}"#, Family::AllMemberPush, &names()).unwrap_err();
    assert!(e.message.contains("timpush"), "{e}");
    assert!(parse("{}", tp, &names()).unwrap_err().message.contains("ambiguous"));
    assert!(parse(r#"{"TagsAnd":[]}"#, tp, &names()).unwrap_err().message.contains("ambiguous"));
    assert!(parse(r#"{"AttrsNot":{"sex":"F"}}"#, tp, &names()).unwrap_err().message.contains("unknown Condition key"));
    assert!(parse(r#"{"TagsAnd":"a"}"#, tp, &names()).unwrap_err().message.contains("array of strings"));
    assert!(parse("[1]", tp, &names()).is_err());
    // A push body: its Condition, or everyone when it has none.
    assert_eq!(parse(r#"{"MsgRandom":1,"MsgBody":[]}"#, tp, &names()).map(|c| c.audience), Ok(Audience::All));
    assert!(matches!(
        parse(r#"{"From_Account":"a","Condition":{"TagsOr":["x"]}}"#, tp, &names()).map(|c| c.audience),
        Ok(Audience::Some(_))
    ));
}

/// Conditions × users: every rule, both families, both readings of TagsNot.
#[test]
fn the_table_of_conditions_and_users() {
    let gold = record("gold", Status::Found, &[("sex", "F"), ("city", "深圳")], &["vip", "gold"]);
    let vip = record("vip", Status::Found, &[("sex", "M"), ("city", "北京")], &["vip"]);
    let bare = record("bare", Status::Empty, &[], &[]);
    let ghost = Record::new(0, "ghost", Status::NotFound);
    let broken = Record::new(0, "broken", Status::Failed);
    let cases: &[(&str, &Record, Option<bool>, &str)] = &[
        (r#"{"TagsAnd":["vip","gold"]}"#, &gold, Some(true), "TagsAnd: has vip, gold"),
        (r#"{"TagsAnd":["vip","gold"]}"#, &vip, Some(false), "TagsAnd: has vip, lacks gold"),
        (r#"{"TagsOr":["gold","silver"]}"#, &vip, Some(false), "TagsOr: has none of gold, silver"),
        (r#"{"TagsOr":["gold","silver"]}"#, &gold, Some(true), "TagsOr: has gold"),
        (r#"{"TagsAnd":["vip"],"TagsOr":["gold"]}"#, &vip, Some(false), "TagsOr: has none of gold"),
        (r#"{"AttrsAnd":{"city":"深圳","sex":"F"}}"#, &gold, Some(true), "AttrsAnd city: 深圳 = 深圳"),
        (r#"{"AttrsAnd":{"city":"深圳"}}"#, &vip, Some(false), "AttrsAnd city: 北京 ≠ 深圳"),
        (r#"{"AttrsAnd":{"city":"深圳"}}"#, &bare, Some(false), "AttrsAnd city: no value (wanted 深圳)"),
        (r#"{"AttrsOr":{"sex":"女","city":"深圳"}}"#, &vip, Some(false), "AttrsOr: none of city=深圳, sex=女"),
        (r#"{"AttrsOr":{"sex":"M","city":"深圳"}}"#, &vip, Some(true), "AttrsOr: sex=M"),
        (r#"{"AttrsAnd":{"sex":"M"},"AttrsOr":{"city":"深圳"}}"#, &vip, Some(false), "AttrsOr: none of city=深圳"),
        (r#"{"AttrsAnd":{"push_device":"x"}}"#, &vip, Some(false), "only RegistrationIDs carry it"),
        // TagsNot: the readings agree (none / all of them) or disagree (some of them).
        (r#"{"TagsOr":["vip"],"TagsNot":["gold","silver"]}"#, &vip, Some(true), "TagsNot: has none of gold, silver"),
        (r#"{"TagsOr":["vip"],"TagsNot":["vip","gold"]}"#, &gold, Some(false), "TagsNot: has all of vip, gold"),
        (r#"{"TagsOr":["vip"],"TagsNot":["gold","silver"]}"#, &gold, None, "the vendor's texts disagree"),
        (r#"{"TagsOr":["vip"]}"#, &ghost, Some(false), "not imported (70107)"),
        (r#"{"TagsOr":["vip"]}"#, &broken, None, "not decided"),
        (r#"{"MsgRandom":1}"#, &bare, Some(true), "ALL users who have logged in or been imported"),
    ];
    for (cond, r, want, reason) in cases {
        let v = run(cond, Family::Timpush, r);
        assert_eq!(v.targeted, *want, "{cond} / {}: {:?}", r.account, v.reasons);
        assert!(
            v.reasons.iter().any(|x| x.contains(reason)),
            "{cond} / {}: {:?} lacks {reason:?}",
            r.account,
            v.reasons
        );
        if *want == Some(false) {
            assert!(!v.misses.is_empty(), "{cond}: a miss to count");
        }
        // Tags and attributes rules are the same in all_member_push (without TagsNot; for a
        // body without Condition, see all_member_push_does_not_target_an_account_it_cannot_confirm).
        if !cond.contains("TagsNot") && !cond.contains("MsgRandom") {
            assert_eq!(run(cond, Family::AllMemberPush, r).targeted, *want, "{cond} all_member_push");
        }
    }
}

/// A direct transcription of the documented rules (push-conditions.md D).
fn transcription(c: &Condition, tags: &[String], attrs: &BTreeMap<String, String>) -> Option<bool> {
    let has = |t: &String| tags.contains(t);
    let base = c.tags_and.iter().all(has)
        && (c.tags_or.is_empty() || c.tags_or.iter().any(has))
        && c.attrs_and.iter().all(|(k, v)| attrs.get(k) == Some(v))
        && (c.attrs_or.is_empty() || c.attrs_or.iter().any(|(k, v)| attrs.get(k) == Some(v)));
    if !base || c.tags_not.is_empty() {
        return Some(base);
    }
    let not_and = !c.tags_not.iter().all(has);
    let not_or = !c.tags_not.iter().any(has);
    (not_and == not_or).then_some(not_and)
}

fn tag() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d", "标签"]).prop_map(String::from)
}

fn attr() -> impl Strategy<Value = (String, String)> {
    (prop::sample::select(vec!["sex", "city"]), prop::sample::select(vec!["F", "M", "深圳"]))
        .prop_map(|(k, v)| (k.to_string(), v.to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_124), cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn the_evaluator_and_the_judge_agree_with_the_rules(
        and in prop::collection::btree_set(tag(), 0..3),
        or in prop::collection::btree_set(tag(), 0..3),
        not in prop::collection::btree_set(tag(), 0..3),
        attrs_and in prop::collection::btree_map("(sex|city)", "(F|M|深圳)", 0..2),
        attrs_or in prop::collection::btree_map("(sex|city)", "(F|M|深圳)", 0..2),
        user_tags in prop::collection::btree_set(tag(), 0..4),
        user_attrs in prop::collection::vec(attr(), 0..2),
        use_tags in any::<bool>(),
        everyone in prop::sample::select(vec![false, false, false, true]),
        family in prop::sample::select(vec![Family::Timpush, Family::AllMemberPush]),
        status in prop::sample::select(Status::ALL.to_vec()),
    ) {
        let c = if use_tags {
            Condition { tags_and: and.iter().cloned().collect(), tags_or: or.difference(&and).cloned().collect(), tags_not: not.into_iter().collect(), ..Condition::default() }
        } else {
            Condition { attrs_and, attrs_or, ..Condition::default() }
        };
        let json = if everyone {
            serde_json::json!({"MsgRandom": 1, "MsgBody": []})
        } else {
            serde_json::json!({"TagsAnd": c.tags_and, "TagsOr": c.tags_or, "TagsNot": c.tags_not, "AttrsAnd": c.attrs_and, "AttrsOr": c.attrs_or})
        };
        let Ok(a) = parse(&json.to_string(), family, &names()) else { return Ok(()) };
        let tags: Vec<String> = user_tags.into_iter().collect();
        let attrs: BTreeMap<String, String> = user_attrs.into_iter().collect();
        let r = Record { attrs: Some(attrs.clone()), tags: Some(tags.clone()), ..Record::new(0, "u", status) };
        let judge = Judge::new(&a);
        let v = evaluate(&judge, &Schema::default(), &r);
        let expected = match status {
            // Everyone, but all_member_push cannot tell an empty account from one that does not exist.
            Status::Empty if everyone && family == Family::AllMemberPush => None,
            Status::Found | Status::Empty if everyone => Some(true),
            Status::Found | Status::Empty => transcription(&c, &tags, &attrs),
            Status::NotFound => Some(false),
            _ => None,
        };
        prop_assert_eq!(v.targeted, expected);
        // `evaluate` reports the judge's verdict and counted reasons (one set of rules).
        let mut missed = Vec::new();
        let t = judge.decide(status, |x| tags.iter().any(|t| t == x), |n| attrs.get(n).map(String::as_str), |k| missed.push(judge.keys[k].clone()));
        prop_assert_eq!(t, v.targeted);
        prop_assert_eq!(missed, v.misses);
    }
}

/// Issue 19, 1: a body without `Condition` but with Condition-like keys is refused, not ALL.
#[test]
fn near_miss_bodies_are_refused_not_read_as_all() {
    let tp = Family::Timpush;
    for body in [
        r#"{"MsgRandom":1,"TagsAnd":["newsletter"]}"#,
        r#"{"MsgRandom":1,"attrsor":{"city":"x"}}"#,
        r#"{"MsgBody":[],"AttrsNot":{"city":"x"}}"#,
        r#"{"MsgBody":[],"condition":{"TagsAnd":["newsletter"]}}"#,
        r#"{"MsgBody":[],"CONDITION":{"TagsAnd":["newsletter"]}}"#,
        r#"{"condition":{"TagsAnd":["newsletter"]}}"#,
        r#"{"MsgRandom":1,"Condition":null}"#,
    ] {
        let e = parse(body, tp, &names()).expect_err(body);
        assert!(e.message.contains("ALL users") || e.message.contains("Condition"), "{body}: {e}");
    }
    let e = parse(r#"{"MsgRandom":1,"TagsAnd":["newsletter"]}"#, tp, &names()).unwrap_err();
    assert!(e.message.contains("TagsAnd") && e.message.contains("top level"), "{e}");
    let e = parse(r#"{"MsgRandom":1,"Condition":null}"#, tp, &names()).unwrap_err();
    assert!(e.message.contains("null"), "{e}");
    // A plain body without any of them is still everyone.
    assert!(parse(r#"{"MsgRandom":1,"MsgBody":[]}"#, tp, &names()).is_ok());
}

/// Issue 19, 3: a key given twice anywhere is refused, naming it (a parser may keep either).
#[test]
fn repeated_keys_are_refused_naming_the_key() {
    let tp = Family::Timpush;
    let e = parse(r#"{"TagsAnd":["vip"],"TagsAnd":["newsletter"]}"#, tp, &names()).unwrap_err();
    assert!(e.message.contains("\"TagsAnd\"") && e.message.contains("twice"), "{e}");
    let e = parse(r#"{"AttrsAnd":{"city":"Seoul","city":"São Paulo"}}"#, tp, &names()).unwrap_err();
    assert!(e.message.contains("\"city\"") && e.message.contains("AttrsAnd"), "{e}");
    let e = parse(
        r#"{"MsgRandom":1,"MsgBody":[{"MsgType":"a","MsgType":"b"}],"Condition":{"TagsOr":["x"]}}"#,
        tp,
        &names(),
    )
    .unwrap_err();
    assert!(e.message.contains("\"MsgType\""), "{e}");
    let e = parse(r#"{"MsgRandom":1,"MsgRandom":2}"#, tp, &names()).unwrap_err();
    assert!(e.message.contains("\"MsgRandom\""), "{e}");
}

/// Issue 19, 4: a value or tag that differs only by Unicode form, case or edge spaces says so,
/// and edge spaces are shown.
#[test]
fn near_misses_say_how_they_differ() {
    let nfd = "Sa\u{303}o Paulo";
    let r = record("u", Status::Found, &[("city", nfd)], &["vip ", "VIP2"]);
    let v = run(r#"{"AttrsAnd":{"city":"São Paulo"}}"#, Family::Timpush, &r);
    assert_eq!(v.targeted, Some(false));
    assert!(
        v.reasons.iter().any(|x| x.contains("differs only in Unicode form — how the service compares is undocumented")),
        "{:?}",
        v.reasons
    );
    let v = run(r#"{"TagsAnd":["vip"]}"#, Family::Timpush, &r);
    assert!(
        v.reasons.iter().any(|x| x.contains("\"vip \"") && x.contains("differs only in surrounding spaces")),
        "{:?}",
        v.reasons
    );
    let v = run(r#"{"TagsOr":["vip2"]}"#, Family::Timpush, &r);
    assert!(
        v.reasons.iter().any(|x| x.contains("VIP2") && x.contains("differs only in letter case")),
        "{:?}",
        v.reasons
    );
    let v = run(r#"{"AttrsOr":{"city":" são paulo"}}"#, Family::Timpush, &r);
    assert!(v.reasons.iter().any(|x| x.contains("\" são paulo\"") && x.contains("differs only in")), "{:?}", v.reasons);
    // An exact match needs no note, a value far off gets none.
    let v = run(r#"{"AttrsAnd":{"city":"Seoul"}}"#, Family::Timpush, &r);
    assert!(!v.reasons.iter().any(|x| x.contains("differs only")), "{:?}", v.reasons);
}

/// Issue 19, 7: all_member_push cannot say whether an account exists, so under ALL an account
/// it answered empty for is undecided, not targeted.
#[test]
fn all_member_push_does_not_target_an_account_it_cannot_confirm() {
    let unknown = record("ghost-never-existed", Status::Empty, &[], &[]);
    let v = run(r#"{"MsgRandom":1}"#, Family::AllMemberPush, &unknown);
    assert_eq!(v.targeted, None, "{:?}", v.reasons);
    assert!(
        v.reasons.iter().any(|x| x.contains(
            "all_member_push does not say whether this account exists; only logged-in or imported accounts receive it"
        )),
        "{:?}",
        v.reasons
    );
    // timpush answers 70107 for an unknown account: its empty one exists.
    assert_eq!(run(r#"{"MsgRandom":1}"#, Family::Timpush, &unknown).targeted, Some(true));
    let known = record("bob", Status::Found, &[("city", "x")], &[]);
    assert_eq!(run(r#"{"MsgRandom":1}"#, Family::AllMemberPush, &known).targeted, Some(true));
}

fn warnings_of(cond: &str) -> Vec<String> {
    parse(cond, Family::Timpush, &names()).unwrap_or_else(|e| panic!("{cond}: {e}")).warnings
}

/// Issue 19, 8: valid conditions that rest on an undocumented point say so, each naming it.
#[test]
fn undocumented_cases_are_warned_not_guessed_silently() {
    let six = |p: &str| (0..6).map(|i| format!("\"{p}{i}\"")).collect::<Vec<_>>().join(",");
    let cases: &[(String, &str)] = &[
        (format!(r#"{{"TagsAnd":[{}],"TagsOr":[{}]}}"#, six("a"), six("o")), "12 tags in all (TagsAnd 6 + TagsOr 6)"),
        (r#"{"TagsAnd":[],"AttrsAnd":{"city":"x"}}"#.into(), "answer 90039"),
        (r#"{"TagsOr":["a"],"TagsAnd":[]}"#.into(), "TagsAnd is empty: timx reads it as absent"),
        (r#"{"TagsNot":["spam"]}"#.into(), "TagsNot alone"),
        (r#"{"TagsAnd":["a"],"TagsNot":["a"]}"#.into(), "nobody is targeted under either reading"),
        (r#"{"TagsAnd":["a"],"TagsNot":["a","b"]}"#.into(), "nobody is targeted if TagsNot means NOT (any"),
        (r#"{"TagsOr":["vip","vip"]}"#.into(), "TagsOr lists vip twice"),
        (format!(r#"{{"AttrsAnd":{{"city":"{}"}}}}"#, "x".repeat(51)), "51 bytes, over the 50"),
    ];
    for (cond, want) in cases {
        let w = warnings_of(cond);
        assert!(w.iter().any(|x| x.contains(want) && x.contains("undocumented")), "{cond}: {w:?} lacks {want:?}");
    }
    assert!(warnings_of(r#"{"TagsAnd":["a"],"TagsOr":["b"]}"#).is_empty(), "a plain condition has none");
    // The verdict rows carry them.
    let r = record("u", Status::Found, &[], &["a"]);
    let v = run(r#"{"TagsAnd":["a"],"TagsNot":["a"]}"#, Family::Timpush, &r);
    assert_eq!(v.targeted, Some(false));
    assert_eq!(serde_json::to_value(&v).unwrap()["warnings"].as_array().map(Vec::len), Some(1));
}

/// Edge spaces are shown in reasons and the summary's keys: `"vip "` does not read as `vip`.
#[test]
fn surrounding_spaces_are_visible_in_reasons_and_keys() {
    let r = record("u", Status::Found, &[], &["vip"]);
    let v = run(r#"{"TagsAnd":["vip "]}"#, Family::Timpush, &r);
    assert!(
        v.reasons.iter().any(|x| x.starts_with("TagsAnd: lacks \"vip \" (the account has vip:")),
        "{:?}",
        v.reasons
    );
    assert_eq!(v.misses, ["lacks tag \"vip \""]);
}

/// Found in review: near misses other than case (a plural, a stray space, a look-alike letter, a
/// typo in a list key) and a body with `To_Account` were read as ALL users.
#[test]
fn near_misses_of_any_spelling_and_user_list_bodies_are_refused() {
    let names = vec!["city".to_string()];
    for body in [
        r#"{"MsgRandom":1,"Conditions":{"TagsAnd":["vip"]}}"#,
        r#"{"MsgRandom":1,"Condition ":{"TagsAnd":["vip"]}}"#,
        "{\"MsgRandom\":1,\"C\u{3bf}ndition\":{\"TagsAnd\":[\"vip\"]}}",
        r#"{"MsgRandom":1,"TagAnd":["vip"]}"#,
        r#"{"MsgRandom":1,"Tags_And":["vip"]}"#,
        r#"{"From_Account":"a","MsgRandom":7,"To_Account":["bob"]}"#,
    ] {
        assert!(crate::audience::parse(body, Family::Timpush, &names).is_err(), "{body} was read as a push");
    }
    // A push body proper is still everyone, and a real condition still parses.
    let all =
        crate::audience::parse(r#"{"MsgRandom":1,"OfflinePushInfo":{"Title":"t"}}"#, Family::Timpush, &names).unwrap();
    assert!(all.is_all());
    assert!(
        crate::audience::parse(r#"{"MsgRandom":1,"Condition":{"TagsAnd":["vip"]}}"#, Family::Timpush, &names).is_ok()
    );
}
