//! Writing rmcp's token sets into the credential: create, update, archive, and marking
//! a refused refresh token.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use oauth2::TokenResponse;
use rmcp::transport::auth::StoredCredentials;
use secrecy::{ExposeSecret, SecretString};

use super::read::{self, other_client, same_secret};
use super::{Shared, ISSUER_METADATA_KEY};
use crate::api::id::{Kind, RawId};
use crate::api::model::TokenEndpointAuthMethod;
use crate::api::request::{
    ClientAuth, CreateCredential, OAuthRefresh, OAuthTokens, UpdateAuth, UpdateCredential,
    UpdateOAuth, UpdateRefresh,
};
use crate::error::{Error, Result};
use crate::store::records::AuthMethod;

/// One token set from rmcp, as the store takes it.
struct TokenSet {
    access_token: SecretString,
    expires_at: Option<DateTime<Utc>>,
    refresh_token: Option<SecretString>,
    /// Space-separated; empty when rmcp knows no grant.
    scope: String,
    issuer: Option<String>,
}

/// Stores rmcp's credentials: a new credential on the first save, an update after. A
/// save without tokens (rmcp's way to drop tokens but keep the client) archives.
pub(super) fn save(shared: &Shared, credentials: StoredCredentials) -> Result<()> {
    if credentials.client_id != shared.client.client_id {
        return Err(Error::invalid(
            "client_id",
            format!(
                "client_id: rmcp saved tokens of OAuth client '{}', but this adapter is for \
                 client '{}'",
                credentials.client_id, shared.client.client_id
            ),
        ));
    }
    let Some(tokens) = credentials.token_response.as_ref() else {
        return clear(shared);
    };
    let now = Utc::now();
    let received = credentials
        .token_received_at
        .and_then(|secs| DateTime::from_timestamp(i64::try_from(secs).ok()?, 0))
        .unwrap_or(now);
    // The store takes only a future expiry: a token already (nearly) expired when saved
    // is stored as expiring in a second, so a lookup refreshes it before use.
    let expires_at = tokens.expires_in().and_then(|d| {
        let at = received.checked_add_signed(TimeDelta::from_std(d).ok()?)?;
        Some(at.max(now + TimeDelta::seconds(1)))
    });
    let set = TokenSet {
        access_token: SecretString::from(tokens.access_token().secret().as_str()),
        expires_at,
        refresh_token: tokens
            .refresh_token()
            .map(|t| SecretString::from(t.secret().as_str())),
        scope: credentials.granted_scopes.join(" "),
        issuer: credentials.issuer.clone(),
    };
    // Two first saves at once: the second finds the first's credential and updates it.
    match store_set(shared, &set) {
        Err(Error::Conflict { .. }) => store_set(shared, &set),
        other => other,
    }
}

fn store_set(shared: &Shared, set: &TokenSet) -> Result<()> {
    let store = &shared.store;
    let Some((vault, id, record, _)) = read::current(store, &shared.vault_id, &shared.lookup_url)?
    else {
        return add(shared, set);
    };
    let oauth = read::oauth_of(&record, &id)?;
    let Some(refresh) = oauth.refresh else {
        if set.refresh_token.is_none() {
            return update(shared, vault, id, set, None);
        }
        // Refresh settings can only be given at creation: a credential made from a
        // token set without a refresh token is replaced (archive, then add: two
        // transactions; a crash between them loses this login, never a secret).
        not_held(shared, vault, id)?;
        store.archive_credential(&shared.vault_id, id.format(Kind::Credential))?;
        return add(shared, set);
    };
    if refresh.client_id != shared.client.client_id
        || refresh.token_endpoint != shared.client.token_endpoint
    {
        return Err(other_client(&id, &refresh.client_id));
    }
    update(shared, vault, id, set, Some(refresh.method))
}

