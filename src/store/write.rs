//! The single write path: validate, compute the delta, commit once, audit,
//! notify.

use super::{audit, cache, fault, summaries, Store};
use crate::error::{Error, Result};
use crate::vocab::{ag, graphs};
use oxigraph::model::{GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Triple};
use std::cell::RefCell;
// ahash: randomly keyed like std's SipHash, several times faster on
// the million-key sets of a large push.
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
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
    /// These triples are removed and then these added, in a named graph or
    /// in the default graph: the exact effect a SPARQL Update or a Graph
    /// Store Protocol request computed. `kind` registers a graph the patch
    /// creates; `drop` removes a named graph left empty (SPARQL `DROP`).
    Patch {
        graph: GraphName,
        kind: &'static str,
        remove: Vec<Triple>,
        add: Vec<Triple>,
        drop: bool,
    },
}

impl GraphWrite {
    pub fn graph(&self) -> GraphNameRef<'_> {
        match self {
            GraphWrite::Replace { graph, .. } | GraphWrite::Merge { graph, .. } | GraphWrite::Drop { graph } => {
                graph.into()
            }
            GraphWrite::Patch { graph, .. } => graph.as_ref(),
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GraphDelta {
    /// The graph's IRI, or [`graphs::DEFAULT`] for the default graph.
    pub graph: String,
    pub added: usize,
    pub removed: usize,
    pub dropped: bool,
}

/// The outcome of a write.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The generation after the write (unchanged when nothing changed).
    pub generation: u64,
    /// False when the change turned out to be a no-op; nothing was written.
    pub changed: bool,
    pub graphs: Vec<GraphDelta>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub committed_at: OffsetDateTime,
}

/// The store as seen by a change being built, under the writer lock.
///
/// Reads of whole graphs are remembered for the rest of the write: a
/// taxonomy push reads the previous version to diff it, and the write path
/// then needs the same triples for the delta. Decoding a large graph from
/// RocksDB is the costliest read there is; this way it happens once.
pub struct WriteView<'a> {
    store: &'a Store,
    graphs: RefCell<HashMap<GraphName, Arc<Vec<Triple>>>>,
    /// Whether a graph mentions a subject, as already looked up in this
    /// write (a usage batch asks for each event, and then the delta).
    mentioned: RefCell<HashMap<(GraphName, NamedOrBlankNode), bool>>,
}

impl<'a> WriteView<'a> {
    /// The store, for reads other than whole graphs.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// A transaction to evaluate a SPARQL update in, never committed: what
    /// the update changes there is read back as edits, which this write
    /// path then applies as one change with its audit entry.
    pub fn scratch(&self) -> Result<Scratch<'a>> {
        Ok(Scratch(self.store.db.start_transaction()?))
    }

    /// All triples of a named graph (empty for a graph that does not exist).
    pub fn graph_triples(&self, graph: &NamedNode) -> Result<Arc<Vec<Triple>>> {
        self.triples_of(graph.as_ref().into())
    }

    /// All triples of a named graph or of the default graph.
    pub(crate) fn triples_of(&self, graph: GraphNameRef<'_>) -> Result<Arc<Vec<Triple>>> {
        if let Some(triples) = self.graphs.borrow().get(&graph.into_owned()) {
            return Ok(triples.clone());
        }
        if let Some(triples) = self.store.kept().get(&graph.into_owned()) {
            self.graphs.borrow_mut().insert(graph.into_owned(), triples.clone());
            return Ok(triples);
        }
        let triples: Vec<Triple> = self
            .store
            .db
            .quads_for_pattern(None, None, None, Some(graph))
            .map(|q| q.map(Triple::from).map_err(Error::from))
            .collect::<Result<_>>()?;
        let triples = Arc::new(triples);
        self.graphs.borrow_mut().insert(graph.into_owned(), triples.clone());
        self.store.kept().keep(graph.into_owned(), triples.clone());
        Ok(triples)
    }
}

/// An oxigraph transaction reached only through a reference: it can be
/// read, queried and changed, but not committed (committing takes the
/// transaction itself); dropping it discards every change.
pub struct Scratch<'a>(oxigraph::store::Transaction<'a>);

