//! What a session lookup does with an `mcp_oauth` token that expires within the refresh
//! margin: one refresh at a time per credential, the answer stored durably before the
//! token is handed out, failures recorded on the credential.

use chrono::Utc;
use secrecy::SecretString;

use super::{ClientCredentials, RefreshFailure, RefreshFailureKind, RefreshRequest, TokenAnswer};
use crate::api::id::{micros_to_time, Kind, RawId};
use crate::backend::Reads;
use crate::crypto::seal::Keyring;
use crate::error::{Error, Result};
use crate::store::records::{
    AuthMethod, CredentialRecord, RefreshErrorRecord, SecretField, TokenEntry,
};
use crate::store::session::ResolvedCredential;
use crate::store::VaultStore;

/// Backoff after failures in a row: transient ones from 1 s to 5 minutes, configuration
/// errors from 5 minutes to an hour.
fn backoff_micros(kind: RefreshFailureKind, failures: u32) -> Option<i64> {
    let doubling = |first: i64, cap: i64| {
        let shift = failures.saturating_sub(1).min(20);
        Some(first.saturating_mul(1 << shift).min(cap) * 1_000_000)
    };
    match kind {
        RefreshFailureKind::Transient => doubling(1, 300),
        RefreshFailureKind::Configuration => doubling(300, 3600),
        RefreshFailureKind::InvalidGrant => None,
    }
}

impl VaultStore {
    /// Whether the record's access token must be refreshed before it is handed out.
    pub(crate) fn refresh_due(&self, record: &CredentialRecord) -> bool {
        let margin = i64::try_from(self.inner.refresh_margin.as_micros()).unwrap_or(i64::MAX);
        let expires_at = record.oauth.as_ref().and_then(|o| o.expires_at);
        expires_at.is_some_and(|at| at.saturating_sub(margin) <= Utc::now().timestamp_micros())
    }

    /// Refreshes the credential `id` of `vault`, found at `url`, and resolves it. Runs
    /// under the credential's refresh lock; re-reads first, so a lookup that waited for
    /// another's refresh uses its token and makes no request.
    pub(crate) fn refresh_and_resolve(
        &self,
        vault: RawId,
        id: RawId,
        url: &str,
    ) -> Result<Option<ResolvedCredential>> {
        let key = self.account.credential(vault, id);
        let _one_at_a_time = self.inner.refresh_locks.lock(key.clone());
        // Other processes sharing the store (PostgreSQL) wait here too: a refresh token
        // is spent once.
        let _across_processes = self.backend().lock_across_processes(&key)?;
        let (record, entry) = {
            let keys = self.keys();
            let Some((found, record, entry)) =
                self.checked_entry(&mut *self.backend().reads()?, &keys, vault, url)?
            else {
                return Ok(None);
            };
            if found != id || !self.refresh_due(&record) {
                return self.resolved(&keys, vault, found, record, &entry).map(Some);
            }
            (record, entry)
        };
        let id_text = id.format(Kind::Credential);
        let oauth = record.oauth.clone().unwrap_or_default();
        let now = Utc::now().timestamp_micros();
        if oauth.state.needs_reauthorization {
            return Err(refresh_error(
                &id_text,
                &record,
                "the refresh token was refused earlier; a new login is needed",
            ));
        }
        if let Some(next) = oauth.state.next_attempt_at.filter(|next| *next > now) {
            let text = crate::api::timestamp::to_text(&micros_to_time(next));
            return Err(refresh_error(
                &id_text,
                &record,
                &format!("the last refresh failed; next attempt after {text}"),
            ));
        }
        let (Some(refresh), Some(sealed_refresh)) =
            (oauth.refresh.as_ref(), entry.refresh_token.as_ref())
        else {
            let failure = RefreshFailure::new(
                RefreshFailureKind::InvalidGrant,
                "no_refresh_token",
                "the access token expired and the credential has no refresh token",
            );
            return Err(self.record_failure(vault, id, &record, failure));
        };
        let Some(refresher) = self.inner.refresher.clone() else {
            let failure = RefreshFailure::new(
                RefreshFailureKind::Configuration,
                "refresher_error",
                "no token refresher: enable the http-refresh feature or set Builder::token_refresher",
            );
            return Err(self.record_failure(vault, id, &record, failure));
        };
        let (refresh_token, client_secret) = {
            let keys = self.keys();
            let refresh_token = self.open_secret(
                &keys,
                vault,
                id,
                &record,
                SecretField::RefreshToken,
                sealed_refresh,
            )?;
            let client_secret = entry
                .client_secret
                .as_ref()
                .map(|s| self.open_secret(&keys, vault, id, &record, SecretField::ClientSecret, s))
                .transpose()?;
            (refresh_token, client_secret)
        };
        let client_auth = match (refresh.method, &client_secret) {
            (AuthMethod::ClientSecretBasic, Some(secret)) => ClientCredentials::Basic(secret),
            (AuthMethod::ClientSecretPost, Some(secret)) => ClientCredentials::Post(secret),
            _ => ClientCredentials::None,
        };
        let request = RefreshRequest {
            credential_id: &id_text,
            token_endpoint: &refresh.token_endpoint,
            client_id: &refresh.client_id,
            client_auth,
            refresh_token: &refresh_token,
            scope: refresh.scope.as_deref(),
            resource: refresh.resource.as_deref(),
        };
        // No store lock is held here: the request may take up to its timeout.
        match refresher.refresh(&request) {
            Ok(answer) => self.save_refresh(vault, id, url, &record, answer).map(Some),
            Err(failure) => Err(self.record_failure(vault, id, &record, failure)),
        }
    }

