//! Usage events: what integrators report of the use of assets (view,
//! download, publish, distribute), each checked against the asset's
//! clearance at the moment of the event.
//!
//! # Model
//! One `ag:UsageEvent` (a `prov:Activity`) per event, in the append-only
//! usage graph of the recording tenant (`urn:assetgraph:graph:usage` for
//! `default`, `urn:assetgraph:tenant-usage:{tenant}` for the others, so
//! that each tenant's analysts query their own):
//!
//! ```turtle
//! <urn:assetgraph:usage:EVENT> a ag:UsageEvent ;
//!     prov:used <urn:assetgraph:asset:smintio:88120> ; ag:action "download" ;
//!     prov:startedAtTime "2026-11-02T10:00:00Z"^^xsd:dateTime ;
//!     prov:wasAssociatedWith <urn:assetgraph:user:alice> ;
//!     ag:usageTerritory "DE" ; ag:usageChannel "web" ; ag:campaign "spring" ;
//!     ag:withinTerms true ; ag:decidingRule "admitted" ;
//!     ag:decidingSource "urn:assetgraph:asset:smintio:88120#grant-1" ;
//!     ag:decision "every constraint of this grant holds" .
//! <urn:assetgraph:user:alice> a prov:Agent ; rdfs:label "alice" .
//! ```
//!
//! `ag:UsageEvent` is a subclass of `prov:Activity` in the ontology; the
//! superclass is not repeated on every event, because each triple is
//! written to six indexes and usage is the store's fastest growing graph.
//!
//! # Decisions
//! The context of an event is its moment and the territory, channel,
//! usage, audience, industry and language it names; the clearance engine
//! answers for that context exactly as search does, and the event records
//! whether it stayed within the terms and the grant that admitted it or the
//! rule that blocked it. Rights are looked up through [`RightsOf`]: the
//! search index keeps every asset's compiled rights in memory, in step with
//! the store, which is what lets a batch of a thousand events be decided in
//! a few milliseconds.
//!
//! # Download limits
//! A download of an asset whose licence limits downloads appends
//! `<asset> ag:downloadRecorded <event>` to the asset's tally graph
//! (`urn:assetgraph:downloads:…`); the rights engine adds those to the
//! downloads the source reported, so the download that uses up the limit
//! blocks the asset in search at once. Downloads earlier in the same batch
//! count for the later ones.
//!
//! # Idempotence
//! An event is named by the client's `id`, or else by a digest of what it
//! says. An event whose name is already stored is reported as a
//! `duplicate` and not written again, so a client may resend a batch after
//! a timeout without counting anything twice. Whether a name is stored is
//! asked of the store's filter of event types (see
//! [`WriteView::mentions_by_marker`]): a new event costs no disk lookup.
//!
//! Download tallies reach the search index as counts: it adds them to the
//! asset's rights in memory and rewrites the asset's document only when
//! the limit is used up.
//!
//! # Checks before decisions
//! Every event of a batch is checked (its time, its asset, its context)
//! before any is decided, so that a batch refused under `on_error=reject`
//! has decided nothing; a failing store fails the batch as a whole rather
//! than being reported as an invalid event.

mod parse;

pub use parse::{check_user, parse_batch, Action, UsageEvent};

use crate::error::RecordError;
use crate::error::{Error, Result};
use crate::rights::{AssetRights, Context, RightsOf, Territories, DIMENSIONS};
use crate::store::{Change, GraphWrite, Store, WriteView};
use crate::vocab::{ag, graphs, prov, rdfs};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Triple};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How a batch with invalid events is handled (as for record ingest).
pub use crate::assets::OnError;

/// Who records a batch.
pub struct Recording<'a> {
    pub actor: &'a str,
    pub tenant: &'a str,
    /// The tenants whose assets the reporter sees (`None`: every tenant's):
    /// an event on another tenant's asset is refused as one on an asset
    /// that is not held.
    pub sees: Option<&'a [String]>,
    pub on_error: OnError,
    /// The time events without one are given, and the bound on how far in
    /// the future an event may claim to be (clock skew).
    pub now: i64,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventOutcome {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `recorded`, `duplicate` or `rejected`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_terms: Option<bool>,
    /// The rule that decided: `admitted`, `downloads-exhausted`, `holdback`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The grant that admitted the use, or the restriction that blocked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct UsageReport {
    pub events: usize,
    pub recorded: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub within_terms: usize,
    pub outside_terms: usize,
    /// The store generation after the batch.
    pub generation: u64,
    pub outcomes: Vec<EventOutcome>,
}

