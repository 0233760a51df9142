//! `<store>/serve.json`: how another `vaultstore` process finds the server that holds
//! a store's lock. `serve` writes it (0600) once it listens and removes it when it
//! stops; a file left by a crash is stale and ignored: its process is gone, or nothing
//! answers at its address.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The file's name inside the store directory.
pub const FILE: &str = "serve.json";

/// How long the liveness check waits for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// What the file says. No secret: only where the server listens and who it is.
#[derive(Debug, Serialize, Deserialize)]
pub struct Discovery {
    /// The server's process id.
    pub pid: u32,
    /// `http://ADDR`, `https://ADDR` or `unix:PATH`.
    pub url: String,
}

impl Discovery {
    /// The TCP address of an `http(s)://IP:PORT` URL, as `serve` writes it.
    fn tcp(&self) -> Option<SocketAddr> {
        let rest = self
            .url
            .strip_prefix("http://")
            .or_else(|| self.url.strip_prefix("https://"))?;
        rest.parse().ok()
    }

    /// A unix socket's path, for a `unix:PATH` URL.
    pub fn socket(&self) -> Option<&Path> {
        self.url.strip_prefix("unix:").map(Path::new)
    }

    /// True while the process runs and something accepts connections at the URL.
    fn is_live(&self) -> bool {
        process_runs(self.pid) && self.answers()
    }

    fn answers(&self) -> bool {
        if let Some(addr) = self.tcp() {
            return TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).is_ok();
        }
        #[cfg(unix)]
        if let Some(path) = self.socket() {
            return std::os::unix::net::UnixStream::connect(path).is_ok();
        }
        false
    }
}

/// The URL another process on this machine can connect to: a server bound to every
/// address (0.0.0.0 or ::) is reached on loopback.
#[cfg(feature = "server")]
pub fn local_url(scheme: &str, addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("{scheme}://{addr}")
}

fn path(store: &Path) -> PathBuf {
    store.join(FILE)
}

/// Writes the file for this process, replacing any other: `serve` holds the store's
/// lock, so a file already there was left by a server that is gone. Written to a
/// temporary name (0600) and renamed, so a reader never sees half of it.
#[cfg(feature = "server")]
pub fn write(store: &Path, url: String) -> std::io::Result<()> {
    use std::io::Write;
    let discovery = Discovery {
        pid: std::process::id(),
        url,
    };
    let text = serde_json::to_vec_pretty(&discovery).map_err(std::io::Error::other)?;
    let temporary = store.join(format!(".{FILE}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(&text)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&temporary, path(store))
}

/// Removes the file if it is this process's own (another server may have replaced a
/// file this one left behind).
#[cfg(feature = "server")]
pub fn remove(store: &Path) {
    let ours = read(store).is_some_and(|d| d.pid == std::process::id());
    if ours {
        let _ = std::fs::remove_file(path(store));
    }
}

/// The file, if there is one that parses.
fn read(store: &Path) -> Option<Discovery> {
    // Small by construction; a bigger file is not ours.
    let text = std::fs::read(path(store))
        .ok()
        .filter(|t| t.len() < 64 * 1024)?;
    serde_json::from_slice(&text).ok()
}

/// The server holding `store`, if its file names one that is running and answering.
pub fn live_server(store: &Path) -> Option<Discovery> {
    read(store).filter(Discovery::is_live)
}

#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM: it runs, as another user.
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

#[cfg(not(unix))]
fn process_runs(_pid: u32) -> bool {
    // No cheap check here; the connection check below decides.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8787".parse().expect("addr");
        assert_eq!(local_url("http", any), "http://127.0.0.1:8787");
        let any6: SocketAddr = "[::]:8787".parse().expect("addr");
        assert_eq!(local_url("https", any6), "https://[::1]:8787");
        let one: SocketAddr = "10.1.2.3:80".parse().expect("addr");
        assert_eq!(local_url("http", one), "http://10.1.2.3:80");
    }

    #[test]
    fn a_file_whose_process_is_gone_or_silent_is_stale() {
        let dir = tempfile::tempdir().expect("dir");
        // This process runs, but nothing listens on a port just freed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port");
        write(dir.path(), format!("http://{port}")).expect("written");
        assert!(read(dir.path()).is_some());
        assert!(live_server(dir.path()).is_none(), "nothing listens");
        // Something listens, and the pid is this process: live.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        write(dir.path(), format!("http://{addr}")).expect("written");
        assert!(live_server(dir.path()).is_some(), "live");
        // The same address under a pid that no process has.
        let gone = Discovery {
            pid: u32::MAX / 2,
            url: format!("http://{addr}"),
        };
        std::fs::write(path(dir.path()), serde_json::to_vec(&gone).expect("json"))
            .expect("written");
        assert!(live_server(dir.path()).is_none(), "process gone");
        // Not ours: left alone.
        remove(dir.path());
        assert!(path(dir.path()).exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        write(dir.path(), "http://127.0.0.1:1".into()).expect("written");
        let mode = std::fs::metadata(path(dir.path()))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        remove(dir.path());
        assert!(!path(dir.path()).exists());
    }
}
