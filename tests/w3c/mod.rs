//! What the W3C test harnesses share: manifests read into memory and
//! walked with quad patterns, pass/fail bookkeeping, and graphs compared
//! up to blank-node renaming.
#![allow(dead_code)]

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use oxigraph::store::Store as Memory;
use std::path::{Path, PathBuf};

pub const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
pub const QT: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#";
pub const UT: &str = "http://www.w3.org/2009/sparql/tests/test-update#";
pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";

#[derive(Default)]
pub struct Outcome {
    pub passed: Vec<String>,
    pub failed: Vec<(String, String)>,
}

impl Outcome {
    pub fn absorb(&mut self, other: Outcome) {
        self.passed.extend(other.passed);
        self.failed.extend(other.failed);
    }

    pub fn report(&self, suite: &str) {
        let total = self.passed.len() + self.failed.len();
        println!("{suite}: {} of {total} passed", self.passed.len());
        for (name, why) in &self.failed {
            println!("  FAILED {name}: {why}");
        }
    }

    pub fn assert_all_pass_but(&self, defects: &[&str]) {
        let unexpected: Vec<_> = self
            .failed
            .iter()
            .filter(|(name, _)| !defects.contains(&name.as_str()))
            .collect();
        assert!(unexpected.is_empty(), "{} failed: {unexpected:?}", unexpected.len());
        for defect in defects {
            assert!(
                self.passed
                    .iter()
                    .chain(self.failed.iter().map(|f| &f.0))
                    .any(|n| n == defect),
                "no test '{defect}'"
            );
        }
    }

    pub fn assert_all_pass(&self) {
        assert!(!self.passed.is_empty(), "no test ran");
        assert!(
            self.failed.is_empty(),
            "{} failed: {:?}",
            self.failed.len(),
            self.failed
        );
    }
}

/// A manifest in memory, to walk with quad patterns.
pub struct Manifest {
    pub graph: Memory,
    pub dir: std::path::PathBuf,
}

impl Manifest {
    pub fn load(path: &Path) -> Manifest {
        let graph = Memory::new().unwrap();
        let base = format!("file://{}", path.display());
        let parser = RdfParser::from_format(RdfFormat::Turtle).with_base_iri(&base).unwrap();
        graph
            .load_from_reader(parser, std::fs::read(path).unwrap().as_slice())
            .unwrap();
        Manifest {
            graph,
            dir: path.parent().unwrap().to_path_buf(),
        }
    }

    pub fn objects(&self, subject: &Term, predicate: &str) -> Vec<Term> {
        let Some(subject) = as_subject(subject) else {
            return Vec::new();
        };
        self.graph
            .quads_for_pattern(
                Some(subject.as_ref()),
                Some(NamedNodeRef::new_unchecked(predicate)),
                None,
                None,
            )
            .map(|q| q.unwrap().object)
            .collect()
    }

    pub fn object(&self, subject: &Term, predicate: &str) -> Option<Term> {
        self.objects(subject, predicate).into_iter().next()
    }

    pub fn text(&self, subject: &Term, predicate: &str) -> Option<String> {
        match self.object(subject, predicate)? {
            Term::Literal(l) => Some(l.value().to_owned()),
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        }
    }

    pub fn list(&self, head: Term) -> Vec<Term> {
        let mut items = Vec::new();
        let mut node = head;
        while !matches!(&node, Term::NamedNode(n) if n.as_str() == format!("{RDF}nil")) {
            let Some(first) = self.object(&node, &format!("{RDF}first")) else {
                break;
            };
            items.push(first);
            node = self.object(&node, &format!("{RDF}rest")).unwrap();
        }
        items
    }

    /// The tests of this manifest, in order.
    pub fn entries(&self) -> Vec<Term> {
        self.list_of(&format!("{MF}entries"))
    }

    /// The manifests this one includes, loaded.
    pub fn included(&self) -> Vec<Manifest> {
        self.list_of(&format!("{MF}include"))
            .iter()
            .map(|m| Manifest::load(&file_path(m)))
            .collect()
    }

    /// The test's type, without its namespace (`QueryEvaluationTest`…).
    pub fn kind(&self, test: &Term) -> String {
        self.text(test, &format!("{RDF}type"))
            .map(|t| t.rsplit(['#', '/']).next().unwrap_or("").to_owned())
            .unwrap_or_default()
    }

    fn list_of(&self, predicate: &str) -> Vec<Term> {
        let head = self
            .graph
            .quads_for_pattern(None, Some(NamedNodeRef::new_unchecked(predicate)), None, None)
            .next()
            .map(|q| q.unwrap().object);
        head.map(|h| self.list(h)).unwrap_or_default()
    }
}

/// The local file a manifest's `file://` IRI names.
pub fn file_path(iri: &Term) -> PathBuf {
    match iri {
        Term::NamedNode(n) => PathBuf::from(n.as_str().strip_prefix("file://").unwrap_or(n.as_str())),
        other => panic!("{other} is not a file IRI"),
    }
}

pub fn as_subject(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// The `Content-Type` of a response, empty when it has none.
pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// A graph with its blank nodes canonicalised, to compare for isomorphism.
pub fn parse_graph(format: RdfFormat, bytes: &[u8]) -> Result<Graph, String> {
    parse_graph_at(format, bytes, None)
}

/// Like [`parse_graph`], relative IRIs resolved against `base`.
pub fn parse_graph_at(format: RdfFormat, bytes: &[u8], base: Option<&str>) -> Result<Graph, String> {
    let mut parser = RdfParser::from_format(format);
    if let Some(base) = base {
        parser = parser.with_base_iri(base).map_err(|e| e.to_string())?;
    }
    let mut graph = Graph::new();
    for quad in parser.for_reader(bytes) {
        graph.insert(&Triple::from(quad.map_err(|e| e.to_string())?));
    }
    graph.canonicalize(oxigraph::model::dataset::CanonicalizationAlgorithm::Unstable);
    Ok(graph)
}
