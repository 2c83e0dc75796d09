//! `assetgraph::fuzz::source_batch`, coverage-guided.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetgraph::fuzz::source_batch(data));
