//! The embedded identity provider (dev/demo) and token validation.
//!
//! Demo users are seeded as `docs/api.md` lists them: tenant `acme` with one user per role and a second
//! tenant `globex` for isolation. `POST /auth/login` checks the demo password and issues an
//! HS256 access token (15 minutes) and a refresh token (8 hours) carrying the user, tenant,
//! roles and entitlements. Every REST call and the WebSocket handshake validate the access token:
//! signature, algorithm (HS256 only, so `alg: none` is refused), issuer, expiry and token kind.
//! The signing secret comes from `ORION_JWT_SECRET` or is generated once per data directory.

use std::path::Path;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use orion_bridge::clock::Clock;
use orion_hotpath::AssetClass;
use rand::TryRngCore;
use serde::{Deserialize, Serialize};

const ISSUER: &str = "orion";
const ACCESS_TTL_SECS: u64 = 15 * 60;
const REFRESH_TTL_SECS: u64 = 8 * 60 * 60;
/// Clock skew tolerated on expiry.
const LEEWAY_SECS: u64 = 5;

/// A seeded demo user.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Login name, e.g. `trader@acme`.
    pub username: &'static str,
    /// Tenant the user belongs to.
    pub tenant: &'static str,
    /// Granted roles.
    pub roles: &'static [&'static str],
    /// Asset classes the user may see and trade.
    pub entitlements: &'static [AssetClass],
}

const ALL: &[AssetClass] = &[AssetClass::Fx, AssetClass::Rates, AssetClass::Credit];

/// The demo users of embedded mode.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        username: "trader@acme",
        tenant: "acme",
        roles: &["ROLE_TRADER"],
        entitlements: ALL,
    },
    DemoUser {
        username: "sales@acme",
        tenant: "acme",
        roles: &["ROLE_SALES"],
        entitlements: ALL,
    },
    DemoUser {
        username: "risk@acme",
        tenant: "acme",
        roles: &["ROLE_RISK"],
        entitlements: ALL,
    },
    DemoUser {
        username: "analyst@acme",
        tenant: "acme",
        roles: &["ROLE_ANALYST"],
        entitlements: ALL,
    },
    DemoUser {
        username: "admin@acme",
        tenant: "acme",
        roles: &["ROLE_ADMIN"],
        entitlements: ALL,
    },
    DemoUser {
        username: "trader@globex",
        tenant: "globex",
        roles: &["ROLE_TRADER"],
        entitlements: &[AssetClass::Fx, AssetClass::Rates],
    },
    DemoUser {
        username: "ops@orion",
        tenant: "orion",
        roles: &["ROLE_PLATFORM"],
        entitlements: &[],
    },
];

/// Which kind of token a JWT is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Authorises API calls.
    Access,
    /// Only exchanges for a new access token.
    Refresh,
}

/// The claims Orion puts in its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: String,
    /// The user's tenant.
    pub tenant: String,
    /// Roles, e.g. `ROLE_TRADER`.
    pub roles: Vec<String>,
    /// Entitled asset classes (`fx`, `rates`, `credit`).
    pub ent: Vec<String>,
    /// Token kind.
    pub typ: TokenKind,
    /// Issuer.
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

impl Claims {
    /// True when the user may see `class`.
    pub fn entitled_to(&self, class: AssetClass) -> bool {
        self.ent.iter().any(|e| e == class.as_str())
    }

    /// True when the user holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Why authentication failed. Never sent verbatim beyond its kind.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user or wrong password.
    #[error("invalid username or password")]
    BadCredentials,
    /// Missing, malformed, expired or wrongly signed token, or the wrong kind.
    #[error("invalid or expired token")]
    BadToken,
    /// Signing failed.
    #[error("could not sign token")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// A pair of tokens as `POST /auth/login` returns them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    /// Access token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Issues and validates tokens.
pub struct Identity {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    demo_password: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

impl Identity {
    /// An identity provider signing with `secret`, reading time from `clock`.
    pub fn new(secret: &[u8], demo_password: String, clock: Arc<dyn Clock>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Expiry is checked against the given clock below, not the system's.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            demo_password,
            clock,
        }
    }

    /// Checks a demo login and issues tokens.
    pub fn login(&self, username: &str, password: &str) -> Result<TokenPair, AuthError> {
        let user = DEMO_USERS
            .iter()
            .find(|u| u.username == username)
            .ok_or(AuthError::BadCredentials)?;
        if !constant_time_eq(password.as_bytes(), self.demo_password.as_bytes()) {
            return Err(AuthError::BadCredentials);
        }
        self.issue(user)
    }

    /// Exchanges a valid refresh token for a new pair.
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let claims = self.validate(refresh_token, TokenKind::Refresh)?;
        let user = DEMO_USERS
            .iter()
            .find(|u| u.username == claims.sub)
            .ok_or(AuthError::BadToken)?;
        self.issue(user)
    }

