//! `serve`: the store over HTTP (feature `server`), a thin wrapper over
//! `vaultstore::server`. Opens the store as every command does, then serves until
//! SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use vaultstore::server::{self, ApiKeys, ServeOptions, TlsFiles};
use vaultstore::{Error, HttpRefresher, VaultStore};

use crate::exit::{usage, Failure, Outcome};
use crate::Context;
use crate::{discovery, open};

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on, or unix:PATH for a unix socket (0600). A TCP address
    /// other than loopback needs --tls-cert/--tls-key or --insecure-listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787", value_parser = listen)]
    pub listen: Listen,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (keys and tokens cross the network
    /// in clear). Prints a warning.
    #[arg(long)]
    pub insecure_listen: bool,
    /// Development only: let mcp_oauth credentials refresh at loopback, private or
    /// link-local token endpoints. Without it, an admin key could make the server POST
    /// to any address inside its network.
    #[arg(long)]
    pub allow_private_token_endpoints: bool,
}

/// Where `--listen` points.
#[derive(Clone)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

fn listen(text: &str) -> Result<Listen, String> {
    if let Some(path) = text.strip_prefix("unix:") {
        if path.is_empty() {
            return Err("unix: needs a path, e.g. unix:/run/vaultstore.sock".into());
        }
        return Ok(Listen::Unix(PathBuf::from(path)));
    }
    text.parse()
        .map(Listen::Tcp)
        .map_err(|_| format!("'{text}' is not ADDR:PORT (e.g. 127.0.0.1:8787) or unix:PATH"))
}

pub fn run(args: ServeArgs, cx: &mut Context) -> Outcome {
    let postgres = crate::postgres::url(&cx.global);
    let (builder, key, dir) = match &postgres {
        Some(url) => (
            crate::postgres::builder(url)?,
            crate::postgres::key(&cx.global, &mut cx.stdin)?,
            crate::postgres::server_dir()?,
        ),
        None => {
            let (dir, key) = open::existing_store(&cx.global, &mut cx.stdin)?;
            (VaultStore::builder(&dir), key, dir)
        }
    };
    // Refreshes connect only to public addresses unless the development flag says so.
    let refresher = if args.allow_private_token_endpoints {
        eprintln!(
            "vaultstore serve: WARNING: --allow-private-token-endpoints: refreshes may reach \
             internal addresses"
        );
        HttpRefresher::new()
    } else {
        HttpRefresher::public_only()
    };
    let store: VaultStore = open::with_key(builder.token_refresher(refresher), key).open()?;
    let keys = ApiKeys::new(&dir);
    let mut options = match &args.listen {
        Listen::Tcp(addr) => ServeOptions::new(*addr),
        Listen::Unix(path) => ServeOptions::default().unix_socket(path.clone()),
    }
    .insecure_listen(args.insecure_listen)
    .allow_private_token_endpoints(args.allow_private_token_endpoints);
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        options = options.tls(TlsFiles { cert, key });
    }
    let tls = options.tls.is_some();
    let mut running = server::start(store, keys, options).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => usage(e.to_string()),
        _ => Failure::Store(Error::Io {
            context: "starting the server".into(),
            source: e,
        }),
    })?;
    // Before anything says the server is ready: a SIGTERM from then on stops it
    // gracefully.
    running.catch_signals().map_err(|e| {
        Failure::Store(Error::Io {
            context: "catching SIGTERM and SIGINT".into(),
            source: e,
        })
    })?;
    // Where other vaultstore processes find this server while it holds the store (a
    // PostgreSQL store is never held: they open it themselves).
    let url = match running.local_addr() {
        Some(addr) => discovery::local_url(if tls { "https" } else { "http" }, addr),
        None => running.endpoint(tls),
    };
    if postgres.is_none() {
        if let Err(e) = discovery::write(&dir, url) {
            eprintln!(
                "vaultstore serve: WARNING: cannot write {}: {e}; other commands will not \
                 find this server by themselves",
                dir.join(discovery::FILE).display()
            );
        }
    }
    let store_name = match postgres {
        Some(_) => "in PostgreSQL".to_owned(),
        None => dir.display().to_string(),
    };
    eprintln!(
        "vaultstore serve: listening on {} (store {store_name})",
        running.endpoint(tls),
    );
    let stopped = running.run_until_signal();
    if postgres.is_none() {
        discovery::remove(&dir);
    }
    stopped.map_err(|e| {
        Failure::Store(Error::Io {
            context: "stopping the server".into(),
            source: e,
        })
    })
}
