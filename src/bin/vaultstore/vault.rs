//! `vault …`: create, get, list, update, archive, delete.

use std::collections::BTreeMap;

use vaultstore::{CreateCredential, CreateVault, ListParams, UpdateVault};

use crate::args::{CreateVaultArgs, ListArgs, UpdateVaultArgs, VaultCommand};
use crate::body;
use crate::exit::{usage, Failure, Outcome};
use crate::secrets::{self, Stdin};
use crate::Context;

pub fn run(command: VaultCommand, cx: &mut Context) -> Outcome {
    match command {
        VaultCommand::Create(args) => create(args, cx),
        VaultCommand::Get(arg) => {
            let vault = cx.target()?.get_vault(&arg.id)?;
            cx.out.vault(&vault);
            Ok(())
        }
        VaultCommand::List(args) => {
            let backwards = args.before.is_some();
            let page = cx.target()?.list_vaults(&list_params(args))?;
            cx.out.vault_page(&page, backwards);
            Ok(())
        }
        VaultCommand::Update(args) => update(args, cx),
        VaultCommand::Archive(arg) => {
            let vault = cx.target()?.archive_vault(&arg.id)?;
            cx.out.vault(&vault);
            Ok(())
        }
        VaultCommand::Delete(arg) => {
            cx.target()?.delete_vault(&arg.id)?;
            // The library answers nothing; this mirrors the credential delete answer.
            let answer = serde_json::json!({ "id": arg.id, "type": "vault_deleted" });
            cx.out.show(&answer, || format!("deleted vault {}", arg.id));
            Ok(())
        }
    }
}

fn create(args: CreateVaultArgs, cx: &mut Context) -> Outcome {
    // Open first: with --passphrase-stdin the passphrase is stdin's first line.
    let store = cx.target()?;
    let request = match (&args.body, &args.name) {
        (None, Some(name)) => from_flags(name, &args, &mut cx.stdin)?,
        (path, _) => {
            let nothing = "give --name (and --credential URL --protocol P), or the API's JSON \
                           body on stdin or with --body FILE";
            let body = body::read(path.as_deref(), &mut cx.stdin, nothing)?;
            CreateVault::from_json(body.json())?
        }
    };
    let vault = store.create_vault(request)?;
    cx.out.vault(&vault);
    Ok(())
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
    let update = UpdateVault {
        display_name: args.name,
        metadata: metadata_patch(&args.metadata, args.unset_metadata)?,
    };
    let vault = cx.target()?.update_vault(&args.id, update)?;
    cx.out.vault(&vault);
    Ok(())
}

/// The --metadata and --unset-metadata flags as the API's patch; `None` when neither
/// is given.
pub fn metadata_patch(
    set: &[(String, String)],
    unset: Vec<String>,
) -> Result<Option<BTreeMap<String, Option<String>>>, Failure> {
    let mut patch: BTreeMap<String, Option<String>> = metadata_set(set)?
        .into_iter()
        .map(|(key, value)| (key, Some(value)))
        .collect();
    for key in unset {
        if patch.contains_key(&key) {
            return Err(usage(format!(
                "metadata key '{key}' is both set (--metadata) and removed \
                 (--unset-metadata): give one"
            )));
        }
        patch.insert(key, None);
    }
    Ok((!patch.is_empty()).then_some(patch))
}

/// The --metadata pairs. A key given twice is refused, not last-wins: which value was
/// meant would be a guess.
pub fn metadata_set(pairs: &[(String, String)]) -> Result<BTreeMap<String, String>, Failure> {
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