impl<'a> std::ops::Deref for Scratch<'a> {
    type Target = oxigraph::store::Transaction<'a>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Scratch<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Kinds of graph the service keeps for every tenant at once: any
/// tenant's writes may append to them.
const SERVICE_KINDS: [&str; 7] = [
    "usage",
    "revocations",
    "downloads",
    "download-limit",
    "outbox",
    "connectors",
    "ontology",
];

impl WriteView<'_> {
    /// The exact triples each write adds and removes, given what the store
    /// holds. Consumes the writes: a 1M-triple load is not copied again.
    fn deltas(&self, writes: Vec<GraphWrite>) -> Result<Vec<Delta>> {
        writes.into_iter().map(|write| self.delta(write)).collect()
    }

    fn delta(&self, write: GraphWrite) -> Result<Delta> {
        let (graph, kind, new) = match write {
            GraphWrite::Replace { graph, kind, triples } => (graph.into(), Some(kind), triples),
            GraphWrite::Merge { graph, kind, triples } => {
                // Each triple looked up, not the whole graph read: merges
                // grow large graphs (the usage graph) in small steps.
                let mut delta = self.patch_delta(graph.into(), kind, Vec::new(), triples, false)?;
                delta.register = delta.graph.is_named_node().then_some(kind);
                return Ok(delta);
            }
            GraphWrite::Drop { graph } => (graph.into(), None, Vec::new()),
            GraphWrite::Patch {
                graph,
                kind,
                remove,
                add,
                drop,
            } => return self.patch_delta(graph, kind, remove, add, drop),
        };
        let exists = self.exists(&graph)?;
        let old_triples = if exists {
            self.triples_of(graph.as_ref())?
        } else {
            Arc::default()
        };
        let (keep, removed) = compare(&old_triples, &new);
        let added = new
            .into_iter()
            .zip(keep)
            .filter_map(|(t, keep)| keep.then_some(t))
            .collect();
        Ok(Delta {
            added,
            removed,
            created: !exists,
            dropped: kind.is_none() && exists && graph.is_named_node(),
            register: kind.filter(|_| graph.is_named_node()),
            graph,
        })
    }

    /// A patch removes what is stored of `remove` and adds what is not yet
    /// stored of `add`; it registers the graph only when it creates it.
    fn patch_delta(
        &self,
        graph: GraphName,
        kind: &'static str,
        remove: Vec<Triple>,
        add: Vec<Triple>,
        drop: bool,
    ) -> Result<Delta> {
        let exists = self.exists(&graph)?;
        let contains =
            |t: &Triple| -> Result<bool> { Ok(self.store.db.contains(t.as_ref().in_graph(graph.as_ref()))?) };
        let mut removed = Vec::new();
        let mut gone: HashSet<&Triple> = HashSet::new();
        for t in &remove {
            if exists && !gone.contains(t) && contains(t)? {
                gone.insert(t);
                removed.push(t.clone());
            }
        }
        // A subject the graph does not mention yet (a new usage event) has
        // none of its triples stored: one lookup answers for a run of
        // triples about the same subject. A short run (a download tally's
        // one triple) is cheaper to look up triple by triple than by a scan
        // of the subject, unless this write already knows the answer.
        let mut keep = Vec::with_capacity(add.len());
        let mut seen: HashSet<&Triple> = HashSet::with_capacity(add.len());
        let mut subject: Option<(&NamedOrBlankNode, Option<bool>)> = None;
        for (i, t) in add.iter().enumerate() {
            if !seen.insert(t) {
                keep.push(false);
                continue;
            }
            let mentioned = match subject {
                Some((s, mentioned)) if *s == t.subject => mentioned,
                _ => {
                    let run = add[i..].iter().take_while(|u| u.subject == t.subject).count();
                    let mentioned = if !exists {
                        Some(false)
                    } else {
                        self.known(graph.as_ref(), &t.subject, run >= SCAN_FROM_RUN)?
                    };
                    subject = Some((&t.subject, mentioned));
                    mentioned
                }
            };
            keep.push(gone.contains(t) || mentioned == Some(false) || !contains(t)?);
        }
        let added: Vec<Triple> = add
            .into_iter()
            .zip(keep)
            .filter_map(|(t, keep)| keep.then_some(t))
            .collect();
        // A triple both removed and added stays as it was.
        let (added, removed) = if gone.is_empty() {
            (added, removed)
        } else {
            let re_added: HashSet<Triple> = added.iter().filter(|t| gone.contains(*t)).cloned().collect();
            (
                added.into_iter().filter(|t| !re_added.contains(t)).collect(),
                removed.into_iter().filter(|t| !re_added.contains(t)).collect(),
            )
        };
        Ok(Delta {
            register: (!exists && graph.is_named_node()).then_some(kind),
            created: !exists,
            dropped: drop && exists && graph.is_named_node(),
            added,
            removed,
            graph,
        })
    }

