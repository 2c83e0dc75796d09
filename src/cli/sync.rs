//! `assetgraph sync CONNECTOR`: one sync of a connector (any of
//! [`crate::connectors::NAMES`]), from its stored cursor, through the same
//! write path as the server; prints what it did.

use super::DataArg;
use crate::config::Config;
use crate::error::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// The connector, configured under [connectors.NAME].
    #[arg(help = format!(
        "The connector: {} (configured under [connectors.NAME])",
        crate::connectors::NAMES.join(", ")
    ))]
    connector: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, mut config: Config) -> Result<()> {
    if !crate::connectors::NAMES.contains(&args.connector.as_str()) {
        return Err(Error::invalid_field(
            "CONNECTOR",
            format!(
                "'{}' is not a connector; use one of {}",
                args.connector,
                crate::connectors::NAMES.join(", ")
            ),
        ));
    }
    config.data = args.data.resolve(&config);
    let store = Arc::new(super::open_indexed(&config.data)?);
    crate::ontologies::install(&store)?;
    let context = crate::connectors::Context::new(store, config.connector_settings())?;
    let spinner = ProgressBar::new_spinner().with_message(format!("syncing {}", args.connector));
    spinner.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Error::Storage(format!("cannot start the runtime: {e}")))?;
    let report = runtime.block_on(crate::connectors::sync(&context, &args.connector));
    spinner.finish_and_clear();
    let report = report?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::invalid(e.to_string()))?
        );
    } else {
        println!(
            "{}: {} batch(es), {} record(s): {} created, {} updated, {} unchanged, {} deleted, {} rejected; generation {}",
            report.connector,
            report.batches,
            report.records,
            report.created,
            report.updated,
            report.unchanged,
            report.deleted,
            report.rejected,
            report.generation
        );
    }
    Ok(())
}
