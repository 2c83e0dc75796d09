//! Taxonomy pushes through the write path: normalisation, diffs, versions,
//! graphs, audit entries and atomic replacement, on a real RocksDB store.

mod common;

use assetgraph::store::Store;
use assetgraph::taxonomy::{self, PushMode};
use assetgraph::Error;
use common::*;

const PREFIXES: &str = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX demo: <https://demo.assetgraph.example/campaigns/>
PREFIX ex: <http://example.com/tax/>
";

fn push_demo(store: &Store) -> taxonomy::PushReport {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/campaigns.ttl");
    push_file(store, "demo", &path, PushMode::Replace)
}

#[test]
fn normalisation_derives_what_poolparty_exports_leave_out() {
    let (_dir, store) = open_store();
    push_demo(&store);
    let derived = |pattern: &str| {
        ask(
            &store,
            &format!("{PREFIXES} ASK {{ GRAPH <urn:assetgraph:taxonomy:demo:derived> {{ {pattern} }} }}"),
        )
    };
    // broader stated, narrower missing → narrower derived
    assert!(derived("demo:sustainable-packaging skos:narrower demo:eco-friendly"));
    // both directions stated → nothing derived
    assert!(!derived("demo:students skos:broader demo:back-to-school"));
    // scheme membership through broader chains, into both parents' schemes
    assert!(derived("demo:eco-friendly skos:inScheme demo:themes"));
    assert!(derived("demo:eco-friendly skos:inScheme demo:products"));
    assert!(derived("demo:sustainability skos:inScheme demo:themes"));
    // SKOS-XL literal form as a plain label
    assert!(derived("demo:compostable skos:prefLabel \"Compostable\"@en"));
    // tombstones: replacement inverse, but no scheme
    assert!(derived("demo:sustainable-packaging dcterms:replaces demo:plastic-free"));
    assert!(!derived("demo:plastic-free skos:inScheme ?s"));
    // symmetric related
    assert!(derived("demo:recyclable skos:related demo:compostable"));
}

#[test]
fn pushed_triples_are_kept_exactly_and_derived_ones_apart() {
    let (_dir, store) = open_store();
    let report = push_demo(&store);
    let main = count(
        &store,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:taxonomy:demo> { ?s ?p ?o } }",
    );
    assert_eq!(main, report.counts.triples);
    assert!(ask(
        &store,
        "ASK { GRAPH <urn:assetgraph:taxonomy:demo> { <https://demo.assetgraph.example/campaigns/notebooks> <http://schema.semantic-web.at/ppt/inSubtree> ?x } }"
    ));
    let derived = count(
        &store,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:taxonomy:demo:derived> { ?s ?p ?o } }",
    );
    assert_eq!(derived, report.counts.derived_triples);
    assert_eq!(report.counts.concepts, 15);
    assert_eq!(report.counts.deprecated, 1);
}

#[test]
fn diff_reports_added_removed_deprecated_relabelled_and_moved() {
    let (_dir, store) = open_store();
    let first = push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    assert_eq!(first.diff.added.len(), 6);
    let second = push_file(&store, "t", &fixture("taxonomy-v2.ttl"), PushMode::Replace);
    let iris = |list: Vec<String>| {
        list.into_iter()
            .map(|i| i.replace("http://example.com/tax/", ""))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        iris(second.diff.added.iter().map(|c| c.iri.clone()).collect()),
        ["felines", "horses"]
    );
    assert_eq!(
        iris(second.diff.removed.iter().map(|c| c.iri.clone()).collect()),
        ["fish"]
    );
    assert_eq!(
        iris(second.diff.deprecated.iter().map(|c| c.iri.clone()).collect()),
        ["cats"]
    );
    assert_eq!(
        iris(second.diff.relabelled.iter().map(|c| c.iri.clone()).collect()),
        ["dogs"]
    );
    assert_eq!(second.diff.relabelled[0].after["de"], "Haushunde");
    assert_eq!(
        iris(second.diff.moved.iter().map(|c| c.iri.clone()).collect()),
        ["parrots"]
    );
    assert_eq!(second.diff.moved[0].from, ["http://example.com/tax/birds"]);
    assert_eq!(second.diff.moved[0].to, ["http://example.com/tax/animals"]);
    assert_eq!(second.previous_version.as_deref(), Some(first.version.as_str()));
    // the replacement leaves no trace of v1: fish is gone from every graph
    assert!(!ask(&store, "ASK { <http://example.com/tax/fish> ?p ?o }"));
}

