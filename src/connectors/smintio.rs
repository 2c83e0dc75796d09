//! Smint.io: licence purchase transactions pulled by continuation cursor.
//!
//! `GET {api_base}/sync/license-purchase-transactions?continuation_uuid=…&limit=…`
//! with a Bearer token answers `{count, continuation_uuid,
//! license_purchase_transactions}`; the connector maps and commits each
//! page, **then** stores `continuation_uuid`, and stops at `count == 0`
//! (Smint.io's own sync loop). Tokens come from the OAuth refresh flow
//! (`/connect/token`); a 401 refreshes once. Transactions with
//! `can_be_synced: false` are skipped by the mapping, the cursor still
//! advances. A Pusher doorbell, where one is wired, only starts this pull.

use super::oauth::OAuth;
use super::{cursor, ingest_page, save_cursor, secret, success_body, Context, SyncReport};
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// e.g. `https://acme.clapi.smint.io/consumer/v1`
    pub api_base: String,
    /// e.g. `https://acme.smint.io/connect/token`
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_secret_env: Option<String>,
    /// The refresh token of the authorisation (used until it rotates).
    pub refresh_token: Option<String>,
    pub refresh_token_env: Option<String>,
    /// Transactions per page (Smint.io's client asks for 10).
    #[serde(default = "page_size")]
    pub page_size: u32,
    pub schedule_secs: Option<u64>,
}

fn page_size() -> u32 {
    10
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmintIo")
            .field("api_base", &self.api_base)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

const SYSTEM: &str = "Smint.io";
const CURSOR: &str = "smintio";

pub async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let oauth = OAuth::load(
        SYSTEM,
        settings.token_url.clone(),
        settings.client_id.clone(),
        secret(
            "smintio",
            "client_secret",
            &settings.client_secret,
            &settings.client_secret_env,
        )?,
        secret(
            "smintio",
            "refresh_token",
            &settings.refresh_token,
            &settings.refresh_token_env,
        )?,
        context.private_dir().join("smintio-token.json"),
    )?;
    let url = format!(
        "{}/sync/license-purchase-transactions",
        settings.api_base.trim_end_matches('/')
    );
    let mut report = SyncReport::new("smintio");
    let mut position = context.blocking(|store| cursor(store, CURSOR)).await?;
    loop {
        let response = oauth
            .send(&context.http, |client, token| {
                let request = client
                    .get(&url)
                    .bearer_auth(token)
                    .query(&[("limit", settings.page_size)]);
                match &position {
                    Some(at) => request.query(&[("continuation_uuid", at.as_str())]),
                    None => request,
                }
            })
            .await?;
        let page: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
            .map_err(|e| Error::upstream(SYSTEM, format!("a sync page is not JSON: {e}")))?;
        let count = page["count"]
            .as_u64()
            .ok_or_else(|| Error::upstream(SYSTEM, "a sync page without a count"))?;
        if count == 0 {
            break;
        }
        let next = page["continuation_uuid"].as_str().map(str::to_owned);
        let batch = ingest_page(context, crate::ingest::Source::SmintIo, page).await?;
        report.add(&batch);
        let Some(next) = next.filter(|next| Some(next) != position.as_ref()) else {
            break;
        };
        let value = next.clone();
        context
            .blocking(move |store| save_cursor(store, CURSOR, Some(&value)))
            .await?;
        position = Some(next);
    }
    report.cursor = position;
    report.generation = context.store.generation();
    Ok(report)
}
