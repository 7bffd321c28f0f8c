//! JSON read with every repeated key refused: a plain map keeps the last of two, and the
//! service's parser may keep the first, so a body that says `TagsAnd` twice has no one reading.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parse `text`; an object that gives a key twice, at any depth, is an error naming the key
/// and the object it is in.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut d = serde_json::Deserializer::from_str(text);
    let v = Within(None).deserialize(&mut d)?;
    d.end()?;
    Ok(v)
}

/// One value; `.0` is the key it is under (None: the top), for the message.
struct Within<'a>(Option<&'a str>);

impl<'de> DeserializeSeed<'de> for Within<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Within<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Within(self.0))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let within = self.0.map_or_else(|| "the top-level object".to_owned(), |k| format!("{k:?}"));
                return Err(de::Error::custom(format!(
                    "key {key:?} is given twice in {within}: a parser may keep either one, so timx will not \
                     guess which; the second is"
                )));
            }
            let v = map.next_value_seed(Within(Some(&key)))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads_and_refuses_repeats_at_any_depth() {
        let text = r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":{"d":"é"}}"#;
        assert_eq!(parse(text).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        let e = parse(r#"{"a":1,"a":2}"#).unwrap_err().to_string();
        assert!(e.contains("key \"a\" is given twice in the top-level object"), "{e}");
        let e = parse(r#"{"x":[{"k":1,"k":1}]}"#).unwrap_err().to_string();
        assert!(e.contains("key \"k\" is given twice in \"x\""), "{e}");
        assert!(parse(r#"{"a":1} 2"#).is_err(), "trailing data");
    }
}
