//! Connectors: pulling what changed from the source systems and writing it
//! through the same mappings and write path as the ingest API.
//!
//! # Shape of a sync
//! Every connector follows the rule the sources' own reference clients
//! follow: a doorbell (a webhook, a schedule, `assetgraph sync`) only
//! starts a pull; the pull reads from the stored cursor, commits each batch
//! through the write path, and **then** stores the cursor. A sync killed
//! between the two repeats one batch on the next run, which the upserts
//! absorb (an unchanged record writes nothing), so nothing is imported
//! twice and nothing is skipped.
//!
//! Cursors live in the store's bookkeeping graph
//! `urn:assetgraph:graph:connectors`; OAuth tokens (which rotate) in
//! `connectors/` under the data directory, readable by its owner only —
//! never in the RDF store, where SPARQL could read them.
//!
//! # Calls
//! [`Http`] sends every request: only to hosts in `[outbound]
//! allowed_hosts`, retrying 429 and 5xx answers and failed connections
//! with exponential backoff (honouring `Retry-After`), up to
//! `connectors.max_attempts`. Credentials come from the config file or the
//! environment and are never logged.

pub(crate) mod oauth;
pub mod pusher;

use crate::error::{Error, Result};
use crate::store::{Change, GraphWrite, Store};
use crate::vocab::{ag, graphs};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Term, Triple};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The registry of connectors: one line per source system that can be
/// pulled, naming its module (declared here). The module's name is the
/// connector's name (`[connectors.NAME]`, `assetgraph sync NAME`,
/// `POST /api/connectors/NAME/sync`); the module provides `Settings` (its
/// config table, with a `schedule_secs`) and `sync(&Context, &Settings)`.
/// The config table's fields, [`NAMES`], the dispatch of [`sync`] and the
/// schedules follow from this list.
macro_rules! connectors {
    ($($vis:vis $name:ident),* $(,)?) => {
        $($vis mod $name;)*

        /// `[connectors]` in the config file.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ConnectorsConfig {
            /// The delay after a first failed call; it doubles after each.
            #[serde(default = "defaults::retry_base_ms")]
            pub retry_base_ms: u64,
            /// Calls per request before a sync gives up (it resumes next time).
            #[serde(default = "defaults::max_attempts")]
            pub max_attempts: u32,
            #[serde(default = "defaults::timeout_secs")]
            pub timeout_secs: u64,
            $(pub $name: Option<$name::Settings>,)*
        }

        /// The connectors there are.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs the named connector's sync, or `None` for a name that is
        /// not a connector.
        async fn dispatch(context: &Context, name: &str) -> Option<Result<SyncReport>> {
            let settings = &context.settings.connectors;
            match name {
                $(stringify!($name) => Some(match &settings.$name {
                    Some(settings) => $name::sync(context, settings).await,
                    None => Err(not_configured(stringify!($name))),
                }),)*
                _ => None,
            }
        }

        /// The configured connectors with a schedule, and how often each runs.
        pub fn schedules(config: &ConnectorsConfig) -> Vec<(&'static str, Duration)> {
            let mut schedules = Vec::new();
            $(
                if let Some(secs) = config.$name.as_ref().and_then(|s| s.schedule_secs).filter(|&s| s > 0) {
                    schedules.push((stringify!($name), Duration::from_secs(secs)));
                }
            )*
            schedules
        }
    };
}

connectors! {
    pub(crate) poolparty,
    pub(crate) smintio,
    pub rightsline,
    pub(crate) dropbox,
    pub(crate) photoshelter,
    pub(crate) scaleflex,
}

fn not_configured(name: &str) -> Error {
    Error::invalid_field(
        "connector",
        format!("the {name} connector is not configured; add [connectors.{name}] to the config file"),
    )
}

mod defaults {
    pub(super) fn retry_base_ms() -> u64 {
        500
    }
    pub(super) fn max_attempts() -> u32 {
        5
    }
    pub(super) fn timeout_secs() -> u64 {
        60
    }
}

impl Default for ConnectorsConfig {
    fn default() -> Self {
        toml::from_str("").expect("an empty [connectors] table is valid")
    }
}

impl ConnectorsConfig {
    /// How Rightsline's characteristics map to the rights dimensions
    /// (`[connectors.rightsline.mapping]`, or the defaults), which the
    /// ingest API needs as much as the connector.
    pub(crate) fn rightsline_mapping(&self) -> &crate::ingest::RightslineMapping {
        static DEFAULT: std::sync::LazyLock<crate::ingest::RightslineMapping> =
            std::sync::LazyLock::new(Default::default);
        self.rightsline.as_ref().map_or(&DEFAULT, |s| &s.mapping)
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    pub connector: String,
    /// Pages or exports read.
    pub batches: usize,
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub rejected: usize,
    /// The cursor stored at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// The store generation at the end.
    pub generation: u64,
}

impl SyncReport {
    fn new(connector: &str) -> Self {
        SyncReport {
            connector: connector.to_owned(),
            ..Default::default()
        }
    }

