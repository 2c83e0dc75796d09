//! assetgraph: a semantic metadata knowledge graph for licensed assets, their
//! rights and the taxonomies that describe them.
//!
//! # Layers
//! Dependencies point one way, from the edges to the core:
//!
//! - [`cli`] and [`http`] are the edges: argument parsing, HTTP, auth headers,
//!   progress bars. They call the core and never touch oxigraph themselves.
//! - [`taxonomy`] owns taxonomy projects (push, diff, version, read model).
//! - [`assets`] owns asset records: upserts through the write path, reads,
//!   clearance answers.
//! - [`rights`] is the clearance engine and the ODRL mapping.
//! - [`index`] is the tantivy search index, derived from the store and
//!   kept in step with every commit.
//! - [`ingest`] parses and maps what sources send; it never writes.
//! - [`connectors`] pull from the sources (cursors, tokens, retries) and
//!   write through the same mappings and write path.
//! - [`alerts`] finds what is about to stop being usable, and turns the
//!   clock and the change feed into events; [`webhooks`] keeps them in an
//!   outbox in the store and delivers them signed, through [`outbound`].
//! - [`audit`] answers the audit timeline of an asset or of everything.
//! - [`usage`] records usage events, each checked against clearance at its time.
//! - [`sparql`] evaluates queries on the store.
//! - [`store`] owns oxigraph and **the single write path** every mutation
//!   goes through.
//! - [`config`], [`auth`], [`error`], [`memory`] and [`vocab`] are shared by all.
//! - [`fuzz`] holds the entry points the fuzzers and the corpus test drive.

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
pub mod outbound;
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
