//! RFC 3339 timestamps with exactly six fractional digits and `Z`
//! (`2026-05-18T15:34:16.876188Z`); chrono's default drops to three digits or none.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn to_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// `at` without its nanoseconds below the microsecond: what the store keeps.
pub(crate) fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// `#[serde(with = "timestamp::micros")]`.
pub(crate) mod micros {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_text(at))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

/// `#[serde(with = "timestamp::micros_opt")]`, for fields present only sometimes.
pub(crate) mod micros_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&to_text(at)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => parse(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_six_fractional_digits() {
        let round = DateTime::from_timestamp(1_779_118_456, 0).expect("valid");
        assert_eq!(to_text(&round), "2026-05-18T15:34:16.000000Z");
        let micro = DateTime::from_timestamp_micros(1_779_118_456_876_188).expect("valid");
        assert_eq!(to_text(&micro), "2026-05-18T15:34:16.876188Z");
    }

    #[test]
    fn parse_accepts_offsets_and_returns_utc() {
        let at = parse("2026-05-18T17:34:16.876188+02:00").expect("parses");
        assert_eq!(to_text(&at), "2026-05-18T15:34:16.876188Z");
        assert!(parse("yesterday").is_none());
    }
}
