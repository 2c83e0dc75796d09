//! The search index: tantivy on disk, derived from the store and kept in
//! step with it.
//!
//! # Design
//! The store is the truth; the index is a projection that can always be
//! rebuilt from it. Each asset record graph (`urn:assetgraph:asset:…`) is
//! one tantivy document, keyed by its graph IRI, so that the two things the
//! write path does to a record — replace its graph, drop it — are one
//! delete-by-key followed, for a replacement, by one add.
//!
//! **In step.** Every commit of the store's write path calls
//! [`SearchIndex::committed`] before the write returns to its caller, which
//! re-reads the graphs the commit touched, rewrites their documents and
//! commits tantivy with the store generation as the commit payload. A write
//! acknowledged by any endpoint is therefore visible to search at once.
//! [`SearchIndex::open`] compares that payload with the store's generation:
//! an index that is behind (the process died between the two commits, or
//! the index directory was deleted) is rebuilt from the store before the
//! service answers, so the two never silently diverge.
//!
//! **Concepts.** Assets carry the IRIs of their tags and nothing else of the
//! taxonomies; the concept view (`concepts.rs`) resolves and expands a query
//! at query time (`search.rs`), so a taxonomy push rewrites no asset document
//! — except those whose text mentions a label the push added, removed or
//! moved, because their automatic tags (concepts found in their text by the
//! tagger, `tag.rs`; derived data, so kept here and not in the store) change.
//!
//! **Text.** Titles, descriptions and keywords go into one accent- and
//! case-folded field for every language, and into a stemmed field of their
//! own language where tantivy has a stemmer for it; a query in a language
//! searches both, with the stemmed field ranked higher.

mod analysis;
mod concepts;
mod document;
mod facets;
mod hit;
mod labels;
mod loose;
mod query_text;
mod rights;
mod saved;
mod search;
mod stop_words;
mod suggest;
mod tag;
mod tagset;

use crate::error::{Error, Result};
use crate::records::Targeting;
use crate::rights::Territories;
use crate::store::{ChangeListener, Receipt, Store};
use crate::vocab::graphs;
use document::{Fields, ASSET_GRAPH_PREFIX};
use oxigraph::model::{NamedNode, Triple};
use rights::RightsTable;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::schema::{Term, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

pub use analysis::{language_field_name, STEMMED_LANGUAGES};
pub use concepts::{ConceptView, Expansion, LabelKind, Suggestion};
pub use facets::{Bucket, ConceptBucket, Facets, RolledUp, SchemeFacet};
pub use hit::{Badge, Highlight, HitPreview};
pub use search::{Hit, HitConcept, ResolvedConcept, SearchAnswer, SearchRequest, Sort, Words};
pub use suggest::{SuggestAnswer, TitleSuggestion};
pub use tag::{Tag, TagRequest};

/// `generation` of an index that was never committed.
const NEVER_COMMITTED: u64 = u64::MAX;

/// Memory for tantivy's indexing buffers (it splits it across its threads).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Assets from which a query's segments are collected on several threads:
/// below, handing segments out costs more than it saves.
const PARALLEL_FROM: u64 = 200_000;

/// Threads reading records from the store in a rebuild, per core: a
/// read often waits for the disk (the strings of a record's terms are
/// scattered over the store), so more readers than cores keep the cores
/// busy (measured at 1M assets on 2 cores: 15% faster than one per core).
const READERS_PER_CORE: usize = 2;
/// ...and at most.
const MAX_READERS: usize = 8;

/// Changed records a saved rights table is brought up to date with at
/// least, before compiling every record is thought quicker (beyond a
/// quarter of the assets).
const REPLAY_AT_MOST: u64 = 10_000;

/// A record graph as a rebuild reads it: its document, if it holds an
/// asset, and its part of the rights table.
type Read = (Option<TantivyDocument>, rights::Prepared);

/// Reads every graph with `read` on several threads, and hands each result
/// to `take` on this one (with how many were taken before). Reading records
/// is the slow part (the store decodes every term); taking them in is not.
/// The first error stops the readers and is returned.
fn for_each_read<T: Send>(
    graphs: &[NamedNode],
    read: impl Fn(&NamedNode) -> Result<T> + Sync,
    mut take: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let readers = std::thread::available_parallelism()
        .map_or(1, |n| n.get() * READERS_PER_CORE)
        .min(MAX_READERS);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<T>>(1024);
        for _ in 0..readers {
            let (send, next, read) = (send.clone(), &next, &read);
            scope.spawn(move || {
                while let Some(graph) = graphs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = read(graph);
                    let failed = result.is_err();
                    // A closed channel means the taker stopped on an error.
                    if send.send(result).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(send);
        for (done, result) in receive.into_iter().enumerate() {
            take(done, result?)?;
        }
        Ok(())
    })
}

pub struct SearchIndex {
    /// Where tantivy keeps its files, and the index its saved rights.
    dir: PathBuf,
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    /// The store generation of the last commit (the commit payload), kept
    /// here so that answers need not read it from disk.
    generation: AtomicU64,
    /// Set when an update failed: the next commit rebuilds instead, so a
    /// later payload never hides a missed change.
    stale: AtomicBool,
    /// The taxonomies, for query-time expansion; replaced whole when a
    /// commit touches them.
    concepts: RwLock<Arc<ConceptView>>,
    /// Every indexed asset's compiled rights, for the clearance filter.
    rights: Arc<RwLock<RightsTable>>,
    /// Whether the rights table is whole (not while it is filled), and so
    /// may be saved.
    rights_whole: AtomicBool,
    /// The generation of the rights table last saved or loaded.
    rights_saved: AtomicU64,
    /// When the open loaded a saved rights table: its generation and the
    /// records compiled again to bring it up to date.
    rights_loaded: Option<(u64, usize)>,
    /// Asset documents written since the index was opened (rebuilds included).
    written: AtomicU64,
    /// The threads a query's segments are collected on, one per core...
    executor: tantivy::Executor,
    /// ...from this many assets on.
    parallel_from: AtomicU64,
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e.to_string())
    }
}

