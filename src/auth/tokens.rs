//! Browser tokens: short-lived, signed credentials a host's server mints
//! for one person, so that a page never holds an API key.
//!
//! A token is a JWT signed with HS256 by the first of `[tokens]
//! signing_keys`; every configured key verifies, so a key is rotated by
//! putting the new one first and dropping the old one once its tokens have
//! expired (dropping a key revokes every token it signed). The claims say
//! who it is for (`sub`), the tenants it may read (a subset of the minting
//! key's), its role (never above reader), the rights context its searches
//! always apply (`ctx`) and when it expires (`exp`, at most a day away).

use super::revocations::Revocations;
use super::{Principal, Role, Secret};
use crate::error::{Error, Result};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest life a token may be given, in seconds.
pub const MAX_TTL_SECS: u64 = 24 * 60 * 60;
/// A token's life when the request names none.
pub const DEFAULT_TTL_SECS: u64 = 15 * 60;
/// The audience every token names, so that a JWT meant for another
/// service signed with a shared secret is not taken.
const AUDIENCE: &str = "assetgraph";
/// The shortest signing key accepted, in bytes.
const MIN_KEY_BYTES: usize = 32;

/// `[tokens]` in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// The first signs; all verify. At least 32 bytes each.
    #[serde(default)]
    pub signing_keys: Vec<Secret>,
}

/// What `POST /api/tokens` asks for.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The person the token is for; usage it records is theirs.
    pub subject: String,
    /// A subset of the minting key's tenants (default: all of them).
    pub tenants: Option<Vec<String>>,
    /// At most `reader` (the default).
    pub role: Option<Role>,
    /// Rights context bound into every search the token makes.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    pub ttl_secs: Option<u64>,
    /// Whether the token may record the subject's usage events (false
    /// unless asked for, and only from a key that may itself).
    #[serde(default)]
    pub record_usage: bool,
}

/// A minted token and when it expires (unix seconds).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Minted {
    pub token: String,
    pub expires_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    /// The key that minted it.
    iss: String,
    iat: i64,
    /// When it was signed, in milliseconds: a revocation refuses the
    /// tokens signed before it, even within its second.
    #[serde(default)]
    ims: Option<i64>,
    exp: i64,
    role: Role,
    /// Absent: every tenant (minted by a key that names none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenants: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    ctx: BTreeMap<String, String>,
    /// May record usage events of `sub`.
    #[serde(default)]
    usage: bool,
}

/// Mints and verifies tokens with the configured keys.
#[derive(Default)]
pub struct Tokens {
    keys: Vec<Secret>,
    revocations: Revocations,
}

impl Tokens {
    pub fn new(config: &TokensConfig, revocations: Revocations) -> Result<Self> {
        if let Some(short) = config.signing_keys.iter().position(|k| k.len() < MIN_KEY_BYTES) {
            return Err(Error::invalid_field(
                "tokens.signing_keys",
                format!("signing key {short} is shorter than {MIN_KEY_BYTES} bytes; use a long random value (openssl rand -hex 32)"),
            ));
        }
        Ok(Tokens {
            keys: config.signing_keys.clone(),
            revocations,
        })
    }

