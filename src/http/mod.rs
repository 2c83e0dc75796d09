//! The HTTP interface: a router composed from small modules, state passed
//! explicitly, errors turned into RFC 9457 problems in one place
//! ([`problem`]). Handlers parse the request, check the caller's role, and
//! run the core on the blocking pool (oxigraph calls block).

mod alerts;
mod assets;
mod audit;
mod auth;
mod backups;
mod connectors;
mod cors;
mod graph_store;
mod health;
mod host;
pub mod metrics;
mod negotiate;
pub(crate) mod openapi;
mod params;
mod problem;
mod rate;
mod reports;
mod request_id;
mod search;
pub mod server;
mod sparql;
mod taxonomies;
mod tenant;
mod tokens;
mod usage;
mod web;
mod webhooks;

pub use problem::Problem;

use crate::auth::KeyRing;
use crate::config::Config;
use crate::store::Store;
use axum::Router;
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub index: Arc<crate::index::SearchIndex>,
    pub keys: Arc<KeyRing>,
    pub config: Arc<Config>,
    pub subscriptions: Arc<crate::webhooks::Subscriptions>,
    pub connectors: crate::connectors::Context,
    /// The threads SPARQL queries, updates and reports run on.
    pub workers: crate::sparql::worker::Workers,
    /// Request rates per key and per client.
    pub rates: Arc<rate::Rates>,
    /// Browser tokens: minted by `POST /api/tokens`, taken wherever a key is.
    pub tokens: Arc<crate::auth::tokens::Tokens>,
    /// Counted as requests are answered; `GET /metrics` reads them.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// The state of a server on `store`: the keys and the webhook
    /// subscriptions (configured, and those added through the API, kept
    /// next to the store) from `config`.
    pub fn new(store: Arc<Store>, index: Arc<crate::index::SearchIndex>, config: Config) -> crate::Result<Self> {
        let keys = Arc::new(KeyRing::new(&config.keys, &config.default_tenant)?);
        let configured = (config.webhooks.subscriptions.iter())
            .map(|s| s.resolve(|name| std::env::var(name).ok()))
            .collect::<crate::Result<Vec<_>>>()?;
        let subscriptions = crate::webhooks::Subscriptions::new(
            configured,
            Some(store.path().join("webhooks.json")),
            config.outbound.allowed_hosts.clone(),
        )?;
        let workers = crate::sparql::worker::Workers::new(config.sparql.max_concurrent, config.sparql.stack_bytes());
        let rates = Arc::new(rate::Rates::new(&config.server));
        let revocations = crate::auth::revocations::Revocations::load(&store)?;
        let tokens = Arc::new(crate::auth::tokens::Tokens::new(&config.tokens, revocations)?);
        let config = Arc::new(config);
        Ok(AppState {
            workers,
            rates,
            tokens,
            connectors: crate::connectors::Context::new(store.clone(), config.connector_settings())?,
            store,
            index,
            keys,
            config,
            subscriptions: Arc::new(subscriptions),
            metrics: Arc::new(metrics::Metrics::default()),
        })
    }
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .merge(health::routes())
        .merge(taxonomies::routes())
        .merge(assets::routes())
        .merge(search::routes())
        .merge(sparql::routes())
        .merge(graph_store::routes())
        .merge(reports::routes())
        .merge(usage::routes())
        .merge(audit::routes())
        .merge(alerts::routes())
        .merge(webhooks::routes())
        .merge(connectors::routes())
        .merge(tokens::routes())
        .merge(openapi::routes(&state.config.public_url()))
        .merge(web::routes())
        .merge(metrics::routes())
        .merge(backups::routes())
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        // Multipart bodies are held to the same limit as raw ones.
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        .layer(axum::middleware::from_fn(tenant::take_tenant_parameter))
        .layer(axum::middleware::from_fn(auth::no_login_dialog_for_scripts))
        .layer(axum::middleware::from_fn(host::refuse_invalid_host))
        .layer(
            // One line per request at INFO, when its span closes: method,
            // path (never the query string or headers, where credentials may
            // be), its id, who asked (a key's name or a token's subject,
            // never a secret), status, and the time in milliseconds.
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    let id = request
                        .headers()
                        .get(request_id::X_REQUEST_ID)
                        .and_then(|v| v.to_str().ok());
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = id.unwrap_or(""),
                        caller = tracing::field::Empty,
                        status = tracing::field::Empty,
                        duration_ms = tracing::field::Empty
                    )
                })
                .on_request(())
                .on_response(
                    |response: &axum::http::Response<_>, latency: std::time::Duration, span: &tracing::Span| {
                        span.record("status", response.status().as_u16());
                        span.record("duration_ms", (latency.as_secs_f64() * 1e3 * 1e3).round() / 1e3);
                    },
                ),
        )
        .layer(axum::middleware::from_fn(request_id::assign))
        // Outermost, so that a preflight is answered before anything asks
        // for a key, and every answer (a refusal too) carries the headers a
        // page needs to read it.
        .layer(tower::util::option_layer(cors::layer(&state.config.http.cors_origins)))
        .with_state(state)
}

/// Runs blocking core work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal(format!("a worker failed: {e}")))?
        .map_err(Problem::from)
}

/// A JSON request body of at most `max` bytes, of the shape `expected`
/// describes (for the error).
pub(super) async fn json_body<T: serde::de::DeserializeOwned>(
    body: axum::body::Body,
    max: usize,
    expected: &str,
) -> Result<T, Problem> {
    let bytes = read_body(body, max).await?;
    let value = crate::ingest::parse_json(&bytes)?;
    serde_json::from_value(value).map_err(|e| Problem::bad_request("body", format!("expected {expected}: {e}")))
}

/// Reads the whole body, refusing it with 413 beyond `limit` bytes, and
/// with 408 when the client stops sending it.
pub(crate) async fn read_body(body: axum::body::Body, limit: usize) -> Result<bytes::Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let cause = std::error::Error::source(&e);
        if cause.is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) {
            Problem::too_large(limit)
        } else if cause.is_some_and(|s| s.is::<tower_http::timeout::TimeoutError>()) {
            Problem::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "body-timeout",
                "Request body stalled",
                "the client stopped sending the request body (server.idle_timeout_secs)",
            )
        } else {
            Problem::bad_request("body", format!("the request body could not be read: {e}"))
        }
    })
}

/// A multipart body that could not be read: 413 past the body limit,
/// else 400.
pub(crate) fn multipart_problem(status: axum::http::StatusCode, text: String, limit: usize) -> Problem {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Problem::too_large(limit)
    } else {
        Problem::bad_request("body", text)
    }
}

/// Serves until SIGINT or SIGTERM, then stops running queries and
/// finishes in-flight requests (see [`server`]).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    server::serve_until(listener, state, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
