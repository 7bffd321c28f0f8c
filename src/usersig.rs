//! UserSig v2 ("TLSSigAPIv2"): generate and verify exactly as the official libraries do.
//!
//! Pure functions, no I/O and no clock: callers pass `time`/`now`, so tests can pin them.
//! See `shared/api-facts.md` §1 for the algorithm this follows.

use std::fmt;
use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Validity the console's generator uses by default: 180 days.
pub const DEFAULT_EXPIRE: u64 = 180 * 86_400;

/// Largest decompressed document we accept; real ones are ~200 bytes. Guards against zlib bombs.
const MAX_DOC_BYTES: u64 = 16 * 1024;
/// Largest UserSig string we try to decode at all.
const MAX_SIG_CHARS: usize = 8 * 1024;

/// The app's secret key. Debug/Display never show it, so it cannot leak through `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        SecretKey(key.into())
    }
    /// The key bytes exactly as given: the hex is *not* decoded (official behaviour).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The fields of a decoded UserSig document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigDoc {
    pub version: String,
    pub identifier: String,
    pub sdkappid: u64,
    pub time: u64,
    pub expire: u64,
    /// The std-base64 HMAC as found in `TLS.sig`.
    pub sig: String,
    pub userbuf: Option<Vec<u8>>,
}

impl SigDoc {
    /// Unix second after which the sig is expired (`now > time + expire`).
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at()
    }
}

/// Why a UserSig was rejected. Each variant is a distinct reason a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed UserSig: not valid URL-safe base64")]
    Base64,
    #[error("malformed UserSig: the payload is not a zlib stream")]
    Zlib,
    #[error("malformed UserSig: the document is not valid JSON ({0})")]
    Json(String),
    #[error("malformed UserSig: field {0} is missing or has the wrong type")]
    MissingField(&'static str),
    #[error("SDKAppID mismatch: the UserSig is for {found}, expected {expected}")]
    SdkAppIdMismatch { expected: u64, found: u64 },
    #[error("identifier mismatch: the UserSig is for {found:?}, expected {expected:?}")]
    IdentifierMismatch { expected: String, found: String },
    #[error("expired: valid until {expires_at} (unix), now is {now}")]
    Expired { expires_at: u64, now: u64 },
    #[error("userbuf mismatch: one side has a userbuf and the other does not")]
    UserbufTypeMismatch,
    #[error("userbuf mismatch")]
    UserbufMismatch,
    #[error("signature mismatch: the UserSig was not made with this key (wrong key or another app's key)")]
    SigMismatch,
}

impl VerifyError {
    /// True for the reasons that mean "this is not a UserSig at all".
    pub fn is_malformed(&self) -> bool {
        matches!(self, VerifyError::Base64 | VerifyError::Zlib | VerifyError::Json(_) | VerifyError::MissingField(_))
    }
}

/// The content string that gets signed (api-facts §1.1 step 1).
pub fn content_to_sign(identifier: &str, sdkappid: u64, time: u64, expire: u64, userbuf: Option<&[u8]>) -> String {
    let mut s = format!("TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n");
    if let Some(buf) = userbuf {
        s.push_str("TLS.userbuf:");
        s.push_str(&STANDARD.encode(buf));
        s.push('\n');
    }
    s
}

/// `base64_std(HMAC-SHA256(key_bytes, content))`.
pub fn hmac_sig(key: &SecretKey, content: &str) -> String {
    STANDARD.encode(hmac_raw(key, content))
}

