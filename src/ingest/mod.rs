//! Ingest: turning what sources send into triples the store accepts.
//!
//! This layer parses and maps; it never writes. Each source system has its
//! own file (`poolparty.rs` for taxonomy exports; Smint.io, Rightsline and
//! the others join it). What comes out is handed to the write path in
//! [`crate::store`] by the layer that owns the records (for taxonomies,
//! [`crate::taxonomy`]).

pub mod assetgraph;
pub mod poolparty;
pub mod rdf;
