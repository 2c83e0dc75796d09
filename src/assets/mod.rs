//! Assets: upserting mapped records through the write path, and deleting
//! them. Reading them back is [`crate::records`].
//!
//! Every record lives in its own named graph (the asset's IRI), so an upsert
//! is "replace this graph" and a delete is "drop this graph". A batch is
//! committed as **one** store transaction with one audit entry: either every
//! record's graph is written or none is. Invalid records are handled by
//! [`OnError`]: `Reject` (the default) refuses the whole batch and stores
//! nothing; `Skip` stores the valid records and reports each invalid one.
//!
//! Each record gets an outcome: `created`, `updated`, `unchanged` (the same
//! triples: nothing is written, no audit entry), `stale` (the source's
//! version stamp is older than the one stored: nothing is written),
//! `deleted`, `absent` (a delete of something not held), `skipped` (the
//! source said not to sync it), `superseded` (a later record of the same
//! batch has the same id) or `rejected`.

use crate::error::RecordError;
use crate::error::{Error, Result};
use crate::ingest::{self, Action, Mapped, RecordResult, Stamp};
use crate::store::{Change, GraphWrite, Store, WriteView};
use crate::vocab::ag;
use oxigraph::model::{NamedNode, Term, Triple};
use serde::Serialize;
use std::collections::HashSet;

/// What to do with the invalid records of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Store nothing if any record is invalid.
    #[default]
    Reject,
    /// Store the valid records; report the invalid ones.
    Skip,
}

/// Who ingests, for the registry and the audit trail.
pub struct Ingest<'a> {
    pub source: ingest::Source,
    pub actor: &'a str,
    pub tenant: &'a str,
    pub on_error: OnError,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordOutcome {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct IngestReport {
    pub source: String,
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Deletions of records not held.
    pub absent: usize,
    pub stale: usize,
    pub skipped: usize,
    pub rejected: usize,
    /// The store generation after the batch.
    pub generation: u64,
    pub outcomes: Vec<RecordOutcome>,
}

/// Writes a mapped batch: validates, then one transaction for all records.
pub fn upsert(store: &Store, records: Vec<RecordResult>, how: &Ingest<'_>) -> Result<IngestReport> {
    let errors: Vec<RecordError> = records.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
    if !errors.is_empty() && how.on_error == OnError::Reject {
        return Err(Error::Records {
            system: how.source.name().to_owned(),
            errors,
        });
    }
    let total = records.len();
    let mut outcomes: Vec<Option<RecordOutcome>> = vec![None; total];
    let mut pending: Vec<(usize, Mapped)> = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        match record {
            Ok(mapped) => pending.push((index, mapped)),
            Err(e) => {
                outcomes[index] = Some(RecordOutcome {
                    index,
                    id: e.id,
                    outcome: "rejected",
                    field: Some(e.field),
                    message: Some(e.message),
                })
            }
        }
    }
    // The last record of an id wins; earlier ones are superseded.
    let mut seen = HashSet::new();
    let mut latest = Vec::with_capacity(pending.len());
    for (index, mapped) in pending.into_iter().rev() {
        if seen.insert(mapped.id.clone()) {
            latest.push((index, mapped));
        } else {
            outcomes[index] = Some(outcome(index, &mapped.id, "superseded"));
        }
    }
    latest.reverse();

    let source = how.source.name();
    let (receipt, decided) = store.write(|view| {
        let mut writes = Vec::new();
        let mut decided = Vec::with_capacity(latest.len());
        for (index, mapped) in latest {
            let (verdict, mut graph_writes) = decide(view, &mapped.id, mapped.stamp, mapped.action)?;
            writes.append(&mut graph_writes);
            decided.push(outcome(index, &mapped.id, verdict));
        }
        let change = Change {
            actor: how.actor.to_owned(),
            operation: format!("assets.ingest.{source}"),
            tenant: how.tenant.to_owned(),
            note: Some(format!("{total} record(s) from {source}")),
            writes,
        };
        Ok((change, decided))
    })?;
    for o in decided {
        let index = o.index;
        outcomes[index] = Some(o);
    }
    let outcomes: Vec<RecordOutcome> = outcomes.into_iter().flatten().collect();
    let count = |name: &str| outcomes.iter().filter(|o| o.outcome == name).count();
    Ok(IngestReport {
        source: source.to_owned(),
        records: total,
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        deleted: count("deleted"),
        absent: count("absent"),
        stale: count("stale"),
        skipped: count("skipped") + count("superseded"),
        rejected: count("rejected"),
        generation: receipt.generation,
        outcomes,
    })
}

fn outcome(index: usize, id: &str, verdict: &'static str) -> RecordOutcome {
    RecordOutcome {
        index,
        id: Some(id.to_owned()),
        outcome: verdict,
        field: None,
        message: None,
    }
}

