//! Every indexed asset's rights, compiled for the clearance engine and held
//! in memory, so that search checks clearance for each candidate in a
//! hundred nanoseconds instead of a SPARQL query per asset.
//!
//! Documents carry a 64-bit key of their graph; the table maps keys to
//! compiled rights. The table follows the same commits as the documents:
//! a changed record graph recompiles itself and every asset its policies
//! target (before and after the change: a Rightsline right that is dropped
//! or retargeted releases its old titles). Nothing about dates is stored:
//! clearance is evaluated at the moment the query asks about, so an asset
//! whose term ended yesterday is not found today, without any reindex.
//!
//! Assets whose rights differ only in where they come from (the ids of
//! their grants and restrictions) share a class: a licence template, a deal
//! covering a catalogue. A context is evaluated once per class and the
//! answer remembered ([`Memo`]), so a candidate costs a lookup. Documents
//! carry their class by name in a string column: a segment lists each
//! class once in its dictionary and gives each document an ordinal of a
//! few bits; the table maps a segment's ordinals to its class numbers once
//! for the life of the segment, so the filter reads a narrow column and
//! two arrays per candidate.
//!
//! The answers outlive a query. Between two consecutive moments at which
//! any class's term starts or ends, no answer can change, so a memo is
//! kept per context and such a stretch of time ([`RightsTable::memo`]):
//! the creatives of one market ask with the same context all day, and only
//! the first of their queries evaluates the classes. A new class may bring
//! a new moment, and empties the kept memos.

use crate::error::Result;
use crate::records::Targeting;
use crate::rights::{AssetRights, Context, Territories};
use crate::store::Store;
use crate::vocab::odrl;
use oxigraph::model::{NamedNode, Term, Triple};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// The key of a record graph in documents and in the table.
pub(super) fn key_of(graph: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(graph.as_bytes());
    u64::from_le_bytes(hash[..8].try_into().expect("a SHA-256 hash has 32 bytes"))
}

/// Keys are the first bytes of a SHA-256 hash, already uniform: the maps
/// use them as their own hash.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

pub(super) struct RightsTable {
    /// Key → the asset's class and the ids of its grants and restrictions:
    /// with the class's rights, all that is needed to explain. At a million
    /// assets this is a seventh of keeping every asset's rights whole.
    by_key: KeyMap<Entry>,
    classes: Classes,
    /// Record graph → the other assets its policies target.
    targets_of: HashMap<String, Vec<String>>,
}

impl Default for RightsTable {
    fn default() -> Self {
        let mut classes = Classes::default();
        classes.join(*NO_RIGHTS, &AssetRights::default());
        RightsTable {
            by_key: KeyMap::default(),
            classes,
            targets_of: HashMap::new(),
        }
    }
}

/// The class of an asset without any rights.
static NO_RIGHTS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| class_of(&AssetRights::default()));

/// The answers for one context per class number: unknown, cleared,
/// blocked. Classes are never renumbered, so a memo stays true for the
/// classes it knows; a class added since is evaluated each time.
pub(super) struct Memo {
    answers: Vec<AtomicU8>,
}

/// Memos kept at most; when full they are all dropped (a kept memo is only
/// a head start).
const KEPT_MEMOS: usize = 512;

/// A context, without its moment, and the stretch of time around that
/// moment in which no term of any class starts or ends.
type Stretch = ([Option<crate::rights::Key>; 6], Option<i64>, Option<i64>);

/// The number of a class the table does not know.
pub(super) const UNKNOWN_CLASS: u32 = u32::MAX;

const UNKNOWN: u8 = 0;
const CLEARED: u8 = 1;
const BLOCKED: u8 = 2;

impl RightsTable {
    pub(super) fn clear(&mut self) {
        *self = RightsTable::default();
    }