fn hmac_raw(key: &SecretKey, content: &str) -> Vec<u8> {
    // HMAC accepts keys of any length; new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(content.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Generate a UserSig without userbuf, as IM REST calls use.
pub fn generate(sdkappid: u64, key: &SecretKey, identifier: &str, time: u64, expire: u64) -> String {
    generate_with_userbuf(sdkappid, key, identifier, time, expire, None)
}

/// Generate a UserSig, optionally with a userbuf (TRTC PrivateMapKey style).
pub fn generate_with_userbuf(
    sdkappid: u64,
    key: &SecretKey,
    identifier: &str,
    time: u64,
    expire: u64,
    userbuf: Option<&[u8]>,
) -> String {
    let sig = hmac_sig(key, &content_to_sign(identifier, sdkappid, time, expire, userbuf));
    let mut doc = Map::new();
    doc.insert("TLS.ver".into(), Value::from("2.0"));
    doc.insert("TLS.identifier".into(), Value::from(identifier));
    doc.insert("TLS.sdkappid".into(), Value::from(sdkappid));
    doc.insert("TLS.expire".into(), Value::from(expire));
    doc.insert("TLS.time".into(), Value::from(time));
    doc.insert("TLS.sig".into(), Value::from(sig));
    if let Some(buf) = userbuf {
        doc.insert("TLS.userbuf".into(), Value::from(STANDARD.encode(buf)));
    }
    let json = Value::Object(doc).to_string();
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(json.as_bytes());
    let compressed = enc.finish().unwrap_or_default();
    to_url_safe(&STANDARD.encode(compressed))
}

/// std base64 and the UserSig alphabet, character for character.
const URL_SAFE: [(char, char); 3] = [('+', '*'), ('/', '-'), ('=', '_')];

/// std base64 → the UserSig alphabet: `+`→`*`, `/`→`-`, `=`→`_`.
fn to_url_safe(b64: &str) -> String {
    b64.chars().map(|c| URL_SAFE.iter().find(|(std, _)| *std == c).map_or(c, |(_, safe)| *safe)).collect()
}

fn from_url_safe(sig: &str) -> String {
    sig.chars().map(|c| URL_SAFE.iter().find(|(_, safe)| *safe == c).map_or(c, |(std, _)| *std)).collect()
}

/// Decode a UserSig into its document, without checking anything but its form. Like the
/// official verifiers, `TLS.sdkappid`, `TLS.time` and `TLS.expire` must be JSON numbers.
pub fn decode(usersig: &str) -> Result<SigDoc, VerifyError> {
    decode_with(usersig, false)
}

/// `decode` that also takes numeric strings for the numbers: for diagnostics (`usersig
/// verify` describes such a sig, then says why the service would refuse it).
pub fn decode_lenient(usersig: &str) -> Result<SigDoc, VerifyError> {
    decode_with(usersig, true)
}

fn decode_with(usersig: &str, lenient: bool) -> Result<SigDoc, VerifyError> {
    let trimmed = usersig.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_SIG_CHARS {
        return Err(VerifyError::Base64);
    }
    let raw = STANDARD.decode(from_url_safe(trimmed)).map_err(|_| VerifyError::Base64)?;
    let mut json = Vec::new();
    ZlibDecoder::new(raw.as_slice()).take(MAX_DOC_BYTES + 1).read_to_end(&mut json).map_err(|_| VerifyError::Zlib)?;
    if json.len() as u64 > MAX_DOC_BYTES {
        return Err(VerifyError::Json("document too large".into()));
    }
    let value: Value = serde_json::from_slice(&json).map_err(|e| VerifyError::Json(e.to_string()))?;
    let obj = value.as_object().ok_or_else(|| VerifyError::Json("not a JSON object".into()))?;
    let userbuf = match obj.get("TLS.userbuf") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(STANDARD.decode(s).map_err(|_| VerifyError::MissingField("TLS.userbuf"))?),
        Some(_) => return Err(VerifyError::MissingField("TLS.userbuf")),
    };
    Ok(SigDoc {
        version: str_field(obj, "TLS.ver").unwrap_or_default(),
        identifier: str_field(obj, "TLS.identifier").ok_or(VerifyError::MissingField("TLS.identifier"))?,
        sdkappid: num_field(obj, "TLS.sdkappid", lenient).ok_or(VerifyError::MissingField("TLS.sdkappid"))?,
        time: num_field(obj, "TLS.time", lenient).ok_or(VerifyError::MissingField("TLS.time"))?,
        expire: num_field(obj, "TLS.expire", lenient).ok_or(VerifyError::MissingField("TLS.expire"))?,
        sig: str_field(obj, "TLS.sig").ok_or(VerifyError::MissingField("TLS.sig"))?,
        userbuf,
    })
}

fn str_field(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.get(name)?.as_str().map(str::to_owned)
}

/// Numbers are JSON numbers in every official library; a numeric string only when lenient.
fn num_field(obj: &Map<String, Value>, name: &str, lenient: bool) -> Option<u64> {
    match obj.get(name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if lenient => s.parse().ok(),
        _ => None,
    }
}

/// What to check a UserSig against.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub sdkappid: u64,
    pub identifier: &'a str,
    pub now: u64,
    /// Without a key the signature itself is not checked (ids and expiry still are).
    pub key: Option<&'a SecretKey>,
    pub userbuf: Option<&'a [u8]>,
}

/// Verify as the official Go `VerifyUserSig*` does: ids, expiry, userbuf, then the HMAC.
pub fn verify(usersig: &str, expect: &Expect<'_>) -> Result<SigDoc, VerifyError> {
    let doc = decode(usersig)?;
    check_doc(&doc, expect)?;
    Ok(doc)
}

