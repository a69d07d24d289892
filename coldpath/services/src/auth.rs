//! Authentication against the directory: login with a password (argon2), refresh, logout, and
//! the check every request's access token goes through.
//!
//! - A disabled user's tokens — access and refresh, issued before the change — are refused
//!   with [`AuthError::UserDisabled`] on their next use, and so is their login.
//! - A logout revokes the refresh token (by its `jti`, kept in the store until it would have
//!   expired, so a restart does not bring it back).
//! - Failed logins are throttled per user and per source address: after
//!   [`MAX_FAILURES`] within [`FAILURE_WINDOW_SECS`], further attempts are refused with
//!   [`AuthError::Throttled`] until the window has passed.
//! - Login, failed login and logout are audited.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use orion_bridge::clock::Clock;
use orion_store::Store;
use orion_store::directory::AuditRecord;

use crate::directory::Directory;
use crate::identity::{
    AuthError, Claims, ExternalKeys, Identity, Subject, TokenKind, TokenPair, verify_password,
};

/// Failed logins tolerated per user and per source address within the window.
pub const MAX_FAILURES: usize = 5;
/// The throttling window.
pub const FAILURE_WINDOW_SECS: u64 = 60;

/// Login, refresh, logout and token checks.
pub struct AuthService {
    identity: Arc<Identity>,
    /// Set when tokens come from an external identity provider (`ORION_JWKS_URL`): the
    /// embedded provider's login, refresh and logout are off then.
    external: Option<Arc<ExternalKeys>>,
    directory: Arc<Directory>,
    store: Store,
    clock: Arc<dyn Clock>,
    /// Failure times (seconds) per `user:<name>` and `addr:<ip>`.
    failures: Mutex<HashMap<String, VecDeque<u64>>>,
    /// Revoked refresh-token ids.
    revoked: RwLock<HashSet<String>>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

impl AuthService {
    /// The service, with the revoked tokens the store remembers.
    pub async fn load(
        identity: Arc<Identity>,
        directory: Arc<Directory>,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let revoked = store.revoked_tokens(clock.now_secs() as i64).await?;
        Ok(Self {
            identity,
            external: None,
            directory,
            store,
            clock,
            failures: Mutex::new(HashMap::new()),
            revoked: RwLock::new(revoked.into_iter().collect()),
        })
    }

    /// Validates tokens against an external identity provider's keys from now on; Orion's own
    /// login, refresh and logout are off.
    pub fn with_external_keys(mut self, keys: Arc<ExternalKeys>) -> Self {
        self.external = Some(keys);
        self
    }

    /// The claims of a valid access token of an enabled user. An external token names the user
    /// and tenant; roles and entitlements are the directory's.
    pub fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = match &self.external {
            None => self.identity.validate(token, TokenKind::Access)?,
            Some(keys) => {
                let (sub, tenant, iat, exp, iss) = keys.validate(token)?;
                let user = self
                    .directory
                    .user(&sub)
                    .filter(|u| u.tenant == tenant)
                    .ok_or(AuthError::BadToken)?;
                Claims {
                    sub,
                    tenant,
                    roles: user.roles,
                    ent: user.asset_classes,
                    ins: user.instruments,
                    typ: TokenKind::Access,
                    iss,
                    iat,
                    exp,
                    jti: String::new(),
                }
            }
        };
        self.check_enabled(&claims)?;
        Ok(claims)
    }

    fn embedded(&self) -> Result<(), AuthError> {
        match self.external {
            None => Ok(()),
            Some(_) => Err(AuthError::EmbeddedProviderOff),
        }
    }

