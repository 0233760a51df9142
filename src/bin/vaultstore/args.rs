//! The command line, as clap types. No option takes a secret's value: tokens and
//! passphrases come from stdin, a file or a hidden prompt (see `secrets.rs`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit;

mod credential;
pub use credential::{
    AddCredentialArgs, AuthArg, CredentialTypeArg, Expiry, RefreshArgs, RefreshSecrets,
    UpdateCredentialArgs,
};

/// An embedded, encrypted secrets store for agent runtimes: vaults of MCP-server
/// bearer tokens, on this machine.
#[derive(Parser)]
#[command(name = "vaultstore", version, after_help = exit::help_text())]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The store directory, or a postgresql:// URL (built with the postgres feature).
    /// Default: the platform data directory, e.g. ~/.local/share/vaultstore/store.
    #[arg(long, global = true, env = "VAULTSTORE_PATH", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The master key file (64 hex digits). Default: <store>.key beside the store if it
    /// exists (earlier versions), else <config dir>/vaultstore/keys/<name>-<hash>.key.
    #[arg(long, global = true, env = "VAULTSTORE_KEY_FILE", value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Use a passphrase instead of a key file, asked on the terminal without echo.
    #[arg(long, global = true)]
    pub passphrase: bool,
    /// Use a passphrase instead of a key file, read as the first line of stdin.
    #[arg(long, global = true, conflicts_with = "passphrase")]
    pub passphrase_stdin: bool,
    /// Work in this account of the store. Default: "default".
    #[arg(long, global = true, value_name = "NAME")]
    pub account: Option<String>,
    /// Write one JSON document to stdout in the hosted API's shapes; errors as the
    /// API's error envelope on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Send the vault, credential and resolve commands to this running `vaultstore
    /// serve` (e.g. http://127.0.0.1:8787) instead of opening the store.
    #[arg(long, global = true, env = "VAULTSTORE_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The server's API key, read from this file. Default: the VAULTSTORE_API_KEY
    /// environment variable. Never on the command line.
    #[arg(
        long,
        global = true,
        env = "VAULTSTORE_API_KEY_FILE",
        value_name = "PATH"
    )]
    pub api_key_file: Option<PathBuf>,
    /// Trust this CA certificate (PEM) for an https --server, e.g. a self-signed one.
    #[arg(long, global = true, env = "VAULTSTORE_SERVER_CA", value_name = "PATH")]
    pub server_ca: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new store and a new random key file (0600).
    #[command(after_help = "Examples:\n  vaultstore init\n  \
        vaultstore --store /srv/agent/store init\n  \
        printf 'my passphrase\\n' | vaultstore --store ./s --passphrase-stdin init")]
    Init,
    /// Create, read, change and remove vaults.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Add, read and remove a vault's credentials.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Say which credential a session over these vaults would use for a URL.
    #[command(after_help = "Example:\n  \
        vaultstore resolve --vault vault_019e… --url https://example.com/mcp\n\n\
        The token is printed only with --reveal.")]
    Resolve(ResolveArgs),
    /// Re-seal every token under a new key (a new key file, or a new passphrase).
    #[command(after_help = "Example:\n  \
        vaultstore rotate-key --new-key-file ~/.config/vaultstore/keys/new.key --destroy-old-key\n\n\
        The new key file is written first; after the rotation only it opens the store.")]
    RotateKey(RotateArgs),
    /// Check every record, index entry and sealed token of the store (all accounts).
    #[command(after_help = "Example:\n  vaultstore verify\n\n\
        Exits with 9 if a problem is found; each problem names the record.")]
    Verify,
    /// Write a consistent copy of the whole store (all accounts) to a new directory.
    #[command(
        after_help = "Example:\n  vaultstore backup /mnt/backups/vaultstore-2026-05-18\n\n\
        DEST must not exist or be empty. The copy opens with the store's current key:\n\
        keep the key file apart from it."
    )]
    Backup(BackupArgs),
    /// Rewrite the store's live data into fresh files, dropping deleted tokens' ciphertext.
    #[command(after_help = "Example:\n  vaultstore compact\n\n\
        The store must not be open elsewhere. Old files are overwritten with zeros and\n\
        removed; a crash midway leaves the old store or the new one. After rotate-key,\n\
        compact leaves no ciphertext under the old key in the store.")]
    Compact,
    /// Serve the store over HTTP: the seeds' API, Anthropic's Vaults API, and resolve.
    #[cfg(feature = "server")]
    #[command(after_help = "Examples:\n  vaultstore serve\n  \
        vaultstore serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem\n\n\
        Callers need an API key: vaultstore api-key create --role admin")]
    Serve(crate::serve::ServeArgs),
    /// Create, list and revoke the server's API keys.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    ApiKey(crate::api_key::ApiKeyCommand),
}