/// The checks of `verify` on an already decoded document.
pub fn check_doc(doc: &SigDoc, expect: &Expect<'_>) -> Result<(), VerifyError> {
    if doc.sdkappid != expect.sdkappid {
        return Err(VerifyError::SdkAppIdMismatch { expected: expect.sdkappid, found: doc.sdkappid });
    }
    if doc.identifier != expect.identifier {
        return Err(VerifyError::IdentifierMismatch {
            expected: expect.identifier.to_owned(),
            found: doc.identifier.clone(),
        });
    }
    if doc.is_expired(expect.now) {
        return Err(VerifyError::Expired { expires_at: doc.expires_at(), now: expect.now });
    }
    match (&doc.userbuf, expect.userbuf) {
        (Some(_), None) | (None, Some(_)) => return Err(VerifyError::UserbufTypeMismatch),
        (Some(a), Some(b)) if a.as_slice() != b => return Err(VerifyError::UserbufMismatch),
        _ => {}
    }
    if let Some(key) = expect.key {
        let content = content_to_sign(&doc.identifier, doc.sdkappid, doc.time, doc.expire, doc.userbuf.as_deref());
        let expected = hmac_raw(key, &content);
        let found = STANDARD.decode(&doc.sig).map_err(|_| VerifyError::SigMismatch)?;
        if !constant_time_eq(&expected, &found) {
            return Err(VerifyError::SigMismatch);
        }
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn key() -> SecretKey {
        SecretKey::new(KEY)
    }

    /// A sig whose numbers are strings, signed correctly: the service refuses it, diagnostics read it.
    fn sig_with_string_numbers() -> String {
        let sig = hmac_sig(&key(), &content_to_sign("a", 1400000000, 1700000000, 86400, None));
        let doc = serde_json::json!({"TLS.ver": "2.0", "TLS.identifier": "a", "TLS.sdkappid": "1400000000",
            "TLS.time": "1700000000", "TLS.expire": "86400", "TLS.sig": sig});
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(doc.to_string().as_bytes()).unwrap();
        to_url_safe(&STANDARD.encode(enc.finish().unwrap()))
    }

    #[test]
    fn numbers_must_be_json_numbers_except_for_diagnostics() {
        let s = sig_with_string_numbers();
        assert!(matches!(decode(&s), Err(VerifyError::MissingField("TLS.sdkappid"))));
        let doc = decode_lenient(&s).unwrap();
        assert_eq!((doc.sdkappid, doc.time, doc.expire), (1400000000, 1700000000, 86400));
        let e = Expect { sdkappid: 1400000000, identifier: "a", now: 1700000001, key: Some(&key()), userbuf: None };
        assert!(verify(&s, &e).is_err());
    }

    #[test]
    fn content_string_has_time_before_expire() {
        assert_eq!(
            content_to_sign("xiaojun", 1400000000, 1700000000, 15552000, None),
            "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:15552000\n"
        );
    }

    #[test]
    fn hmac_matches_the_documented_vectors() {
        let c = content_to_sign("xiaojun", 1400000000, 1700000000, 15552000, None);
        assert_eq!(hmac_sig(&key(), &c), "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=");
        let c = content_to_sign("xiaojun", 1400000000, 1700000000, 15552000, Some(b"abc"));
        assert_eq!(hmac_sig(&key(), &c), "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM=");
    }

    #[test]
    fn generated_sig_round_trips_and_uses_the_url_safe_alphabet() {
        let s = generate(1400000000, &key(), "xiaojun", 1700000000, 15552000);
        assert!(s.starts_with("eJ"), "default zlib level header 78 9C: {s}");
        assert!(!s.contains(['+', '/', '=']));
        let doc = verify(
            &s,
            &Expect { sdkappid: 1400000000, identifier: "xiaojun", now: 1700000001, key: Some(&key()), userbuf: None },
        )
        .unwrap();
        assert_eq!(doc.sig, "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=");
        assert_eq!(doc.version, "2.0");
        assert_eq!(doc.expires_at(), 1715552000);
    }

    #[test]
    fn expiry_is_strictly_after_time_plus_expire() {
        let s = generate(1, &SecretKey::new("2"), "3", 100, 4);
        let k = SecretKey::new("2");
        let e = |now| Expect { sdkappid: 1, identifier: "3", now, key: Some(&k), userbuf: None };
        assert!(verify(&s, &e(104)).is_ok());
        assert_eq!(verify(&s, &e(105)), Err(VerifyError::Expired { expires_at: 104, now: 105 }));
    }

    #[test]
    fn debug_of_the_key_is_redacted() {
        assert!(!format!("{:?}", key()).contains("5bd2"));
    }
}
