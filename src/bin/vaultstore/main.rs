//! `vaultstore`: the command-line program over the library, for operators and edge
//! boxes. Built only with the `cli` feature. See docs/cli.md.

mod args;
mod credential;
mod exit;
mod keys;
mod open;
mod output;
mod progress;
mod resolve;
mod secrets;
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
    let cli = Cli::parse();
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

fn run(command: Command, cx: &mut Context) -> Outcome {
    match command {
        Command::Init => keys::init(cx),
        Command::Vault(command) => vault::run(command, cx),
        Command::Credential(command) => credential::run(command, cx),
        Command::Resolve(args) => resolve::run(args, cx),
        Command::RotateKey(args) => keys::rotate(args, cx),
        Command::Verify => verify::run(cx),
    }
}
