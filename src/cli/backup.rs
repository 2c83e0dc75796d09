//! `assetgraph backup DIR` and `assetgraph restore DIR` (see
//! `store::backup`). A running service holds its data directory: it is
//! backed up through the service (`POST /api/backups`), which this command
//! says when it finds the directory in use.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::store::Store;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(super) struct BackupArgs {
    #[command(flatten)]
    data: DataArg,
    /// A new, empty directory for the backup.
    target: PathBuf,
}

#[derive(clap::Args)]
pub(super) struct RestoreArgs {
    #[command(flatten)]
    data: DataArg,
    /// A directory `assetgraph backup` (or `POST /api/backups`) wrote.
    backup: PathBuf,
}

pub(super) fn backup(args: BackupArgs, config: Config) -> Result<()> {
    let data = args.data.resolve(&config);
    let store = Store::open(&data).map_err(|e| match e {
        Error::Storage(message) if message.contains("in use by another assetgraph process") => Error::Storage(format!(
            "{message}. While the service runs, back up through it: \
             curl -X POST http://127.0.0.1:7878/api/backups -H 'Authorization: Bearer <admin key>' \
             -H 'Content-Type: application/json' -d '{{\"name\": \"nightly\"}}'"
        )),
        other => other,
    })?;
    let info = store.backup(&args.target)?;
    eprintln!(
        "backed up generation {} of {} into {}",
        info.generation,
        data.display(),
        args.target.display()
    );
    Ok(())
}

pub(super) fn restore(args: RestoreArgs, config: Config) -> Result<()> {
    let data = args.data.resolve(&config);
    let info = crate::store::backup::restore(&args.backup, &data)?;
    let store = Store::open(&data)?;
    let index = SearchIndex::open_for_rebuild(&data.join("index"))?;
    let indexed = super::search::rebuild_with_progress(&index, &store)?;
    eprintln!(
        "restored generation {} (backed up {}) into {}; {indexed} record graphs reindexed; start the service on it with --data {}",
        info.generation,
        info.created_at,
        data.display(),
        data.display()
    );
    Ok(())
}
