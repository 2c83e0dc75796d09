//! Configuration: a TOML file, environment overrides, sensible defaults.
//!
//! Precedence, highest first: command-line flags, `ASSETGRAPH_*` environment
//! variables, the file given with `--config`, defaults. With nothing at all,
//! `assetgraph serve` keeps its data in `./data` and listens on
//! `127.0.0.1:7878`.
//!
//! ```toml
//! data = "./data"
//! listen = "127.0.0.1:7878"
//! public_url = "https://assets.example.com"   # default: http://{listen}
//! max_body_bytes = 67108864
//! default_tenant = "default"
//!
//! [server]
//! header_timeout_secs = 10    # a client has this long to send a request's headers
//! idle_timeout_secs = 60      # a connection that sends nothing this long is closed
//! max_connections = 1024      # more are answered 503 and closed
//! requests_per_second = 50    # per API key; per client address without a valid key
//! burst = 100                 # requests a key may send at once before the rate applies
//!
//! [[keys]]
//! name = "poolparty"          # recorded in the audit trail
//! role = "editor"             # reader | analyst | editor | admin
//! secret = "…"                # or secret_sha256 = "<hex>" to keep it out of the file
//! tenants = ["default"]
//!
//! [sparql]
//! timeout_secs = 30           # a query or update running longer is stopped (503)
//! max_results = 1000000       # solutions or triples per query
//! union_default_graph = true  # the default graph of a query is the union of all graphs
//! max_query_bytes = 262144    # longer queries and updates are refused (400)
//! max_depth = 64              # so are those that nest deeper (brackets, operator chains)
//! memory_budget_mib = 512     # a query holding more is stopped (503)
//! max_concurrent = 4          # queries and updates at once; one more gets 503 and Retry-After
//!
//! [outbound]
//! allowed_hosts = ["hooks.example.com", "*.poolparty.example"]   # nothing else is called
//!
//! [webhooks]
//! retry_base_ms = 1000        # first retry after about a second, doubling, with jitter
//! max_attempts = 8            # then a dead letter (GET /api/webhooks/deliveries?state=dead)
//! timeout_secs = 10
//! [[webhooks.subscriptions]]
//! name = "dam"
//! url = "https://hooks.example.com/assetgraph"
//! secret_env = "DAM_WEBHOOK_SECRET"   # or secret = "…" (16 characters or more)
//! events = ["licence.*", "asset.blocked"]   # default: every event
//!
//! [alerts]
//! interval_secs = 3600        # how often serve reads the clock for licence events (0: never)
//! horizon_days = 30           # licence.expiring this far ahead
//! ```
//!
//! `ASSETGRAPH_API_KEYS="name:role:secret,…"` adds keys from the environment,
//! `ASSETGRAPH_OUTBOUND_HOSTS="a.example,b.example"` allowed hosts.

pub use crate::auth::KeyConfig;
use crate::error::{Error, Result};
pub use crate::sparql::SparqlConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "defaults::data")]
    pub data: PathBuf,
    #[serde(default = "defaults::listen")]
    pub listen: String,
    /// The service's own URL as clients reach it: the base of the IRIs it
    /// makes (Graph Store graphs named by path, the base of queries). Never
    /// taken from a request's `Host`. Default: `http://{listen}`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes (larger ones get 413).
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// The tenant of graphs written by keys that name no tenant.
    #[serde(default = "defaults::tenant")]
    pub default_tenant: String,
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub tokens: crate::auth::tokens::TokensConfig,
    #[serde(default)]
    pub sparql: SparqlConfig,
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub outbound: OutboundConfig,
    #[serde(default)]
    pub connectors: crate::connectors::ConnectorsConfig,
}

/// Webhook subscriptions and how deliveries are retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionConfig>,
    /// The delay after a first failed attempt; it doubles after each.
    #[serde(default = "defaults::retry_base_ms")]
    pub retry_base_ms: u64,
    /// Attempts before a delivery becomes a dead letter.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// How long a receiver may take to answer.
    #[serde(default = "defaults::webhook_timeout_secs")]
    pub timeout_secs: u64,
    /// How often the outbox is checked for retries that fell due.
    #[serde(default = "defaults::poll_ms")]
    pub poll_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        toml::from_str("").expect("an empty [webhooks] table is valid")
    }
}

