//! The scheduler's work: turning the clock and the change feed into
//! webhook events, enqueued with the cursor that says how far it got — in
//! the same commit, so that a restart neither loses nor repeats a step.
//!
//! From the clock, for every asset (the rights the index holds):
//!
//! - `licence.expiring` — cleared now, no longer cleared within the
//!   horizon; named by asset and moment, so it is raised once per ending;
//! - `licence.expired` — a grant whose term ended since the last tick;
//! - `asset.blocked` / `asset.cleared` — the asset stopped or started being
//!   cleared for any use at a moment since the last tick (a term ending or
//!   starting).
//!
//! From the change feed (the audit trail, generation after generation):
//! `taxonomy.updated` for every committed taxonomy push, with its summary;
//! and `asset.blocked` / `asset.cleared` when a write (a record cancelled,
//! a right withdrawn, the last allowed download) changed whether an asset
//! is cleared for any use. The scheduler remembers, with the events,
//! whether each asset was cleared when it last looked; its first tick
//! looks at every asset and raises nothing (history is not replayed).

use crate::error::Result;
use crate::rights::{AssetRights, Context, RightsOf, Territories};
use crate::store::Store;
use crate::vocab::{ag, graphs, prov, rdfs};
use crate::webhooks::{self, Cursor, Event, Subscriptions};
use oxigraph::model::{NamedNode, NamedNodeRef, Term};
use serde_json::json;

/// What the scheduler found on one tick, and the cursor after it.
pub struct Tick {
    pub events: Vec<Event>,
    pub cursor: Cursor,
    /// Whether each asset looked at is cleared for any use now.
    pub states: Vec<(NamedNode, bool)>,
}

/// Finds the events since the stored cursor. `clock` reads the clock too
/// (else only the change feed is read).
pub fn tick(store: &Store, rights: &dyn RightsOf, now: i64, horizon: i64, clock: bool) -> Result<Tick> {
    let mut cursor = webhooks::cursor(store)?;
    let mut events = Vec::new();
    let mut states = Vec::new();
    let generation = store.generation();
    if let Some(since) = cursor.generation {
        let (taxonomy, assets) = change_feed(store, since, generation)?;
        events.extend(taxonomy);
        for (asset, changed_in) in assets {
            let Some(compiled) = rights.rights_of(&asset)? else {
                continue;
            };
            let cleared = compiled.is_cleared(&Context::at(now), Territories::global());
            if webhooks::announced(store, &asset)? == Some(!cleared) {
                events.push(clearance_event(&asset, cleared, now, &format!("g{changed_in}")));
            }
            states.push((asset, cleared));
        }
    }
    if cursor.generation.is_none() {
        // The first tick: what every asset is now, to compare later writes with.
        for asset in crate::records::graphs(store)? {
            if let Some(compiled) = rights.rights_of(&asset)? {
                let cleared = compiled.is_cleared(&Context::at(now), Territories::global());
                states.push((asset, cleared));
            }
        }
    }
    cursor.generation = Some(generation);
    if clock {
        let found = clock_events(store, rights, cursor.clock, now, horizon)?;
        for event in &found {
            if let (Some(asset), Some(cleared)) = (event.data["asset"].as_str(), event.data["cleared"].as_bool()) {
                states.push((crate::rdf::asset_iri(asset), cleared));
            }
        }
        events.extend(found);
        cursor.clock = Some(now);
    }
    Ok(Tick { events, cursor, states })
}

/// `asset.blocked` or `asset.cleared`, named by the asset and `when` (the
/// moment or the generation that changed it).
fn clearance_event(asset: &NamedNode, cleared: bool, at: i64, when: &str) -> Event {
    let kind = if cleared { "asset.cleared" } else { "asset.blocked" };
    let id = crate::rdf::asset_id(asset.as_str());
    Event::new(
        format!("{kind}:{id}:{when}"),
        kind,
        at,
        json!({"asset": id, "at": crate::rdf::time::rfc3339(at), "cleared": cleared}),
    )
}

/// Runs a tick and enqueues what it found; the ids enqueued. With no
/// subscription nothing is looked at or written: an event nobody hears is
/// not worth a commit (and its audit entry) after every write.
pub fn run_tick(
    store: &Store,
    rights: &dyn RightsOf,
    subscriptions: &Subscriptions,
    now: i64,
    horizon: i64,
    clock: bool,
) -> Result<Vec<String>> {
    if subscriptions.is_empty() {
        webhooks::forget_cursor(store)?;
        return Ok(Vec::new());
    }
    let tick = tick(store, rights, now, horizon, clock)?;
    if tick.events.is_empty() && tick.states.is_empty() && webhooks::cursor(store)? == tick.cursor {
        return Ok(Vec::new());
    }
    webhooks::enqueue_with_states(store, tick.events, subscriptions, Some(tick.cursor), &tick.states, now)
}

