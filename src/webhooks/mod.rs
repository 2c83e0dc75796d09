//! Webhooks: signed notifications to integrators, with an outbox in the
//! store so that no event is lost and none is delivered under two ids.
//!
//! # The outbox
//! An event (`licence.expiring`, `asset.blocked`, `taxonomy.updated`…)
//! and one delivery per subscription that wants it are written in **one**
//! commit of the write path, to the outbox graph
//! `urn:assetgraph:graph:outbox`:
//!
//! ```turtle
//! <urn:assetgraph:event:ID> a ag:WebhookEvent ; ag:eventType "licence.expiring" ;
//!     ag:payload "{…}" ; prov:generatedAtTime "…"^^xsd:dateTime .
//! <urn:assetgraph:delivery:SUB:ID> a ag:Delivery ; ag:event <urn:assetgraph:event:ID> ;
//!     ag:subscription "SUB" ; ag:deliveryState "pending" ; ag:attempts 0 ;
//!     ag:nextAttempt "…"^^xsd:dateTime .
//! <urn:assetgraph:delivery:SUB:ID#attempt-1> a ag:DeliveryAttempt ; ag:ofDelivery <…> ;
//!     prov:startedAtTime "…" ; ag:httpStatus 503 ; ag:error "…" .
//! ```
//!
//! Events are named by what they say (`licence.expiring:<asset>:<moment>`),
//! so the scheduler finding the same fact twice enqueues it once. The
//! dispatcher ([`deliver`]) takes the due deliveries, posts them, and
//! records every outcome in one commit: delivered, retried later with
//! exponential backoff and jitter, or a dead letter after the last
//! attempt. A delivery is marked delivered only after the receiver
//! answered 2xx, so a crash in between repeats it: receivers drop
//! duplicates by the event id, which every delivery carries.
//!
//! # Signatures
//! `X-Assetgraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<body>"` with the subscription's secret; receivers recompute it
//! and refuse old timestamps to stop replays.

pub mod deliver;
pub(crate) mod subscriptions;

pub use subscriptions::{Subscription, Subscriptions};

use crate::error::Result;
use crate::store::{Change, GraphWrite, Store};
use crate::vocab::{ag, graphs, prov};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, Triple,
};
use serde::Serialize;

/// Something integrators may want to hear about.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Event {
    /// Stable for the fact it reports: the same fact is the same event.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339.
    pub occurred_at: String,
    pub data: serde_json::Value,
}

impl Event {
    pub fn new(id: String, kind: &str, occurred_at: i64, data: serde_json::Value) -> Self {
        Event {
            id,
            kind: kind.to_owned(),
            occurred_at: crate::rdf::time::rfc3339(occurred_at),
            data,
        }
    }

    /// The body posted to receivers.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("an event serialises")
    }
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// The delay after the first failure; it doubles after each.
    pub base_ms: u64,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u32,
}

impl Retry {
    /// The delay before attempt `attempts + 1` (see [`crate::outbound::backoff`]).
    pub(crate) fn delay_ms(&self, attempts: u32) -> u64 {
        let delay = crate::outbound::backoff(
            std::time::Duration::from_millis(self.base_ms),
            attempts,
            std::time::Duration::from_millis(MAX_DELAY_MS),
        );
        delay.as_millis() as u64
    }
}

const MAX_DELAY_MS: u64 = 3_600_000;

/// A bookkeeping cursor kept with the outbox: where the scheduler left off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The last moment the clock was read (Unix seconds).
    pub clock: Option<i64>,
    /// The last store generation whose changes were turned into events.
    pub generation: Option<u64>,
}

/// Enqueues the events not yet in the outbox, a delivery for each
/// subscription that wants them, and the scheduler's new cursor, in one
/// commit. Returns the ids of the events enqueued.
pub fn enqueue(
    store: &Store,
    events: Vec<Event>,
    subscriptions: &Subscriptions,
    cursor: Option<Cursor>,
    now: i64,
) -> Result<Vec<String>> {
    enqueue_with_states(store, events, subscriptions, cursor, &[], now)
}

