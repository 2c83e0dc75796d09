//! The vocabularies shipped in ontologies/: installed through the write path,
//! idempotent, and shaped as the rights engine will need them.

mod common;

use common::*;

#[test]
fn territories_group_countries_into_regions() {
    let (_dir, store) = open_store();
    let first = assetgraph::ontologies::install(&store).unwrap();
    assert!(first.changed);
    let again = assetgraph::ontologies::install(&store).unwrap();
    assert!(!again.changed, "an unchanged vocabulary writes nothing");

    let skos = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX t: <https://w3id.org/assetgraph/territory/> PREFIX ag: <https://w3id.org/assetgraph/ns#>";
    assert_eq!(
        count(
            &store,
            &format!("{skos} SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a ag:Country }}")
        ),
        250
    );
    assert!(ask(&store, &format!("{skos} ASK {{ t:DE skos:broader t:europe ; skos:notation \"DE\" ; ag:sourceKey \"europe_germany\" ; ag:memberOf t:european_union }}")));
    assert!(ask(
        &store,
        &format!(
            "{skos} ASK {{ t:US skos:broader/skos:broader t:any ; ag:sourceKey \"north_america_united_states\" }}"
        )
    ));
    assert!(ask(
        &store,
        &format!("{skos} ASK {{ t:europe ag:sourceKey \"europe_any\" }}")
    ));
    // every country sits under exactly one continent
    assert_eq!(
        count(&store, &format!("{skos} SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a ag:Country FILTER NOT EXISTS {{ ?c skos:broader ?r }} }}")),
        0
    );
    assert!(ask(
        &store,
        "ASK { GRAPH <urn:assetgraph:graph:ontology> { <https://w3id.org/assetgraph/ns#Change> ?p ?o } }"
    ));
}
