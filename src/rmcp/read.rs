//! Reading the credential for rmcp: the token set as rmcp's `StoredCredentials`, and
//! the stored client after a restart.

use chrono::Utc;
use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, Scope};
use rmcp::transport::auth::{OAuthTokenResponse, StoredCredentials, VendorExtraTokenFields};
use secrecy::{ExposeSecret, SecretString};

use super::{OAuthClient, Shared, ISSUER_METADATA_KEY};
use crate::api::id::{Kind, RawId};
use crate::api::model::{CredentialType, Protocol};
use crate::error::{Error, Result};
use crate::store::records::{AuthMethod, CredentialRecord, OAuthRecord, SecretField, TokenEntry};
use crate::store::VaultStore;

/// The active credential for `url` in `vault_id`, checked against its token entry.
pub(super) fn current(
    store: &VaultStore,
    vault_id: &str,
    url: &str,
) -> Result<Option<(RawId, RawId, CredentialRecord, TokenEntry)>> {
    let vault =
        RawId::parse(vault_id, Kind::Vault).ok_or_else(|| Error::vault_not_found(vault_id))?;
    let keys = store.keys();
    let mut reads = store.backend().reads()?;
    let found = store.checked_entry(&mut *reads, &keys, vault, url)?;
    if found.is_none() {
        // Tell an unknown vault from one without the credential.
        store.existing_vault(&mut *reads, vault_id)?;
    }
    Ok(found.map(|(id, record, entry)| (vault, id, record, entry)))
}

/// The credential's (vault, id), if the vault has one for the URL.
pub(super) fn find(shared: &Shared) -> Result<Option<(RawId, RawId)>> {
    let found = current(&shared.store, &shared.vault_id, &shared.lookup_url)?;
    Ok(found.map(|(vault, id, _, _)| (vault, id)))
}

/// The stored credential as rmcp's: its access token (with the time left, as
/// `expires_in` from now), refresh token, granted scopes and issuer. A credential
/// marked as needing a new login comes without its refresh token, so rmcp asks for
/// authorization rather than spending it again.
pub(super) fn load(shared: &Shared, may_refresh: bool) -> Result<Option<StoredCredentials>> {
    let store = &shared.store;
    if may_refresh && store.inner.refresher.is_some() {
        // The session path refreshes a token due within the margin, one request for
        // all concurrent callers. Its failure is recorded on the credential and shows
        // below (a refused token as a missing refresh token); otherwise rmcp sees the
        // old token as expiring and tries its own refresh.
        match store
            .session(&[&shared.vault_id])
            .and_then(|s| s.resolve(&shared.mcp_server_url))
        {
            Ok(_) | Err(Error::Refresh { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let Some((vault, id, record, entry)) = current(store, &shared.vault_id, &shared.lookup_url)?
    else {
        return Ok(None);
    };
    let oauth = oauth_of(&record, &id)?;
    let refresh = oauth.refresh.as_ref();
    if let Some(refresh) = refresh {
        if refresh.client_id != shared.client.client_id
            || refresh.token_endpoint != shared.client.token_endpoint
        {
            return Err(other_client(&id, &refresh.client_id));
        }
    }
    let keys = store.keys();
    let open = |field, sealed| store.open_secret(&keys, vault, id, &record, field, sealed);
    let access = open(SecretField::AccessToken, &entry.access_token)?;
    let refresh_token = match &entry.refresh_token {
        Some(sealed) if !oauth.state.needs_reauthorization => {
            Some(open(SecretField::RefreshToken, sealed)?)
        }
        _ => None,
    };
    drop(keys);

    let now = Utc::now();
    let mut tokens = OAuthTokenResponse::new(
        AccessToken::new(access.expose_secret().to_owned()),
        BasicTokenType::Bearer,
        VendorExtraTokenFields::default(),
    );
    // rmcp measures expiry from `token_received_at`: now, with the time left.
    let expires_in = oauth.expires_at.map(|at| {
        let left = at.saturating_sub(now.timestamp_micros()).max(0);
        std::time::Duration::from_micros(u64::try_from(left).unwrap_or(0))
    });
    tokens.set_expires_in(expires_in.as_ref());
    tokens
        .set_refresh_token(refresh_token.map(|t| RefreshToken::new(t.expose_secret().to_owned())));
    if let Some(granted) = &oauth.state.granted_scope {
        tokens.set_scopes(Some(scopes(granted).map(Scope::new).collect()));
    }
    let granted_scopes = oauth
        .refresh
        .as_ref()
        .and_then(|r| r.scope.as_deref())
        .map(|s| scopes(s).collect())
        .unwrap_or_default();
    let client_id = refresh.map_or(&shared.client.client_id, |r| &r.client_id);
    let received_at = u64::try_from(now.timestamp()).unwrap_or(0);
    Ok(Some(
        StoredCredentials::new(
            client_id.clone(),
            Some(tokens),
            granted_scopes,
            Some(received_at),
        )
        .with_issuer(record.metadata.get(ISSUER_METADATA_KEY).cloned()),
    ))
}

/// The client stored with the credential for `url`, and the credential's protocol.
pub(super) fn stored_client(
    store: &VaultStore,
    vault_id: &str,
    url: &str,
) -> Result<Option<(OAuthClient, Protocol)>> {
    let Some((vault, id, record, entry)) = current(store, vault_id, url)? else {
        return Ok(None);
    };
    let Some(refresh) = oauth_of(&record, &id)?.refresh else {
        return Ok(None);
    };
    let client_secret = match &entry.client_secret {
        Some(sealed) => {
            let keys = store.keys();
            Some(store.open_secret(&keys, vault, id, &record, SecretField::ClientSecret, sealed)?)
        }
        None => None,
    };
    let client = OAuthClient {
        client_id: refresh.client_id,
        client_secret,
        token_endpoint_auth: match refresh.method {
            AuthMethod::None => crate::TokenEndpointAuthMethod::None,
            AuthMethod::ClientSecretBasic => crate::TokenEndpointAuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost => crate::TokenEndpointAuthMethod::ClientSecretPost,
        },
        token_endpoint: refresh.token_endpoint,
        resource: refresh.resource,
    };
    Ok(Some((client, record.protocol)))
}

/// The `mcp_oauth` state of a credential; a `static_bearer` one is not rmcp's.
pub(super) fn oauth_of(record: &CredentialRecord, id: &RawId) -> Result<OAuthRecord> {
    if record.credential_type != CredentialType::McpOauth {
        return Err(Error::invalid(
            "mcp_server_url",
            format!(
                "credential {} for {} is static_bearer; the rmcp adapter needs an mcp_oauth \
                 credential (archive this one, or use another vault)",
                id.format(Kind::Credential),
                record.mcp_server_url
            ),
        ));
    }
    Ok(record.oauth.clone().unwrap_or_default())
}

/// The error for a credential made for another OAuth client.
pub(super) fn other_client(id: &RawId, client_id: &str) -> Error {
    Error::invalid(
        "client.client_id",
        format!(
            "credential {} holds tokens of OAuth client '{client_id}' (or another token \
             endpoint); archive it, or build the adapter with that client \
             (VaultCredentialStore::from_stored)",
            id.format(Kind::Credential)
        ),
    )
}

/// Scopes in a space-separated scope string.
fn scopes(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_ascii_whitespace().map(str::to_owned)
}

/// Whether two secrets are equal, in time independent of where they differ.
pub(super) fn same_secret(a: &SecretString, b: &str) -> bool {
    let (a, b) = (a.expose_secret().as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