/// [`enqueue`], recording with the events whether each asset was cleared
/// when they were decided (see [`announced`]).
pub(crate) fn enqueue_with_states(
    store: &Store,
    events: Vec<Event>,
    subscriptions: &Subscriptions,
    cursor: Option<Cursor>,
    states: &[(NamedNode, bool)],
    now: i64,
) -> Result<Vec<String>> {
    let (_, enqueued) = store.write(|view| {
        let store = view.store();
        let mut add = Vec::new();
        let mut remove = Vec::new();
        let mut enqueued = Vec::new();
        for event in events {
            let node = event_iri(&event.id);
            if is_stored(store, &node, ag::WEBHOOK_EVENT)? || enqueued.contains(&event.id) {
                continue;
            }
            add.extend(event_triples(&node, &event));
            let owner = owner_of(store, &event)?;
            for subscription in subscriptions.wanting(&event.kind, owner.as_deref()) {
                add.extend(delivery_triples(&subscription.name, &event.id, &node, now));
            }
            enqueued.push(event.id);
        }
        if let Some(cursor) = cursor {
            let (old, new) = cursor_triples(store, cursor)?;
            remove.extend(old);
            add.extend(new);
        }
        for (asset, cleared) in states {
            remove.extend(triples_of(store, asset.as_ref(), ag::ANNOUNCED_CLEARED)?);
            add.push(Triple::new(
                asset.clone(),
                ag::ANNOUNCED_CLEARED,
                Literal::from(*cleared),
            ));
        }
        let change = Change {
            actor: "scheduler".into(),
            operation: "webhooks.enqueue".into(),
            // The outbox is the service's, for every tenant.
            tenant: crate::auth::SHARED_TENANT.into(),
            note: Some(format!("{} event(s)", enqueued.len())),
            writes: vec![outbox_patch(remove, add)],
        };
        Ok((change, enqueued))
    })?;
    Ok(enqueued)
}

/// Forgets the scheduler's cursor, in one write if one is stored, none
/// otherwise: while no subscription listens nothing is kept, and the first
/// subscription then starts from a first tick (now), not from a replay of
/// everything that changed while nobody listened.
pub(crate) fn forget_cursor(store: &Store) -> Result<()> {
    let (old, _) = cursor_triples(store, Cursor::default())?;
    if old.is_empty() {
        return Ok(());
    }
    store.write(|_| {
        let change = Change {
            actor: "scheduler".into(),
            operation: "webhooks.forget-cursor".into(),
            tenant: crate::auth::SHARED_TENANT.into(),
            note: Some("no subscription listens".into()),
            writes: vec![outbox_patch(old, Vec::new())],
        };
        Ok((change, ()))
    })?;
    Ok(())
}

/// The tenant an event is about: the owner of its asset, or the tenant
/// of the change that updated a taxonomy.
fn owner_of(store: &Store, event: &Event) -> Result<Option<String>> {
    if let Some(asset) = event.data["asset"].as_str() {
        return Ok(Some(store.graph_owner(crate::rdf::asset_iri(asset).as_ref())?));
    }
    if let Some(generation) = event.data["generation"].as_u64() {
        return crate::audit::tenant_of_change(store, generation);
    }
    Ok(None)
}

/// Whether the asset was cleared for any use when the scheduler last
/// looked (`None`: it never looked): `asset.blocked` and `asset.cleared`
/// are raised when this changes.
pub fn announced(store: &Store, asset: &NamedNode) -> Result<Option<bool>> {
    Ok(value(store, asset.as_ref(), ag::ANNOUNCED_CLEARED)?.map(|v| v == "true"))
}

/// The scheduler's cursor as stored.
pub fn cursor(store: &Store) -> Result<Cursor> {
    let node = NamedNodeRef::new_unchecked(CURSOR);
    Ok(Cursor {
        clock: value(store, node, ag::CLOCK_CURSOR)?.and_then(|v| crate::rdf::time::parse(&v)),
        generation: value(store, node, ag::GENERATION_CURSOR)?.and_then(|v| v.parse().ok()),
    })
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub iri: NamedNode,
    pub subscription: String,
    pub event: Event,
    pub attempts: u32,
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// It answered otherwise, or not at all; retried unless `final`.
    Failed {
        status: Option<u16>,
        error: String,
        /// No retry can succeed (the subscription is gone, or the
        /// receiver answered 410 Gone).
        last: bool,
    },
}

