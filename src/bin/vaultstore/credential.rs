//! `credential …`: add, get, list, update, archive, delete.

use vaultstore::CreateCredential;

use crate::args::{AddCredentialArgs, CredentialCommand};
use crate::exit::Outcome;
use crate::vault::list_params;
use crate::{body, credential_update, oauth, Context};

pub fn run(command: CredentialCommand, cx: &mut Context) -> Outcome {
    match command {
        CredentialCommand::Add(args) => add(args, cx)?,
        CredentialCommand::Update(args) => credential_update::run(args, cx)?,
        CredentialCommand::Get(ids) => {
            let cred = cx.target()?.get_credential(&ids.vault, &ids.id)?;
            cx.out.credential(&cred);
        }
        CredentialCommand::List(args) => {
            let backwards = args.list.before.is_some();
            let page = cx
                .target()?
                .list_credentials(&args.vault, &list_params(args.list))?;
            cx.out.credential_page(&page, backwards);
        }
        CredentialCommand::Archive(ids) => {
            let cred = cx.target()?.archive_credential(&ids.vault, &ids.id)?;
            cx.out.credential(&cred);
        }
        CredentialCommand::Delete(ids) => {
            let deleted = cx.target()?.delete_credential(&ids.vault, &ids.id)?;
            cx.out
                .show(&deleted, || format!("deleted credential {}", deleted.id));
        }
    }
    Ok(())
}

/// From flags with --url, else from the API's JSON body (either shape).
fn add(args: AddCredentialArgs, cx: &mut Context) -> Outcome {
    oauth::check(&args)?;
    // Open first: with --passphrase-stdin the passphrase is stdin's first line.
    let store = cx.target()?;
    let vault = args.vault.clone();
    let request = match (&args.body, &args.url) {
        (None, Some(_)) => oauth::from_flags(args, &mut cx.stdin)?,
        (path, _) => {
            let nothing = "give --url URL --protocol P (the token from --token-stdin, \
                           --token-file or a prompt), or the API's JSON body on stdin or \
                           with --body FILE";
            let body = body::read(path.as_deref(), &mut cx.stdin, nothing)?;
            CreateCredential::from_json(body.json())?
        }
    };
    let cred = store.add_credential(&vault, request)?;
    cx.out.credential(&cred);
    Ok(())
}
