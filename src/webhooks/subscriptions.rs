//! Webhook subscriptions: from the config file (`[[webhooks.subscriptions]]`)
//! and from the API (`POST /api/webhooks`), the latter kept in
//! `webhooks.json` in the data directory (owner-readable only), never in
//! the RDF store, where SPARQL could read the secrets.

use crate::auth::Secret;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::RwLock;

/// Where events go.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub name: String,
    pub url: String,
    /// The HMAC key; never serialised to API answers.
    #[serde(default)]
    pub secret: Secret,
    /// Event types (`licence.expiring`), families (`licence.*`) or `*`.
    #[serde(default = "every_event")]
    pub events: Vec<String>,
    /// The tenant whose events it receives (its own and the shared
    /// tenant's), or every tenant's when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

fn every_event() -> Vec<String> {
    vec!["*".into()]
}

impl Subscription {
    /// Whether an event about something `owner` holds may reach it
    /// (`None`: an event about no tenant's data, for unscoped receivers).
    pub fn hears_of(&self, owner: Option<&str>) -> bool {
        match (&self.tenant, owner) {
            (None, _) => true,
            (Some(mine), Some(owner)) => mine == owner || owner == crate::auth::SHARED_TENANT,
            (Some(_), None) => false,
        }
    }

    /// Whether a caller reading `tenants` (`None`: every tenant) may see
    /// and manage it.
    pub fn visible_to(&self, tenants: Option<&[String]>) -> bool {
        match (tenants, &self.tenant) {
            (None, _) => true,
            (Some(tenants), Some(mine)) => tenants.contains(mine),
            (Some(_), None) => false,
        }
    }

    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|pattern| {
            pattern == "*"
                || pattern == kind
                || pattern
                    .strip_suffix(".*")
                    .is_some_and(|family| kind.strip_prefix(family).is_some_and(|rest| rest.starts_with('.')))
        })
    }
}

/// The event types the service emits.
pub(crate) const EVENT_TYPES: [&str; 5] = [
    "licence.expiring",
    "licence.expired",
    "asset.blocked",
    "asset.cleared",
    "taxonomy.updated",
];

pub struct Subscriptions {
    configured: Vec<Subscription>,
    added: RwLock<Vec<Subscription>>,
    file: Option<PathBuf>,
    allowed_hosts: Vec<String>,
}

