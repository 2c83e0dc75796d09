// The reports page: every named report (GET /api/reports) with a form for
// its parameters, its results as a table, CSV and JSON downloads, and its
// chart when it has one (drawn by the service as SVG). The report to show
// and its parameters live in the address (#name?param=value), so a report
// as run can be bookmarked and shared.

import { call, parameterFields, parameterValues, problemText, ResultsTable, saveAs, say, setUpKeyField } from "./common.js";

const $ = (id) => document.getElementById(id);
const table = new ResultsTable($("table"));
let reports = [];
let current = null;

setUpKeyField();
$("key").addEventListener("change", () => load());
$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
$("csv").addEventListener("click", () => download("csv", "text/csv"));
$("json").addEventListener("click", () => download("json", "application/sparql-results+json"));
window.addEventListener("hashchange", () => choose(fromAddress()));
load();

async function load() {
  const answer = await call("/api/reports");
  if (!answer.ok) return say($("status"), problemText(answer), true);
  say($("status"), "");
  reports = JSON.parse(answer.text).reports;
  current = null;
  $("reports").replaceChildren(
    ...reports.map((report) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${report.name}`;
      link.textContent = title(report.name);
      link.dataset.name = report.name;
      item.append(link);
      return item;
    }),
  );
  choose(fromAddress());
}

/** The report and parameters the address names. */
function fromAddress() {
  const [name, query] = decodeURIComponent(location.hash.slice(1)).split("?");
  return { name, values: Object.fromEntries(new URLSearchParams(query ?? "")) };
}

function choose({ name, values }) {
  const report = reports.find((r) => r.name === name);
  if (!report || report === current) return;
  current = report;
  for (const link of $("reports").querySelectorAll("a")) {
    link.setAttribute("aria-current", String(link.dataset.name === name));
  }
  $("title").textContent = title(report.name);
  $("description").textContent = report.description;
  $("fields").replaceChildren(...parameterFields(report.parameters, values));
  $("form").hidden = false;
  $("chart").hidden = true;
  table.clear();
  say($("status"), report.parameters.length ? "Set the parameters and run the report." : "");
  if (report.parameters.every((p) => !p.required || values[p.name])) run();
}

function path(format) {
  const params = parameterValues($("form"));
  params.set("format", format);
  return `/api/reports/${encodeURIComponent(current.name)}?${params}`;
}

async function run() {
  if (!current || !$("form").reportValidity()) return;
  const params = parameterValues($("form"));
  history.replaceState(null, "", `#${current.name}${params.size ? `?${params}` : ""}`);
  say($("status"), "Running…");
  const answer = await call(path("json"), { accept: "application/sparql-results+json" });
  if (!answer.ok) {
    table.clear();
    $("chart").hidden = true;
    return say($("status"), problemText(answer), true);
  }
  table.show(JSON.parse(answer.text));
  say($("status"), `${table.rowCount} ${table.rowCount === 1 ? "row" : "rows"}.`);
  if (current.chart) drawChart();
}

async function drawChart() {
  const answer = await call(path("svg"), { accept: "image/svg+xml", asBlob: true });
  const figure = $("chart");
  if (!answer.ok) {
    figure.hidden = true;
    return;
  }
  // As an image, the SVG is a picture only: no script of it could run.
  const image = document.createElement("img");
  image.src = URL.createObjectURL(answer.blob);
  image.alt = current.chart.title || title(current.name);
  image.addEventListener("load", () => URL.revokeObjectURL(image.src), { once: true });
  figure.replaceChildren(image);
  figure.hidden = false;
}

async function download(format, accept) {
  if (!current || !$("form").reportValidity()) return;
  const answer = await call(path(format), { accept, asBlob: true });
  if (!answer.ok) return say($("status"), problemText(answer), true);
  saveAs(answer.blob, `${current.name}.${format}`);
}

/** "usage-per-month" → "Usage per month". */
function title(name) {
  const words = name.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
