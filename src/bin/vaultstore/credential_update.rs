//! `credential update`: a credential's display name and metadata, and new secrets in
//! place (from stdin, files or the API's JSON body; never from the flags).

use vaultstore::{CredentialType, Error, UpdateAuth, UpdateCredential, UpdateOAuth, UpdateRefresh};

use crate::args::UpdateCredentialArgs;
use crate::exit::{usage, Failure, Outcome};
use crate::secrets::{self, Stdin};
use crate::target::Target;
use crate::vault::metadata_patch;
use crate::{body, oauth, Context};

pub fn run(args: UpdateCredentialArgs, cx: &mut Context) -> Outcome {
    if args.body.is_none() && !changes_anything(&args) {
        return Err(usage(
            "nothing to change: give --display-name, --metadata, a new secret \
             (--token-stdin, --token-file, --refresh-token-file, --client-secret-file), \
             --expires-in, --scope …, or the API's JSON body with --body FILE (- for stdin)",
        ));
    }
    // Open first: with --passphrase-stdin the passphrase is stdin's first line.
    let store = cx.target()?;
    let (vault, id) = (args.vault.clone(), args.id.clone());
    let update = match &args.body {
        Some(path) => {
            let body = body::read(Some(path), &mut cx.stdin, "no body given")?;
            UpdateCredential::from_json(body.json())?
        }
        None => from_flags(args, &store, &mut cx.stdin)?,
    };
    let cred = store.update_credential(&vault, &id, update)?;
    cx.out.credential(&cred);
    Ok(())
}

fn changes_anything(args: &UpdateCredentialArgs) -> bool {
    args.display_name.is_some()
        || args.unset_display_name
        || !args.metadata.is_empty()
        || !args.unset_metadata.is_empty()
        || args.token_stdin
        || args.token_file.is_some()
        || !oauth_flags(args).is_empty()
}

/// The flags only an `mcp_oauth` credential takes.
fn oauth_flags(args: &UpdateCredentialArgs) -> Vec<&'static str> {
    let flags = [
        ("--expires-at", args.expiry.expires_at.is_some()),
        ("--expires-in", args.expiry.expires_in.is_some()),
        ("--unset-expires-at", args.unset_expires_at),
        ("--scope", args.scope.is_some()),
        (
            "--refresh-token-file",
            args.secrets.refresh_token_file.is_some(),
        ),
        (
            "--client-secret-file",
            args.secrets.client_secret_file.is_some(),
        ),
    ];
    flags
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect()
}

fn from_flags(
    args: UpdateCredentialArgs,
    store: &Target,
    stdin: &mut Stdin,
) -> Result<UpdateCredential, Failure> {
    let display_name = match (args.display_name.clone(), args.unset_display_name) {
        (Some(name), _) => Some(Some(name)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let metadata = metadata_patch(&args.metadata, args.unset_metadata.clone())?;
    Ok(UpdateCredential {
        display_name,
        metadata,
        auth: auth(&args, store, stdin)?,
    })
}

/// The new secrets and OAuth settings, shaped by the credential's type (which the
/// flags alone do not tell for a new access token).
fn auth(
    args: &UpdateCredentialArgs,
    store: &Target,
    stdin: &mut Stdin,
) -> Result<Option<UpdateAuth>, Failure> {
    let oauth_only = oauth_flags(args);
    let new_token = args.token_stdin || args.token_file.is_some();
    if oauth_only.is_empty() && !new_token {
        return Ok(None);
    }
    let cred = store.get_credential(&args.vault, &args.id)?;
    if let (CredentialType::StaticBearer, Some(flag)) = (cred.credential_type, oauth_only.first()) {
        return Err(Failure::Store(Error::InvalidRequest {
            field: flag.trim_start_matches('-').replace('-', "_"),
            message: format!(
                "{flag} is only for mcp_oauth credentials; {} is static_bearer",
                cred.id
            ),
        }));
    }
    let token = secrets::new_token(args.token_stdin, args.token_file.as_deref(), stdin)?;
    if cred.credential_type == CredentialType::StaticBearer {
        return Ok(Some(UpdateAuth::StaticBearer { token }));
    }
    let expires_at = match (oauth::expiry(&args.expiry), args.unset_expires_at) {
        (Some(at), _) => Some(Some(at)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let files = &args.secrets;
    let refresh_token = files
        .refresh_token_file
        .as_deref()
        .map(|path| secrets::from_file(path, "the refresh token", &secrets::REFRESH_TOKEN))
        .transpose()?;
    let client_secret = files
        .client_secret_file
        .as_deref()
        .map(|path| secrets::from_file(path, "the client secret", &secrets::CLIENT_SECRET))
        .transpose()?;
    let refresh = (refresh_token.is_some() || client_secret.is_some() || args.scope.is_some())
        .then(|| UpdateRefresh {
            refresh_token,
            scope: args.scope.clone(),
            client_secret,
        });
    Ok(Some(UpdateAuth::McpOauth(UpdateOAuth {
        access_token: token,
        expires_at,
        refresh,
    })))
}
