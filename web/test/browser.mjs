// The web face in a real browser: playwright-core driving Chromium
// headless against the service on loopback. Run by `tests/browser.rs`
// (part of `make test`), which starts the services and the host page and
// passes their addresses:
//
//   OPEN  a service without keys, on the demo data (the demo page, the
//         console, the reports);
//   HOST  a plain host page on another port (another origin) that embeds
//         the element from a service with keys, getting browser tokens from
//         its own server (`/token`, `/expired-token`);
//   KEYED the service with keys, ANALYST_KEY and READER_KEY two of them;
//   OUT   where the screenshots of each scenario go;
//   CHROMIUM  the browser.
//
// Each scenario prints one line; the first failure ends the run with a
// non-zero exit and says what was expected.

import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
import path from "node:path";

const { OPEN, HOST, KEYED, ANALYST_KEY, READER_KEY, OUT, CHROMIUM } = process.env;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let failures = 0;
/** The page of the scenario running, for a screenshot when it fails. */
let current = null;

/** A fresh page; every script error and CSP refusal on it is a failure. */
async function open(url, expected = []) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (error) => page.problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !expected.some((e) => text.includes(e))) page.problems.push(text);
  });
  await page.goto(url);
  current = page;
  return page;
}

async function scenario(name, body) {
  try {
    const page = await body();
    if (page?.problems?.length) throw new Error(`the page reported: ${page.problems.join(" | ")}`);
    console.log(`ok    ${name}`);
    await page?.context().close();
  } catch (error) {
    failures += 1;
    const status = await current?.locator("#status").textContent({ timeout: 1000 }).catch(() => null);
    console.log(`FAIL  ${name}: ${error.message}${status ? ` (the page says: ${status})` : ""}`);
    await current?.screenshot({ path: path.join(OUT, `FAILED-${failures}.png`), fullPage: true }).catch(() => {});
    await current?.context().close().catch(() => {});
  }
}

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const shot = (page, name) => page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
const status = (page) => page.locator("assetgraph-search .status").textContent();
const cardIds = (page) =>
  page.locator("assetgraph-search .card").evaluateAll((cards) => cards.map((c) => c.dataset.id));
const chips = (page) => page.locator("assetgraph-search .chip > button:first-child").allTextContents();

async function searchFor(page, text) {
  const box = page.locator("assetgraph-search input[role=combobox]");
  await box.fill(text);
  await box.press("Enter");
  await settled(page);
}

/** Waits until the search the last action started has answered. */
async function settled(page) {
  await page.waitForFunction(() => {
    const text = document.querySelector("assetgraph-search").shadowRoot.querySelector(".status").textContent;
    return text && text !== "Searching…";
  });
}

/** Waits until a chip of this label is shown. */
async function chipShown(page, label) {
  await page.waitForFunction(
    (label) =>
      [...document.querySelector("assetgraph-search").shadowRoot.querySelectorAll(".chip > button:first-child")].some(
        (b) => b.textContent === label,
      ),
    label,
  );
  await settled(page);
}

async function countOf(page) {
  const text = await status(page);
  const number = /^(\d+) assets? cleared/.exec(text);
  check(number, `a count of cleared assets, not "${text}"`);
  return Number(number[1]);
}

await scenario("a typo, a suggestion, then chips, facets and results", async () => {
  const page = await open(`${OPEN}/`);
  const box = page.locator("assetgraph-search input[role=combobox]");
  await box.pressSequentially("sustainible packagin", { delay: 20 });
  const suggestion = page.locator("assetgraph-search #suggestions li", { hasText: "Sustainable packaging" });
  await suggestion.first().waitFor();
  check((await box.getAttribute("aria-expanded")) === "true", "the combobox says its list is open");
  await suggestion.first().click();
  await page.locator("assetgraph-search .card").first().waitFor();
  check((await chips(page)).includes("Sustainable packaging"), `a chip for the concept, not ${await chips(page)}`);
  check((await countOf(page)) >= 5, "several assets cleared");
  const facets = await page.locator("assetgraph-search .facets button").allTextContents();
  check(facets.some((f) => f.startsWith("Recyclable")), `the facet tree lists narrower concepts: ${facets}`);
  check(await page.locator("assetgraph-search .facets ul ul").count() > 0, "the facet tree nests narrower concepts");
  const schemes = await page.locator("assetgraph-search .facets h3").allTextContents();
  check(schemes.includes("Product categories"), `the tree names each scheme by its title: ${schemes}`);
  await shot(page, "01-typo-suggestion-chips");
  return page;
});