    /// Stores a refresh's answer (new access token, its expiry, a rotated refresh token)
    /// in one transaction, durably whatever the store's durability mode: a rotated
    /// refresh token that is lost cannot be spent again.
    fn save_refresh(
        &self,
        vault: RawId,
        id: RawId,
        url: &str,
        read: &CredentialRecord,
        answer: TokenAnswer,
    ) -> Result<ResolvedCredential> {
        let keys = self.keys();
        let resolved = self.transact(|tx| {
            let (mut record, mut entry) = self.current(tx, &keys, vault, id, url, read)?;
            let now = Utc::now().timestamp_micros();
            let oauth = record.oauth.get_or_insert_with(Default::default);
            oauth.expires_at = answer.expires_in.map(|s| {
                now.saturating_add(
                    i64::try_from(s)
                        .unwrap_or(i64::MAX / 2)
                        .saturating_mul(1_000_000),
                )
            });
            oauth.state.last_refreshed_at = Some(now);
            if answer.scope.is_some() {
                oauth.state.granted_scope = answer.scope.clone();
            }
            oauth.state.last_error = None;
            oauth.state.failures = 0;
            oauth.state.next_attempt_at = None;
            oauth.state.needs_reauthorization = false;
            entry.access_token = self.seal_secret(
                &keys,
                vault,
                id,
                &record,
                SecretField::AccessToken,
                &answer.access_token,
            )?;
            if let Some(rotated) = &answer.refresh_token {
                entry.refresh_token = Some(self.seal_secret(
                    &keys,
                    vault,
                    id,
                    &record,
                    SecretField::RefreshToken,
                    rotated,
                )?);
            }
            self.put_credential(tx, &keys, vault, id, &record)?;
            self.put_token(tx, vault, url, &entry)?;
            Ok(ResolvedCredential::new(
                vault,
                id,
                &record,
                copy(&answer.access_token),
            ))
        })?;
        drop(keys);
        self.backend().make_durable_now()?;
        Ok(resolved)
    }

    /// Records a failed refresh on the credential and returns the error for the caller.
    /// The caller holds the credential's refresh lock.
    pub(super) fn record_failure(
        &self,
        vault: RawId,
        id: RawId,
        read: &CredentialRecord,
        failure: RefreshFailure,
    ) -> Error {
        let id_text = id.format(Kind::Credential);
        let keys = self.keys();
        let url = read.lookup_url.clone();
        let stored = self.transact(|tx| {
            let (mut record, _) = self.current(tx, &keys, vault, id, &url, read)?;
            let now = Utc::now().timestamp_micros();
            let state = &mut record.oauth.get_or_insert_with(Default::default).state;
            state.failures = state.failures.saturating_add(1);
            state.next_attempt_at =
                backoff_micros(failure.kind, state.failures).map(|d| now.saturating_add(d));
            state.needs_reauthorization = failure.kind == RefreshFailureKind::InvalidGrant;
            state.last_error = Some(RefreshErrorRecord {
                code: failure.code.clone(),
                message: failure.message.clone(),
                at: now,
            });
            self.put_credential(tx, &keys, vault, id, &record)
        });
        drop(keys);
        let stored = stored.and_then(|()| self.commit());
        match stored {
            Ok(()) => Error::Refresh {
                credential_id: id_text,
                code: failure.code,
                needs_reauthorization: failure.kind == RefreshFailureKind::InvalidGrant,
                message: failure.message,
            },
            Err(e) => e,
        }
    }

    /// The credential's record and token entry now, which must still be the ones read
    /// before the refresh: same credential, same binding, still active.
    fn current(
        &self,
        reads: &mut dyn Reads,
        keys: &Keyring,
        vault: RawId,
        id: RawId,
        url: &str,
        read: &CredentialRecord,
    ) -> Result<(CredentialRecord, TokenEntry)> {
        let id_text = id.format(Kind::Credential);
        let gone = || Error::Refresh {
            credential_id: id_text.clone(),
            code: "credential_changed".into(),
            needs_reauthorization: false,
            message: "the credential was archived or deleted during its refresh".into(),
        };
        let record = self
            .read_credential(reads, keys, vault, id)?
            .ok_or_else(gone)?;
        if !record.is_active() || record.binding != read.binding {
            return Err(gone());
        }
        let entry = self.read_token_entry(reads, vault, url)?.ok_or_else(gone)?;
        if entry.credential_id != id.bytes() || entry.binding != record.binding {
            return Err(gone());
        }
        Ok((record, entry))
    }
}

fn refresh_error(id_text: &str, record: &CredentialRecord, message: &str) -> Error {
    let state = record.oauth.as_ref().map(|o| &o.state);
    let last = state.and_then(|s| s.last_error.as_ref());
    Error::Refresh {
        credential_id: id_text.to_owned(),
        code: last.map_or_else(|| "refresh_failed".to_owned(), |e| e.code.clone()),
        needs_reauthorization: state.is_some_and(|s| s.needs_reauthorization),
        message: match last {
            Some(e) => format!("{message} ({})", e.message),
            None => message.to_owned(),
        },
    }
}

/// A second `SecretString` of the same token, sized exactly (no reallocation residue).
fn copy(secret: &SecretString) -> SecretString {
    use secrecy::ExposeSecret;
    let mut text = String::with_capacity(secret.expose_secret().len());
    text.push_str(secret.expose_secret());
    SecretString::from(text)
}