/// The pending deliveries whose time has come, oldest first, at most
/// `limit`. A delivery carries its next attempt while it is pending and
/// only then (enqueued, retried or requeued: see [`record`]), so a scan
/// of those times finds every candidate; the deliveries themselves are
/// read only for those taken.
///
/// The scan reads the times in order and stops at the first one still
/// ahead, or once `limit` are due: the store keeps an `xsd:dateTime` in
/// its index keys as its big-endian value, so the times of one predicate
/// in one graph come back earliest first (a unit test holds the store to
/// that). A round then costs what it takes, not the whole backlog. Should
/// a time ever come back out of order, the scan reads on to the end and
/// sorts, as a scan of unordered times must.
pub fn due(store: &Store, now: i64, limit: usize) -> Result<Vec<Delivery>> {
    let mut due = Vec::new();
    let mut ordered = true;
    let mut last = i64::MIN;
    for quad in store
        .db()
        .quads_for_pattern(None, Some(ag::NEXT_ATTEMPT), None, Some(outbox().as_ref().into()))
    {
        let quad = quad?;
        let (NamedOrBlankNode::NamedNode(node), Term::Literal(next)) = (quad.subject, quad.object) else {
            continue;
        };
        let next = crate::rdf::time::parse(next.value()).unwrap_or(0);
        ordered &= next >= last;
        last = next;
        if next <= now {
            due.push((next, node));
        }
        if ordered && (next > now || due.len() >= limit) {
            break;
        }
    }
    if !ordered {
        tracing::warn!("the outbox's next-attempt times were not read in order; the whole backlog was scanned");
        due.sort_unstable();
    }
    let mut taken = Vec::with_capacity(limit.min(due.len()));
    for (_, node) in due.into_iter().take(limit) {
        taken.extend(read_delivery(store, node.as_ref())?);
    }
    Ok(taken)
}

/// Records the outcomes of attempts made at `now`, in one commit.
pub fn record(store: &Store, outcomes: &[(Delivery, Outcome)], retry: Retry, now: i64) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    store.write(|view| {
        let store = view.store();
        let (mut remove, mut add) = (Vec::new(), Vec::new());
        for (delivery, outcome) in outcomes {
            let node = &delivery.iri;
            for p in [ag::DELIVERY_STATE, ag::ATTEMPTS, ag::NEXT_ATTEMPT] {
                remove.extend(triples_of(store, node.as_ref(), p)?);
            }
            let attempts = delivery.attempts + 1;
            let attempt = NamedNode::new_unchecked(format!("{}#attempt-{attempts}", node.as_str()));
            add.extend([
                Triple::new(attempt.clone(), rdf::TYPE, ag::DELIVERY_ATTEMPT),
                Triple::new(attempt.clone(), ag::OF_DELIVERY, node.clone()),
                Triple::new(attempt.clone(), prov::STARTED_AT_TIME, crate::rdf::time::literal(now)),
                Triple::new(node.clone(), ag::ATTEMPTS, integer(attempts.into())),
            ]);
            let state = match outcome {
                Outcome::Delivered { status } => {
                    add.push(Triple::new(attempt.clone(), ag::HTTP_STATUS, integer((*status).into())));
                    add.push(Triple::new(
                        node.clone(),
                        ag::DELIVERED_AT,
                        crate::rdf::time::literal(now),
                    ));
                    DELIVERED
                }
                Outcome::Failed { status, error, last } => {
                    if let Some(status) = status {
                        add.push(Triple::new(attempt.clone(), ag::HTTP_STATUS, integer((*status).into())));
                    }
                    add.push(Triple::new(attempt, ag::ERROR, Literal::new_simple_literal(error)));
                    if *last || attempts >= retry.max_attempts {
                        DEAD
                    } else {
                        let next = now + retry.delay_ms(attempts).div_ceil(1000) as i64;
                        add.push(Triple::new(
                            node.clone(),
                            ag::NEXT_ATTEMPT,
                            crate::rdf::time::literal(next),
                        ));
                        PENDING
                    }
                }
            };
            add.push(Triple::new(
                node.clone(),
                ag::DELIVERY_STATE,
                Literal::new_simple_literal(state),
            ));
        }
        let change = Change {
            actor: "webhooks".into(),
            operation: "webhooks.deliver".into(),
            // The outbox is the service's, for every tenant.
            tenant: crate::auth::SHARED_TENANT.into(),
            note: Some(format!("{} attempt(s)", outcomes.len())),
            writes: vec![outbox_patch(remove, add)],
        };
        Ok((change, ()))
    })?;
    Ok(())
}

