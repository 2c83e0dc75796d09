// Drives Chromium through the checks run.sh sets up; exits non-zero when one fails.
const { chromium } = require("playwright-core");

const expect = (ok, what) => {
  console.log((ok ? "ok    " : "FAILED") + " " + what);
  if (!ok) process.exitCode = 1;
};

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
  const out = process.env.OUT;

  const listed = await browser.newPage({ viewport: { width: 900, height: 520 } });
  await listed.goto("http://127.0.0.1:8088/", { waitUntil: "networkidle" });
  await listed.waitForSelector("#widen");
  const state = await listed.textContent("#state");
  expect(/^\d+ cleared/.test(state), `a listed origin searches with its token: ${state}`);
  const widen = await listed.textContent("#widen");
  expect(widen.includes("403"), `it reads the refusal of a wider context: ${widen}`);
  await listed.screenshot({ path: `${out}/listed-origin.png` });

  const other = await browser.newPage();
  await other.goto("http://localhost:8088/", { waitUntil: "networkidle" });
  await other.waitForFunction(() => !document.getElementById("state").textContent.startsWith("searching"));
  const refused = await other.textContent("#state");
  expect(refused.startsWith("refused"), `an origin nobody listed is blocked by the browser: ${refused}`);

  const docs = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const elsewhere = [];
  docs.on("request", (r) => { if (new URL(r.url()).hostname !== "127.0.0.1") elsewhere.push(r.url()); });
  await docs.goto("http://127.0.0.1:7979/api/docs/", { waitUntil: "networkidle" });
  await docs.waitForSelector(".opblock", { timeout: 15000 });
  const operations = await docs.$$eval(".opblock", (l) => l.length);
  expect(operations >= 30 && elsewhere.length === 0,
    `the reference page shows ${operations} operations and asks no other host (${elsewhere.length})`);
  await docs.screenshot({ path: `${out}/api-docs.png` });
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
