//! `GET /api/audit?asset=…&from=…&to=…&limit=…`: the audit timeline (see
//! [`crate::audit`]) as JSON (default), CSV or JSON-LD, by `Accept`
//! (`text/csv`, `application/ld+json`) or `?format=json|csv|jsonld`.
//! Analysts and above.

use super::auth::Caller;
use super::params::{Params, Repeatable};
use super::{blocking, AppState, Problem};
use crate::audit::{self, Window};
use crate::auth::Role;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/audit", get(timeline))
}

/// Entries in one answer unless `limit` says otherwise, and at most.
const DEFAULT_LIMIT: usize = 1_000;
const MAX_LIMIT: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    asset: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    format: Option<String>,
}

impl Repeatable for AuditParams {}

#[derive(Clone, Copy)]
enum Export {
    Json,
    Csv,
    JsonLd,
}

#[utoipa::path(
    get, path = "/api/audit", tag = "audit",
    params(("asset" = Option<String>, Query, description = "One asset's trail; without it the whole trail of the caller's tenants"),
           ("from" = Option<String>, Query, description = "From this moment (inclusive)"),
           ("to" = Option<String>, Query, description = "Up to this moment (exclusive)"),
           ("limit" = Option<usize>, Query, description = "Entries, 1 to 100000 (1000)"),
           ("format" = Option<String>, Query, description = "json (default), csv or jsonld")),
    responses((status = 200, description = "The entries, oldest first", body = AuditAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    params: Result<Params<AuditParams>, Problem>,
) -> Result<Response, Problem> {
    let tenants = caller.require(Role::Analyst)?.readable_tenants();
    let Params(params) = params.map_err(|mut p| {
        p.detail.push_str("; use asset, from, to, limit and format");
        p
    })?;
    let export = export(&headers, params.format.as_deref())?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Problem::bad_request(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let window = Window {
        asset: params.asset.filter(|a| !a.trim().is_empty()),
        from: time_param("from", params.from.as_deref())?,
        to: time_param("to", params.to.as_deref())?,
        limit,
        tenants,
    };
    let store = state.store.clone();
    let entries = blocking(move || {
        if let Some(asset) = &window.asset {
            crate::records::ensure_owned(&store, asset, window.tenants.as_deref())?;
        }
        audit::timeline(&store, &window)
    })
    .await?;
    Ok(match export {
        Export::Json => Json(AuditAnswer { entries }).into_response(),
        Export::Csv => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            audit::to_csv(&entries),
        )
            .into_response(),
        Export::JsonLd => (
            [(header::CONTENT_TYPE, "application/ld+json")],
            audit::to_json_ld(&entries).to_string(),
        )
            .into_response(),
    })
}

fn export(headers: &HeaderMap, format: Option<&str>) -> Result<Export, Problem> {
    if let Some(format) = format {
        return match format {
            "json" => Ok(Export::Json),
            "csv" => Ok(Export::Csv),
            "jsonld" | "json-ld" => Ok(Export::JsonLd),
            other => Err(Problem::bad_request(
                "format",
                format!("'{other}' is not an export format: use json, csv or jsonld"),
            )),
        };
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Ok(if accept.contains("text/csv") {
        Export::Csv
    } else if accept.contains("application/ld+json") {
        Export::JsonLd
    } else {
        Export::Json
    })
}

fn time_param(name: &str, value: Option<&str>) -> Result<Option<i64>, Problem> {
    value
        .map(|text| {
            crate::rdf::time::parse(text).ok_or_else(|| {
                Problem::bad_request(
                    name,
                    format!("'{text}' is not a date (2026-12-01) or date-time (2026-12-01T10:00:00Z)"),
                )
            })
        })
        .transpose()
}

/// The audit trail as JSON (CSV and JSON-LD carry the same entries).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct AuditAnswer {
    entries: Vec<audit::Entry>,
}
