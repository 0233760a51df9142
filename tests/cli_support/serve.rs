//! `vaultstore serve` as a child process of a test: started on a free port, its URL
//! read from the line it prints, stopped with SIGTERM when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use super::Env;

/// A running `vaultstore serve`.
pub struct Served {
    pub child: Child,
    /// `http://127.0.0.1:PORT` or `https://…`.
    pub url: String,
    /// What it printed on stderr before it listened (warnings).
    pub before: Vec<String>,
    /// Kept open, unread: a closed pipe would make its later lines fail (a few lines
    /// never fill one).
    _stderr: std::io::Lines<BufReader<std::process::ChildStderr>>,
}

impl Env {
    /// Starts `serve` on this store with `args` after `serve`; returns once it prints
    /// where it listens. Panics with its stderr if it exits first.
    pub fn serve(&self, args: &[&str]) -> Served {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vaultstore"))
            .env_remove("VAULTSTORE_PATH")
            .env_remove("VAULTSTORE_KEY_FILE")
            .env("XDG_CONFIG_HOME", self.config_dir())
            .arg("--store")
            .arg(&self.store)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut seen = Vec::new();
        let url = loop {
            let Some(Ok(line)) = stderr.next() else {
                let status = child.wait().expect("exits");
                panic!("serve exited ({status:?}) before listening: {seen:?}");
            };
            let at = line.find("http://").or_else(|| line.find("https://"));
            if let (Some(at), true) = (at, line.contains("listening on")) {
                break line[at..].split(' ').next().expect("url").to_owned();
            }
            seen.push(line);
        };
        Served {
            child,
            url,
            before: seen,
            _stderr: stderr,
        }
    }
}

impl Served {
    /// SIGTERM, then waits; true if it exited with 0.
    pub fn stop(&mut self) -> bool {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        let port = self.url.rsplit(':').next().expect("port");
        port.parse().expect("a port number")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}
