//! Facet counts over every asset a query matched (after the rights filter):
//! source, content type, licence type, and the concepts they are tagged
//! with, counted per concept as tagged (not yet rolled up the hierarchy).

use super::concepts::ConceptView;
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{json, Value};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::Index;

/// The plain fields counted, by their name in the index and the answer.
const FIELDS: [&str; 3] = ["source", "content_type", "license_type"];
/// Buckets per field; concepts get more.
const FIELD_BUCKETS: usize = 50;
const CONCEPT_BUCKETS: usize = 200;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Facets {
    pub source: Vec<Bucket>,
    pub content_type: Vec<Bucket>,
    pub license_type: Vec<Bucket>,
    pub concept: Vec<ConceptBucket>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptBucket {
    pub iri: String,
    pub label: String,
    /// Matching assets tagged with exactly this concept.
    pub count: u64,
}

pub fn collector(index: &Index) -> Result<AggregationCollector> {
    let mut request = serde_json::Map::new();
    for field in FIELDS {
        request.insert(field.into(), json!({"terms": {"field": field, "size": FIELD_BUCKETS}}));
    }
    request.insert(
        "concept".into(),
        json!({"terms": {"field": "concept", "size": CONCEPT_BUCKETS}}),
    );
    let aggregations: Aggregations =
        serde_json::from_value(Value::Object(request)).map_err(|e| Error::Index(format!("facet request: {e}")))?;
    let context = AggContextParams::new(AggregationLimitsGuard::default(), index.tokenizers().clone());
    Ok(AggregationCollector::from_aggs(aggregations, context))
}

pub fn read(results: &AggregationResults, view: &ConceptView, lang: Option<&str>) -> Result<Facets> {
    let value = serde_json::to_value(results).map_err(|e| Error::Index(format!("facet results: {e}")))?;
    let buckets = |name: &str| -> Vec<Bucket> {
        value[name]["buckets"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|b| {
                        Some(Bucket {
                            value: b["key"].as_str()?.to_owned(),
                            count: b["doc_count"].as_u64()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let concept = buckets("concept")
        .into_iter()
        .map(|b| ConceptBucket {
            label: view
                .id(&b.value)
                .map_or(b.value.clone(), |id| view.label(id, lang).to_owned()),
            iri: b.value,
            count: b.count,
        })
        .collect();
    Ok(Facets {
        source: buckets("source"),
        content_type: buckets("content_type"),
        license_type: buckets("license_type"),
        concept,
    })
}
