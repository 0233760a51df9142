//! `credential …`: add, get, list, archive, delete.

use vaultstore::CreateCredential;

use crate::args::CredentialCommand;
use crate::exit::Outcome;
use crate::secrets;
use crate::vault::list_params;
use crate::Context;

pub fn run(command: CredentialCommand, cx: &mut Context) -> Outcome {
    match command {
        CredentialCommand::Add(args) => {
            // Open first: with --passphrase-stdin the passphrase is stdin's first line.
            let store = cx.store()?;
            let token = secrets::token(&args.token, &mut cx.stdin)?;
            let request = CreateCredential::static_bearer(args.url, args.protocol.into(), token);
            let cred = store.add_credential(&args.vault, request)?;
            cx.out.credential(&cred);
        }
        CredentialCommand::Get(ids) => {
            let cred = cx.store()?.get_credential(&ids.vault, &ids.id)?;
            cx.out.credential(&cred);
        }
        CredentialCommand::List(args) => {
            let backwards = args.list.before.is_some();
            let page = cx
                .store()?
                .list_credentials(&args.vault, &list_params(args.list))?;
            cx.out.credential_page(&page, backwards);
        }
        CredentialCommand::Archive(ids) => {
            let cred = cx.store()?.archive_credential(&ids.vault, &ids.id)?;
            cx.out.credential(&cred);
        }
        CredentialCommand::Delete(ids) => {
            let deleted = cx.store()?.delete_credential(&ids.vault, &ids.id)?;
            cx.out
                .show(&deleted, || format!("deleted credential {}", deleted.id));
        }
    }
    Ok(())
}