#[derive(Args)]
pub struct BackupArgs {
    /// The directory to write the copy to (new or empty).
    pub dest: PathBuf,
}

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Create a vault with its first credential, or from the API's JSON body.
    #[command(after_help = "Examples:\n  \
        vaultstore vault create --name github --credential https://mcp.github.com/sse \\\n      \
        --protocol sse --token-file ./github.token\n  \
        vaultstore vault create < body.json             # the API's create body\n  \
        vaultstore vault create --body body.json\n\n\
        Without --name or --body, the body is read from stdin when stdin is not a terminal.")]
    Create(CreateVaultArgs),
    /// Show a vault (archived ones too).
    #[command(after_help = "Example:\n  vaultstore vault get vault_019e…")]
    Get(IdArg),
    /// List vaults, newest first.
    #[command(after_help = "Examples:\n  vaultstore vault list\n  \
        vaultstore vault list --name github --include-archived --limit 50\n  \
        vaultstore vault list --after vault_019e…   # the next page")]
    List(ListArgs),
    /// Rename a vault or change its metadata.
    #[command(after_help = "Example:\n  \
        vaultstore vault update vault_019e… --name prod --metadata team=infra --unset-metadata old")]
    Update(UpdateVaultArgs),
    /// Archive a vault and all its credentials; their tokens are erased.
    #[command(after_help = "Example:\n  vaultstore vault archive vault_019e…")]
    Archive(IdArg),
    /// Delete a vault, its credentials and tokens for good.
    #[command(after_help = "Example:\n  vaultstore vault delete vault_019e…")]
    Delete(IdArg),
}

#[derive(Subcommand)]
pub enum CredentialCommand {
    /// Add a credential (a token for one MCP server URL) to a vault.
    #[command(after_help = "Examples:\n  \
        vaultstore credential add vault_019e… --url https://jira.example.com/mcp/sse \\\n      \
        --protocol sse --token-stdin < jira.token\n  \
        vaultstore credential add vault_019e… --url https://db.example/mcp \\\n      \
        --protocol streamable_http           # asks for the token, hidden\n  \
        vaultstore credential add vault_019e… --type mcp_oauth \\\n      \
        --url https://mcp.linear.app/mcp --protocol streamable_http \\\n      \
        --token-file access.token --expires-in 3600 \\\n      \
        --client-id my-client --token-endpoint https://linear.app/oauth/token \\\n      \
        --auth client_secret_post --client-secret-file client.secret \\\n      \
        --refresh-token-file refresh.token --scope read\n  \
        vaultstore credential add vault_019e… < credential.json   # the API's body\n\n\
        Without --url or --body, the body is read from stdin when stdin is not a terminal;\n\
        it may be in the seeds' flat shape or the API's auth shape.")]
    Add(AddCredentialArgs),
    /// Show a credential (never its token).
    #[command(after_help = "Example:\n  vaultstore credential get vault_019e… vcred_019e…")]
    Get(CredentialIds),
    /// Change a credential's name or metadata, or rotate its secrets in place.
    #[command(after_help = "Examples:\n  \
        vaultstore credential update vault_019e… vcred_019e… --display-name Linear \\\n      \
        --metadata team=infra --unset-metadata old\n  \
        vaultstore credential update vault_019e… vcred_019e… --token-stdin \\\n      \
        --expires-in 3600 --refresh-token-file refresh.token < access.token\n  \
        vaultstore credential update vault_019e… vcred_019e… --scope ''   # clears it\n  \
        vaultstore credential update vault_019e… vcred_019e… --body - < update.json\n\n\
        New tokens clear a recorded refresh failure. The URL, type and client id stay.")]
    Update(UpdateCredentialArgs),
    /// List a vault's credentials, newest first; --name searches the URL.
    #[command(
        after_help = "Example:\n  vaultstore credential list vault_019e… --include-archived"
    )]
    List(ListCredentialsArgs),
    /// Archive a credential; its token is erased.
    #[command(after_help = "Example:\n  vaultstore credential archive vault_019e… vcred_019e…")]
    Archive(CredentialIds),
    /// Delete a credential for good.
    #[command(after_help = "Example:\n  vaultstore credential delete vault_019e… vcred_019e…")]
    Delete(CredentialIds),
}

#[derive(Args)]
pub struct IdArg {
    /// The vault id (vault_…).
    pub id: String,
}

