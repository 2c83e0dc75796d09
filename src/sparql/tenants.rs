//! What a key limited to some tenants may read with SPARQL: the graphs the
//! registry records for its tenants (and for `shared`), and the shipped
//! vocabularies. The dataset of its query — the union default graph,
//! `FROM`, `FROM NAMED`, `default-graph-uri`, `named-graph-uri`, and so
//! `GRAPH ?g` — is cut down to those graphs, so no pattern reaches another
//! tenant's. Each tenant's usage events are in its own graph, which it
//! reads; the service's own graphs (the audit trail, the outbox, the
//! registry) hold every tenant's entries and are left out.

use crate::error::Result;
use crate::vocab::{ag, graphs};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use oxigraph::sparql::QueryDataset;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The registry's kind of the shipped vocabularies' graphs, which every
/// tenant reads.
const SHIPPED_KIND: &str = "ontology";

/// The prefix of the graphs the service keeps for all tenants at once.
const SERVICE_GRAPHS: &str = "urn:assetgraph:graph:";

/// What [`readable`] listed lately: per store, generation and tenants.
type Listed = (std::path::PathBuf, u64, Vec<String>, Arc<Vec<NamedNode>>);

/// The few lists kept: an analyst's queries between two commits list the
/// graphs once (at a hundred thousand graphs a listing takes a second).
static RECENT: Mutex<Vec<Listed>> = Mutex::new(Vec::new());
const KEPT: usize = 4;

/// The graphs `tenants` may read at the store's current generation,
/// listed once per generation.
pub(crate) fn readable(store: &crate::store::Store, tenants: &[String]) -> Result<Arc<Vec<NamedNode>>> {
    let generation = store.generation();
    let mut key = tenants.to_vec();
    key.sort();
    let recent = |listed: &Listed| listed.0 == store.path() && listed.1 == generation && listed.2 == key;
    if let Some(found) = RECENT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|l| recent(l))
    {
        return Ok(found.3.clone());
    }
    let graphs = Arc::new(readable_graphs(store, tenants)?);
    let mut kept = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    kept.retain(|l| l.0 != store.path() || l.1 == generation);
    if kept.len() >= KEPT {
        kept.remove(0);
    }
    kept.push((store.path().to_owned(), generation, key, graphs.clone()));
    Ok(graphs)
}

/// The graphs `tenants` may read.
pub(crate) fn readable_graphs(store: &crate::store::Store, tenants: &[String]) -> Result<Vec<NamedNode>> {
    let db = store.db();
    let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
    let mut readable = Vec::new();
    let mut owned_by = |predicate: NamedNodeRef<'_>, object: Term| -> Result<()> {
        for quad in db.quads_for_pattern(None, Some(predicate), Some(object.as_ref()), Some(registry.into())) {
            if let NamedOrBlankNode::NamedNode(graph) = quad?.subject {
                if !graph.as_str().starts_with(SERVICE_GRAPHS) {
                    readable.push(graph);
                }
            }
        }
        Ok(())
    };
    for tenant in tenants {
        owned_by(ag::TENANT, NamedNode::new_unchecked(graphs::tenant(tenant)).into())?;
    }
    owned_by(ag::GRAPH_KIND, Literal::new_simple_literal(SHIPPED_KIND).into())?;
    // The default tenant's usage events keep the graph they always had,
    // among the service's own; every other tenant's have a graph of its own.
    if tenants.iter().any(|t| t == graphs::DEFAULT_TENANT) {
        readable.push(NamedNode::new_unchecked(graphs::USAGE));
    }
    readable.sort_unstable();
    readable.dedup();
    Ok(readable)
}

/// Cuts `dataset` down to `readable`: a union default graph becomes the
/// union of the readable graphs, a named list keeps its readable members
/// (the store's own default graph belongs to no tenant), and the named
/// graphs are the readable ones, or those of the list that are.
pub(crate) fn restrict(dataset: &mut QueryDataset, readable: &[NamedNode]) {
    let allowed: HashSet<&str> = readable.iter().map(NamedNode::as_str).collect();
    let is_readable = |graph: &NamedNode| allowed.contains(graph.as_str());
    let default: Vec<GraphName> = match dataset.default_graph_graphs() {
        None => readable.iter().cloned().map(GraphName::from).collect(),
        Some(graphs) => graphs
            .iter()
            .filter(|g| matches!(g, GraphName::NamedNode(n) if is_readable(n)))
            .cloned()
            .collect(),
    };
    let named: Vec<NamedOrBlankNode> = match dataset.available_named_graphs() {
        None => readable.iter().cloned().map(NamedOrBlankNode::from).collect(),
        Some(graphs) => graphs
            .iter()
            .filter(|g| matches!(g, NamedOrBlankNode::NamedNode(n) if is_readable(n)))
            .cloned()
            .collect(),
    };
    dataset.set_default_graph(default);
    dataset.set_available_named_graphs(named);
}

/// Refuses, as not found, a graph `tenants` may not read (the store's
/// default graph included: it belongs to no tenant).
pub(crate) fn ensure_readable(store: &crate::store::Store, graph: &GraphName, tenants: &[String]) -> Result<()> {
    let readable = match graph {
        GraphName::NamedNode(g) if !g.as_str().starts_with(SERVICE_GRAPHS) => {
            store.graph_kind(g.as_ref())?.as_deref() == Some(SHIPPED_KIND)
                || store
                    .graph_tenant(g.as_ref())?
                    .is_some_and(|owner| tenants.contains(&owner))
        }
        _ => false,
    };
    if readable {
        Ok(())
    } else {
        Err(crate::error::Error::not_found(format!("graph {graph}")))
    }
}