    fn add(&mut self, batch: &crate::assets::IngestReport) {
        self.batches += 1;
        self.records += batch.records;
        self.created += batch.created;
        self.updated += batch.updated;
        self.unchanged += batch.unchanged;
        self.deleted += batch.deleted;
        self.rejected += batch.rejected;
        self.generation = batch.generation;
    }
}

/// What the connectors read of the service's configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `[connectors]`.
    pub connectors: ConnectorsConfig,
    /// The tenant of what the connectors write.
    pub default_tenant: String,
    /// `[outbound] allowed_hosts`.
    pub allowed_hosts: Vec<String>,
}

/// What every connector runs with.
#[derive(Clone)]
pub struct Context {
    pub store: Arc<Store>,
    pub http: Http,
    pub settings: Arc<Settings>,
    /// One sync at a time: a webhook arriving during a scheduled sync
    /// waits, then finds the cursor where the other left it.
    running: Arc<tokio::sync::Mutex<()>>,
    /// When each connector last synced without error (Unix seconds), since
    /// this process started: for `/metrics`.
    succeeded: Arc<std::sync::Mutex<std::collections::BTreeMap<String, i64>>>,
}

impl Context {
    pub fn new(store: Arc<Store>, settings: Settings) -> Result<Self> {
        let connectors = &settings.connectors;
        let http = Http {
            client: crate::outbound::client(
                Duration::from_secs(connectors.timeout_secs.max(1)),
                &settings.allowed_hosts,
            )?,
            allowed_hosts: Arc::new(settings.allowed_hosts.clone()),
            retry_base: Duration::from_millis(connectors.retry_base_ms),
            max_attempts: connectors.max_attempts.max(1),
        };
        Ok(Context {
            store,
            http,
            settings: Arc::new(settings),
            running: Arc::default(),
            succeeded: Arc::default(),
        })
    }

    /// Where a connector keeps files (tokens) of its own.
    pub(crate) fn private_dir(&self) -> PathBuf {
        self.store.path().join("connectors")
    }

    /// The file a connector keeps its OAuth tokens in, by name.
    pub(crate) fn token_file(&self, name: &str) -> oauth::TokenFile {
        oauth::TokenFile {
            path: self.private_dir().join(name),
            store: self.store.clone(),
            tenant: self.settings.default_tenant.clone(),
        }
    }

    /// Each connector's last sync without error, as Unix seconds.
    pub fn last_successes(&self) -> Vec<(String, i64)> {
        let times = self.succeeded.lock().expect("connector times");
        times.iter().map(|(name, at)| (name.clone(), *at)).collect()
    }

    /// Runs blocking store work off the async workers.
    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&Store) -> Result<T> + Send + 'static) -> Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|e| Error::Storage(format!("a worker failed: {e}")))?
    }
}

/// Runs the named connector once.
pub async fn sync(context: &Context, name: &str) -> Result<SyncReport> {
    let _one_at_a_time = context.running.lock().await;
    let report = dispatch(context, name).await.unwrap_or_else(|| {
        Err(Error::invalid_field(
            "connector",
            format!("'{name}' is not a connector; use one of {}", NAMES.join(", ")),
        ))
    })?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    context
        .succeeded
        .lock()
        .expect("connector times")
        .insert(name.to_owned(), now);
    Ok(report)
}

/// Runs each connector that has a schedule, every so often, and listens
/// for the doorbells that are configured (Smint.io's), until the returned
/// tasks are aborted.
pub fn spawn_schedules(context: &Context) -> Vec<tokio::task::JoinHandle<()>> {
    let doorbells = context.settings.connectors.smintio.clone().and_then(|settings| {
        let channel_id = settings.channel_id?;
        Some(tokio::spawn(smintio::listen_for_doorbell(
            context.clone(),
            settings,
            channel_id,
        )))
    });
    schedules(&context.settings.connectors)
        .into_iter()
        .map(|(name, every)| {
            let context = context.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    sync_in_background(&context, name, "schedule").await;
                }
            })
        })
        .chain(doorbells)
        .collect()
}

