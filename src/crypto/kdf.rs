//! The passphrase KDF (Argon2id): its cost, the floor and ceiling it must keep, the
//! parameters a store keeps, and how strong a new passphrase must be.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The most Argon2 passes a cost may ask for.
pub(crate) const MAX_KDF_ITERATIONS: u32 = 64;
/// The most Argon2 lanes a cost may ask for.
pub(crate) const MAX_KDF_LANES: u32 = 64;
/// 4 GiB, in KiB: the most memory any store may ask for.
pub(crate) const KDF_MEMORY_CEILING_KIB: u32 = 4 << 20;
/// 1 GiB, in KiB: the default of [`Builder::max_kdf_memory_kib`](crate::Builder::max_kdf_memory_kib).
pub(crate) const DEFAULT_MAX_KDF_MEMORY_KIB: u32 = 1 << 20;
/// The shortest new passphrase accepted, in characters.
pub(crate) const MIN_PASSPHRASE_CHARS: usize = 12;

/// OWASP's Argon2id configurations (memory in KiB, passes), one lane each, all of equal
/// strength: a cost at least as large as one of them in both is accepted.
const OWASP_MINIMUMS: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

/// The cost of deriving a key from a passphrase (Argon2id).
///
/// Default: 19 MiB of memory, 2 iterations, 1 lane (OWASP's recommendation), about
/// 50 ms on a current core. Stored in the store with a random salt, so opening uses
/// the cost the store was made with.
///
/// [`KdfCost::new`] refuses a cost below OWASP's minimum for Argon2id (19 MiB with 2
/// passes, or an equivalent: 46 MiB × 1, 12 MiB × 3, 9 MiB × 4, 7 MiB × 5) and above
/// 64 passes or 64 lanes. Only [`KdfCost::insecure_for_tests`] makes a cheaper one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCost {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    /// Set by `Builder::allow_weak_passphrase`: the cost is what reaches a rotation.
    weak_passphrase_ok: bool,
}

impl Default for KdfCost {
    fn default() -> Self {
        KdfCost::unchecked(19 * 1024, 2, 1)
    }
}

impl KdfCost {
    /// A cost of `memory_kib` KiB, `iterations` passes and `parallelism` lanes.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] (field `kdf_cost`) below OWASP's minimum for
    /// Argon2id, with 0 passes or lanes, above 64 passes or lanes, or above 4 GiB.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<KdfCost> {
        let cost = KdfCost::unchecked(memory_kib, iterations, parallelism);
        let strong = OWASP_MINIMUMS
            .iter()
            .any(|&(m, t)| memory_kib >= m && iterations >= t);
        if !strong {
            return Err(Error::invalid(
                "kdf_cost",
                format!(
                    "kdf_cost: {memory_kib} KiB with {iterations} pass(es) is below OWASP's \
                     minimum for Argon2id (19456 KiB with 2 passes, or 47104 × 1, \
                     12288 × 3, 9216 × 4, 7168 × 5)"
                ),
            ));
        }
        cost.check(KDF_MEMORY_CEILING_KIB)?;
        Ok(cost)
    }

    /// A cost with no floor: **insecure**, for tests that must not spend 50 ms per
    /// derivation. A passphrase store made with it falls to a cheap guessing attack.
    /// The ceiling (64 passes and lanes, the memory limit) still holds at open.
    pub const fn insecure_for_tests(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        KdfCost::unchecked(memory_kib, iterations, parallelism)
    }

    const fn unchecked(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        KdfCost {
            memory_kib,
            iterations,
            parallelism,
            weak_passphrase_ok: false,
        }
    }

    /// Memory in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over the memory.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    pub(crate) fn allowing_weak_passphrases(self, allow: bool) -> Self {
        KdfCost {
            weak_passphrase_ok: allow,
            ..self
        }
    }

    /// The ceiling and Argon2's own rules, checked when a store opens with this cost.
    pub(crate) fn check(&self, max_memory_kib: u32) -> Result<()> {
        let refuse = |rule: &str| Err(Error::invalid("kdf_cost", format!("kdf_cost: {rule}")));
        if self.memory_kib > max_memory_kib.min(KDF_MEMORY_CEILING_KIB) {
            return refuse("the memory is above the limit (Builder::max_kdf_memory_kib)");
        }
        if !(1..=MAX_KDF_ITERATIONS).contains(&self.iterations) {
            return refuse("the passes must be 1–64");
        }
        if !(1..=MAX_KDF_LANES).contains(&self.parallelism) {
            return refuse("the lanes must be 1–64");
        }
        if self.memory_kib < 8 * self.parallelism {
            return refuse("the memory must be at least 8 KiB per lane");
        }
        Ok(())
    }
}

