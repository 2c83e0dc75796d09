//! The foundation every other layer may use, and which uses none of them:
//! RDF documents in and out ([`syntax`]: formats, bounded parsing with
//! positions in errors, entities checked before they expand), the identifiers the service mints ([`ids`]), and
//! times ([`time`]). Nothing here knows of sources, the store or HTTP.

mod entities;
pub(crate) mod ids;
pub(crate) mod syntax;
pub mod time;

pub use ids::{asset_id, asset_iri, is_tenant_id, percent_encode};
pub use syntax::{format_from_media_type, format_from_name, format_from_path, parse, parse_with_base};
