//! Updating a credential: its display name, metadata and secrets, in place. This is how
//! a runtime rotates a secret without re-creating the credential.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::VaultStore;
use crate::api::model::{CredentialType, VaultCredential};
use crate::api::request::{UpdateAuth, UpdateCredential, UpdateOAuth};
use crate::api::validate;
use crate::error::{Error, Result};
use crate::store::records::{AuthMethod, CredentialRecord, RefreshStateRecord, SecretField};

impl VaultStore {
    /// Changes a credential's `display_name`, `metadata` (a patch) and secrets, in one
    /// durable transaction; the next session lookup sees the new secret. The URL, the
    /// type and the OAuth `client_id` cannot change. New tokens clear a recorded refresh
    /// failure (and the need for a new login).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown vault or credential;
    /// [`Error::InvalidRequest`] for a bad field, an `auth.type` other than the
    /// credential's, refresh secrets on a credential without refresh settings, a client
    /// secret for a public client, or an archived credential or vault.
    pub fn update_credential(
        &self,
        vault_id: impl AsRef<str>,
        credential_id: impl AsRef<str>,
        update: UpdateCredential,
    ) -> Result<VaultCredential> {
        let (vault_id, credential_id) = (vault_id.as_ref(), credential_id.as_ref());
        check_fields(&update, self.now_micros(0))?;
        let _refresh = self.refresh_lock(vault_id, credential_id);
        self.update_credential_held(vault_id, credential_id, update)
    }

    /// [`VaultStore::update_credential`] for a caller that already holds the
    /// credential's refresh lock (the rmcp adapter's refresh guard).
    pub(crate) fn update_credential_held(
        &self,
        vault_id: &str,
        credential_id: &str,
        update: UpdateCredential,
    ) -> Result<VaultCredential> {
        check_fields(&update, self.now_micros(0))?;
        let keys = self.keys();
        let (vault, id, record) = self.transact(|tx| {
            let (vault, id, mut record) =
                self.find_credential(tx, &keys, vault_id, credential_id)?;
            let vault_record = self.read_vault(tx, &keys, vault)?;
            if !record.is_active() || !vault_record.is_some_and(|v| v.is_active()) {
                return Err(Error::invalid(
                    "credential_id",
                    format!(
                        "Credential '{credential_id}' is archived (or its vault is) and cannot be \
                         updated."
                    ),
                ));
            }
            if let Some(name) = &update.display_name {
                record.display_name = name.clone();
            }
            if let Some(patch) = &update.metadata {
                for (key, value) in patch {
                    match value {
                        Some(value) => record.metadata.insert(key.clone(), value.clone()),
                        None => record.metadata.remove(key),
                    };
                }
                validate::metadata(&record.metadata)?;
            }
            if let Some(auth) = &update.auth {
                let mut entry = self
                    .read_token_entry(tx, vault, &record.lookup_url)?
                    .filter(|e| e.credential_id == id.bytes() && e.binding == record.binding)
                    .ok_or_else(|| {
                        Error::corrupted(format!(
                            "credential {credential_id} is active but has no token"
                        ))
                    })?;
                let changes = secret_changes(&mut record, auth)?;
                for (field, secret) in changes {
                    let sealed = self.seal_secret(&keys, vault, id, &record, field, secret)?;
                    match field {
                        SecretField::AccessToken => entry.access_token = sealed,
                        SecretField::RefreshToken => entry.refresh_token = Some(sealed),
                        SecretField::ClientSecret => entry.client_secret = Some(sealed),
                    }
                }
                self.put_token(tx, vault, &record.lookup_url, &entry)?;
            }
            record.updated_at = self.now_micros(record.updated_at);
            self.put_credential(tx, &keys, vault, id, &record)?;
            Ok((vault, id, record))
        })?;
        drop(keys);
        self.commit()?;
        Ok(record.into_public(vault, id))
    }
}

