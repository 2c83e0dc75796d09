# The two commands of the README. Both install libclang first when missing.
.PHONY: demo test deps bench

deps:
	@bash .ci/deps.sh

## Run the service on ./data with the demo taxonomy, on http://127.0.0.1:7878
demo: deps
	cargo run -- serve --demo

## Run every test (tests that need ../shared/data skip with a notice without it, and fail under CI=true)
test: deps
	cargo test

## Measure load, replacement, clearance, ingest, search, SPARQL, usage and webhook speed
## (see BENCHMARKS.md; OXIGRAPH=/path/to/oxigraph adds the side-by-side run against oxigraph serve)
bench: deps
	cargo bench --bench taxonomy
	cargo bench --bench clearance
	cargo bench --bench ingest
	cargo bench --bench search
	cargo bench --bench tagging
	cargo bench --bench replace
	cargo bench --bench relevance
	cargo bench --bench sparql
	cargo bench --bench usage
	cargo bench --bench usage_floor
	cargo bench --bench webhooks
	cargo bench --bench limits
