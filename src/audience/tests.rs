use proptest::prelude::*;

use super::*;

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
    assert_eq!(parse(r#"{"MsgRandom":1,"MsgBody":[]}"#, tp, &names()), Ok(Audience::All));
    assert!(matches!(
        parse(r#"{"From_Account":"a","Condition":{"TagsOr":["x"]}}"#, tp, &names()),
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
        // Tags and attributes rules are the same in all_member_push (without TagsNot).
        if !cond.contains("TagsNot") {
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
        status in prop::sample::select(Status::ALL.to_vec()),
    ) {
        let c = if use_tags {
            Condition { tags_and: and.iter().cloned().collect(), tags_or: or.difference(&and).cloned().collect(), tags_not: not.into_iter().collect(), ..Condition::default() }
        } else {
            Condition { attrs_and, attrs_or, ..Condition::default() }
        };
        let json = serde_json::json!({"TagsAnd": c.tags_and, "TagsOr": c.tags_or, "TagsNot": c.tags_not, "AttrsAnd": c.attrs_and, "AttrsOr": c.attrs_or});
        let Ok(a) = parse(&json.to_string(), Family::Timpush, &names()) else { return Ok(()) };
        let tags: Vec<String> = user_tags.into_iter().collect();
        let attrs: BTreeMap<String, String> = user_attrs.into_iter().collect();
        let r = Record { attrs: Some(attrs.clone()), tags: Some(tags.clone()), ..Record::new(0, "u", status) };
        let judge = Judge::new(&a);
        let v = evaluate(&judge, &Schema::default(), &r);
        let expected = match status {
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
