//! Property tests (short fuzz runs) of every parser that takes outside input: UserSig
//! decoding, response bodies, account lists, the config file and the emulator's request
//! handling. No input may panic; sizes stay bounded.

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

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
            Err((code, _)) => prop_assert!([90001, 90018, 90020, 90032, 90033, 70402].contains(&code), "code {}", code),
        }
    }
}

/// The emulator's HTTP side with hostile queries and bodies: always a JSON answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_answers_hostile_requests_without_failing() {
    let emu = timx::emulator::start(Default::default(), None, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = reqwest::Client::new();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 64, ..ProptestConfig::default() });
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
    emu.shutdown().await;
}
