//! The HTTP interface: a router composed from small modules, state passed
//! explicitly, errors turned into RFC 9457 problems in one place
//! ([`problem`]). Handlers parse the request, check the caller's role, and
//! run the core on the blocking pool (oxigraph calls block).

mod alerts;
mod assets;
mod audit;
mod auth;
mod connectors;
mod graph_store;
mod health;
mod negotiate;
mod problem;
mod reports;
mod search;
mod sparql;
mod sparql_form;
mod taxonomies;
mod usage;
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
        let config = Arc::new(config);
        Ok(AppState {
            connectors: crate::connectors::Context::new(store.clone(), config.clone())?,
            store,
            index,
            keys,
            config,
            subscriptions: Arc::new(subscriptions),
        })
    }
}

pub fn router(state: AppState) -> Router {
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
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(
            // One line per request at INFO, when its span closes: method,
            // path (never the query string or headers, where credentials may
            // be), status, and time.
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        status = tracing::field::Empty
                    )
                })
                .on_request(())
                .on_response(|response: &axum::http::Response<_>, _latency, span: &tracing::Span| {
                    span.record("status", response.status().as_u16());
                }),
        )
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

/// Reads the whole body, refusing it with 413 beyond `limit` bytes.
pub(crate) async fn read_body(body: axum::body::Body, limit: usize) -> Result<bytes::Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            Problem::too_large(limit)
        } else {
            Problem::bad_request("body", format!("the request body could not be read: {e}"))
        }
    })
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
/// Responses go out without Nagle's delay: a streamed answer ends with a
/// small write that would otherwise wait for the client's delayed ACK
/// (40 ms on Linux) before the client sees the end.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set on a connection");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
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
    tracing::info!("shutdown requested; finishing in-flight requests");
}
