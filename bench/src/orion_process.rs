//! A real `orion up` child process for the rig's scenarios: started on free ports with extra
//! flags, addresses read from its banner, killed and cleaned up on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

/// The running process.
pub struct OrionProcess {
    /// The child.
    pub child: Child,
    /// BFF address.
    pub http: SocketAddr,
    /// UDP feed address, when started with `--feed-addr`.
    pub feed: Option<SocketAddr>,
    dir: PathBuf,
}

impl OrionProcess {
    /// Starts `orion up` on free ports in a fresh data dir named after `tag`, with `extra` flags.
    pub fn start(orion: &Path, tag: &str, extra: &[&str]) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("orion-rig-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = Command::new(orion)
            .args([
                "up",
                "--http-addr",
                "127.0.0.1:0",
                "--quic-addr",
                "127.0.0.1:0",
                "--grpc-addr",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(&dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("ORION_WEB_BUILD", "off")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", orion.display()))?;
        let wants_feed = extra.contains(&"--feed-addr");
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let (mut http, mut feed) = (None, None);
        while http.is_none() || (wants_feed && feed.is_none()) {
            let Some(line) = lines.next() else {
                bail!("orion exited before its banner")
            };
            let line = line?;
            if let Some(a) = line.strip_prefix("Orion is up: http://") {
                http = Some(a.trim().parse()?);
            }
            if let Some(a) = line.trim().strip_prefix("UDP feed:") {
                feed = Some(a.trim().parse()?);
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self {
            child,
            http: http.expect("loop ends with an address"),
            feed,
            dir,
        })
    }
}

impl Drop for OrionProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
