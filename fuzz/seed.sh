#!/usr/bin/env bash
# Writes the starting corpus of each fuzz target into fuzz/corpus/<target>
# from the project's own fixtures and demo data (the first byte of an input
# picks a source, a syntax or a route; see src/fuzz.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # target name choice-byte file
  mkdir -p "fuzz/corpus/$1"
  { printf "\\x$(printf %02x "$3")"; cat "$4"; } > "fuzz/corpus/$1/$2"
}
seed sources assetgraph 0 demo/assets.json
seed sources smintio 1 tests/fixtures/sources/smintio-sync.json
seed sources rightsline 2 tests/fixtures/sources/rightsline-entities.json
seed sources rightsline-sns 2 tests/fixtures/sources/rightsline-sns.json
seed sources photoshelter 3 tests/fixtures/sources/photoshelter-gallery-images.json
seed sources dropbox 4 tests/fixtures/sources/dropbox-list-folder.json
seed sources scaleflex 5 tests/fixtures/sources/scaleflex-file.json
seed rdf turtle 0 tests/fixtures/taxonomy-v1.ttl
seed rdf trig 1 tests/fixtures/project.trig
seed rdf rdfxml 5 tests/fixtures/taxonomy-v1.rdf
seed rdf campaigns 0 demo/campaigns.ttl
n=0
for report in queries/*.rq; do
  seed sparql "report-$n" 0 "$report"
  n=$((n + 1))
done
printf '\x01DELETE { ?s ?p ?o } INSERT { ?s ?p "x" } WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?r } FILTER(?o != 1) }' > fuzz/corpus/sparql/update
mkdir -p fuzz/corpus/http
printf '\x00\x00q=sustainable+packaging&lang=de&territory=DE&channel=web\n' > fuzz/corpus/http/search
printf '\x02\x00territory=DE&channel=web&usage=advertising_any&at=2026-06-01\n' > fuzz/corpus/http/clearance
printf '\x08\x02\nSELECT * WHERE { ?s ?p ?o } LIMIT 3' > fuzz/corpus/http/sparql
printf '\x0b\x00\n{"asset": "smintio:88101", "action": "download", "user": "u1"}' > fuzz/corpus/http/usage
echo "seeds written to fuzz/corpus/"
