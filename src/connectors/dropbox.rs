//! Dropbox: `files/list_folder` once, then `files/list_folder/continue`
//! from the stored cursor, page after page while `has_more`; each page
//! through the Dropbox mapping (files → assets, folders → collections,
//! deleted paths dropped), then its cursor stored. A `reset` answer (the
//! cursor is no longer valid) starts over with `list_folder`.
//!
//! Webhooks: Dropbox verifies the endpoint with `GET ?challenge=…` (echoed)
//! and then POSTs `{"list_folder": {"accounts": […]}}` signed with
//! `X-Dropbox-Signature`, the hex HMAC-SHA256 of the raw body keyed with
//! the app secret. A notification only means "call continue": the
//! endpoint checks the signature (401 and nothing done when it is wrong)
//! and starts a sync.

use super::oauth::OAuth;
use super::{cursor, ingest_page, save_cursor, secret, success_body, Context, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "api_base")]
    pub api_base: String,
    #[serde(default = "token_url")]
    pub token_url: String,
    pub app_key: String,
    /// Also the key of webhook signatures.
    pub app_secret: Option<Secret>,
    pub app_secret_env: Option<String>,
    pub refresh_token: Option<Secret>,
    pub refresh_token_env: Option<String>,
    /// The folder to follow (`""`: the whole Dropbox), recursively.
    #[serde(default)]
    pub path: String,
    pub schedule_secs: Option<u64>,
}

fn api_base() -> String {
    "https://api.dropboxapi.com/2".into()
}

fn token_url() -> String {
    "https://api.dropboxapi.com/oauth2/token".into()
}

impl Settings {
    pub fn app_secret(&self) -> Result<String> {
        secret("dropbox", "app_secret", &self.app_secret, &self.app_secret_env)
    }
}

const SYSTEM: &str = "Dropbox";
const CURSOR: &str = "dropbox";

pub(crate) async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let oauth = OAuth::load(
        SYSTEM,
        settings.token_url.clone(),
        settings.app_key.clone(),
        settings.app_secret()?,
        secret(
            "dropbox",
            "refresh_token",
            &settings.refresh_token,
            &settings.refresh_token_env,
        )?,
        context.token_file("dropbox-token.json"),
    )?;
    let api = settings.api_base.trim_end_matches('/');
    let mut report = SyncReport::new("dropbox");
    let mut position = context.blocking(|store| cursor(store, CURSOR)).await?;
    loop {
        let (route, body) = match &position {
            Some(at) => ("files/list_folder/continue", json!({ "cursor": at })),
            None => (
                "files/list_folder",
                json!({ "path": settings.path, "recursive": true, "include_deleted": false }),
            ),
        };
        let url = format!("{api}/{route}");
        let response = oauth
            .send(&context.http, |client, token| {
                client.post(&url).bearer_auth(token).json(&body)
            })
            .await?;
        if response.status() == reqwest::StatusCode::CONFLICT && position.is_some() {
            let answer = response.bytes().await.unwrap_or_default();
            if is_reset(&answer) {
                tracing::warn!("the Dropbox cursor was reset; listing the folder again");
                context.blocking(|store| save_cursor(store, CURSOR, None)).await?;
                position = None;
                continue;
            }
            return Err(Error::upstream(
                SYSTEM,
                format!("{route} answered 409: {}", String::from_utf8_lossy(&answer)),
            ));
        }
        let page: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
            .map_err(|e| Error::upstream(SYSTEM, format!("a list_folder answer is not JSON: {e}")))?;
        let next = page["cursor"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::upstream(SYSTEM, "a list_folder answer without a cursor"))?;
        let has_more = page["has_more"].as_bool().unwrap_or(false);
        if page["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            let batch = ingest_page(context, crate::ingest::Source::Dropbox, page).await?;
            report.add(&batch);
        }
        let value = next.clone();
        context
            .blocking(move |store| save_cursor(store, CURSOR, Some(&value)))
            .await?;
        position = Some(next);
        if !has_more {
            break;
        }
    }
    report.cursor = position;
    report.generation = context.store.generation();
    Ok(report)
}

/// `{"error_summary": "reset/…", "error": {".tag": "reset"}}`
fn is_reset(answer: &[u8]) -> bool {
    serde_json::from_slice::<Value>(answer).is_ok_and(|v| {
        v["error"][".tag"] == "reset" || v["error_summary"].as_str().is_some_and(|s| s.starts_with("reset"))
    })
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` with the app
/// secret, compared in constant time.
pub(crate) fn signature_is_valid(app_secret: &str, body: &[u8], signature: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}
