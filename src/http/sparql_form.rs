//! The query form a browser gets at `GET /sparql`: a text area, the result
//! format, and the named reports as examples. Plain HTML with a few lines
//! of script; a fuller web interface is a later piece of work.

use super::AppState;

/// The query the form starts with.
const EXAMPLE: &str =
    "SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph ORDER BY DESC(?triples) LIMIT 20";

pub(super) fn page(_state: &AppState) -> String {
    let example = escape(EXAMPLE);
    let reports = crate::reports::all();
    let mut examples = String::new();
    let mut texts = Vec::new();
    for (i, report) in reports.iter().enumerate() {
        examples.push_str(&format!(
            "<li><a href=\"#\" data-example=\"{i}\">{}</a> — {}</li>\n",
            escape(report.name),
            escape(&report.description)
        ));
        texts.push(serde_json::Value::String(report.text.to_owned()));
    }
    let texts = serde_json::to_string(&texts)
        .unwrap_or_else(|_| "[]".into())
        .replace("</", "<\\/");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>assetgraph SPARQL</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; }}
textarea {{ width: 100%; height: 18rem; font-family: ui-monospace, monospace; font-size: 0.9rem; }}
li {{ margin: 0.2rem 0; }}
</style>
</head>
<body>
<h1>SPARQL</h1>
<p>Queries see the union of all graphs as the default graph; <code>GRAPH</code> works as usual.
Join search hits with <code>SERVICE ag:search {{ [] ag:query "…" ; ag:asset ?asset ; ag:score ?score }}</code>.
Updates go to the same endpoint by POST.</p>
<form method="get" action="/sparql">
<textarea name="query" id="query">{example}</textarea>
<p><label>Results as
<select name="format">
<option value="json">JSON</option><option value="xml">XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT, DESCRIBE)</option>
</select></label>
<button type="submit">Run</button></p>
</form>
<h2>Named reports</h2>
<p>Each runs with its parameters at <code>/api/reports/NAME?param=value</code>; click one to load its query above.</p>
<ul>
{examples}</ul>
<script>
const examples = {texts};
document.querySelectorAll("[data-example]").forEach(link => link.addEventListener("click", event => {{
  event.preventDefault();
  document.getElementById("query").value = examples[Number(link.dataset.example)];
}}));
</script>
</body>
</html>
"#
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