impl WebhooksConfig {
    pub fn retry(&self) -> crate::webhooks::Retry {
        crate::webhooks::Retry {
            base_ms: self.retry_base_ms.max(1),
            max_attempts: self.max_attempts.max(1),
        }
    }
}

/// One subscription in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub secret: Option<crate::auth::Secret>,
    /// The environment variable holding the secret, to keep it out of the file.
    #[serde(default)]
    pub secret_env: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// The tenant whose events it receives; every tenant's when left out.
    #[serde(default)]
    pub tenant: Option<String>,
}

impl SubscriptionConfig {
    /// The subscription, with its secret read from where the config says.
    pub fn resolve(&self, var: impl Fn(&str) -> Option<String>) -> Result<crate::webhooks::Subscription> {
        let secret = match (&self.secret, &self.secret_env) {
            (Some(secret), None) => secret.clone(),
            (None, Some(name)) => var(name).map(crate::auth::Secret::from).ok_or_else(|| {
                Error::invalid_field(
                    "secret_env",
                    format!("webhook '{}': the environment variable {name} is not set", self.name),
                )
            })?,
            _ => {
                return Err(Error::invalid_field(
                    "secret",
                    format!("webhook '{}': give exactly one of secret and secret_env", self.name),
                ))
            }
        };
        Ok(crate::webhooks::Subscription {
            name: self.name.clone(),
            url: self.url.clone(),
            secret,
            events: self.events.clone().unwrap_or_else(|| vec!["*".into()]),
            tenant: self.tenant.clone(),
        })
    }
}

/// The scheduler of `serve` that raises licence and clearance events.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// How often the clock is read (0 turns the scheduler off).
    #[serde(default = "defaults::alerts_interval_secs")]
    pub interval_secs: u64,
    /// How far ahead `licence.expiring` looks.
    #[serde(default = "defaults::horizon_days")]
    pub horizon_days: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        toml::from_str("").expect("an empty [alerts] table is valid")
    }
}

/// The hosts the service may call (webhooks, connectors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

/// How the server treats connections and how fast a client may send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// A client has this long to send a request's headers.
    #[serde(default = "defaults::header_timeout_secs")]
    pub header_timeout_secs: u64,
    /// A connection that sends nothing for this long is closed.
    #[serde(default = "defaults::idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// Connections open at once; more are answered 503 and closed.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Requests per second per API key, and per client address for
    /// requests without a valid key (0: no limit).
    #[serde(default = "defaults::requests_per_second")]
    pub requests_per_second: u32,
    /// How many requests a key may send at once before the rate applies.
    #[serde(default = "defaults::burst")]
    pub burst: u32,
    /// Usage events per minute one person (a token's subject, or a key)
    /// may record (0: no limit); a batch counts each of its events.
    #[serde(default = "defaults::usage_events_per_minute")]
    pub usage_events_per_minute: u32,
}

/// `[http]`: what browsers on other origins may do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// The origins (`https://dam.example.com`, exactly) whose pages may
    /// call the API from a browser. Empty: none (no CORS headers at all).
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// Checks a CORS origin: a scheme, a host and at most a port, nothing
/// else, and never a wildcard.
fn check_cors_origin(origin: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::invalid_field(
            "http.cors_origins",
            format!(
                "[http] cors_origins: '{origin}' {why}; give each origin exactly, like https://dam.example.com or http://localhost:3000"
            ),
        ))
    };
    if origin.contains('*') {
        return refuse("is a wildcard, which would let any site call the API with a visitor's credentials");
    }
    let Ok(url) = reqwest::Url::parse(origin) else {
        return refuse("is not an origin");
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return refuse("is not an http or https origin");
    }
    if url.origin().ascii_serialization() != origin {
        return refuse("has a path, a query, a trailing slash or letters in upper case");
    }
    Ok(())
}

impl Default for ServerConfig {
    fn default() -> Self {
        toml::from_str("").expect("an empty [server] table is valid")
    }
}

