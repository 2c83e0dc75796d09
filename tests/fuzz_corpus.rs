//! The short fuzzing run of every `cargo test`: the fuzz targets'
//! entry points (`assetgraph::fuzz`) fed every input the long runs found
//! worth keeping (`fuzz/regressions/<target>/`, committed; and the local
//! corpus `fuzz/corpus/<target>/` when there is one), then a few thousand
//! mutations of the project's own fixtures, with a fixed seed so that a
//! failure reproduces. The long, coverage-guided runs are `cargo fuzz` (see
//! docs/OPERATIONS.md, "Hardening").

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `fuzz/<kind>/<target>/`, at most `most` of them.
fn inputs(kind: &str, target: &str, most: usize) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(root().join("fuzz").join(kind).join(target)) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths.truncate(most);
    paths.into_iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// A fixture's bytes after a choice byte.
fn seed(choice: u8, relative: &str) -> Vec<u8> {
    let mut bytes = vec![choice];
    bytes.extend(std::fs::read(root().join(relative)).unwrap());
    bytes
}

/// `seed` changed a few times: bytes flipped, inserted, removed, a slice
/// doubled, the end cut.
fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..rng.random_range(1..8) {
        if bytes.len() < 2 {
            bytes.push(rng.random());
            continue;
        }
        let at = rng.random_range(1..bytes.len());
        match rng.random_range(0..5) {
            0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => bytes.insert(
                at,
                *b"{}[]()<>\"'\\#:;,.@&%\0\xff"
                    .get(rng.random_range(0..21))
                    .unwrap_or(&b'x'),
            ),
            2 => {
                bytes.remove(at);
            }
            3 => {
                let end = (at + rng.random_range(1..64)).min(bytes.len());
                let slice = bytes[at..end].to_vec();
                bytes.splice(at..at, slice);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn run(target: &str, seeds: &[Vec<u8>], rounds: usize, entry: impl Fn(&[u8])) {
    let kept = [
        inputs("regressions", target, usize::MAX),
        inputs("corpus", target, 2_000),
    ]
    .concat();
    for input in &kept {
        entry(input);
    }
    let mut rng = StdRng::seed_from_u64(22);
    for round in 0..rounds {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        entry(&input);
    }
    eprintln!("{target}: {} kept inputs and {rounds} mutations taken", kept.len());
}

#[test]
fn source_mappers_take_anything() {
    let seeds = [
        seed(0, "demo/assets.json"),
        seed(1, "tests/fixtures/sources/smintio-sync.json"),
        seed(2, "tests/fixtures/sources/rightsline-entities.json"),
        seed(2, "tests/fixtures/sources/rightsline-sns.json"),
        seed(3, "tests/fixtures/sources/photoshelter-gallery-images.json"),
        seed(4, "tests/fixtures/sources/dropbox-list-folder.json"),
        seed(5, "tests/fixtures/sources/scaleflex-file.json"),
    ];
    run("sources", &seeds, 3_000, assetgraph::fuzz::source_batch);
}

#[test]
fn rdf_parsers_take_anything() {
    let seeds = [
        seed(0, "tests/fixtures/taxonomy-v1.ttl"),
        seed(1, "tests/fixtures/project.trig"),
        seed(5, "tests/fixtures/taxonomy-v1.rdf"),
        seed(6, "tests/fixtures/sources/smintio-sync.json"),
    ];
    run("rdf", &seeds, 2_000, assetgraph::fuzz::rdf_document);
}

#[test]
fn sparql_texts_take_anything() {
    let mut seeds: Vec<Vec<u8>> = assetgraph::reports::all()
        .iter()
        .map(|r| [&[0u8][..], r.text.as_bytes()].concat())
        .collect();
    seeds.push(b"\x01DELETE { ?s ?p ?o } INSERT { ?s ?p \"x\" } WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?r } }".to_vec());
    run("sparql", &seeds, 1_000, assetgraph::fuzz::sparql_text);
}

#[test]
fn requests_to_the_router_take_anything() {
    let http = assetgraph::fuzz::Http::new().unwrap();
    let seeds = [
        b"\x00\x00q=sustainable+packaging&lang=de&territory=DE&channel=web\n".to_vec(),
        b"\x02\x00territory=DE&channel=web&usage=advertising_any&at=2026-06-01\n".to_vec(),
        b"\x08\x02\nSELECT * WHERE { ?s ?p ?o } LIMIT 3".to_vec(),
        b"\x0b\x00\n{\"asset\": \"smintio:88101\", \"action\": \"download\", \"user\": \"u1\"}".to_vec(),
        b"\x01\x00q=sust&limit=5\n".to_vec(),
    ];
    run("http", &seeds, 1_000, |input| http.request(input));
}