    /// Whether a graph mentions `subject`, if this write already knows, or
    /// else, when `ask` is set, as a scan of the subject finds.
    fn known(&self, graph: GraphNameRef<'_>, subject: &NamedOrBlankNode, ask: bool) -> Result<Option<bool>> {
        if ask {
            self.mentions(graph, subject).map(Some)
        } else {
            Ok(self.memo(graph, subject))
        }
    }

    /// Whether a graph holds any triple about `subject`; asked once per
    /// write, however often.
    pub fn mentions(&self, graph: GraphNameRef<'_>, subject: &NamedOrBlankNode) -> Result<bool> {
        self.remembered(graph, subject, || {
            let mut stored = (self.store.db).quads_for_pattern(Some(subject.as_ref()), None, None, Some(graph));
            Ok(stored.next().transpose()?.is_some())
        })
    }

    /// Whether a graph holds any triple about the subject of `marker`, a
    /// triple that every description of that subject holds (an event's
    /// type). Answered by the store's filter of that marker (see
    /// `markers`), and where it says "maybe" by one point lookup: a prefix
    /// scan would visit every file RocksDB has not yet merged. Remembered
    /// as [`Self::mentions`] is.
    pub fn mentions_by_marker(&self, graph: GraphNameRef<'_>, marker: &Triple) -> Result<bool> {
        self.remembered(graph, &marker.subject, || {
            self.store.markers.holds(&self.store.db, graph, marker)
        })
    }

    /// Whether `graph` mentions `subject`, as `ask` finds the first time
    /// in this write.
    fn remembered(
        &self,
        graph: GraphNameRef<'_>,
        subject: &NamedOrBlankNode,
        ask: impl FnOnce() -> Result<bool>,
    ) -> Result<bool> {
        if let Some(known) = self.memo(graph, subject) {
            return Ok(known);
        }
        let known = ask()?;
        self.mentioned
            .borrow_mut()
            .insert((graph.into_owned(), subject.clone()), known);
        Ok(known)
    }

    fn memo(&self, graph: GraphNameRef<'_>, subject: &NamedOrBlankNode) -> Option<bool> {
        let key = (graph.into_owned(), subject.clone());
        self.mentioned.borrow().get(&key).copied()
    }

    fn exists(&self, graph: &GraphName) -> Result<bool> {
        Ok(match graph {
            GraphName::NamedNode(g) => self.store.db.contains_named_graph(g)?,
            _ => true,
        })
    }
}

/// Told about every commit once it is durable (the search index, webhooks).
pub trait ChangeListener: Send + Sync {
    /// Called under the writer lock, after the commit is durable and before
    /// the write returns: what the listener does is done when the caller
    /// hears back.
    fn committed(&self, store: &Store, receipt: &Receipt);
}

/// The triples one graph gains and loses.
pub(super) struct Delta {
    pub(super) graph: GraphName,
    /// The kind to record in the registry, for a named graph that gains triples.
    register: Option<&'static str>,
    pub(super) added: Vec<Triple>,
    pub(super) removed: Vec<Triple>,
    /// A named graph removed as a whole.
    pub(super) dropped: bool,
    /// A named graph the write creates.
    pub(super) created: bool,
}

