//! `assetgraph::fuzz::sparql_text`, coverage-guided.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetgraph::fuzz::sparql_text(data));