/// The verdict on one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub within_terms: bool,
    pub rule: &'static str,
    pub source: Option<String>,
    pub detail: String,
}

/// Checks a batch of parsed events against clearance and stores it in one
/// write. Invalid events (parse errors, unknown assets or keys) are handled
/// by [`OnError`]; with `Reject`, nothing of the batch is stored.
pub fn record(
    store: &Store,
    events: Vec<std::result::Result<UsageEvent, RecordError>>,
    rights: &dyn RightsOf,
    how: &Recording<'_>,
) -> Result<UsageReport> {
    let (receipt, outcomes) = store.write(|view| {
        let mut batch = Batch::new(NamedNode::new_unchecked(graphs::usage_of(how.tenant)));
        let outcomes = batch.take_all(view, events, rights, how)?;
        let change = Change {
            actor: how.actor.to_owned(),
            operation: "usage.record".into(),
            tenant: how.tenant.to_owned(),
            note: Some(format!("{} usage event(s)", batch.recorded)),
            writes: batch.into_writes(),
        };
        Ok((change, outcomes))
    })?;
    Ok(UsageReport::of(outcomes, receipt.generation))
}

impl UsageReport {
    fn of(outcomes: Vec<EventOutcome>, generation: u64) -> Self {
        let mut report = UsageReport {
            events: outcomes.len(),
            generation,
            ..Default::default()
        };
        for outcome in &outcomes {
            match (outcome.outcome, outcome.within_terms) {
                ("recorded", Some(true)) => report.within_terms += 1,
                ("recorded", _) => report.outside_terms += 1,
                ("duplicate", _) => report.duplicates += 1,
                _ => report.rejected += 1,
            }
        }
        report.recorded = report.within_terms + report.outside_terms;
        report.outcomes = outcomes;
        report
    }
}

/// The events of a batch being decided, and what they will write.
struct Batch {
    /// The recording tenant's usage graph.
    graph: NamedNode,
    recorded: usize,
    usage: Vec<Triple>,
    /// Per asset with a download limit: the downloads of this batch.
    downloads: HashMap<NamedNode, Vec<NamedNode>>,
    /// Event names taken in this batch (a resent event within one batch).
    names: HashSet<NamedNode>,
    users: HashSet<String>,
    /// Rights looked up in this batch, per asset.
    rights: HashMap<NamedNode, Option<AssetRights>>,
}

impl Batch {
    fn new(graph: NamedNode) -> Self {
        Batch {
            graph,
            recorded: 0,
            usage: Vec::new(),
            downloads: HashMap::new(),
            names: HashSet::new(),
            users: HashSet::new(),
            rights: HashMap::new(),
        }
    }
}

/// An event that passed its checks, ready to be decided.
struct Checked {
    index: usize,
    event: UsageEvent,
    at: i64,
    asset: NamedNode,
    context: Context,
}