impl From<tantivy::query::QueryParserError> for Error {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        Error::invalid_field("q", format!("cannot read the query: {e}"))
    }
}

/// A progress report for the log while the index works through the store
/// on open: a line every few seconds, and one at the end of a long run, so
/// that a restart of a large store is seen to be working.
fn logged_progress(what: &'static str) -> impl Fn(usize, usize) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(5);
    let started = std::time::Instant::now();
    let last = std::sync::Mutex::new(started);
    move |done, total| {
        let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let finished = done == total && started.elapsed() >= EVERY;
        if last.elapsed() >= EVERY || finished {
            *last = std::time::Instant::now();
            tracing::info!(done, total, seconds = started.elapsed().as_secs(), "{what}");
        }
    }
}

impl SearchIndex {
    /// Opens the index in `dir` (creating it if needed) and brings it up to
    /// the store's generation, rebuilding it when it is behind.
    pub fn open(dir: &Path, store: &Store) -> Result<Self> {
        let mut search = Self::open_for_rebuild(dir)?;
        let tallied = if search.generation() == Some(store.generation()) {
            Some(BTreeSet::new())
        } else {
            search.tallied_since(store)?
        };
        let Some(tallied) = tallied else {
            tracing::info!(
                index = ?search.generation(),
                store = store.generation(),
                "search index behind the store: rebuilding"
            );
            search.rebuild(store, &logged_progress("rebuilding the search index: records"))?;
            return Ok(search);
        };
        search.reload_concepts(store)?;
        search.rights_loaded = search.restore_rights(store)?;
        let compiled = search.rights_loaded.is_none();
        if tallied.is_empty() {
            search.generation.store(store.generation(), Ordering::SeqCst);
        } else {
            // A download counted after the index's last commit may have
            // used up a limit, and the process stopped before the index
            // heard of it: those documents are written again.
            let mut writer = search.lock_writer();
            search.rewrite_documents(&mut writer, store, &tallied, HashMap::new())?;
            search.commit(&mut writer, store.generation())?;
        }
        if !search.rights_classes_known()? {
            // Written by a version that described rights differently.
            tracing::info!("search index carries unknown rights classes: rebuilding");
            search.rebuild(store, &logged_progress("rebuilding the search index: records"))?;
        } else if compiled {
            search.save_rights_or_warn();
        }
        Ok(search)
    }