/// A delivery as the delivery log shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub subscription: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    pub log: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The delivery log: deliveries in a state (all when `None`), of some
/// subscriptions (all when `None`), newest first, at most `limit`.
pub fn deliveries(
    store: &Store,
    state: Option<&str>,
    subscriptions: Option<&[String]>,
    limit: usize,
) -> Result<Vec<DeliveryView>> {
    let mut found = Vec::new();
    let object = state.map(Literal::new_simple_literal);
    for quad in store.db().quads_for_pattern(
        None,
        Some(ag::DELIVERY_STATE),
        object.as_ref().map(|l| l.as_ref().into()),
        Some(outbox().as_ref().into()),
    ) {
        let quad = quad?;
        let NamedOrBlankNodeRef::NamedNode(node) = quad.subject.as_ref() else {
            continue;
        };
        let Some(delivery) = read_delivery(store, node)? else {
            continue;
        };
        if subscriptions.is_some_and(|names| !names.contains(&delivery.subscription)) {
            continue;
        }
        let text = |p| value(store, node, p);
        let mut log = Vec::new();
        for attempt in (store.db()).quads_for_pattern(
            None,
            Some(ag::OF_DELIVERY),
            Some(node.into()),
            Some(outbox().as_ref().into()),
        ) {
            if let NamedOrBlankNodeRef::NamedNode(attempt) = attempt?.subject.as_ref() {
                log.push(AttemptView {
                    at: value(store, attempt, prov::STARTED_AT_TIME)?.unwrap_or_default(),
                    status: value(store, attempt, ag::HTTP_STATUS)?.and_then(|s| s.parse().ok()),
                    error: value(store, attempt, ag::ERROR)?,
                });
            }
        }
        log.sort_by(|a, b| a.at.cmp(&b.at));
        found.push(DeliveryView {
            subscription: delivery.subscription,
            event_id: delivery.event.id,
            event_type: delivery.event.kind,
            state: text(ag::DELIVERY_STATE)?.unwrap_or_default(),
            attempts: delivery.attempts,
            next_attempt: text(ag::NEXT_ATTEMPT)?,
            delivered_at: text(ag::DELIVERED_AT)?,
            log,
        });
    }
    found.sort_by(|a, b| b.log.last().map(|l| &l.at).cmp(&a.log.last().map(|l| &l.at)));
    found.truncate(limit);
    Ok(found)
}

/// How many deliveries wait to be sent, and how many gave up.
pub fn delivery_counts(store: &Store) -> Result<(u64, u64)> {
    let count = |state: &str| -> Result<u64> {
        let state = Literal::new_simple_literal(state);
        let mut n = 0;
        for quad in store.db().quads_for_pattern(
            None,
            Some(ag::DELIVERY_STATE),
            Some(state.as_ref().into()),
            Some(outbox().as_ref().into()),
        ) {
            quad?;
            n += 1;
        }
        Ok(n)
    };
    Ok((count(PENDING)?, count(DEAD)?))
}

/// Puts the dead letters of a subscription back in the queue, due now.
pub fn redeliver(store: &Store, subscription: &str, now: i64, actor: &str) -> Result<usize> {
    let (_, count) = store.write(|view| {
        let store = view.store();
        let dead = deliveries(store, Some(DEAD), Some(&[subscription.to_owned()]), usize::MAX)?;
        let (mut remove, mut add) = (Vec::new(), Vec::new());
        for delivery in &dead {
            let node = delivery_iri(&delivery.subscription, &delivery.event_id);
            for p in [ag::DELIVERY_STATE, ag::ATTEMPTS, ag::NEXT_ATTEMPT] {
                remove.extend(triples_of(store, node.as_ref(), p)?);
            }
            add.extend([
                Triple::new(node.clone(), ag::DELIVERY_STATE, Literal::new_simple_literal(PENDING)),
                Triple::new(node.clone(), ag::ATTEMPTS, integer(0)),
                Triple::new(node, ag::NEXT_ATTEMPT, crate::rdf::time::literal(now)),
            ]);
        }
        let change = Change {
            actor: actor.to_owned(),
            operation: "webhooks.redeliver".into(),
            // The outbox is the service's, for every tenant.
            tenant: crate::auth::SHARED_TENANT.into(),
            note: Some(format!("{} dead letter(s) of {subscription} requeued", dead.len())),
            writes: vec![outbox_patch(remove, add)],
        };
        Ok((change, dead.len()))
    })?;
    Ok(count)
}