    /// The memo for a context: the one kept for the same context in the
    /// same stretch of time, or a new one, kept.
    pub(super) fn memo(&self, ctx: &Context) -> Arc<Memo> {
        let moments = &self.classes.moments;
        let stretch = (
            ctx.values.clone(),
            moments.range(..=ctx.at).next_back().copied(),
            moments.range(ctx.at.saturating_add(1)..).next().copied(),
        );
        let mut kept = self
            .classes
            .memos
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(memo) = kept.get(&stretch) {
            return memo.clone();
        }
        if kept.len() >= KEPT_MEMOS {
            kept.clear();
        }
        let memo = Arc::new(Memo {
            answers: (0..self.classes.rights.len()).map(|_| AtomicU8::new(UNKNOWN)).collect(),
        });
        kept.insert(stretch, memo.clone());
        memo
    }

    /// Whether assets of a class (as their documents carry it) are cleared
    /// for the context. A class the table does not know clears nothing.
    #[cfg(test)]
    pub(crate) fn is_cleared(&self, class: u64, ctx: &Context, territories: &Territories, memo: &Memo) -> bool {
        self.classes
            .number
            .get(&class)
            .is_some_and(|&number| self.is_number_cleared(number, ctx, territories, memo))
    }

    /// Whether assets of a class number are cleared for the context:
    /// evaluated once per class and memo.
    fn is_number_cleared(&self, number: u32, ctx: &Context, territories: &Territories, memo: &Memo) -> bool {
        let answer = memo.answers.get(number as usize);
        match answer.map(|a| a.load(Ordering::Relaxed)) {
            Some(CLEARED) => true,
            Some(BLOCKED) => false,
            _ => {
                let Some(rights) = self.classes.rights.get(number as usize) else {
                    return false;
                };
                let cleared = rights.is_cleared(ctx, territories);
                if let Some(answer) = answer {
                    answer.store(if cleared { CLEARED } else { BLOCKED }, Ordering::Relaxed);
                }
                cleared
            }
        }
    }

    /// The class number of each ordinal of a segment's dictionary of
    /// classes (`UNKNOWN_CLASS` for a class the table does not know: only
    /// deleted documents carry one). Mapped once per segment, not per
    /// query: reading the dictionary costs far more than the query.
    pub(super) fn numbers(
        &self,
        segment: &tantivy::SegmentReader,
        column: &tantivy::columnar::StrColumn,
    ) -> Arc<[u32]> {
        let mut kept = self.classes.segments.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(numbers) = kept.get(&segment.segment_id()) {
            return numbers.clone();
        }
        let mut numbers = Vec::with_capacity(column.dictionary().num_terms());
        if let Ok(mut names) = column.dictionary().stream() {
            while names.advance() {
                let class = std::str::from_utf8(names.key()).ok().and_then(class_from_name);
                let number = class.and_then(|c| self.classes.number.get(&c));
                numbers.push(number.copied().unwrap_or(UNKNOWN_CLASS));
            }
        }
        let numbers: Arc<[u32]> = numbers.into();
        kept.insert(segment.segment_id(), numbers.clone());
        numbers
    }

    /// An asset's rights as compiled, with the ids of its grants and
    /// restrictions.
    pub(super) fn get(&self, key: u64) -> Option<AssetRights> {
        let entry = self.by_key.get(&key)?;
        let mut rights = self.classes.rights[entry.number as usize].clone();
        let mut ids = entry.ids.iter();
        let grants = rights.grants.iter_mut().map(|g| &mut g.id);
        for id in grants.chain(rights.restrictions.iter_mut().map(|r| &mut r.id)) {
            *id = ids.next().map_or_else(String::new, |own| own.to_string());
        }
        if let Some((_, allowed)) = rights.downloads {
            rights.downloads = Some((entry.downloads_used, allowed));
        }
        Some(rights)
    }

    /// Counts `more` downloads of an asset whose downloads are limited,
    /// without reading the store: what a usage batch does to the assets it
    /// tallies. Returns whether the asset's class changed (the downloads
    /// are used up now), and so its document; `None` for an asset the
    /// table holds no download limit for.
    pub(super) fn add_downloads(&mut self, key: u64, more: u32) -> Option<bool> {
        let entry = self.by_key.get_mut(&key)?;
        let (_, allowed) = self.classes.rights[entry.number as usize].downloads?;
        let used = entry.downloads_used.saturating_add(more);
        if (entry.downloads_used >= allowed) == (used >= allowed) {
            entry.downloads_used = used;
            return Some(false);
        }
        let mut rights = self.get(key)?;
        rights.downloads = Some((used, allowed));
        self.insert(key, rights);
        Some(true)
    }

