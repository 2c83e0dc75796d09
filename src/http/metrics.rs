//! `GET /metrics`: what an operator's Prometheus scrapes, in the OpenMetrics
//! text format (which Prometheus reads): requests by route and status and
//! their latency, the store's generation and how far the index lags it,
//! query timeouts, the webhook outbox (pending deliveries, dead letters)
//! and each connector's last successful sync.
//!
//! Routes are counted by their pattern (`/api/assets/{*id}`), never by the
//! path asked, so that the series stay few whatever clients send. Metrics
//! are the operator's: an analyst key that is not limited to tenants reads
//! them; a key limited to tenants is refused, as the counts span every
//! tenant.

use super::auth::Caller;
use super::{AppState, Problem};
use crate::auth::Role;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectorLabels {
    connector: String,
}

/// The service's metrics: counted as requests are answered, read from the
/// store and the connectors when scraped.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    store_generation: Gauge,
    index_generation: Gauge,
    index_lag: Gauge,
    outbox_pending: Gauge,
    outbox_dead: Gauge,
    connector_success: Family<ConnectorLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("assetgraph");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        // 1 ms to about 33 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let store_generation = gauge(&mut registry, "store_generation", "Commits to the store so far");
        let index_generation = gauge(
            &mut registry,
            "index_generation",
            "The store generation the search index reflects",
        );
        let index_lag = gauge(
            &mut registry,
            "index_lag",
            "Commits the search index is behind the store",
        );
        registry.register(
            "query_timeouts",
            "Queries and updates stopped at their time limit",
            QUERY_TIMEOUTS.clone(),
        );
        let outbox_pending = gauge(
            &mut registry,
            "webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent",
        );
        let outbox_dead = gauge(&mut registry, "webhook_dead_letters", "Webhook deliveries that gave up");
        let connector_success = Family::<ConnectorLabels, Gauge>::default();
        registry.register(
            "connector_last_success_timestamp_seconds",
            "When each connector last synced without error (since this process started)",
            connector_success.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            store_generation,
            index_generation,
            index_lag,
            outbox_pending,
            outbox_dead,
            connector_success,
        }
    }
}

impl Metrics {
    fn answered(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }
}

/// Queries and updates stopped at their time limit, counted where the
/// error becomes an answer (which knows no state): one counter for the
/// process, which every registry shows.
pub(super) static QUERY_TIMEOUTS: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Counter::default);

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// Counts every answer by its route's pattern, status and time.
pub(super) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .answered(&method, &route, response.status().as_u16(), seconds);
    response
}

#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    description = "Metrics in the OpenMetrics text format, for Prometheus. Analysts and above, with a key not limited to tenants.",
    responses((status = 200, description = "The metrics", body = String, content_type = "application/openmetrics-text"),
              (status = 403, description = "A key below analyst, or one limited to tenants", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn scrape(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let principal = caller.require(Role::Analyst)?;
    if principal.readable_tenants().is_some() {
        return Err(Problem::forbidden(format!(
            "key '{}' is limited to tenants; metrics count every tenant's requests: use a key without tenants",
            principal.name
        )));
    }
    let store = state.store.clone();
    let (pending, dead) = super::blocking(move || crate::webhooks::delivery_counts(&store)).await?;
    let metrics = &state.metrics;
    let generation = state.store.generation();
    let indexed = state.index.generation().unwrap_or(0);
    metrics.store_generation.set(generation as i64);
    metrics.index_generation.set(indexed as i64);
    metrics.index_lag.set(generation.saturating_sub(indexed) as i64);
    metrics.outbox_pending.set(pending as i64);
    metrics.outbox_dead.set(dead as i64);
    for (connector, at) in state.connectors.last_successes() {
        metrics
            .connector_success
            .get_or_create(&ConnectorLabels { connector })
            .set(at);
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|e| Problem::internal(format!("writing the metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