#[test]
fn the_same_taxonomy_as_turtle_and_rdf_xml_gets_the_same_version() {
    let (_dir, store) = open_store();
    let turtle = push_file(&store, "a", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    let (_dir2, other) = open_store();
    let xml = push_file(&other, "b", &fixture("taxonomy-v1.rdf"), PushMode::Replace);
    assert_eq!(turtle.version, xml.version);
    let v2 = push_file(&store, "a", &fixture("taxonomy-v2.ttl"), PushMode::Replace);
    assert_ne!(turtle.version, v2.version);
}

#[test]
fn an_unchanged_push_writes_nothing() {
    let (_dir, store) = open_store();
    let first = push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    let generation = store.generation();
    let again = push_file(&store, "t", &fixture("taxonomy-v1.rdf"), PushMode::Replace);
    assert!(!again.changed);
    assert_eq!(again.version, first.version);
    assert_eq!(store.generation(), generation);
}

#[test]
fn every_change_is_audited_with_prov_o() {
    let (_dir, store) = open_store();
    push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    push_file(&store, "t", &fixture("taxonomy-v2.ttl"), PushMode::Replace);
    assert_eq!(store.generation(), 2);
    let rows = select(
        &store,
        &format!(
            "{PREFIXES} SELECT ?gen ?op ?agent ?added ?removed WHERE {{ GRAPH <urn:assetgraph:graph:audit> {{
               ?c a ag:Change, prov:Activity ; ag:generation ?gen ; ag:operation ?op ;
                  prov:wasAssociatedWith/<http://www.w3.org/2000/01/rdf-schema#label> ?agent ;
                  prov:startedAtTime ?start ; prov:endedAtTime ?end ;
                  ag:graphChange [ ag:changedGraph <urn:assetgraph:taxonomy:t> ; ag:triplesAdded ?added ; ag:triplesRemoved ?removed ] }} }}
             ORDER BY ?gen"
        ),
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][1], "taxonomy.replace");
    assert_eq!(rows[0][2], "tester");
    assert_eq!(rows[0][4], "0");
    assert!(rows[1][3].parse::<u32>().unwrap() > 0 && rows[1][4].parse::<u32>().unwrap() > 0);
    // every graph written records its tenant
    assert!(ask(
        &store,
        "ASK { GRAPH <urn:assetgraph:graph:registry> { <urn:assetgraph:taxonomy:t> <https://w3id.org/assetgraph/ns#tenant> <urn:assetgraph:tenant:default> } }"
    ));
    assert_eq!(
        store
            .graph_tenant(taxonomy::main_graph("t").as_ref())
            .unwrap()
            .as_deref(),
        Some("default")
    );
}

#[test]
fn the_generation_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
        push_file(&store, "t", &fixture("taxonomy-v2.ttl"), PushMode::Replace);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.generation(), 2);
    assert_eq!(taxonomy::get(&store, "t").unwrap().concepts, 6);
}

