//! Webhook subscriptions and their delivery log; admins only.
//!
//! - `GET /api/webhooks` — the subscriptions, without secrets;
//! - `POST /api/webhooks` — `{"name", "url", "events", "secret"?}`; a secret
//!   is generated when none is given and shown in this answer only;
//! - `DELETE /api/webhooks/{name}`;
//! - `GET /api/webhooks/deliveries?state=pending|delivered|dead&subscription=…&limit=…`
//!   — the delivery log, each delivery with its attempts;
//! - `POST /api/webhooks/{name}/redeliver` — dead letters back in the queue.

use super::auth::Caller;
use super::params::{Params, PathSegment, Repeatable};
use super::{blocking, read_body, AppState, Problem};
use crate::auth::Role;
use crate::webhooks::{self, Subscription};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(add))
        .route("/api/webhooks/deliveries", get(deliveries))
        .route("/api/webhooks/{name}", delete(remove))
        .route("/api/webhooks/{name}/redeliver", post(redeliver))
}

#[utoipa::path(
    get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, description = "The subscriptions of the caller's tenants, without secrets, and the event types", body = Object))
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<impl IntoResponse, Problem> {
    let tenants = caller.require(Role::Admin)?.readable_tenants();
    let subscriptions: Vec<_> = visible(&state, tenants.as_deref()).iter().map(public).collect();
    Ok(Json(
        serde_json::json!({ "subscriptions": subscriptions, "event_types": webhooks::subscriptions::EVENT_TYPES }),
    ))
}

fn public(subscription: &Subscription) -> serde_json::Value {
    serde_json::json!({
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "tenant": subscription.tenant,
    })
}

/// The subscriptions a caller reading `tenants` sees: those of its tenants
/// (a key naming no tenant sees all of them).
fn visible(state: &AppState, tenants: Option<&[String]>) -> Vec<Subscription> {
    state
        .subscriptions
        .all()
        .into_iter()
        .filter(|s| s.visible_to(tenants))
        .collect()
}

/// The subscription `name`, if the caller may see it; another tenant's
/// answers as one that does not exist.
fn find(state: &AppState, name: &str, tenants: Option<&[String]>) -> Result<Subscription, Problem> {
    state
        .subscriptions
        .get(name)
        .filter(|s| s.visible_to(tenants))
        .ok_or_else(|| crate::Error::not_found(format!("webhook subscription '{name}'")).into())
}

/// Webhook subscriptions live in a file that holds their secrets, not in
/// the store; each change to them is still told by the audit trail (the
/// name, the receiving host and the events, never the secret or the path).
fn subscription_change(
    principal: &crate::auth::Principal,
    subscription: &Subscription,
    operation: &str,
    note: String,
) -> crate::store::Change {
    crate::store::Change {
        actor: principal.name.clone(),
        operation: operation.into(),
        tenant: (subscription.tenant.as_deref())
            .unwrap_or(crate::store::DEFAULT_TENANT)
            .to_owned(),
        note: Some(note),
        writes: Vec::new(),
    }
}

/// The host a subscription delivers to, for the audit trail: a URL's path
/// and query may carry a token.
fn receiving_host(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "an unreadable address".into())
}

