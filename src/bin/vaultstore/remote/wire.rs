//! The library's requests as the seeds' JSON bodies (the flat credential shape). The
//! request types hold secrets and so have no `Serialize`; these borrowing mirrors
//! write them straight into one zeroizing buffer, so no token is left in a copy.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use vaultstore::secrecy::{ExposeSecret, SecretString};
use vaultstore::{
    ClientAuth, CreateCredential, CreateVault, CredentialAuth, OAuthRefresh, Protocol, UpdateAuth,
    UpdateCredential, UpdateVault,
};
use zeroize::Zeroizing;

type Metadata = BTreeMap<String, String>;
type MetadataPatch = BTreeMap<String, Option<String>>;

#[derive(Serialize)]
struct Vault<'a> {
    display_name: &'a str,
    credentials: Vec<Credential<'a>>,
    metadata: &'a Metadata,
}

#[derive(Serialize)]
struct Credential<'a> {
    mcp_server_url: &'a str,
    protocol: Protocol,
    #[serde(rename = "type")]
    kind: &'static str,
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<Refresh<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    metadata: &'a Metadata,
}

#[derive(Serialize)]
struct Refresh<'a> {
    client_id: &'a str,
    refresh_token: &'a str,
    token_endpoint: &'a str,
    token_endpoint_auth: ClientAuthBody<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

#[derive(Serialize)]
struct ClientAuthBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
}

#[derive(Serialize)]
struct VaultUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a MetadataPatch>,
}

#[derive(Serialize)]
struct CredentialUpdate<'a> {
    /// `Some(None)` is JSON `null`: the name is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a MetadataPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth: Option<AuthUpdate<'a>>,
}

#[derive(Serialize)]
struct AuthUpdate<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
    /// `Some(None)` is JSON `null`: the expiry becomes unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<RefreshUpdate<'a>>,
}

#[derive(Serialize)]
struct RefreshUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_endpoint_auth: Option<ClientAuthBody<'a>>,
}

fn secret(s: &SecretString) -> &str {
    s.expose_secret()
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn credential(c: &CreateCredential) -> Credential<'_> {
    let (kind, access_token, expires_at, refresh) = match &c.auth {
        CredentialAuth::StaticBearer { token } => ("static_bearer", secret(token), None, None),
        CredentialAuth::McpOauth(tokens) => (
            "mcp_oauth",
            secret(&tokens.access_token),
            tokens.expires_at.as_ref().map(time),
            tokens.refresh.as_ref().map(refresh),
        ),
    };
    Credential {
        mcp_server_url: &c.mcp_server_url,
        protocol: c.protocol,
        kind,
        access_token,
        expires_at,
        refresh,
        display_name: c.display_name.as_deref(),
        metadata: &c.metadata,
    }
}

fn refresh(r: &OAuthRefresh) -> Refresh<'_> {
    let token_endpoint_auth = match &r.token_endpoint_auth {
        ClientAuth::ClientSecretBasic(s) => ClientAuthBody {
            kind: "client_secret_basic",
            client_secret: Some(secret(s)),
        },
        ClientAuth::ClientSecretPost(s) => ClientAuthBody {
            kind: "client_secret_post",
            client_secret: Some(secret(s)),
        },
        ClientAuth::None => ClientAuthBody {
            kind: "none",
            client_secret: None,
        },
    };
    Refresh {
        client_id: &r.client_id,
        refresh_token: secret(&r.refresh_token),
        token_endpoint: &r.token_endpoint,
        token_endpoint_auth,
        resource: r.resource.as_deref(),
        scope: r.scope.as_deref(),
    }
}

fn auth_update(auth: &UpdateAuth) -> AuthUpdate<'_> {
    match auth {
        UpdateAuth::McpOauth(oauth) => AuthUpdate {
            kind: "mcp_oauth",
            token: None,
            access_token: oauth.access_token.as_ref().map(secret),
            expires_at: oauth.expires_at.map(|at| at.as_ref().map(time)),
            refresh: oauth.refresh.as_ref().map(|r| RefreshUpdate {
                refresh_token: r.refresh_token.as_ref().map(secret),
                scope: r.scope.as_deref(),
                // The stored method stays; naming either secret-bearing one carries
                // the new secret.
                token_endpoint_auth: r.client_secret.as_ref().map(|s| ClientAuthBody {
                    kind: "client_secret_basic",
                    client_secret: Some(secret(s)),
                }),
            }),
        },
        UpdateAuth::StaticBearer { token } => AuthUpdate {
            kind: "static_bearer",
            token: token.as_ref().map(secret),
            access_token: None,
            expires_at: None,
            refresh: None,
        },
    }
}