await scenario("a chip narrowed, widened and removed", async () => {
  const page = await open(`${OPEN}/`);
  await searchFor(page, "sustainable packaging");
  const before = await countOf(page);
  check((await chips(page)).includes("Sustainable packaging"), "the words' concept is a chip");
  await page.locator("assetgraph-search .chip > button:first-child", { hasText: "Sustainable packaging" }).click();
  await page.locator("assetgraph-search [role=menuitem]", { hasText: "Recyclable" }).click();
  await chipShown(page, "Recyclable");
  const narrowed = await countOf(page);
  check(narrowed > 0 && narrowed < before, `narrowing to Recyclable shows fewer assets (${narrowed} of ${before})`);
  check(!(await chips(page)).includes("Sustainable packaging"), "the narrowed chip replaced the broader one");
  await shot(page, "02-chip-narrowed");
  await page.locator("assetgraph-search .chip > button:first-child", { hasText: "Recyclable" }).click();
  await page.locator("assetgraph-search [role=menuitem]", { hasText: "Sustainable packaging" }).click();
  await chipShown(page, "Sustainable packaging");
  check((await countOf(page)) >= narrowed, "widening shows at least as many");
  await page.locator("assetgraph-search .chip .remove").first().click();
  await page.waitForFunction(() => document.querySelector("assetgraph-search").shadowRoot.querySelectorAll(".chip").length === 0);
  check((await cardIds(page)).length === 0, "with no chip and no words, nothing is shown");
  await shot(page, "03-chip-removed");
  return page;
});

await scenario("a territory chosen hides the assets blocked there", async () => {
  const page = await open(`${OPEN}/`);
  await searchFor(page, "sustainable packaging");
  const everywhere = await cardIds(page);
  const blocked = await page.evaluate(async () => {
    const answer = await (await fetch("/api/search?q=sustainable+packaging&territory=US&include_blocked=true&limit=50")).json();
    return answer.hits.filter((h) => h.clearance && !h.clearance.cleared).map((h) => h.id);
  });
  check(blocked.length > 0, "the demo has assets blocked in the US");
  check(blocked.some((id) => everywhere.includes(id)), "a blocked asset is shown before a territory is chosen");
  await page.selectOption("select[name=territory]", "US");
  await page.waitForFunction(
    (count) => document.querySelector("assetgraph-search").shadowRoot.querySelectorAll(".card").length < count,
    everywhere.length,
  );
  const inUs = await cardIds(page);
  check(blocked.every((id) => !inUs.includes(id)), `no asset blocked in the US is shown: ${inUs}`);
  check(inUs.length > 0, "the assets cleared in the US stay");
  await shot(page, "04-territory-hides-blocked");
  return page;
});