#[utoipa::path(
    post, path = "/api/webhooks", tag = "webhooks",
    request_body(content = crate::webhooks::Subscription, description = "A secret is generated when none is given, and shown in this answer only", content_type = "application/json"),
    responses((status = 201, description = "Subscribed", body = Object), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 409, description = "A subscription of that name exists", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn add(State(state): State<AppState>, caller: Caller, request: Request) -> Result<impl IntoResponse, Problem> {
    let principal = caller.require(Role::Admin)?.clone();
    // A key limited to some tenants subscribes for its own tenant only.
    let own_tenant = match principal.writable_tenants() {
        Some(_) => Some(principal.write_tenant()?.to_owned()),
        None => None,
    };
    let body = read_body(request.into_body(), 64 * 1024).await?;
    let value = crate::ingest::parse_json(&body)?;
    let mut subscription: Subscription = serde_json::from_value(value).map_err(|e| {
        Problem::bad_request(
            "body",
            format!("expected {{\"name\", \"url\", \"events\", \"secret\"?}}: {e}"),
        )
    })?;
    if let Some(own) = own_tenant {
        if subscription.tenant.as_ref().is_some_and(|asked| *asked != own) {
            return Err(Problem::forbidden(format!(
                "key '{}' subscribes for tenant '{own}' only",
                principal.name
            )));
        }
        subscription.tenant = Some(own);
    }
    let generated = subscription.secret.is_empty();
    if generated {
        subscription.secret = hex::encode(rand::random::<[u8; 24]>()).into();
    }
    let answer = public(&subscription);
    let secret = subscription.secret.clone();
    let note = format!(
        "'{}' delivers {} to {}",
        subscription.name,
        subscription.events.join(", "),
        receiving_host(&subscription.url)
    );
    let change = subscription_change(&principal, &subscription, "webhook.subscribe", note);
    let (subscriptions, store) = (state.subscriptions.clone(), state.store.clone());
    blocking(move || {
        subscriptions.add(subscription)?;
        store.record_outside_change(change).map(drop)
    })
    .await?;
    let mut answer = answer;
    if generated {
        // Shown once: it is not readable later.
        answer["secret"] = secret.expose().into();
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

#[utoipa::path(
    delete, path = "/api/webhooks/{name}", tag = "webhooks",
    params(("name" = String, Path, description = "The subscription")),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(name): PathSegment,
) -> Result<StatusCode, Problem> {
    let principal = caller.require(Role::Admin)?.clone();
    let subscription = find(&state, &name, principal.readable_tenants().as_deref())?;
    let (subscriptions, store) = (state.subscriptions.clone(), state.store.clone());
    let removed = blocking(move || {
        let removed = subscriptions.remove(&name)?;
        if removed {
            let change = subscription_change(
                &principal,
                &subscription,
                "webhook.unsubscribe",
                format!("'{name}' removed"),
            );
            store.record_outside_change(change)?;
        }
        Ok(removed)
    })
    .await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(crate::Error::not_found("webhook subscription (removed meanwhile)").into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogParams {
    state: Option<String>,
    subscription: Option<String>,
    limit: Option<usize>,
}

impl Repeatable for LogParams {}

#[utoipa::path(
    get, path = "/api/webhooks/deliveries", tag = "webhooks",
    params(("state" = Option<String>, Query, description = "pending, delivered or dead"),
           ("subscription" = Option<String>, Query, description = "One subscription's"),
           ("limit" = Option<usize>, Query, description = "At most this many (100)")),
    responses((status = 200, description = "The delivery log, newest first, each with its attempts", body = DeliveriesAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Params<LogParams>, Problem>,
) -> Result<impl IntoResponse, Problem> {
    let tenants = caller.require(Role::Admin)?.readable_tenants();
    let Params(params) = params.map_err(|mut p| {
        p.detail.push_str("; use state, subscription and limit");
        p
    })?;
    if let Some(s) = params.state.as_deref() {
        if !["pending", "delivered", "dead"].contains(&s) {
            return Err(Problem::bad_request(
                "state",
                format!("'{s}' is not a delivery state: use pending, delivered or dead"),
            ));
        }
    }
    let names: Option<Vec<String>> = match (&params.subscription, &tenants) {
        (Some(name), _) => Some(vec![find(&state, name, tenants.as_deref())?.name]),
        (None, Some(_)) => Some(
            visible(&state, tenants.as_deref())
                .into_iter()
                .map(|s| s.name)
                .collect(),
        ),
        (None, None) => None,
    };
    let store = state.store.clone();
    let limit = params.limit.unwrap_or(100).min(10_000);
    let log = blocking(move || webhooks::deliveries(&store, params.state.as_deref(), names.as_deref(), limit)).await?;
    Ok(Json(DeliveriesAnswer { deliveries: log }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct DeliveriesAnswer {
    deliveries: Vec<webhooks::DeliveryView>,
}

#[utoipa::path(
    post, path = "/api/webhooks/{name}/redeliver", tag = "webhooks",
    params(("name" = String, Path, description = "The subscription")),
    responses((status = 200, description = "Dead letters put back in the queue: {requeued}", body = Object), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(name): PathSegment,
) -> Result<impl IntoResponse, Problem> {
    let principal = caller.require(Role::Admin)?.clone();
    find(&state, &name, principal.readable_tenants().as_deref())?;
    let store = state.store.clone();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let requeued = blocking(move || webhooks::redeliver(&store, &name, now, &principal.name)).await?;
    Ok(Json(serde_json::json!({ "requeued": requeued })))
}
