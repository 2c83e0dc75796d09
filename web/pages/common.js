// What the console and the reports pages share: the analyst's key, calls
// to the service with it, problems turned into sentences, a results table
// with pages, and downloads.
//
// The key an analyst pastes stays in this tab's sessionStorage: it is sent
// to this service only, as `Authorization: Bearer`, and forgotten when the
// tab closes. A service without keys (the demo) needs none.

const KEY = "assetgraph-key";
const PAGE_ROWS = 50;

/** Wires the key field of the page header. */
export function setUpKeyField() {
  const field = document.getElementById("key");
  if (!field) return;
  field.value = sessionStorage.getItem(KEY) ?? "";
  field.addEventListener("change", () => {
    if (field.value.trim()) sessionStorage.setItem(KEY, field.value.trim());
    else sessionStorage.removeItem(KEY);
  });
}

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

/** A call to the service; never throws: `{ok, status, text, blob?}`. */
export async function call(path, { method = "GET", body, contentType, accept = "application/json", asBlob = false } = {}) {
  try {
    const init = { method, headers: headers({ Accept: accept }) };
    if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = contentType;
    }
    const response = await fetch(path, init);
    const contentTypeOut = response.headers.get("content-type") ?? "";
    if (asBlob && response.ok) return { ok: true, status: response.status, blob: await response.blob(), contentType: contentTypeOut };
    return { ok: response.ok, status: response.status, text: await response.text(), contentType: contentTypeOut };
  } catch (error) {
    return { ok: false, status: 0, text: String(error) };
  }
}

/** What went wrong, in a sentence: the problem's detail, field, line and column. */
export function problemText(answer) {
  if (answer.status === 0) return "The service cannot be reached.";
  let problem = null;
  try {
    problem = JSON.parse(answer.text);
  } catch {
    // not a problem document: its text is the best there is
  }
  if (answer.status === 401) {
    return `${problem?.detail ?? "A key is needed."} Paste an analyst key in the field at the top right.`;
  }
  if (!problem?.detail) return `The service answered ${answer.status}: ${answer.text?.slice(0, 300)}`;
  const where = [];
  if (problem.field) where.push(`field ${problem.field}`);
  if (problem.location) where.push(`line ${problem.location.line}, column ${problem.location.column}`);
  return where.length ? `${problem.detail} (${where.join(", ")})` : problem.detail;
}

/** Shows a status line; `error` marks it as a failure. */
export function say(element, text, error = false) {
  element.textContent = text;
  element.classList.toggle("error", error);
}

/** Saves a blob under a file name, as a download. */
export function saveAs(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/**
 * SPARQL JSON results as a table, a page of rows at a time, drawn into
 * `container` (a table in a scrolling box and a pager under it).
 */
export class ResultsTable {
  #container;
  #vars = [];
  #rows = [];
  #page = 0;

  constructor(container) {
    this.#container = container;
  }

  get rowCount() {
    return this.#rows.length;
  }

  show(results) {
    if (typeof results.boolean === "boolean") {
      this.#vars = ["answer"];
      this.#rows = [{ answer: { type: "literal", value: String(results.boolean) } }];
    } else {
      this.#vars = results.head?.vars ?? [];
      this.#rows = results.results?.bindings ?? [];
    }
    this.#page = 0;
    this.#draw();
  }

  clear() {
    this.#rows = [];
    this.#vars = [];
    this.#container.replaceChildren();
  }

  #draw() {
    const pages = Math.max(1, Math.ceil(this.#rows.length / PAGE_ROWS));
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const name of this.#vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.append(th);
    }
    const body = table.createTBody();
    const from = this.#page * PAGE_ROWS;
    for (const row of this.#rows.slice(from, from + PAGE_ROWS)) {
      const tr = body.insertRow();
      for (const name of this.#vars) {
        const cell = tr.insertCell();
        const term = row[name];
        if (!term) continue;
        cell.textContent = term.value;
        if (term.type === "uri") cell.className = "iri";
        if (term["xml:lang"]) cell.title = `@${term["xml:lang"]}`;
        else if (term.datatype) cell.title = term.datatype;
      }
    }
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.append(table);
    const pager = document.createElement("div");
    pager.className = "pager";
    const button = (label, page, disabled) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.disabled = disabled;
      b.addEventListener("click", () => {
        this.#page = page;
        this.#draw();
      });
      return b;
    };
    const count = document.createElement("span");
    count.textContent =
      this.#rows.length === 0
        ? "No rows."
        : `Rows ${from + 1}–${Math.min(from + PAGE_ROWS, this.#rows.length)} of ${this.#rows.length}`;
    pager.append(
      button("Previous", this.#page - 1, this.#page === 0),
      count,
      button("Next", this.#page + 1, this.#page >= pages - 1),
    );
    this.#container.replaceChildren(wrap, pager);
  }
}

/**
 * A form field for each of a report's parameters, by type; `values` are
 * the ones to start with. Required ones are marked so the browser asks
 * for them before anything is sent.
 */
export function parameterFields(parameters, values = {}) {
  return parameters.map((parameter) => {
    const label = document.createElement("label");
    label.className = "field";
    label.title = parameter.description;
    const input = document.createElement("input");
    input.name = parameter.name;
    input.dataset.kind = parameter.type;
    const start = values[parameter.name] ?? parameter.default ?? "";
    switch (parameter.type) {
      case "integer":
      case "decimal":
        input.type = "number";
        input.step = parameter.type === "integer" ? "1" : "any";
        input.value = start;
        break;
      case "date":
        input.type = "date";
        input.value = start;
        break;
      case "dateTime":
        input.type = "datetime-local";
        input.value = start ? start.replace(/Z$/, "").slice(0, 16) : "";
        break;
      case "boolean":
        input.type = "checkbox";
        input.checked = start === "true";
        break;
      default:
        input.type = "text";
        input.value = start;
        input.size = parameter.type === "iri" ? 40 : 16;
        if (parameter.type === "iri") input.placeholder = "urn:assetgraph:asset:…";
    }
    input.required = parameter.required;
    label.append(`${parameter.name}${parameter.required ? " *" : ""} — ${parameter.description}`, input);
    return label;
  });
}

/** The given parameters of a form, as the report endpoint takes them. */
export function parameterValues(form) {
  const values = new URLSearchParams();
  for (const input of form.querySelectorAll("input[name]")) {
    if (input.type === "checkbox") {
      values.set(input.name, String(input.checked));
    } else if (input.value.trim() !== "") {
      const value = input.dataset.kind === "dateTime" ? asUtc(input.value) : input.value.trim();
      values.set(input.name, value);
    }
  }
  return values;
}

/** A datetime-local value (minutes or seconds) as a UTC date-time. */
function asUtc(local) {
  return local.length === 16 ? `${local}:00Z` : `${local}Z`;
}
