//! `vaultstore`: the command-line program over the library, for operators and edge
//! boxes. Built only with the `cli` feature. See docs/cli.md.

#[cfg(feature = "server")]
mod api_key;
mod args;
mod argv;
mod backup;
mod body;
mod compact;
mod credential;
mod credential_update;
mod exit;
mod keys;
mod oauth;
mod open;
mod output;
mod postgres;
mod progress;
mod resolve;
mod secrets;
#[cfg(feature = "server")]
mod serve;
mod stdin;
mod vault;
mod verify;

use std::process::ExitCode;

use clap::Parser;
use vaultstore::VaultStore;

use args::{Cli, Command, Global};
use exit::{Failure, Outcome};
use output::Output;
use secrets::Stdin;

/// What every command works with: the options, the output form, stdin, and the store
/// once opened.
pub(crate) struct Context {
    pub global: Global,
    pub out: Output,
    pub stdin: Stdin,
    store: Option<VaultStore>,
}

impl Context {
    /// The store, opened on first use.
    pub fn store(&mut self) -> Result<VaultStore, Failure> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        let store = open::open(&self.global, &mut self.stdin)?;
        self.store = Some(store.clone());
        Ok(store)
    }
}

fn main() -> ExitCode {
    if let Some(failure) = argv::refuse_secrets(std::env::args_os()) {
        let json = std::env::args_os().any(|arg| arg == "--json");
        return failure.report(json);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return bad_command_line(e),
    };
    let json = cli.global.json;
    let mut cx = Context {
        out: Output { json },
        global: cli.global,
        stdin: Stdin::default(),
        store: None,
    };
    match run(cli.command, &mut cx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}

/// clap's own report (help, version, usage errors with exit 2), except that a usage
/// error under `--json` is the API's error envelope like every other error.
fn bad_command_line(e: clap::Error) -> ExitCode {
    let json = std::env::args_os().any(|arg| arg == "--json");
    let help = e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
    if !e.use_stderr() || help || !json {
        e.exit();
    }
    // The message up to clap's usage lines: a first line may end in ':' with the list
    // (of missing arguments, say) on the lines after it.
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
        .collect();
    Failure::Usage(message.join(" ").trim_start_matches("error: ").to_owned()).report(true)
}

fn run(command: Command, cx: &mut Context) -> Outcome {
    match command {
        Command::Init => keys::init(cx),
        Command::Vault(command) => vault::run(command, cx),
        Command::Credential(command) => credential::run(command, cx),
        Command::Resolve(args) => resolve::run(args, cx),
        Command::RotateKey(args) => keys::rotate(args, cx),
        Command::Verify => verify::run(cx),
        Command::Backup(args) => backup::run(args, cx),
        Command::Compact => compact::run(cx),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args, cx),
        #[cfg(feature = "server")]
        Command::ApiKey(command) => api_key::run(command, cx),
    }
}
