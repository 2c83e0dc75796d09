//! The single write path: validate, compute the delta, commit once, audit,
//! notify.

use super::{audit, fault, Store};
use crate::error::{Error, Result};
use crate::vocab::{ag, graphs};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, Quad, Triple};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use time::OffsetDateTime;

/// What to do with one named graph.
#[derive(Debug, Clone)]
pub enum GraphWrite {
    /// The graph holds exactly these triples afterwards.
    Replace {
        graph: NamedNode,
        kind: &'static str,
        triples: Vec<Triple>,
    },
    /// These triples are added to what the graph holds.
    Merge {
        graph: NamedNode,
        kind: &'static str,
        triples: Vec<Triple>,
    },
    /// The graph is removed with all its triples.
    Drop { graph: NamedNode },
}

impl GraphWrite {
    pub fn graph(&self) -> &NamedNode {
        match self {
            GraphWrite::Replace { graph, .. } | GraphWrite::Merge { graph, .. } | GraphWrite::Drop { graph } => graph,
        }
    }
}

/// One mutation, applied atomically.
#[derive(Debug, Clone)]
pub struct Change {
    /// Who asks for it: the API key's name, `cli`, or `system`.
    pub actor: String,
    /// What it is, for the audit trail: `taxonomy.replace`, `taxonomy.merge`…
    pub operation: String,
    /// The tenant that owns the graphs written.
    pub tenant: String,
    /// A one-line summary for the audit trail (e.g. the diff counts).
    pub note: Option<String>,
    pub writes: Vec<GraphWrite>,
}

/// What one graph gained and lost in a commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GraphDelta {
    pub graph: String,
    pub added: usize,
    pub removed: usize,
    pub dropped: bool,
}

/// The outcome of a write.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    /// The generation after the write (unchanged when nothing changed).
    pub generation: u64,
    /// False when the change turned out to be a no-op; nothing was written.
    pub changed: bool,
    pub graphs: Vec<GraphDelta>,
    #[serde(with = "time::serde::rfc3339")]
    pub committed_at: OffsetDateTime,
}

/// Told about every commit once it is durable (the search index, webhooks).
pub trait ChangeListener: Send + Sync {
    fn committed(&self, receipt: &Receipt);
}

/// The triples one graph gains and loses.
struct Delta {
    graph: NamedNode,
    kind: Option<&'static str>,
    added: Vec<Triple>,
    removed: Vec<Triple>,
    dropped: bool,
}

impl Store {
    /// Applies a prepared change. See [`Store::write`].
    pub fn apply(&self, change: Change) -> Result<Receipt> {
        self.write(|_| Ok((change, ()))).map(|(receipt, ())| receipt)
    }

    /// The write path. `build` runs under the writer lock, so what it reads
    /// from the store stays current until the commit; it returns the change
    /// to apply and any value the caller wants back (a diff, say).
    pub fn write<T>(&self, build: impl FnOnce(&Store) -> Result<(Change, T)>) -> Result<(Receipt, T)> {
        let _guard = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = OffsetDateTime::now_utc();
        let (mut change, value) = build(self)?;
        validate(&change)?;
        let deltas = self.deltas(std::mem::take(&mut change.writes))?;
        if deltas
            .iter()
            .all(|d| d.added.is_empty() && d.removed.is_empty() && !d.dropped)
        {
            let receipt = Receipt {
                generation: self.generation(),
                changed: false,
                graphs: Vec::new(),
                committed_at: started,
            };
            return Ok((receipt, value));
        }
        let generation = self.generation() + 1;
        let ended = OffsetDateTime::now_utc();
        let summary: Vec<GraphDelta> = deltas.iter().map(Delta::summary).collect();
        let audit_quads = audit::entry(&change, generation, started, ended, &summary);
        let (registry_added, registry_removed) = self.registry_changes(&change.tenant, &deltas)?;

        let bulk = deltas.iter().all(|d| d.removed.is_empty() && !d.dropped)
            && registry_removed.is_empty()
            && deltas.iter().map(|d| d.added.len()).sum::<usize>() >= self.bulk_threshold;
        fault::pause_point("before-commit");
        if bulk {
            self.commit_bulk(deltas, registry_added, audit_quads)?;
        } else {
            self.commit_transaction(&deltas, registry_added, registry_removed, audit_quads)?;
        }
        self.generation.store(generation, Ordering::SeqCst);
        let receipt = Receipt {
            generation,
            changed: true,
            graphs: summary,
            committed_at: ended,
        };
        tracing::info!(
            generation,
            operation = %change.operation,
            actor = %change.actor,
            graphs = receipt.graphs.len(),
            added = receipt.graphs.iter().map(|g| g.added).sum::<usize>(),
            removed = receipt.graphs.iter().map(|g| g.removed).sum::<usize>(),
            "committed"
        );
        for listener in self.listeners.read().expect("listener lock").iter() {
            listener.committed(&receipt);
        }
        Ok((receipt, value))
    }

