//! Membership filters over marker triples: "is `<s> rdf:type ag:UsageEvent`
//! stored in the usage graph?" answered in memory, most of the time.
//!
//! A usage batch asks, for each of its events, whether the event is already
//! recorded. The answer is nearly always no, and a no from RocksDB is dear:
//! oxigraph's indexes carry no Bloom filters, so a missing key is looked
//! for in every file that RocksDB has not yet merged. A growable Bloom
//! filter per (graph, predicate, object) answers most of those in memory:
//! "absent" is certain, "maybe" is confirmed by one point lookup.
//!
//! A filter is built the first time its marker is asked about, from one
//! scan of the graph's index for that predicate and object, and kept in
//! step by the write path, which adds the subject of every marker triple it
//! is about to commit. Nothing else writes to the store, so a filter never
//! misses a stored subject; a commit that fails or a triple removed later
//! leaves a subject too many, which only costs a lookup.

use crate::error::Result;
use growable_bloom_filter::GrowableBloom;
use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Term, Triple};
use std::sync::Mutex;

/// One false "maybe" in a thousand; about 1.8 bytes per subject.
const FALSE_POSITIVE_RATE: f64 = 0.001;

/// What a filter is sized for at first; it grows as subjects arrive.
const INITIAL_CAPACITY: usize = 100_000;

#[derive(Default)]
pub(super) struct MarkerFilters {
    filters: Mutex<Vec<Filter>>,
}

struct Filter {
    graph: GraphName,
    predicate: NamedNode,
    object: Term,
    subjects: GrowableBloom,
}

impl Filter {
    fn tracks(&self, graph: GraphNameRef<'_>, triple: &Triple) -> bool {
        self.predicate == triple.predicate && self.object == triple.object && self.graph.as_ref() == graph
    }
}

impl MarkerFilters {
    /// Whether `marker` may be stored in `graph`; `false` is certain.
    pub(super) fn may_hold(
        &self,
        db: &oxigraph::store::Store,
        graph: GraphNameRef<'_>,
        marker: &Triple,
    ) -> Result<bool> {
        let mut filters = self.filters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let position = match filters.iter().position(|f| f.tracks(graph, marker)) {
            Some(position) => position,
            None => {
                filters.push(build(db, graph, marker)?);
                filters.len() - 1
            }
        };
        Ok(filters[position].subjects.contains(subject_key(&marker.subject)))
    }

    /// Adds the subjects of the marker triples a commit is about to add.
    pub(super) fn adding(&self, graph: GraphNameRef<'_>, triples: &[Triple]) {
        let mut filters = self.filters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for filter in filters.iter_mut().filter(|f| f.graph.as_ref() == graph) {
            for triple in triples {
                if filter.tracks(graph, triple) {
                    filter.subjects.insert(subject_key(&triple.subject));
                }
            }
        }
    }
}

fn build(db: &oxigraph::store::Store, graph: GraphNameRef<'_>, marker: &Triple) -> Result<Filter> {
    let stored = db.quads_for_pattern(
        None,
        Some(marker.predicate.as_ref()),
        Some(marker.object.as_ref()),
        Some(graph),
    );
    let subjects: Vec<NamedOrBlankNode> = stored
        .map(|q| q.map(|q| q.subject))
        .collect::<std::result::Result<_, _>>()?;
    let mut filter = GrowableBloom::new(FALSE_POSITIVE_RATE, subjects.len().max(INITIAL_CAPACITY));
    for subject in &subjects {
        filter.insert(subject_key(subject));
    }
    tracing::debug!(graph = %graph, subjects = subjects.len(), "built a marker filter");
    Ok(Filter {
        graph: graph.into_owned(),
        predicate: marker.predicate.clone(),
        object: marker.object.clone(),
        subjects: filter,
    })
}

fn subject_key(subject: &NamedOrBlankNode) -> &str {
    match subject {
        NamedOrBlankNode::NamedNode(n) => n.as_str(),
        NamedOrBlankNode::BlankNode(b) => b.as_str(),
    }
}