#[test]
fn trig_pushes_keep_their_graphs_and_replacement_drops_missing_ones() {
    let (_dir, store) = open_store();
    let report = push_file(&store, "shop", &fixture("project.trig"), PushMode::Replace);
    assert_eq!(
        report.graphs,
        [
            "http://example.com/pp/shop/metadata/void",
            "http://example.com/pp/shop/thesaurus"
        ]
    );
    assert!(ask(
        &store,
        "ASK { GRAPH <http://example.com/pp/shop/thesaurus> { <http://example.com/pp/a> ?p ?o } }"
    ));
    // derived inverse of the stated narrower
    assert!(ask(&store, "ASK { GRAPH <urn:assetgraph:taxonomy:shop:derived> { <http://example.com/pp/b> <http://www.w3.org/2004/02/skos/core#broader> <http://example.com/pp/a> } }"));

    let dir = tempfile::tempdir().unwrap();
    let only_thesaurus = dir.path().join("v2.trig");
    std::fs::write(
        &only_thesaurus,
        "<http://example.com/pp/shop/thesaurus> { <http://example.com/pp/a> a <http://www.w3.org/2004/02/skos/core#Concept> . }",
    )
    .unwrap();
    let second = push_file(&store, "shop", &only_thesaurus, PushMode::Replace);
    assert_eq!(second.graphs, ["http://example.com/pp/shop/thesaurus"]);
    assert!(second
        .delta
        .iter()
        .any(|d| d.graph.ends_with("metadata/void") && d.dropped));
    assert!(!ask(
        &store,
        "ASK { GRAPH <http://example.com/pp/shop/metadata/void> { ?s ?p ?o } }"
    ));
    assert_eq!(second.diff.removed.len(), 1);
}

#[test]
fn a_graph_of_another_project_cannot_be_taken() {
    let (_dir, store) = open_store();
    push_file(&store, "shop", &fixture("project.trig"), PushMode::Replace);
    let err = try_push_file(&store, "other", &fixture("project.trig"), PushMode::Replace).unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert!(taxonomy::get(&store, "other").is_err());
}

#[test]
fn merge_adds_to_the_current_version() {
    let (_dir, store) = open_store();
    push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.ttl");
    std::fs::write(
        &extra,
        "<http://example.com/tax/snakes> a <http://www.w3.org/2004/02/skos/core#Concept> ; <http://www.w3.org/2004/02/skos/core#broader> <http://example.com/tax/animals> .",
    )
    .unwrap();
    let merged = push_file(&store, "t", &extra, PushMode::Merge);
    assert_eq!(merged.counts.concepts, 7);
    assert_eq!(merged.diff.added.len(), 1);
    assert!(merged.diff.removed.is_empty());
}

#[test]
fn a_replacement_without_skos_is_refused_and_changes_nothing() {
    let (_dir, store) = open_store();
    let first = push_file(&store, "t", &fixture("taxonomy-v1.ttl"), PushMode::Replace);
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.ttl");
    std::fs::write(&empty, "<http://e/a> <http://e/b> <http://e/c> .").unwrap();
    let err = try_push_file(&store, "t", &empty, PushMode::Replace).unwrap_err();
    assert!(matches!(err, Error::Unacceptable { .. }), "{err:?}");
    assert_eq!(taxonomy::get(&store, "t").unwrap().version, first.version);
}

