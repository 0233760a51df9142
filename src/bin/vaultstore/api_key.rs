//! `api-key create|list|revoke`: the server's API keys, kept hashed in the store
//! directory. Needs no store key and works while `serve` runs; changes take effect at
//! the server's next request.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use vaultstore::secrecy::ExposeSecret;
use vaultstore::server::{ApiKeyInfo, ApiKeys, Role};
use vaultstore::DEFAULT_ACCOUNT;

use crate::exit::{usage, Outcome};
use crate::open;
use crate::Context;

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key and print it once. The global --account picks its account.
    #[command(
        after_help = "Examples:\n  vaultstore api-key create --role admin --name ops\n  \
        vaultstore --json api-key create --account acme --role runtime --name agent-1"
    )]
    Create(CreateArgs),
    /// List the keys (never the keys themselves).
    #[command(after_help = "Example:\n  vaultstore --json api-key list")]
    List,
    /// Revoke a key by id (key_…); the server refuses it from its next request on.
    #[command(after_help = "Example:\n  vaultstore api-key revoke key_3f2a…")]
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// admin manages vaults and credentials; runtime resolves tokens.
    #[arg(long, value_enum, default_value = "admin")]
    pub role: RoleArg,
    /// A label for people.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Args)]
pub struct RevokeArgs {
    /// The key's id (key_…), as `api-key list` shows.
    pub id: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Manages vaults and credentials; never reads a token.
    Admin,
    /// Resolves tokens only.
    Runtime,
}

pub fn run(command: ApiKeyCommand, cx: &mut Context) -> Outcome {
    let dir = match crate::postgres::url(&cx.global) {
        Some(_) => crate::postgres::server_dir()?,
        None => open::store_dir(&cx.global)?,
    };
    if crate::postgres::url(&cx.global).is_none() && !open::is_store(&dir) {
        return Err(usage(format!(
            "no store at {}: create one with `vaultstore init`, or pass --store DIR",
            dir.display()
        )));
    }
    let keys = ApiKeys::new(&dir);
    match command {
        ApiKeyCommand::Create(args) => {
            let account = cx.global.account.as_deref().unwrap_or(DEFAULT_ACCOUNT);
            let role = match args.role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Runtime => Role::Runtime,
            };
            let new = keys.create(account, role, args.name)?;
            if cx.out.json {
                let answer = json!({
                    "id": new.info.id,
                    "key": new.key.expose_secret(),
                    "account": new.info.account,
                    "role": new.info.role.as_str(),
                });
                let text = zeroize::Zeroizing::new(
                    serde_json::to_string_pretty(&answer).unwrap_or_default(),
                );
                println!("{}", text.as_str());
            } else {
                println!("{}", new.key.expose_secret());
                eprintln!(
                    "API key {} ({}, account {}). Store it now: it is not shown again.",
                    new.info.id,
                    new.info.role.as_str(),
                    new.info.account
                );
            }
        }
        ApiKeyCommand::List => {
            let list = keys.list()?;
            cx.out.show(&list, || table(&list));
        }
        ApiKeyCommand::Revoke(args) => {
            let info = keys.revoke(&args.id)?;
            cx.out.show(&info, || {
                format!("revoked {} ({})", info.id, info.role.as_str())
            });
        }
    }
    Ok(())
}

fn table(list: &[ApiKeyInfo]) -> String {
    if list.is_empty() {
        return "(none)".to_owned();
    }
    let mut text = String::from("ID\tROLE\tACCOUNT\tSTATE\tNAME\n");
    for k in list {
        let state = if k.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            k.id,
            k.role.as_str(),
            k.account,
            state,
            k.name.as_deref().unwrap_or("")
        ));
    }
    text
}
