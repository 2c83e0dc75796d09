//! Large graphs as the write path last knew them, kept from one write to
//! the next.
//!
//! Replacing a graph needs what it holds now, to find what the new version
//! adds and removes. Reading a graph back from the store decodes every term
//! with a lookup of its string: over a second for 200,000 triples, however
//! small the change. So a graph of at least [`KEPT_FROM`] triples that a
//! write read whole, or created, is kept here, and every later commit
//! applies its delta to it: the next replacement of that graph (the next
//! push of a large taxonomy, the next Graph Store `PUT`) compares in memory,
//! in time that grows with the new version's size but reads nothing.
//!
//! The store stays the truth. Only the write path, under its writer lock,
//! reads and changes the kept graphs, and only with the deltas of commits
//! that succeeded; a process starts with none. The audit trail and the
//! registry are never kept: every commit writes to them besides its
//! deltas. At most [`BUDGET`] triples are kept, the graphs least recently
//! used leaving first.

use crate::vocab::graphs;
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use oxigraph::model::{GraphName, Triple};
use std::sync::Arc;

/// Graphs smaller than this are read again: as quick as keeping them.
pub(super) const KEPT_FROM: usize = 10_000;

/// Triples kept at most, over all graphs (about 200 bytes each in memory).
pub(super) const BUDGET: usize = 2_000_000;

/// Whether a graph of `triples` triples is worth keeping, and may be: the
/// write path changes it by deltas only.
pub(super) fn worth_keeping(graph: &GraphName, triples: usize) -> bool {
    let written_besides_deltas = matches!(graph, GraphName::NamedNode(g)
        if g.as_str() == graphs::AUDIT || g.as_str() == graphs::REGISTRY || g.as_str().starts_with(graphs::SUMMARY_PREFIX));
    (KEPT_FROM..=BUDGET).contains(&triples) && !written_besides_deltas
}

#[derive(Default)]
pub(super) struct KeptGraphs {
    graphs: HashMap<GraphName, Kept>,
    /// Triples kept, over all graphs.
    total: usize,
    /// Counts uses, for the least recently used.
    clock: u64,
}

struct Kept {
    triples: Arc<Vec<Triple>>,
    used: u64,
}

impl KeptGraphs {
    /// The triples of a kept graph.
    pub(super) fn get(&mut self, graph: &GraphName) -> Option<Arc<Vec<Triple>>> {
        self.clock += 1;
        let kept = self.graphs.get_mut(graph)?;
        kept.used = self.clock;
        Some(kept.triples.clone())
    }

    /// Keeps what a graph holds, if it is large enough to be worth it.
    pub(super) fn keep(&mut self, graph: GraphName, triples: Arc<Vec<Triple>>) {
        if !worth_keeping(&graph, triples.len()) {
            return;
        }
        self.forget(&graph);
        self.clock += 1;
        self.total += triples.len();
        let used = self.clock;
        self.graphs.insert(graph, Kept { triples, used });
        while self.total > BUDGET {
            let oldest = self
                .graphs
                .iter()
                .min_by_key(|(_, kept)| kept.used)
                .map(|(g, _)| g.clone());
            match oldest {
                Some(oldest) => self.forget(&oldest),
                None => break,
            }
        }
    }

    /// Whether a graph is kept.
    pub(super) fn holds(&self, graph: &GraphName) -> bool {
        self.graphs.contains_key(graph)
    }

    /// Applies what a commit did to a graph: removed these triples, added
    /// these, or dropped it.
    pub(super) fn apply(&mut self, graph: &GraphName, removed: &[Triple], added: &[Triple], dropped: bool) {
        if dropped {
            self.forget(graph);
            return;
        }
        let Some(kept) = self.graphs.get_mut(graph) else {
            return;
        };
        let before = kept.triples.len();
        // Unshared here: the write that read it has ended.
        let triples = Arc::make_mut(&mut kept.triples);
        if !removed.is_empty() {
            let gone: HashSet<&Triple> = removed.iter().collect();
            triples.retain(|t| !gone.contains(t));
        }
        triples.extend_from_slice(added);
        let after = triples.len();
        self.total = self.total + after - before;
        if after < KEPT_FROM || self.total > BUDGET {
            self.forget(graph);
        }
    }

    fn forget(&mut self, graph: &GraphName) {
        if let Some(kept) = self.graphs.remove(graph) {
            self.total -= kept.triples.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    fn graph(name: &str) -> GraphName {
        NamedNode::new_unchecked(format!("urn:graph:{name}")).into()
    }

    fn triples(from: usize, count: usize) -> Vec<Triple> {
        (from..from + count)
            .map(|i| {
                Triple::new(
                    NamedNode::new_unchecked(format!("urn:s:{i}")),
                    NamedNode::new_unchecked("urn:p"),
                    Literal::from(i as i64),
                )
            })
            .collect()
    }

    #[test]
    fn kept_graphs_follow_their_deltas_within_the_budget() {
        let mut kept = KeptGraphs::default();
        kept.keep(graph("small"), Arc::new(triples(0, KEPT_FROM - 1)));
        assert!(!kept.holds(&graph("small")), "too small to be worth keeping");

        kept.keep(graph("a"), Arc::new(triples(0, KEPT_FROM)));
        let removed = triples(0, 2);
        let added = triples(KEPT_FROM, 5);
        kept.apply(&graph("a"), &removed, &added, false);
        let now = kept.get(&graph("a")).unwrap();
        assert_eq!(now.len(), KEPT_FROM + 3);
        assert!(!now.contains(&removed[0]) && now.contains(&added[4]));
        assert_eq!(kept.total, KEPT_FROM + 3);

        kept.apply(&graph("a"), &triples(0, 10), &[], false);
        assert!(!kept.holds(&graph("a")), "shrunk below the size worth keeping");

        kept.keep(graph("b"), Arc::new(triples(0, KEPT_FROM)));
        kept.apply(&graph("b"), &[], &[], true);
        assert!(!kept.holds(&graph("b")), "dropped");
        assert_eq!(kept.total, 0);

        // Over the budget, the least recently used graph goes first.
        let each = BUDGET / 2;
        kept.keep(graph("first"), Arc::new(triples(0, each)));
        kept.keep(graph("second"), Arc::new(triples(0, each)));
        kept.get(&graph("first"));
        kept.keep(graph("third"), Arc::new(triples(0, KEPT_FROM)));
        assert!(kept.holds(&graph("first")) && kept.holds(&graph("third")));
        assert!(!kept.holds(&graph("second")), "least recently used");
        assert!(kept.total <= BUDGET);
    }
}