    /// Checks a password and issues tokens.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        source: Option<IpAddr>,
        correlation_id: &str,
    ) -> Result<TokenPair, AuthError> {
        self.embedded()?;
        let keys = [
            format!("user:{username}"),
            source.map_or_else(String::new, |a| format!("addr:{a}")),
        ];
        let user = self.directory.user(username);
        let tenant = user.as_ref().map_or("", |u| u.tenant.as_str()).to_owned();
        if self.throttled(&keys) {
            self.audit(
                &tenant,
                username,
                "LOGIN_FAILED",
                "throttled",
                correlation_id,
            )
            .await;
            return Err(AuthError::Throttled);
        }
        let verified = match &user {
            Some(u) => {
                let (password, hash) = (password.to_owned(), u.password_hash.clone());
                tokio::task::spawn_blocking(move || verify_password(&password, &hash))
                    .await
                    .unwrap_or(false)
            }
            None => false,
        };
        let Some(user) = user.filter(|_| verified) else {
            self.fail(&keys);
            self.audit(
                &tenant,
                username,
                "LOGIN_FAILED",
                "bad credentials",
                correlation_id,
            )
            .await;
            return Err(AuthError::BadCredentials);
        };
        if !user.enabled {
            self.audit(
                &tenant,
                username,
                "LOGIN_FAILED",
                "user disabled",
                correlation_id,
            )
            .await;
            return Err(AuthError::UserDisabled);
        }
        let pair = self.identity.issue(&Subject {
            user: user.user.clone(),
            tenant: user.tenant.clone(),
            roles: user.roles.clone(),
            asset_classes: user.asset_classes.clone(),
            instruments: user.instruments.clone(),
        })?;
        self.audit(&tenant, username, "LOGIN", "", correlation_id)
            .await;
        Ok(pair)
    }

    /// Exchanges a valid, unrevoked refresh token of an enabled user for a new pair (with the
    /// user's current roles and entitlements).
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        self.embedded()?;
        let claims = self.valid_refresh(refresh_token)?;
        let user = self
            .directory
            .user(&claims.sub)
            .ok_or(AuthError::BadToken)?;
        self.identity.issue(&Subject {
            user: user.user,
            tenant: user.tenant,
            roles: user.roles,
            asset_classes: user.asset_classes,
            instruments: user.instruments,
        })
    }

    /// Revokes a refresh token.
    pub async fn logout(&self, refresh_token: &str, correlation_id: &str) -> Result<(), AuthError> {
        self.embedded()?;
        let claims = self.valid_refresh(refresh_token)?;
        self.store
            .revoke_token(&claims.jti, claims.exp as i64)
            .await?;
        self.revoked
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(claims.jti.clone());
        self.audit(&claims.tenant, &claims.sub, "LOGOUT", "", correlation_id)
            .await;
        Ok(())
    }

    fn valid_refresh(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = self.identity.validate(token, TokenKind::Refresh)?;
        let revoked = self
            .revoked
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&claims.jti);
        if revoked || claims.jti.is_empty() {
            return Err(AuthError::BadToken);
        }
        self.check_enabled(&claims)?;
        Ok(claims)
    }

    fn check_enabled(&self, claims: &Claims) -> Result<(), AuthError> {
        if self.directory.is_enabled(&claims.tenant, &claims.sub) {
            Ok(())
        } else {
            Err(AuthError::UserDisabled)
        }
    }

    fn throttled(&self, keys: &[String]) -> bool {
        let now = self.clock.now_secs();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter().filter(|k| !k.is_empty()).any(|k| {
            failures.get_mut(k).is_some_and(|times| {
                while times
                    .front()
                    .is_some_and(|&t| t + FAILURE_WINDOW_SECS <= now)
                {
                    times.pop_front();
                }
                times.len() >= MAX_FAILURES
            })
        })
    }

    fn fail(&self, keys: &[String]) {
        let now = self.clock.now_secs();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a flood of distinct names cannot grow the map without limit.
        if failures.len() > 100_000 {
            failures.clear();
        }
        for key in keys.iter().filter(|k| !k.is_empty()) {
            failures.entry(key.clone()).or_default().push_back(now);
        }
    }

    async fn audit(
        &self,
        tenant: &str,
        user: &str,
        action: &str,
        detail: &str,
        correlation_id: &str,
    ) {
        let row = AuditRecord {
            at: self.clock.now_nanos() as i64,
            tenant: tenant.to_owned(),
            actor: user.to_owned(),
            action: action.to_owned(),
            entity_type: "User".into(),
            entity_id: user.to_owned(),
            correlation_id: correlation_id.to_owned(),
            detail: detail.to_owned(),
        };
        if let Err(err) = self
            .store
            .append_audit(&uuid::Uuid::new_v4().to_string(), &row)
            .await
        {
            tracing::error!(cause = %err, action, "audit entry not written");
        }
    }
}
