//! End to end: the real Codex CLI and Claude Code, driven offline against a scripted model
//! (selfheal-testkit), with our hooks registered as a user registers them. Assertions are on
//! what the client did (a tool ran or not, files on disk) and on the text that reached the
//! model, never on where a client put it.
//!
//! Needs the clients installed by `scripts/install-clients.sh` (into `target/clients/`);
//! without them every test fails, naming the script.
//!
//! One module per scenario of issue #7; each has a test per client where it applies.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use selfheal_testkit::{Client, Run};

mod budget;
mod conflict;
mod fail_open;
mod harness;
mod network;
mod plugin;
mod refused_edits;
mod repeats;
mod stop;
mod supervise;
mod transcript;
mod trust;

/// Where cargo put the hook binaries for this test target.
pub fn hooks_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_schema-guard"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn run(client: Client, name: &str) -> Run {
    Run::new(client, name, &hooks_dir())
}

/// A loopback port nothing listens on (bound, then released): connecting is refused.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A shell command that fails the way an unreachable service does (curl: connection
/// refused), and leaves one more file in `attempts/` each time it really runs. (`mktemp`, not
/// `echo … >> log`: a shell redirect is a finding of its own, F4, for the classifier.)
pub fn network_command(port: u16) -> String {
    format!(
        "mkdir -p attempts && mktemp -p attempts >/dev/null && \
         curl -sS --max-time 5 http://127.0.0.1:{port}/health"
    )
}

/// [`network_command`] on a port nothing listens on.
pub fn failing_network_command() -> String {
    network_command(closed_port())
}

/// How many times a [`network_command`] ran.
pub fn attempts(out: &selfheal_testkit::Outcome) -> usize {
    std::fs::read_dir(out.project.join("attempts")).map_or(0, |d| d.count())
}
