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
mod discovery;
mod exit;
mod keys;
mod oauth;
mod open;
mod output;
mod postgres;
mod progress;
mod remote;
mod resolve;
mod secrets;
#[cfg(feature = "server")]
mod serve;
mod stdin;
mod target;
mod vault;
mod verify;

use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use vaultstore::{Error, VaultStore};

use args::{Cli, Command, Global};
use exit::{Failure, Outcome};
use output::Output;
use remote::Remote;
use secrets::Stdin;
use target::Target;

/// What every command works with: the options, the output form, stdin, and the store
/// (or the server in front of it) once opened.
pub(crate) struct Context {
    pub global: Global,
    pub out: Output,
    pub stdin: Stdin,
    store: Option<VaultStore>,
    remote: Option<Rc<Remote>>,
}

impl Context {
    /// The store itself, opened on first use. A store locked by a running server
    /// names that server in the error.
    pub fn store(&mut self) -> Result<VaultStore, Failure> {
        self.open().map_err(|failure| match failure {
            Failure::Store(e @ Error::Locked { .. }) => target::explain_locked(&self.global, e),
            other => other,
        })
    }

    /// Where the vault, credential and resolve commands go: the server `--server`
    /// names; else the store, opened here; else, when a running server holds its
    /// lock, that server.
    pub fn target(&mut self) -> Result<Target, Failure> {
        if let Some(remote) = &self.remote {
            return Ok(Target::Remote(remote.clone()));
        }
        let remote = match self.global.server.clone() {
            Some(url) => target::named(&self.global, &url)?,
            None => match self.open() {
                Ok(store) => return Ok(Target::Local(store)),
                Err(Failure::Store(e @ Error::Locked { .. })) => target::held(&self.global, e)?,
                Err(other) => return Err(other),
            },
        };
        let remote = Rc::new(remote);
        self.remote = Some(remote.clone());
        Ok(Target::Remote(remote))
    }

    fn open(&mut self) -> Result<VaultStore, Failure> {
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
        remote: None,
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
