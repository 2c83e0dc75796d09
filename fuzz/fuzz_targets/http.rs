//! `assetgraph::fuzz::Http`: requests to the whole router on a real store.
#![no_main]

use std::sync::OnceLock;

static HTTP: OnceLock<assetgraph::fuzz::Http> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    HTTP.get_or_init(|| assetgraph::fuzz::Http::new().expect("a store in a temporary directory"))
        .request(data)
});