/// Runs one sync that nobody waits for (a schedule's tick, a doorbell's
/// ring) and logs how it went.
async fn sync_in_background(context: &Context, name: &'static str, started_by: &'static str) {
    match sync(context, name).await {
        Ok(report) => tracing::info!(
            connector = name,
            started_by,
            records = report.records,
            created = report.created,
            updated = report.updated,
            deleted = report.deleted,
            "sync done"
        ),
        Err(error) => {
            tracing::error!(connector = name, started_by, %error, "sync failed; the next one resumes from the last cursor")
        }
    }
}

/// Outbound calls with the allowlist and retries.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    allowed_hosts: Arc<Vec<String>>,
    retry_base: Duration,
    max_attempts: u32,
}

impl Http {
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes, retrying 429, 5xx and failed
    /// connections. Other answers (2xx, 4xx) are returned as they are.
    pub async fn send(
        &self,
        system: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = build(&self.client)
                .build()
                .map_err(|e| Error::upstream(system, format!("cannot build the request: {e}")))?;
            crate::outbound::check(request.url().as_str(), &self.allowed_hosts)?;
            let path = request.url().path().to_owned();
            let outcome = self.client.execute(request).await;
            let retry_after = match &outcome {
                Ok(response) if is_transient(response.status()) => Some(retry_after(response)),
                Ok(_) => None,
                Err(_) => Some(None),
            };
            let Some(hint) = retry_after else {
                return outcome.map_err(|e| Error::upstream(system, e.without_url().to_string()));
            };
            let failure = match &outcome {
                Ok(response) => format!("{path} answered {}", response.status()),
                Err(e) => format!("{path}: {}", e.to_string().replace(&path, "")),
            };
            if attempt >= self.max_attempts {
                return Err(Error::upstream(
                    system,
                    format!("{failure}, {attempt} times; giving up until the next sync"),
                ));
            }
            let delay = hint.unwrap_or_else(|| self.backoff(attempt));
            tracing::warn!(system, %failure, attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::outbound::backoff(self.retry_base, attempt, Duration::from_secs(60))
    }
}

fn is_transient(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds, capped at a minute.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(60)))
}

/// The body of a 2xx answer, or an error naming what the system said.
async fn success_body(system: &str, response: reqwest::Response) -> Result<bytes::Bytes> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::upstream(system, format!("the answer could not be read: {}", e.without_url())))?;
    if status.is_success() {
        Ok(body)
    } else {
        let text = String::from_utf8_lossy(&body);
        let excerpt: String = text.chars().take(300).collect();
        Err(Error::upstream(system, format!("answered {status}: {excerpt}")))
    }
}

/// The stored cursor of a connector (`smintio`, `poolparty:cocktails`).
pub fn cursor(store: &Store, key: &str) -> Result<Option<String>> {
    let node = cursor_node(key);
    let graph = NamedNodeRef::new_unchecked(graphs::CONNECTORS);
    let found = store
        .db()
        .quads_for_pattern(Some(node.as_ref().into()), Some(ag::CURSOR), None, Some(graph.into()))
        .next()
        .transpose()?;
    Ok(found.and_then(|q| match q.object {
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }))
}

/// Stores a connector's cursor (after the batch it follows is committed),
/// or forgets it (`None`).
pub(crate) fn save_cursor(store: &Store, key: &str, value: Option<&str>) -> Result<()> {
    let node = cursor_node(key);
    store.write(|view| {
        let graph = NamedNodeRef::new_unchecked(graphs::CONNECTORS);
        let remove: Vec<Triple> = (view.store().db())
            .quads_for_pattern(Some(node.as_ref().into()), Some(ag::CURSOR), None, Some(graph.into()))
            .map(|q| Ok(Triple::from(q?)))
            .collect::<Result<_>>()?;
        let add = value
            .map(|v| vec![Triple::new(node.clone(), ag::CURSOR, Literal::new_simple_literal(v))])
            .unwrap_or_default();
        let change = Change {
            actor: format!("connector:{}", key.split(':').next().unwrap_or(key)),
            operation: "connector.cursor".into(),
            tenant: crate::store::DEFAULT_TENANT.into(),
            note: Some(format!("cursor of {key}")),
            writes: vec![GraphWrite::Patch {
                graph: GraphName::NamedNode(NamedNode::new_unchecked(graphs::CONNECTORS)),
                kind: "connectors",
                remove,
                add,
                drop: false,
            }],
        };
        Ok((change, ()))
    })?;
    Ok(())
}

fn cursor_node(key: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:connector:{}", crate::rdf::percent_encode(key)))
}

/// A high-water mark: the latest modification time a poll has seen, for
/// sources that have no cursor (PhotoShelter, Scaleflex, Rightsline's
/// search). Times are compared as text, which their ISO-like formats
/// allow. The mark is stored only after the pages it covers are committed.
struct HighWater {
    key: String,
    stored: Option<String>,
    latest: Option<String>,
}