mod defaults {
    pub(super) fn data() -> std::path::PathBuf {
        "./data".into()
    }
    pub(super) fn listen() -> String {
        "127.0.0.1:7878".into()
    }
    pub(super) fn max_body_bytes() -> usize {
        64 * 1024 * 1024
    }
    pub(super) fn tenant() -> String {
        crate::store::DEFAULT_TENANT.into()
    }
    pub(super) fn header_timeout_secs() -> u64 {
        10
    }
    pub(super) fn idle_timeout_secs() -> u64 {
        60
    }
    pub(super) fn max_connections() -> usize {
        1024
    }
    pub(super) fn requests_per_second() -> u32 {
        50
    }
    pub(super) fn burst() -> u32 {
        100
    }
    pub(super) fn usage_events_per_minute() -> u32 {
        600
    }
    pub(super) fn retry_base_ms() -> u64 {
        1_000
    }
    pub(super) fn max_attempts() -> u32 {
        8
    }
    pub(super) fn webhook_timeout_secs() -> u64 {
        10
    }
    pub(super) fn poll_ms() -> u64 {
        1_000
    }
    pub(super) fn alerts_interval_secs() -> u64 {
        3_600
    }
    pub(super) fn horizon_days() -> u32 {
        30
    }
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str("").expect("an empty config is valid")
    }
}

/// Refuses the tables of earlier releases that moved, saying where.
fn refuse_moved_tables(text: &str) -> Result<()> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Ok(()); // the full parse reports the syntax error
    };
    if table.contains_key("rightsline") {
        return Err(Error::invalid_field(
            "rightsline",
            "the [rightsline] table is now [connectors.rightsline.mapping]: rename the table, its keys are unchanged",
        ));
    }
    Ok(())
}

impl Config {
    /// What the connectors read of it.
    pub fn connector_settings(&self) -> crate::connectors::Settings {
        crate::connectors::Settings {
            connectors: self.connectors.clone(),
            default_tenant: self.default_tenant.clone(),
            allowed_hosts: self.outbound.allowed_hosts.clone(),
        }
    }

    /// Reads the file (if any), then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::File {
                    path: path.display().to_string(),
                    source,
                })?;
                refuse_moved_tables(&text)?;
                toml::from_str(&text).map_err(|e| Error::Invalid {
                    message: format!("{}: {}", path.display(), e.message()),
                    field: e.span().map(|span| format!("byte {}", span.start)),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        if let Some(url) = &config.public_url {
            check_public_url(url)?;
        }
        for origin in &config.http.cors_origins {
            check_cors_origin(origin)?;
        }
        if !crate::rdf::is_tenant_id(&config.default_tenant) {
            return Err(Error::invalid_field(
                "default_tenant",
                format!(
                    "'{}' is not a tenant id; use letters, digits, '-' and '_'",
                    config.default_tenant
                ),
            ));
        }
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = var("ASSETGRAPH_DATA") {
            self.data = v.into();
        }
        if let Some(v) = var("ASSETGRAPH_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = var("ASSETGRAPH_MAX_BODY_BYTES") {
            self.max_body_bytes = v.parse().map_err(|_| {
                Error::invalid_field("ASSETGRAPH_MAX_BODY_BYTES", format!("'{v}' is not a number of bytes"))
            })?;
        }
        if let Some(v) = var("ASSETGRAPH_DEFAULT_TENANT") {
            self.default_tenant = v;
        }
        if let Some(v) = var("ASSETGRAPH_SPARQL_TIMEOUT_SECS") {
            self.sparql.timeout_secs = v.parse().map_err(|_| {
                Error::invalid_field(
                    "ASSETGRAPH_SPARQL_TIMEOUT_SECS",
                    format!("'{v}' is not a number of seconds"),
                )
            })?;
        }
        if let Some(v) = var("ASSETGRAPH_SPARQL_UNION_DEFAULT_GRAPH") {
            self.sparql.union_default_graph = v.parse().map_err(|_| {
                Error::invalid_field(
                    "ASSETGRAPH_SPARQL_UNION_DEFAULT_GRAPH",
                    format!("'{v}' is not true or false"),
                )
            })?;
        }
        if let Some(v) = var("ASSETGRAPH_OUTBOUND_HOSTS") {
            let hosts = v.split(',').map(str::trim).filter(|h| !h.is_empty());
            self.outbound.allowed_hosts.extend(hosts.map(str::to_owned));
        }
        if let Some(v) = var("ASSETGRAPH_API_KEYS") {
            for entry in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                self.keys.push(parse_key_entry(entry)?);
            }
        }
        Ok(())
    }
}

impl Config {
    /// The service's own URL, without a trailing slash: `public_url`, or
    /// `http://{listen}`.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }
}