/// What the store keeps to re-derive a passphrase key: the cost and the salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KdfParams {
    pub(crate) memory_kib: u32,
    pub(crate) iterations: u32,
    pub(crate) parallelism: u32,
    pub(crate) salt: [u8; 16],
    /// Set on parameters made for a new passphrase (a new store, a rotation), never
    /// stored: a weak passphrase is refused when it is chosen, while a store made
    /// earlier with one still opens.
    #[serde(skip)]
    pub(crate) new_passphrase_checked: bool,
}

impl KdfParams {
    pub(crate) fn fresh(cost: KdfCost) -> Self {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        KdfParams {
            memory_kib: cost.memory_kib,
            iterations: cost.iterations,
            parallelism: cost.parallelism,
            salt,
            new_passphrase_checked: !cost.weak_passphrase_ok,
        }
    }

    /// Refuses parameters no vaultstore writes (the cost is checked when a store is
    /// made): damage or tampering, reported before any memory is taken or time spent.
    pub(crate) fn check_bounds(&self, max_memory_kib: u32) -> Result<()> {
        let max_memory_kib = max_memory_kib.min(KDF_MEMORY_CEILING_KIB);
        let out_of_bounds = |what: String| {
            Err(Error::corrupted(format!(
                "the stored passphrase parameters ask for {what}: damaged or tampered"
            )))
        };
        if self.memory_kib > max_memory_kib {
            return out_of_bounds(format!(
                "{} KiB of memory, above the limit of {max_memory_kib} KiB \
                 (Builder::max_kdf_memory_kib raises it, up to 4 GiB)",
                self.memory_kib
            ));
        }
        if self.iterations > MAX_KDF_ITERATIONS {
            return out_of_bounds(format!(
                "{} iterations, above the limit of {MAX_KDF_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism > MAX_KDF_LANES {
            return out_of_bounds(format!(
                "{} lanes, above the limit of {MAX_KDF_LANES}",
                self.parallelism
            ));
        }
        Ok(())
    }

    /// Refuses a weak passphrase for a new key (see `new_passphrase_checked`).
    pub(crate) fn check_new_passphrase(&self, passphrase: &SecretString) -> Result<()> {
        if !self.new_passphrase_checked {
            return Ok(());
        }
        let chars = passphrase.expose_secret().chars().count();
        if chars >= MIN_PASSPHRASE_CHARS {
            return Ok(());
        }
        let what = if chars == 0 { "empty" } else { "too short" };
        Err(Error::invalid(
            "passphrase",
            format!(
                "passphrase: the new passphrase is {what}; it must be at least \
                 {MIN_PASSPHRASE_CHARS} characters (Builder::allow_weak_passphrase accepts \
                 a weaker one, e.g. in tests)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owasp_costs_and_their_equivalents_are_accepted() {
        for (m, t) in OWASP_MINIMUMS {
            assert!(KdfCost::new(m, t, 1).is_ok(), "{m} × {t}");
            assert!(KdfCost::new(m - 1, t, 1).is_err(), "{m} - 1 × {t}");
        }
        assert_eq!(KdfCost::new(19_456, 2, 1).ok(), Some(KdfCost::default()));
        assert!(KdfCost::new(1 << 20, 65, 1).is_err(), "above 64 passes");
        assert!(KdfCost::new(1 << 20, 2, 65).is_err(), "above 64 lanes");
        assert!(KdfCost::new(u32::MAX, 2, 1).is_err(), "above 4 GiB");
    }

    #[test]
    fn weak_passphrases_are_refused_only_for_new_keys() {
        let strong = SecretString::from("twelve chars".to_owned());
        let fresh = KdfParams::fresh(KdfCost::default());
        assert!(fresh.check_new_passphrase(&strong).is_ok());
        for weak in ["", "eleven char"] {
            let err = fresh
                .check_new_passphrase(&SecretString::from(weak.to_owned()))
                .expect_err(weak);
            assert_eq!(err.field(), Some("passphrase"));
            let stored = KdfParams {
                new_passphrase_checked: false,
                ..fresh.clone()
            };
            assert!(stored
                .check_new_passphrase(&SecretString::from(weak.to_owned()))
                .is_ok());
        }
        let allowed = KdfParams::fresh(KdfCost::default().allowing_weak_passphrases(true));
        assert!(allowed
            .check_new_passphrase(&SecretString::from(String::new()))
            .is_ok());
    }
}