impl HighWater {
    async fn read(context: &Context, key: &str) -> Result<Self> {
        let key = key.to_owned();
        let read = key.clone();
        let stored = context.blocking(move |store| cursor(store, &read)).await?;
        Ok(HighWater {
            key,
            latest: stored.clone(),
            stored,
        })
    }

    /// Whether a record modified `at` is newer than the stored mark (a
    /// record without a time, or a first poll, always is).
    fn is_new(&self, at: Option<&str>) -> bool {
        match (at, &self.stored) {
            (Some(at), Some(mark)) => at > mark.as_str(),
            _ => true,
        }
    }

    fn raise(&mut self, at: Option<&str>) {
        if let Some(at) = at {
            if self.latest.as_deref().is_none_or(|latest| at > latest) {
                self.latest = Some(at.to_owned());
            }
        }
    }

    /// Stores the mark if it moved; the mark.
    async fn store(self, context: &Context) -> Result<Option<String>> {
        if self.latest != self.stored {
            let (key, value) = (self.key, self.latest.clone());
            context
                .blocking(move |store| save_cursor(store, &key, value.as_deref()))
                .await?;
        }
        Ok(self.latest)
    }
}

/// Maps a page of a source's records and upserts it, skipping (and
/// reporting) invalid records: one bad record must not stop a sync.
async fn ingest_page(
    context: &Context,
    source: crate::ingest::Source,
    page: serde_json::Value,
) -> Result<crate::assets::IngestReport> {
    let settings = context.settings.clone();
    context
        .blocking(move |store| {
            let body = serde_json::to_vec(&page).expect("JSON serialises");
            let mapping = crate::ingest::Mapping {
                territories: crate::rights::Territories::global(),
                rightsline: settings.connectors.rightsline_mapping(),
                record_type: None,
            };
            let records = crate::ingest::map_batch(source, &body, &mapping)?;
            let how = crate::assets::Ingest {
                source,
                actor: &format!("connector:{}", source.name()),
                tenant: &settings.default_tenant,
                on_error: crate::assets::OnError::Skip,
            };
            crate::assets::upsert(store, records, &how)
        })
        .await
}

/// Reads a secret from the config: the value itself, or the environment
/// variable it names.
pub fn secret(
    connector: &str,
    field: &str,
    value: &Option<crate::auth::Secret>,
    env: &Option<String>,
) -> Result<String> {
    match (value, env) {
        (Some(v), None) => Ok(v.expose().to_owned()),
        (None, Some(name)) => std::env::var(name).map_err(|_| {
            Error::invalid_field(
                format!("{field}_env"),
                format!("[connectors.{connector}]: the environment variable {name} is not set"),
            )
        }),
        _ => Err(Error::invalid_field(
            field,
            format!("[connectors.{connector}]: give exactly one of {field} and {field}_env"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table for every connector the registry names, each with a schedule.
    fn every_connector_scheduled() -> ConnectorsConfig {
        let tables: String = NAMES
            .iter()
            .map(|name| {
                let required = match *name {
                    "poolparty" => "base_url = \"https://pp.example\"\nproject = \"p\"\nuser = \"u\"\n",
                    "smintio" => {
                        "api_base = \"https://a.example\"\ntoken_url = \"https://t.example\"\nclient_id = \"c\"\n"
                    }
                    "dropbox" => "app_key = \"k\"\n",
                    "photoshelter" => "email = \"e\"\ngalleries = []\n",
                    "scaleflex" => "container = \"c\"\n",
                    _ => "",
                };
                format!("[{name}]\n{required}schedule_secs = 60\n")
            })
            .collect();
        toml::from_str(&tables).unwrap_or_else(|e| panic!("{e}\n{tables}"))
    }

    #[test]
    fn every_registered_connector_has_a_table_and_a_schedule() {
        let config = every_connector_scheduled();
        let scheduled: Vec<&str> = schedules(&config).into_iter().map(|(name, _)| name).collect();
        assert_eq!(scheduled, NAMES);
    }

    #[test]
    fn the_rightsline_mapping_lives_in_the_connector_table_and_needs_no_base_url() {
        let config: ConnectorsConfig = toml::from_str("[rightsline.mapping]\nterritory = [\"gebiet\"]\n").unwrap();
        assert_eq!(config.rightsline_mapping().territory, ["gebiet"]);
        assert_eq!(
            ConnectorsConfig::default().rightsline_mapping(),
            &crate::ingest::RightslineMapping::default()
        );
    }
}