#[test]
fn concept_details_join_labels_relations_and_mappings() {
    let (_dir, store) = open_store();
    push_demo(&store);
    let c = taxonomy::concept(
        &store,
        "https://demo.assetgraph.example/campaigns/sustainable-packaging",
        "de",
    )
    .unwrap();
    assert_eq!(c.pref_label["fr"], "Emballage durable");
    assert!(c.alt_labels["en"].contains(&"eco-friendly packaging".to_owned()));
    assert_eq!(c.hidden_labels["en"], ["sustainible packaging"]);
    assert_eq!(c.projects, ["demo"]);
    assert_eq!(c.narrower.len(), 4);
    assert!(c.broader.iter().any(|b| b.label.as_deref() == Some("Nachhaltigkeit")));
    assert_eq!(c.mappings["exact_match"][0].iri, "http://zbw.eu/stw/descriptor/29820-2");
    assert_eq!(c.schemes.len(), 2);
    let tombstone = taxonomy::concept(&store, "https://demo.assetgraph.example/campaigns/plastic-free", "en").unwrap();
    assert!(tombstone.deprecated);
    assert_eq!(
        tombstone.replaced_by,
        ["https://demo.assetgraph.example/campaigns/sustainable-packaging"]
    );
    assert!(matches!(
        taxonomy::concept(&store, "http://nowhere/x", "en"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn concurrent_readers_see_the_old_or_the_new_version_never_a_mix() {
    let (_dir, store) = open_store();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.nt");
    let large = dir.path().join("large.nt");
    std::fs::write(&small, synthetic_taxonomy(1_000, "v1")).unwrap();
    std::fs::write(&large, synthetic_taxonomy(3_000, "v2")).unwrap();
    push_file(&store, "t", &small, PushMode::Replace);
    let store = std::sync::Arc::new(store);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // One query: the stored count, the concepts present and their labels' version must agree.
                    let rows = select(
                        &store,
                        "SELECT ?declared (COUNT(?c) AS ?n) (SAMPLE(?v) AS ?tag) (COUNT(DISTINCT ?v) AS ?tags) WHERE {
                           GRAPH <urn:assetgraph:taxonomy:t:meta> { <urn:assetgraph:project:t> <https://w3id.org/assetgraph/ns#conceptCount> ?declared }
                           GRAPH <urn:assetgraph:taxonomy:t> { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l BIND(STRBEFORE(STR(?l), \"-\") AS ?v) }
                         } GROUP BY ?declared",
                    );
                    assert_eq!(rows.len(), 1, "{rows:?}");
                    let (declared, actual, tag, tags) = (&rows[0][0], &rows[0][1], &rows[0][2], &rows[0][3]);
                    assert_eq!(declared, actual, "metadata and graph disagree");
                    assert_eq!(tags, "1", "labels of two versions at once");
                    seen.insert((actual.clone(), tag.clone()));
                }
                seen
            })
        })
        .collect();
    for i in 0..6 {
        let file = if i % 2 == 0 { &large } else { &small };
        push_file(&store, "t", file, PushMode::Replace);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        for (count, tag) in reader.join().unwrap() {
            assert!(
                (count == "1000" && tag == "v1") || (count == "3000" && tag == "v2"),
                "mixed state: {count} concepts labelled {tag}"
            );
        }
    }
}

/// N concepts under one scheme, every label tagged with the version.
pub fn synthetic_taxonomy(concepts: usize, version: &str) -> String {
    let skos = "http://www.w3.org/2004/02/skos/core#";
    let mut out = format!("<http://e/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{skos}ConceptScheme> .\n");
    for i in 0..concepts {
        out.push_str(&format!(
            "<http://e/c{i}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{skos}Concept> .\n"
        ));
        out.push_str(&format!("<http://e/c{i}> <{skos}prefLabel> \"{version}-{i}\"@en .\n"));
        let parent = if i == 0 {
            format!("<{skos}topConceptOf> <http://e/s>")
        } else {
            format!("<{skos}broader> <http://e/c{}>", i / 10)
        };
        out.push_str(&format!("<http://e/c{i}> {parent} .\n"));
    }
    out
}

#[test]
fn repeated_statements_are_stored_and_counted_once() {
    let (_dir, store) = open_store();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("repeated.nt");
    let line = "<http://e/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2004/02/skos/core#Concept> .\n";
    std::fs::write(&file, line.repeat(3)).unwrap();
    let report = push_file(&store, "t", &file, PushMode::Replace);
    assert_eq!(report.counts.triples, 1);
    assert_eq!(report.counts.concepts, 1);
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:taxonomy:t> { ?s ?p ?o } }"
        ),
        1
    );
    assert_eq!(
        report
            .delta
            .iter()
            .find(|d| d.graph == "urn:assetgraph:taxonomy:t")
            .unwrap()
            .added,
        1
    );
}