/// What a replacement keeps of the new triples (their first occurrences
/// not already stored) and what it removes of the old. Each triple is
/// hashed once; the old version and the new one are hashed and gathered
/// on two threads when they are large.
fn compare(old: &[Triple], new: &[Triple]) -> (Vec<bool>, Vec<Triple>) {
    let state = ahash::RandomState::new();
    let hashed = |triples| hashed(&state, triples);
    let gather_old = || {
        let old = hashed(old);
        let set: HashSet<Hashed<'_>> = old.iter().copied().collect();
        (old, set)
    };
    let gather_new = || {
        let new = hashed(new);
        let mut seen: HashSet<Hashed<'_>> = HashSet::with_capacity(new.len());
        let first: Vec<bool> = new.iter().map(|h| seen.insert(*h)).collect();
        (new, seen, first)
    };
    let ((old, stored), (new, seen, first)) = if old.len() + new.len() >= cache::KEPT_FROM {
        std::thread::scope(|scope| {
            let other = scope.spawn(gather_old);
            let new = gather_new();
            (
                other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                new,
            )
        })
    } else {
        (gather_old(), gather_new())
    };
    let keep = new
        .iter()
        .zip(first)
        .map(|(h, first)| first && !stored.contains(h))
        .collect();
    let removed = old
        .iter()
        .filter(|h| !seen.contains(*h))
        .map(|h| h.triple.clone())
        .collect();
    (keep, removed)
}

fn hashed<'a>(state: &ahash::RandomState, triples: &'a [Triple]) -> Vec<Hashed<'a>> {
    triples
        .iter()
        .map(|triple| Hashed {
            hash: state.hash_one(triple),
            triple,
        })
        .collect()
}

/// A triple with its hash, computed once however often it is looked up.
#[derive(Clone, Copy)]
struct Hashed<'a> {
    hash: u64,
    triple: &'a Triple,
}

impl PartialEq for Hashed<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.triple == other.triple
    }
}

impl Eq for Hashed<'_> {}

impl std::hash::Hash for Hashed<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A commit's delta to a graph kept between writes.
struct KeptChange {
    graph: GraphName,
    removed: Vec<Triple>,
    added: Vec<Triple>,
    dropped: bool,
    created: bool,
}

impl Store {
    /// Applies a prepared change. See [`Store::write`].
    pub fn apply(&self, change: Change) -> Result<Receipt> {
        self.write(|_| Ok((change, ()))).map(|(receipt, ())| receipt)
    }

