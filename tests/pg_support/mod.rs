//! A throwaway PostgreSQL for tests: one server per test process, a fresh schema per
//! test, and private servers that fault tests may stop, kill and restart.
//!
//! `VAULTSTORE_TEST_PG` (a conninfo) replaces the shared server. Otherwise `initdb` and
//! `pg_ctl` (from the PATH, else Debian's /usr/lib/postgresql/<newest>/bin) make one in a temporary directory, listening on 127.0.0.1 on
//! a free port with trust authentication for the superuser `vaultstore`. PostgreSQL
//! refuses to run as root, so under root (here and in CI) it runs as `nobody`.
//!
//! Cleanup: statics are never dropped, so each server has a watchdog, a small shell
//! process holding the read end of a pipe whose write end only this process holds.
//! When this process ends, however it ends (even SIGKILL), the kernel closes the write
//! end, the watchdog's `read` returns, and it stops the server and removes the
//! directory. No stray servers outlive a test run.
//!
//! Failing to start a server panics with the reason: a suite that cannot reach
//! PostgreSQL fails, it never passes empty.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The superuser the servers trust.
pub const USER: &str = "vaultstore";

/// The user PostgreSQL runs as when the tests run as root.
const UNPRIVILEGED: &str = "nobody";

/// The conninfo of the shared server (or of `VAULTSTORE_TEST_PG`).
pub fn conninfo() -> String {
    static SHARED: OnceLock<String> = OnceLock::new();
    SHARED
        .get_or_init(|| match std::env::var("VAULTSTORE_TEST_PG") {
            Ok(conninfo) if !conninfo.trim().is_empty() => conninfo,
            _ => {
                // Kept for the life of the process: its watchdog cleans up at exit.
                let server = Box::leak(Box::new(PgServer::start()));
                server.conninfo()
            }
        })
        .clone()
}