    /// The exact triples each write adds and removes, given what the store
    /// holds. Consumes the writes: a 1M-triple load is not copied again.
    fn deltas(&self, writes: Vec<GraphWrite>) -> Result<Vec<Delta>> {
        writes
            .into_iter()
            .map(|write| {
                let (graph, kind, new, replace) = match write {
                    GraphWrite::Replace { graph, kind, triples } => (graph, Some(kind), triples, true),
                    GraphWrite::Merge { graph, kind, triples } => (graph, Some(kind), triples, false),
                    GraphWrite::Drop { graph } => (graph, None, Vec::new(), true),
                };
                let exists = self.db.contains_named_graph(&graph)?;
                let old: HashSet<Triple> = if exists {
                    self.graph_triples(graph.as_ref())?.into_iter().collect()
                } else {
                    HashSet::new()
                };
                let new: HashSet<Triple> = new.into_iter().collect();
                let removed = if replace {
                    old.iter().filter(|t| !new.contains(*t)).cloned().collect()
                } else {
                    Vec::new()
                };
                Ok(Delta {
                    added: new.into_iter().filter(|t| !old.contains(t)).collect(),
                    removed,
                    dropped: kind.is_none() && exists,
                    kind,
                    graph,
                })
            })
            .collect()
    }

    /// Registry triples to add (new graphs: tenant and kind) and to remove (dropped graphs).
    fn registry_changes(&self, tenant: &str, deltas: &[Delta]) -> Result<(Vec<Quad>, Vec<Quad>)> {
        let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
        let tenant_iri = NamedNode::new_unchecked(graphs::tenant(tenant));
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for delta in deltas {
            if delta.dropped {
                for quad in
                    self.db
                        .quads_for_pattern(Some(delta.graph.as_ref().into()), None, None, Some(registry.into()))
                {
                    removed.push(quad?);
                }
            } else if let (Some(kind), false) = (delta.kind, delta.added.is_empty()) {
                let g = &delta.graph;
                added.push(Quad::new(g.clone(), rdf::TYPE, ag::MANAGED_GRAPH, registry));
                added.push(Quad::new(g.clone(), ag::TENANT, tenant_iri.clone(), registry));
                added.push(Quad::new(
                    g.clone(),
                    ag::GRAPH_KIND,
                    Literal::new_simple_literal(kind),
                    registry,
                ));
            }
        }
        Ok((added, removed))
    }

    fn commit_transaction(
        &self,
        deltas: &[Delta],
        registry_added: Vec<Quad>,
        registry_removed: Vec<Quad>,
        audit_quads: Vec<Quad>,
    ) -> Result<()> {
        let mut tx = self.db.start_transaction()?;
        for delta in deltas {
            let graph = GraphNameRef::NamedNode(delta.graph.as_ref());
            if delta.dropped {
                tx.remove_named_graph(delta.graph.as_ref())?;
                continue;
            }
            for t in &delta.removed {
                tx.remove(t.as_ref().in_graph(graph));
            }
            for t in &delta.added {
                tx.insert(t.as_ref().in_graph(graph));
            }
        }
        for q in &registry_removed {
            tx.remove(q);
        }
        tx.extend(&registry_added);
        tx.extend(&audit_quads);
        tx.commit()?;
        Ok(())
    }

    fn commit_bulk(&self, deltas: Vec<Delta>, registry_added: Vec<Quad>, audit_quads: Vec<Quad>) -> Result<()> {
        let data = deltas.into_iter().flat_map(|d| {
            let graph = d.graph;
            d.added.into_iter().map(move |t| t.in_graph(graph.clone()))
        });
        let mut loader = self.db.bulk_loader();
        loader.load_quads(data.chain(registry_added).chain(audit_quads))?;
        loader.commit()?;
        Ok(())
    }
}

impl Delta {
    fn summary(&self) -> GraphDelta {
        GraphDelta {
            graph: self.graph.as_str().to_owned(),
            added: self.added.len(),
            removed: self.removed.len(),
            dropped: self.dropped,
        }
    }
}

/// Rules every change obeys, whoever sends it.
fn validate(change: &Change) -> Result<()> {
    let mut seen = HashMap::new();
    for write in &change.writes {
        let graph = write.graph().as_str();
        if graph == graphs::REGISTRY || graph == graphs::AUDIT {
            return Err(Error::invalid_field(
                "graph",
                format!("<{graph}> is maintained by the service itself and cannot be written"),
            ));
        }
        if seen.insert(graph, ()).is_some() {
            return Err(Error::invalid_field(
                "graph",
                format!("<{graph}> is written twice in one change"),
            ));
        }
    }
    if change.tenant.is_empty()
        || !change
            .tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid_field(
            "tenant",
            format!("'{}' is not a valid tenant id", change.tenant),
        ));
    }
    Ok(())
}
