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
//! covering a catalogue. A query evaluates its context once per class and
//! remembers the answer ([`Memo`]), so a candidate costs two lookups.

use crate::error::Result;
use crate::rights::{AssetRights, Context, Territories};
use crate::store::Store;
use crate::vocab::odrl;
use oxigraph::model::{NamedNode, Term, Triple};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};

/// The key of a record graph in documents and in the table.
pub fn key_of(graph: &str) -> u64 {
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

#[derive(Default)]
pub struct RightsTable {
    /// Key → the asset's rights, as compiled (with their ids, to explain).
    by_key: KeyMap<AssetRights>,
    /// Key → the class of its rights: what search looks up per candidate,
    /// kept small so that it stays in cache.
    class_of: KeyMap<u32>,
    classes: Classes,
    /// Record graph → the other assets its policies target.
    targets_of: HashMap<String, Vec<String>>,
}

/// The answers of one query's context per class: unknown, cleared, blocked.
pub struct Memo {
    answers: Vec<AtomicU8>,
    /// The table's epoch when the memo was made; after a class is freed
    /// (and its number possibly reused) the memo is not trusted.
    epoch: u64,
}

const UNKNOWN: u8 = 0;
const CLEARED: u8 = 1;
const BLOCKED: u8 = 2;

impl RightsTable {
    pub fn clear(&mut self) {
        self.by_key.clear();
        self.class_of.clear();
        self.classes = Classes::default();
        self.targets_of.clear();
    }

    /// A memo for one query's context.
    pub fn memo(&self) -> Memo {
        Memo {
            answers: (0..self.classes.slots.len()).map(|_| AtomicU8::new(UNKNOWN)).collect(),
            epoch: self.classes.epoch,
        }
    }

    /// Whether the asset is cleared for the context, evaluated once per
    /// class of rights within a query.
    pub fn is_cleared(&self, key: u64, ctx: &Context, territories: &Territories, memo: &Memo) -> bool {
        let Some(&class) = self.class_of.get(&key) else {
            return false;
        };
        let Some((_, _, rights)) = &self.classes.slots[class as usize] else {
            return false;
        };
        let answer = memo
            .answers
            .get(class as usize)
            .filter(|_| memo.epoch == self.classes.epoch);
        match answer.map(|a| a.load(Ordering::Relaxed)) {
            Some(CLEARED) => true,
            Some(BLOCKED) => false,
            _ => {
                let cleared = rights.is_cleared(ctx, territories);
                if let Some(answer) = answer {
                    answer.store(if cleared { CLEARED } else { BLOCKED }, Ordering::Relaxed);
                }
                cleared
            }
        }
    }

    pub fn get(&self, key: u64) -> Option<&AssetRights> {
        self.by_key.get(&key)
    }

    /// How many distinct classes of rights the assets fall into.
    pub fn classes(&self) -> usize {
        self.classes.by_shape.len()
    }

    fn insert(&mut self, key: u64, rights: AssetRights) {
        let class = self.classes.join(&rights);
        self.by_key.insert(key, rights);
        if let Some(old) = self.class_of.insert(key, class) {
            self.classes.leave(old);
        }
    }

    fn remove(&mut self, key: u64) {
        self.by_key.remove(&key);
        if let Some(class) = self.class_of.remove(&key) {
            self.classes.leave(class);
        }
    }

    /// Brings the table up to date with one record graph as the store now
    /// holds it (`own`: its triples, empty when it is gone), and with every
    /// asset its policies target now or targeted before.
    pub fn refresh(
        &mut self,
        store: &Store,
        graph: &NamedNode,
        own: &[Triple],
        territories: &Territories,
    ) -> Result<()> {
        let before = self.targets_of.remove(graph.as_str()).unwrap_or_default();
        let now = self.add(store, graph, own, territories)?;
        for asset in before.iter().chain(&now) {
            let node = NamedNode::new_unchecked(asset.as_str());
            let triples = store.graph_triples(node.as_ref())?;
            self.compile(store, &node, &triples, territories)?;
        }
        Ok(())
    }

    /// Takes in one record graph read by the caller: compiles it if it holds
    /// an asset, and notes the other assets it targets (which it returns).
    pub fn add(
        &mut self,
        store: &Store,
        graph: &NamedNode,
        own: &[Triple],
        territories: &Territories,
    ) -> Result<Vec<String>> {
        let prepared = Prepared::read(store, graph, own, territories)?;
        let targets = prepared.targets.clone();
        self.accept(prepared);
        Ok(targets)
    }

    /// Takes in what [`Prepared::read`] found, which may run elsewhere.
    pub fn accept(&mut self, prepared: Prepared) {
        match prepared.rights {
            Some(rights) => self.insert(prepared.key, rights),
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
        match compile_asset(store, asset, own, territories)? {
            Some(rights) => self.insert(key, rights),
            None => self.remove(key),
        }
        Ok(())
    }
}

/// One record graph's part of the table, read from the store without the
/// table, so that several threads can prepare while one takes them in.
pub struct Prepared {
    graph: String,
    key: u64,
    /// The asset's rights; none when the graph holds no asset.
    rights: Option<AssetRights>,
    /// The other assets its policies target.
    targets: Vec<String>,
}

impl Prepared {
    pub fn read(store: &Store, graph: &NamedNode, own: &[Triple], territories: &Territories) -> Result<Prepared> {
        Ok(Prepared {
            graph: graph.as_str().to_owned(),
            key: key_of(graph.as_str()),
            rights: compile_asset(store, graph, own, territories)?,
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
) -> Result<Option<AssetRights>> {
    if !super::document::holds_asset(asset, own) {
        return Ok(None);
    }
    let mut triples = own.to_vec();
    triples.extend(crate::assets::targeting_records(store, asset)?);
    Ok(Some(crate::rights::compile(asset, &triples, territories)))
}

/// Classes of rights, numbered; a number freed is reused.
#[derive(Default)]
struct Classes {
    /// Per number: its shape, how many assets have it, and the rights of
    /// one of them (none when free).
    slots: Vec<Option<(String, usize, AssetRights)>>,
    by_shape: HashMap<String, u32>,
    free: Vec<u32>,
    /// Counts the classes freed.
    epoch: u64,
}

impl Classes {
    /// The class of these rights, counting one more asset in it.
    fn join(&mut self, rights: &AssetRights) -> u32 {
        let shape = shape(rights);
        if let Some(&class) = self.by_shape.get(&shape) {
            if let Some((_, members, _)) = &mut self.slots[class as usize] {
                *members += 1;
            }
            return class;
        }
        let class = match self.free.pop() {
            Some(class) => class,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        self.slots[class as usize] = Some((shape.clone(), 1, rights.clone()));
        self.by_shape.insert(shape, class);
        class
    }

    /// One asset fewer in a class; an empty class is freed.
    fn leave(&mut self, class: u32) {
        let slot = &mut self.slots[class as usize];
        let Some((_, members, _)) = slot else { return };
        *members -= 1;
        if *members == 0 {
            if let Some((shape, ..)) = slot.take() {
                self.by_shape.remove(&shape);
            }
            self.free.push(class);
            self.epoch += 1;
        }
    }
}

/// What decides clearance, without where it comes from.
fn shape(rights: &AssetRights) -> String {
    let mut anonymous = rights.clone();
    for grant in &mut anonymous.grants {
        grant.id.clear();
    }
    for restriction in &mut anonymous.restrictions {
        restriction.id.clear();
    }
    format!("{anonymous:?}")
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
        assert_eq!(table.classes(), 2);
        let territories = Territories::global();
        let ctx = Context::at(75);
        let memo = table.memo();
        assert!(table.is_cleared(1, &ctx, territories, &memo));
        assert!(table.is_cleared(2, &ctx, territories, &memo));
        assert!(!table.is_cleared(3, &ctx, territories, &memo));
        assert!(
            !table.is_cleared(4, &ctx, territories, &memo),
            "an unknown asset is not cleared"
        );

        // the class of asset 3 is freed and its number taken by new rights:
        // a memo made before is not trusted for it
        table.insert(3, rights("c#term", 100));
        assert_eq!(table.classes(), 1);
        table.insert(5, rights("e#term", 90));
        assert!(
            table.is_cleared(5, &ctx, territories, &memo),
            "not the freed class's answer"
        );
        let expired = Context::at(95);
        let fresh = table.memo();
        assert!(!table.is_cleared(5, &expired, territories, &fresh));
        assert!(table.is_cleared(3, &expired, territories, &fresh));
        table.remove(1);
        table.remove(2);
        table.remove(3);
        assert_eq!(table.classes(), 1);
    }
}
