//! `deserialize_with` helpers for the strings of stored records: each string is read as
//! a borrowed `&str` and copied into a `String` of its exact length.
//!
//! Why: bincode 2.0.1 decodes a `String` into a zero-filled buffer (`calloc`), and glibc
//! serves `calloc` without its per-thread cache. In a long-lived process whose heap has
//! seen many frees, each such call walks glibc's bins: a list page of 20 vaults spent a
//! third of its time there (2.7 × its baseline at 100k vaults). A plain copy is a
//! `malloc`, served from the cache. The bytes on disk are the same either way.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

/// A `String`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_str(Text)
}

/// An `Option<String>`.
pub(crate) fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_option(OptionalText)
}

/// A `BTreeMap<String, String>` (metadata).
pub(crate) fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    d.deserialize_map(TextMap)
}

/// Reads one string; also a seed, for map keys and values.
#[derive(Clone, Copy)]
struct Text;

impl Visitor<'_> for Text {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, text: &str) -> Result<String, E> {
        Ok(text.to_owned())
    }

    fn visit_string<E>(self, text: String) -> Result<String, E> {
        Ok(text)
    }
}

impl<'de> DeserializeSeed<'de> for Text {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

struct OptionalText;

impl<'de> Visitor<'de> for OptionalText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an optional string")
    }

    fn visit_none<E>(self) -> Result<Option<String>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        string(d).map(Some)
    }
}

struct TextMap;

impl<'de> Visitor<'de> for TextMap {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some((key, value)) = access.next_entry_seed(Text, Text)? {
            map.insert(key, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use crate::crypto::codec::{decode, encode};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Plain {
        text: String,
        maybe: Option<String>,
        absent: Option<String>,
        pairs: BTreeMap<String, String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Copied {
        #[serde(deserialize_with = "super::string")]
        text: String,
        #[serde(deserialize_with = "super::option")]
        maybe: Option<String>,
        #[serde(deserialize_with = "super::option")]
        absent: Option<String>,
        #[serde(deserialize_with = "super::map")]
        pairs: BTreeMap<String, String>,
    }

    #[test]
    fn reads_what_the_derived_code_wrote() {
        let pairs: BTreeMap<String, String> = [("env", "prod"), ("ünï", "cödé"), ("", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let plain = Plain {
            text: "a display name".into(),
            maybe: Some("https://mcp.example/".into()),
            absent: None,
            pairs: pairs.clone(),
        };
        let copied: Copied =
            decode(&encode(&plain).expect("test"), || "test".into()).expect("test");
        assert_eq!(
            copied,
            Copied {
                text: plain.text.clone(),
                maybe: plain.maybe.clone(),
                absent: None,
                pairs,
            }
        );
        // And the other way: encoding is untouched.
        assert_eq!(
            encode(&copied).expect("test"),
            encode(&plain).expect("test")
        );
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut bytes = encode(&Plain {
            text: "ab".into(),
            maybe: None,
            absent: None,
            pairs: BTreeMap::new(),
        })
        .expect("test");
        // The version byte, the length 2, then the text's bytes.
        let at = bytes.iter().position(|&b| b == b'a').expect("test");
        bytes[at] = 0xff;
        assert!(decode::<Copied>(&bytes, || "test".into()).is_err());
    }
}
