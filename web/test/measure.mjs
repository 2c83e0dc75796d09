// What a person waits for in the browser, measured in headless Chromium
// against a running service (not a test: figures go to BENCHMARKS.md).
//
//   cargo run --release -- serve --demo &
//   cd web && BASE=http://127.0.0.1:7878 CHROMIUM=/usr/bin/chromium node test/measure.mjs
//
// QUERIES (comma separated) are typed into the picker; each is measured
// ROUNDS times (default 10): from the last keystroke to the suggestions
// shown, and from Enter to the result cards drawn. Also: each page's load
// until it is usable, and the bytes it transferred.

import { chromium } from "playwright-core";

const BASE = process.env.BASE ?? "http://127.0.0.1:7878";
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const QUERIES = (process.env.QUERIES ?? "sustainable packaging,recyclable,notebooks,students,compostable").split(",");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms (n=${sorted.length})`;
}

/**
 * Loads a page in a fresh context (an empty cache: a first visit), waits
 * until `ready` holds, returns the time and the bytes transferred.
 */
async function load(path, ready) {
  const page = await (await browser.newContext()).newPage();
  let bytes = 0;
  page.on("response", async (response) => {
    bytes += (await response.body().catch(() => Buffer.alloc(0))).length;
  });
  const started = performance.now();
  await page.goto(`${BASE}${path}`);
  await page.waitForFunction(ready);
  const took = performance.now() - started;
  await page.waitForLoadState("networkidle");
  return { page, took, bytes };
}

const pages = [
  ["/ (picker defined)", "/", () => customElements.get("assetgraph-search") !== undefined],
  ["/sparql (editor ready)", "/sparql", () => document.querySelector(".CodeMirror") !== null],
  ["/reports#usage-per-month (chart drawn)", "/reports#usage-per-month", () => document.querySelector("#chart img")?.naturalWidth > 0],
];
for (const [name, path, ready] of pages) {
  const times = [];
  let size = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const { page, took, bytes } = await load(path, ready);
    times.push(took);
    size = bytes;
    await page.context().close();
  }
  console.log(`${name}: ${summary(times)}, ${(size / 1024).toFixed(0)} KiB transferred`);
}

const { page } = await load("/", () => customElements.get("assetgraph-search") !== undefined);
// (Functions, not strings: the page's Content-Security-Policy forbids eval.)
const listHidden = () => document.querySelector("assetgraph-search").shadowRoot.querySelector("#suggestions").hidden;
const listShown = () => !document.querySelector("assetgraph-search").shadowRoot.querySelector("#suggestions").hidden;
const answered = () => {
  const status = document.querySelector("assetgraph-search").shadowRoot.querySelector(".status").textContent;
  return status && status !== "Searching…";
};
const suggestions = [];
const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const query of QUERIES) {
    const box = page.locator("assetgraph-search input[role=combobox]");
    await box.fill("");
    await page.waitForFunction(listHidden);
    const typed = query.slice(0, Math.max(3, query.length - 2));
    await box.fill(typed);
    let started = performance.now();
    await page.waitForFunction(listShown);
    // The picker waits 150 ms after the last keystroke before it asks.
    suggestions.push(performance.now() - started - 150);
    await box.fill(query);
    started = performance.now();
    await box.press("Enter");
    await page.waitForFunction(answered);
    results.push(performance.now() - started);
  }
}
console.log(`suggestions shown after the picker asks: ${summary(suggestions)}`);
console.log(`Enter to result cards drawn: ${summary(results)}`);
await browser.close();
