//! Taxonomy write-path benchmarks (issue targets in BENCHMARKS.md):
//!
//! 1. **Bulk load**: a 1M-triple N-Triples taxonomy loaded into a fresh store
//!    by `assetgraph load`'s pipeline (parse, normalise, version hash, diff,
//!    one atomic commit with audit entry) and, in the same run, by oxigraph's
//!    own bulk loader on the same file.
//! 2. **Replacement**: STW (6,244 concepts) replaced by a new version
//!    (relabelled, moved and added concepts), median of several pushes.
//!
//! `cargo bench --bench taxonomy` (set `ASSETGRAPH_BENCH_TRIPLES` to change
//! the size of the first). The second needs ../shared/data and is skipped
//! without it.

mod common;

use assetgraph::rdf;
use assetgraph::store::Store;
use oxigraph::io::RdfFormat;
use oxigraph::model::Quad;
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let triples = common::setting("ASSETGRAPH_BENCH_TRIPLES", 1_000_000);
    bulk_load(triples);
    stw_replacement();
}

fn bulk_load(triples: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taxonomy.nt");
    let (text, kind) = match replicated_stw(triples) {
        Some(text) => (text, "STW replicated under distinct IRIs"),
        None => (synthetic_taxonomy(triples), "synthetic 10-ary tree (../shared absent)"),
    };
    std::fs::write(&file, text).unwrap();
    let bytes = std::fs::metadata(&file).unwrap().len();
    println!(
        "bulk load: {triples} triples, {:.1} MB of N-Triples, {kind}",
        bytes as f64 / 1e6
    );

    // oxigraph keeps default-graph triples in three indexes and named-graph
    // quads in six. assetgraph stores every taxonomy in a named graph, so the
    // like-for-like baseline is the bulk loader loading into a named graph;
    // the default-graph figure is shown too.
    let rate = |d: Duration| triples as f64 / d.as_secs_f64();
    let (mut default_graph, mut named_graph, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        default_graph.push(oxigraph_bulk_load(
            &file,
            &dir.path().join(format!("ox-default{round}")),
            None,
        ));
        named_graph.push(oxigraph_bulk_load(
            &file,
            &dir.path().join(format!("ox-named{round}")),
            Some("urn:bench:g"),
        ));
        ours.push(assetgraph_load(
            &file,
            &dir.path().join(format!("ag{round}")),
            triples,
            round == 1,
        ));
        println!(
            "  round {round}: oxigraph default graph {:.2} s, oxigraph named graph {:.2} s, assetgraph {:.2} s",
            default_graph[round - 1].as_secs_f64(),
            named_graph[round - 1].as_secs_f64(),
            ours[round - 1].as_secs_f64()
        );
    }
    let (default_graph, named_graph, ours) = (median(default_graph), median(named_graph), median(ours));
    println!("  median of {ROUNDS} rounds:");
    println!(
        "    oxigraph bulk loader, default graph: {:6.2} s {:9.0} triples/s",
        default_graph.as_secs_f64(),
        rate(default_graph)
    );
    println!(
        "    oxigraph bulk loader, named graph:   {:6.2} s {:9.0} triples/s",
        named_graph.as_secs_f64(),
        rate(named_graph)
    );
    println!(
        "    assetgraph load (parse, normalise, version, diff, audit, commit): {:6.2} s {:9.0} triples/s = {:.2}x named-graph loader, {:.2}x default-graph loader",
        ours.as_secs_f64(),
        rate(ours),
        rate(ours) / rate(named_graph),
        rate(ours) / rate(default_graph)
    );
}

const ROUNDS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Each measurement starts with no dirty pages left by the previous one.
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

/// What `assetgraph load` does with the file, into a fresh store.
fn assetgraph_load(file: &Path, dir: &Path, triples: usize, report: bool) -> Duration {
    let store = Store::open(dir).unwrap();
    settle();
    let start = Instant::now();
    let data = std::fs::read(file).unwrap();
    let quads = rdf::parse("taxonomy.nt", RdfFormat::NTriples, &data, &|_| {}).unwrap();
    let pushed = common::push_quads(&store, "bench", quads);
    let elapsed = start.elapsed();
    // Copies of STW share the few triples that carry no STW IRI.
    assert!(pushed.counts.triples > triples * 9 / 10);
    if report {
        println!(
            "  stored: {} distinct triples, {} derived, {} concepts",
            pushed.counts.triples, pushed.counts.derived_triples, pushed.counts.concepts
        );
    }
    elapsed
}

