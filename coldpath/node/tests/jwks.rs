//! External identity: `orion up` with `ORION_JWKS_URL` validates tokens signed by an identity
//! provider whose JWKS document a local server serves — ES256 keys, rotation picked up without
//! a restart, the embedded provider off, forged, expired and unknown-user tokens refused.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::Orion;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An ES256 signing key and its public JWK.
struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    fn generate(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let public = pair.public_key_raw();
        assert_eq!(
            (public.len(), public[0]),
            (65, 4),
            "uncompressed P-256 point"
        );
        Self {
            kid: kid.into(),
            encoding: EncodingKey::from_ec_der(&pair.serialize_der()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
                "x": base64url(&public[1..33]), "y": base64url(&public[33..65]),
            }),
        }
    }

    fn token(&self, sub: &str, tenant: &str, expires_in: i64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let claims = json!({"sub": sub, "tenant": tenant, "iat": now, "exp": now + expires_in, "iss": "https://idp.example"});
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap()
    }
}

/// Serves `document` over HTTP at any path; counts the fetches.
async fn serve_jwks(document: Arc<Mutex<String>>, fetches: Arc<Mutex<u32>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (document, fetches) = (Arc::clone(&document), Arc::clone(&fetches));
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = document.lock().unwrap().clone();
                *fetches.lock().unwrap() += 1;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/.well-known/jwks.json")
}

// Multi-threaded: the JWKS server must answer while `Orion::start` blocks on the banner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_tokens_are_validated_against_the_jwks_document() {
    let first = SigningKey::generate("k1");
    let document = Arc::new(Mutex::new(json!({"keys": [first.jwk.clone()]}).to_string()));
    let fetches = Arc::new(Mutex::new(0));
    let url = serve_jwks(Arc::clone(&document), Arc::clone(&fetches)).await;
    let orion = Orion::start(&["--jwks-url", &url]);

    let token = first.token("trader@acme", "acme", 300);
    let me = orion.get("/me", &token).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(
        (me["user"].as_str(), me["roles"][0].as_str()),
        (Some("trader@acme"), Some("ROLE_TRADER")),
        "roles from the directory"
    );
    let mut ws = orion.connect(&token).await;
    support::send_json(&mut ws, json!({"type": "PING"})).await;
    assert_eq!(
        support::next_json(&mut ws, Duration::from_secs(2))
            .await
            .unwrap()["type"],
        "PONG"
    );

    // The embedded provider is off.
    let login = orion
        .client
        .post(orion.url("/auth/login"))
        .json(&json!({"username": "trader@acme", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 404);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["error"]["code"], "EMBEDDED_IDP_OFF");

    // Forged, expired, unknown users and symmetric tokens are refused.
    let impostor = SigningKey::generate("k1");
    for (what, bad) in [
        (
            "signed by another key",
            impostor.token("trader@acme", "acme", 300),
        ),
        ("expired", first.token("trader@acme", "acme", -60)),
        ("unknown user", first.token("ghost@acme", "acme", 300)),
        ("wrong tenant", first.token("trader@acme", "globex", 300)),
    ] {
        assert_eq!(orion.get("/me", &bad).await.status(), 401, "{what}");
    }
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "trader@acme", "tenant": "acme", "exp": u64::MAX / 2}),
        &EncodingKey::from_secret(b"guessable"),
    )
    .unwrap();
    assert_eq!(
        orion.get("/me", &hs256).await.status(),
        401,
        "HS256 is not accepted"
    );

    // The provider rotates to a new key: a token signed with it is accepted once the document
    // is fetched again, without a restart.
    let second = SigningKey::generate("k2");
    *document.lock().unwrap() =
        json!({"keys": [first.jwk.clone(), second.jwk.clone()]}).to_string();
    let rotated = second.token("risk@acme", "acme", 300);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if orion.get("/me", &rotated).await.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rotated key was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        *fetches.lock().unwrap() >= 2,
        "fetched again on the unknown key"
    );
    assert_eq!(
        orion.get("/me", &token).await.status(),
        200,
        "the first key still holds"
    );
}
