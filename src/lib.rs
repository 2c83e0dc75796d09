//! assetgraph: a semantic metadata knowledge graph for licensed assets, their
//! rights and the taxonomies that describe them.
//!
//! # Layers
//! Each module may use the modules of the layers below it, and those named
//! before it in its own layer; nothing else. `tests/layers.rs` reads this
//! list and fails on an import against it.
//!
//! 1. **foundation**: [`error`], [`vocab`], [`memory`], [`rdf`].
//!    Errors (one type, turned into problem documents at the edge), the
//!    IRIs of the vocabularies and the shipped vocabularies' text, the
//!    per-thread memory budget, and RDF syntax, minted identifiers and
//!    times. They know nothing of sources, the store or HTTP.
//! 2. **engine**: [`rights`], [`store`], [`outbound`].
//!    The clearance engine and the ODRL mapping, pure: rights in, answers
//!    out. The store, which owns oxigraph and **the single write path**
//!    every mutation goes through. Outbound HTTP (allowed hosts, backoff).
//! 3. **model**: [`auth`], [`ontologies`], [`ingest`], [`records`].
//!    Keys, roles and the files that hold secrets; the shipped
//!    vocabularies installed in the store; the source mappers, which parse
//!    and map what sources send and never write; asset records read back
//!    (graphs, targeting records, compiled rights, one asset's view).
//! 4. **derived**: [`index`].
//!    The tantivy search index, derived from the store and kept in step
//!    with every commit; it reads, never writes.
//! 5. **domain**: [`assets`], [`taxonomy`], [`usage`], [`audit`], [`webhooks`], [`sparql`], [`reports`].
//!    Asset upserts and deletes; taxonomy projects (push, diff, version,
//!    read model); usage events checked against clearance at their time;
//!    the audit timeline; the webhook outbox and its signed deliveries;
//!    SPARQL queries, updates and the Graph Store; the named reports.
//! 6. **operations**: [`connectors`], [`config`], [`alerts`].
//!    The connectors that pull from the sources through the same mappings
//!    and write path; the configuration file; alerts, which turn the clock
//!    and the change feed into events and run the background work.
//! 7. **edges**: [`http`], [`cli`], [`fuzz`].
//!    HTTP and the command line: arguments, auth headers, progress bars.
//!    They call the layers below and never touch oxigraph themselves.
//!    `fuzz` holds the entry points the fuzzers and the corpus test drive.

#![warn(unreachable_pub)]

pub mod alerts;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod error;
pub mod fuzz;
pub mod http;
pub mod index;
pub mod ingest;
pub mod memory;
pub mod ontologies;
pub(crate) mod outbound;
pub mod rdf;
pub mod records;
pub mod reports;
pub mod rights;
pub mod sparql;
pub mod store;
pub mod taxonomy;
pub mod usage;
pub mod vocab;
pub mod webhooks;

pub use error::{Error, Result};

/// Every allocation is counted against the budget of the thread that
/// makes it, where it has one (see [`memory`]).
#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;
