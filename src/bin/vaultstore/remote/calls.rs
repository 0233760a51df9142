//! The store's calls, each as one request to the seeds' routes; answers parse into
//! the library's own types.

use serde::Deserialize;
use ureq::http::Method;
use vaultstore::secrecy::SecretString;
use vaultstore::{
    CreateCredential, CreateVault, DeletedCredential, ListParams, Page, UpdateCredential,
    UpdateVault, Vault, VaultCredential,
};

use super::{wire, Remote};
use crate::exit::Failure;

const VAULTS: [&str; 4] = ["api", "v1", "cloud", "vaults"];

/// What `POST /vaultstore/v1/resolve` answers. `Debug` shows the token redacted.
#[derive(Debug, Deserialize)]
pub struct Resolved {
    pub vault_id: String,
    pub credential_id: String,
    pub mcp_server_url: String,
    pub protocol: String,
    #[serde(rename = "type")]
    pub credential_type: String,
    pub token: SecretString,
    #[serde(default)]
    pub expires_at: Option<String>,
}

fn vault_path(id: &str) -> Vec<&str> {
    VAULTS.iter().copied().chain([id]).collect()
}

fn credential_path<'a>(vault: &'a str, id: Option<&'a str>) -> Vec<&'a str> {
    VAULTS
        .iter()
        .copied()
        .chain([vault, "credentials"])
        .chain(id)
        .collect()
}

/// The list parameters as the seeds' query string.
fn query(p: &ListParams) -> Vec<(&'static str, String)> {
    let time = |at: &chrono::DateTime<chrono::Utc>| {
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let mut pairs = Vec::new();
    if let Some(limit) = p.limit {
        pairs.push(("limit", limit.to_string()));
    }
    if let Some(id) = &p.after_id {
        pairs.push(("after_id", id.clone()));
    }
    if let Some(id) = &p.before_id {
        pairs.push(("before_id", id.clone()));
    }
    if p.include_archived {
        pairs.push(("include_archived", "true".to_owned()));
    }
    if let Some(name) = &p.name {
        pairs.push(("name", name.clone()));
    }
    if let Some(at) = &p.created_at_gte {
        pairs.push(("created_at[gte]", time(at)));
    }
    if let Some(at) = &p.created_at_lte {
        pairs.push(("created_at[lte]", time(at)));
    }
    pairs
}

impl Remote {
    pub fn create_vault(&self, request: &CreateVault) -> Result<Vault, Failure> {
        let body = wire::create_vault(request);
        self.exchange(Method::POST, &VAULTS, &[], Some(&body))
    }

    pub fn get_vault(&self, id: &str) -> Result<Vault, Failure> {
        self.exchange(Method::GET, &vault_path(id), &[], None)
    }

    pub fn list_vaults(&self, params: &ListParams) -> Result<Page<Vault>, Failure> {
        self.exchange(Method::GET, &VAULTS, &query(params), None)
    }

    pub fn update_vault(&self, id: &str, update: &UpdateVault) -> Result<Vault, Failure> {
        let body = wire::update_vault(update);
        self.exchange(Method::POST, &vault_path(id), &[], Some(&body))
    }

    pub fn archive_vault(&self, id: &str) -> Result<Vault, Failure> {
        let path: Vec<&str> = vault_path(id).into_iter().chain(["archive"]).collect();
        self.exchange(Method::POST, &path, &[], None)
    }

    pub fn delete_vault(&self, id: &str) -> Result<(), Failure> {
        let _: serde_json::Value = self.exchange(Method::DELETE, &vault_path(id), &[], None)?;
        Ok(())
    }

    pub fn add_credential(
        &self,
        vault: &str,
        request: &CreateCredential,
    ) -> Result<VaultCredential, Failure> {
        let body = wire::create_credential(request);
        self.exchange(
            Method::POST,
            &credential_path(vault, None),
            &[],
            Some(&body),
        )
    }

    pub fn get_credential(&self, vault: &str, id: &str) -> Result<VaultCredential, Failure> {
        self.exchange(Method::GET, &credential_path(vault, Some(id)), &[], None)
    }

    pub fn list_credentials(
        &self,
        vault: &str,
        params: &ListParams,
    ) -> Result<Page<VaultCredential>, Failure> {
        self.exchange(
            Method::GET,
            &credential_path(vault, None),
            &query(params),
            None,
        )
    }

    pub fn update_credential(
        &self,
        vault: &str,
        id: &str,
        update: &UpdateCredential,
    ) -> Result<VaultCredential, Failure> {
        let body = wire::update_credential(update);
        self.exchange(
            Method::POST,
            &credential_path(vault, Some(id)),
            &[],
            Some(&body),
        )
    }

    pub fn archive_credential(&self, vault: &str, id: &str) -> Result<VaultCredential, Failure> {
        let path: Vec<&str> = credential_path(vault, Some(id))
            .into_iter()
            .chain(["archive"])
            .collect();
        self.exchange(Method::POST, &path, &[], None)
    }

    pub fn delete_credential(&self, vault: &str, id: &str) -> Result<DeletedCredential, Failure> {
        self.exchange(Method::DELETE, &credential_path(vault, Some(id)), &[], None)
    }

    /// Needs a runtime key (an admin key never reads a token). No named vault holding
    /// the URL is the server's `not_found_error`.
    pub fn resolve(&self, vaults: &[String], url: &str) -> Result<Resolved, Failure> {
        #[derive(serde::Serialize)]
        struct Ask<'a> {
            vault_ids: &'a [String],
            mcp_server_url: &'a str,
        }
        let body = serde_json::to_vec(&Ask {
            vault_ids: vaults,
            mcp_server_url: url,
        })
        .unwrap_or_default();
        self.exchange(
            Method::POST,
            &["vaultstore", "v1", "resolve"],
            &[],
            Some(&body),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_parameter_is_sent() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-05-18T15:34:16Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let params = ListParams {
            limit: Some(5),
            after_id: Some("vault_a".into()),
            before_id: Some("vault_b".into()),
            include_archived: true,
            name: Some("x y".into()),
            created_at_gte: Some(at),
            created_at_lte: Some(at),
        };
        let names: Vec<&str> = query(&params).iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "limit",
                "after_id",
                "before_id",
                "include_archived",
                "name",
                "created_at[gte]",
                "created_at[lte]"
            ]
        );
        assert!(query(&ListParams::default()).is_empty());
    }
}