fn add(shared: &Shared, set: &TokenSet) -> Result<()> {
    let client = &shared.client;
    let refresh = set.refresh_token.clone().map(|refresh_token| OAuthRefresh {
        client_id: client.client_id.clone(),
        refresh_token,
        token_endpoint: client.token_endpoint.clone(),
        token_endpoint_auth: match (&client.client_secret, client.token_endpoint_auth) {
            (Some(s), TokenEndpointAuthMethod::ClientSecretPost) => {
                ClientAuth::ClientSecretPost(s.clone())
            }
            (Some(s), _) => ClientAuth::ClientSecretBasic(s.clone()),
            (None, _) => ClientAuth::None,
        },
        resource: client.resource.clone(),
        scope: Some(set.scope.clone()).filter(|s| !s.is_empty()),
    });
    let tokens = OAuthTokens {
        access_token: set.access_token.clone(),
        expires_at: set.expires_at,
        refresh,
    };
    let mut request = CreateCredential::mcp_oauth(&shared.mcp_server_url, shared.protocol, tokens);
    if let Some(issuer) = &set.issuer {
        request = request.with_metadata(ISSUER_METADATA_KEY, issuer.clone());
    }
    shared.store.add_credential(&shared.vault_id, request)?;
    Ok(())
}

/// Updates the credential; `method` is its refresh settings' client authentication,
/// `None` when it has no refresh settings.
fn update(
    shared: &Shared,
    vault: RawId,
    id: RawId,
    set: &TokenSet,
    method: Option<AuthMethod>,
) -> Result<()> {
    let refresh = method.map(|method| UpdateRefresh {
        refresh_token: set.refresh_token.clone(),
        // An empty scope clears it: rmcp knows no grant, and refreshes omit `scope`.
        scope: Some(set.scope.clone()),
        // The adapter's client is the one configured now: a rotated secret lands here.
        client_secret: shared
            .client
            .client_secret
            .clone()
            .filter(|_| method != AuthMethod::None),
    });
    let update = UpdateCredential {
        metadata: Some(BTreeMap::from([(
            ISSUER_METADATA_KEY.to_owned(),
            set.issuer.clone(),
        )])),
        auth: Some(UpdateAuth::McpOauth(UpdateOAuth {
            access_token: Some(set.access_token.clone()),
            expires_at: Some(set.expires_at),
            refresh,
        })),
        ..Default::default()
    };
    match shared.held() {
        // Inside rmcp's refresh: the guard holds the credential's refresh lock.
        Some(held) if held.credential() == (vault, id) => held.update(update)?,
        _ => {
            shared
                .store
                .update_credential(&shared.vault_id, id.format(Kind::Credential), update)?
        }
    };
    Ok(())
}

/// Archives the credential, if there is one: its tokens are erased at once.
pub(super) fn clear(shared: &Shared) -> Result<()> {
    let Some((vault, id)) = read::find(shared)? else {
        return Ok(());
    };
    not_held(shared, vault, id)?;
    match shared
        .store
        .archive_credential(&shared.vault_id, id.format(Kind::Credential))
    {
        // Archived meanwhile by someone else: cleared all the same.
        Ok(_) | Err(Error::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Archive takes the credential's refresh lock: under this adapter's own guard it
/// would wait for itself. rmcp 3.11 never clears inside a refresh; refuse rather than
/// hang if a later one does.
fn not_held(shared: &Shared, vault: RawId, id: RawId) -> Result<()> {
    match shared.held() {
        Some(held) if held.credential() == (vault, id) => Err(Error::invalid(
            "credential",
            "the rmcp adapter cannot archive its credential inside rmcp's refresh guard",
        )),
        _ => Ok(()),
    }
}

/// The refresh token rmcp spent, if its credentials had one.
pub(super) fn refresh_token_of(credentials: &StoredCredentials) -> Option<SecretString> {
    let token = credentials.token_response.as_ref()?.refresh_token()?;
    Some(SecretString::from(token.secret().as_str()))
}

/// Marks the credential as needing a new login, if `refused` is still its refresh token.
pub(super) fn refresh_token_refused(shared: &Shared, refused: &SecretString) -> Result<()> {
    let Some((vault, id)) = read::find(shared)? else {
        return Ok(());
    };
    let is_refused = |stored: &SecretString| same_secret(stored, refused.expose_secret());
    let message = "the token endpoint refused the refresh token (invalid_grant) at rmcp's \
                   refresh; a new login is needed";
    match shared.held() {
        Some(held) if held.credential() == (vault, id) => {
            held.refresh_token_refused(is_refused, message)?
        }
        _ => shared
            .store
            .hold_refresh(vault, id)?
            .refresh_token_refused(is_refused, message)?,
    };
    Ok(())
}
