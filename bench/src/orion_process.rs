//! A real `orion up` (or `orion core` / `orion bff`) child process for the rig's scenarios: started on free ports with extra
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
    /// gRPC address (`orion up`, `orion core`).
    pub grpc: Option<SocketAddr>,
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
        let (mut http, mut feed, mut grpc) = (None, None, None);
        while http.is_none() || grpc.is_none() || (wants_feed && feed.is_none()) {
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
            if let Some(a) = line.trim().strip_prefix("gRPC:") {
                grpc = Some(a.trim().parse()?);
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self {
            child,
            http: http.expect("loop ends with an address"),
            feed,
            grpc,
            dir,
        })
    }
}

impl OrionProcess {
    /// Starts `orion core` in a fresh data dir named after `tag`, gRPC on `grpc`, the UDP feed
    /// on a free port, with `extra` flags.
    pub fn core(orion: &Path, tag: &str, grpc: SocketAddr, extra: &[&str]) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("orion-rig-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let grpc_addr = grpc;
        let grpc = grpc.to_string();
        let mut args = vec![
            "core",
            "--http-addr",
            "127.0.0.1:0",
            "--quic-addr",
            "127.0.0.1:0",
            "--feed-addr",
            "127.0.0.1:0",
            "--grpc-addr",
            &grpc,
        ];
        args.extend_from_slice(extra);
        let (child, [http, feed]) = spawn(
            orion,
            &args,
            &dir,
            ["Orion core is up: http://", "UDP feed:"],
        )?;
        Ok(Self {
            child,
            http: http.context("core address")?,
            feed,
            grpc: Some(grpc_addr),
            dir,
        })
    }

    /// Starts `orion bff` against the core at `grpc` whose data dir is `core_dir` (for the
    /// internal credential), with `extra` flags.
    pub fn bff(orion: &Path, core_dir: &Path, grpc: SocketAddr, extra: &[&str]) -> Result<Self> {
        let url = format!("http://{grpc}");
        let mut args = vec!["bff", "--http-addr", "127.0.0.1:0", "--core-url", &url];
        args.extend_from_slice(extra);
        let (child, [http, _]) = spawn(
            orion,
            &args,
            core_dir,
            ["Orion BFF replica is up: http://", ""],
        )?;
        Ok(Self {
            child,
            http: http.context("replica address")?,
            feed: None,
            grpc: None,
            // The core owns the directory.
            dir: PathBuf::new(),
        })
    }

    /// The core's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }
}

/// Starts `orion ARGS… --data-dir DIR` and reads the addresses after `prefixes` (an empty
/// prefix is not waited for) from its banner.
fn spawn(
    orion: &Path,
    args: &[&str],
    dir: &Path,
    prefixes: [&str; 2],
) -> Result<(Child, [Option<SocketAddr>; 2])> {
    let mut child = Command::new(orion)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .env("ORION_WEB_BUILD", "off")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", orion.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let mut found = [None, None];
    while prefixes
        .iter()
        .zip(&found)
        .any(|(p, f)| !p.is_empty() && f.is_none())
    {
        let Some(line) = lines.next() else {
            bail!("orion {} exited before its banner", args[0])
        };
        let line = line?;
        for (slot, prefix) in found.iter_mut().zip(prefixes) {
            if let Some(a) = line
                .trim()
                .strip_prefix(prefix)
                .filter(|_| !prefix.is_empty())
            {
                let addr = a.split_whitespace().next().unwrap_or_default();
                *slot = Some(addr.parse()?);
            }
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, found))
}

impl Drop for OrionProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
