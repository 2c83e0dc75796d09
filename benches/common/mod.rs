//! What the benchmarks share: a small seeded generator, so that every run
//! draws the same data.

/// xorshift64: deterministic, no dependency, good enough to vary test data.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// Up to `max` picks (possibly none).
    #[allow(dead_code)] // not every benchmark draws lists
    pub fn some<'a>(&mut self, from: &[&'a str], max: usize) -> Vec<&'a str> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.pick(from)).collect()
    }
}

/// Ingests records of the project's own format through the write path.
#[allow(dead_code)] // not every benchmark ingests assets
pub fn ingest_own_records(store: &assetgraph::store::Store, records: &[serde_json::Value]) {
    use assetgraph::assets::{self, Ingest, OnError};
    use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: assetgraph::rights::Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let body = serde_json::to_vec(records).unwrap();
    let mapped = ingest::map_batch(Source::AssetGraph, &body, &mapping).unwrap();
    let how = Ingest {
        source: Source::AssetGraph,
        actor: "bench",
        tenant: "default",
        on_error: OnError::Reject,
    };
    assets::upsert(store, mapped, &how).unwrap();
}