await scenario("text that is markup is shown as text, in the picker and the console", async () => {
  const page = await open(`${OPEN}/`);
  page.on("dialog", (dialog) => {
    page.problems.push(`a dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  await searchFor(page, "harbour");
  const titles = await page.locator("assetgraph-search .card .title").allTextContents();
  check(titles.some((t) => t.startsWith("<img src=x onerror=")), `the title is shown as written: ${titles}`);
  check(await page.locator("assetgraph-search .card .title img, assetgraph-search .card .title b").count() === 0,
    "no element was made of it");
  const console_ = await (await page.context().newPage());
  await console_.goto(`${OPEN}/sparql`);
  await console_.locator(".CodeMirror").waitFor();
  await console_.evaluate(() => document.querySelector(".CodeMirror").CodeMirror.setValue(
    'SELECT ?title WHERE { ?a <http://purl.org/dc/terms/title> ?title FILTER(CONTAINS(?title, "onerror")) }'));
  await console_.click("#run");
  await console_.waitForFunction(() => /rows? in \d+ ms/.test(document.getElementById("status").textContent));
  const cells = await console_.locator("#results tbody td").allTextContents();
  check(cells.some((c) => c.includes("<img src=x")), `the console shows it as text: ${cells}`);
  check(await page.evaluate(() => window.__pwned) === undefined, "no script of the record ran in the picker");
  check(await console_.evaluate(() => window.__pwned) === undefined, "nor in the console");
  return page;
});

await scenario("keyboard only: suggestion, card, selection", async () => {
  const page = await open(`${OPEN}/`);
  const focusedInShadow = () =>
    page.evaluate(() => {
      const inner = document.querySelector("assetgraph-search").shadowRoot.activeElement;
      return inner ? `${inner.tagName}.${inner.className}` : `page:${document.activeElement?.tagName}`;
    });
  for (let i = 0; i < 30 && !(await focusedInShadow()).startsWith("INPUT"); i++) await page.keyboard.press("Tab");
  check((await focusedInShadow()).startsWith("INPUT"), "Tab reaches the search box");
  await page.keyboard.type("recyc", { delay: 30 });
  await page.locator("assetgraph-search #suggestions li").first().waitFor();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await page.locator("assetgraph-search .card").first().waitFor();
  for (let i = 0; i < 60 && !(await focusedInShadow()).startsWith("LI.card"); i++) await page.keyboard.press("Tab");
  check((await focusedInShadow()).startsWith("LI.card"), "Tab reaches the result cards");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press(" ");
  const selected = await page.locator("assetgraph-search .card[aria-selected=true]").count();
  check(selected === 1, `Space selects the focused card (${selected} selected)`);
  for (let i = 0; i < 60 && !(await focusedInShadow()).includes("select"); i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("chosen").textContent.startsWith("Selected:"));
  await shot(page, "05-keyboard-only");
  return page;
});

await scenario("embedded in a page on another origin: the host receives the selection", async () => {
  const page = await open(`${HOST}/`);
  await searchFor(page, "recyclable");
  await page.locator("assetgraph-search .card").first().click();
  await page.locator("assetgraph-search button.select").click();
  await page.waitForFunction(() => document.getElementById("received").textContent.length > 0);
  const received = JSON.parse(await page.locator("#received").textContent());
  check(received.type === "assetgraph-select", `the host hears assetgraph-select, not ${received.type}`);
  const asset = received.detail.assets[0];
  check(asset?.id && asset.iri?.startsWith("urn:assetgraph:asset:"), `the event carries the asset: ${JSON.stringify(asset)}`);
  check(asset.licence && "cleared_now" in asset.licence, `and its licence summary: ${JSON.stringify(asset.licence)}`);
  // Styles cross neither way: the portal's rules for button and .card do
  // not reach the picker, the picker's .title rule not the portal.
  const styles = await page.evaluate(() => {
    const root = document.querySelector("assetgraph-search").shadowRoot;
    return {
      card: getComputedStyle(root.querySelector(".card")).display,
      button: getComputedStyle(root.querySelector("button.cancel")).backgroundColor,
      ownTitle: getComputedStyle(document.getElementById("own-title")).fontWeight,
    };
  });
  check(styles.card !== "none", "the host's .card rule does not hide the picker's cards");
  check(styles.button !== "rgb(255, 0, 0)", "the host's button rule does not paint the picker's buttons");
  check(styles.ownTitle === "400", `the picker's .title rule does not reach the host (${styles.ownTitle})`);
  const hostOrigin = new URL(HOST).origin;
  check(page.url().startsWith(hostOrigin), "the page is the host's");
  await shot(page, "06-host-page-selection");
  return page;
});

await scenario("a modal picker: open() resolves with the choice, or undefined on Escape", async () => {
  const page = await open(`${HOST}/?modal=1`);
  check(!(await page.locator("assetgraph-search dialog").isVisible()), "a modal picker is hidden until opened");
  await page.click("#choose");
  const dialog = page.locator("assetgraph-search dialog");
  await dialog.waitFor();
  check(await dialog.evaluate((d) => d.matches(":modal")), "open() shows it as a modal dialog");
  await searchFor(page, "sustainable packaging");
  const types = await page.locator("assetgraph-search .why").allTextContents();
  check(types.length > 0 && types.every((t) => t.startsWith("image")), `content-type="image" shows images only: ${types}`);
  await shot(page, "07-modal-picker");
  await page.locator("assetgraph-search .card").first().click();
  await page.locator("assetgraph-search button.select").click();
  await page.waitForFunction(() => document.getElementById("opened").textContent.length > 0);
  const chosen = JSON.parse(await page.locator("#opened").textContent());
  check(chosen.resolved?.length === 1 && chosen.resolved[0].iri, `open() resolves with the asset: ${JSON.stringify(chosen)}`);
  check(!(await dialog.isVisible()), "the dialog closes on the choice");
  await page.evaluate(() => (document.getElementById("opened").textContent = ""));
  await page.click("#choose");
  await dialog.waitFor();
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => document.getElementById("opened").textContent.length > 0);
  check(JSON.parse(await page.locator("#opened").textContent()).resolved === null, "Escape resolves with nothing");
  check(!(await dialog.isVisible()), "and closes the dialog");
  return page;
});

await scenario("an expired token raises assetgraph-token-expired; the host gives a fresh one", async () => {
  const page = await open(`${HOST}/?expired=1`, ["401"]);
  await searchFor(page, "recyclable");
  await page.waitForFunction(() => document.getElementById("received").textContent.length > 0);
  const received = JSON.parse(await page.locator("#received").textContent());
  check(received.type === "assetgraph-token-expired", `the host hears assetgraph-token-expired, not ${received.type}`);
  await page.locator("assetgraph-search .card").first().waitFor();
  check((await countOf(page)) > 0, "with the fresh token the host gave, the search answers");
  await shot(page, "08-token-expired");
  return page;
});

await scenario("a report run with a parameter, its CSV downloaded, a chart drawn", async () => {
  const page = await open(`${OPEN}/reports#licences-expiring`);
  const days = page.locator("input[name=days]");
  await days.waitFor();
  await days.fill("400");
  await page.click("button[type=submit]");
  await page.waitForFunction(() => /^\d+ rows?\./.test(document.getElementById("status").textContent));
  const rows = await page.locator("#table tbody tr").count();
  check(rows > 0, "licences end within 400 days in the demo");
  check(page.url().includes("days=400"), "the address keeps the report's parameters");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.trim().split(/\r?\n/);
  check(lines[0] === "asset,title,ends,provider", `the CSV's header: ${lines[0]}`);
  check(lines.length === rows + 1, `the CSV has the table's ${rows} rows: ${lines.length - 1}`);
  await shot(page, "09-report-parameter");
  await page.click("a[data-name=usage-per-month]");
  const chart = page.locator("#chart img");
  await chart.waitFor();
  await page.waitForFunction(() => document.querySelector("#chart img")?.naturalWidth > 0);
  check((await chart.getAttribute("alt")) === "Uses per month", "the chart says what it shows");
  await shot(page, "10-report-chart");
  return page;
});

await scenario("on a service with keys, the reports page asks for an analyst's key", async () => {
  const page = await open(`${KEYED}/reports#licensing-spend-by-provider`, ["401", "403"]);
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("Paste an analyst key"));
  await page.fill("#key", READER_KEY);
  await page.dispatchEvent("#key", "change");
  await page.waitForFunction(() => /analyst/.test(document.getElementById("status").textContent));
  check(await page.locator("#reports a").count() === 0, "a reader's key lists no report");
  await page.fill("#key", ANALYST_KEY);
  await page.dispatchEvent("#key", "change");
  await page.waitForFunction(() => /^\d+ rows?\./.test(document.getElementById("status").textContent));
  check(await page.locator("#table tbody tr").count() > 0, "the analyst's report has rows");
  await page.locator("#chart img").waitFor();
  check(!page.url().includes(ANALYST_KEY), "the key never reaches the address");
  await page.reload();
  check(await page.inputValue("#key") === ANALYST_KEY, "the key stays for the tab (sessionStorage)");
  check(await page.evaluate(() => localStorage.length) === 0, "and is not kept beyond it");
  return page;
});

await scenario("the SPARQL console: highlighting, a report as an example, results", async () => {
  const page = await open(`${OPEN}/sparql`);
  await page.locator(".CodeMirror").waitFor();
  check(await page.locator(".CodeMirror .cm-keyword").count() > 0, "the editor highlights SPARQL");
  await page.click("#run");
  await page.waitForFunction(() => /rows? in \d+ ms/.test(document.getElementById("status").textContent));
  check(await page.locator("#results tbody tr").count() > 0, "the example query has rows on the demo");
  await page.selectOption("#examples", "concepts-without-cleared-asset");
  check(await page.locator("#params input[name=territory]").inputValue() === "DE", "the report's parameters have their defaults");
  await page.locator("#params input[name=territory]").fill("US");
  await page.click("#run");
  await page.waitForFunction(() => /rows? in \d+ ms/.test(document.getElementById("status").textContent));
  const gaps = await page.locator("#results tbody td.iri").allTextContents();
  check(gaps.length > 0 && gaps.every((iri) => !iri.startsWith("https://w3id.org/assetgraph/")),
    "the content gaps leave the shipped vocabularies out");
  await shot(page, "11-console");
  await page.locator(".CodeMirror textarea").focus();
  await page.keyboard.press("End");
  await page.keyboard.type(" ");
  check(await page.locator("#report-note").textContent().then((t) => t.startsWith("Edited")), "an edited report is said to be unbound");
  return page;
});

await browser.close();
if (failures > 0) {
  console.log(`${failures} scenario(s) failed; screenshots in ${OUT}`);
  process.exit(1);
}
console.log(`all scenarios passed; screenshots in ${OUT}`);