impl Batch {
    /// Checks every event, then decides and takes those that passed: all
    /// of them, or with `Reject` none if one failed. A failing store fails
    /// the write whatever the setting.
    fn take_all(
        &mut self,
        view: &WriteView<'_>,
        events: Vec<std::result::Result<UsageEvent, RecordError>>,
        rights: &dyn RightsOf,
        how: &Recording<'_>,
    ) -> Result<Vec<EventOutcome>> {
        let checked: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(index, event)| match event {
                Ok(event) => self.check(index, event, view.store(), rights, how),
                Err(error) => Ok(Err(error)),
            })
            .collect::<Result<_>>()?;
        let errors: Vec<RecordError> = checked.iter().filter_map(|c| c.as_ref().err().cloned()).collect();
        if !errors.is_empty() && how.on_error == OnError::Reject {
            return Err(Error::Records {
                system: "usage".into(),
                errors,
            });
        }
        checked
            .into_iter()
            .map(|checked| match checked {
                Ok(checked) => self.admit(view, checked),
                Err(error) => Ok(EventOutcome::rejected(&error)),
            })
            .collect()
    }

    /// What can be refused of one event, whatever the rest of the batch
    /// holds: its time, its asset, its context. (The outer error is the
    /// store failing to tell the asset's rights.)
    fn check(
        &mut self,
        index: usize,
        event: UsageEvent,
        store: &Store,
        rights: &dyn RightsOf,
        how: &Recording<'_>,
    ) -> Result<std::result::Result<Checked, RecordError>> {
        let now = how.now;
        let fail = |field: &str, message: String| RecordError {
            index,
            id: event.id.clone(),
            field: field.to_owned(),
            message,
        };
        let at = event.at.unwrap_or(now);
        if at > now + MAX_CLOCK_SKEW {
            return Ok(Err(fail(
                "at",
                "is more than a day in the future; send the time the asset was used".into(),
            )));
        }
        let asset = crate::rdf::asset_iri(&event.asset);
        if !self.rights.contains_key(&asset) {
            let found = rights.rights_of(&asset)?;
            self.rights.insert(asset.clone(), found);
        }
        let hidden = match how.sees {
            Some(tenants) => !tenants.contains(&store.graph_owner(asset.as_ref())?),
            None => false,
        };
        if hidden || self.rights[&asset].is_none() {
            return Ok(Err(fail(
                "asset",
                format!(
                    "no asset '{}' is held; send the id the asset has here (smintio:…, rightsline:…)",
                    event.asset
                ),
            )));
        }
        let context = match event.context(at) {
            Ok(context) => context,
            Err((field, message)) => return Ok(Err(fail(&field, message))),
        };
        Ok(Ok(Checked {
            index,
            event,
            at,
            asset,
            context,
        }))
    }

    /// Decides a checked event, unless it is already recorded, and adds
    /// what it writes: the event, its user the first time, its download.
    fn admit(&mut self, view: &WriteView<'_>, checked: Checked) -> Result<EventOutcome> {
        let Checked {
            index,
            event,
            at,
            asset,
            context,
        } = checked;
        let name = event_iri(&event, at);
        let id = name.as_str().trim_start_matches(EVENT_PREFIX).to_owned();
        let duplicate = !self.names.insert(name.clone())
            || view.mentions_by_marker(
                self.graph.as_ref().into(),
                &Triple::new(name.clone(), rdf::TYPE, ag::USAGE_EVENT),
            )?;
        if duplicate {
            return Ok(EventOutcome::duplicate(index, id));
        }
        let compiled = self.rights[&asset].as_ref().expect("checked events name held assets");
        // Downloads earlier in this batch count: only then is a copy needed.
        let earlier = self.downloads.get(&asset).map_or(0, Vec::len) as u32;
        let adjusted;
        let compiled = match compiled.downloads {
            Some((used, allowed)) if earlier > 0 => {
                let mut copy = compiled.clone();
                copy.downloads = Some((used + earlier, allowed));
                adjusted = copy;
                &adjusted
            }
            _ => compiled,
        };
        let limited = compiled.downloads.is_some();
        let decision = decide(compiled, &context);
        if event.action == Action::Download && limited {
            self.downloads.entry(asset.clone()).or_default().push(name.clone());
        }
        if self.users.insert(event.user.clone()) {
            let user = user_iri(&event.user);
            let agent = Triple::new(user.clone(), rdf::TYPE, prov::AGENT);
            if !view.mentions_by_marker(self.graph.as_ref().into(), &agent)? {
                self.usage.push(agent);
                self.usage
                    .push(Triple::new(user, rdfs::LABEL, Literal::new_simple_literal(&event.user)));
            }
        }
        self.usage.extend(event_triples(&name, &asset, &event, at, &decision));
        self.recorded += 1;
        Ok(EventOutcome::recorded(index, id, decision))
    }

    fn into_writes(self) -> Vec<GraphWrite> {
        let mut writes = vec![GraphWrite::Merge {
            graph: self.graph,
            kind: "usage",
            triples: self.usage,
        }];
        for (asset, events) in self.downloads {
            let triples = events
                .into_iter()
                .map(|event| Triple::new(asset.clone(), ag::DOWNLOAD_RECORDED, event))
                .collect();
            writes.push(GraphWrite::Merge {
                graph: NamedNode::new_unchecked(graphs::downloads(asset.as_str())),
                kind: "downloads",
                triples,
            });
        }
        writes
    }
}

/// How far ahead of the service's clock an event may be dated.
const MAX_CLOCK_SKEW: i64 = 24 * 3600;

const EVENT_PREFIX: &str = "urn:assetgraph:usage:";

/// The verdict of the clearance engine on a use, with the rule that decided.
pub fn decide(rights: &AssetRights, context: &Context) -> Decision {
    let clearance = rights.explain(context, Territories::global());
    let pick = |rule: &str| clearance.reasons.iter().find(|r| r.rule == rule);
    let deciding = if clearance.cleared {
        pick("admitted")
    } else {
        BLOCKING_ORDER
            .iter()
            .find_map(|rule| pick(rule))
            .or_else(|| clearance.reasons.iter().find(|r| r.rule != "admitted"))
    };
    match deciding {
        Some(reason) => Decision {
            within_terms: clearance.cleared,
            rule: reason.rule,
            source: reason.source.clone(),
            detail: reason.detail.clone(),
        },
        None => Decision {
            within_terms: clearance.cleared,
            rule: if clearance.cleared { "admitted" } else { "no-grant" },
            source: None,
            detail: String::new(),
        },
    }
}

