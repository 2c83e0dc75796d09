//! `assetgraph::fuzz::rdf_document`, coverage-guided.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetgraph::fuzz::rdf_document(data));
