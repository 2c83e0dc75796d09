//! Every vocabulary in ../shared/data/skos through the taxonomy push: concept
//! counts, known labels and relations, and the true diff between two UAT
//! releases. Each test prints a notice and skips when ../shared is absent.

mod common;

use assetgraph::store::Store;
use assetgraph::taxonomy::{self, PushMode};
use common::*;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn load(store: &Store, project: &str, relative: &str) -> Option<taxonomy::PushReport> {
    let path = shared_data(relative)?;
    Some(push_file(store, project, &path, PushMode::Replace))
}

fn label(store: &Store, iri: &str, lang: &str) -> String {
    taxonomy::concept(store, iri, lang).unwrap().pref_label[&lang.to_ascii_lowercase()].clone()
}

#[test]
fn uat_poolparty_rdf_xml_export() {
    let (_dir, store) = open_store();
    let Some(report) = load(&store, "uat", "skos/uat/UAT.rdf") else {
        return;
    };
    assert_eq!(report.counts.concepts + report.counts.deprecated, 2372);
    assert_eq!(report.counts.deprecated, 97);
    assert_eq!(report.counts.schemes, 1);
    let c = taxonomy::concept(&store, "http://astrothesaurus.org/uat/1129", "en").unwrap();
    assert_eq!(c.pref_label["en"], "Nuclear astrophysics");
    assert!(c.narrower.iter().any(|n| n.iri == "http://astrothesaurus.org/uat/1104"));
    assert!(c.related.iter().any(|n| n.iri == "http://astrothesaurus.org/uat/2077"));
    // no skos:inScheme in the export; every live concept gets one from the hierarchy
    let without_scheme = count(
        &store,
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
         SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept FILTER NOT EXISTS { ?c skos:inScheme ?s }
           FILTER NOT EXISTS { ?c <http://www.w3.org/2002/07/owl#deprecated> true } }",
    );
    assert_eq!(without_scheme, 0);
}

#[test]
fn stw_turtle() {
    let (_dir, store) = open_store();
    let Some(report) = load(&store, "stw", "skos/stw/stw-skos.ttl") else {
        return;
    };
    assert_eq!(report.counts.concepts + report.counts.deprecated, 6244);
    let c = taxonomy::concept(&store, "http://zbw.eu/stw/descriptor/10001-6", "de").unwrap();
    assert_eq!(c.pref_label["en"], "Arbitrage");
    assert!(c.alt_labels["de"].contains(&"Arbitragetheorie".to_owned()));
    assert_eq!(c.broader[0].iri, "http://zbw.eu/stw/thsys/70897");
    assert!(c
        .related
        .iter()
        .any(|r| r.iri == "http://zbw.eu/stw/descriptor/13715-1"));
}

#[test]
fn unesco_turtle() {
    let (_dir, store) = open_store();
    let Some(report) = load(&store, "unesco", "skos/unesco/unesco-thesaurus.ttl") else {
        return;
    };
    assert_eq!(report.counts.concepts, 4482);
    assert_eq!(
        label(&store, "http://vocabularies.unesco.org/thesaurus/concept10", "fr"),
        "Droit à l'éducation"
    );
    let c = taxonomy::concept(&store, "http://vocabularies.unesco.org/thesaurus/concept10", "en").unwrap();
    assert_eq!(c.narrower.len(), 2);
}

#[test]
fn iptc_media_topics_official_and_multilingual() {
    let (_dir, store) = open_store();
    let Some(official) = load(&store, "mediatopic", "skos/iptc-mediatopic/cptall-en-GB.ttl") else {
        return;
    };
    assert_eq!(official.counts.concepts, 1372);
    assert_eq!(
        label(&store, "http://cv.iptc.org/newscodes/mediatopic/02000000", "en-GB"),
        "crime, law and justice"
    );
    let (_dir2, other) = open_store();
    let Some(multi) = load(
        &other,
        "mediatopic",
        "skos/iptc-mediatopic/mediatopic-2025-03-31-multilingual.derived.ttl",
    ) else {
        return;
    };
    assert_eq!(multi.counts.concepts + multi.counts.deprecated, 1387);
    assert_eq!(multi.counts.deprecated, 302);
    assert!(taxonomy::get(&other, "mediatopic").unwrap().languages.len() >= 13);
}

#[test]
fn yso_archaeology_as_turtle_and_rdf_xml_has_one_version() {
    let (_dir, store) = open_store();
    let Some(turtle) = load(&store, "yso", "skos/yso-archaeology/yso-archaeology.ttl") else {
        return;
    };
    assert_eq!(turtle.counts.concepts, 130);
    assert_eq!(
        label(&store, "http://www.yso.fi/onto/yso/p12484", "fi"),
        "paleoliittinen kausi"
    );
    let (_dir2, other) = open_store();
    let xml = load(&other, "yso", "skos/yso-archaeology/yso-archaeology.rdf").unwrap();
    assert_eq!(turtle.version, xml.version);
}

#[test]
fn poolparty_export_shape_and_digital_source_types() {
    let (_dir, store) = open_store();
    let Some(cht) = load(&store, "cht", "skos/poolparty-export-shape-sample/cht-one-concept.ttl") else {
        return;
    };
    assert_eq!(cht.counts.concepts, 1);
    // PoolParty housekeeping is kept as pushed
    assert!(ask(
        &store,
        "ASK { GRAPH <urn:assetgraph:taxonomy:cht> { ?c <http://schema.semantic-web.at/ppt/inSubtree> ?s } }"
    ));
    let dst = load(
        &store,
        "dst",
        "skos/iptc-digitalsourcetype/digitalsourcetype.derived.ttl",
    )
    .unwrap();
    assert_eq!(dst.counts.concepts + dst.counts.deprecated, 20);
    assert_eq!(
        label(
            &store,
            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
            "en-GB"
        ),
        "Digital capture sampled from real life"
    );
}

/// Each concept's state computed straight from a file, independently of the
/// service: live or not, prefLabels, broader (stated or as inverse narrower).
#[derive(Default)]
struct Expected {
    live: BTreeSet<String>,
    typed: BTreeSet<String>,
    labels: BTreeMap<String, BTreeSet<String>>,
    broader: BTreeMap<String, BTreeSet<String>>,
}

fn expected_from(path: &Path) -> Expected {
    let skos = |local: &str| format!("http://www.w3.org/2004/02/skos/core#{local}");
    let mut e = Expected::default();
    let mut deprecated = BTreeSet::new();
    for quad in RdfParser::from_format(RdfFormat::RdfXml).for_reader(std::fs::File::open(path).unwrap()) {
        let quad = quad.unwrap();
        let NamedOrBlankNode::NamedNode(s) = &quad.subject else {
            continue;
        };
        let s = s.as_str().to_owned();
        let p = quad.predicate.as_str();
        match (&quad.object, p) {
            (Term::NamedNode(o), _)
                if p == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" && o.as_str() == skos("Concept") =>
            {
                e.typed.insert(s);
            }
            (Term::Literal(l), "http://www.w3.org/2002/07/owl#deprecated") if l.value() == "true" => {
                deprecated.insert(s);
            }
            (Term::Literal(l), _) if p == skos("prefLabel") => {
                e.labels
                    .entry(s)
                    .or_default()
                    .insert(format!("{}@{}", l.value(), l.language().unwrap_or("")));
            }
            (Term::NamedNode(o), _) if p == skos("broader") => {
                e.broader.entry(s).or_default().insert(o.as_str().to_owned());
            }
            (Term::NamedNode(o), _) if p == skos("narrower") => {
                e.broader.entry(o.as_str().to_owned()).or_default().insert(s);
            }
            _ => {}
        }
    }
    e.live = e.typed.difference(&deprecated).cloned().collect();
    e
}

#[test]
fn uat_2022_to_2024_push_returns_the_true_diff() {
    let (Some(old_path), Some(new_path)) = (shared_data("skos/uat/UAT-2022-01.rdf"), shared_data("skos/uat/UAT.rdf"))
    else {
        return;
    };
    let (_dir, store) = open_store();
    push_file(&store, "uat", &old_path, PushMode::Replace);
    let report = push_file(&store, "uat", &new_path, PushMode::Replace);
    let (old, new) = (expected_from(&old_path), expected_from(&new_path));

    let set = |list: Vec<String>| list.into_iter().collect::<BTreeSet<_>>();
    let added = set(report.diff.added.iter().map(|c| c.iri.clone()).collect());
    assert_eq!(added, new.live.difference(&old.live).cloned().collect());
    let gone = set(report
        .diff
        .removed
        .iter()
        .chain(&report.diff.deprecated)
        .map(|c| c.iri.clone())
        .collect());
    assert_eq!(gone, old.live.difference(&new.live).cloned().collect());
    let deprecated = set(report.diff.deprecated.iter().map(|c| c.iri.clone()).collect());
    assert!(deprecated.iter().all(|c| new.typed.contains(c)));

    let in_both: Vec<&String> = old.live.intersection(&new.live).collect();
    let relabelled: BTreeSet<String> = in_both
        .iter()
        .filter(|c| old.labels.get(**c) != new.labels.get(**c))
        .map(|c| (*c).clone())
        .collect();
    assert_eq!(
        set(report.diff.relabelled.iter().map(|c| c.iri.clone()).collect()),
        relabelled
    );
    let moved: BTreeSet<String> = in_both
        .iter()
        .filter(|c| {
            old.broader.get(**c).cloned().unwrap_or_default() != new.broader.get(**c).cloned().unwrap_or_default()
        })
        .map(|c| (*c).clone())
        .collect();
    assert_eq!(set(report.diff.moved.iter().map(|c| c.iri.clone()).collect()), moved);
    assert!(!added.is_empty() && !moved.is_empty(), "the two releases differ");
    eprintln!("UAT 2022-01 → 2024-06: {}", report.diff.summary());
}