    /// The class of an asset's rights, for its document.
    pub(super) fn class(&self, key: u64) -> u64 {
        self.by_key
            .get(&key)
            .map_or(*NO_RIGHTS, |entry| self.classes.hashes[entry.number as usize])
    }

    /// Whether the table knows a class (documents only carry known ones).
    #[cfg(test)]
    pub(crate) fn knows(&self, class: u64) -> bool {
        self.classes.number.contains_key(&class)
    }

    /// How many distinct classes of rights the table has seen.
    pub(super) fn classes(&self) -> usize {
        self.classes.rights.len()
    }

    /// The table as it is saved beside the index (see `saved.rs`).
    pub(super) fn saved(&self) -> Saved<'_> {
        Saved {
            hashes: Cow::Borrowed(&self.classes.hashes),
            rights: Cow::Borrowed(&self.classes.rights),
            by_key: Cow::Borrowed(&self.by_key),
            targets_of: Cow::Borrowed(&self.targets_of),
        }
    }

    /// The table again from what [`Self::saved`] wrote; `None` when it does
    /// not hold together (a class number without its class).
    pub(super) fn from_saved(saved: Saved<'_>) -> Option<RightsTable> {
        if saved.hashes.len() != saved.rights.len() {
            return None;
        }
        let mut classes = Classes::default();
        for (number, (&hash, rights)) in saved.hashes.iter().zip(saved.rights.iter()).enumerate() {
            // Joined in their saved order, classes keep their numbers.
            if classes.join(hash, rights) as usize != number {
                return None;
            }
        }
        let known = classes.rights.len();
        if saved.by_key.values().any(|entry| entry.number as usize >= known) {
            return None;
        }
        Some(RightsTable {
            by_key: saved.by_key.into_owned(),
            classes,
            targets_of: saved.targets_of.into_owned(),
        })
    }

    fn insert(&mut self, key: u64, rights: AssetRights) {
        self.insert_of_class(key, class_of(&rights), rights);
    }

    /// [`Self::insert`] with the class already known.
    fn insert_of_class(&mut self, key: u64, class: u64, rights: AssetRights) {
        let number = self.classes.join(class, &rights);
        let grants = rights.grants.iter().map(|g| g.id.as_str());
        let ids = grants.chain(rights.restrictions.iter().map(|r| r.id.as_str()));
        let entry = Entry {
            number,
            ids: ids.map(Box::from).collect(),
            downloads_used: rights.downloads.map_or(0, |(used, _)| used),
        };
        self.by_key.insert(key, entry);
    }

    fn remove(&mut self, key: u64) {
        self.by_key.remove(&key);
    }

    /// Brings the table up to date with one record graph as the store now
    /// holds it (`own`: its triples, empty when it is gone), and with every
    /// asset its policies target now or targeted before. Returns those other
    /// assets with the triples read for them: their rights changed, so their
    /// documents must be rewritten.
    pub(super) fn refresh(
        &mut self,
        store: &Store,
        graph: &NamedNode,
        own: &[Triple],
        territories: &Territories,
    ) -> Result<Vec<(String, Vec<Triple>)>> {
        let mut others = self.targets_of.remove(graph.as_str()).unwrap_or_default();
        others.extend(self.add(store, graph, own, territories)?);
        others.sort();
        others.dedup();
        others
            .into_iter()
            .map(|asset| {
                let node = NamedNode::new_unchecked(asset.as_str());
                let triples = store.graph_triples(node.as_ref())?;
                self.compile(store, &node, &triples, territories)?;
                Ok((asset, triples))
            })
            .collect()
    }

    /// Takes in one record graph read by the caller: compiles it if it holds
    /// an asset, and notes the other assets it targets (which it returns).
    pub(super) fn add(
        &mut self,
        store: &Store,
        graph: &NamedNode,
        own: &[Triple],
        territories: &Territories,
    ) -> Result<Vec<String>> {
        let prepared = Prepared::read(store, graph, own, territories, &Targeting::Ask)?;
        let targets = prepared.targets.clone();
        self.accept(prepared);
        Ok(targets)
    }

    /// Takes in what [`Prepared::read`] found, which may run elsewhere.
    pub(super) fn accept(&mut self, prepared: Prepared) {
        match prepared.rights {
            Some(rights) => self.insert_of_class(prepared.key, prepared.class, rights),
            None => self.remove(prepared.key),
        }
        if !prepared.targets.is_empty() {
            self.targets_of.insert(prepared.graph, prepared.targets);
        }
    }

    /// Compiles one asset's rights from its own triples and the records that
    /// target it, or forgets it when its graph no longer holds an asset.
    fn compile(&mut self, store: &Store, asset: &NamedNode, own: &[Triple], territories: &Territories) -> Result<()> {
        let key = key_of(asset.as_str());
        match compile_asset(store, asset, own, territories, &Targeting::Ask)? {
            Some(rights) => self.insert(key, rights),
            None => self.remove(key),
        }
        Ok(())
    }
}

