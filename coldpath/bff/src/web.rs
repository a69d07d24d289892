//! The web workstation's bundle: found, rebuilt when stale, and served at `/`.
//!
//! The workstation (`web/`, React + TypeScript, built by Vite) compiles to static files in
//! `web/dist/`. `orion up` checks at start whether that bundle is missing or older than any of
//! its sources and, when npm is available, builds it (`npm install` once, then `npm run build`), so
//! the README's first command is still the only one a user needs. The BFF serves the bundle as
//! its fallback route: API routes win, every other path is a file of the bundle or the API's JSON 404.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use axum::Router;
use axum::handler::HandlerWithoutStateExt;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use tower_http::services::ServeDir;

/// `web/` of the source tree this binary was built from.
pub const DEFAULT_WEB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web");

/// Why the bundle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// npm is not installed.
    #[error("npm is not installed; install Node.js 20+ to build the web workstation")]
    NoNpm,
    /// A build step failed.
    #[error("`{0}` failed in {1}")]
    Step(String, PathBuf),
    /// Starting npm failed.
    #[error("running npm: {0}")]
    Io(#[from] std::io::Error),
}

/// Newest modification time among the bundle's sources under `web`.
fn newest_source(web: &Path) -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = (*newest).max(Some(modified));
        }
    }
    let mut newest = None;
    for name in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        walk(&web.join(name), &mut newest);
    }
    newest
}

/// True when `web/dist/index.html` is missing or older than a source.
pub fn is_stale(web: &Path) -> bool {
    let built = std::fs::metadata(web.join("dist/index.html")).and_then(|m| m.modified());
    match (built, newest_source(web)) {
        (Err(_), _) => true,
        (Ok(built), Some(source)) => source > built,
        (Ok(_), None) => false,
    }
}

fn npm(web: &Path, args: &[&str]) -> Result<(), WebError> {
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .status()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => WebError::NoNpm,
            _ => WebError::Io(e),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(WebError::Step(
            format!("npm {}", args.join(" ")),
            web.to_owned(),
        ))
    }
}

/// Builds the bundle when `mode` allows it and it is missing or stale.
pub fn ensure_bundle(web: &Path, build: bool) -> Result<(), WebError> {
    if !build || !web.join("package.json").exists() || !is_stale(web) {
        return Ok(());
    }
    tracing::info!(dir = %web.display(), "building the web workstation (npm run build)");
    if !web.join("node_modules").exists() {
        // `npm ci` installs exactly the committed lock and never rewrites it.
        npm(web, &["ci", "--no-audit", "--no-fund"])?;
    }
    npm(web, &["run", "build"])
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><title>Orion</title><h1>Orion</h1><p>The web workstation is not built. \
             Install Node.js 20+ and restart <code>orion up</code>, or run <code>npm ci &amp;&amp; npm run build</code> \
             in <code>web/</code>. The API, WebSocket and <code>/metrics</code> are up.</p>",
        ),
    )
}

/// `router` with the bundle under `web/dist` as its fallback.
pub fn serve(router: Router, web: &Path) -> Router {
    // Unknown paths keep the API's JSON 404, for every method.
    serve_with_fallback(router, web, crate::http::error::not_found.into_service())
}

/// `router` with the bundle under `web/dist` as its fallback, and `rest` for every path that
/// is not a file of the bundle (a replica forwards those to the core).
pub fn serve_with_fallback<S>(router: Router, web: &Path, rest: S) -> Router
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let dist = web.join("dist");
    if dist.join("index.html").exists() {
        router.fallback_service(
            ServeDir::new(&dist)
                .append_index_html_on_directories(true)
                .call_fallback_on_method_not_allowed(true)
                .fallback(rest),
        )
    } else {
        router
            .route("/", axum::routing::get(not_built))
            .fallback_service(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_older_than_its_sources_is_stale() {
        let dir = std::env::temp_dir().join(format!("orion-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.tsx"), "x").unwrap();
        assert!(is_stale(&dir), "no bundle yet");
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("dist/index.html"), "x").unwrap();
        assert!(!is_stale(&dir), "bundle newer than the sources");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("src/main.tsx"), "y").unwrap();
        assert!(is_stale(&dir), "a source changed after the build");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
