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
//! leaves a subject too many, which only costs a lookup. Subjects a lookup
//! confirmed are remembered (a usage batch names the same users again and
//! again) until a commit removes their marker.

use crate::error::Result;
use growable_bloom_filter::GrowableBloom;
use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Term, Triple};
use std::collections::HashSet;
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
    /// Subjects a lookup found stored: asked again and again (the users
    /// of usage events), they cost no second lookup. Bounded; forgotten
    /// when a marker triple of theirs is removed.
    confirmed: HashSet<Box<str>>,
}

/// How many confirmed subjects a filter keeps before it starts afresh.
const CONFIRMED_LIMIT: usize = 100_000;

impl Filter {
    fn tracks(&self, graph: GraphNameRef<'_>, triple: &Triple) -> bool {
        self.predicate == triple.predicate && self.object == triple.object && self.graph.as_ref() == graph
    }
}

impl MarkerFilters {
    /// Whether `marker` is stored in `graph`: from the filter where it can
    /// tell, else by one point lookup.
    pub(super) fn holds(&self, db: &oxigraph::store::Store, graph: GraphNameRef<'_>, marker: &Triple) -> Result<bool> {
        let mut filters = self.filters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let position = match filters.iter().position(|f| f.tracks(graph, marker)) {
            Some(position) => position,
            None => {
                filters.push(build(db, graph, marker)?);
                filters.len() - 1
            }
        };
        let filter = &mut filters[position];
        let key = subject_key(&marker.subject);
        if !filter.subjects.contains(key) {
            return Ok(false);
        }
        if filter.confirmed.contains(key) {
            return Ok(true);
        }
        let stored = db.contains(marker.as_ref().in_graph(graph))?;
        if stored {
            if filter.confirmed.len() >= CONFIRMED_LIMIT {
                filter.confirmed.clear();
            }
            filter.confirmed.insert(key.into());
        }
        Ok(stored)
    }

    /// Takes in what a commit is about to do to `graph`: the subjects of
    /// the marker triples it adds join the filter; those whose marker it
    /// removes, or all when it drops the graph, are no longer confirmed.
    pub(super) fn committing(&self, graph: GraphNameRef<'_>, added: &[Triple], removed: &[Triple], dropped: bool) {
        let mut filters = self.filters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for filter in filters.iter_mut().filter(|f| f.graph.as_ref() == graph) {
            for triple in added {
                if filter.tracks(graph, triple) {
                    filter.subjects.insert(subject_key(&triple.subject));
                }
            }
            if dropped {
                filter.confirmed.clear();
            }
            for triple in removed {
                if filter.tracks(graph, triple) {
                    filter.confirmed.remove(subject_key(&triple.subject));
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
        confirmed: HashSet::new(),
    })
}

fn subject_key(subject: &NamedOrBlankNode) -> &str {
    match subject {
        NamedOrBlankNode::NamedNode(n) => n.as_str(),
        NamedOrBlankNode::BlankNode(b) => b.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Change, GraphWrite, Store};
    use oxigraph::model::vocab::rdf;
    use oxigraph::model::{GraphName, GraphNameRef, NamedNode, Triple};

    fn marker(name: &str) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(format!("http://example.com/{name}")),
            rdf::TYPE,
            NamedNode::new_unchecked("http://example.com/Event"),
        )
    }

    fn patch(store: &Store, remove: Vec<Triple>, add: Vec<Triple>) {
        store
            .apply(Change {
                actor: "test".into(),
                operation: "test".into(),
                tenant: "default".into(),
                note: None,
                writes: vec![GraphWrite::Patch {
                    graph: GraphName::NamedNode(NamedNode::new_unchecked("http://example.com/g")),
                    kind: "test",
                    remove,
                    add,
                    drop: false,
                }],
            })
            .unwrap();
    }

    fn held(store: &Store, name: &str) -> bool {
        let graph = GraphNameRef::NamedNode(oxigraph::model::NamedNodeRef::new_unchecked("http://example.com/g"));
        store
            .write(|view| {
                let known = view.mentions_by_marker(graph, &marker(name))?;
                Ok((
                    Change {
                        actor: "test".into(),
                        operation: "none".into(),
                        tenant: "default".into(),
                        note: None,
                        writes: vec![],
                    },
                    known,
                ))
            })
            .unwrap()
            .1
    }

    #[test]
    fn the_filter_follows_every_commit_and_forgets_removed_subjects() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        patch(&store, vec![], vec![marker("a")]);
        assert!(held(&store, "a"), "built from the store");
        assert!(!held(&store, "b"));
        patch(&store, vec![], vec![marker("b")]);
        assert!(held(&store, "b"), "added by the write path");
        assert!(held(&store, "a"), "confirmed once, asked again");
        patch(&store, vec![marker("a")], vec![]);
        assert!(!held(&store, "a"), "a removed marker is not confirmed any more");
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(held(&store, "b") && !held(&store, "a"), "after a restart");
    }
}