    /// The write path. `build` runs under the writer lock, so what it reads
    /// from the store stays current until the commit; it returns the change
    /// to apply and any value the caller wants back (a diff, say).
    pub fn write<T>(&self, build: impl FnOnce(&WriteView<'_>) -> Result<(Change, T)>) -> Result<(Receipt, T)> {
        let _guard = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = OffsetDateTime::now_utc();
        let view = WriteView {
            store: self,
            graphs: RefCell::new(HashMap::new()),
            mentioned: RefCell::new(HashMap::new()),
        };
        let (mut change, value) = tracing::debug_span!("build").in_scope(|| build(&view))?;
        validate(&change)?;
        let deltas = tracing::debug_span!("delta").in_scope(|| view.deltas(std::mem::take(&mut change.writes)))?;
        // Its reads are done; what it kept of large graphs is no longer shared.
        drop(view);
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
        self.check_owners(&change.tenant, &deltas)?;
        let (registry_added, registry_removed) = self.registry_changes(&change.tenant, &deltas)?;
        self.note_tenant(&change.tenant);

        let prepared = summaries::prepare(&deltas);

        let bulk = deltas.iter().all(|d| d.removed.is_empty() && !d.dropped)
            && registry_removed.is_empty()
            && deltas.iter().map(|d| d.added.len()).sum::<usize>() >= self.bulk_threshold;
        for delta in &deltas {
            (self.markers).committing(delta.graph.as_ref(), &delta.added, &delta.removed, delta.dropped);
        }
        fault::pause_point("before-commit");
        let kept = self.kept_changes(&deltas);
        let _commit = tracing::debug_span!("commit", bulk).entered();
        if bulk {
            self.commit_bulk_with_summaries(
                generation,
                &change.tenant,
                deltas,
                prepared,
                registry_added,
                audit_quads,
            )?;
        } else {
            let mut deltas = deltas;
            let mut registry_added = registry_added;
            if let Some(prepared) = &prepared {
                let snapshot = self.db.start_transaction()?;
                let summarised = self.summary_delta(&snapshot, &change.tenant, prepared)?;
                registry_added.extend(self.registry_changes(&change.tenant, summarised.as_slice())?.0);
                deltas.extend(summarised);
            }
            self.commit_transaction(generation, &deltas, registry_added, registry_removed, audit_quads)?;
        }
        drop(_commit);
        self.keep_changes(kept);
        let receipt = self.committed(&change, generation, summary, ended);
        Ok((receipt, value))
    }

    /// The change to the summary graph of `tenant` that goes with a commit
    /// (see `summaries.rs`), as a delta of its own.
    fn summary_delta(
        &self,
        snapshot: &oxigraph::store::Transaction<'_>,
        tenant: &str,
        prepared: &summaries::Prepared,
    ) -> Result<Option<Delta>> {
        let change = tracing::debug_span!("summaries").in_scope(|| summaries::update(snapshot, tenant, prepared))?;
        Ok(change.map(|s| Delta {
            graph: s.graph.into(),
            register: s.created.then_some(summaries::KIND),
            added: s.added,
            removed: s.removed,
            dropped: false,
            created: s.created,
        }))
    }

    /// A bulk load, and its summaries. The bulk loader only adds, and the
    /// summaries replace tallies: they follow in a transaction of their
    /// own, computed from a snapshot taken before the load on a second
    /// thread while the load runs. Should they fail once the load is in,
    /// they are built again from the records.
    fn commit_bulk_with_summaries(
        &self,
        generation: u64,
        tenant: &str,
        deltas: Vec<Delta>,
        prepared: Option<summaries::Prepared>,
        registry_added: Vec<Quad>,
        audit_quads: Vec<Quad>,
    ) -> Result<()> {
        let summarised = std::thread::scope(|scope| -> Result<Result<Option<Delta>>> {
            let (taken, snapshot_taken) = std::sync::mpsc::channel();
            let worker = prepared.as_ref().map(|prepared| {
                let span = tracing::Span::current();
                scope.spawn(move || {
                    let _entered = span.enter();
                    let snapshot = self.db.start_transaction();
                    let _ = taken.send(());
                    self.summary_delta(&snapshot?, tenant, prepared)
                })
            });
            if worker.is_some() {
                let _ = snapshot_taken.recv();
            }
            self.commit_bulk(deltas, registry_added, audit_quads)?;
            Ok(worker.map_or(Ok(None), |w| {
                w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }))
        })?;
        fault::pause_point("between-bulk-and-summaries");
        let summarised = match summarised {
            Ok(summarised) => summarised,
            Err(error) => {
                tracing::error!(%error, "the summaries of a bulk load failed; building them again");
                return summaries::rebuild(self, generation);
            }
        };
        let registered = self.registry_changes(tenant, summarised.as_slice())?.0;
        self.commit_transaction(generation, summarised.as_slice(), registered, Vec::new(), Vec::new())
    }

    /// What a commit is about to do to the large graphs kept between writes
    /// (see `cache.rs`), and the large graphs it creates.
    fn kept_changes(&self, deltas: &[Delta]) -> Vec<KeptChange> {
        let kept = self.kept();
        deltas
            .iter()
            .filter(|d| kept.holds(&d.graph) || (d.created && cache::worth_keeping(&d.graph, d.added.len())))
            .map(|d| KeptChange {
                graph: d.graph.clone(),
                removed: d.removed.clone(),
                added: d.added.clone(),
                dropped: d.dropped,
                created: d.created,
            })
            .collect()
    }

    /// Once the commit is durable: the kept graphs follow it.
    fn keep_changes(&self, changes: Vec<KeptChange>) {
        let mut kept = self.kept();
        for change in changes {
            if change.created {
                kept.keep(change.graph, Arc::new(change.added));
            } else {
                kept.apply(&change.graph, &change.removed, &change.added, change.dropped);
            }
        }
    }

    /// After a commit: the new generation, its log line, and the listeners
    /// told what changed.
    fn committed(&self, change: &Change, generation: u64, graphs: Vec<GraphDelta>, at: OffsetDateTime) -> Receipt {
        self.generation.store(generation, Ordering::SeqCst);
        let receipt = Receipt {
            generation,
            changed: true,
            graphs,
            committed_at: at,
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
            listener.committed(self, &receipt);
        }
        receipt
    }

    /// Records a change to state the service keeps outside the store
    /// (webhook subscriptions, connectors' OAuth tokens, both in files that
    /// hold secrets): an audit entry alone, committed as a generation of
    /// its own, so that the audit trail tells every change. The change
    /// writes no graph, and its note must hold no secret.
    pub(crate) fn record_outside_change(&self, change: Change) -> Result<Receipt> {
        if !change.writes.is_empty() {
            return Err(Error::invalid(
                "a change outside the store writes no graph; use Store::write",
            ));
        }
        let _guard = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = OffsetDateTime::now_utc();
        let generation = self.generation() + 1;
        let audit_quads = audit::entry(&change, generation, started, started, &[]);
        self.note_tenant(&change.tenant);
        self.commit_transaction(generation, &[], Vec::new(), Vec::new(), audit_quads)?;
        Ok(self.committed(&change, generation, Vec::new(), started))
    }

    /// Refuses a change to a graph another tenant owns: writes go to the
    /// writer's tenant only. The service's own bookkeeping graphs, which
    /// every tenant's writes append to (usage, tallies, the outbox, cursors,
    /// the shipped vocabularies), belong to no one in this sense.
    fn check_owners(&self, tenant: &str, deltas: &[Delta]) -> Result<()> {
        for delta in deltas {
            let GraphName::NamedNode(g) = &delta.graph else {
                continue;
            };
            if delta.added.is_empty() && delta.removed.is_empty() && !delta.dropped {
                continue;
            }
            if let Some(kind) = self.graph_kind(g.as_ref())? {
                if SERVICE_KINDS.contains(&kind.as_str()) {
                    continue;
                }
            }
            if self.graph_tenant(g.as_ref())?.is_some_and(|owner| owner != tenant) {
                // The graph is not named: the caller may not know it exists.
                return Err(Error::Forbidden {
                    message: format!(
                        "this change touches a graph of another tenant; a key limited to tenant '{tenant}' \
                         changes that tenant's graphs only"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Registry triples to add (new graphs: tenant and kind) and to remove (dropped graphs).
    fn registry_changes(&self, tenant: &str, deltas: &[Delta]) -> Result<(Vec<Quad>, Vec<Quad>)> {
        let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for delta in deltas {
            let GraphName::NamedNode(g) = &delta.graph else {
                continue; // the default graph belongs to no tenant
            };
            if delta.dropped {
                for quad in self
                    .db
                    .quads_for_pattern(Some(g.as_ref().into()), None, None, Some(registry.into()))
                {
                    removed.push(quad?);
                }
            } else if let (Some(kind), false) = (delta.register, delta.added.is_empty()) {
                added.extend(registration(g, kind, tenant));
            }
        }
        Ok((added, removed))
    }

    /// Commits in one transaction, with the generation the report
    /// summaries are now current at.
    fn commit_transaction(
        &self,
        generation: u64,
        deltas: &[Delta],
        registry_added: Vec<Quad>,
        registry_removed: Vec<Quad>,
        audit_quads: Vec<Quad>,
    ) -> Result<()> {
        let mut tx = self.db.start_transaction()?;
        for delta in deltas {
            let graph = delta.graph.as_ref();
            if let (true, GraphName::NamedNode(g)) = (delta.dropped, &delta.graph) {
                tx.remove_named_graph(g)?;
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
        for old in summaries::stored_markers(self)? {
            tx.remove(&old);
        }
        tx.insert(&summaries::marker(generation));
        tx.commit()?;
        Ok(())
    }

    fn commit_bulk(&self, deltas: Vec<Delta>, registry_added: Vec<Quad>, audit_quads: Vec<Quad>) -> Result<()> {
        let total = deltas.iter().map(|d| d.added.len()).sum::<usize>() + registry_added.len() + audit_quads.len();
        let data = deltas.into_iter().flat_map(|d| {
            let graph = d.graph;
            d.added.into_iter().map(move |t| t.in_graph(graph.clone()))
        });
        // The loader gives each batch to one thread: one batch per core keeps
        // every core busy. (Its memory setting is batch size × threads / 1000.)
        // But every batch also becomes one more file per index in RocksDB's
        // level 0, each merged later with all the level below: a commit of
        // moderate size (a usage batch) goes in as one batch.
        let threads = if total < SPLIT_FROM {
            1
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        };
        let batch = total.div_ceil(threads).max(10_000);
        let mut loader = self
            .db
            .bulk_loader()
            .with_num_threads(threads)
            .with_max_memory_size_in_megabytes((batch * threads).div_ceil(1000));
        loader.load_quads(data.chain(registry_added).chain(audit_quads))?;
        loader.commit()?;
        Ok(())
    }
}

/// The registry's statements of a graph: its tenant and its kind. That
/// it is an `ag:ManagedGraph` follows from `ag:graphKind`'s domain in the
/// ontology, and is not written again for each of a million graphs (stores
/// written before keep the statement; nothing reads it).
pub(super) fn registration(graph: &NamedNode, kind: &str, tenant: &str) -> [Quad; 2] {
    let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
    [
        Quad::new(
            graph.clone(),
            ag::TENANT,
            NamedNode::new_unchecked(graphs::tenant(tenant)),
            registry,
        ),
        Quad::new(
            graph.clone(),
            ag::GRAPH_KIND,
            Literal::new_simple_literal(kind),
            registry,
        ),
    ]
}

impl Delta {
    fn summary(&self) -> GraphDelta {
        GraphDelta {
            graph: match &self.graph {
                GraphName::NamedNode(g) => g.as_str().to_owned(),
                _ => graphs::DEFAULT.to_owned(),
            },
            added: self.added.len(),
            removed: self.removed.len(),
            dropped: self.dropped,
        }
    }
}

/// The run of triples about one subject from which a merge scans the
/// subject once rather than looking up each triple.
const SCAN_FROM_RUN: usize = 4;

/// The size from which a bulk commit is built on every core.
const SPLIT_FROM: usize = 100_000;

/// Rules every change obeys, whoever sends it.
fn validate(change: &Change) -> Result<()> {
    let mut seen = HashMap::new();
    for write in &change.writes {
        let graph = match write.graph() {
            GraphNameRef::NamedNode(g) => g.as_str(),
            GraphNameRef::DefaultGraph => graphs::DEFAULT,
            GraphNameRef::BlankNode(_) => {
                return Err(Error::invalid_field(
                    "graph",
                    "graphs named by blank nodes cannot be stored; name them with IRIs",
                ))
            }
        };
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
    if !crate::rdf::is_tenant_id(&change.tenant) {
        return Err(Error::invalid_field(
            "tenant",
            format!("'{}' is not a valid tenant id", change.tenant),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{BlankNode, Term};

    fn apply(store: &Store, write: GraphWrite) -> GraphDelta {
        let receipt = store
            .apply(Change {
                actor: "tester".into(),
                operation: "test.write".into(),
                tenant: "default".into(),
                note: None,
                writes: vec![write],
            })
            .unwrap();
        receipt.graphs.into_iter().next().unwrap()
    }

    fn replace(graph: &NamedNode, triples: Vec<Triple>) -> GraphWrite {
        GraphWrite::Replace {
            graph: graph.clone(),
            kind: "graph",
            triples,
        }
    }

    fn triple(s: &str, p: &str, o: impl Into<Term>) -> Triple {
        Triple::new(NamedNode::new_unchecked(s), NamedNode::new_unchecked(p), o)
    }

    /// A graph large enough to be kept between writes, with literals of
    /// several kinds and two triples with a blank node.
    fn large(changed: &str) -> Vec<Triple> {
        let blank = BlankNode::default();
        let mut triples: Vec<Triple> = (0..cache::KEPT_FROM + 500)
            .map(|i| {
                let subject = format!("urn:s:{}", i / 3);
                match i % 3 {
                    0 => triple(
                        &subject,
                        "urn:p:label",
                        Literal::new_language_tagged_literal_unchecked(format!("label {i}"), "en"),
                    ),
                    1 => triple(&subject, "urn:p:rank", Literal::from(i as i64)),
                    _ => triple(&subject, "urn:p:link", NamedNode::new_unchecked(format!("urn:o:{i}"))),
                }
            })
            .collect();
        triples.push(triple(
            "urn:s:changing",
            "urn:p:label",
            Literal::new_simple_literal(changed),
        ));
        triples.push(triple("urn:s:0", "urn:p:note", blank.clone()));
        triples.push(Triple::new(
            blank,
            NamedNode::new_unchecked("urn:p:text"),
            Literal::new_simple_literal("a note"),
        ));
        triples
    }

    /// The triples without blank nodes, and how many have one.
    fn shape(triples: &[Triple]) -> (HashSet<Triple>, usize) {
        let ground = |t: &&Triple| {
            matches!(t.subject, NamedOrBlankNode::NamedNode(_))
                && !matches!(t.object, oxigraph::model::Term::BlankNode(_))
        };
        let distinct: HashSet<Triple> = triples.iter().cloned().collect();
        let with_blank = distinct.iter().filter(|t| !ground(t)).count();
        (distinct.iter().filter(ground).cloned().collect(), with_blank)
    }

    /// What a write reads of a graph, through its view.
    fn read_in_a_write(store: &Store, graph: &str) -> usize {
        let graph = NamedNode::new_unchecked(graph);
        let nothing = |view: &WriteView<'_>| {
            let read = view.graph_triples(&graph)?.len();
            let change = Change {
                actor: "tester".into(),
                operation: "test.read".into(),
                tenant: "default".into(),
                note: None,
                writes: Vec::new(),
            };
            Ok((change, read))
        };
        store.write(nothing).unwrap().1
    }

    #[test]
    fn the_registry_is_read_afresh_however_large_as_commits_write_it_besides_their_deltas() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let merge = |name: String| GraphWrite::Merge {
            graph: NamedNode::new_unchecked(name),
            kind: "graph",
            triples: vec![triple("urn:s", "urn:p", Literal::new_simple_literal("o"))],
        };
        let per_graph = registration(&NamedNode::new_unchecked("urn:x"), "graph", "default").len();
        let graphs = cache::KEPT_FROM / per_graph + 1;
        store
            .apply(Change {
                actor: "tester".into(),
                operation: "test.write".into(),
                tenant: "default".into(),
                note: None,
                writes: (0..graphs).map(|i| merge(format!("urn:graph:{i}"))).collect(),
            })
            .unwrap();
        let registered = read_in_a_write(&store, graphs::REGISTRY);
        assert!(registered >= cache::KEPT_FROM, "{registered} registry triples");
        apply(&store, merge("urn:graph:one-more".into()));
        assert_eq!(
            read_in_a_write(&store, graphs::REGISTRY),
            registered + per_graph,
            "the new graph's registry entry is seen"
        );
    }

    #[test]
    fn a_large_graph_kept_between_writes_follows_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let graph = NamedNode::new_unchecked("urn:graph:large");
        let name = GraphName::from(graph.clone());
        let first = large("before");
        assert_eq!(apply(&store, replace(&graph, first.clone())).added, first.len());
        assert!(store.kept().holds(&name), "created large: kept");

        // One ground triple changed, every triple sent twice, fresh blank nodes.
        let mut second = large("after");
        second.extend(second.clone());
        let delta = apply(&store, replace(&graph, second.clone()));
        assert_eq!(
            (delta.added, delta.removed),
            (3, 3),
            "the changed triple and the two with a blank node, each way"
        );
        assert_eq!(shape(&store.graph_triples(graph.as_ref()).unwrap()), shape(&second));

        // A patch (a SPARQL update, say) between two replacements.
        let extra = triple("urn:s:extra", "urn:p:label", Literal::new_simple_literal("extra"));
        let gone = triple("urn:s:1", "urn:p:rank", Literal::from(4_i64));
        let patch = GraphWrite::Patch {
            graph: name.clone(),
            kind: "graph",
            remove: vec![gone.clone()],
            add: vec![extra.clone()],
            drop: false,
        };
        let delta = apply(&store, patch);
        assert_eq!((delta.added, delta.removed), (1, 1));
        let third = large("after");
        let delta = apply(&store, replace(&graph, third.clone()));
        assert_eq!(
            (delta.added, delta.removed),
            (3, 3),
            "the patch undone, and the blank-node triples"
        );
        let stored = store.graph_triples(graph.as_ref()).unwrap();
        assert_eq!(shape(&stored), shape(&third));
        assert_eq!(
            store.kept().get(&name).map(|kept| shape(&kept)),
            Some(shape(&stored)),
            "what is kept is what is stored"
        );

        // Shrunk to one triple: no longer kept; dropped: gone.
        let one = vec![triple("urn:s:0", "urn:p:rank", Literal::from(1_i64))];
        assert_eq!(apply(&store, replace(&graph, one)).removed, third.len() - 1);
        assert!(!store.kept().holds(&name));
        apply(&store, replace(&graph, first.clone()));
        apply(&store, GraphWrite::Drop { graph: graph.clone() });
        assert!(!store.kept().holds(&name), "dropped");
    }
}
