//! What the index derives at great cost, saved beside it, so that a
//! restart loads it instead of deriving it again.
//!
//! Compiling every asset's rights reads every record graph from the store:
//! minutes at a million assets. The rights table is therefore saved as one
//! file next to tantivy's ([`FILE`]), with the store generation it was
//! current at. On open, a saved table is loaded and brought up to the
//! store's generation by compiling again only the records changed since
//! (the audit trail names them), so an old file is still right, only
//! slower to bring up to date. The index saves the table after a rebuild
//! and after compiling it whole; the server also saves it now and then
//! while it runs, and when it stops.
//!
//! The file starts with a header naming its format, the release that wrote
//! it and the shipped vocabularies: compiled rights hold territory numbers
//! and this release's reading of records, so a file written by another
//! release, or over other vocabularies, is passed over and the rights are
//! compiled afresh. So is a file that cannot be read: it is derived data,
//! and the store can always give it again.

use super::rights::{RightsTable, Saved};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// The file in the index directory.
pub(super) const FILE: &str = "rights.saved";

/// The layout of the file. Raise it when a saved type changes, or what
/// compiling a record means.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Header {
    format: u32,
    release: String,
    /// A fingerprint of the vocabularies rights are compiled against.
    vocabularies: u64,
    /// The store generation the table was current at.
    generation: u64,
}

impl Header {
    fn of_this_release(generation: u64) -> Header {
        Header {
            format: FORMAT,
            release: env!("CARGO_PKG_VERSION").to_owned(),
            vocabularies: vocabularies(),
            generation,
        }
    }
}

fn vocabularies() -> u64 {
    use crate::vocab::shipped::{RIGHTS_VOCABULARIES_TTL, TERRITORIES_TTL};
    use sha2::{Digest, Sha256};
    let hash = Sha256::new()
        .chain_update(TERRITORIES_TTL)
        .chain_update(RIGHTS_VOCABULARIES_TTL)
        .finalize();
    u64::from_le_bytes(hash[..8].try_into().expect("a SHA-256 hash has 32 bytes"))
}

/// The table as the file holds it, at `generation`. Cheap next to writing
/// it: the caller holds the table still only for this.
pub(super) fn encode(generation: u64, table: &RightsTable) -> Result<Vec<u8>> {
    let header = Header::of_this_release(generation);
    postcard::to_stdvec(&(header, table.saved()))
        .map_err(|e| Error::Index(format!("cannot encode the rights table: {e}")))
}

/// Writes what [`encode`] gave into `dir`, whole or not at all: to a file
/// beside it, synced, then renamed over the old one.
pub(super) fn write(dir: &Path, bytes: &[u8]) -> Result<()> {
    let path = dir.join(FILE);
    let partial = dir.join(format!("{FILE}.partial"));
    let failed = |source| Error::File {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::create(&partial).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&partial, &path).map_err(failed)
}

/// The table saved in `dir` and the generation it was current at; `None`
/// when there is none this release can use (the log says why).
pub(super) fn read(dir: &Path) -> Option<(u64, RightsTable)> {
    let bytes = match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the saved rights table: compiling the rights afresh");
            return None;
        }
    };
    let pass_over = |why: &str| {
        tracing::info!("saved rights table {why}: compiling the rights afresh");
        None
    };
    let Ok((header, rest)) = postcard::take_from_bytes::<Header>(&bytes) else {
        return pass_over("unreadable");
    };
    let ours = Header::of_this_release(header.generation);
    if header != ours {
        return pass_over("written by another release or over other vocabularies");
    }
    let Ok(saved) = postcard::from_bytes::<Saved>(rest) else {
        return pass_over("unreadable");
    };
    match RightsTable::from_saved(saved) {
        Some(table) => Some((header.generation, table)),
        None => pass_over("inconsistent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_another_format_or_cut_short_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let table = RightsTable::default();
        write(dir.path(), &encode(7, &table).unwrap()).unwrap();
        let (generation, read_back) = read(dir.path()).expect("a table this release wrote");
        assert_eq!(generation, 7);
        assert_eq!(read_back.classes(), table.classes());

        let mut other = Header::of_this_release(7);
        other.format += 1;
        let bytes = postcard::to_stdvec(&(other, table.saved())).unwrap();
        write(dir.path(), &bytes).unwrap();
        assert!(read(dir.path()).is_none(), "another format");

        let whole = encode(7, &table).unwrap();
        write(dir.path(), &whole[..whole.len() - 3]).unwrap();
        assert!(read(dir.path()).is_none(), "cut short");

        std::fs::remove_file(dir.path().join(FILE)).unwrap();
        assert!(read(dir.path()).is_none(), "none");
    }
}
