//! The Socket.IO peer (`peers/socketio/`): whether it can run here, and how to start it.
//!
//! Socket.IO's transports (`socketio-polling`, `socketio-ws`) are measured against a Node server running
//! Socket.IO 4.8, not against feedlab's. It needs `node` on `PATH` and the peer's packages installed
//! (`npm ci` in its directory). Without them an experiment that measures Socket.IO is skipped with one line
//! saying how to enable it ([`ENABLE`]), never failed: the rest of `feedlab run` does not depend on Node.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use feedlab_contract::transport::ServedBy;

use crate::experiment::Experiment;
use crate::server::ServerCommand;

/// Default directory of the peer, relative to the working directory (the repository root).
pub const DEFAULT_DIR: &str = "peers/socketio";

/// What a user runs to make the peer available (from the repository root).
pub const ENABLE: &str = "cd peers/socketio && npm ci";

/// The peer's server script, in its directory.
const SCRIPT: &str = "server.mjs";

/// A file that exists once `npm ci` has installed Socket.IO.
const INSTALLED: &str = "node_modules/socket.io/package.json";

/// How to start the peer in `dir` (`node <dir>/server.mjs`), or why it cannot run here.
pub fn socketio(dir: &Path) -> Result<ServerCommand, String> {
    let mut node = Command::new("node");
    node.arg("--version").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    match node.status() {
        Ok(status) if status.success() => {}
        Ok(status) => return Err(format!("`node --version` failed ({status})")),
        Err(e) => return Err(format!("node not found ({e})")),
    }
    let script = dir.join(SCRIPT);
    if !script.is_file() {
        return Err(format!("{} is missing", script.display()));
    }
    if !dir.join(INSTALLED).is_file() {
        return Err(format!("{} is missing", dir.join("node_modules").display()));
    }
    Ok(ServerCommand { program: PathBuf::from("node"), args: vec![script.to_string_lossy().into_owned()] })
}

/// Whether an experiment has steps served by the Socket.IO peer.
pub fn needs_socketio(experiment: &Experiment) -> bool {
    experiment.steps.iter().any(|s| s.transport.served_by() == ServedBy::SocketIo)
}

/// The line saying an experiment is skipped because the peer cannot run, and how to enable it.
pub fn skipped_line(experiment: &str, why: &str) -> String {
    format!(
        "{experiment}: skipped: it measures Socket.IO, and the peer cannot run here ({why}); to enable it: {ENABLE}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_packages_says_what_is_missing() {
        let dir = std::env::temp_dir().join(format!("feedlab-peer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let why = socketio(&dir).unwrap_err();
        // Without node, that is the reason; with it, the script is.
        assert!(why.contains("node") || why.contains("server.mjs is missing"), "{why}");
        std::fs::write(dir.join(SCRIPT), "").unwrap();
        let why = socketio(&dir).unwrap_err();
        assert!(why.contains("node"), "{why}");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(skipped_line("peers", &why).ends_with("to enable it: cd peers/socketio && npm ci"));
    }

    #[test]
    fn the_repository_peer_is_found_when_installed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../peers/socketio");
        match socketio(&dir) {
            Ok(cmd) => assert!(cmd.args[0].ends_with("server.mjs"), "{cmd:?}"),
            Err(why) => assert!(
                std::env::var("FEEDLAB_PEERS_REQUIRED").as_deref() != Ok("1"),
                "the peer is required (FEEDLAB_PEERS_REQUIRED=1) but {why}"
            ),
        }
    }
}
