//! Property tests (short fuzz runs) of every parser that takes outside input: UserSig
//! decoding, response bodies, account lists, the config file and the emulator's request
//! handling. No input may panic; sizes stay bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Write;

use base64::Engine;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use timx::api::{Command, Family};
use timx::emulator::store::{AccountKind, Store};

fn url_safe(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes).replace('+', "*").replace('/', "-").replace('=', "_")
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Arbitrary JSON values, a few levels deep.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("To_Account".to_string()),
                    Just("Attrs".to_string()),
                    Just("Tags".to_string()),
                    Just("UserAttrs".to_string()),
                    Just("UserTags".to_string()),
                    Just("AttrNames".to_string()),
                    Just("AttrTypes".to_string()),
                    Just("Replace".to_string()),
                    ".{0,8}".prop_map(String::from)
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every property run is repeatable: a fixed seed (PROPTEST_CASES still sets how many).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_124),
        ..ProptestConfig::default()
    }
}

/// Response bodies of the documented shape: ActionStatus, ErrorCode, ErrorInfo, ErrorList and
/// other fields, with values right and wrong, so parsing goes past "not JSON".
fn status_body() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![Just("OK".to_string()), Just("FAIL".to_string()), ".{0,6}".prop_map(String::from)],
        prop_oneof![Just(0i64), Just(91000), Just(70107), any::<i64>()],
        ".{0,40}",
        prop::option::of(json()),
        json(),
    )
        .prop_map(|(status, code, info, list, extra)| {
            let mut v =
                serde_json::json!({"ActionStatus": status, "ErrorCode": code, "ErrorInfo": info, "Extra": extra});
            if let Some(l) = list {
                v["ErrorList"] = l;
            }
            v
        })
}

