//! `assetgraph reindex` rebuilds the search index from the store;
//! `assetgraph search` queries it.

use super::DataArg;
use crate::config::Config;
use crate::error::Result;
use crate::index::{SearchIndex, SearchRequest, Sort};
use crate::store::Store;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args)]
pub(super) struct ReindexArgs {
    #[command(flatten)]
    data: DataArg,
}

#[derive(clap::Args)]
pub(super) struct SearchArgs {
    #[command(flatten)]
    data: DataArg,
    /// Language of the query (en, de, fr…): its stemmed text ranks first.
    #[arg(long)]
    lang: Option<String>,
    /// How many hits to print.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Order of hits: relevance, newest, oldest, updated or title.
    #[arg(long, default_value = "relevance", value_parser = parse_sort)]
    sort: Sort,
    /// What to search for.
    query: String,
}

pub(super) fn reindex(args: ReindexArgs, config: Config) -> Result<()> {
    let data = args.data.resolve(&config);
    let store = Store::open(&data)?;
    // Not `open`, which would rebuild an index that is behind a first time.
    let index = SearchIndex::open_for_rebuild(&data.join("index"))?;
    let count = rebuild_with_progress(&index, &store)?;
    eprintln!(
        "reindexed {count} record graphs: {} assets searchable at generation {}",
        index.len(),
        store.generation()
    );
    Ok(())
}

/// Rebuilds the index from the store with a progress bar; the record
/// graphs indexed.
pub(super) fn rebuild_with_progress(index: &SearchIndex, store: &Store) -> Result<usize> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("reindexing [{bar:30}] {pos}/{len} records ({per_sec}, {eta})")
            .expect("the template is valid"),
    );
    let count = index.rebuild(store, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    Ok(count)
}

pub(super) fn search(args: SearchArgs, config: Config) -> Result<()> {
    let data = args.data.resolve(&config);
    let store = Store::open(&data)?;
    let index = SearchIndex::open(&data.join("index"), &store)?;
    let answer = index.search(&SearchRequest {
        q: args.query,
        lang: args.lang,
        limit: args.limit,
        sort: args.sort,
        ..Default::default()
    })?;
    for concept in &answer.concepts {
        eprintln!(
            "concept: {} <{}> ({} '{}')",
            concept.label,
            concept.iri,
            concept.kind.name(),
            concept.matched
        );
    }
    for hit in answer.hits {
        println!(
            "{:>8.3}  {}  {}  [{}]",
            hit.score,
            hit.id,
            hit.title.unwrap_or_default(),
            hit.matched.join("; ")
        );
    }
    eprintln!("{} matching assets", answer.total);
    Ok(())
}

fn parse_sort(name: &str) -> std::result::Result<Sort, String> {
    Sort::parse(name).ok_or_else(|| format!("use one of {}", Sort::NAMES.join(", ")))
}
