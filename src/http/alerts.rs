//! `GET /api/alerts/expiring?within=P30D&territory=…&channel=…&downloads=0.8`:
//! licences ending, to-be-used-until dates and download limits nearly
//! reached, for a context (see [`crate::alerts`]). Readers and above.

use super::auth::Caller;
use super::params::Params;
use super::{blocking, AppState, Problem};
use crate::alerts::{self, Ask};
use crate::auth::Role;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/alerts/expiring", get(expiring))
}

#[utoipa::path(
    get, path = "/api/alerts/expiring", tag = "usage",
    params(("within" = Option<String>, Query, description = "ISO 8601 duration ahead (P30D)"),
           ("downloads" = Option<f64>, Query, description = "Report download limits used beyond this share (0.8)"),
           ("territory" = Option<String>, Query, description = "A rights dimension of the context (also channel, usage, audience, industry, language, at)")),
    responses((status = 200, description = "Licences ending and limits nearly reached, soonest first", body = AlertsAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn expiring(
    State(state): State<AppState>,
    caller: Caller,
    Params(mut query): Params<HashMap<String, String>>,
) -> Result<impl IntoResponse, Problem> {
    let principal = caller.require(Role::Reader)?;
    let within = match query.remove("within") {
        Some(text) => alerts::parse_duration(&text).ok_or_else(|| {
            Problem::bad_request(
                "within",
                format!("'{text}' is not a duration: use ISO 8601 such as P30D, P2W or PT12H"),
            )
        })?,
        None => 30 * 86_400,
    };
    let download_share = match query.remove("downloads") {
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|share| (0.0..=1.0).contains(share))
            .ok_or_else(|| {
                Problem::bad_request(
                    "downloads",
                    format!("'{text}' is not a share between 0 and 1 (0.8 reports limits 80 % used)"),
                )
            })?,
        None => 0.8,
    };
    super::auth::bind_context(principal, &mut query)?;
    let context = crate::rights::context_from(&query)?;
    let ask = Ask {
        context,
        within,
        download_share,
        tenants: principal.readable_tenants(),
    };
    let (store, index) = (state.store.clone(), state.index.clone());
    let alerts = blocking(move || alerts::expiring(&store, &*index, &ask)).await?;
    Ok(Json(AlertsAnswer {
        within_seconds: within,
        alerts,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct AlertsAnswer {
    /// How far ahead was looked.
    within_seconds: i64,
    alerts: Vec<alerts::Alert>,
}
