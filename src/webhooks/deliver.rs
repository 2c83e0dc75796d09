//! The dispatcher: takes the due deliveries from the outbox, posts them
//! signed, and records the outcomes — one store commit per round, however
//! many deliveries the round made. It wakes when events are enqueued (so
//! that an event reaches its receiver within milliseconds) and otherwise
//! polls for retries that fell due.

use super::{due, record, signature, Delivery, Outcome, Retry, Subscriptions};
use crate::error::{Error, Result};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Deliveries attempted at once in a round.
const ROUND: usize = 128;

pub struct Dispatcher {
    store: Arc<Store>,
    subscriptions: Arc<Subscriptions>,
    client: reqwest::Client,
    retry: Retry,
    poll: Duration,
    wake: Arc<Notify>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<Store>,
        subscriptions: Arc<Subscriptions>,
        retry: Retry,
        timeout: Duration,
        poll: Duration,
    ) -> Result<Self> {
        Ok(Dispatcher {
            client: crate::outbound::client(timeout, subscriptions.allowed_hosts())?,
            store,
            subscriptions,
            retry,
            poll,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Notified when events were enqueued: the dispatcher starts a round.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Delivers until the task is dropped.
    pub async fn run(self) {
        loop {
            match self.round().await {
                // A full round: more may be due at once.
                Ok(n) if n == ROUND => continue,
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "webhook round failed; retrying"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// One round: the due deliveries, attempted at once, their outcomes
    /// recorded together. Returns how many were attempted.
    pub async fn round(&self) -> Result<usize> {
        let store = self.store.clone();
        let now = now();
        let deliveries = blocking(move || due(&store, now, ROUND)).await?;
        if deliveries.is_empty() {
            return Ok(0);
        }
        let attempts = deliveries.iter().map(|d| self.attempt(d));
        let outcomes: Vec<(Delivery, Outcome)> = deliveries
            .iter()
            .cloned()
            .zip(futures_util::future::join_all(attempts).await)
            .collect();
        for (delivery, outcome) in &outcomes {
            match outcome {
                Outcome::Delivered { status } => {
                    tracing::debug!(subscription = %delivery.subscription, event = %delivery.event.id, status, "webhook delivered")
                }
                Outcome::Failed { status, error, .. } => {
                    tracing::warn!(subscription = %delivery.subscription, event = %delivery.event.id, ?status, %error, attempt = delivery.attempts + 1, "webhook delivery failed")
                }
            }
        }
        let count = outcomes.len();
        let (store, retry) = (self.store.clone(), self.retry);
        blocking(move || record(&store, &outcomes, retry, now)).await?;
        Ok(count)
    }

    async fn attempt(&self, delivery: &Delivery) -> Outcome {
        let Some(subscription) = self.subscriptions.get(&delivery.subscription) else {
            return failed(None, "the subscription was removed", true);
        };
        let url = match crate::outbound::check(&subscription.url, self.subscriptions.allowed_hosts()) {
            Ok(url) => url,
            Err(e) => return failed(None, &e.to_string(), true),
        };
        let body = delivery.event.body();
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-assetgraph-event-id", &delivery.event.id)
            .header("x-assetgraph-event-type", &delivery.event.kind)
            .header("x-assetgraph-delivery-attempt", (delivery.attempts + 1).to_string())
            .header(
                "x-assetgraph-signature",
                signature(subscription.secret.expose(), now(), &body),
            )
            .body(body)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Outcome::Delivered {
                status: r.status().as_u16(),
            },
            Ok(r) => {
                let status = r.status();
                failed(
                    Some(status.as_u16()),
                    &format!("the receiver answered {status}"),
                    status == reqwest::StatusCode::GONE,
                )
            }
            // The error's text names the URL but never a header: no secret.
            Err(e) => failed(None, &e.without_url().to_string(), false),
        }
    }
}

fn failed(status: Option<u16>, error: &str, last: bool) -> Outcome {
    Outcome::Failed {
        status,
        error: error.to_owned(),
        last,
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Storage(format!("a worker failed: {e}")))?
}
