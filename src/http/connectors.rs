//! Connectors over HTTP:
//!
//! - `POST /api/connectors/{name}/sync` (editor) — one sync now; the report;
//! - `GET /api/connectors/dropbox/webhook?challenge=…` — Dropbox's
//!   verification: the challenge echoed as `text/plain`;
//! - `POST /api/connectors/dropbox/webhook` — a Dropbox notification: no API
//!   key (Dropbox cannot send one), the `X-Dropbox-Signature` instead; a
//!   wrong or missing signature is a 401 and starts nothing, a right one
//!   starts a sync in the background and answers at once.

use super::auth::Caller;
use super::{read_body, AppState, Problem};
use crate::auth::Role;
use crate::connectors;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/connectors/{name}/sync", post(sync_now))
        .route(
            "/api/connectors/dropbox/webhook",
            get(dropbox_challenge).post(dropbox_notification),
        )
}

async fn sync_now(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    caller.require(Role::Editor)?;
    let report = connectors::sync(&state.connectors, &name).await?;
    Ok(Json(report))
}

async fn dropbox_challenge(Query(query): Query<HashMap<String, String>>) -> Result<impl IntoResponse, Problem> {
    let challenge = query
        .get("challenge")
        .ok_or_else(|| Problem::bad_request("challenge", "Dropbox verifies this endpoint with ?challenge=…"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        challenge.clone(),
    ))
}

async fn dropbox_notification(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<StatusCode, Problem> {
    let settings = state.config.connectors.dropbox.clone().ok_or_else(|| {
        Problem::from(crate::Error::not_found(
            "the Dropbox connector ([connectors.dropbox] is not configured)",
        ))
    })?;
    let body = read_body(request.into_body(), 1024 * 1024).await?;
    let signature = headers
        .get("x-dropbox-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let secret = settings.app_secret()?;
    if !connectors::dropbox::signature_is_valid(&secret, &body, signature) {
        tracing::warn!("a Dropbox notification with a wrong signature was refused");
        return Err(Problem::unauthorized("X-Dropbox-Signature does not match the body"));
    }
    let context = state.connectors.clone();
    tokio::spawn(async move {
        match connectors::sync(&context, "dropbox").await {
            Ok(report) => tracing::info!(records = report.records, "Dropbox sync after a notification"),
            Err(error) => tracing::error!(%error, "Dropbox sync after a notification failed"),
        }
    });
    Ok(StatusCode::OK)
}