    /// Validates a token of the given kind and returns its claims.
    pub fn validate(&self, token: &str, kind: TokenKind) -> Result<Claims, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AuthError::BadToken)?;
        if data.claims.typ != kind || data.claims.exp + LEEWAY_SECS < self.clock.now_secs() {
            return Err(AuthError::BadToken);
        }
        Ok(data.claims)
    }

    fn issue(&self, user: &DemoUser) -> Result<TokenPair, AuthError> {
        let now = self.clock.now_secs();
        let claims = |typ, ttl| Claims {
            sub: user.username.into(),
            tenant: user.tenant.into(),
            roles: user.roles.iter().map(|r| (*r).into()).collect(),
            ent: user
                .entitlements
                .iter()
                .map(|e| e.as_str().into())
                .collect(),
            typ,
            iss: ISSUER.into(),
            iat: now,
            exp: now + ttl,
        };
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &self.encoding)
                .map_err(AuthError::Signing)
        };
        Ok(TokenPair {
            access_token: sign(&claims(TokenKind::Access, ACCESS_TTL_SECS))?,
            refresh_token: sign(&claims(TokenKind::Refresh, REFRESH_TTL_SECS))?,
            expires_in: ACCESS_TTL_SECS,
        })
    }
}

/// The signing secret: the configured one, else `<data_dir>/jwt-secret`, created on first use.
pub fn load_or_create_secret(
    configured: Option<&str>,
    data_dir: &Path,
) -> std::io::Result<Vec<u8>> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 32 => {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(std::io::Error::other)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &hex)?;
    Ok(hex.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    use orion_bridge::clock::ManualClock;

    fn identity() -> Identity {
        Identity::new(
            b"0123456789abcdef0123456789abcdef",
            "demo".into(),
            Arc::new(ManualClock::at(1_800_000_000_000_000_000)),
        )
    }

    #[test]
    fn tokens_expire_on_the_given_clock() {
        let clock = Arc::new(ManualClock::at(1_800_000_000_000_000_000));
        let id = Identity::new(
            b"0123456789abcdef0123456789abcdef",
            "demo".into(),
            clock.clone(),
        );
        let pair = id.login("trader@acme", "demo").unwrap();
        clock.advance(std::time::Duration::from_secs(ACCESS_TTL_SECS - 1));
        assert!(id.validate(&pair.access_token, TokenKind::Access).is_ok());
        clock.advance(std::time::Duration::from_secs(LEEWAY_SECS + 2));
        assert!(id.validate(&pair.access_token, TokenKind::Access).is_err());
        assert!(
            id.refresh(&pair.refresh_token).is_ok(),
            "refresh lives longer"
        );
    }

    #[test]
    fn login_issues_tokens_that_validate() {
        let id = identity();
        let pair = id.login("trader@acme", "demo").unwrap();
        let claims = id.validate(&pair.access_token, TokenKind::Access).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.tenant.as_str()),
            ("trader@acme", "acme")
        );
        assert!(claims.has_role("ROLE_TRADER"));
        assert!(
            id.validate(&pair.access_token, TokenKind::Refresh).is_err(),
            "kinds do not mix"
        );
        let again = id.refresh(&pair.refresh_token).unwrap();
        assert!(id.validate(&again.access_token, TokenKind::Access).is_ok());
        assert!(id.refresh(&pair.access_token).is_err());
    }

    #[test]
    fn refuses_bad_credentials_and_forged_tokens() {
        let id = identity();
        assert!(matches!(
            id.login("trader@acme", "nope"),
            Err(AuthError::BadCredentials)
        ));
        assert!(matches!(
            id.login("ghost@acme", "demo"),
            Err(AuthError::BadCredentials)
        ));
        let pair = id.login("trader@acme", "demo").unwrap();
        let other = Identity::new(
            b"another-secret-another-secret-xx",
            "demo".into(),
            Arc::new(ManualClock::at(1_800_000_000_000_000_000)),
        );
        assert!(
            other
                .validate(&pair.access_token, TokenKind::Access)
                .is_err()
        );
        // alg=none: header {"alg":"none","typ":"JWT"}, same claims, empty signature.
        let payload = pair.access_token.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(id.validate(&none, TokenKind::Access).is_err());
        assert!(id.validate("garbage", TokenKind::Access).is_err());
    }

    #[test]
    fn secret_is_generated_once_per_data_dir() {
        let dir = std::env::temp_dir().join(format!("orion-secret-{}", std::process::id()));
        let first = load_or_create_secret(None, &dir).unwrap();
        let second = load_or_create_secret(None, &dir).unwrap();
        assert_eq!(first, second);
        assert_eq!(
            load_or_create_secret(Some("configured"), &dir).unwrap(),
            b"configured"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
