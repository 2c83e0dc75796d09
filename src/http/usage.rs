//! Usage events: `POST /api/usage` with one event, an array of them, or
//! `{"events": [...]}` (`?on_error=reject|skip`). Any key whose
//! `records_usage` is not false may report the use made of the assets its
//! tenants see (a DAM portal's server holds a reader key); a browser token
//! only if minted with `record_usage`, and only for its subject. Each
//! person (a token's subject, or a key) records at most
//! `server.usage_events_per_minute` events. The key is recorded as the
//! reporter in the audit trail.
//!
//! The answer counts every outcome and lists each event's by default;
//! `?outcomes=exceptions` lists only the events not recorded within the
//! terms (outside them, duplicates, rejected), `?outcomes=none` none: a
//! forwarder sending thousands of events a batch reads what it acts on.

use super::auth::Caller;
use super::params::{Params, Repeatable};
use super::{blocking, read_body, AppState, Problem};
use crate::auth::Role;
use crate::usage::{self, Recording};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/usage", post(record))
}

#[derive(Deserialize, Default)]
struct UsageParams {
    on_error: Option<String>,
    outcomes: Option<String>,
}

impl Repeatable for UsageParams {}

/// Which outcomes the answer lists.
fn listed(outcomes: Option<&str>) -> Result<fn(&usage::EventOutcome) -> bool, Problem> {
    match outcomes.unwrap_or("all") {
        "all" => Ok(|_| true),
        "exceptions" => Ok(|o| !(o.outcome == "recorded" && o.within_terms == Some(true))),
        "none" => Ok(|_| false),
        other => Err(crate::error::Error::invalid_field(
            "outcomes",
            format!("'{other}' is not a choice; use outcomes=all, exceptions or none"),
        )
        .into()),
    }
}

#[utoipa::path(
    post, path = "/api/usage", tag = "usage",
    description = "Usage events (one, an array, or `{\"events\": [...]}`), each checked against the asset's clearance at its time. Needs a key with records_usage, or a token minted with record_usage (whose events are its subject's only); at most server.usage_events_per_minute events per person.",
    params(("on_error" = Option<String>, Query, description = "reject (default) or skip"),
           ("outcomes" = Option<String>, Query, description = "all (default), exceptions or none")),
    request_body(content = Object, description = "{asset, user, action, at?, territory?, channel?, usage?, audience?, campaign?, id?}", content_type = "application/json"),
    responses((status = 201, description = "Events recorded", body = crate::usage::UsageReport),
              (status = 200, description = "Nothing new recorded (duplicates)", body = crate::usage::UsageReport),
              (status = 413, description = "More events in one batch than a minute allows", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<UsageParams>,
    request: Request,
) -> Result<impl IntoResponse, Problem> {
    let principal = caller.require(Role::Reader)?.clone();
    if !principal.records_usage {
        return Err(Problem::forbidden(format!(
            "'{}' may not record usage; use a key with records_usage = true, or a token minted with \"record_usage\": true",
            principal.name
        )));
    }
    let tenant = principal.write_tenant()?.to_owned();
    let on_error = super::assets::on_error(params.on_error.as_deref())?;
    let listed = listed(params.outcomes.as_deref())?;
    let body = read_body(request.into_body(), state.config.max_body_bytes).await?;
    let (store, index) = (state.store.clone(), state.index.clone());
    let events = blocking(move || usage::parse_batch(&body)).await?;
    if let Some(subject) = &principal.subject {
        usage::check_user(&events, subject)?;
    }
    if !state.keys.is_empty() {
        // Per person: a token's subject, or the key.
        let subject = principal.subject.as_deref().unwrap_or(&principal.name);
        state.rates.check_usage(subject, events.len())?;
    }
    let mut report = blocking(move || {
        let sees = principal.readable_tenants();
        let how = Recording {
            actor: &principal.name,
            tenant: &tenant,
            sees: sees.as_deref(),
            on_error,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        usage::record(&store, events, &*index, &how)
    })
    .await?;
    report.outcomes.retain(listed);
    let status = if report.recorded > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}
