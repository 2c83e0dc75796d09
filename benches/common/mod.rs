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