/// A UserSig document of the official shape with arbitrary values: decoding reaches the
/// field, expiry and signature checks.
fn sig_doc() -> impl Strategy<Value = serde_json::Value> {
    (any::<u64>(), ".{0,20}", any::<u32>(), any::<u32>(), "[A-Za-z0-9+/=]{0,60}", prop::option::of(json())).prop_map(
        |(app, id, time, expire, sig, odd)| {
            let mut v = serde_json::json!({"TLS.ver": "2.0", "TLS.identifier": id, "TLS.sdkappid": app,
                "TLS.time": time, "TLS.expire": expire, "TLS.sig": sig});
            if let Some(o) = odd {
                v["TLS.userbuf"] = o;
            }
            v
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn documented_status_bodies_parse_by_their_action_status(body in status_body()) {
        let status = body["ActionStatus"].as_str().unwrap_or_default().to_owned();
        let code = body["ErrorCode"].as_i64().unwrap_or_default();
        match timx::client::parse_body(body.to_string().as_bytes()) {
            Ok((st, _)) => prop_assert!(st.is_ok() && status == "OK" && code == 0),
            Err(timx::client::CallError::Service { code: got, .. }) => {
                prop_assert!(status == "FAIL" || code != 0);
                prop_assert_eq!(got, if code == 0 { 91000 } else { code });
            }
            Err(timx::client::CallError::Malformed { .. }) => {
                prop_assert!((status != "OK" && status != "FAIL") || body.get("ErrorList").is_some());
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn well_formed_usersig_documents_reach_the_signature_check(doc in sig_doc(), now in any::<u32>()) {
        let sig = url_safe(&zlib(doc.to_string().as_bytes()));
        let key = timx::usersig::SecretKey::new("k");
        let id = doc["TLS.identifier"].as_str().unwrap_or_default().to_owned();
        let expect = timx::usersig::Expect {
            sdkappid: doc["TLS.sdkappid"].as_u64().unwrap_or_default(),
            identifier: &id,
            now: u64::from(now),
            key: Some(&key),
            userbuf: None,
        };
        // Random signature bytes never verify; every path ends in a reason, never a panic.
        prop_assert!(timx::usersig::verify(&sig, &expect).is_err());
    }

    #[test]
    fn usersig_decode_never_panics_on_strings(s in ".{0,300}") {
        let _ = timx::usersig::decode(&s);
    }

    #[test]
    fn usersig_decode_never_panics_on_compressed_documents(doc in json(), raw in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = timx::usersig::decode(&url_safe(&zlib(doc.to_string().as_bytes())));
        let _ = timx::usersig::decode(&url_safe(&zlib(&raw)));
        let _ = timx::usersig::decode(&url_safe(&raw));
    }

    #[test]
    fn response_bodies_parse_or_explain(v in json(), raw in prop::collection::vec(any::<u8>(), 0..300)) {
        for bytes in [v.to_string().into_bytes(), raw] {
            match timx::client::parse_body(&bytes) {
                Ok((status, _)) => prop_assert!(status.is_ok()),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn account_lists_normalize_with_every_line_accounted_for(lines in prop::collection::vec(".{0,40}", 0..60)) {
        let text = lines.join("\n");
        let n = timx::engine::normalize_text(&text);
        let counted = n.total() as u64 + n.duplicates + n.blank;
        prop_assert_eq!(counted, text.lines().count() as u64);
        for (i, _) in &n.invalid {
            prop_assert!((*i as usize) < n.total());
        }
    }

    #[test]
    fn config_files_parse_or_explain(text in ".{0,400}") {
        if let Ok(file) = toml::from_str::<timx::config::ConfigFile>(&text) {
            for (name, p) in &file.profiles {
                let _ = timx::config::Profile::from_file(name, p);
            }
        }
    }

    #[test]
    fn the_emulator_store_answers_any_body_with_a_documented_code(body in json(), cmd in 0usize..9, timpush in any::<bool>()) {
        let mut store = Store::default();
        store.import("u1", AccountKind::UserId);
        let family = if timpush { Family::Timpush } else { Family::AllMemberPush };
        match store.run(family, Command::ALL[cmd], &body) {
            Ok(_) => {}
            Err(f) => prop_assert!([90001, 90018, 90020, 90032, 90033, 70402].contains(&f.code), "code {}", f.code),
        }
    }
}

/// The emulator's HTTP side with hostile queries and bodies: always a JSON answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_answers_hostile_requests_without_failing() {
    // No rate limit: the fuzz sends faster than 100/s on purpose.
    let cfg = timx::emulator::EmulatorConfig { rate_limit: 0, ..Default::default() };
    let emu = timx::emulator::start(cfg, None, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = reqwest::Client::new();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 64, ..config() });
    let strategy = ("[ -~]{0,120}", prop::collection::vec(any::<u8>(), 0..200));
    let mut cases = Vec::new();
    for _ in 0..64 {
        cases.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    for (query, body) in cases {
        let url = format!("{}/v4/timpush/get_tag?{}", emu.base_url, query.replace(['#', ' '], "_"));
        let resp = client.post(url).body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["ActionStatus"], "FAIL");
    }
    // Validly signed requests with arbitrary bodies, to every command: they get past the
    // signature check, and every answer is OK or a documented code.
    let key = timx::usersig::SecretKey::new(timx::emulator::PUBLIC_EXAMPLE_KEY);
    let sig = timx::usersig::generate(1_400_000_000, &key, "administrator", timx::clock::unix_now(), 3600);
    let bodies = (0usize..18, json());
    for _ in 0..128 {
        let (cmd, body) = bodies.new_tree(&mut runner).unwrap().current();
        let family = if cmd < 9 { Family::Timpush } else { Family::AllMemberPush };
        let path = Command::ALL[cmd % 9].path(family);
        let url = format!(
            "{}/{path}?sdkappid=1400000000&identifier=administrator&usersig={sig}&random=7&contenttype=json",
            emu.base_url
        );
        let resp = client.post(url).body(body.to_string()).send().await.unwrap();
        let v: serde_json::Value = resp.json().await.unwrap();
        let code = v["ErrorCode"].as_i64().unwrap();
        assert!([0, 90001, 90018, 90020, 90032, 90033, 70402].contains(&code), "{path}: {v}");
    }
    emu.shutdown().await;
}
