//! API keys and roles.
//!
//! Roles are ordered: reader < analyst < editor < admin; a key may do what
//! its role and every lower role may do. Readers search and read; analysts
//! also query with SPARQL; editors also write; admins also operate the
//! service. Secrets are kept only as SHA-256 digests once loaded, and the
//! files that hold secrets (webhook subscriptions, OAuth tokens) are
//! written by [`write_secret_file`], readable by their owner only.

pub mod revocations;
pub mod tokens;

use crate::error::{Error, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Analyst,
    Editor,
    Admin,
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "reader" => Ok(Role::Reader),
            "analyst" => Ok(Role::Analyst),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::invalid_field(
                "role",
                format!("'{s}' is not a role: use reader, analyst, editor or admin"),
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Reader => "reader",
            Role::Analyst => "analyst",
            Role::Editor => "editor",
            Role::Admin => "admin",
        })
    }
}

/// Who is calling, once their key is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The tenants whose graphs the key may see; the first one owns what it writes.
    pub tenants: Vec<String>,
    /// Whether the key named its tenants. A key that named none sees every
    /// tenant's graphs, as a single-tenant install expects.
    pub scoped: bool,
    /// The rights context a browser token binds into every search (empty
    /// for keys).
    pub context: std::collections::BTreeMap<String, String>,
    /// The person a browser token was minted for (`None` for keys): the
    /// only user whose usage it may record.
    pub subject: Option<String>,
    /// Whether it may record usage events.
    pub records_usage: bool,
}

/// The tenant whose graphs every caller sees: the shipped vocabularies and
/// the taxonomies an admin pushes for everyone.
pub const SHARED_TENANT: &str = crate::vocab::graphs::SHARED_TENANT;

impl Principal {
    /// The caller when no keys are configured: a local operator with every right.
    pub fn local(default_tenant: &str) -> Self {
        Principal {
            name: "local".into(),
            role: Role::Admin,
            tenants: vec![default_tenant.into()],
            scoped: false,
            context: Default::default(),
            subject: None,
            records_usage: true,
        }
    }

    /// The tenants whose graphs the caller may change (never `shared`
    /// unless the key names it), or `None` when it may change every
    /// tenant's.
    pub fn writable_tenants(&self) -> Option<Vec<String>> {
        self.scoped.then(|| self.tenants.clone())
    }

    /// The tenants whose graphs the caller may read, `shared` included, or
    /// `None` when it may read every tenant's.
    pub fn readable_tenants(&self) -> Option<Vec<String>> {
        self.scoped.then(|| {
            let mut tenants = self.tenants.clone();
            tenants.push(SHARED_TENANT.to_owned());
            tenants
        })
    }

    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }

    /// The tenant the caller's writes belong to. A key holding several
    /// must name one ([`Principal::choose_tenant`]).
    pub(crate) fn write_tenant(&self) -> Result<&str> {
        match self.tenants.as_slice() {
            [one] => Ok(one),
            several => Err(Error::invalid_field(
                "tenant",
                format!(
                    "key '{}' holds the tenants {}; name the one this write is for with ?tenant=",
                    self.name,
                    several.join(", ")
                ),
            )),
        }
    }

    /// Narrows the caller to one tenant (`?tenant=`): one of its own, any
    /// tenant for an unscoped key, or `shared` for an admin. It then reads
    /// that tenant's graphs and the shared ones, and writes that tenant's.
    pub fn choose_tenant(&mut self, tenant: &str) -> Result<()> {
        if !crate::rdf::is_tenant_id(tenant) {
            return Err(Error::invalid_field(
                "tenant",
                format!("'{tenant}' is not a tenant id; use letters, digits, '-' and '_'"),
            ));
        }
        let allowed = if tenant == SHARED_TENANT {
            self.role == Role::Admin
        } else {
            !self.scoped || self.tenants.iter().any(|t| t == tenant)
        };
        if !allowed {
            return Err(Error::Forbidden {
                message: if tenant == SHARED_TENANT {
                    format!(
                        "key '{}' is not an admin; only an admin acts for the shared tenant",
                        self.name
                    )
                } else {
                    format!("key '{}' does not hold tenant '{tenant}'", self.name)
                },
            });
        }
        self.tenants = vec![tenant.to_owned()];
        self.scoped = true;
        Ok(())
    }
}

#[derive(Default)]
pub struct KeyRing {
    by_digest: HashMap<[u8; 32], Principal>,
}

