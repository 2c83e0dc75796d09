//! Scaleflex DAM (Filerobot): files polled by modification time, and
//! expired ones marked in Scaleflex.
//!
//! `GET {base_url}/{container}/v4/files?folder=…&recursive=1&sort_by=modified_at&sort_direction=desc`
//! with `X-Filerobot-Key`, page by page until a file is not newer than the
//! stored high-water mark; the newer files go through the Scaleflex
//! mapping, then the mark is stored. Webhooks carry no documented
//! signature, so none is trusted; a schedule polls.
//!
//! **Licence ends.** After each sync, every Scaleflex asset that has a
//! grant (from any record: a Rightsline right that covers it, say) but is
//! no longer cleared for any use is marked in Scaleflex:
//! `PUT {container}/v4/file/{uuid}/meta` with
//! `{"meta": {"<expired_meta_key>": "expired", "<expired_meta_key>_at": …}}`,
//! once per asset (the connector remembers which it marked).

use super::{cursor, ingest_page, save_cursor, secret, success_body, Context, HighWater, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use crate::rights::{Context as Moment, RightsOf, Territories};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "base_url")]
    pub base_url: String,
    pub container: String,
    pub api_key: Option<Secret>,
    pub api_key_env: Option<String>,
    #[serde(default = "root")]
    pub folder: String,
    #[serde(default = "page_size")]
    pub page_size: usize,
    /// The metadata field that says a file's licence has ended.
    #[serde(default = "expired_meta_key")]
    pub expired_meta_key: String,
    pub schedule_secs: Option<u64>,
}

fn base_url() -> String {
    "https://api.filerobot.com".into()
}
fn root() -> String {
    "/".into()
}
fn page_size() -> usize {
    100
}
fn expired_meta_key() -> String {
    "rights_status".into()
}

const SYSTEM: &str = "Scaleflex";
const CURSOR: &str = "scaleflex";

pub(crate) async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let key = secret("scaleflex", "api_key", &settings.api_key, &settings.api_key_env)?;
    let api = format!("{}/{}/v4", settings.base_url.trim_end_matches('/'), settings.container);
    let mut mark = HighWater::read(context, CURSOR).await?;
    let mut report = SyncReport::new("scaleflex");
    let limit = settings.page_size.max(1);
    let url = format!("{api}/files");
    for offset in (0..).step_by(limit) {
        let query = [
            ("folder", settings.folder.clone()),
            ("recursive", "1".into()),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
            ("sort_by", "modified_at".into()),
            ("sort_direction", "desc".into()),
        ];
        let response = context
            .http
            .send(SYSTEM, |client| {
                client.get(&url).query(&query).header("X-Filerobot-Key", &key)
            })
            .await?;
        let body: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
            .map_err(|e| Error::upstream(SYSTEM, format!("a file listing is not JSON: {e}")))?;
        let files = body["files"].as_array().cloned().unwrap_or_default();
        let newer: Vec<Value> = files.iter().filter(|f| mark.is_new(modified_at(f))).cloned().collect();
        for file in &newer {
            mark.raise(modified_at(file));
        }
        let reached_mark = newer.len() < files.len();
        if !newer.is_empty() {
            let batch = ingest_page(context, crate::ingest::Source::Scaleflex, json!({ "files": newer })).await?;
            report.add(&batch);
        }
        if reached_mark || files.len() < limit {
            break;
        }
    }
    report.cursor = mark.store(context).await?;
    mark_expired(context, settings, &api, &key).await?;
    report.generation = context.store.generation();
    Ok(report)
}

fn modified_at(file: &Value) -> Option<&str> {
    file["modified_at"].as_str()
}

/// Marks in Scaleflex the files whose licence has ended, once each.
async fn mark_expired(context: &Context, settings: &Settings, api: &str, key: &str) -> Result<()> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expired = context
        .blocking(move |store| {
            let mut expired = Vec::new();
            for graph in crate::records::graphs(store)? {
                let id = crate::rdf::asset_id(graph.as_str());
                let Some(uuid) = id.strip_prefix("scaleflex:") else {
                    continue;
                };
                let Some(rights) = crate::records::FromStore(store).rights_of(&graph)? else {
                    continue;
                };
                let blocked = !rights.grants.is_empty() && !rights.is_cleared(&Moment::at(now), Territories::global());
                if blocked && cursor(store, &marker(uuid))?.is_none() {
                    expired.push(uuid.to_owned());
                }
            }
            Ok(expired)
        })
        .await?;
    for uuid in expired {
        let url = format!("{api}/file/{uuid}/meta");
        let field = &settings.expired_meta_key;
        let body = json!({"meta": {field.as_str(): "expired", format!("{field}_at"): crate::rdf::time::rfc3339(now)}});
        let response = context
            .http
            .send(SYSTEM, |client| {
                client.put(&url).header("X-Filerobot-Key", key).json(&body)
            })
            .await?;
        success_body(SYSTEM, response).await?;
        tracing::info!(file = %uuid, "licence ended: marked expired in Scaleflex");
        let at = crate::rdf::time::rfc3339(now);
        context
            .blocking(move |store| save_cursor(store, &marker(&uuid), Some(&at)))
            .await?;
    }
    Ok(())
}

fn marker(uuid: &str) -> String {
    format!("scaleflex:expired:{uuid}")
}
