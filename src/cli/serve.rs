//! `assetgraph serve`: open the store, install the shipped vocabularies,
//! optionally load the demo taxonomy, check the listen address against the
//! keys, and serve until SIGINT/SIGTERM.

use super::DataArg;
use crate::auth::KeyRing;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{self, AppState};
use crate::index::SearchIndex;
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    data: DataArg,
    /// Address to listen on (default 127.0.0.1:7878).
    #[arg(long, env = "ASSETGRAPH_LISTEN")]
    listen: Option<String>,
    /// Load the demo taxonomy (project "demo") and demo assets with rights before serving.
    #[arg(long)]
    demo: bool,
}

pub(crate) fn run(args: Args, mut config: Config) -> Result<()> {
    config.data = args.data.resolve(&config);
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let address: SocketAddr = config.listen.parse().map_err(|_| {
        Error::invalid_field(
            "listen",
            format!("'{}' is not an address like 127.0.0.1:7878", config.listen),
        )
    })?;
    let keys = KeyRing::new(&config.keys, &config.default_tenant)?;
    check_exposure(&address, &keys)?;

    let store = Store::open(&config.data)?;
    // Opened first, so that it follows every commit from here on.
    let index = Arc::new(SearchIndex::open(&config.data.join("index"), &store)?);
    store.subscribe(index.clone());
    crate::ontologies::install(&store)?;
    if args.demo {
        super::demo::load(&store)?;
    }
    let state = AppState::new(Arc::new(store), index.clone(), config)?;
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Error::Storage(format!("cannot start the runtime: {e}")))?;
    let served = runtime.block_on(async move {
        // Webhook deliveries and the licence scheduler, until the server stops.
        let _background = crate::alerts::background::start(
            state.store.clone(),
            state.index.clone(),
            state.subscriptions.clone(),
            &state.config,
        )?;
        // Connectors with a schedule, and Smint.io's doorbell when configured.
        let schedules = crate::connectors::spawn_schedules(&state.connectors);
        let saving = tokio::spawn(save_derived_now_and_then(state.index.clone()));
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Error::invalid_field("listen", format!("cannot listen on {address}: {e}")))?;
        tracing::info!(address = %listener.local_addr().unwrap_or(address), data = %state.config.data.display(), generation = state.store.generation(), "assetgraph listening");
        let served = http::serve(listener, state).await;
        schedules.iter().for_each(|task| task.abort());
        saving.abort();
        served.map_err(|e| Error::Storage(format!("server error: {e}")))
    });
    // Work still on the blocking pool is not waited for: every commit is
    // durable when acknowledged, and the process is about to end.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    // So that the next start loads the rights instead of compiling them.
    if let Err(e) = index.save_derived() {
        tracing::warn!(error = %e, "cannot save the rights table; the next start compiles it");
    }
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// How often a running server saves what its index derived: a start after
/// a crash brings the last save up to date with what changed since.
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

async fn save_derived_now_and_then(index: Arc<SearchIndex>) {
    let mut ticks = tokio::time::interval(SAVE_EVERY);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let index = index.clone();
        match tokio::task::spawn_blocking(move || index.save_derived()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot save the rights table"),
            Err(e) => tracing::warn!(error = %e, "saving the rights table stopped"),
        }
    }
}

/// Without keys every caller may do anything, so only this machine may call.
fn check_exposure(address: &SocketAddr, keys: &KeyRing) -> Result<()> {
    if !keys.is_empty() {
        return Ok(());
    }
    if !address.ip().is_loopback() {
        return Err(Error::invalid_field(
            "listen",
            format!(
                "refusing to listen on {address} without API keys: anyone who can reach it could change the store. \
                 Configure [[keys]] in the config file or ASSETGRAPH_API_KEYS, or listen on 127.0.0.1"
            ),
        ));
    }
    tracing::warn!("no API keys configured: every local client has full access; listening on loopback only");
    Ok(())
}
