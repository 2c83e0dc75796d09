//! Backups of a data directory, taken while the service runs, and their
//! restore; and the data directory's format version.
//!
//! A backup is a RocksDB checkpoint of the store taken under the write
//! lock, so it holds whole commits up to one generation (hard links where
//! the backup shares the data's file system: cheap to take every night),
//! with what lives beside the store: the webhook subscriptions added
//! through the API and the connectors' tokens (owner-only, as in the data
//! directory). The search index is not copied: it is derived, and a
//! restore rebuilds it from the store, so the two can never disagree.
//!
//! Every data directory and every backup says its format in `FORMAT`; a
//! store of another format is refused with what to do, rather than read
//! wrongly.

use super::Store;
use crate::error::{Error, Result};
use std::path::Path;

/// The layout of a data directory this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_FILE: &str = "FORMAT";
const FORMAT_PREFIX: &str = "assetgraph data format ";
/// What lives beside the store and goes with it.
const BESIDE_THE_STORE: [&str; 2] = ["webhooks.json", "connectors"];

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupInfo {
    pub format: u32,
    /// The store generation it holds: every commit up to this one.
    pub generation: u64,
    pub created_at: String,
    pub version: String,
}

/// Checks the format of a data directory, or stamps a new (or older,
/// unstamped) one with this build's.
pub(super) fn check_format(dir: &Path) -> Result<()> {
    match read_format(dir)? {
        None => write_format(dir),
        Some(FORMAT_VERSION) => Ok(()),
        Some(other) => Err(Error::Storage(format!(
            "{} holds data of format {other}, and this assetgraph reads format {FORMAT_VERSION}: {}",
            dir.display(),
            if other > FORMAT_VERSION {
                "run the newer assetgraph that wrote it, or restore a backup made for this version"
            } else {
                "back it up with the assetgraph that wrote it, then restore that backup with this one"
            }
        ))),
    }
}

fn read_format(dir: &Path) -> Result<Option<u32>> {
    let path = dir.join(FORMAT_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    text.trim()
        .strip_prefix(FORMAT_PREFIX)
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            Error::Storage(format!(
                "{} does not say a format this assetgraph knows ('{}'); is this an assetgraph data directory?",
                path.display(),
                text.trim()
            ))
        })
}

fn write_format(dir: &Path) -> Result<()> {
    let path = dir.join(FORMAT_FILE);
    std::fs::write(&path, format!("{FORMAT_PREFIX}{FORMAT_VERSION}\n")).map_err(|source| Error::File {
        path: path.display().to_string(),
        source,
    })
}

impl Store {
    /// Backs the store up into `target`, which must not exist yet or be
    /// empty; writes wait while the checkpoint is taken.
    pub fn backup(&self, target: &Path) -> Result<BackupInfo> {
        refuse_unless_empty(target, "the backup directory")?;
        let io = |source, path: &Path| Error::File {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(target).map_err(|e| io(e, target))?;
        let generation = {
            let _no_commit_meanwhile = self.writer.lock().expect("the write lock");
            self.db
                .backup(target.join("store"))
                .map_err(|e| Error::Storage(format!("backing up into {}: {e}", target.display())))?;
            self.generation()
        };
        for name in BESIDE_THE_STORE {
            copy_tree(&self.path.join(name), &target.join(name))?;
        }
        write_format(target)?;
        let info = BackupInfo {
            format: FORMAT_VERSION,
            generation,
            created_at: crate::rdf::time::rfc3339(time::OffsetDateTime::now_utc().unix_timestamp()),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let manifest = target.join("BACKUP.json");
        let text = serde_json::to_string_pretty(&info).expect("the manifest serialises");
        std::fs::write(&manifest, text).map_err(|e| io(e, &manifest))?;
        Ok(info)
    }
}

/// Copies a backup into `data`, which must not exist yet or be empty. The
/// caller then opens the store and rebuilds the search index.
pub fn restore(backup: &Path, data: &Path) -> Result<BackupInfo> {
    let manifest = backup.join("BACKUP.json");
    let text = std::fs::read_to_string(&manifest).map_err(|_| {
        Error::Storage(format!(
            "{} is not an assetgraph backup (no BACKUP.json); give the directory `assetgraph backup` wrote",
            backup.display()
        ))
    })?;
    let info: BackupInfo = serde_json::from_str(&text)
        .map_err(|e| Error::Storage(format!("{} cannot be read: {e}", manifest.display())))?;
    check_format(backup)?;
    refuse_unless_empty(data, "the data directory to restore into")?;
    copy_tree(&backup.join("store"), &data.join("store"))?;
    for name in BESIDE_THE_STORE {
        copy_tree(&backup.join(name), &data.join(name))?;
    }
    write_format(data)?;
    Ok(info)
}

fn refuse_unless_empty(dir: &Path, what: &str) -> Result<()> {
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(Error::Conflict {
            message: format!(
                "{what} {} is not empty: give a new directory (nothing is overwritten)",
                dir.display()
            ),
        });
    }
    Ok(())
}

/// Copies a file or a directory tree, keeping each file's permissions
/// (the connectors' tokens stay owner-only); nothing when `from` is absent.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let io = |source, path: &Path| Error::File {
        path: path.display().to_string(),
        source,
    };
    let Ok(meta) = std::fs::metadata(from) else {
        return Ok(());
    };
    if meta.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(e, parent))?;
        }
        std::fs::copy(from, to).map_err(|e| io(e, from))?;
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| io(e, to))?;
    std::fs::set_permissions(to, meta.permissions()).map_err(|e| io(e, to))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(e, from))? {
        let entry = entry.map_err(|e| io(e, from))?;
        copy_tree(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_directory_of_another_format_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        check_format(dir.path()).unwrap();
        assert_eq!(read_format(dir.path()).unwrap(), Some(FORMAT_VERSION));
        std::fs::write(dir.path().join(FORMAT_FILE), "assetgraph data format 2\n").unwrap();
        let newer = check_format(dir.path()).unwrap_err().to_string();
        assert!(
            newer.contains("format 2") && newer.contains("newer assetgraph"),
            "{newer}"
        );
        std::fs::write(dir.path().join(FORMAT_FILE), "assetgraph data format 0\n").unwrap();
        let older = check_format(dir.path()).unwrap_err().to_string();
        assert!(
            older.contains("back it up with the assetgraph that wrote it"),
            "{older}"
        );
        std::fs::write(dir.path().join(FORMAT_FILE), "something else").unwrap();
        let unknown = check_format(dir.path()).unwrap_err().to_string();
        assert!(unknown.contains("is this an assetgraph data directory"), "{unknown}");
    }
}