/// What one record does to the store, given what the store holds.
/// Consumes the record's triples: a batch is not copied on its way to the store.
fn decide(
    view: &WriteView<'_>,
    id: &str,
    stamp: Option<Stamp>,
    action: Action,
) -> Result<(&'static str, Vec<GraphWrite>)> {
    let graph = crate::rdf::asset_iri(id);
    match action {
        Action::Skip(_) => Ok(("skipped", Vec::new())),
        Action::Delete => {
            let exists = view.store().db().contains_named_graph(&graph)?;
            Ok(if exists {
                ("deleted", vec![GraphWrite::Drop { graph }])
            } else {
                ("absent", Vec::new())
            })
        }
        Action::DeletePath(path) => {
            let graphs = graphs_at_path(view.store(), &path)?;
            Ok(if graphs.is_empty() {
                ("absent", Vec::new())
            } else {
                (
                    "deleted",
                    graphs.into_iter().map(|graph| GraphWrite::Drop { graph }).collect(),
                )
            })
        }
        Action::Upsert(mut record) => {
            let store = view.store();
            let digest = record_digest(&record);
            record.push(Triple::new(
                graph.clone(),
                ag::RECORD_DIGEST,
                oxigraph::model::Literal::new_simple_literal(&digest),
            ));
            let write = vec![GraphWrite::Replace {
                graph: graph.clone(),
                kind: "asset",
                triples: record,
            }];
            if !store.db().contains_named_graph(&graph)? {
                return Ok(("created", write));
            }
            // One quad each instead of decoding the whole stored graph: an
            // unchanged re-ingest (the common case of a sync) reads two values.
            if stored_value(store, &graph, ag::RECORD_DIGEST)?.is_some_and(|l| l.value() == digest) {
                return Ok(("unchanged", Vec::new()));
            }
            let stored = stored_value(store, &graph, ag::SOURCE_VERSION)?.and_then(|l| Stamp::from_literal(&l));
            if let (Some(new), Some(stored)) = (stamp, stored) {
                if new.is_older_than(stored) {
                    return Ok(("stale", Vec::new()));
                }
            }
            Ok(("updated", write))
        }
    }
}

/// A digest of a record's triples, independent of their order and repetition:
/// each triple is hashed on its own, and the sorted distinct hashes are
/// hashed again (cheaper than sorting the triples' text).
fn record_digest(triples: &[Triple]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let mut line = String::new();
    let mut hashes: Vec<[u8; 32]> = triples
        .iter()
        .map(|t| {
            line.clear();
            write!(line, "{t}").expect("writing to a String cannot fail");
            Sha256::digest(line.as_bytes()).into()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut hasher = Sha256::new();
    for hash in &hashes {
        hasher.update(hash);
    }
    hex::encode(hasher.finalize())
}

/// The value of a record's property, read as one quad.
fn stored_value(
    store: &Store,
    graph: &NamedNode,
    predicate: oxigraph::model::NamedNodeRef<'_>,
) -> Result<Option<oxigraph::model::Literal>> {
    let found = store
        .db()
        .quads_for_pattern(
            Some(graph.as_ref().into()),
            Some(predicate),
            None,
            Some(graph.as_ref().into()),
        )
        .next()
        .transpose()?;
    Ok(found.and_then(|q| match q.object {
        Term::Literal(l) => Some(l),
        _ => None,
    }))
}

/// Graphs of records at a path or under it (Dropbox deletions).
fn graphs_at_path(store: &Store, path: &str) -> Result<Vec<NamedNode>> {
    let under = format!("{path}/");
    let mut out = Vec::new();
    for quad in store
        .db()
        .quads_for_pattern(None, Some(ag::term("pathLower").as_ref()), None, None)
    {
        let quad = quad?;
        let oxigraph::model::GraphName::NamedNode(graph) = quad.graph_name else {
            continue;
        };
        if let Term::Literal(l) = &quad.object {
            if l.value() == path || l.value().starts_with(&under) {
                out.push(graph);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Removes an asset's record. Rights records that target it stay (they are
/// records of their own source) but no longer find it.
pub fn delete(store: &Store, id: &str, actor: &str, tenant: &str) -> Result<u64> {
    let graph = crate::rdf::asset_iri(id);
    if !store.db().contains_named_graph(&graph)? {
        return Err(Error::not_found(format!("asset '{id}'")));
    }
    let receipt = store.apply(Change {
        actor: actor.to_owned(),
        operation: "assets.delete".into(),
        tenant: tenant.to_owned(),
        note: Some(format!("delete {id}")),
        writes: vec![GraphWrite::Drop { graph }],
    })?;
    Ok(receipt.generation)
}
