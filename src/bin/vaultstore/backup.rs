//! `backup DEST`: a consistent copy of the live store, made by the library.

use serde_json::json;

use crate::args::BackupArgs;
use crate::exit::{usage, Outcome};
use crate::progress::spin;
use crate::Context;

pub fn run(args: BackupArgs, cx: &mut Context) -> Outcome {
    if crate::postgres::url(&cx.global).is_some() {
        return Err(usage(
            "backup copies a store directory; back up a PostgreSQL store with the \
             database's own tools (pg_dump of its schema), and keep the key file apart",
        ));
    }
    let store = cx.store()?;
    spin("copying the store", || store.backup(&args.dest))?;
    let answer = json!({ "backup": args.dest });
    cx.out.show(&answer, || {
        format!(
            "Copied the store to {}\nIt opens with the store's current key; keep the key \
             file apart from the copy.",
            args.dest.display()
        )
    });
    Ok(())
}
