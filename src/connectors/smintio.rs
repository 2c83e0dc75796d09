//! Smint.io: licence purchase transactions pulled by continuation cursor.
//!
//! `GET {api_base}/sync/license-purchase-transactions?continuation_uuid=…&limit=…`
//! with a Bearer token answers `{count, continuation_uuid,
//! license_purchase_transactions}`; the connector maps and commits each
//! page, **then** stores `continuation_uuid`, and stops at `count == 0`
//! (Smint.io's own sync loop). Tokens come from the OAuth refresh flow
//! (`/connect/token`); a 401 refreshes once. Transactions with
//! `can_be_synced: false` are skipped by the mapping, the cursor still
//! advances.
//!
//! # The doorbell
//! With a `channel_id`, `serve` also listens on Smint.io's Pusher channel
//! `private-2-{channel_id}` for `global-transaction-history-update` (see
//! [`super::pusher`]). Smint.io signs the subscription at
//! `{api_base}/notifications/pusher/auth` (form fields `socket_id` and
//! `channel_name`, Pusher's convention for private channels). A ring only
//! starts this pull: rings during a sync make one more sync after it, and
//! the schedule stays the safety net for rings that never came. A dropped
//! connection is opened again after `doorbell_retry_secs`.

use super::oauth::OAuth;
use super::{cursor, ingest_page, save_cursor, secret, success_body, Context, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// e.g. `https://acme.clapi.smint.io/consumer/v1`
    pub api_base: String,
    /// e.g. `https://acme.smint.io/connect/token`
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_env: Option<String>,
    /// The refresh token of the authorisation (used until it rotates).
    pub refresh_token: Option<Secret>,
    pub refresh_token_env: Option<String>,
    /// Transactions per page (Smint.io's client asks for 10).
    #[serde(default = "page_size")]
    pub page_size: u32,
    pub schedule_secs: Option<u64>,
    /// The Smint.io channel id for change notifications: with it, `serve`
    /// syncs as soon as Smint.io rings.
    pub channel_id: Option<u64>,
    /// Smint.io's Pusher app (key `32f31c26a83e09dc401b`, cluster `eu`).
    #[serde(default = "pusher_url")]
    pub pusher_url: String,
    #[serde(default = "doorbell_retry_secs")]
    pub doorbell_retry_secs: u64,
}

fn page_size() -> u32 {
    10
}

fn pusher_url() -> String {
    "wss://ws-eu.pusher.com/app/32f31c26a83e09dc401b".into()
}

fn doorbell_retry_secs() -> u64 {
    30
}

const SYSTEM: &str = "Smint.io";
const CURSOR: &str = "smintio";

/// The OAuth client, with the tokens kept from the last call.
fn oauth(context: &Context, settings: &Settings) -> Result<OAuth> {
    OAuth::load(
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
        context.token_file("smintio-token.json"),
    )
}

pub(crate) async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let oauth = oauth(context, settings)?;
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

/// Listens for Smint.io's doorbell until the task is aborted, and syncs
/// each time it rings (see the module doc).
pub(crate) async fn listen_for_doorbell(context: Context, settings: Settings, channel_id: u64) {
    let rung = std::sync::Arc::new(tokio::sync::Notify::new());
    // Ends with this task: `serve` aborts it when it stops.
    let _syncing = AbortOnDrop({
        let (context, rung) = (context.clone(), rung.clone());
        tokio::spawn(async move {
            loop {
                rung.notified().await;
                super::sync_in_background(&context, "smintio", "doorbell").await;
            }
        })
    });
    let channel = format!("private-2-{channel_id}");
    let doorbell = super::pusher::Doorbell {
        url: &settings.pusher_url,
        channel: &channel,
        event: "global-transaction-history-update",
        allowed_hosts: &context.settings.allowed_hosts,
    };
    loop {
        let sign = |socket_id: String| sign_subscription(&context, &settings, socket_id, &channel);
        let outcome = super::pusher::listen(&doorbell, sign, || rung.notify_one()).await;
        if let Err(error) = outcome {
            tracing::warn!(connector = "smintio", %error, "the doorbell connection failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(settings.doorbell_retry_secs)).await;
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Smint.io's signature for subscribing `socket_id` to `channel`. It
/// takes the sync's turn: both may refresh the OAuth tokens, which rotate.
async fn sign_subscription(context: &Context, settings: &Settings, socket_id: String, channel: &str) -> Result<String> {
    let _one_at_a_time = context.running.lock().await;
    let url = format!("{}/notifications/pusher/auth", settings.api_base.trim_end_matches('/'));
    let response = oauth(context, settings)?
        .send(&context.http, |client, token| {
            client
                .post(&url)
                .bearer_auth(token)
                .form(&[("socket_id", socket_id.as_str()), ("channel_name", channel)])
        })
        .await?;
    let answer: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
        .map_err(|e| Error::upstream(SYSTEM, format!("the Pusher signature is not JSON: {e}")))?;
    answer["auth"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::upstream(SYSTEM, "the Pusher signature answer has no 'auth'"))
}
