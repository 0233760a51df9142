//! Where the vault and credential commands' calls go: the store opened here, or the
//! `vaultstore serve` that holds it (named by `--server`, or found through the file it
//! leaves in the store directory when the store is locked).

use std::rc::Rc;

use vaultstore::{
    CreateCredential, CreateVault, DeletedCredential, Error, ListParams, Page, UpdateCredential,
    UpdateVault, Vault, VaultCredential, VaultStore,
};

use crate::args::Global;
use crate::discovery;
use crate::exit::{usage, Failure};
use crate::open;
use crate::remote::{self, Remote};

/// The store itself, or a server in front of it.
pub enum Target {
    Local(VaultStore),
    Remote(Rc<Remote>),
}

/// The server `--server` (or `VAULTSTORE_SERVER`) names. It opens the store itself,
/// so options that would open it here are refused rather than silently unused.
pub fn named(global: &Global, url: &str) -> Result<Remote, Failure> {
    if global.passphrase || global.passphrase_stdin {
        return Err(usage(
            "--passphrase and --passphrase-stdin open the store here; with --server the \
             server has the store open: leave them out",
        ));
    }
    let key = remote::api_key(global)?.ok_or_else(|| usage(remote::no_key_hint(url)))?;
    Remote::new(
        url,
        key,
        global.server_ca.as_deref(),
        global.account.clone(),
    )
}

/// The store is locked: if a live server holds it, the command goes there when an API
/// key is at hand, else the error says how to send it there.
pub fn held(global: &Global, locked: Error) -> Result<Remote, Failure> {
    let Ok(dir) = open::store_dir(global) else {
        return Err(Failure::Store(locked));
    };
    let Some(server) = discovery::live_server(&dir) else {
        return Err(Failure::Store(locked));
    };
    if server.socket().is_some() {
        return Err(Failure::Held(
            locked,
            format!(
                "`vaultstore serve` (pid {}) holds it on {}, and the CLI reaches servers over \
                 http(s) only: stop that server, or serve on --listen 127.0.0.1:PORT",
                server.pid, server.url
            ),
        ));
    }
    let Some(key) = remote::api_key(global)? else {
        return Err(Failure::Held(
            locked,
            format!(
                "`vaultstore serve` (pid {pid}) holds it at {url}; send the command there: \
                 vaultstore --server {url} --api-key-file PATH … ({hint})",
                pid = server.pid,
                url = server.url,
                hint = remote::no_key_hint(&server.url),
            ),
        ));
    };
    eprintln!(
        "vaultstore: the store is held by `vaultstore serve` (pid {}); sending the command \
         to {}",
        server.pid, server.url
    );
    Remote::new(
        &server.url,
        key,
        global.server_ca.as_deref(),
        global.account.clone(),
    )
}

/// A command that needs the store itself (verify, compact, backup, …) while a server
/// holds it: say which server, so the user knows what to stop.
pub fn explain_locked(global: &Global, locked: Error) -> Failure {
    let server = open::store_dir(global)
        .ok()
        .and_then(|dir| discovery::live_server(&dir));
    match server {
        Some(server) => Failure::Held(
            locked,
            format!(
                "`vaultstore serve` (pid {}) holds it at {}; this command needs the store \
                 itself, so stop the server first (vault and credential commands can go \
                 through it with --server)",
                server.pid, server.url
            ),
        ),
        None => Failure::Store(locked),
    }
}

impl Target {
    pub fn create_vault(&self, request: CreateVault) -> Result<Vault, Failure> {
        match self {
            Target::Local(s) => Ok(s.create_vault(request)?),
            Target::Remote(r) => r.create_vault(&request),
        }
    }

    pub fn get_vault(&self, id: &str) -> Result<Vault, Failure> {
        match self {
            Target::Local(s) => Ok(s.get_vault(id)?),
            Target::Remote(r) => r.get_vault(id),
        }
    }

    pub fn list_vaults(&self, params: &ListParams) -> Result<Page<Vault>, Failure> {
        match self {
            Target::Local(s) => Ok(s.list_vaults(params)?),
            Target::Remote(r) => r.list_vaults(params),
        }
    }

    pub fn update_vault(&self, id: &str, update: UpdateVault) -> Result<Vault, Failure> {
        match self {
            Target::Local(s) => Ok(s.update_vault(id, update)?),
            Target::Remote(r) => r.update_vault(id, &update),
        }
    }

    pub fn archive_vault(&self, id: &str) -> Result<Vault, Failure> {
        match self {
            Target::Local(s) => Ok(s.archive_vault(id)?),
            Target::Remote(r) => r.archive_vault(id),
        }
    }

    pub fn delete_vault(&self, id: &str) -> Result<(), Failure> {
        match self {
            Target::Local(s) => Ok(s.delete_vault(id)?),
            Target::Remote(r) => r.delete_vault(id),
        }
    }

    pub fn add_credential(
        &self,
        vault: &str,
        request: CreateCredential,
    ) -> Result<VaultCredential, Failure> {
        match self {
            Target::Local(s) => Ok(s.add_credential(vault, request)?),
            Target::Remote(r) => r.add_credential(vault, &request),
        }
    }

    pub fn get_credential(&self, vault: &str, id: &str) -> Result<VaultCredential, Failure> {
        match self {
            Target::Local(s) => Ok(s.get_credential(vault, id)?),
            Target::Remote(r) => r.get_credential(vault, id),
        }
    }

    pub fn list_credentials(
        &self,
        vault: &str,
        params: &ListParams,
    ) -> Result<Page<VaultCredential>, Failure> {
        match self {
            Target::Local(s) => Ok(s.list_credentials(vault, params)?),
            Target::Remote(r) => r.list_credentials(vault, params),
        }
    }

    pub fn update_credential(
        &self,
        vault: &str,
        id: &str,
        update: UpdateCredential,
    ) -> Result<VaultCredential, Failure> {
        match self {
            Target::Local(s) => Ok(s.update_credential(vault, id, update)?),
            Target::Remote(r) => r.update_credential(vault, id, &update),
        }
    }

    pub fn archive_credential(&self, vault: &str, id: &str) -> Result<VaultCredential, Failure> {
        match self {
            Target::Local(s) => Ok(s.archive_credential(vault, id)?),
            Target::Remote(r) => r.archive_credential(vault, id),
        }
    }

    pub fn delete_credential(&self, vault: &str, id: &str) -> Result<DeletedCredential, Failure> {
        match self {
            Target::Local(s) => Ok(s.delete_credential(vault, id)?),
            Target::Remote(r) => r.delete_credential(vault, id),
        }
    }
}