    /// When every commit after the index's own touched only graphs it
    /// derives no document from (usage events, the audit trail, downloads
    /// tallies), the assets whose downloads were counted meanwhile: the
    /// index is current but for their classes, because such commits are
    /// not committed to tantivy (see [`Self::update`]). `None` when
    /// anything else changed.
    fn tallied_since(&self, store: &Store) -> Result<Option<BTreeSet<String>>> {
        let Some(own) = self.generation() else {
            return Ok(None);
        };
        if own > store.generation() {
            return Ok(None);
        }
        let mut tallied = BTreeSet::new();
        for graph in store.graphs_changed_since(own)? {
            if !graphs::is_bookkeeping(&graph) {
                return Ok(None);
            }
            tallied.extend(graphs::asset_of_downloads(&graph));
        }
        Ok(Some(tallied))
    }

    /// Opens the index in `dir` as it is, without concepts or rights: for a
    /// caller that rebuilds it at once (`assetgraph reindex`).
    pub fn open_for_rebuild(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::File {
            path: dir.display().to_string(),
            source,
        })?;
        let schema = document::schema();
        let index = open_or_recreate(dir, &schema)?;
        analysis::register_analyzers(&index);
        let fields = Fields::new(&schema);
        let writer = index.writer(WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let generation = index.load_metas()?.payload.as_deref().and_then(|p| p.parse().ok());
        Ok(SearchIndex {
            dir: dir.to_owned(),
            index,
            fields,
            writer: Mutex::new(writer),
            reader,
            generation: AtomicU64::new(generation.unwrap_or(NEVER_COMMITTED)),
            stale: AtomicBool::new(false),
            concepts: RwLock::default(),
            written: AtomicU64::new(0),
            rights: Arc::default(),
            rights_whole: AtomicBool::new(false),
            rights_saved: AtomicU64::new(NEVER_COMMITTED),
            rights_loaded: None,
            executor: search_threads()?,
            parallel_from: AtomicU64::new(PARALLEL_FROM),
        })
    }

    /// When the open loaded the saved rights table instead of compiling
    /// every record: the generation it was saved at, and how many records
    /// changed since were compiled again.
    pub fn rights_loaded(&self) -> Option<(u64, usize)> {
        self.rights_loaded
    }

