//! A Pusher Channels listener, just enough for a doorbell.
//!
//! Smint.io rings a private Pusher channel when a tenant's purchases
//! change; the message itself is ignored, as Smint.io's own clients ignore
//! it, and only starts a pull (see [`super::smintio`]). The protocol, over
//! one WebSocket:
//!
//! 1. the server says `pusher:connection_established` with a `socket_id`
//!    and an `activity_timeout`;
//! 2. the client has the source sign `socket_id` and the channel name (an
//!    authorised call to the source, not to Pusher) and sends
//!    `pusher:subscribe` with that signature;
//! 3. events then arrive as `{event, channel, data}`; `pusher:ping` is
//!    answered with `pusher:pong`, and a quiet connection is pinged after
//!    the activity timeout and given up when no answer comes.
//!
//! [`listen`] returns when the connection ends; the caller reconnects.
//! `data` is a JSON text inside the JSON message for Pusher's own events,
//! so both forms are read.

use crate::error::{Error, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Where to listen and for what.
pub struct Doorbell<'a> {
    /// `wss://ws-eu.pusher.com/app/{key}`; the protocol query is added.
    pub url: &'a str,
    /// `private-2-{channel id}`.
    pub channel: &'a str,
    /// The event that rings (`global-transaction-history-update`).
    pub event: &'a str,
    pub allowed_hosts: &'a [String],
}

/// How long a ping may go unanswered before the connection is given up.
const PONG_WAIT: Duration = Duration::from_secs(30);

/// Listens until the connection ends or fails. `sign(socket_id)` returns
/// the channel's signature from the source; `ring()` is called for each
/// ring, once subscribed.
pub async fn listen<S, F>(doorbell: &Doorbell<'_>, sign: S, mut ring: impl FnMut()) -> Result<()>
where
    S: FnOnce(String) -> F,
    F: Future<Output = Result<String>>,
{
    let url = format!(
        "{}?protocol=7&client=assetgraph&version={}",
        doorbell.url,
        env!("CARGO_PKG_VERSION")
    );
    let checked = crate::outbound::check_websocket(&url, doorbell.allowed_hosts)?;
    // Connected to an address checked here, not to whatever the name
    // resolves to when the WebSocket library looks it up again.
    let host = checked.host_str().unwrap_or_default();
    let port = checked.port_or_known_default().unwrap_or(443);
    let addresses = crate::outbound::addresses(host, port, doorbell.allowed_hosts).await?;
    let stream = tokio::net::TcpStream::connect(addresses.as_slice())
        .await
        .map_err(|e| fail(format!("cannot connect: {e}")))?;
    let (mut socket, _) = tokio_tungstenite::client_async_tls(url.as_str(), stream)
        .await
        .map_err(|e| fail(format!("cannot connect: {e}")))?;
    let mut sign = Some(sign);
    let mut quiet = Duration::from_secs(120);
    let mut pinged = false;
    loop {
        let wait = if pinged { PONG_WAIT } else { quiet };
        let message = match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(message)) => message.map_err(|e| fail(format!("the connection failed: {e}")))?,
            Ok(None) => return Ok(()),
            Err(_) if pinged => return Err(fail("no answer to a ping; reconnecting")),
            Err(_) => {
                socket
                    .send(text(json!({"event": "pusher:ping", "data": {}})))
                    .await
                    .map_err(sent)?;
                pinged = true;
                continue;
            }
        };
        pinged = false;
        let message: Value = match message {
            Message::Text(body) => serde_json::from_str(&body).map_err(|e| fail(format!("not JSON: {e}")))?,
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let data = match &message["data"] {
            Value::String(inner) => serde_json::from_str(inner).unwrap_or(Value::Null),
            other => other.clone(),
        };
        match message["event"].as_str().unwrap_or_default() {
            "pusher:connection_established" => {
                let socket_id = data["socket_id"]
                    .as_str()
                    .ok_or_else(|| fail("no socket_id in connection_established"))?;
                if let Some(seconds) = data["activity_timeout"].as_u64().filter(|&s| s > 0) {
                    quiet = Duration::from_secs(seconds);
                }
                let sign = sign
                    .take()
                    .ok_or_else(|| fail("the connection was established twice"))?;
                let auth = sign(socket_id.to_owned()).await?;
                let subscribe =
                    json!({"event": "pusher:subscribe", "data": {"channel": doorbell.channel, "auth": auth}});
                socket.send(text(subscribe)).await.map_err(sent)?;
            }
            "pusher_internal:subscription_succeeded" => {
                tracing::info!(channel = doorbell.channel, "listening for the doorbell");
            }
            "pusher:ping" => {
                socket
                    .send(text(json!({"event": "pusher:pong", "data": {}})))
                    .await
                    .map_err(sent)?;
            }
            "pusher:error" => {
                return Err(fail(format!(
                    "Pusher refused: {} (code {})",
                    data["message"].as_str().unwrap_or("no message"),
                    data["code"]
                )));
            }
            event if event == doorbell.event && message["channel"] == doorbell.channel => ring(),
            _ => {}
        }
    }
}

fn text(value: Value) -> Message {
    Message::text(value.to_string())
}

fn fail(message: impl Into<String>) -> Error {
    Error::upstream("Pusher", message.into())
}

fn sent(error: tokio_tungstenite::tungstenite::Error) -> Error {
    fail(format!("cannot send: {error}"))
}
