//! Orion's own tokens and passwords: HS256 access tokens (15 minutes by default) and refresh
//! tokens (8 hours) carrying the user, tenant, roles and entitlements; argon2id password
//! hashes; the demo users of embedded mode.
//!
//! Validation checks the signature, the algorithm (HS256 only, so `alg: none` is refused), the
//! issuer, the expiry on the clock the identity was given, and the token kind. The signing
//! secret comes from `ORION_JWT_SECRET` or is generated once per data directory. Demo users are
//! seeded as `docs/api.md` lists them: tenant `acme` with one user per role, a second tenant
//! `globex` for isolation, and the platform operator `ops@orion`.

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
    // The house market maker: the bots that keep the order books two-sided trade as it.
    DemoUser {
        username: "mm@orion",
        tenant: "orion",
        roles: &["ROLE_TRADER"],
        entitlements: ALL,
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
    /// Entitled instruments within those classes; empty = all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ins: Vec<String>,
    /// Token kind.
    pub typ: TokenKind,
    /// Issuer.
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Token id (a logout revokes a refresh token by it).
    #[serde(default)]
    pub jti: String,
}

impl Claims {
    /// True when the user may see `class`.
    pub fn entitled_to(&self, class: AssetClass) -> bool {
        self.ent.iter().any(|e| e == class.as_str())
    }

    /// True when the user may see and trade the instrument of `spec`: its asset class, and —
    /// when the user is entitled to named instruments only — its id among them.
    pub fn may_see(&self, spec: &orion_hotpath::InstrumentSpec) -> bool {
        self.entitled_to(spec.asset_class)
            && (self.ins.is_empty() || self.ins.contains(&spec.symbol))
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
    /// Missing, malformed, expired, revoked or wrongly signed token, or the wrong kind.
    #[error("invalid or expired token")]
    BadToken,
    /// The user is disabled: tokens issued before are refused and login is refused.
    #[error("the user is disabled")]
    UserDisabled,
    /// Too many failed logins for this user or source address; try again later.
    #[error("too many failed logins; try again later")]
    Throttled,
    /// Tokens come from an external identity provider; Orion's own is off.
    #[error("the embedded identity provider is off; sign in with your identity provider")]
    EmbeddedProviderOff,
    /// Signing failed.
    #[error("could not sign token")]
    Signing(#[source] jsonwebtoken::errors::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] orion_store::StoreError),
}

/// A pair of tokens as `POST /auth/login` returns them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    /// Access token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Token lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// Access tokens, seconds.
    pub access_secs: u64,
    /// Refresh tokens, seconds.
    pub refresh_secs: u64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access_secs: ACCESS_TTL_SECS,
            refresh_secs: REFRESH_TTL_SECS,
        }
    }
}

/// Who a token is issued to.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Login name.
    pub user: String,
    /// Tenant.
    pub tenant: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Entitled asset classes.
    pub asset_classes: Vec<String>,
    /// Entitled instruments (empty = all of the classes').
    pub instruments: Vec<String>,
}

/// Issues and validates Orion's own tokens (signature, algorithm, issuer, expiry on the given
/// clock, kind). Who may hold one — enabled users, unrevoked tokens — is [`crate::auth`]'s
/// concern.
pub struct Identity {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetimes: TokenLifetimes,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

impl Identity {
    /// Tokens signed with `secret`, living `lifetimes`, timed by `clock`.
    pub fn new(secret: &[u8], lifetimes: TokenLifetimes, clock: Arc<dyn Clock>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Expiry is checked against the given clock below, not the system's.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetimes,
            clock,
        }
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

    /// Issues an access and a refresh token to `subject`.
    pub fn issue(&self, subject: &Subject) -> Result<TokenPair, AuthError> {
        let now = self.clock.now_secs();
        let claims = |typ, ttl| Claims {
            sub: subject.user.clone(),
            tenant: subject.tenant.clone(),
            roles: subject.roles.clone(),
            ent: subject.asset_classes.clone(),
            ins: subject.instruments.clone(),
            typ,
            iss: ISSUER.into(),
            iat: now,
            exp: now + ttl,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &self.encoding)
                .map_err(AuthError::Signing)
        };
        Ok(TokenPair {
            access_token: sign(&claims(TokenKind::Access, self.lifetimes.access_secs))?,
            refresh_token: sign(&claims(TokenKind::Refresh, self.lifetimes.refresh_secs))?,
            expires_in: self.lifetimes.access_secs,
        })
    }
}

/// The signing keys of an external identity provider — a JWKS document, kept fresh by whoever
/// fetches it ([`ExternalKeys::replace`]) — and validation of its tokens: RS256 or ES256 only,
/// the key named by the token's `kid`, expiry on the given clock.
pub struct ExternalKeys {
    keys: std::sync::RwLock<jsonwebtoken::jwk::JwkSet>,
    /// A token named a key the document lacks since it was last replaced: fetch it again.
    unknown_kid: std::sync::atomic::AtomicBool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ExternalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalKeys").finish_non_exhaustive()
    }
}

/// What Orion reads from an external token: who, in which tenant, until when.
#[derive(Debug, Deserialize)]
struct ExternalClaims {
    sub: String,
    tenant: String,
    exp: u64,
    #[serde(default)]
    iat: u64,
    #[serde(default)]
    iss: String,
}

