//! Object ids (`vault_…`, `vcred_…`: a prefix and the 32 hex digits of a ULID) and the
//! clock that issues them together with their `created_at`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::Rng;

/// Which kind of object an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Vault,
    Credential,
}

impl Kind {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Kind::Vault => "vault_",
            Kind::Credential => "vcred_",
        }
    }

    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Vault => "vault",
            Kind::Credential => "credential",
        }
    }
}

/// The 128 bits of a ULID: 48 bits of milliseconds since the epoch, then 80 bits that
/// increase within a millisecond. Sorting by `RawId` sorts by creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RawId(pub(crate) u128);

impl RawId {
    pub(crate) const LEN: usize = 16;

    pub(crate) fn bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<RawId> {
        let array: [u8; 16] = bytes.try_into().ok()?;
        Some(RawId(u128::from_be_bytes(array)))
    }

    pub(crate) fn millis(self) -> i64 {
        // 48 bits always fit in an i64.
        (self.0 >> 80) as i64
    }

    /// `prefix` + 32 lowercase hex digits.
    pub(crate) fn format(self, kind: Kind) -> String {
        // By hand: `format!("{:032x}")` costs several times more, and every item a
        // read returns formats one or two ids.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 32];
        for (i, digit) in hex.iter_mut().enumerate() {
            *digit = HEX[(self.0 >> (4 * (31 - i))) as usize & 0xf];
        }
        let mut text = String::with_capacity(kind.prefix().len() + 32);
        text.push_str(kind.prefix());
        // Hex digits are ASCII, so this never falls back to the empty default.
        text.push_str(std::str::from_utf8(&hex).unwrap_or_default());
        text
    }

    /// The inverse of [`RawId::format`]; anything else (wrong prefix, upper case, wrong
    /// length, a sign) is `None`.
    pub(crate) fn parse(text: &str, kind: Kind) -> Option<RawId> {
        let hex = text.strip_prefix(kind.prefix())?;
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hex.len() != 32 || !hex.bytes().all(lower_hex) {
            return None;
        }
        u128::from_str_radix(hex, 16).ok().map(RawId)
    }
}

/// Issues ids and creation times that agree: a later id is larger and its time is no
/// earlier, even if the wall clock steps back (the time then stands still).
pub(crate) struct IdClock {
    state: Mutex<ClockState>,
}

struct ClockState {
    last_micros: i64,
    last_id: u128,
}

const RANDOM_BITS: u32 = 80;
const RANDOM_MASK: u128 = (1 << RANDOM_BITS) - 1;

impl IdClock {
    /// A clock that never goes below `floor`, the largest id already stored.
    pub(crate) fn starting_after(floor: Option<RawId>) -> IdClock {
        let last_id = floor.map_or(0, |id| id.0);
        // The stored item's exact microsecond is unknown: assume the latest in its ms.
        let last_micros = floor.map_or(0, |id| id.millis() * 1000 + 999);
        IdClock {
            state: Mutex::new(ClockState {
                last_micros,
                last_id,
            }),
        }
    }

    /// The next id and its `created_at`, truncated to microseconds.
    pub(crate) fn next(&self) -> (RawId, DateTime<Utc>) {
        let now = Utc::now().timestamp_micros().max(0);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut micros = now.max(state.last_micros);
        let last_ms = (state.last_id >> RANDOM_BITS) as i64;
        let id = if micros / 1000 == last_ms && state.last_id & RANDOM_MASK != RANDOM_MASK {
            state.last_id + 1
        } else {
            if micros / 1000 <= last_ms {
                // 2^80 ids in one millisecond were used up: move to the next one.
                micros = (last_ms + 1) * 1000;
            }
            let random: u128 = rand::thread_rng().gen::<u128>() & (RANDOM_MASK >> 1);
            ((micros / 1000) as u128) << RANDOM_BITS | random
        };
        state.last_micros = micros;
        state.last_id = id;
        (RawId(id), micros_to_time(micros))
    }
}

/// Microseconds since the epoch as a timestamp; out-of-range values clamp to the epoch
/// (they only arise from corrupted records, which the codec rejects first).
pub(crate) fn micros_to_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn format_is_prefix_and_32_lowercase_hex() {
        let id = RawId(0x019e3bb940277f0db05ab74291acf6ef);
        assert_eq!(
            id.format(Kind::Vault),
            "vault_019e3bb940277f0db05ab74291acf6ef"
        );
        assert_eq!(
            id.format(Kind::Credential),
            "vcred_019e3bb940277f0db05ab74291acf6ef"
        );
    }

    #[test]
    fn parse_rejects_anything_not_formatted_by_us() {
        for bad in [
            "",
            "vault_",
            "vault_019E3BB940277F0DB05AB74291ACF6EF",
            "vault_019e3bb940277f0db05ab74291acf6e",
            "vault_019e3bb940277f0db05ab74291acf6eff",
            "vault_+19e3bb940277f0db05ab74291acf6ef",
            "vcred_019e3bb940277f0db05ab74291acf6ef",
            " vault_019e3bb940277f0db05ab74291acf6ef",
            "vault_019e3bb940277f0db05ab74291acf6é",
        ] {
            assert_eq!(RawId::parse(bad, Kind::Vault), None, "{bad:?}");
        }
    }

    #[test]
    fn ids_and_times_increase_together() {
        let clock = IdClock::starting_after(None);
        let mut last = clock.next();
        for _ in 0..10_000 {
            let next = clock.next();
            assert!(next.0 > last.0);
            assert!(next.1 >= last.1);
            assert_eq!(next.0.millis(), next.1.timestamp_millis());
            last = next;
        }
    }

    #[test]
    fn a_clock_never_issues_below_its_floor() {
        let future_ms: i64 = Utc::now().timestamp_millis() + 3_600_000;
        let floor = RawId(((future_ms as u128) << RANDOM_BITS) | 5);
        let clock = IdClock::starting_after(Some(floor));
        let (id, at) = clock.next();
        assert!(id > floor);
        assert!(at.timestamp_millis() >= future_ms);
    }

    #[test]
    fn times_are_whole_microseconds() {
        let (_, at) = IdClock::starting_after(None).next();
        assert_eq!(at.timestamp_subsec_nanos() % 1000, 0);
    }

    proptest! {
        #[test]
        fn parse_inverts_format(bits: u128) {
            for kind in [Kind::Vault, Kind::Credential] {
                prop_assert_eq!(RawId::parse(&RawId(bits).format(kind), kind), Some(RawId(bits)));
            }
        }

        #[test]
        fn parse_never_panics(text in ".{0,80}") {
            let _ = RawId::parse(&text, Kind::Vault);
        }
    }
}