/// Which reason names a refusal when there are several: what blocks the
/// asset outright before a grant that merely does not fit.
const BLOCKING_ORDER: [&str; 7] = [
    "cancelled",
    "editorial-only",
    "downloads-exhausted",
    "exclusive-rights-out",
    "holdback",
    "restricted",
    "unknown-key",
];

/// The IRI of a user who used an asset.
pub(crate) fn user_iri(user: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:user:{}", crate::rdf::percent_encode(user)))
}

/// The event's name: the client's id, or a digest of what it says (the
/// same report sent twice is the same event).
fn event_iri(event: &UsageEvent, at: i64) -> NamedNode {
    use sha2::{Digest, Sha256};
    let id = match &event.id {
        Some(id) => crate::rdf::percent_encode(id),
        None => {
            let mut digest = Sha256::new();
            for part in [
                event.asset.as_str(),
                event.user.as_str(),
                event.action.name(),
                &at.to_string(),
                event.campaign.as_deref().unwrap_or(""),
            ]
            .into_iter()
            .chain(event.dimensions.iter().map(|v| v.as_deref().unwrap_or("")))
            {
                digest.update(part.as_bytes());
                digest.update([0x1f]);
            }
            format!("d-{}", hex::encode(&digest.finalize()[..16]))
        }
    };
    NamedNode::new_unchecked(format!("{EVENT_PREFIX}{id}"))
}

fn event_triples(name: &NamedNode, asset: &NamedNode, event: &UsageEvent, at: i64, decision: &Decision) -> Vec<Triple> {
    let text = Literal::new_simple_literal;
    let mut triples = vec![
        Triple::new(name.clone(), rdf::TYPE, ag::USAGE_EVENT),
        Triple::new(name.clone(), prov::USED, asset.clone()),
        Triple::new(name.clone(), ag::ACTION, text(event.action.name())),
        Triple::new(name.clone(), prov::STARTED_AT_TIME, crate::rdf::time::literal(at)),
        Triple::new(name.clone(), prov::WAS_ASSOCIATED_WITH, user_iri(&event.user)),
        Triple::new(name.clone(), ag::WITHIN_TERMS, Literal::from(decision.within_terms)),
        Triple::new(name.clone(), ag::DECIDING_RULE, text(decision.rule)),
        // The detail alone, not joined with the rule and grant: events
        // decided alike then share one stored string.
        Triple::new(name.clone(), ag::DECISION, text(&decision.detail)),
    ];
    if let Some(source) = &decision.source {
        triples.push(Triple::new(name.clone(), ag::DECIDING_SOURCE, text(source)));
    }
    for (predicate, value) in DIMENSIONS.iter().map(|d| d.usage_property()).zip(&event.dimensions) {
        if let Some(value) = value {
            triples.push(Triple::new(name.clone(), predicate, text(value)));
        }
    }
    if let Some(campaign) = &event.campaign {
        triples.push(Triple::new(name.clone(), ag::CAMPAIGN, text(campaign)));
    }
    if let Some(quantity) = event.quantity {
        triples.push(Triple::new(
            name.clone(),
            ag::QUANTITY,
            Literal::new_typed_literal(quantity.to_string(), xsd::INTEGER),
        ));
    }
    triples
}

impl EventOutcome {
    fn recorded(index: usize, id: String, decision: Decision) -> Self {
        EventOutcome {
            index,
            id: Some(id),
            outcome: "recorded",
            within_terms: Some(decision.within_terms),
            rule: Some(decision.rule),
            source: decision.source,
            detail: Some(decision.detail),
            field: None,
        }
    }

    fn duplicate(index: usize, id: String) -> Self {
        EventOutcome {
            index,
            id: Some(id),
            outcome: "duplicate",
            within_terms: None,
            rule: None,
            source: None,
            detail: Some("an event of this id is already recorded; it was not counted again".into()),
            field: None,
        }
    }

    fn rejected(error: &RecordError) -> Self {
        EventOutcome {
            index: error.index,
            id: error.id.clone(),
            outcome: "rejected",
            within_terms: None,
            rule: None,
            source: None,
            detail: Some(error.message.clone()),
            field: Some(error.field.clone()),
        }
    }
}
