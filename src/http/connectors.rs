//! Connectors over HTTP:
//!
//! - `POST /api/connectors/{name}/sync` (editor) — one sync now; the report;
//! - `GET /api/connectors/dropbox/webhook?challenge=…` — Dropbox's
//!   verification: the challenge echoed as `text/plain`;
//! - `POST /api/connectors/dropbox/webhook` — a Dropbox notification: no API
//!   key (Dropbox cannot send one), the `X-Dropbox-Signature` instead; a
//!   wrong or missing signature is a 401 and starts nothing, a right one
//!   starts a sync in the background and answers at once;
//! - `POST /api/connectors/rightsline/sns` — Rightsline's SNS HTTPS
//!   subscription: no API key, the SNS signature instead (401 and nothing
//!   done when it does not verify); confirms subscriptions, and for a
//!   notification records it and fetches the entity before answering;
//! - `POST /api/connectors/rightsline/usage-export?from=…&to=…` (editor) —
//!   the usage of Rightsline catalog items in the window, posted to
//!   Rightsline as usage records.

use super::auth::Caller;
use super::params::{Params, PathSegment};
use super::{read_body, AppState, Problem};
use crate::auth::Role;
use crate::connectors;
use axum::extract::{Request, State};
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
        .route("/api/connectors/rightsline/sns", post(rightsline_sns))
        .route("/api/connectors/rightsline/usage-export", post(rightsline_usage_export))
}

#[utoipa::path(
    post, path = "/api/connectors/{name}/sync", tag = "connectors",
    params(("name" = String, Path, description = "poolparty, smintio, rightsline, photoshelter, dropbox or scaleflex")),
    responses((status = 200, description = "What the sync read and wrote", body = crate::connectors::SyncReport), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn sync_now(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(name): PathSegment,
) -> Result<impl IntoResponse, Problem> {
    require_connector_tenant(caller.require(Role::Editor)?, &state)?;
    let report = connectors::sync(&state.connectors, &name).await?;
    Ok(Json(report))
}

#[utoipa::path(
    get, path = "/api/connectors/dropbox/webhook", tag = "connectors", security(()),
    params(("challenge" = String, Query, description = "Echoed as Dropbox verifies the endpoint")),
    responses((status = 200, description = "The challenge", body = String, content_type = "text/plain"), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn dropbox_challenge(Params(query): Params<HashMap<String, String>>) -> Result<impl IntoResponse, Problem> {
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

#[utoipa::path(
    post, path = "/api/connectors/dropbox/webhook", tag = "connectors", security(()),
    description = "Dropbox's notification, signed with the app secret (X-Dropbox-Signature); starts a sync.",
    responses((status = 200, description = "Taken"), (status = 401, description = "The signature does not match", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
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
    // Signed, not keyed: held to the rate of a client without a key.
    state.rates.check_client(client_of(&request))?;
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

/// The connectors write and report for the service's default tenant: a
/// key limited to other tenants may not run them.
fn require_connector_tenant(principal: &crate::auth::Principal, state: &AppState) -> Result<(), Problem> {
    let tenant = &state.config.default_tenant;
    match principal.writable_tenants() {
        Some(tenants) if !tenants.contains(tenant) => Err(Problem::forbidden(format!(
            "the connectors act for tenant '{tenant}', which key '{}' does not hold",
            principal.name
        ))),
        _ => Ok(()),
    }
}

fn client_of(request: &Request) -> Option<std::net::IpAddr> {
    let client = request.extensions().get::<super::server::ClientAddr>();
    client.map(|c| c.0.ip())
}

#[utoipa::path(
    post, path = "/api/connectors/rightsline/sns", tag = "connectors", security(()),
    description = "Amazon SNS messages for Rightsline, checked against the signing certificate: confirmations are confirmed, notifications fetched.",
    request_body(content = Object, content_type = "text/plain"),
    responses((status = 200, description = "What was done", body = Object), (status = 401, description = "The signature does not verify", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn rightsline_sns(State(state): State<AppState>, request: Request) -> Result<impl IntoResponse, Problem> {
    let settings = rightsline_settings(&state)?;
    state.rates.check_client(client_of(&request))?;
    let body = read_body(request.into_body(), 256 * 1024).await?;
    let outcome = connectors::rightsline::handle_sns(&state.connectors, &settings, &body)
        .await
        .inspect_err(|error| tracing::warn!(%error, "a Rightsline SNS message was refused or failed"))?;
    Ok(Json(serde_json::json!({ "outcome": outcome })))
}

#[utoipa::path(
    post, path = "/api/connectors/rightsline/usage-export", tag = "connectors",
    params(("from" = String, Query, description = "Window start"), ("to" = String, Query, description = "Window end")),
    responses((status = 200, description = "The records posted to Rightsline", body = Object), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn rightsline_usage_export(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<HashMap<String, String>>,
) -> Result<impl IntoResponse, Problem> {
    require_connector_tenant(caller.require(Role::Editor)?, &state)?;
    let settings = rightsline_settings(&state)?;
    let time = |name: &str| -> Result<i64, Problem> {
        let text = query.get(name).ok_or_else(|| {
            Problem::bad_request(
                name,
                format!("give the window: ?from=2026-10-01&to=2026-11-01 ({name} is missing)"),
            )
        })?;
        crate::rdf::time::parse(text)
            .ok_or_else(|| Problem::bad_request(name, format!("'{text}' is not a date (2026-10-01) or date-time")))
    };
    let (from, to) = (time("from")?, time("to")?);
    if to <= from {
        return Err(Problem::bad_request("to", "the window ends before it starts"));
    }
    let records = connectors::rightsline::export_usage(&state.connectors, &settings, from, to).await?;
    Ok(Json(serde_json::json!({ "records": records })))
}

fn rightsline_settings(state: &AppState) -> Result<connectors::rightsline::Settings, Problem> {
    state.config.connectors.rightsline.clone().ok_or_else(|| {
        Problem::from(crate::Error::not_found(
            "the Rightsline connector ([connectors.rightsline] is not configured)",
        ))
    })
}