    /// The revocations every token is checked against.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    pub fn is_configured(&self) -> bool {
        !self.keys.is_empty()
    }

    /// A token for `request`, minted by `issuer` at `now`.
    pub fn mint(&self, issuer: &Principal, request: TokenRequest, at: time::OffsetDateTime) -> Result<Minted> {
        let now = at.unix_timestamp();
        let Some(key) = self.keys.first() else {
            return Err(Error::NotConfigured {
                message: "no token signing key is configured; add [tokens] signing_keys = [\"<32 or more random bytes>\"] to the config file".into(),
            });
        };
        let subject = request.subject.trim();
        if subject.is_empty() || subject.len() > 200 {
            return Err(Error::invalid_field(
                "subject",
                "name the person the token is for, 1 to 200 characters",
            ));
        }
        let role = request.role.unwrap_or(Role::Reader);
        if role > Role::Reader {
            return Err(Error::invalid_field(
                "role",
                format!("a token's role is at most reader, not {role}"),
            ));
        }
        let tenants = granted_tenants(issuer, request.tenants)?;
        if request.record_usage && !issuer.records_usage {
            return Err(Error::Forbidden {
                message: format!(
                    "key '{}' may not record usage, so it cannot grant a token that does",
                    issuer.name
                ),
            });
        }
        crate::rights::context_from(&request.context.clone().into_iter().collect())?;
        let ttl = request.ttl_secs.unwrap_or(DEFAULT_TTL_SECS);
        if ttl == 0 || ttl > MAX_TTL_SECS {
            return Err(Error::invalid_field(
                "ttl_secs",
                format!("a token lives 1 to {MAX_TTL_SECS} seconds"),
            ));
        }
        let claims = Claims {
            sub: subject.to_owned(),
            aud: AUDIENCE.into(),
            iss: issuer.name.clone(),
            iat: now,
            ims: Some(unix_millis(at)),
            exp: now + ttl as i64,
            role,
            tenants,
            ctx: request.context,
            usage: request.record_usage,
        };
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(key.expose().as_bytes()),
        )
        .map_err(|e| Error::Storage(format!("a token could not be signed: {e}")))?;
        Ok(Minted {
            token,
            expires_at: claims.exp,
        })
    }

    /// The principal a token stands for, if any configured key signed it,
    /// it names this service and it has not expired at `now`.
    pub fn verify(&self, token: &str, default_tenant: &str, now: i64) -> Result<Principal> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        // Expiry is checked against `now` below, without leeway.
        validation.validate_exp = false;
        let mut last = None;
        for key in &self.keys {
            match decode::<Claims>(token, &DecodingKey::from_secret(key.expose().as_bytes()), &validation) {
                Ok(data) => {
                    let claims = data.claims;
                    let signed_ms = claims.ims.unwrap_or(claims.iat * 1000 + 999);
                    if self
                        .revocations
                        .revokes(&claims.sub, claims.tenants.as_deref(), signed_ms)
                    {
                        return Err(Error::Unauthorized {
                            message: format!(
                                "the tokens of '{}' were revoked; ask the host for a new one",
                                claims.sub
                            ),
                        });
                    }
                    return principal_of(claims, default_tenant, now);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Unauthorized {
            message: match last.map(|e| e.into_kind()) {
                Some(jsonwebtoken::errors::ErrorKind::InvalidAudience) => {
                    "the token is not meant for this service".into()
                }
                Some(jsonwebtoken::errors::ErrorKind::InvalidSignature) | None => {
                    "the token's signature matches no configured key (tampered, or its key was rotated out)".into()
                }
                Some(_) => "the token is not a valid assetgraph token".into(),
            },
        })
    }
}

/// Milliseconds since the epoch.
pub(crate) fn unix_millis(at: time::OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The tenants a token may read: those asked for, each one the issuer
/// has, or all the issuer's.
fn granted_tenants(issuer: &Principal, asked: Option<Vec<String>>) -> Result<Option<Vec<String>>> {
    let Some(asked) = asked else {
        return Ok(issuer.scoped.then(|| issuer.tenants.clone()));
    };
    if asked.is_empty() {
        return Err(Error::invalid_field(
            "tenants",
            "name at least one tenant, or leave tenants out",
        ));
    }
    for tenant in &asked {
        if !crate::rdf::is_tenant_id(tenant) {
            return Err(Error::invalid_field(
                "tenants",
                format!("'{tenant}' is not a tenant id"),
            ));
        }
        if issuer.scoped && !issuer.tenants.contains(tenant) {
            return Err(Error::Forbidden {
                message: format!(
                    "key '{}' may not grant tenant '{tenant}', which it does not have",
                    issuer.name
                ),
            });
        }
    }
    Ok(Some(asked))
}

fn principal_of(claims: Claims, default_tenant: &str, now: i64) -> Result<Principal> {
    if claims.exp <= now {
        return Err(Error::TokenExpired {
            message: format!("the token of '{}' expired; ask the host for a new one", claims.sub),
        });
    }
    let scoped = claims.tenants.is_some();
    Ok(Principal {
        name: format!("token:{}", claims.sub),
        role: claims.role.min(Role::Reader),
        tenants: claims.tenants.unwrap_or_else(|| vec![default_tenant.to_owned()]),
        scoped,
        context: claims.ctx,
        subject: Some(claims.sub),
        records_usage: claims.usage,
    })
}
