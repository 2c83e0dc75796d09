//! PoolParty: poll the project's history, and when it has events since the
//! last sync, pull the project export (TriG) and push it as a new version
//! of the project through the taxonomy write path — the same operation as
//! `PUT /api/taxonomies/{id}`, with its diff and version id.
//!
//! Calls (PoolParty's Thesaurus API, HTTP Basic):
//! `GET /PoolParty/api/history/{project}?fromTime=yyyy-MM-ddTHH:mm:ss`, then
//! `POST /PoolParty/api/projects/{project}/export` with
//! `{"format": "trig", "modules": ["concepts"], "prettyPrint": false}`.
//! The history's key names are not public, so any non-empty list in the
//! answer counts as "changed". The first sync exports at once. The cursor
//! is the time the sync started, stored after the push committed, so a
//! change made during an export is seen by the next sync.

use super::{cursor, save_cursor, secret, success_body, Context, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use crate::taxonomy::{self, Push, PushMode};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The server, e.g. `https://poolparty.example.com`.
    pub base_url: String,
    /// The project's id in PoolParty (UUID or URI supplement).
    pub project: String,
    /// The project's id here (default: the same).
    pub local_project: Option<String>,
    pub user: String,
    pub password: Option<Secret>,
    pub password_env: Option<String>,
    /// Seconds between syncs in `serve` (none: only on demand).
    pub schedule_secs: Option<u64>,
}

const SYSTEM: &str = "PoolParty";

pub(crate) async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let password = secret("poolparty", "password", &settings.password, &settings.password_env)?;
    let key = format!("poolparty:{}", settings.project);
    let mut report = SyncReport::new("poolparty");
    let started = time::OffsetDateTime::now_utc().unix_timestamp();
    let base = format!("{}/PoolParty/api", settings.base_url.trim_end_matches('/'));
    let key_for_read = key.clone();
    let since = context.blocking(move |store| cursor(store, &key_for_read)).await?;
    if let Some(since) = &since {
        let url = format!("{base}/history/{}", settings.project);
        let response = context
            .http
            .send(SYSTEM, |client| {
                client
                    .get(&url)
                    .basic_auth(&settings.user, Some(&password))
                    .query(&[("fromTime", since.as_str())])
            })
            .await?;
        let events = history_events(&success_body(SYSTEM, response).await?)?;
        if events == 0 {
            report.cursor = Some(history_time(started));
            let value = report.cursor.clone();
            context
                .blocking(move |store| save_cursor(store, &key, value.as_deref()))
                .await?;
            report.generation = context.store.generation();
            return Ok(report);
        }
        tracing::info!(project = %settings.project, events, "PoolParty history has changes; pulling the export");
    }
    let url = format!("{base}/projects/{}/export", settings.project);
    let request = serde_json::json!({"format": "trig", "modules": ["concepts"], "prettyPrint": false});
    let response = context
        .http
        .send(SYSTEM, |client| {
            client
                .post(&url)
                .basic_auth(&settings.user, Some(&password))
                .json(&request)
        })
        .await?;
    let export = success_body(SYSTEM, response).await?;
    let project = settings
        .local_project
        .clone()
        .unwrap_or_else(|| settings.project.clone());
    let tenant = context.settings.default_tenant.clone();
    let pushed = context
        .blocking(move |store| {
            let quads = crate::rdf::parse("PoolParty export", oxigraph::io::RdfFormat::TriG, &export, &|_| {})?;
            taxonomy::push(
                store,
                Push {
                    project,
                    mode: PushMode::Replace,
                    quads,
                    default_graph: None,
                    actor: "connector:poolparty".into(),
                    tenant,
                },
            )
        })
        .await?;
    report.batches = 1;
    report.records = 1;
    match (pushed.changed, &pushed.previous_version) {
        (false, _) => report.unchanged = 1,
        (true, None) => report.created = 1,
        (true, Some(_)) => report.updated = 1,
    }
    report.generation = pushed.generation;
    report.cursor = Some(history_time(started));
    let value = report.cursor.clone();
    context
        .blocking(move |store| save_cursor(store, &key, value.as_deref()))
        .await?;
    Ok(report)
}

/// How many history events an answer lists: a bare array, or the first
/// array found in an object.
fn history_events(body: &[u8]) -> Result<usize> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::upstream(SYSTEM, format!("the history answer is not JSON: {e}")))?;
    match value {
        Value::Array(events) => Ok(events.len()),
        Value::Object(map) => Ok(map.values().find_map(Value::as_array).map_or(0, Vec::len)),
        _ => Err(Error::upstream(
            SYSTEM,
            "the history answer is neither a list nor an object",
        )),
    }
}

/// PoolParty's `fromTime` format, `yyyy-MM-ddTHH:mm:ss`, in UTC.
fn history_time(unix: i64) -> String {
    let text = crate::rdf::time::rfc3339(unix);
    text.trim_end_matches('Z').chars().take(19).collect()
}