/// An absolute http or https URL with no query or fragment, whose IRIs
/// (`{public_url}/store/…`) are valid.
fn check_public_url(url: &str) -> Result<()> {
    let refuse = |why: &str| {
        Error::invalid_field(
            "public_url",
            format!("'{url}' {why}; give the service's own URL, such as https://assets.example.com"),
        )
    };
    let parsed = oxiri::Iri::parse(url.to_owned()).map_err(|e| refuse(&format!("is not an IRI ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refuse("is not an http or https URL"));
    }
    if parsed.authority().is_none_or(str::is_empty) || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(refuse("needs a host and no query or fragment"));
    }
    Ok(())
}

/// `name:role:secret`, as in `ASSETGRAPH_API_KEYS`.
fn parse_key_entry(entry: &str) -> Result<KeyConfig> {
    let mut parts = entry.splitn(3, ':');
    let (Some(name), Some(role), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::invalid_field(
            "ASSETGRAPH_API_KEYS",
            "each key is name:role:secret, for example poolparty:editor:s3cret",
        ));
    };
    let role = role.parse()?;
    Ok(KeyConfig {
        name: name.into(),
        role,
        secret: Some(secret.into()),
        secret_sha256: None,
        tenants: Vec::new(),
        records_usage: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn no_debug_print_of_the_config_shows_a_secret() {
        let text = r#"
            [[keys]]
            name = "dam"
            role = "reader"
            secret = "key-secret-1"
            [[webhooks.subscriptions]]
            name = "crm"
            url = "https://crm.example.com/hook"
            secret = "hook-secret-2"
            [connectors.smintio]
            api_base = "https://acme.clapi.smint.io/consumer/v1"
            token_url = "https://acme.smint.io/connect/token"
            client_id = "assetgraph"
            client_secret = "client-secret-3"
            refresh_token = "refresh-token-4"
            [connectors.photoshelter]
            email = "ops@example.com"
            api_key = "api-key-5"
            password = "password-6"
            galleries = ["G1"]
        "#;
        let config: Config = toml::from_str(text).unwrap();
        let printed = format!("{config:?} {config:#?}");
        for secret in [
            "key-secret-1",
            "hook-secret-2",
            "client-secret-3",
            "refresh-token-4",
            "api-key-5",
            "password-6",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(
            printed.contains("ops@example.com"),
            "what is not secret still shows: {printed}"
        );
    }

    #[test]
    fn environment_overrides_the_file_and_adds_keys() {
        let mut config: Config =
            toml::from_str("listen = \"127.0.0.1:9000\"\n[[keys]]\nname = \"a\"\nrole = \"reader\"\nsecret = \"x\"\n")
                .unwrap();
        config
            .apply_env(|name| match name {
                "ASSETGRAPH_LISTEN" => Some("127.0.0.1:9001".into()),
                "ASSETGRAPH_API_KEYS" => Some("pp:editor:s3:cret".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.listen, "127.0.0.1:9001");
        assert_eq!(config.keys.len(), 2);
        assert_eq!(config.keys[1].role, Role::Editor);
        assert_eq!(config.keys[1].secret.as_ref().map(|s| s.expose()), Some("s3:cret"));
        assert!(!format!("{:?}", config.keys[1]).contains("s3:cret"));
    }

    #[test]
    fn public_url_is_checked_and_defaults_to_the_listen_address() {
        let config = Config::default();
        assert_eq!(config.public_url(), "http://127.0.0.1:7878");
        assert!(check_public_url("https://assets.example.com/").is_ok());
        for bad in [
            "assets.example.com",
            "ftp://x/",
            "https://x/?a=1",
            "https:///x",
            "http://a b/",
        ] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_moved_rightsline_table_is_refused_with_where_it_went() {
        let error = refuse_moved_tables("[rightsline]\nterritory = [\"gebiet\"]\n").unwrap_err();
        assert!(error.to_string().contains("[connectors.rightsline.mapping]"), "{error}");
        assert!(refuse_moved_tables("[connectors.rightsline.mapping]\nterritory = [\"gebiet\"]\n").is_ok());
    }

    #[test]
    fn cors_origins_are_exact_origins_and_never_a_wildcard() {
        for good in [
            "https://dam.example.com",
            "http://localhost:3000",
            "http://127.0.0.1:8080",
        ] {
            assert!(check_cors_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "*",
            "https://*.example.com",
            "https://dam.example.com/",
            "https://dam.example.com/picker",
            "dam.example.com",
            "ftp://dam.example.com",
            "https://DAM.example.com",
        ] {
            let error = check_cors_origin(bad).unwrap_err().to_string();
            assert!(error.contains("cors_origins"), "{bad}: {error}");
        }
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }
}