impl Subscriptions {
    /// The configured subscriptions and those added through the API
    /// (read from `file`, if given). Every URL must be to an allowed host.
    pub fn new(configured: Vec<Subscription>, file: Option<PathBuf>, allowed_hosts: Vec<String>) -> Result<Self> {
        let added: Vec<Subscription> = match &file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::File {
                    path: path.display().to_string(),
                    source,
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    Error::invalid(format!(
                        "{}: not a list of webhook subscriptions ({e}); fix or remove the file",
                        path.display()
                    ))
                })?
            }
            _ => Vec::new(),
        };
        let subscriptions = Subscriptions {
            configured,
            added: RwLock::new(Vec::new()),
            file,
            allowed_hosts,
        };
        for subscription in subscriptions.configured.iter().chain(&added) {
            subscriptions.validate(subscription)?;
        }
        *subscriptions.added.write().expect("subscriptions lock") = added;
        Ok(subscriptions)
    }

    /// No subscriptions, nothing allowed: for tools that emit nothing.
    pub fn none() -> Self {
        Subscriptions {
            configured: Vec::new(),
            added: RwLock::new(Vec::new()),
            file: None,
            allowed_hosts: Vec::new(),
        }
    }

    pub fn all(&self) -> Vec<Subscription> {
        let added = self.added.read().expect("subscriptions lock");
        self.configured.iter().chain(added.iter()).cloned().collect()
    }

    /// Whether no subscription listens at all.
    pub fn is_empty(&self) -> bool {
        self.configured.is_empty() && self.added.read().expect("subscriptions lock").is_empty()
    }

    pub fn get(&self, name: &str) -> Option<Subscription> {
        self.all().into_iter().find(|s| s.name == name)
    }

    /// The subscriptions an event of `kind` about what `owner` holds goes to.
    pub(crate) fn wanting(&self, kind: &str, owner: Option<&str>) -> Vec<Subscription> {
        self.all()
            .into_iter()
            .filter(|s| s.wants(kind) && s.hears_of(owner))
            .collect()
    }

    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// Adds a subscription and persists it.
    pub fn add(&self, subscription: Subscription) -> Result<()> {
        self.validate(&subscription)?;
        let mut added = self.added.write().expect("subscriptions lock");
        if self
            .configured
            .iter()
            .chain(added.iter())
            .any(|s| s.name == subscription.name)
        {
            return Err(Error::Conflict {
                message: format!(
                    "a subscription named '{}' exists; remove it first or pick another name",
                    subscription.name
                ),
            });
        }
        added.push(subscription);
        self.persist(&added)
    }

    /// Removes a subscription added through the API; false when there is none.
    pub fn remove(&self, name: &str) -> Result<bool> {
        if self.configured.iter().any(|s| s.name == name) {
            return Err(Error::Conflict {
                message: format!("'{name}' is configured in the config file; remove it there"),
            });
        }
        let mut added = self.added.write().expect("subscriptions lock");
        let before = added.len();
        added.retain(|s| s.name != name);
        if added.len() == before {
            return Ok(false);
        }
        self.persist(&added)?;
        Ok(true)
    }

    fn validate(&self, subscription: &Subscription) -> Result<()> {
        let name_ok = !subscription.name.is_empty()
            && subscription.name.len() <= 64
            && (subscription.name.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err(Error::invalid_field(
                "name",
                format!(
                    "'{}' is not a subscription name: use 1 to 64 letters, digits, '-', '_' or '.'",
                    subscription.name
                ),
            ));
        }
        if let Some(tenant) = subscription.tenant.as_deref().filter(|t| !crate::rdf::is_tenant_id(t)) {
            return Err(Error::invalid_field(
                "tenant",
                format!("'{tenant}' is not a tenant id; use letters, digits, '-' and '_'"),
            ));
        }
        if subscription.secret.len() < 16 {
            return Err(Error::invalid_field(
                "secret",
                format!(
                    "the secret of '{}' is shorter than 16 characters; receivers verify signatures with it",
                    subscription.name
                ),
            ));
        }
        for pattern in &subscription.events {
            let known = pattern == "*"
                || EVENT_TYPES.contains(&pattern.as_str())
                || pattern
                    .strip_suffix(".*")
                    .is_some_and(|family| EVENT_TYPES.iter().any(|t| t.starts_with(&format!("{family}."))));
            if !known {
                return Err(Error::invalid_field(
                    "events",
                    format!(
                        "'{pattern}' is no event type; use {}, a family such as licence.*, or *",
                        EVENT_TYPES.join(", ")
                    ),
                ));
            }
        }
        crate::outbound::check(&subscription.url, &self.allowed_hosts)?;
        Ok(())
    }

    fn persist(&self, added: &[Subscription]) -> Result<()> {
        let Some(path) = &self.file else { return Ok(()) };
        let text = serde_json::to_string_pretty(added).expect("subscriptions serialise");
        crate::auth::write_secret_file(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(events: &[&str]) -> Subscription {
        Subscription {
            name: "dam".into(),
            url: "https://hooks.example.com/x".into(),
            secret: "0123456789abcdef".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            tenant: None,
        }
    }

    #[test]
    fn patterns_select_event_types() {
        let s = subscription(&["licence.*", "asset.blocked"]);
        assert!(s.wants("licence.expiring") && s.wants("licence.expired") && s.wants("asset.blocked"));
        assert!(!s.wants("asset.cleared") && !s.wants("taxonomy.updated") && !s.wants("licencex.y"));
        assert!(subscription(&["*"]).wants("taxonomy.updated"));
    }

    #[test]
    fn bad_subscriptions_are_refused() {
        let allowed = vec!["hooks.example.com".to_owned()];
        let ok = Subscriptions::new(vec![subscription(&["*"])], None, allowed.clone());
        assert!(ok.is_ok());
        for bad in [
            Subscription {
                secret: "short".into(),
                ..subscription(&["*"])
            },
            Subscription {
                name: "a b".into(),
                ..subscription(&["*"])
            },
            Subscription {
                url: "https://elsewhere.example.org/".into(),
                ..subscription(&["*"])
            },
            subscription(&["licence.renewed"]),
        ] {
            assert!(Subscriptions::new(vec![bad], None, allowed.clone()).is_err());
        }
    }
}
