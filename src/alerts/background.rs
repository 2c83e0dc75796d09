//! The background work of `serve`: the dispatcher, and the scheduler that
//! reads the clock every `alerts.interval_secs` and the change feed after
//! every commit. Both run on the caller's tokio runtime and stop when the
//! returned [`Background`] is dropped.

use crate::config::Config;
use crate::error::Result;
use crate::rights::RightsOf;
use crate::store::{ChangeListener, Receipt, Store};
use crate::vocab::graphs;
use crate::webhooks::deliver::Dispatcher;
use crate::webhooks::Subscriptions;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The running tasks; dropping this stops them.
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the dispatcher and the scheduler.
pub fn start(
    store: Arc<Store>,
    rights: Arc<dyn RightsOf + Send>,
    subscriptions: Arc<Subscriptions>,
    config: &Config,
) -> Result<Background> {
    let settings = &config.webhooks;
    let dispatcher = Dispatcher::new(
        store.clone(),
        subscriptions.clone(),
        settings.retry(),
        Duration::from_secs(settings.timeout_secs.max(1)),
        Duration::from_millis(settings.poll_ms.max(10)),
    )?;
    let dispatch = dispatcher.waker();
    let feed = Arc::new(Notify::new());
    store.subscribe(Arc::new(Feed(feed.clone())));
    let scheduler = Scheduler {
        store,
        rights,
        subscriptions,
        interval: Duration::from_secs(config.alerts.interval_secs),
        horizon: i64::from(config.alerts.horizon_days) * 86_400,
        feed,
        dispatch,
    };
    Ok(Background {
        tasks: vec![tokio::spawn(dispatcher.run()), tokio::spawn(scheduler.run())],
    })
}

/// Wakes the scheduler after a commit that may raise an event: one that
/// touched a taxonomy, an asset record or a downloads tally (not only the
/// service's bookkeeping: usage events, the outbox, cursors).
struct Feed(Arc<Notify>);

impl ChangeListener for Feed {
    fn committed(&self, _store: &Store, receipt: &Receipt) {
        if receipt
            .graphs
            .iter()
            .any(|g| graphs::touches_assets_or_concepts(&g.graph))
        {
            self.0.notify_one();
        }
    }
}

struct Scheduler {
    store: Arc<Store>,
    rights: Arc<dyn RightsOf + Send>,
    subscriptions: Arc<Subscriptions>,
    /// Zero: the clock is never read.
    interval: Duration,
    horizon: i64,
    feed: Arc<Notify>,
    dispatch: Arc<Notify>,
}

impl Scheduler {
    async fn run(self) {
        let reads_clock = !self.interval.is_zero();
        let mut clock = tokio::time::interval(if reads_clock {
            self.interval
        } else {
            Duration::from_secs(3600)
        });
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let with_clock = tokio::select! {
                _ = clock.tick() => reads_clock,
                () = self.feed.notified() => false,
            };
            let (store, rights, subscriptions) = (self.store.clone(), self.rights.clone(), self.subscriptions.clone());
            let horizon = self.horizon;
            let tick = tokio::task::spawn_blocking(move || {
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                super::events::run_tick(&store, &*rights, &subscriptions, now, horizon, with_clock)
            })
            .await;
            match tick {
                Ok(Ok(enqueued)) if !enqueued.is_empty() => {
                    tracing::info!(events = enqueued.len(), "webhook events enqueued");
                    self.dispatch.notify_one();
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "the scheduler's tick failed; it runs again on the next"),
                Err(error) => tracing::error!(%error, "the scheduler's tick panicked"),
            }
        }
    }
}
