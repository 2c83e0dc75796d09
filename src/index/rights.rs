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
use crate::vocab::{ag, odrl};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, Term};
use std::collections::{HashMap, HashSet};

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
    /// holds it (gone, replaced or new).
    pub fn refresh(&mut self, store: &Store, graph: &str, territories: &Territories) -> Result<()> {
        let mut affected: HashSet<String> = HashSet::from([graph.to_owned()]);
        affected.extend(self.targets_of.remove(graph).unwrap_or_default());
        let targets = other_targets(store, graph)?;
        affected.extend(targets.iter().cloned());
        if !targets.is_empty() {
            self.targets_of.insert(graph.to_owned(), targets);
        }
        for asset in affected {
            self.compile(store, &asset, territories)?;
        }
        Ok(())
    }

    /// Recompiles one asset's rights, or forgets it when it no longer is one.
    pub fn compile(&mut self, store: &Store, asset: &str, territories: &Territories) -> Result<()> {
        let node = NamedNode::new_unchecked(asset);
        let key = key_of(asset);
        if !holds_asset(store, &node)? {
            self.by_key.remove(&key);
            return Ok(());
        }
        let triples = crate::assets::rights_triples(store, &node)?;
        self.by_key
            .insert(key, crate::rights::compile(&node, &triples, territories));
        Ok(())
    }

    /// Records, for a graph read during a rebuild, which assets it targets.
    pub fn note_targets(&mut self, store: &Store, graph: &str) -> Result<()> {
        let targets = other_targets(store, graph)?;
        if !targets.is_empty() {
            self.targets_of.insert(graph.to_owned(), targets);
        }
        Ok(())
    }
}

/// Whether the graph of that name holds an asset (not a rights record).
fn holds_asset(store: &Store, graph: &NamedNode) -> Result<bool> {
    Ok(store.db().contains(oxigraph::model::QuadRef::new(
        graph,
        rdf::TYPE,
        ag::ASSET,
        GraphNameRef::NamedNode(graph.as_ref()),
    ))?)
}

/// The assets other than itself that the policies in a graph target.
fn other_targets(store: &Store, graph: &str) -> Result<Vec<String>> {
    let g = NamedNodeRef::new_unchecked(graph);
    let mut out = Vec::new();
    for quad in store
        .db()
        .quads_for_pattern(None, Some(odrl::TARGET), None, Some(GraphNameRef::NamedNode(g)))
    {
        if let Term::NamedNode(target) = quad?.object {
            if target.as_str() != graph && !out.iter().any(|t: &String| t == target.as_str()) {
                out.push(target.into_string());
            }
        }
    }
    Ok(out)
}
