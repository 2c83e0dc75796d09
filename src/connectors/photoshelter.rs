//! PhotoShelter (v3): no webhooks, so the connector polls by update time.
//!
//! It signs in (`POST /mem/authenticate`, `mode=token`, with the
//! `X-PS-Api-Key`), then reads each configured gallery's images
//! (`GET /mem/gallery/{id}/images`, 750 a page, with `Image` and `Iptc`
//! embedded by `extend=`) and ingests those updated after the stored
//! high-water mark, through the PhotoShelter mapping. The mark (the latest
//! `updated_at` seen) is stored after the images are committed. A 401
//! signs in again once.

use super::{ingest_page, secret, success_body, Context, HighWater, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "base_url")]
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub api_key_env: Option<String>,
    pub email: String,
    pub password: Option<Secret>,
    pub password_env: Option<String>,
    /// The galleries to follow, by id.
    pub galleries: Vec<String>,
    pub schedule_secs: Option<u64>,
}

fn base_url() -> String {
    "https://www.photoshelter.com/psapi/v3".into()
}

const SYSTEM: &str = "PhotoShelter";
const CURSOR: &str = "photoshelter";
const PER_PAGE: usize = 750;

pub(crate) async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let key = secret("photoshelter", "api_key", &settings.api_key, &settings.api_key_env)?;
    let password = secret("photoshelter", "password", &settings.password, &settings.password_env)?;
    let base = settings.base_url.trim_end_matches('/');
    let mut token = sign_in(context, base, &key, &settings.email, &password).await?;
    let mut mark = HighWater::read(context, CURSOR).await?;
    let mut report = SyncReport::new("photoshelter");
    let extend = json!({
        "Image": {"fields": "image_id,file_name,updated_at"},
        "Iptc": {"fields": "keyword,credit,caption,copyright"}
    })
    .to_string();
    for gallery in &settings.galleries {
        let url = format!("{base}/mem/gallery/{gallery}/images");
        for page in 1.. {
            let query = [
                ("fields", "image_id,f_visible".to_owned()),
                ("per_page", PER_PAGE.to_string()),
                ("page", page.to_string()),
                ("extend", extend.clone()),
            ];
            let call = |token: &str| {
                let (url, query, key) = (url.clone(), query.clone(), key.clone());
                let token = token.to_owned();
                move |client: &reqwest::Client| {
                    client
                        .get(&url)
                        .query(&query)
                        .header("X-PS-Api-Key", &key)
                        .header("X-PS-Auth-Token", &token)
                }
            };
            let mut response = context.http.send(SYSTEM, call(&token)).await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED {
                token = sign_in(context, base, &key, &settings.email, &password).await?;
                response = context.http.send(SYSTEM, call(&token)).await?;
            }
            let body: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
                .map_err(|e| Error::upstream(SYSTEM, format!("a gallery page is not JSON: {e}")))?;
            let images = body["data"]["GalleryImage"].as_array().cloned().unwrap_or_default();
            let fresh: Vec<Value> = images
                .iter()
                .filter(|image| mark.is_new(updated_at(image)))
                .cloned()
                .collect();
            for image in &fresh {
                mark.raise(updated_at(image));
            }
            if !fresh.is_empty() {
                let batch = ingest_page(
                    context,
                    crate::ingest::Source::PhotoShelter,
                    json!({"data": {"GalleryImage": fresh}}),
                )
                .await?;
                report.add(&batch);
            }
            let more = body["data"]["Paging"].get("next").is_some_and(|n| !n.is_null());
            if !more || images.len() < PER_PAGE {
                break;
            }
        }
    }
    report.cursor = mark.store(context).await?;
    report.generation = context.store.generation();
    Ok(report)
}

async fn sign_in(context: &Context, base: &str, key: &str, email: &str, password: &str) -> Result<String> {
    let url = format!("{base}/mem/authenticate");
    let form = [("email", email), ("password", password), ("mode", "token")];
    let response = context
        .http
        .send(SYSTEM, |client| {
            client.post(&url).header("X-PS-Api-Key", key).form(&form)
        })
        .await?;
    let body: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
        .map_err(|e| Error::upstream(SYSTEM, format!("the sign-in answer is not JSON: {e}")))?;
    body["data"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::upstream(SYSTEM, "signing in gave no token; check email, password and API key"))
}

fn updated_at(image: &Value) -> Option<&str> {
    image["Image"]["updated_at"].as_str().or(image["updated_at"].as_str())
}