impl ExternalKeys {
    /// No keys yet, timed by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            keys: std::sync::RwLock::new(jsonwebtoken::jwk::JwkSet { keys: Vec::new() }),
            unknown_kid: std::sync::atomic::AtomicBool::new(false),
            clock,
        }
    }

    /// Replaces the key set with a freshly fetched JWKS document.
    pub fn replace(&self, document: &str) -> Result<usize, serde_json::Error> {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(document)?;
        let count = set.keys.len();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = set;
        self.unknown_kid
            .store(false, std::sync::atomic::Ordering::Release);
        Ok(count)
    }

    /// True when a token named a key the current document lacks.
    pub fn wants_refresh(&self) -> bool {
        self.unknown_kid.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The subject and tenant of a valid token.
    pub fn validate(&self, token: &str) -> Result<(String, String, u64, u64, String), AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::BadToken)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(AuthError::BadToken);
        }
        let kid = header.kid.ok_or(AuthError::BadToken)?;
        let key = {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            match keys.find(&kid) {
                Some(jwk) => DecodingKey::from_jwk(jwk).map_err(|_| AuthError::BadToken)?,
                None => {
                    self.unknown_kid
                        .store(true, std::sync::atomic::Ordering::Release);
                    return Err(AuthError::BadToken);
                }
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<ExternalClaims>(token, &key, &validation)
            .map_err(|_| AuthError::BadToken)?
            .claims;
        if claims.exp + LEEWAY_SECS < self.clock.now_secs() {
            return Err(AuthError::BadToken);
        }
        Ok((
            claims.sub,
            claims.tenant,
            claims.iat,
            claims.exp,
            claims.iss,
        ))
    }
}

/// An argon2id hash of `password` (PHC string, random salt).
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with a generated salt")
        .to_string()
}

/// True when `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The signing secret: the configured one, else `<data_dir>/jwt-secret`, created on first use.
pub fn load_or_create_secret(
    configured: Option<&str>,
    data_dir: &Path,
) -> std::io::Result<Vec<u8>> {
    load_or_create_named(configured, data_dir, "jwt-secret")
}

/// The credential Orion's own processes present to each other: `configured` when set, else
/// the one in `data_dir/internal.token`, created (owner-only) the first time.
pub fn load_or_create_internal_token(
    configured: Option<&str>,
    data_dir: &Path,
) -> std::io::Result<String> {
    let bytes = load_or_create_named(configured, data_dir, INTERNAL_TOKEN_FILE)?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

/// The file in a data dir holding the internal credential.
pub const INTERNAL_TOKEN_FILE: &str = "internal.token";

fn load_or_create_named(
    configured: Option<&str>,
    data_dir: &Path,
    name: &str,
) -> std::io::Result<Vec<u8>> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(name);
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

#[cfg(test)]
mod tests {
    use super::*;
    use orion_bridge::clock::ManualClock;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: u64 = 1_800_000_000_000_000_000;

    fn subject() -> Subject {
        Subject {
            user: "trader@acme".into(),
            tenant: "acme".into(),
            roles: vec!["ROLE_TRADER".into()],
            asset_classes: vec!["fx".into()],
            instruments: vec![],
        }
    }

    #[test]
    fn issued_tokens_validate_by_kind() {
        let id = Identity::new(
            SECRET,
            TokenLifetimes::default(),
            Arc::new(ManualClock::at(NOW)),
        );
        let pair = id.issue(&subject()).unwrap();
        let claims = id.validate(&pair.access_token, TokenKind::Access).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.tenant.as_str()),
            ("trader@acme", "acme")
        );
        assert!(claims.has_role("ROLE_TRADER"));
        assert!(!claims.jti.is_empty());
        assert!(
            id.validate(&pair.access_token, TokenKind::Refresh).is_err(),
            "kinds do not mix"
        );
        assert!(id.validate(&pair.refresh_token, TokenKind::Refresh).is_ok());
    }

    #[test]
    fn tokens_expire_on_the_given_clock_after_their_lifetime() {
        let clock = Arc::new(ManualClock::at(NOW));
        let lifetimes = TokenLifetimes {
            access_secs: 60,
            refresh_secs: 600,
        };
        let id = Identity::new(SECRET, lifetimes, clock.clone());
        let pair = id.issue(&subject()).unwrap();
        assert_eq!(pair.expires_in, 60);
        clock.advance(std::time::Duration::from_secs(59));
        assert!(id.validate(&pair.access_token, TokenKind::Access).is_ok());
        clock.advance(std::time::Duration::from_secs(LEEWAY_SECS + 2));
        assert!(id.validate(&pair.access_token, TokenKind::Access).is_err());
        assert!(id.validate(&pair.refresh_token, TokenKind::Refresh).is_ok());
    }

    #[test]
    fn forged_tokens_are_refused() {
        let clock = Arc::new(ManualClock::at(NOW));
        let id = Identity::new(SECRET, TokenLifetimes::default(), clock.clone());
        let pair = id.issue(&subject()).unwrap();
        let other = Identity::new(
            b"another-secret-another-secret-xx",
            TokenLifetimes::default(),
            clock,
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
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("s3cret");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &hash));
        assert!(!verify_password("S3cret", &hash));
        assert!(!verify_password("s3cret", "not a hash"));
        assert_ne!(hash, hash_password("s3cret"), "salted");
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
