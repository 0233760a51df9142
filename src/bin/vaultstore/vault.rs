//! `vault …`: create, get, list, update, archive, delete.

use std::collections::BTreeMap;

use vaultstore::secrecy::ExposeSecret;
use vaultstore::{CreateCredential, CreateVault, ListParams, UpdateVault};

use crate::args::{CreateVaultArgs, ListArgs, UpdateVaultArgs, VaultCommand};
use crate::exit::{usage, Failure, Outcome};
use crate::secrets::{self, Stdin};
use crate::Context;

pub fn run(command: VaultCommand, cx: &mut Context) -> Outcome {
    match command {
        VaultCommand::Create(args) => create(args, cx),
        VaultCommand::Get(arg) => {
            let vault = cx.store()?.get_vault(&arg.id)?;
            cx.out.vault(&vault);
            Ok(())
        }
        VaultCommand::List(args) => {
            let backwards = args.before.is_some();
            let page = cx.store()?.list_vaults(&list_params(args))?;
            cx.out.vault_page(&page, backwards);
            Ok(())
        }
        VaultCommand::Update(args) => update(args, cx),
        VaultCommand::Archive(arg) => {
            let vault = cx.store()?.archive_vault(&arg.id)?;
            cx.out.vault(&vault);
            Ok(())
        }
        VaultCommand::Delete(arg) => {
            cx.store()?.delete_vault(&arg.id)?;
            // The library answers nothing; this mirrors the credential delete answer.
            let answer = serde_json::json!({ "id": arg.id, "type": "vault_deleted" });
            cx.out.show(&answer, || format!("deleted vault {}", arg.id));
            Ok(())
        }
    }
}

fn create(args: CreateVaultArgs, cx: &mut Context) -> Outcome {
    // Open first: with --passphrase-stdin the passphrase is stdin's first line.
    let store = cx.store()?;
    let request = match (&args.body, &args.name) {
        (Some(path), _) if path.as_os_str() == "-" => {
            body(cx.stdin.rest("the body", &secrets::BODY)?)?
        }
        (Some(path), _) => body(secrets::from_file(path, "the body", &secrets::BODY)?)?,
        (None, Some(name)) => from_flags(name, &args, &mut cx.stdin)?,
        (None, None) => body_on_stdin(&mut cx.stdin)?,
    };
    let vault = store.create_vault(request)?;
    cx.out.vault(&vault);
    Ok(())
}

/// Without --name or --body, the body comes on stdin (`vault create < body.json`),
/// unless stdin is a terminal: typing JSON there is never what was meant.
fn body_on_stdin(stdin: &mut Stdin) -> Result<CreateVault, Failure> {
    let nothing = || {
        usage(
            "give --name (and --credential URL --protocol P), or the API's JSON body on \
             stdin or with --body FILE",
        )
    };
    if stdin.is_terminal() {
        return Err(nothing());
    }
    let json = stdin.rest("the body", &secrets::BODY)?;
    if json.expose_secret().trim().is_empty() {
        return Err(nothing());
    }
    body(json)
}

fn body(json: vaultstore::secrecy::SecretString) -> Result<CreateVault, Failure> {
    Ok(CreateVault::from_json(json.expose_secret())?)
}

fn from_flags(
    name: &str,
    args: &CreateVaultArgs,
    stdin: &mut Stdin,
) -> Result<CreateVault, Failure> {
    let metadata = metadata_set(&args.metadata)?;
    let mut credentials = Vec::new();
    if let (Some(url), Some(protocol)) = (&args.credential, args.protocol) {
        let token = secrets::token(&args.token, stdin)?;
        credentials.push(CreateCredential::static_bearer(url, protocol.into(), token));
    }
    let mut request = CreateVault::new(name, credentials);
    request.metadata = metadata;
    Ok(request)
}

fn update(args: UpdateVaultArgs, cx: &mut Context) -> Outcome {
    let mut patch: BTreeMap<String, Option<String>> = metadata_set(&args.metadata)?
        .into_iter()
        .map(|(key, value)| (key, Some(value)))
        .collect();
    for key in args.unset_metadata {
        if patch.contains_key(&key) {
            return Err(usage(format!(
                "metadata key '{key}' is both set (--metadata) and removed \
                 (--unset-metadata): give one"
            )));
        }
        patch.insert(key, None);
    }
    let update = UpdateVault {
        display_name: args.name,
        metadata: (!patch.is_empty()).then_some(patch),
    };
    let vault = cx.store()?.update_vault(&args.id, update)?;
    cx.out.vault(&vault);
    Ok(())
}

/// The --metadata pairs. A key given twice is refused, not last-wins: which value was
/// meant would be a guess.
fn metadata_set(pairs: &[(String, String)]) -> Result<BTreeMap<String, String>, Failure> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        if map.insert(key.clone(), value.clone()).is_some() {
            return Err(usage(format!(
                "metadata key '{key}' is given twice (--metadata): give it once"
            )));
        }
    }
    Ok(map)
}

/// The API's list parameters from the flags.
pub fn list_params(args: ListArgs) -> ListParams {
    ListParams {
        limit: args.limit,
        after_id: args.after,
        before_id: args.before,
        include_archived: args.include_archived,
        name: args.name,
        created_at_gte: args.created_gte,
        created_at_lte: args.created_lte,
    }
}