/// A schema name no other test in this run uses: `t<pid>_<n>_<test>`, within
/// PostgreSQL's 63 bytes.
pub fn fresh_schema(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("t{}_{n}_", std::process::id());
    for c in test.chars() {
        if name.len() >= 63 {
            break;
        }
        let c = c.to_ascii_lowercase();
        name.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    name
}

/// A PostgreSQL server in a temporary directory of its own.
pub struct PgServer {
    dir: PathBuf,
    port: u16,
    /// Dropped (closed) when the process exits: the watchdog's cue.
    _watchdog: ChildStdin,
}

impl PgServer {
    /// Creates and starts a server; panics with the reason if it cannot.
    pub fn start() -> PgServer {
        let dir = temp_dir();
        let data = dir.join("data");
        let port = free_port();
        let watchdog = watchdog(&dir, &data);
        let server = PgServer {
            dir,
            port,
            _watchdog: watchdog,
        };
        server.initdb();
        server.start_again();
        server
    }

    /// The conninfo of this server, for the `postgres` database.
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user={USER} dbname=postgres connect_timeout=5",
            self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Turns TLS on with this certificate and key (PEM) and accepts TCP connections
    /// over TLS only (`hostssl`), so a test knows a connection that works used TLS.
    /// Takes effect at the next start.
    pub fn require_tls(&self, cert_pem: &str, key_pem: &str) {
        let data = self.data();
        let write = |name: &str, text: &str, mode: &str| {
            let path = data.join(name);
            let script = format!(
                "cat > '{}' && chmod {mode} '{}'",
                path.display(),
                path.display()
            );
            as_user("sh")
                .args(["-c", &script])
                .stdin(Stdio::piped())
                .spawn()
                .map(|mut child| {
                    use std::io::Write;
                    child
                        .stdin
                        .take()
                        .expect("stdin")
                        .write_all(text.as_bytes())
                        .expect("write");
                    assert!(child.wait().expect("sh").success(), "writing {name}");
                })
                .expect("sh runs");
        };
        write("server.crt", cert_pem, "644");
        write("server.key", key_pem, "600");
        write(
            "pg_hba.conf",
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            "600",
        );
        let conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap_or_default();
        write("postgresql.conf", &format!("{conf}\nssl = on\n"), "600");
    }

    /// The server's directory (data, socket and log), removed when it stops for good.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn initdb(&self) {
        let data = self.data();
        run(
            as_postgres("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C"])
                // The cluster is thrown away: no need to fsync its creation.
                .arg("--no-sync"),
            "initdb",
        );
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let started = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .output();
        match started {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "pg_ctl start failed ({}): {}{}\nserver log:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
            Err(e) => panic!("cannot run pg_ctl: {e}"),
        }
    }

    /// A clean shutdown: open sessions are ended first.
    pub fn stop(&self) {
        self.pg_ctl_stop("fast");
    }

    /// A crash-like stop: the server and its sessions exit at once.
    pub fn kill(&self) {
        self.pg_ctl_stop("immediate");
    }

    fn pg_ctl_stop(&self, mode: &str) {
        run(
            as_postgres("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", mode, "-w", "stop"]),
            "pg_ctl stop",
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Quietly: the server may already be stopped.
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// One of PostgreSQL's programs, run as the user PostgreSQL accepts.
fn as_postgres(program: &str) -> Command {
    as_user(postgres_program(program))
}

/// Any program (a path, or a name from the PATH) run as the user PostgreSQL runs as.
fn as_user(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if is_root() {
        let mut command = Command::new(runuser());
        command.arg("-u").arg(UNPRIVILEGED).arg("--").arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// runuser, which lives in an sbin directory that a root shell's PATH may lack.
fn runuser() -> PathBuf {
    ["/usr/sbin/runuser", "/sbin/runuser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("runuser"))
}

/// A PostgreSQL program by absolute path (runuser may reset the PATH): from the PATH,
/// else from the newest of Debian's versioned directories, which are not on it.
fn postgres_program(program: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().map(|d| d.path().join("bin")).collect())
        .unwrap_or_default();
    // Newest first: "15" before "9.6" by number, not by text.
    debian.sort_by_key(|dir| {
        let version = dir
            .parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str());
        std::cmp::Reverse(version.and_then(|v| v.split('.').next()?.parse::<u32>().ok()))
    });
    on_path
        .into_iter()
        .chain(debian)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        // Not found: running it fails with a message naming the program.
        .unwrap_or_else(|| PathBuf::from(program))
}

fn run(command: &mut Command, what: &str) {
    match command.stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run {what} (PostgreSQL's server binaries must be on the PATH or in \
             /usr/lib/postgresql/<version>/bin; as root, runuser is needed too): {e}"
        ),
    }
}

/// A new directory for one server, owned by the user the server runs as.
fn temp_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "vaultstore-pg-{}-{n}-{}",
        std::process::id(),
        rand_suffix()
    ));
    if let Err(e) = std::fs::create_dir(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    if is_root() {
        let status = Command::new("chown")
            .arg(format!("{UNPRIVILEGED}:"))
            .arg(&dir)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            panic!("cannot chown {} to {UNPRIVILEGED}", dir.display());
        }
    }
    dir
}

/// A few random hex digits, so a reused pid never meets an old directory.
fn rand_suffix() -> String {
    let mut bytes = [0u8; 4];
    if let Ok(mut urandom) = std::fs::File::open("/dev/urandom") {
        let _ = urandom.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A port nothing listens on right now. Another process could take it before the
/// server does; then `pg_ctl start` fails loudly rather than a test passing wrongly.
fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("cannot find a free port on 127.0.0.1: {e}"),
    }
}

/// Starts the watchdog of the server in `dir`; returns the pipe end this process keeps.
fn watchdog(dir: &Path, data: &Path) -> ChildStdin {
    let pg_ctl = postgres_program("pg_ctl");
    let stop = if is_root() {
        format!(
            "'{}' -u {UNPRIVILEGED} -- '{}'",
            runuser().display(),
            pg_ctl.display()
        )
    } else {
        format!("'{}'", pg_ctl.display())
    };
    // Ignores the terminal's signals: a Ctrl-C ends the tests, then the watchdog cleans.
    let script = format!(
        "trap '' INT HUP TERM; cat >/dev/null; \
         {stop} -D '{}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{}'",
        data.display(),
        dir.display()
    );
    let child: std::io::Result<Child> = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child.map(|mut c| c.stdin.take()) {
        Ok(Some(stdin)) => stdin,
        Ok(None) => panic!("the watchdog has no stdin"),
        Err(e) => panic!("cannot start the PostgreSQL watchdog (sh): {e}"),
    }
}