/// Loads the file with oxigraph's own bulk loader into a fresh store.
fn oxigraph_bulk_load(file: &Path, dir: &Path, graph: Option<&str>) -> Duration {
    let store = oxigraph::store::Store::open(dir).unwrap();
    let mut parser = oxigraph::io::RdfParser::from_format(RdfFormat::NTriples);
    if let Some(graph) = graph {
        parser = parser.with_default_graph(oxigraph::model::NamedNode::new(graph).unwrap());
    }
    settle();
    let start = Instant::now();
    let mut loader = store.bulk_loader();
    loader
        .load_from_reader(parser, std::fs::File::open(file).unwrap())
        .unwrap();
    loader.commit().unwrap();
    let elapsed = start.elapsed();
    assert!(store.len().unwrap() > 0);
    elapsed
}

fn stw_replacement() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skos/stw/stw-skos.ttl");
    let Ok(original) = std::fs::read_to_string(&path) else {
        println!("stw replacement: skipped, {} is absent", path.display());
        return;
    };
    let modified = new_release_of(&original);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    common::push_quads(&store, "stw", parse_turtle(&original));
    let mut times = Vec::new();
    for i in 0..6 {
        let text = if i % 2 == 0 { &modified } else { &original };
        let start = Instant::now();
        let report = common::push_quads(&store, "stw", parse_turtle(text));
        times.push(start.elapsed());
        if i == 0 {
            println!("stw replacement: diff {}", report.diff.summary());
        }
    }
    times.sort();
    println!(
        "  replace STW ({} concepts), parse + push: median {:.3} s, min {:.3} s, max {:.3} s over {} pushes",
        6244,
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        times.len()
    );
}

fn parse_turtle(text: &str) -> Vec<Quad> {
    rdf::parse("stw-skos.ttl", RdfFormat::Turtle, text.as_bytes(), &|_| {}).unwrap()
}

/// A plausible next release: 100 English labels edited, 20 concepts added.
fn new_release_of(original: &str) -> String {
    let mut out = String::with_capacity(original.len() + 10_000);
    let mut edited = 0;
    for line in original.lines() {
        if edited < 100 && line.contains("skos:prefLabel") && line.contains("@en") {
            out.push_str(&line.replacen("\"@en", " (rev.)\"@en", 1));
            edited += 1;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    for i in 0..20 {
        out.push_str(&format!(
            "<http://zbw.eu/stw/descriptor/new-{i}> a <http://www.w3.org/2004/02/skos/core#Concept> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"New concept {i}\"@en ; <http://www.w3.org/2004/02/skos/core#broader> <http://zbw.eu/stw/thsys/70897> .\n"
        ));
    }
    out
}

/// A real taxonomy's shape at scale: STW copied as often as needed, each
/// copy's IRIs moved under `/copy{n}/`, cut at `triples` triples.
fn replicated_stw(triples: usize) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skos/stw/stw-skos.ttl");
    let quads = parse_turtle(&std::fs::read_to_string(path).ok()?);
    let mut out = String::new();
    let mut written = 0;
    for copy in 0.. {
        for quad in &quads {
            if written == triples {
                return Some(out);
            }
            let line = oxigraph::model::Triple::from(quad.clone()).to_string();
            out.push_str(&line.replace("<http://zbw.eu/stw/", &format!("<http://zbw.eu/stw/copy{copy}/")));
            out.push_str(" .\n");
            written += 1;
        }
    }
    unreachable!()
}

/// A SKOS taxonomy of about `triples` triples: concepts in a 10-ary tree,
/// each typed, with an English and a German label.
fn synthetic_taxonomy(triples: usize) -> String {
    let skos = "http://www.w3.org/2004/02/skos/core#";
    let mut out =
        format!("<http://bench.example/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{skos}ConceptScheme> .\n");
    let mut written = 1;
    let mut i = 0;
    while written < triples {
        let c = format!("<http://bench.example/c/{i}>");
        let lines = [
            format!("{c} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{skos}Concept> .\n"),
            format!("{c} <{skos}prefLabel> \"Concept number {i}\"@en .\n"),
            format!("{c} <{skos}prefLabel> \"Begriff Nummer {i}\"@de .\n"),
            if i == 0 {
                format!("{c} <{skos}topConceptOf> <http://bench.example/s> .\n")
            } else {
                format!("{c} <{skos}broader> <http://bench.example/c/{}> .\n", (i - 1) / 10)
            },
        ];
        for line in lines.iter().take(triples - written) {
            out.push_str(line);
            written += 1;
        }
        i += 1;
    }
    out
}