/// JSON into a buffer that is wiped when dropped. Serializing borrowed strings and
/// maps of strings cannot fail.
fn written(value: &impl Serialize) -> Zeroizing<Vec<u8>> {
    // Room up front: a buffer that grows leaves its old, unwiped copy behind.
    let mut out = Zeroizing::new(Vec::with_capacity(64 * 1024));
    let _ = serde_json::to_writer(&mut *out, value);
    out
}

/// `POST …/vaults`.
pub fn create_vault(v: &CreateVault) -> Zeroizing<Vec<u8>> {
    written(&Vault {
        display_name: &v.display_name,
        credentials: v.credentials.iter().map(credential).collect(),
        metadata: &v.metadata,
    })
}

/// `POST …/credentials`.
pub fn create_credential(c: &CreateCredential) -> Zeroizing<Vec<u8>> {
    written(&credential(c))
}

/// `POST …/vaults/{id}`.
pub fn update_vault(u: &UpdateVault) -> Zeroizing<Vec<u8>> {
    written(&VaultUpdate {
        display_name: u.display_name.as_deref(),
        metadata: u.metadata.as_ref(),
    })
}

/// `POST …/credentials/{id}`.
pub fn update_credential(u: &UpdateCredential) -> Zeroizing<Vec<u8>> {
    written(&CredentialUpdate {
        display_name: u.display_name.as_ref().map(|n| n.as_deref()),
        metadata: u.metadata.as_ref(),
        auth: u.auth.as_ref().map(auth_update),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// What is written parses back, with the library's own parser, to the same request.
    #[test]
    fn bodies_read_back_as_the_same_requests() {
        let token = SecretString::from("tok\"en".to_owned());
        let mut vault = CreateVault::new(
            "v",
            vec![
                CreateCredential::static_bearer("https://example.com/mcp", Protocol::Sse, token)
                    .with_display_name("n"),
            ],
        );
        vault.metadata.insert("team".into(), "infra".into());
        let body = text(&create_vault(&vault));
        let back = CreateVault::from_json(&body).expect("parses");
        assert_eq!(back.display_name, "v");
        assert_eq!(back.metadata, vault.metadata);
        let c = &back.credentials[0];
        assert_eq!(c.display_name.as_deref(), Some("n"));
        match &c.auth {
            CredentialAuth::StaticBearer { token } => assert_eq!(token.expose_secret(), "tok\"en"),
            _ => panic!("static_bearer expected"),
        }

        let update = UpdateCredential {
            display_name: Some(None),
            metadata: Some([("a".to_owned(), None)].into()),
            auth: Some(UpdateAuth::McpOauth(vaultstore::UpdateOAuth {
                access_token: Some(SecretString::from("at".to_owned())),
                expires_at: Some(None),
                refresh: Some(vaultstore::UpdateRefresh {
                    refresh_token: None,
                    scope: Some(String::new()),
                    client_secret: Some(SecretString::from("cs".to_owned())),
                }),
            })),
        };
        let body = text(&update_credential(&update));
        let back = UpdateCredential::from_json(&body).expect("parses");
        assert_eq!(back.display_name, Some(None));
        assert_eq!(back.metadata, update.metadata);
        let Some(UpdateAuth::McpOauth(oauth)) = back.auth else {
            panic!("mcp_oauth expected: {body}");
        };
        assert_eq!(oauth.expires_at, Some(None));
        let refresh = oauth.refresh.expect("refresh");
        assert_eq!(refresh.scope.as_deref(), Some(""));
        assert_eq!(
            refresh
                .client_secret
                .map(|s| s.expose_secret().to_owned())
                .as_deref(),
            Some("cs")
        );
    }
}
