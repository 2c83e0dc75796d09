//! The territory hierarchy, in memory, from the shipped vocabulary.
//!
//! Every territory (country, continent, "Worldwide", the European Union) gets
//! a small integer id, and each id its ancestors, so that "does a grant for
//! X admit Y" is a comparison and a scan of two or three integers.

use crate::error::{Error, Result};
use crate::rdf;
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::HashMap;

const TERRITORY: &str = "https://w3id.org/assetgraph/territory/";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const AG: &str = crate::vocab::AG;

/// An index into [`Territories`].
pub type TerritoryId = u16;

pub struct Territories {
    /// Lower-cased names under which a territory can be asked for: alpha-2,
    /// alpha-3, source keys (`europe_germany`), English name, local name, IRI.
    by_name: HashMap<String, TerritoryId>,
    names: Vec<String>,
    ancestors: Vec<Vec<TerritoryId>>,
}

impl Territories {
    /// The shipped vocabulary (ontologies/territories.ttl).
    pub fn shipped() -> Result<Self> {
        Self::from_turtle(crate::vocab::shipped::TERRITORIES_TTL)
    }

    /// The shipped vocabulary, parsed once for the process.
    pub fn global() -> &'static Territories {
        static SHIPPED: std::sync::OnceLock<Territories> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| Territories::shipped().expect("the shipped territories parse (tested)"))
    }

    pub(crate) fn from_turtle(text: &str) -> Result<Self> {
        let quads = rdf::parse(
            "ontologies/territories.ttl",
            RdfFormat::Turtle,
            text.as_bytes(),
            &|_| {},
        )?;
        let mut territories = Territories {
            by_name: HashMap::new(),
            names: Vec::new(),
            ancestors: Vec::new(),
        };
        let mut parents: Vec<(TerritoryId, String)> = Vec::new();
        let names = [
            format!("{SKOS}notation"),
            format!("{AG}alpha3"),
            format!("{AG}sourceKey"),
            format!("{SKOS}prefLabel"),
        ];
        let links = [format!("{SKOS}broader"), format!("{AG}memberOf")];
        for quad in &quads {
            let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
                continue;
            };
            let Some(local) = subject.as_str().strip_prefix(TERRITORY) else {
                continue;
            };
            if local.is_empty() {
                continue; // the scheme itself
            }
            let id = territories.intern(local);
            let predicate = quad.predicate.as_str();
            match &quad.object {
                Term::Literal(l) if names.iter().any(|p| p == predicate) => {
                    territories.by_name.insert(l.value().to_lowercase(), id);
                }
                Term::NamedNode(o) if links.iter().any(|p| p == predicate) => {
                    if let Some(parent) = o.as_str().strip_prefix(TERRITORY) {
                        parents.push((id, parent.to_owned()));
                    }
                }
                _ => {}
            }
        }
        let mut direct: Vec<Vec<TerritoryId>> = vec![Vec::new(); territories.names.len()];
        for (child, parent) in parents {
            let parent = territories.intern(&parent);
            direct.resize(territories.names.len(), Vec::new());
            direct[child as usize].push(parent);
        }
        direct.resize(territories.names.len(), Vec::new());
        territories.ancestors = (0..direct.len())
            .map(|id| ancestors_of(id as TerritoryId, &direct))
            .collect();
        if territories.names.is_empty() {
            return Err(Error::invalid("the territories vocabulary holds no territory"));
        }
        Ok(territories)
    }

    fn intern(&mut self, local: &str) -> TerritoryId {
        if let Some(&id) = self.by_name.get(&format!("{TERRITORY}{local}").to_lowercase()) {
            return id;
        }
        let id = self.names.len() as TerritoryId;
        self.names.push(local.to_owned());
        self.by_name.insert(local.to_lowercase(), id);
        self.by_name.insert(format!("{TERRITORY}{local}").to_lowercase(), id);
        id
    }

    /// The territory a context or a source names, by any of its names.
    pub fn resolve(&self, name: &str) -> Option<TerritoryId> {
        self.by_name.get(&name.trim().to_lowercase()).copied()
    }

    /// The vocabulary's own name (local part of the IRI: `DE`, `europe`).
    pub fn name(&self, id: TerritoryId) -> &str {
        &self.names[id as usize]
    }

    /// Whether a grant or restriction for `scope` covers `asked`.
    #[inline]
    pub fn covers(&self, scope: TerritoryId, asked: TerritoryId) -> bool {
        scope == asked || self.ancestors[asked as usize].contains(&scope)
    }
}

fn ancestors_of(id: TerritoryId, direct: &[Vec<TerritoryId>]) -> Vec<TerritoryId> {
    let mut found = Vec::new();
    let mut stack = direct[id as usize].clone();
    while let Some(next) = stack.pop() {
        if !found.contains(&next) {
            found.push(next);
            stack.extend(direct[next as usize].iter().copied());
        }
    }
    found
}
