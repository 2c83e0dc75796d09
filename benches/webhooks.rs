//! Webhook outbox throughput and delay, to a receiver on loopback.
//!
//! Enqueues events in batches (as the scheduler does: one commit per
//! batch), lets the dispatcher deliver them to a loopback receiver that
//! answers 200 at once, and reports deliveries per second and the delay
//! from an event's commit to its arrival at the receiver (p50, p95, max).
//! A second run sends single events one at a time, which measures the
//! delay alone: the dispatcher is woken by the enqueue, not by its poll.
//!
//! `cargo bench --bench webhooks` (`ASSETGRAPH_BENCH_EVENTS=20000` for more)

mod common;

use assetgraph::config::Config;
use assetgraph::store::Store;
use assetgraph::webhooks::{self, deliver::Dispatcher, Event, Subscription, Subscriptions};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BATCH: usize = 500;

fn main() {
    let events = common::setting("ASSETGRAPH_BENCH_EVENTS", 5_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let url = receiver(arrivals.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let subscriptions = Arc::new(
            Subscriptions::new(
                vec![Subscription {
                    name: "bench".into(),
                    url,
                    secret: "bench-secret-0123456789".into(),
                    events: vec!["*".into()],
                    tenant: None,
                }],
                None,
                vec!["127.0.0.1".into()],
            )
            .unwrap(),
        );
        let settings = Config::default().webhooks;
        let dispatcher = Dispatcher::new(
            store.clone(),
            subscriptions.clone(),
            settings.retry(),
            Duration::from_secs(10),
            Duration::from_millis(settings.poll_ms),
        )
        .unwrap();
        let wake = dispatcher.waker();
        tokio::spawn(dispatcher.run());

        // Throughput: batches of events, as fast as they can be enqueued.
        let started = Instant::now();
        let mut committed = std::collections::HashMap::new();
        for first in (0..events).step_by(BATCH) {
            let batch: Vec<Event> = (first..(first + BATCH).min(events)).map(event).collect();
            let ids: Vec<String> = batch.iter().map(|e| e.id.clone()).collect();
            let (store, subscriptions) = (store.clone(), subscriptions.clone());
            tokio::task::spawn_blocking(move || webhooks::enqueue(&store, batch, &subscriptions, None, now()).unwrap())
                .await
                .unwrap();
            let at = Instant::now();
            committed.extend(ids.into_iter().map(|id| (id, at)));
            wake.notify_one();
        }
        while arrivals.lock().unwrap().len() < events {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let total = started.elapsed().as_secs_f64();
        let delays = delays(&arrivals.lock().unwrap(), &committed);
        println!("events: {events} in batches of {BATCH}");
        println!(
            "outbox throughput: {:.0} deliveries/s over {total:.2} s",
            events as f64 / total
        );
        println!("  delay commit → receiver: {}", summary(&delays));

        // Delay alone: one event at a time, waiting for each.
        arrivals.lock().unwrap().clear();
        let mut single = Vec::new();
        for n in 0..200 {
            let event = event(events + n);
            let id = event.id.clone();
            let (store2, subscriptions2) = (store.clone(), subscriptions.clone());
            tokio::task::spawn_blocking(move || {
                webhooks::enqueue(&store2, vec![event], &subscriptions2, None, now()).unwrap()
            })
            .await
            .unwrap();
            let at = Instant::now();
            wake.notify_one();
            loop {
                if let Some((_, arrived)) = arrivals.lock().unwrap().iter().find(|(i, _)| *i == id) {
                    single.push(arrived.duration_since(at).as_secs_f64() * 1e3);
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        println!("  single events, delay commit → receiver: {}", summary(&single));
    });
}

fn event(n: usize) -> Event {
    Event::new(
        format!("licence.expiring:bench:{n}"),
        "licence.expiring",
        now(),
        serde_json::json!({"asset": format!("bench:{n}"), "ends": "2026-12-31T00:00:00Z"}),
    )
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn delays(arrivals: &[(String, Instant)], committed: &std::collections::HashMap<String, Instant>) -> Vec<f64> {
    arrivals
        .iter()
        .filter_map(|(id, at)| Some(at.saturating_duration_since(*committed.get(id)?).as_secs_f64() * 1e3))
        .collect()
}

fn summary(ms: &[f64]) -> String {
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    format!("p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms", at(0.5), at(0.95), at(1.0))
}

async fn receiver(arrivals: Arc<Mutex<Vec<(String, Instant)>>>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let arrivals = arrivals.clone();
            async move {
                let id = headers["x-assetgraph-event-id"].to_str().unwrap().to_owned();
                arrivals.lock().unwrap().push((id, Instant::now()));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
