// The SPARQL console: CodeMirror's SPARQL mode for the text, the service's
// /sparql endpoint for queries and updates, results as a table with pages
// or as Turtle, and CSV and JSON downloads.
//
// A named report loaded as an example runs through /api/reports/NAME with
// the values of its parameter form, which the service binds: it is never
// sent with its parameters unbound. Edited, it becomes the analyst's own
// query, and the console says that its parameters are no longer filled in.

import { call, parameterFields, parameterValues, problemText, ResultsTable, saveAs, say, setUpKeyField } from "./common.js";

const $ = (id) => document.getElementById(id);
const LAST = "assetgraph-console-query";
const START = `PREFIX ag: <https://w3id.org/assetgraph/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>

# The most used titles: assets and how often they were used
SELECT ?asset ?title (COUNT(?event) AS ?uses) WHERE {
  GRAPH ?usage { ?event a ag:UsageEvent ; <http://www.w3.org/ns/prov#used> ?asset }
  OPTIONAL { ?asset dcterms:title ?title FILTER(LANGMATCHES(LANG(?title), "en")) }
}
GROUP BY ?asset ?title
ORDER BY DESC(?uses)
LIMIT 20
`;
const PREFIXES = {
  ag: "https://w3id.org/assetgraph/ns#",
  dcterms: "http://purl.org/dc/terms/",
  skos: "http://www.w3.org/2004/02/skos/core#",
  odrl: "http://www.w3.org/ns/odrl/2/",
  prov: "http://www.w3.org/ns/prov#",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  rdfs: "http://www.w3.org/2000/01/rdf-schema#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
  schema: "https://schema.org/",
};

const table = new ResultsTable($("results"));
const editor = window.CodeMirror.fromTextArea($("editor"), {
  mode: "sparql",
  lineNumbers: true,
  matchBrackets: true,
  indentUnit: 2,
  extraKeys: { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() },
});
let reports = [];
/** The report loaded as an example, while its text is unchanged. */
let loaded = null;

setUpKeyField();
editor.setValue(new URLSearchParams(location.search).get("query") ?? localStorage.getItem(LAST) ?? START);
editor.on("change", () => {
  localStorage.setItem(LAST, editor.getValue());
  if (loaded && editor.getValue() !== loaded.text) leaveReport(true);
});
for (const [prefix, iri] of Object.entries(PREFIXES)) {
  $("prefixes").append(new Option(`${prefix}: <${iri}>`, prefix));
}
$("prefixes").addEventListener("change", () => addPrefix($("prefixes")));
$("examples").addEventListener("change", () => loadReport($("examples").value));
$("run").addEventListener("click", () => run());
$("csv").addEventListener("click", () => download("csv", "text/csv"));
$("json").addEventListener("click", () => download("json", "application/sparql-results+json"));
$("params").addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
listReports();

async function listReports() {
  const answer = await call("/api/reports");
  if (!answer.ok) return;
  reports = JSON.parse(answer.text).reports;
  for (const report of reports) $("examples").append(new Option(report.name, report.name));
}

function addPrefix(select) {
  const prefix = select.value;
  select.value = "";
  if (!prefix) return;
  const declaration = `PREFIX ${prefix}: <${PREFIXES[prefix]}>`;
  if (!editor.getValue().includes(declaration)) editor.replaceRange(`${declaration}\n`, { line: 0, ch: 0 });
  editor.focus();
}

function loadReport(name) {
  const report = reports.find((r) => r.name === name);
  if (!report) return leaveReport(false);
  editor.setValue(report.query ?? "");
  loaded = { report, text: editor.getValue() };
  $("kind").value = "query";
  $("params").replaceChildren(...parameterFields(report.parameters));
  $("params").hidden = report.parameters.length === 0;
  const note = $("report-note");
  note.textContent = `${report.description} Runs as the named report, with the parameters below bound by the service.`;
  note.hidden = false;
}

function leaveReport(edited) {
  loaded = null;
  $("examples").value = "";
  $("params").hidden = true;
  $("params").replaceChildren();
  const note = $("report-note");
  note.hidden = !edited;
  note.textContent = edited
    ? "Edited: this is now your own query; the report's parameters are no longer filled in. Give them values with VALUES or BIND, or load the report again."
    : "";
}

/** The request that runs what is in the editor, or the loaded report. */
function request(format, accept) {
  if (loaded) {
    const params = parameterValues($("params"));
    params.set("format", format);
    return { path: `/api/reports/${encodeURIComponent(loaded.report.name)}?${params}`, accept };
  }
  const update = $("kind").value === "update";
  return {
    path: "/sparql",
    method: "POST",
    body: editor.getValue(),
    contentType: update ? "application/sparql-update" : "application/sparql-query",
    accept,
  };
}

async function run() {
  if (loaded && !$("params").reportValidity()) return;
  say($("status"), "Running…");
  const started = performance.now();
  const answer = await call(...spread(request("json", "application/sparql-results+json, text/turtle;q=0.9")));
  const took = Math.round(performance.now() - started);
  if (!answer.ok) {
    table.clear();
    return say($("status"), problemText(answer), true);
  }
  if (answer.contentType.includes("sparql-results+json")) {
    table.show(JSON.parse(answer.text));
    return say($("status"), `${table.rowCount} ${table.rowCount === 1 ? "row" : "rows"} in ${took} ms.`);
  }
  if (!answer.text.trim()) {
    table.clear();
    return say($("status"), `Done in ${took} ms.`);
  }
  const graph = document.createElement("pre");
  graph.className = "graph";
  graph.textContent = answer.text;
  $("results").replaceChildren(graph);
  say($("status"), `A graph, as Turtle, in ${took} ms.`);
}

async function download(format, accept) {
  if ($("kind").value === "update" && !loaded) return say($("status"), "An update has no results to download.", true);
  if (loaded && !$("params").reportValidity()) return;
  const answer = await call(...spread(request(format, accept), true));
  if (!answer.ok) return say($("status"), problemText(answer), true);
  saveAs(answer.blob, `${loaded?.report.name ?? "results"}.${format}`);
}

function spread({ path, ...options }, asBlob = false) {
  return [path, { ...options, asBlob }];
}
