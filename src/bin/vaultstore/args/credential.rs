//! The options of `credential add` and `credential update`. As everywhere, no option
//! takes a secret's value: the access token, refresh token and client secret come from
//! stdin, a file, a hidden prompt or a JSON body.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use super::{key_value, rfc3339, ProtocolArg, TokenSource};

#[derive(Args)]
pub struct AddCredentialArgs {
    /// The vault id (vault_…).
    pub vault: String,
    /// The credential type. Default: static_bearer.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub credential_type: Option<CredentialTypeArg>,
    /// The MCP server URL (absolute http or https). Without it, the API's JSON body is
    /// read from stdin when stdin is not a terminal.
    #[arg(long, requires = "protocol")]
    pub url: Option<String>,
    /// The MCP transport.
    #[arg(long, value_enum, requires = "url")]
    pub protocol: Option<ProtocolArg>,
    /// A display name, 1–255 characters.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// A metadata pair; repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    pub metadata: Vec<(String, String)>,
    #[command(flatten)]
    pub token: TokenSource,
    #[command(flatten)]
    pub expiry: Expiry,
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Read the API's credential body (JSON, flat or `auth` shape, secrets included)
    /// from this file, or from stdin with "-".
    #[arg(long, value_name = "FILE|-", conflicts_with_all = [
        "credential_type", "url", "display_name", "metadata", "token_stdin", "token_file",
        "expires_at", "expires_in", "client_id", "token_endpoint", "auth", "resource",
        "scope", "refresh_token_file", "client_secret_file",
    ])]
    pub body: Option<PathBuf>,
}

/// When an `mcp_oauth` access token expires.
#[derive(Args)]
pub struct Expiry {
    /// mcp_oauth: when the access token expires (RFC 3339, in the future).
    #[arg(long, value_name = "TIME", value_parser = rfc3339, conflicts_with = "expires_in")]
    pub expires_at: Option<DateTime<Utc>>,
    /// mcp_oauth: the access token expires this many seconds from now (an OAuth
    /// answer's expires_in).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub expires_in: Option<u32>,
}

/// An `mcp_oauth` credential's refresh settings; its secrets come from files or a
/// hidden prompt.
#[derive(Args)]
pub struct RefreshArgs {
    /// mcp_oauth: the OAuth client id; with it, the access token is refreshed.
    #[arg(long, value_name = "ID", requires = "token_endpoint")]
    pub client_id: Option<String>,
    /// mcp_oauth: where refreshes go: https, or http to a loopback host.
    #[arg(long, value_name = "URL", requires = "client_id")]
    pub token_endpoint: Option<String>,
    /// mcp_oauth: how the client authenticates at the token endpoint. Default: none.
    #[arg(long, value_enum, value_name = "METHOD", requires = "client_id")]
    pub auth: Option<AuthArg>,
    /// mcp_oauth: the RFC 8707 resource indicator sent with each refresh.
    #[arg(long, value_name = "URI", requires = "client_id")]
    pub resource: Option<String>,
    /// mcp_oauth: the scope sent with each refresh.
    #[arg(long, requires = "client_id")]
    pub scope: Option<String>,
    #[command(flatten)]
    pub secrets: RefreshSecrets,
}

/// Where refresh secrets come from. None given: a hidden prompt, if stdin is a
/// terminal (bash can give a secret as a file: `--refresh-token-file <(pass show rt)`).
#[derive(Args)]
pub struct RefreshSecrets {
    /// mcp_oauth: read the refresh token from this file (one trailing newline is dropped).
    #[arg(long, value_name = "PATH")]
    pub refresh_token_file: Option<PathBuf>,
    /// mcp_oauth: read the client secret from this file (one trailing newline is dropped).
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct UpdateCredentialArgs {
    /// The vault id (vault_…).
    pub vault: String,
    /// The credential id (vcred_…).
    pub id: String,
    /// A new display name.
    #[arg(long, value_name = "NAME", conflicts_with = "unset_display_name")]
    pub display_name: Option<String>,
    /// Remove the display name.
    #[arg(long)]
    pub unset_display_name: bool,
    /// Set a metadata pair; repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    pub metadata: Vec<(String, String)>,
    /// Remove a metadata key; repeat for more.
    #[arg(long, value_name = "KEY")]
    pub unset_metadata: Vec<String>,
    /// A new access token from stdin (after the passphrase line, with --passphrase-stdin).
    #[arg(long, conflicts_with = "token_file")]
    pub token_stdin: bool,
    /// A new access token from this file (one trailing newline is dropped).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub expiry: Expiry,
    /// mcp_oauth: the access token's expiry becomes unknown.
    #[arg(long, conflicts_with_all = ["expires_at", "expires_in"])]
    pub unset_expires_at: bool,
    /// mcp_oauth: a new scope sent with each refresh; "" clears it.
    #[arg(long)]
    pub scope: Option<String>,
    #[command(flatten)]
    pub secrets: RefreshSecrets,
    /// Read the API's update body (JSON: display_name, metadata, auth) from this file,
    /// or from stdin with "-".
    #[arg(long, value_name = "FILE|-", conflicts_with_all = [
        "display_name", "unset_display_name", "metadata", "unset_metadata", "token_stdin",
        "token_file", "expires_at", "expires_in", "unset_expires_at", "scope",
        "refresh_token_file", "client_secret_file",
    ])]
    pub body: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialTypeArg {
    /// A bearer token that does not expire.
    #[value(name = "static_bearer")]
    StaticBearer,
    /// An OAuth 2.1 access token, which may expire and be refreshed.
    #[value(name = "mcp_oauth")]
    McpOauth,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// A public client: no secret.
    None,
    /// HTTP Basic with the client id and secret.
    #[value(name = "client_secret_basic")]
    ClientSecretBasic,
    /// The client id and secret in the form body.
    #[value(name = "client_secret_post")]
    ClientSecretPost,
}
