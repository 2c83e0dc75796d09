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

use crate::error::Result;
use crate::rights::{AssetRights, Context, Territories};
use crate::store::Store;
use crate::vocab::odrl;
use oxigraph::model::{NamedNode, Term, Triple};
use std::collections::HashMap;

/// The key of a record graph in documents and in the table.
pub fn key_of(graph: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(graph.as_bytes());
    u64::from_le_bytes(hash[..8].try_into().expect("a SHA-256 hash has 32 bytes"))
}

#[derive(Default)]
pub struct RightsTable {
    by_key: HashMap<u64, AssetRights>,
    /// Record graph → the other assets its policies target.
    targets_of: HashMap<String, Vec<String>>,
}

impl RightsTable {
    pub fn clear(&mut self) {
        self.by_key.clear();
        self.targets_of.clear();
    }

    pub fn is_cleared(&self, key: u64, ctx: &Context, territories: &Territories) -> bool {
        self.by_key.get(&key).is_some_and(|r| r.is_cleared(ctx, territories))
    }

    pub fn get(&self, key: u64) -> Option<&AssetRights> {
        self.by_key.get(&key)
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
            self.by_key.remove(&key);
            return Ok(());
        }
        let mut triples = own.to_vec();
        triples.extend(crate::assets::targeting_records(store, asset)?);
        self.by_key
            .insert(key, crate::rights::compile(asset, &triples, territories));
        Ok(())
    }
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
