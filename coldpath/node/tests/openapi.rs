//! The OpenAPI document as a client generator and an API fuzzer read it: served by `orion up`,
//! it validates as OpenAPI 3.1 (openapi-spec-validator), and schemathesis, generating requests
//! from it as a trader, a tenant admin and the platform operator, finds no server error, no
//! status code the document does not list, and no response that contradicts its schema.
//! Needs the Python tools `scripts/test.sh` installs into `ORION_API_TOOLS` (a virtualenv's
//! `bin/`).

mod support;

use std::process::Command;

use support::Orion;

fn tool(name: &str) -> String {
    let dir = std::env::var("ORION_API_TOOLS").unwrap_or_else(|_| {
        format!(
            "{}/.cache/orion-tools/api/bin",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    format!("{dir}/{name}")
}

/// Runs `program` in `dir` (schemathesis keeps its caches in the working directory).
fn run(dir: &std::path::Path, program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program}: {e} (run scripts/test.sh, which installs it, or set ORION_API_TOOLS)"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_validates_and_api_fuzzing_finds_no_server_error_or_schema_violation() {
    let orion = Orion::start(&[]);
    let document = orion
        .client
        .get(orion.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = orion.data_dir.join("openapi.json");
    std::fs::write(&path, &document).unwrap();
    let path = path.to_str().unwrap().to_owned();

    let (valid, report) = run(
        &orion.data_dir,
        &tool("python"),
        &["-m", "openapi_spec_validator", &path],
    );
    assert!(valid, "the document is not valid OpenAPI: {report}");
    let doc: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let base = format!("http://{}", orion.http);
    // Log in first: the fuzzer's failed logins get this address's logins throttled.
    let mut sessions = Vec::new();
    for user in ["trader@acme", "admin@acme", "ops@orion"] {
        sessions.push((user, orion.login(user).await));
    }
    for (user, token) in sessions {
        let header = format!("Authorization: Bearer {token}");
        let (clean, report) = run(
            &orion.data_dir,
            &tool("schemathesis"),
            &[
                "run",
                &path,
                "--url",
                &base,
                "-H",
                &header,
                "--checks",
                "not_a_server_error,response_schema_conformance,status_code_conformance",
                "--max-examples",
                "8",
                "--seed",
                "42",
                // Logging out would revoke the session the run itself uses.
                "--exclude-path",
                "/auth/logout",
            ],
        );
        assert!(clean, "schemathesis as {user} found problems:\n{report}");
        assert!(
            report.contains("passed"),
            "schemathesis as {user} ran no test case:\n{report}"
        );
    }
}
