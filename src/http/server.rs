//! Accepting connections, within limits a client cannot talk its way past.
//!
//! - **Connections**: at most `server.max_connections` at once; one more is
//!   answered `503` with `Retry-After` and closed, without being read.
//! - **Slow clients**: a client has `server.header_timeout_secs` to send a
//!   request's headers — which is also how long an idle keep-alive
//!   connection stays open — and a request body that sends nothing for
//!   `server.idle_timeout_secs` fails with 408.
//! - **Shutdown**: on the signal, every running query is stopped first
//!   (so nothing waits on one), connections finish what they were doing,
//!   and after [`DRAIN`] the server returns regardless.
//!
//! Each request carries its client's address ([`ClientAddr`]), which the
//! per-client rate limit of requests without a valid key reads.

use super::{router, AppState};
use crate::sparql::stop::Reason;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// The address a request came from.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// How long connections may take to finish once shutdown starts.
pub const DRAIN: Duration = Duration::from_secs(5);

/// What a connection over the limit is told before it is closed.
const FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/problem+json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 179\r\n\r\n\
{\"type\":\"https://w3id.org/assetgraph/problems/busy\",\"title\":\"Too many connections\",\"status\":503,\
\"detail\":\"the server holds as many connections as it may (server.max_connections)\"}";

/// Serves until `shutdown` completes, then drains as described above.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = state.config.server.clone();
    let workers = state.workers.clone();
    let app = router(state);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closed) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(%error, "a connection could not be accepted");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set on a connection");
        }
        match connections.clone().try_acquire_owned() {
            Ok(permit) => {
                let connection = Connection {
                    app: app.clone(),
                    peer,
                    header_timeout: Duration::from_secs(limits.header_timeout_secs.max(1)),
                    body_idle: Duration::from_secs(limits.idle_timeout_secs.max(1)),
                    _permit: permit,
                };
                tokio::spawn(connection.serve(stream, closed.clone()));
            }
            Err(_) => {
                tokio::spawn(refuse(stream));
            }
        }
    }
    tracing::info!("shutdown requested; stopping queries and finishing in-flight requests");
    workers.stop_all(Reason::Shutdown);
    let _ = closing.send(true);
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(DRAIN, connections.acquire_many(all)).await;
    if drained.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
    Ok(())
}

/// One accepted connection and what it may do.
struct Connection {
    app: axum::Router,
    peer: SocketAddr,
    header_timeout: Duration,
    body_idle: Duration,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self, stream: TcpStream, mut closing: watch::Receiver<bool>) {
        let (app, peer, body_idle) = (self.app.clone(), self.peer, self.body_idle);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| Body::new(tower_http::timeout::TimeoutBody::new(body_idle, body)));
            request.extensions_mut().insert(ClientAddr(peer));
            app.clone().oneshot(request)
        });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(64)
            .keep_alive_interval(Some(self.header_timeout));
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let mut connection = std::pin::pin!(connection);
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    break;
                }
                changed = closing.changed() => {
                    if changed.is_err() || *closing.borrow() {
                        connection.as_mut().graceful_shutdown();
                        // Only once; the connection then ends by itself.
                        let _ = connection.as_mut().await;
                        break;
                    }
                }
            }
        }
    }
}

/// Tells a connection over the limit to come back later, and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(FULL).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_says_its_length() {
        let text = std::str::from_utf8(super::FULL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{}",
            body.len()
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 503);
    }
}