/// `t=<unix>,v1=<hex>`: the signature header of a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";
const CURSOR: &str = "urn:assetgraph:outbox:cursor";

fn outbox() -> NamedNode {
    NamedNode::new_unchecked(graphs::OUTBOX)
}

fn outbox_patch(remove: Vec<Triple>, add: Vec<Triple>) -> GraphWrite {
    GraphWrite::Patch {
        graph: GraphName::NamedNode(outbox()),
        kind: "outbox",
        remove,
        add,
        drop: false,
    }
}

fn event_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:event:{}", crate::rdf::percent_encode(id)))
}

fn delivery_iri(subscription: &str, event: &str) -> NamedNode {
    let encode = crate::rdf::percent_encode;
    NamedNode::new_unchecked(format!(
        "urn:assetgraph:delivery:{}:{}",
        encode(subscription),
        encode(event)
    ))
}

fn event_triples(node: &NamedNode, event: &Event) -> Vec<Triple> {
    vec![
        Triple::new(node.clone(), rdf::TYPE, ag::WEBHOOK_EVENT),
        Triple::new(node.clone(), ag::EVENT_ID, Literal::new_simple_literal(&event.id)),
        Triple::new(node.clone(), ag::EVENT_TYPE, Literal::new_simple_literal(&event.kind)),
        Triple::new(
            node.clone(),
            ag::PAYLOAD,
            Literal::new_simple_literal(event.data.to_string()),
        ),
        Triple::new(
            node.clone(),
            prov::GENERATED_AT_TIME,
            Literal::new_typed_literal(&event.occurred_at, xsd::DATE_TIME),
        ),
    ]
}

fn delivery_triples(subscription: &str, event_id: &str, event: &NamedNode, now: i64) -> Vec<Triple> {
    let node = delivery_iri(subscription, event_id);
    vec![
        Triple::new(node.clone(), rdf::TYPE, ag::DELIVERY),
        Triple::new(node.clone(), ag::EVENT, event.clone()),
        Triple::new(
            node.clone(),
            ag::SUBSCRIPTION,
            Literal::new_simple_literal(subscription),
        ),
        Triple::new(node.clone(), ag::DELIVERY_STATE, Literal::new_simple_literal(PENDING)),
        Triple::new(node.clone(), ag::ATTEMPTS, integer(0)),
        Triple::new(node, ag::NEXT_ATTEMPT, crate::rdf::time::literal(now)),
    ]
}

fn cursor_triples(store: &Store, cursor: Cursor) -> Result<(Vec<Triple>, Vec<Triple>)> {
    let node = NamedNodeRef::new_unchecked(CURSOR);
    let mut old = triples_of(store, node, ag::CLOCK_CURSOR)?;
    old.extend(triples_of(store, node, ag::GENERATION_CURSOR)?);
    let mut new = Vec::new();
    if let Some(clock) = cursor.clock {
        new.push(Triple::new(node, ag::CLOCK_CURSOR, crate::rdf::time::literal(clock)));
    }
    if let Some(generation) = cursor.generation {
        new.push(Triple::new(node, ag::GENERATION_CURSOR, integer(generation)));
    }
    Ok((old, new))
}