/// The clock's events between `since` (exclusive) and `now` (inclusive).
pub(crate) fn clock_events(
    store: &Store,
    rights: &dyn RightsOf,
    since: Option<i64>,
    now: i64,
    horizon: i64,
) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    for graph in crate::records::graphs(store)? {
        let Some(compiled) = rights.rights_of(&graph)? else {
            continue;
        };
        let asset = crate::rdf::asset_id(graph.as_str());
        if let Some(ends) = super::clearance_ends(&compiled, &Context::at(now), now + horizon) {
            events.push(Event::new(
                format!("licence.expiring:{asset}:{ends}"),
                "licence.expiring",
                now,
                json!({"asset": asset, "ends": crate::rdf::time::rfc3339(ends), "grants": ending_grants(&compiled, ends)}),
            ));
        }
        let Some(since) = since else { continue };
        for until in ended_terms(&compiled, since, now) {
            events.push(Event::new(
                format!("licence.expired:{asset}:{until}"),
                "licence.expired",
                until,
                json!({"asset": asset, "ended": crate::rdf::time::rfc3339(until), "grants": ending_grants(&compiled, until)}),
            ));
        }
        for (at, cleared) in flips(&compiled, since, now) {
            events.push(clearance_event(&graph, cleared, at, &at.to_string()));
        }
    }
    Ok(events)
}

fn ending_grants(rights: &AssetRights, at: i64) -> Vec<String> {
    rights
        .grants
        .iter()
        .filter(|g| g.term.until == Some(at))
        .map(|g| g.id.clone())
        .collect()
}

/// The ends of grant terms in `(since, now]`.
fn ended_terms(rights: &AssetRights, since: i64, now: i64) -> Vec<i64> {
    let mut ends: Vec<i64> = (rights.grants.iter())
        .filter_map(|g| g.term.until)
        .filter(|&until| until > since && until <= now)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// The moments in `(since, now]` at which being cleared for any use
/// changed, with the new answer.
fn flips(rights: &AssetRights, since: i64, now: i64) -> Vec<(i64, bool)> {
    let territories = Territories::global();
    let mut flips = Vec::new();
    let mut cleared = rights.is_cleared(&Context::at(since), territories);
    let mut at = since;
    while let Some(next) = rights.next_change_after(at).filter(|&t| t <= now) {
        let now_cleared = rights.is_cleared(&Context::at(next), territories);
        if now_cleared != cleared {
            flips.push((next, now_cleared));
            cleared = now_cleared;
        }
        at = next;
    }
    flips
}

/// Assets with the last generation that changed each.
type ChangedAssets = Vec<(NamedNode, u64)>;

/// The change feed in `(since, until]`: `taxonomy.updated` for every
/// taxonomy commit, and the assets whose record or downloads changed, with
/// the last generation that changed each.
fn change_feed(store: &Store, since: u64, until: u64) -> Result<(Vec<Event>, ChangedAssets)> {
    let audit = NamedNodeRef::new_unchecked(graphs::AUDIT);
    let objects = |subject: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>| -> Result<Vec<Term>> {
        store
            .db()
            .quads_for_pattern(Some(subject.into()), Some(predicate), None, Some(audit.into()))
            .map(|q| Ok(q?.object))
            .collect()
    };
    let value = |subject: NamedNodeRef<'_>, predicate: NamedNodeRef<'_>| -> Result<Option<Term>> {
        Ok(objects(subject, predicate)?.into_iter().next())
    };
    let text = |term: Option<Term>| match term {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        _ => None,
    };
    let mut events = Vec::new();
    let mut assets: std::collections::BTreeMap<String, u64> = Default::default();
    for generation in since + 1..=until {
        let change = NamedNode::new_unchecked(graphs::audit_entry(generation));
        let Some(operation) = text(value(change.as_ref(), ag::OPERATION)?) else {
            continue;
        };
        for part in objects(change.as_ref(), ag::GRAPH_CHANGE)? {
            let Term::NamedNode(part) = part else { continue };
            if let Some(Term::NamedNode(graph)) = value(part.as_ref(), ag::CHANGED_GRAPH)? {
                let asset = match graphs::asset_of_downloads(graph.as_str()) {
                    Some(asset) => Some(asset),
                    None => graph
                        .as_str()
                        .starts_with(graphs::ASSET_PREFIX)
                        .then(|| graph.into_string()),
                };
                if let Some(asset) = asset {
                    assets.insert(asset, generation);
                }
            }
        }
        if !operation.starts_with("taxonomy.") {
            continue;
        }
        let at = text(value(change.as_ref(), prov::ENDED_AT_TIME)?)
            .and_then(|t| crate::rdf::time::parse(&t))
            .unwrap_or_default();
        let summary = text(value(change.as_ref(), rdfs::COMMENT)?);
        let who = match value(change.as_ref(), prov::WAS_ASSOCIATED_WITH)? {
            Some(Term::NamedNode(agent)) => text(value(agent.as_ref(), rdfs::LABEL)?),
            _ => None,
        };
        events.push(Event::new(
            format!("taxonomy.updated:{generation}"),
            "taxonomy.updated",
            at,
            json!({"generation": generation, "operation": operation, "summary": summary, "by": who}),
        ));
    }
    let assets = assets
        .into_iter()
        .map(|(asset, generation)| (NamedNode::new_unchecked(asset), generation))
        .collect();
    Ok((events, assets))
}