    /// The store generation the index reflects (`None` for an index never committed).
    pub fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::SeqCst)).filter(|&g| g != NEVER_COMMITTED)
    }

    /// Rebuilds every document from the store. `progress(done, total)` is
    /// called as records are read.
    pub fn rebuild(&self, store: &Store, progress: &dyn Fn(usize, usize)) -> Result<usize> {
        let graphs = crate::records::graphs(store)?;
        let mut writer = self.lock_writer();
        // Read before the records: a commit landing meanwhile is indexed
        // again by its own listener call, which is harmless.
        let generation = store.generation();
        writer.delete_all_documents()?;
        self.reload_concepts(store)?;
        let view = self.concepts();
        let mut rights = self.rights_mut();
        self.rights_whole.store(false, Ordering::SeqCst);
        rights.clear();
        let total = graphs.len();
        let targeting = Targeting::read_all(store)?;
        let read = |graph: &NamedNode| self.read_record(store, graph, &view, &targeting);
        for_each_read(&graphs, read, |done, (doc, prepared)| {
            if let Some(doc) = doc {
                writer.add_document(doc)?;
                self.written.fetch_add(1, Ordering::Relaxed);
            }
            rights.accept(prepared);
            if done % 1000 == 0 {
                progress(done, total);
            }
            Ok(())
        })?;
        progress(graphs.len(), graphs.len());
        drop(rights);
        self.commit(&mut writer, generation)?;
        self.stale.store(false, Ordering::SeqCst);
        self.rights_whole.store(true, Ordering::SeqCst);
        drop(writer);
        self.save_rights_or_warn();
        Ok(graphs.len())
    }

    /// One record graph's document and rights, read from the store.
    fn read_record(&self, store: &Store, graph: &NamedNode, view: &ConceptView, targeting: &Targeting) -> Result<Read> {
        let triples = store.graph_triples(graph.as_ref())?;
        let prepared = rights::Prepared::read(store, graph, &triples, Territories::global(), targeting)?;
        let tenant = store.graph_owner(graph.as_ref())?;
        let doc = document::build(graph, &tenant, &triples, prepared.class, &self.fields, view);
        Ok((doc, prepared))
    }

    /// Rewrites the documents of the graphs a commit touched.
    pub fn update(&self, store: &Store, receipt: &Receipt) -> Result<()> {
        if self.stale.load(Ordering::SeqCst) {
            return self.rebuild(store, &|_, _| {}).map(drop);
        }
        let mut writer = self.lock_writer();
        let taxonomies: Vec<&str> = (receipt.graphs.iter().map(|c| c.graph.as_str()))
            .filter(|g| !g.starts_with(ASSET_GRAPH_PREFIX) && !graphs::is_bookkeeping(g))
            .collect();
        let mut rewrite: BTreeSet<String> = BTreeSet::new();
        if !taxonomies.is_empty() {
            let before = self.concepts();
            let after = Arc::new(tracing::debug_span!("concepts").in_scope(|| before.reload(store, &taxonomies))?);
            *self.concepts.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = after.clone();
            let mentioning =
                tracing::debug_span!("relabelled").in_scope(|| self.mentioning_changed_labels(&before, &after))?;
            rewrite.extend(mentioning);
            // Freeing a large view takes a while; the write need not wait.
            std::thread::spawn(move || drop(before));
        }
        let (tallied, recount) = self.count_downloads(receipt);
        rewrite.extend(recount);
        let mut changed: Vec<&str> = receipt
            .graphs
            .iter()
            .map(|c| c.graph.as_str())
            .filter(|g| g.starts_with(ASSET_GRAPH_PREFIX))
            .collect();
        for asset in &tallied {
            if !changed.contains(&asset.as_str()) {
                changed.push(asset);
            }
        }
        rewrite.extend(changed.iter().map(|g| (*g).to_owned()));
        if rewrite.is_empty() && receipt.graphs.iter().all(|c| graphs::is_bookkeeping(&c.graph)) {
            // Usage, audit, downloads that used up no limit: nothing to
            // rewrite, and no tantivy commit either (a usage batch would
            // otherwise pay for one). The payload stays behind; `open`
            // knows why.
            self.generation.store(receipt.generation, Ordering::SeqCst);
            return Ok(());
        }
        // Rights first: a changed rights record changes the rights, and so
        // the documents, of the assets it targets. Each graph is read once.
        let mut read: HashMap<String, Vec<Triple>> = HashMap::new();
        for graph in &changed {
            let node = NamedNode::new_unchecked(*graph);
            let triples = store.graph_triples(node.as_ref())?;
            let targeted = self
                .rights_mut()
                .refresh(store, &node, &triples, Territories::global())?;
            for (asset, triples) in targeted {
                rewrite.insert(asset.clone());
                read.insert(asset, triples);
            }
            read.insert((*graph).to_owned(), triples);
        }
        self.rewrite_documents(&mut writer, store, &rewrite, read)?;
        self.commit(&mut writer, receipt.generation)
    }

    /// Takes in the downloads tallies of a commit. A tally that only grew,
    /// of an asset the commit leaves otherwise alone (a usage batch), is
    /// counted in the rights table without reading the store; those assets
    /// whose downloads it used up are returned second: their class, and
    /// so their document, changed. Every other tallied asset is returned
    /// first, for its rights to be compiled again from the store.
    fn count_downloads(&self, receipt: &Receipt) -> (Vec<String>, Vec<String>) {
        let (mut compile, mut used_up) = (Vec::new(), Vec::new());
        for change in &receipt.graphs {
            let Some(asset) = graphs::asset_of_downloads(&change.graph) else {
                continue;
            };
            let grew_only =
                change.removed == 0 && !change.dropped && !receipt.graphs.iter().any(|other| other.graph == asset);
            let counted = grew_only
                .then(|| {
                    let more = u32::try_from(change.added).unwrap_or(u32::MAX);
                    self.rights_mut().add_downloads(rights::key_of(&asset), more)
                })
                .flatten();
            match counted {
                Some(false) => {}
                Some(true) => used_up.push(asset),
                None => compile.push(asset),
            }
        }
        (compile, used_up)
    }

    /// Writes the documents of these graphs afresh, from the triples
    /// already `read` or else from the store, with their rights class as
    /// the table has it now.
    fn rewrite_documents(
        &self,
        writer: &mut IndexWriter,
        store: &Store,
        rewrite: &BTreeSet<String>,
        mut read: HashMap<String, Vec<Triple>>,
    ) -> Result<()> {
        let view = self.concepts();
        for graph in rewrite {
            writer.delete_term(Term::from_field_text(self.fields.graph, graph));
            let node = NamedNode::new_unchecked(graph.as_str());
            let triples = match read.remove(graph) {
                Some(triples) => triples,
                None => store.graph_triples(node.as_ref())?,
            };
            let class = self.rights().class(rights::key_of(graph));
            let tenant = store.graph_owner(node.as_ref())?;
            if let Some(doc) = document::build(&node, &tenant, &triples, class, &self.fields, &view) {
                writer.add_document(doc)?;
                self.written.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// The asset graphs whose text contains a label that was added, removed
    /// or moved to another concept: their automatic tags change. Found with
    /// the index's own phrase search, so a taxonomy push rewrites only them.
    fn mentioning_changed_labels(&self, before: &ConceptView, after: &ConceptView) -> Result<BTreeSet<String>> {
        let searcher = self.reader.searcher();
        let mut graphs = BTreeSet::new();
        for label in before.changed_labels(after) {
            // A stemmed label is looked for in the stemmed text of its language.
            let (field, words) = match label.split_once('\u{1f}') {
                Some((language, stems)) => match self.fields.stemmed(language) {
                    Some(field) => (field, stems),
                    None => continue,
                },
                None => (self.fields.text, label.as_str()),
            };
            let terms: Vec<Term> = words
                .split(' ')
                .map(|word| Term::from_field_text(field, word))
                .collect();
            // A word no asset contains rules the label out before any query
            // is built (most labels of a push are new words).
            if terms.iter().any(|term| searcher.doc_freq(term).is_ok_and(|n| n == 0)) {
                continue;
            }
            let query: Box<dyn tantivy::query::Query> = if terms.len() == 1 {
                Box::new(tantivy::query::TermQuery::new(
                    terms[0].clone(),
                    tantivy::schema::IndexRecordOption::Basic,
                ))
            } else {
                Box::new(tantivy::query::PhraseQuery::new(terms))
            };
            for address in searcher.search(&query, &tantivy::collector::DocSetCollector)? {
                let doc: tantivy::TantivyDocument = searcher.doc(address)?;
                if let Some(key) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    graphs.insert(crate::rdf::asset_iri(key).into_string());
                }
            }
        }
        Ok(graphs)
    }

    /// Fills the rights table for an index whose documents are current:
    /// the saved table brought up to the store's generation when there is
    /// one this release can use, else every asset's rights compiled afresh.
    /// Returns the generation of the table loaded and the records compiled
    /// again to bring it up to date; `None` when all were compiled afresh.
    fn restore_rights(&self, store: &Store) -> Result<Option<(u64, usize)>> {
        let started = std::time::Instant::now();
        if let Some((generation, table)) = saved::read(&self.dir) {
            *self.rights_mut() = table;
            if let Some(replayed) = self.replay_rights(store, generation)? {
                self.rights_saved.store(generation, Ordering::SeqCst);
                self.rights_whole.store(true, Ordering::SeqCst);
                let ms = started.elapsed().as_millis() as u64;
                tracing::info!(saved_at = generation, replayed, ms, "rights table loaded");
                return Ok(Some((generation, replayed)));
            }
        }
        self.compile_rights(store)?;
        self.rights_whole.store(true, Ordering::SeqCst);
        Ok(None)
    }

    /// Brings a loaded rights table from `since` up to the store: the
    /// records changed meanwhile, and the assets whose downloads were
    /// counted, are compiled again. `None` when the table cannot be used:
    /// saved at a generation the store has not reached (another store), or
    /// so long ago that compiling everything is quicker.
    fn replay_rights(&self, store: &Store, since: u64) -> Result<Option<usize>> {
        if since > store.generation() {
            return Ok(None);
        }
        let mut changed = BTreeSet::new();
        for graph in store.graphs_changed_since(since)? {
            if graph.starts_with(ASSET_GRAPH_PREFIX) {
                changed.insert(graph);
            } else if let Some(asset) = graphs::asset_of_downloads(&graph) {
                changed.insert(asset);
            }
        }
        if changed.len() as u64 > REPLAY_AT_MOST.max(self.len() / 4) {
            return Ok(None);
        }
        let mut rights = self.rights_mut();
        for graph in &changed {
            let node = NamedNode::new_unchecked(graph.as_str());
            let triples = store.graph_triples(node.as_ref())?;
            rights.refresh(store, &node, &triples, Territories::global())?;
        }
        Ok(Some(changed.len()))
    }

    /// Saves the rights table beside the index, unless it is already saved
    /// at this generation: a restart then loads it instead of compiling
    /// every record (see `saved.rs`). Writes wait only while it is encoded.
    pub fn save_derived(&self) -> Result<()> {
        let writer = self.lock_writer();
        let generation = self.generation.load(Ordering::SeqCst);
        let unsaved = generation != self.rights_saved.load(Ordering::SeqCst);
        let sound = self.rights_whole.load(Ordering::SeqCst) && !self.stale.load(Ordering::SeqCst);
        if !(unsaved && sound && generation != NEVER_COMMITTED) {
            return Ok(());
        }
        let bytes = saved::encode(generation, &self.rights())?;
        drop(writer);
        saved::write(&self.dir, &bytes)?;
        self.rights_saved.store(generation, Ordering::SeqCst);
        Ok(())
    }

    fn save_rights_or_warn(&self) {
        if let Err(e) = self.save_derived() {
            tracing::warn!(error = %e, "cannot save the rights table; the next start compiles it");
        }
    }

    /// Compiles every asset's rights from the store (the documents are current).
    fn compile_rights(&self, store: &Store) -> Result<()> {
        let mut rights = self.rights_mut();
        rights.clear();
        let targeting = Targeting::read_all(store)?;
        let read = |graph: &NamedNode| {
            let triples = store.graph_triples(graph.as_ref())?;
            rights::Prepared::read(store, graph, &triples, Territories::global(), &targeting)
        };
        let graphs = crate::records::graphs(store)?;
        let progress = logged_progress("compiling the rights of the records");
        for_each_read(&graphs, read, |taken, prepared| {
            rights.accept(prepared);
            progress(taken + 1, graphs.len());
            Ok(())
        })
    }

    fn reload_concepts(&self, store: &Store) -> Result<()> {
        let view = Arc::new(ConceptView::load(store)?);
        *self.concepts.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = view;
        Ok(())
    }

    /// The concepts a text mentions (see `tag.rs`).
    pub fn tag(&self, request: &TagRequest) -> Result<Vec<Tag>> {
        let searcher = self.reader.searcher();
        let assets = searcher.num_docs() as f32;
        // Inverse document frequency, scaled so that a word no asset
        // contains weighs 1 and one every asset contains weighs little.
        let most = (1.0 + assets).ln();
        let rarity = |word: &str| -> f32 {
            if assets == 0.0 {
                return 1.0;
            }
            let containing = searcher
                .doc_freq(&Term::from_field_text(self.fields.text, word))
                .unwrap_or(0) as f32;
            (((1.0 + assets) / (1.0 + containing)).ln() / most).powi(2)
        };
        tag::tag(&self.concepts(), request, &rarity)
    }

    /// The concept view queries expand with.
    pub fn concepts(&self) -> Arc<ConceptView> {
        self.concepts
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn commit(&self, writer: &mut IndexWriter, generation: u64) -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&generation.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        self.generation.store(generation, Ordering::SeqCst);
        Ok(())
    }

    /// Whether every document's rights class is one the table knows, as
    /// it must be for the rights filter to be right. A class the table
    /// does not know is allowed only on deleted documents. (Mapping each
    /// segment's classes here also spares the first queries doing it.)
    fn rights_classes_known(&self) -> Result<bool> {
        let table = self.rights();
        for segment in self.reader.searcher().segment_readers() {
            let Some(column) = segment.fast_fields().str("rights_class")? else {
                continue;
            };
            let numbers = table.numbers(segment, &column);
            let unknown = |ordinal: u64| numbers.get(ordinal as usize) == Some(&rights::UNKNOWN_CLASS);
            if numbers.contains(&rights::UNKNOWN_CLASS)
                && segment.doc_ids_alive().any(|doc| column.term_ords(doc).any(unknown))
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether a query on `searcher` is collected on several threads.
    fn in_parallel(&self, searcher: &tantivy::Searcher) -> bool {
        searcher.num_docs() >= self.parallel_from.load(Ordering::Relaxed)
    }

    fn rights(&self) -> std::sync::RwLockReadGuard<'_, RightsTable> {
        self.rights.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn rights_mut(&self) -> std::sync::RwLockWriteGuard<'_, RightsTable> {
        self.rights.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The number of assets indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// How many distinct classes of rights the indexed assets fall into
    /// (a query evaluates its context once per class).
    pub fn rights_classes(&self) -> usize {
        self.rights().classes()
    }

    /// Collects a query's segments on several threads (one per core) from
    /// `assets` assets in the index on; 200,000 unless set.
    pub fn collect_in_parallel_from(&self, assets: u64) {
        self.parallel_from.store(assets, Ordering::Relaxed);
    }

    /// Asset documents written since the index was opened: a taxonomy
    /// change adds none.
    pub fn documents_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One search thread per core.
fn search_threads() -> Result<tantivy::Executor> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores == 1 {
        return Ok(tantivy::Executor::single_thread());
    }
    Ok(tantivy::Executor::multi_thread(cores, "search-")?)
}

/// The index in `dir`, or a new empty one when there is none, or when it
/// was written with another schema (an older release) or cannot be read:
/// it is derived data, and the generation check rebuilds it from the store.
fn open_or_recreate(dir: &Path, schema: &tantivy::schema::Schema) -> Result<Index> {
    if !dir.join("meta.json").exists() {
        return create(dir, schema);
    }
    match Index::open_in_dir(dir) {
        Ok(index) if index.schema() == *schema => return Ok(index),
        Ok(_) => tracing::info!(dir = %dir.display(), "search index written with another schema: recreating it"),
        Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "search index unreadable: recreating it"),
    }
    let recreate = |e: std::io::Error| Error::File {
        path: dir.display().to_string(),
        source: e,
    };
    std::fs::remove_dir_all(dir).map_err(recreate)?;
    std::fs::create_dir_all(dir).map_err(recreate)?;
    create(dir, schema)
}

/// Bytes of stored documents compressed together. A hit reads its
/// document by decompressing its whole block; hits are scattered, so a
/// smaller block than tantivy's 16 KiB makes a page of hits cheaper.
const DOCUMENT_BLOCK: usize = 4096;

fn create(dir: &Path, schema: &tantivy::schema::Schema) -> Result<Index> {
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOCUMENT_BLOCK,
        ..Default::default()
    };
    Ok(Index::builder()
        .schema(schema.clone())
        .settings(settings)
        .create_in_dir(dir)?)
}

/// The rights the index keeps in memory, compiled when each asset was
/// indexed.
impl crate::rights::RightsOf for SearchIndex {
    fn rights_of(&self, asset: &NamedNode) -> Result<Option<crate::rights::AssetRights>> {
        Ok(self.rights().get(rights::key_of(asset.as_str())))
    }
}

/// What the index derived is saved when it goes, for the next start.
impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.save_rights_or_warn();
    }
}

/// The index follows the store: every commit is indexed before the write
/// returns. A failure is logged and leaves the payload behind the store, so
/// the next start rebuilds.
impl ChangeListener for SearchIndex {
    fn committed(&self, store: &Store, receipt: &Receipt) {
        if let Err(e) = self.update(store, receipt) {
            self.stale.store(true, Ordering::SeqCst);
            tracing::error!(generation = receipt.generation, error = %e, "search index update failed; it is rebuilt on the next start");
        }
    }
}