/// The request's own rules, before anything is read.
fn check_fields(update: &UpdateCredential, now: i64) -> Result<()> {
    if let Some(Some(name)) = &update.display_name {
        validate::display_name("display_name", name)?;
    }
    match &update.auth {
        Some(UpdateAuth::StaticBearer { token: Some(token) }) => {
            validate::secret("auth.token", token)?;
        }
        Some(UpdateAuth::McpOauth(oauth)) => check_oauth(oauth, now)?,
        _ => {}
    }
    Ok(())
}

fn check_oauth(oauth: &UpdateOAuth, now: i64) -> Result<()> {
    if let Some(token) = &oauth.access_token {
        validate::secret("auth.access_token", token)?;
    }
    if let Some(Some(at)) = oauth.expires_at {
        validate::future("auth.expires_at", at, now)?;
    }
    if let Some(refresh) = &oauth.refresh {
        if let Some(token) = &refresh.refresh_token {
            validate::secret("auth.refresh.refresh_token", token)?;
        }
        if let Some(scope) = &refresh.scope {
            validate::scope("auth.refresh.scope", scope)?;
        }
        if let Some(secret) = &refresh.client_secret {
            validate::secret("auth.refresh.token_endpoint_auth.client_secret", secret)?;
        }
    }
    Ok(())
}

/// Applies the non-secret part of `auth` to `record` and returns the secrets to seal.
fn secret_changes<'a>(
    record: &mut CredentialRecord,
    auth: &'a UpdateAuth,
) -> Result<Vec<(SecretField, &'a SecretString)>> {
    let wrong_type = |sent: &str| {
        Error::invalid(
            "auth.type",
            format!(
                "auth.type: the credential is {}, not {sent}; the type cannot change",
                record.credential_type.as_str()
            ),
        )
    };
    let mut changes = Vec::new();
    match auth {
        UpdateAuth::StaticBearer { token } => {
            if record.credential_type != CredentialType::StaticBearer {
                return Err(wrong_type("static_bearer"));
            }
            if let Some(token) = token {
                changes.push((SecretField::AccessToken, token));
            }
        }
        UpdateAuth::McpOauth(oauth) => {
            if record.credential_type != CredentialType::McpOauth {
                return Err(wrong_type("mcp_oauth"));
            }
            let state = record.oauth.get_or_insert_with(Default::default);
            if let Some(token) = &oauth.access_token {
                changes.push((SecretField::AccessToken, token));
            }
            if let Some(at) = oauth.expires_at {
                state.expires_at = at.map(|at: DateTime<Utc>| at.timestamp_micros());
            }
            if let Some(refresh) = &oauth.refresh {
                let Some(settings) = state.refresh.as_mut() else {
                    return Err(Error::invalid(
                        "auth.refresh",
                        "auth.refresh: the credential was created without refresh settings; \
                         create a new credential to add them",
                    ));
                };
                if let Some(scope) = &refresh.scope {
                    settings.scope = Some(scope.clone()).filter(|s| !s.is_empty());
                }
                if let Some(token) = &refresh.refresh_token {
                    changes.push((SecretField::RefreshToken, token));
                }
                if let Some(secret) = &refresh.client_secret {
                    if settings.method == AuthMethod::None {
                        return Err(Error::invalid(
                            "auth.refresh.token_endpoint_auth.client_secret",
                            "auth.refresh.token_endpoint_auth.client_secret: the credential's \
                             client is public (token_endpoint_auth none) and has no secret",
                        ));
                    }
                    changes.push((SecretField::ClientSecret, secret));
                }
            }
            if !changes.is_empty() {
                // New secrets: a recorded failure no longer applies.
                let kept = state.state.last_refreshed_at;
                let granted = state.state.granted_scope.take();
                state.state = RefreshStateRecord {
                    last_refreshed_at: kept,
                    granted_scope: granted,
                    ..Default::default()
                };
            }
        }
    }
    Ok(changes)
}