/// What is saved of the table: the classes in the order of their numbers,
/// and every asset's entry; borrowed from the table when written, owned
/// when read back. Memos and segment maps are not saved: the first
/// queries fill them again.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Saved<'a> {
    hashes: Cow<'a, [u64]>,
    rights: Cow<'a, [AssetRights]>,
    by_key: Cow<'a, KeyMap<Entry>>,
    targets_of: Cow<'a, HashMap<String, Vec<String>>>,
}

/// Passes on to `inner` only the documents whose rights class is cleared
/// for a context. Documents carry their class as an ordinal of their
/// segment's dictionary of classes, which the table maps once to class
/// numbers, and the memo holds an answer per number: a candidate costs a
/// read of a few bits and two array lookups, without a lock or a hash.
pub(super) struct ClearedOnly<C> {
    inner: C,
    table: Arc<std::sync::RwLock<RightsTable>>,
    ctx: Arc<Context>,
    memo: Arc<Memo>,
}

impl<C> ClearedOnly<C> {
    pub(super) fn new(inner: C, table: Arc<std::sync::RwLock<RightsTable>>, ctx: Context) -> Self {
        let memo = read(&table).memo(&ctx);
        ClearedOnly {
            inner,
            table,
            ctx: Arc::new(ctx),
            memo,
        }
    }
}

pub(super) struct ClearedOnlySegment<S> {
    inner: S,
    /// Each document's class, as an ordinal of its segment's dictionary.
    ordinals: Arc<dyn tantivy::columnar::ColumnValues<u64>>,
    /// Per ordinal, the class number.
    numbers: Arc<[u32]>,
    table: Arc<std::sync::RwLock<RightsTable>>,
    ctx: Arc<Context>,
    memo: Arc<Memo>,
}

impl<C: tantivy::collector::Collector> tantivy::collector::Collector for ClearedOnly<C> {
    type Fruit = C::Fruit;
    type Child = ClearedOnlySegment<C::Child>;