impl KeyRing {
    pub fn new(keys: &[KeyConfig], default_tenant: &str) -> Result<Self> {
        let mut ring = KeyRing::default();
        for key in keys {
            let digest = match (&key.secret, &key.secret_sha256) {
                (Some(secret), None) if !secret.is_empty() => Sha256::digest(secret.expose().as_bytes()).into(),
                (None, Some(hex_digest)) => decode_digest(hex_digest).ok_or_else(|| {
                    Error::invalid_field(
                        "secret_sha256",
                        format!("key '{}': secret_sha256 must be 64 hex digits", key.name),
                    )
                })?,
                _ => {
                    return Err(Error::invalid_field(
                        "secret",
                        format!("key '{}' needs exactly one of secret or secret_sha256", key.name),
                    ))
                }
            };
            let scoped = !key.tenants.is_empty();
            let tenants = if key.tenants.is_empty() {
                vec![default_tenant.to_owned()]
            } else {
                key.tenants.clone()
            };
            if let Some(bad) = tenants.iter().find(|t| !crate::rdf::is_tenant_id(t)) {
                return Err(Error::invalid_field(
                    "tenants",
                    format!(
                        "key '{}': '{bad}' is not a tenant id; use letters, digits, '-' and '_'",
                        key.name
                    ),
                ));
            }
            let principal = Principal {
                name: key.name.clone(),
                role: key.role,
                tenants,
                scoped,
                context: Default::default(),
                subject: None,
                records_usage: key.records_usage,
            };
            if ring.by_digest.insert(digest, principal).is_some() {
                return Err(Error::invalid_field(
                    "secret",
                    format!("key '{}' reuses another key's secret", key.name),
                ));
            }
        }
        Ok(ring)
    }

    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// The principal whose secret this is.
    pub fn verify(&self, secret: &str) -> Option<&Principal> {
        self.by_digest.get(&<[u8; 32]>::from(Sha256::digest(secret.as_bytes())))
    }
}

/// A secret: an API key's, a connector's password or token, a webhook's
/// signing key. Its `Debug` never shows it, so no log line or debug print
/// of a structure holding one can leak it; the value is read with
/// [`Secret::expose`] where it is used, and nowhere else.
#[derive(Clone, Default, Eq, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Secret(String);

/// Compared in constant time for secrets of one length, so that how long a
/// comparison takes never tells how much of a guess was right.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .fold(0u8, |differ, (x, y)| std::hint::black_box(differ | (x ^ y)))
                == 0
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, to sign, authenticate or digest with.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// A key as the config file or `ASSETGRAPH_API_KEYS` gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub secret: Option<Secret>,
    #[serde(default)]
    pub secret_sha256: Option<String>,
    #[serde(default)]
    pub tenants: Vec<String>,
    /// Whether the key may record usage events (`POST /api/usage`). Set it
    /// to false for a key that could be read by others: usage events
    /// spend download limits.
    #[serde(default = "records_usage_by_default")]
    pub records_usage: bool,
}

fn records_usage_by_default() -> bool {
    true
}

/// Writes a file that holds secrets (webhook subscriptions, OAuth tokens)
/// readable by its owner only, created so from the start, and replaced
/// atomically.
pub fn write_secret_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::File {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let partial = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial).map_err(io)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

fn decode_digest(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value_and_never_show_it() {
        assert_eq!(Secret::from("s3cret"), Secret::from("s3cret"));
        assert_ne!(Secret::from("s3cret"), Secret::from("s3creT"));
        assert_ne!(Secret::from("s3cret"), Secret::from("s3cret!"));
        assert_eq!(format!("{:?}", Secret::from("s3cret")), "Secret(..)");
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Analyst && Role::Analyst > Role::Reader);
    }

    #[test]
    fn keys_verify_by_secret_or_digest() {
        let digest = hex::encode(Sha256::digest(b"other"));
        let keys = vec![
            KeyConfig {
                name: "pp".into(),
                role: Role::Editor,
                secret: Some("s3cret".into()),
                secret_sha256: None,
                tenants: vec![],
                records_usage: true,
            },
            KeyConfig {
                name: "bi".into(),
                role: Role::Analyst,
                secret: None,
                secret_sha256: Some(digest),
                tenants: vec!["acme".into()],
                records_usage: true,
            },
        ];
        let ring = KeyRing::new(&keys, "default").unwrap();
        assert_eq!(ring.verify("s3cret").unwrap().name, "pp");
        assert_eq!(ring.verify("s3cret").unwrap().tenants, vec!["default"]);
        assert_eq!(ring.verify("other").unwrap().tenants, vec!["acme"]);
        assert!(ring.verify("wrong").is_none());
    }

    #[test]
    fn bad_tenant_ids_are_refused_when_keys_load() {
        let key = KeyConfig {
            name: "agency".into(),
            role: Role::Editor,
            secret: Some("s".into()),
            secret_sha256: None,
            tenants: vec!["acme corp".into()],
            records_usage: true,
        };
        assert!(matches!(KeyRing::new(&[key], "default"), Err(Error::Invalid { .. })));
    }
}
