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

#[derive(Default)]
pub struct RightsTable {
    /// Key → the asset's rights and their class.
    by_key: HashMap<u64, (AssetRights, u32)>,
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
        let Some((rights, class)) = self.by_key.get(&key) else {
            return false;
        };
        let answer = memo
            .answers
            .get(*class as usize)
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
        self.by_key.get(&key).map(|(rights, _)| rights)
    }

    /// How many distinct classes of rights the assets fall into.
    pub fn classes(&self) -> usize {
        self.classes.by_shape.len()
    }

    fn insert(&mut self, key: u64, rights: AssetRights) {
        let class = self.classes.join(&rights);
        if let Some((_, old)) = self.by_key.insert(key, (rights, class)) {
            self.classes.leave(old);
        }
    }

    fn remove(&mut self, key: u64) {
        if let Some((_, class)) = self.by_key.remove(&key) {
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
        self.compile(store, graph, own, territories)?;
        let targets = other_targets(graph, own);
        if !targets.is_empty() {
            self.targets_of.insert(graph.as_str().to_owned(), targets.clone());
        }
        Ok(targets)
    }

    /// Compiles one asset's rights from its own triples and the records that
    /// target it, or forgets it when its graph no longer holds an asset.
    fn compile(&mut self, store: &Store, asset: &NamedNode, own: &[Triple], territories: &Territories) -> Result<()> {
        let key = key_of(asset.as_str());
        if !super::document::holds_asset(asset, own) {
            self.remove(key);
            return Ok(());
        }
        let mut triples = own.to_vec();
        triples.extend(crate::assets::targeting_records(store, asset)?);
        self.insert(key, crate::rights::compile(asset, &triples, territories));
        Ok(())
    }
}

/// Classes of rights, numbered; a number freed is reused.
#[derive(Default)]
struct Classes {
    /// Per number: its shape and how many assets have it (none when free).
    slots: Vec<Option<(String, usize)>>,
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
            if let Some((_, members)) = &mut self.slots[class as usize] {
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
        self.slots[class as usize] = Some((shape.clone(), 1));
        self.by_shape.insert(shape, class);
        class
    }

    /// One asset fewer in a class; an empty class is freed.
    fn leave(&mut self, class: u32) {
        let slot = &mut self.slots[class as usize];
        let Some((_, members)) = slot else { return };
        *members -= 1;
        if *members == 0 {
            if let Some((shape, _)) = slot.take() {
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