    fn for_segment(
        &self,
        ordinal: tantivy::SegmentOrdinal,
        segment: &tantivy::SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        // Documents without a class (none are written so) clear nothing:
        // their ordinal is past the end of the numbers.
        let (ordinals, numbers) = match segment.fast_fields().str("rights_class")? {
            Some(column) => (
                column.ords().clone().first_or_default_col(u64::MAX),
                read(&self.table).numbers(segment, &column),
            ),
            None => (
                tantivy::columnar::Column::build_empty_column(segment.max_doc()).first_or_default_col(u64::MAX),
                Arc::from([]),
            ),
        };
        Ok(ClearedOnlySegment {
            inner: self.inner.for_segment(ordinal, segment)?,
            ordinals,
            numbers,
            table: self.table.clone(),
            ctx: self.ctx.clone(),
            memo: self.memo.clone(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<C::Child as tantivy::collector::SegmentCollector>::Fruit>,
    ) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

impl<S> ClearedOnlySegment<S> {
    /// Evaluates a class the memo has no answer for yet.
    #[cold]
    fn evaluate(&self, number: u32) -> bool {
        read(&self.table).is_number_cleared(number, &self.ctx, Territories::global(), &self.memo)
    }
}

impl<S: tantivy::collector::SegmentCollector> tantivy::collector::SegmentCollector for ClearedOnlySegment<S> {
    type Fruit = S::Fruit;

    #[inline]
    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        let ordinal = self.ordinals.get_val(doc) as usize;
        let Some(&number) = self.numbers.get(ordinal).filter(|&&n| n != UNKNOWN_CLASS) else {
            return;
        };
        let answer = self
            .memo
            .answers
            .get(number as usize)
            .map(|a| a.load(Ordering::Relaxed));
        let cleared = match answer {
            Some(CLEARED) => true,
            Some(BLOCKED) => false,
            _ => self.evaluate(number),
        };
        if cleared {
            self.inner.collect(doc, score);
        }
    }

    fn harvest(self) -> S::Fruit {
        self.inner.harvest()
    }
}

fn read(table: &std::sync::RwLock<RightsTable>) -> std::sync::RwLockReadGuard<'_, RightsTable> {
    table.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One record graph's part of the table, read from the store without the
/// table, so that several threads can prepare while one takes them in.
pub(super) struct Prepared {
    graph: String,
    key: u64,
    /// The class of its rights, for its document.
    pub class: u64,
    /// The asset's rights; none when the graph holds no asset.
    rights: Option<AssetRights>,
    /// The other assets its policies target.
    targets: Vec<String>,
}

impl Prepared {
    /// `targeting` finds the records of other graphs that target the asset.
    pub(super) fn read(
        store: &Store,
        graph: &NamedNode,
        own: &[Triple],
        territories: &Territories,
        targeting: &Targeting,
    ) -> Result<Prepared> {
        let rights = compile_asset(store, graph, own, territories, targeting)?;
        Ok(Prepared {
            graph: graph.as_str().to_owned(),
            key: key_of(graph.as_str()),
            class: class_of(rights.as_ref().unwrap_or(&AssetRights::default())),
            rights,
            targets: other_targets(graph, own),
        })
    }
}

/// An asset's rights from its own triples and the records that target it;
/// none when the graph holds no asset.
fn compile_asset(
    store: &Store,
    asset: &NamedNode,
    own: &[Triple],
    territories: &Territories,
    targeting: &Targeting,
) -> Result<Option<AssetRights>> {
    if !crate::records::holds_asset(asset, own) {
        return Ok(None);
    }
    let mut triples = own.to_vec();
    triples.extend(targeting.records(store, asset)?);
    Ok(Some(crate::rights::compile(asset, &triples, territories)))
}

/// One asset in the table.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Entry {
    /// The number of its class.
    number: u32,
    /// The ids of its grants, then of its restrictions, in the class's order.
    ids: Box<[Box<str>]>,
    /// The downloads counted so far, where the class limits them (the
    /// class itself only says whether they are used up).
    downloads_used: u32,
}

/// The classes of rights seen, numbered in order. A class stays when its
/// last asset leaves (classes are few; a rebuild starts afresh), so that a
/// query never sees a document's class vanish under it.
#[derive(Default)]
struct Classes {
    number: KeyMap<u32>,
    /// Per number: the class (its hash, as documents carry it).
    hashes: Vec<u64>,
    /// Per number: the rights of the class, without ids.
    rights: Vec<AssetRights>,
    /// Every moment a term of some class starts or ends.
    moments: BTreeSet<i64>,
    /// Memos per context and stretch between two moments.
    memos: Mutex<HashMap<Stretch, Arc<Memo>>>,
    /// Per segment of the index: the class number of each ordinal of its
    /// dictionary of classes (see [`RightsTable::numbers`]).
    segments: Mutex<HashMap<tantivy::index::SegmentId, Arc<[u32]>>>,
}

impl Classes {
    /// The number of a class, which joins if it is new.
    fn join(&mut self, class: u64, rights: &AssetRights) -> u32 {
        if let Some(&number) = self.number.get(&class) {
            return number;
        }
        let number = self.rights.len() as u32;
        self.number.insert(class, number);
        self.hashes.push(class);
        self.rights.push(anonymous(rights));
        let terms = rights.grants.iter().map(|g| g.term);
        let windows = terms.chain(rights.restrictions.iter().map(|r| r.term));
        self.moments.extend(windows.flat_map(|w| [w.from, w.until]).flatten());
        // A memo's stretch may now hold a new moment, and a segment may
        // now carry a class it was mapped without.
        self.memos
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        self.segments
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        number
    }
}

/// The class of some rights: a hash of what decides clearance, the same in
/// every process, so that documents can carry it.
pub(super) fn class_of(rights: &AssetRights) -> u64 {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(shape(rights).as_bytes());
    u64::from_le_bytes(hash[..8].try_into().expect("a SHA-256 hash has 32 bytes"))
}

/// A class as documents carry it: sixteen hex digits.
pub(super) fn class_name(class: u64) -> String {
    format!("{class:016x}")
}

/// The class a document's class name stands for.
pub(super) fn class_from_name(name: &str) -> Option<u64> {
    u64::from_str_radix(name, 16).ok()
}

/// What decides clearance, without where it comes from.
fn shape(rights: &AssetRights) -> String {
    format!("{:?}", anonymous(rights))
}

/// The rights without the ids of their grants and restrictions, and with
/// a download count that only says whether the limit is reached: assets
/// that differ in those alone are cleared alike, and a download that does
/// not use up the limit leaves the asset's class, and its document, as
/// they were.
fn anonymous(rights: &AssetRights) -> AssetRights {
    let mut anonymous = rights.clone();
    anonymous.downloads = rights
        .downloads
        .map(|(used, allowed)| (if used >= allowed { allowed } else { 0 }, allowed));
    for grant in &mut anonymous.grants {
        grant.id = String::new();
    }
    for restriction in &mut anonymous.restrictions {
        restriction.id = String::new();
    }
    anonymous
}

/// The assets other than itself that the policies in a graph target.
fn other_targets(graph: &NamedNode, own: &[Triple]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in own {
        if let Term::NamedNode(target) = &t.object {
            if t.predicate.as_ref() == odrl::TARGET && target != graph && !out.iter().any(|o| o == target.as_str()) {
                out.push(target.as_str().to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::{Grant, Window};

    fn rights(id: &str, until: i64) -> AssetRights {
        AssetRights {
            grants: vec![Grant {
                id: id.to_owned(),
                constraints: Default::default(),
                term: Window {
                    from: None,
                    until: Some(until),
                },
            }],
            ..Default::default()
        }
    }

    #[test]
    fn rights_that_differ_only_in_their_ids_share_a_class_and_one_answer() {
        let mut table = RightsTable::default();
        table.insert(1, rights("a#term", 100));
        table.insert(2, rights("b#term", 100));
        table.insert(3, rights("c#term", 50));
        assert_eq!(table.class(1), table.class(2));
        assert_ne!(table.class(1), table.class(3));
        assert_eq!(table.classes(), 3, "no rights, until 100, until 50");
        // each asset explains with its own ids
        assert_eq!(table.get(1).unwrap().grants[0].id, "a#term");
        assert_eq!(table.get(2).unwrap().grants[0].id, "b#term");
        assert_eq!(table.get(2).unwrap().grants[0].term.until, Some(100));
        assert!(table.get(4).is_none());
        let territories = Territories::global();
        let ctx = Context::at(75);
        let memo = table.memo(&ctx);
        assert!(table.is_cleared(table.class(1), &ctx, territories, &memo));
        assert!(table.is_cleared(table.class(2), &ctx, territories, &memo));
        assert!(!table.is_cleared(table.class(3), &ctx, territories, &memo));
        assert!(
            !table.is_cleared(table.class(4), &ctx, territories, &memo),
            "no rights: not cleared"
        );
        assert!(
            !table.is_cleared(12345, &ctx, territories, &memo),
            "an unknown class clears nothing"
        );

        // a class added after the memo was made is evaluated, not guessed
        table.insert(5, rights("e#term", 90));
        assert!(table.is_cleared(table.class(5), &ctx, territories, &memo));
        // the class of a document stays known after its last asset leaves
        let old = table.class(3);
        table.insert(3, rights("c#term", 100));
        assert!(table.knows(old));
        assert_eq!(class_of(&rights("x", 100)), table.class(1), "the same in every process");
    }

    #[test]
    fn downloads_are_counted_in_place_until_they_use_up_the_limit() {
        let limited = |id: &str, used: u32| AssetRights {
            downloads: Some((used, 3)),
            ..rights(id, 100)
        };
        let mut table = RightsTable::default();
        table.insert(1, limited("a#term", 0));
        table.insert(2, limited("b#term", 2));
        assert_eq!(
            table.class(1),
            table.class(2),
            "a count below the limit is not part of the class"
        );
        let open = table.class(1);

        assert_eq!(table.add_downloads(1, 2), Some(false), "2 of 3: the class stays");
        assert_eq!(table.class(1), open);
        assert_eq!(
            table.get(1).unwrap().downloads,
            Some((2, 3)),
            "the asset keeps its own count"
        );
        assert_eq!(table.add_downloads(1, 1), Some(true), "3 of 3: used up");
        assert_ne!(table.class(1), open);
        assert_eq!(table.get(1).unwrap().downloads, Some((3, 3)));
        assert_eq!(table.add_downloads(1, 5), Some(false), "used up stays used up");
        assert_eq!(table.get(1).unwrap().downloads, Some((8, 3)));

        let ctx = Context::at(50);
        let memo = table.memo(&ctx);
        let territories = Territories::global();
        assert!(!table.is_cleared(table.class(1), &ctx, territories, &memo));
        assert!(table.is_cleared(table.class(2), &ctx, territories, &memo));
        table.insert(3, rights("c#term", 100));
        assert_eq!(table.add_downloads(3, 1), None, "no limit: nothing to count");
        assert_eq!(table.add_downloads(4, 1), None, "an asset the table does not hold");
    }

    #[test]
    fn a_memo_is_kept_for_its_context_until_a_term_starts_or_ends() {
        let mut table = RightsTable::default();
        table.insert(1, rights("a#term", 100));
        table.insert(2, rights("b#term", 50));
        let territories = Territories::global();
        let memo = table.memo(&Context::at(60));
        assert!(table.is_cleared(table.class(1), &Context::at(60), territories, &memo));
        assert!(!table.is_cleared(table.class(2), &Context::at(60), territories, &memo));
        assert!(
            Arc::ptr_eq(&memo, &table.memo(&Context::at(99))),
            "no term ends in [50, 100)"
        );
        assert!(
            !Arc::ptr_eq(&memo, &table.memo(&Context::at(100))),
            "a term ends at 100"
        );
        assert!(!Arc::ptr_eq(&memo, &table.memo(&Context::at(49))), "a term ends at 50");
        let in_germany = Context::at(60).with(
            crate::rights::Dimension::Territory,
            crate::rights::Key::resolve(crate::rights::Dimension::Territory, "DE", territories),
        );
        assert!(!Arc::ptr_eq(&memo, &table.memo(&in_germany)), "another context");

        // a new class ending at 80 splits the stretch: answers after 80 differ
        table.insert(3, rights("c#term", 80));
        let later = table.memo(&Context::at(90));
        assert!(!Arc::ptr_eq(&memo, &later));
        assert!(!table.is_cleared(table.class(3), &Context::at(90), territories, &later));
        assert!(table.is_cleared(table.class(1), &Context::at(90), territories, &later));
    }
}
