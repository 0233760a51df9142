//! `credential add` from flags: a `static_bearer` or an `mcp_oauth` credential. Its
//! secrets (access token, refresh token, client secret) come from stdin, files or hidden
//! prompts, never from the flags.

use chrono::{DateTime, Utc};
use vaultstore::secrecy::SecretString;
use vaultstore::{ClientAuth, CreateCredential, OAuthRefresh, OAuthTokens};

use crate::args::{
    AddCredentialArgs, AuthArg, CredentialTypeArg, Expiry, RefreshArgs, RefreshSecrets,
};
use crate::exit::{usage, Failure};
use crate::secrets::{self, Stdin};
use crate::vault::metadata_set;

/// The flags given besides --url, --protocol and --body.
fn given(args: &AddCredentialArgs) -> Vec<&'static str> {
    let mut flags = common_flags(args);
    flags.extend(oauth_flags(args));
    flags
}

fn common_flags(args: &AddCredentialArgs) -> Vec<&'static str> {
    let flags = [
        ("--type", args.credential_type.is_some()),
        ("--display-name", args.display_name.is_some()),
        ("--metadata", !args.metadata.is_empty()),
        ("--token-stdin", args.token.token_stdin),
        ("--token-file", args.token.token_file.is_some()),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect()
}

/// The flags only an `mcp_oauth` credential takes.
fn oauth_flags(args: &AddCredentialArgs) -> Vec<&'static str> {
    let r = &args.refresh;
    let flags = [
        ("--expires-at", args.expiry.expires_at.is_some()),
        ("--expires-in", args.expiry.expires_in.is_some()),
        ("--client-id", r.client_id.is_some()),
        ("--token-endpoint", r.token_endpoint.is_some()),
        ("--auth", r.auth.is_some()),
        ("--resource", r.resource.is_some()),
        ("--scope", r.scope.is_some()),
        (
            "--refresh-token-file",
            r.secrets.refresh_token_file.is_some(),
        ),
        (
            "--client-secret-file",
            r.secrets.client_secret_file.is_some(),
        ),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect()
}

/// The flags' own rules, checked before the store is opened or a secret read.
pub fn check(args: &AddCredentialArgs) -> Result<(), Failure> {
    if args.url.is_none() {
        if let Some(flag) = given(args).first() {
            return Err(usage(format!(
                "{flag} needs --url URL and --protocol P; or give the whole credential as \
                 the API's JSON body (on stdin, or --body FILE)"
            )));
        }
        return Ok(());
    }
    let oauth = args.credential_type == Some(CredentialTypeArg::McpOauth);
    if let (false, Some(flag)) = (oauth, oauth_flags(args).first()) {
        return Err(usage(format!("{flag} is only for --type mcp_oauth")));
    }
    let r = &args.refresh;
    if r.client_id.is_none() {
        let secret_files = [
            (
                "--refresh-token-file",
                r.secrets.refresh_token_file.is_some(),
            ),
            (
                "--client-secret-file",
                r.secrets.client_secret_file.is_some(),
            ),
        ];
        if let Some((flag, _)) = secret_files.iter().find(|(_, on)| *on) {
            return Err(usage(format!(
                "{flag} needs the refresh settings: --client-id ID --token-endpoint URL"
            )));
        }
    }
    let public = matches!(r.auth, None | Some(AuthArg::None));
    if public && r.secrets.client_secret_file.is_some() {
        return Err(usage(
            "--client-secret-file needs --auth client_secret_basic or client_secret_post \
             (a public client, --auth none, has no secret)",
        ));
    }
    Ok(())
}

/// The credential the flags describe, its secrets read in order: the access token
/// (which may take stdin), then the refresh token, then the client secret.
pub fn from_flags(args: AddCredentialArgs, stdin: &mut Stdin) -> Result<CreateCredential, Failure> {
    let (Some(url), Some(protocol)) = (args.url, args.protocol) else {
        return Err(usage("--url and --protocol are both needed"));
    };
    let token = secrets::token(&args.token, stdin)?;
    let mut request = match args
        .credential_type
        .unwrap_or(CredentialTypeArg::StaticBearer)
    {
        CredentialTypeArg::StaticBearer => {
            CreateCredential::static_bearer(url, protocol.into(), token)
        }
        CredentialTypeArg::McpOauth => {
            let tokens = OAuthTokens {
                access_token: token,
                expires_at: expiry(&args.expiry),
                refresh: refresh(args.refresh)?,
            };
            CreateCredential::mcp_oauth(url, protocol.into(), tokens)
        }
    };
    request.display_name = args.display_name;
    request.metadata = metadata_set(&args.metadata)?;
    Ok(request)
}

/// --expires-at, or --expires-in seconds from now.
pub fn expiry(expiry: &Expiry) -> Option<DateTime<Utc>> {
    expiry.expires_at.or_else(|| {
        expiry
            .expires_in
            .map(|s| Utc::now() + chrono::Duration::seconds(i64::from(s)))
    })
}

fn refresh(args: RefreshArgs) -> Result<Option<OAuthRefresh>, Failure> {
    let (Some(client_id), Some(endpoint)) = (args.client_id, args.token_endpoint) else {
        return Ok(None);
    };
    let refresh_token = secrets::file_or_prompt(
        args.secrets.refresh_token_file.as_deref(),
        "the refresh token",
        &secrets::REFRESH_TOKEN,
        "Refresh token (hidden): ",
        "no refresh token given: pass --refresh-token-file PATH (secrets are never taken \
         from the command line), give the credential as a JSON body on stdin, or run on a \
         terminal to be asked",
    )?;
    let auth = match args.auth.unwrap_or(AuthArg::None) {
        AuthArg::None => ClientAuth::None,
        AuthArg::ClientSecretBasic => ClientAuth::ClientSecretBasic(client_secret(&args.secrets)?),
        AuthArg::ClientSecretPost => ClientAuth::ClientSecretPost(client_secret(&args.secrets)?),
    };
    let mut refresh = OAuthRefresh::new(client_id, refresh_token, endpoint);
    refresh.token_endpoint_auth = auth;
    refresh.resource = args.resource;
    refresh.scope = args.scope;
    Ok(Some(refresh))
}

fn client_secret(given: &RefreshSecrets) -> Result<SecretString, Failure> {
    secrets::file_or_prompt(
        given.client_secret_file.as_deref(),
        "the client secret",
        &secrets::CLIENT_SECRET,
        "Client secret (hidden): ",
        "no client secret given: pass --client-secret-file PATH (secrets are never taken \
         from the command line), give the credential as a JSON body on stdin, or run on a \
         terminal to be asked",
    )
}