fn read_delivery(store: &Store, node: NamedNodeRef<'_>) -> Result<Option<Delivery>> {
    let Some(subscription) = value(store, node, ag::SUBSCRIPTION)? else {
        return Ok(None);
    };
    let event = match first_object(store, node, ag::EVENT)? {
        Some(Term::NamedNode(event)) => event,
        _ => return Ok(None),
    };
    let event_node = event.as_ref();
    let (Some(id), Some(kind), Some(payload), Some(at)) = (
        value(store, event_node, ag::EVENT_ID)?,
        value(store, event_node, ag::EVENT_TYPE)?,
        value(store, event_node, ag::PAYLOAD)?,
        value(store, event_node, prov::GENERATED_AT_TIME)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Delivery {
        iri: node.into_owned(),
        subscription,
        event: Event {
            id,
            kind,
            occurred_at: at,
            data: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        },
        attempts: value(store, node, ag::ATTEMPTS)?
            .and_then(|a| a.parse().ok())
            .unwrap_or(0),
    }))
}

fn is_stored(store: &Store, node: &NamedNode, class: NamedNodeRef<'_>) -> Result<bool> {
    Ok(store.db().contains(oxigraph::model::QuadRef::new(
        node,
        rdf::TYPE,
        class,
        NamedNodeRef::new_unchecked(graphs::OUTBOX),
    ))?)
}

fn first_object(store: &Store, node: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Option<Term>> {
    Ok(store
        .db()
        .quads_for_pattern(Some(node.into()), Some(predicate), None, Some(outbox().as_ref().into()))
        .next()
        .transpose()?
        .map(|q| q.object))
}

fn value(store: &Store, node: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Option<String>> {
    Ok(first_object(store, node, predicate)?.and_then(|term| match term {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.into_string()),
        _ => None,
    }))
}

fn triples_of(store: &Store, node: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Vec<Triple>> {
    store
        .db()
        .quads_for_pattern(Some(node.into()), Some(predicate), None, Some(outbox().as_ref().into()))
        .map(|q| Ok(Triple::from(q?)))
        .collect()
}

fn integer(n: u64) -> Literal {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_an_hmac_of_timestamp_and_body() {
        // Computed independently, with Python's hmac module.
        assert_eq!(
            signature("s3cret", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
        );
    }

    #[test]
    fn due_deliveries_come_oldest_first_from_a_scan_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let subscription = Subscription {
            name: "dam".into(),
            url: "https://dam.example/hook".into(),
            secret: "a-secret-of-some-length".into(),
            events: vec!["*".into()],
            tenant: None,
        };
        let subscriptions = Subscriptions::new(vec![subscription], None, vec!["dam.example".into()]).unwrap();
        // Enqueued out of time order, seconds and years apart.
        let base = 1_790_000_000;
        let offsets = [50, 10, 40, 20, 30, 400_000_000, 1, 35];
        for offset in offsets {
            let event = Event::new(
                format!("test:{offset}"),
                "licence.expiring",
                base,
                serde_json::json!({}),
            );
            enqueue(&store, vec![event], &subscriptions, None, base + offset).unwrap();
        }
        let times: Vec<i64> = store
            .db()
            .quads_for_pattern(None, Some(ag::NEXT_ATTEMPT), None, Some(outbox().as_ref().into()))
            .map(|q| match q.unwrap().object {
                Term::Literal(time) => crate::rdf::time::parse(time.value()).unwrap(),
                other => panic!("{other} is not a time"),
            })
            .collect();
        let mut sorted = times.clone();
        sorted.sort_unstable();
        assert_eq!(
            times, sorted,
            "the store no longer returns times in order; `due` scans everything"
        );

        let ids = |deliveries: Vec<Delivery>| deliveries.into_iter().map(|d| d.event.id).collect::<Vec<_>>();
        assert_eq!(
            ids(due(&store, base + 35, 10).unwrap()),
            ["test:1", "test:10", "test:20", "test:30", "test:35"]
        );
        assert_eq!(ids(due(&store, base + 35, 2).unwrap()), ["test:1", "test:10"]);
        assert!(due(&store, base, 10).unwrap().is_empty());
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter() {
        let retry = Retry {
            base_ms: 1000,
            max_attempts: 8,
        };
        for attempts in 1..10 {
            let ceiling = (1000u64 << (attempts - 1)).min(MAX_DELAY_MS);
            let delay = retry.delay_ms(attempts);
            assert!(delay >= ceiling / 2 && delay <= ceiling, "{attempts}: {delay}");
        }
    }
}