#[derive(Args)]
pub struct CredentialIds {
    /// The vault id (vault_…).
    pub vault: String,
    /// The credential id (vcred_…).
    pub id: String,
}

/// Where a token comes from. None given: a hidden prompt, if stdin is a terminal.
#[derive(Args)]
pub struct TokenSource {
    /// Read the token from stdin (after the passphrase line, with --passphrase-stdin).
    #[arg(long, conflicts_with = "token_file")]
    pub token_stdin: bool,
    /// Read the token from this file (one trailing newline is dropped).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct CreateVaultArgs {
    /// The vault's display name.
    #[arg(long, conflicts_with = "body")]
    pub name: Option<String>,
    /// A metadata pair; repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    pub metadata: Vec<(String, String)>,
    /// The first credential's MCP server URL (its token from the token options).
    #[arg(long, value_name = "URL", requires = "protocol")]
    pub credential: Option<String>,
    /// The first credential's protocol.
    #[arg(long, value_enum, requires = "credential")]
    pub protocol: Option<ProtocolArg>,
    #[command(flatten)]
    pub token: TokenSource,
    /// Read the API's full create body (JSON, tokens included) from this file, or from
    /// stdin with "-". Without --name or --body, the body is read from stdin when stdin
    /// is not a terminal.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["metadata", "credential"])]
    pub body: Option<PathBuf>,
}

#[derive(Args)]
pub struct UpdateVaultArgs {
    /// The vault id (vault_…).
    pub id: String,
    /// A new display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Set a metadata pair; repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    pub metadata: Vec<(String, String)>,
    /// Remove a metadata key; repeat for more.
    #[arg(long, value_name = "KEY")]
    pub unset_metadata: Vec<String>,
}

#[derive(Args)]
pub struct ListCredentialsArgs {
    /// The vault id (vault_…).
    pub vault: String,
    #[command(flatten)]
    pub list: ListArgs,
}

/// The hosted API's list parameters.
#[derive(Args)]
pub struct ListArgs {
    /// Page size, 1–100 (default 20).
    #[arg(long)]
    pub limit: Option<u32>,
    /// The page after this id (older items).
    #[arg(long, value_name = "ID")]
    pub after: Option<String>,
    /// The page before this id (newer items).
    #[arg(long, value_name = "ID")]
    pub before: Option<String>,
    /// Case-insensitive substring of the name (credentials: of the URL).
    #[arg(long)]
    pub name: Option<String>,
    /// Include archived items.
    #[arg(long)]
    pub include_archived: bool,
    /// Only items created at or after this RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    pub created_gte: Option<DateTime<Utc>>,
    /// Only items created at or before this RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = rfc3339)]
    pub created_lte: Option<DateTime<Utc>>,
}

#[derive(Args)]
pub struct ResolveArgs {
    /// A vault of the session, in lookup order: the first holding the URL wins. Repeat.
    #[arg(long = "vault", value_name = "ID", required = true)]
    pub vaults: Vec<String>,
    /// The MCP server URL to resolve.
    #[arg(long)]
    pub url: String,
    /// Also print the token itself.
    #[arg(long)]
    pub reveal: bool,
}

#[derive(Args)]
#[command(group(
    clap::ArgGroup::new("new_key")
        .required(true)
        .multiple(false)
        .args(["new_key_file", "new_passphrase", "new_passphrase_stdin"])
))]
pub struct RotateArgs {
    /// Generate the new key into this file (must not exist; its directory must) before
    /// rotating.
    #[arg(long, value_name = "PATH")]
    pub new_key_file: Option<PathBuf>,
    /// Rotate to a passphrase asked on the terminal (twice, without echo).
    #[arg(long)]
    pub new_passphrase: bool,
    /// Rotate to a passphrase read from stdin (the line after --passphrase-stdin's).
    #[arg(long)]
    pub new_passphrase_stdin: bool,
    /// After the rotation, destroy the old key file: overwrite it with zeros, fsync,
    /// remove it. Without this, the old key file still opens backups and copies made
    /// before the rotation.
    #[arg(long)]
    pub destroy_old_key: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProtocolArg {
    /// Server-sent events.
    Sse,
    /// Streamable HTTP.
    #[value(name = "streamable_http")]
    StreamableHttp,
}

impl From<ProtocolArg> for vaultstore::Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Sse => vaultstore::Protocol::Sse,
            ProtocolArg::StreamableHttp => vaultstore::Protocol::StreamableHttp,
        }
    }
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE"))
}

fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-05-18T15:34:16Z"))
}
