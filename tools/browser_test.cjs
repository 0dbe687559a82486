// The built book in a real browser: headless Chromium (the system's, driven by playwright-core)
// opens every page it is given, after the page's scripts have run, and reports what a reader
// would meet. tests/book/test_browser.py runs it over every page of _toc.yml in both editions.
//
//   node tools/browser_test.cjs HTML_ROOT < pages.json > report.json
//
// pages.json: [{"path": "ko/nbs/06_scores.html", "other": "en/nbs/06_scores.html"}, ...]
// report.json: {"ko/nbs/06_scores.html": {"problems": [...], "equations": 12, "images": 5, "explorers": []}, ...}
//
// The pages are served over HTTP from 127.0.0.1 (as GitHub Pages would serve them); a request to
// any other host is refused and reported. Per page, at 1280 px and then at 390 px width:
// - no script error (uncaught exception, console error) and no failed request (4xx, refused);
// - every equation typeset by MathJax: each .math element holds an mjx-container, no TeX error,
//   and no raw \[, \( or $$ left in the text (code blocks aside);
// - every <img> loaded (naturalWidth > 0);
// - the language link (a.vitlit-lang) leads to the same page in the other edition;
// - at 390 px nothing but code blocks (input cells, text outputs) scrolls sideways, and the page
//   itself is no wider than the screen;
// - then, still at 390 px, every attention explorer (.vit-explorer, made by vit_lit.explore) answers
//   a click on a patch near its centre: its data-query names that patch, its canvas shows another
//   picture, and no script error comes (report.json: "explorers": [{"id", "query", "passed",
//   "problems"}, ...] per page);
// - every live figure (.vit-live, vit_lit/js/live.js), at 1280 px and at 390 px, answers as a reader
//   uses it: strokes drawn with the mouse and then with a finger (CDP touch events) each change the
//   prediction's state and every panel; test digits put on the pad give PyTorch's logits within
//   1e-4 ($VIT_LIVE_REFERENCE: {"digits": [[784 uint8]], "logits": [[10]]}, written by
//   tests/book/test_browser.py); a click on a patch makes it the query and redraws the attention
//   (report.json: "live": [{"width", "passed", "maxDiff", "digits", "problems"}, ...] per page);
// - and the first folded solution of an exercise is hidden until a click on its title opens it;
// - in the Korean edition, code and printed outputs set one Hangul syllable exactly as wide as two
//   Latin letters (book/build.py's code font), so padded tables line up.
// Chromium: $CHROMIUM, else the first of chromium, google-chrome, chromium-browser on the PATH.
const fs = require("fs");
const http = require("http");
const path = require("path");
const { execFileSync } = require("child_process");
const { chromium } = require("playwright-core");

const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".png": "image/png", ".svg": "image/svg+xml", ".woff": "font/woff", ".woff2": "font/woff2",
  ".ttf": "font/ttf", ".json": "application/json", ".ico": "image/x-icon", ".txt": "text/plain",
  ".ipynb": "application/json", ".map": "application/json",
};
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
// Sideways scrolling is expected in code: input cells (div.highlight) and text outputs (pre).
const SCROLL_OK = "div.highlight, pre";
const WORKERS = 3;

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ["/usr/bin/chromium", "chromium", "google-chrome", "chromium-browser"]) {
    try {
      return name.startsWith("/") ? (fs.accessSync(name, fs.constants.X_OK), name)
        : execFileSync("which", [name]).toString().trim();
    } catch (e) { /* next */ }
  }
  throw new Error("no Chromium found: install it (`apt-get install chromium fonts-nanum`) or set CHROMIUM");
}

function serve(root) {
  const server = http.createServer((req, res) => {
    let file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(root)) file = "/nonexistent";
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404); res.end("not found"); return; }
      res.writeHead(200, { "Content-Type": MIME[path.extname(file)] || "application/octet-stream" });
      res.end(data);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// Runs in the page: equations, raw TeX, images.
async function checkContent() {
  const out = [];
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const maths = [...document.querySelectorAll(".math")];
  const bare = maths.filter((m) => !m.querySelector("mjx-container"));
  if (bare.length) out.push(`${bare.length} of ${maths.length} equations not typeset, first: ${bare[0].textContent.trim().slice(0, 60)}`);
  for (const e of document.querySelectorAll("mjx-merror")) out.push(`TeX error: ${e.getAttribute("data-mjx-error") || e.textContent}`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const skip = "pre, code, script, style, textarea, mjx-container, div.highlight";
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const m = n.textContent.match(/\\\[|\\\(|\$\$/);
    if (m && !n.parentElement.closest(skip)) out.push(`raw TeX in the text: ...${n.textContent.slice(Math.max(0, m.index - 20), m.index + 40).trim()}...`);
  }
  const imgs = [...document.images];
  for (const img of imgs) img.loading = "eager";
  await Promise.all(imgs.map((img) => (img.complete ? null : new Promise((r) => { img.onload = img.onerror = r; }))));
  for (const img of imgs) if (!img.naturalWidth) out.push(`image not loaded: ${img.getAttribute("src")}`);
  const link = document.querySelector("a.vitlit-lang");
  return { problems: out, equations: maths.length, images: imgs.length, langHref: link ? link.href : null };
}

// Runs in the page (Korean edition): six Hangul syllables and twelve Latin letters in a code block.
async function checkCodeColumns() {
  const pre = document.querySelector("div.highlight pre, div.cell_output pre");
  if (!pre) return [];
  const style = getComputedStyle(pre);
  await document.fonts.load(`${style.fontSize} ${style.fontFamily}`, "가a");
  const probe = (text) => { const s = document.createElement("span"); s.textContent = text; pre.appendChild(s); return s; };
  const spans = [probe("가나다라마바"), probe("abcdefghijkl")];
  await document.fonts.ready;
  const [hangul, latin] = spans.map((s) => s.getBoundingClientRect().width);
  spans.forEach((s) => s.remove());
  return Math.abs(hangul - latin) > 0.5
    ? [`code font ${style.fontFamily}: 6 Hangul syllables take ${hangul.toFixed(1)}px, 12 Latin letters ${latin.toFixed(1)}px; Hangul must be exactly two columns`]
    : [];
}

// Runs in the page at phone width: what scrolls sideways, and is the page wider than the screen.
function checkWidth(scrollOk) {
  const out = [];
  const vw = document.documentElement.clientWidth;
  const visible = (el) => { const s = getComputedStyle(el); return s.display !== "none" && s.visibility !== "hidden"; };
  const describe = (el) => `<${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? ` class="${el.className.trim().slice(0, 60)}"` : ""}> "${(el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50)}"`;
  for (const el of document.body.querySelectorAll("*")) {
    const s = getComputedStyle(el);
    if (!/auto|scroll/.test(s.overflowX) || el.scrollWidth <= el.clientWidth + 1 || !el.clientWidth || !visible(el)) continue;
    if (!el.matches(scrollOk) && !el.closest(scrollOk)) out.push(`scrolls sideways at ${vw}px: ${describe(el)} (${el.scrollWidth}px in ${el.clientWidth}px)`);
  }
  const width = document.documentElement.scrollWidth;
  if (width > vw + 1) {
    const wide = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > vw + 1 && visible(el)
      && !el.closest(scrollOk) && ![...el.children].some((c) => c.getBoundingClientRect().right > vw + 1));
    out.push(`the page is ${width}px wide at ${vw}px; too wide: ${wide.slice(0, 3).map(describe).join("; ") || "?"}`);
  }
  return out;
}

// Clicks a patch of every attention explorer on the page (vit_lit.explore), as a reader would.
async function checkExplorers(page, problems) {
  const results = [];
  const explorers = page.locator(".vit-explorer");
  for (let i = 0; i < (await explorers.count()); i++) {
    const root = explorers.nth(i);
    const result = { id: await root.getAttribute("id"), query: null, passed: false, problems: [] };
    results.push(result);
    const canvas = root.locator("canvas.vx-main");
    if (!(await canvas.count())) {
      result.problems.push("no canvas.vx-main: the explorer's script did not run");
      continue;
    }
    const errors = problems.length;
    const [gh, gw] = await root.evaluate((el) => JSON.parse(el.querySelector("script.vx-data").textContent).grid);
    let gy = Math.floor(gh / 2), gx = Math.floor(gw / 2);
    if (String(1 + gy * gw + gx) === (await root.getAttribute("data-query"))) gx = (gx + 1) % gw;
    const token = 1 + gy * gw + gx;
    await canvas.evaluate((c) => c.scrollIntoView({ block: "center" }));
    const before = await canvas.evaluate((c) => c.toDataURL());
    const box = await canvas.boundingBox();
    try {
      await canvas.click({ position: { x: ((gx + 0.5) / gw) * box.width, y: ((gy + 0.5) / gh) * box.height }, timeout: 10000 });
    } catch (e) {
      result.problems.push(`could not click patch ${token - 1}: ${e.message.split("\n")[0]}`);
      continue;
    }
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    result.query = await root.getAttribute("data-query");
    if (result.query !== String(token)) result.problems.push(`a click on patch ${token - 1} chose token ${result.query}, not ${token}`);
    if ((await canvas.evaluate((c) => c.toDataURL())) === before) result.problems.push(`the picture did not change on a click on patch ${token - 1}`);
    result.problems.push(...problems.slice(errors).filter((p) => /^(script|console) error/.test(p)));
    result.passed = result.problems.length === 0;
  }
  return results;
}

const LIVE_REFERENCE = process.env.VIT_LIVE_REFERENCE
  ? JSON.parse(fs.readFileSync(process.env.VIT_LIVE_REFERENCE, "utf8")) : null;

// Every live figure of the page (vit_lit/js/live.js), used as a reader would at the current width.
async function checkLive(page, problems, width) {
  const results = [];
  const figures = page.locator(".vit-live");
  const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  for (let i = 0; i < (await figures.count()); i++) {
    const root = figures.nth(i);
    const result = { width, passed: false, maxDiff: null, digits: 0, problems: [] };
    results.push(result);
    const errors = problems.length;
    const pad = root.locator("canvas.vl-pad");
    if (!(await pad.count())) {
      result.problems.push("no canvas.vl-pad: the live figure's script did not run");
      continue;
    }
    // every panel's picture and text, the pad aside
    const panels = () => root.evaluate((el) => [...el.querySelectorAll("canvas:not(.vl-pad), .vl-bars")]
      .map((c) => (c.tagName === "CANVAS" ? c.toDataURL() : c.textContent)));
    const state = () => root.evaluate((el) => ({ ...el.dataset }));
    const drawWith = async (how, points) => {
      await root.locator("button.vl-clear").click({ timeout: 10000 });
      await frames();
      const before = await panels(), updates = Number((await state()).updates);
      await pad.evaluate((c) => c.scrollIntoView({ block: "center" }));
      const box = await pad.boundingBox();
      const xy = points.map(([x, y]) => [box.x + x * box.width, box.y + y * box.height]);
      if (how === "mouse") {
        await page.mouse.move(...xy[0]);
        await page.mouse.down();
        for (const p of xy.slice(1)) await page.mouse.move(...p, { steps: 3 });
        await page.mouse.up();
      } else {
        const cdp = await page.context().newCDPSession(page);
        const touch = (type, p) => cdp.send("Input.dispatchTouchEvent",
          { type, touchPoints: p ? [{ x: p[0], y: p[1] }] : [] });
        await touch("touchStart", xy[0]);
        for (const p of xy.slice(1)) await touch("touchMove", p);
        await touch("touchEnd");
        await cdp.detach();
      }
      await frames();
      const after = await panels(), now = await state();
      if (!(Number(now.updates) > updates)) result.problems.push(`${how} strokes did not run the model at ${width}px`);
      if (now.prediction === "") result.problems.push(`${how} strokes left no prediction at ${width}px`);
      const same = after.map((v, k) => v === before[k]).filter(Boolean).length;
      if (same) result.problems.push(`${same} of ${after.length} panels did not change on ${how} strokes at ${width}px`);
    };
    await drawWith("mouse", [[0.5, 0.15], [0.5, 0.5], [0.5, 0.85]]);  // a 1
    await drawWith("touch", [[0.25, 0.2], [0.75, 0.2], [0.55, 0.5], [0.45, 0.85]]);  // a 7
    if (LIVE_REFERENCE) {
      const got = await root.evaluate((el, digits) => digits.map((d) => {
        el.vitLive.showDigit(d.map((v) => v / 255));
        return JSON.parse(el.dataset.logits);
      }), LIVE_REFERENCE.digits);
      let worst = 0;
      got.forEach((logits, k) => {
        const ref = LIVE_REFERENCE.logits[k];
        logits.forEach((v, c) => { worst = Math.max(worst, Math.abs(v - ref[c])); });
        if (logits.indexOf(Math.max(...logits)) !== ref.indexOf(Math.max(...ref)))
          result.problems.push(`test digit ${k}: the page predicts another class than PyTorch`);
      });
      result.maxDiff = worst;
      result.digits = got.length;
      if (!(worst < 1e-4)) result.problems.push(`logits differ from PyTorch's by ${worst} (> 1e-4) at ${width}px`);
    }
    // click a patch of the input: it becomes the query, and the attention maps redraw
    const input = root.locator("canvas.vl-input");
    await input.evaluate((c) => c.scrollIntoView({ block: "center" }));
    const maps = () => root.evaluate((el) => [...el.querySelectorAll("canvas.vl-map")].map((c) => c.toDataURL()));
    const beforeMaps = await maps(), ibox = await input.boundingBox();
    const gx = (await state()).query === String(1 + 3 * 7 + 2) ? 4 : 2;  // a patch not already the query
    await input.click({ position: { x: ((gx + 0.5) / 7) * ibox.width, y: (3.5 / 7) * ibox.height }, timeout: 10000 });
    await frames();
    const query = (await state()).query;
    if (query !== String(1 + 3 * 7 + gx)) result.problems.push(`a click on patch ${3 * 7 + gx} chose token ${query}, not ${1 + 3 * 7 + gx}`);
    const afterMaps = await maps();
    if (afterMaps.some((m, k) => m === beforeMaps[k])) result.problems.push("an attention map did not change on a click on a patch");
    result.problems.push(...problems.slice(errors).filter((p) => /^(script|console) error/.test(p)));
    result.passed = result.problems.length === 0;
  }
  return results;
}

// Opens the first folded solution of the page (notebooks.folded_solutions), as a reader would: its
// prose (a dropdown admonition) and its code (a <details> cell) must be hidden on load and shown
// after a click on their title. Report: "solutions": {"folded": n, "opened": bool, "problems": []}.
async function checkSolutions(page) {
  const out = { folded: 0, opened: false, problems: [] };
  const prose = page.locator(".admonition.dropdown");
  const code = page.locator("details.hide");
  out.folded = (await prose.count()) + (await code.count());
  if (!out.folded) return out;
  // checkVisibility also sees the content of a closed <details> (hidden by content-visibility)
  const shown = async (loc) => loc.evaluate((el) => el.getBoundingClientRect().height > 0 &&
    el.checkVisibility({ visibilityProperty: true, opacityProperty: true, contentVisibilityAuto: true }));
  // the opening may take a few frames (sphinx-togglebutton animates it) on a loaded machine
  const becomesShown = async (loc) => {
    for (let waited = 0; waited < 5000; waited += 100) {
      if (await shown(loc)) return true;
      await page.waitForTimeout(100);
    }
    return false;
  };
  if (await prose.count()) {
    const box = prose.first();
    const body = box.locator(":scope > :not(.admonition-title)").first();
    if (await shown(body)) out.problems.push("a solution's prose is visible before any click");
    await box.locator(".admonition-title").first().click({ timeout: 10000 });
    if (!(await becomesShown(body))) out.problems.push("a click on a solution's title did not show its prose");
  }
  if (await code.count()) {
    const cell = code.first();
    const input = cell.locator(":scope > :not(summary)").first();
    if (await cell.evaluate((d) => d.open) || await shown(input)) out.problems.push("a solution's code is visible before any click");
    await cell.locator("summary").first().click({ timeout: 10000 });
    if (!(await becomesShown(input))) out.problems.push("a click on 'show code' did not show a solution's code");
  }
  out.opened = out.problems.length === 0;
  return out;
}

async function checkPage(context, base, rel, other) {
  const problems = [];
  const foreign = [];
  const page = await context.newPage();
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1" || !/^https?:$/.test(url.protocol)) return route.continue();
    foreign.push(url.href);
    return route.abort();
  });
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url().replace(base, "")}`); });
  page.on("requestfailed", (r) => { if (r.url().startsWith(base)) problems.push(`request failed: ${r.url().replace(base, "")} (${r.failure().errorText})`); });
  let result = { problems: [], equations: 0, images: 0 };
  let explorers = [];
  let live = [];
  let solutions = { folded: 0, opened: false, problems: [] };
  try {
    await page.goto(base + rel, { waitUntil: "load", timeout: 60000 });
    result = await Promise.race([page.evaluate(checkContent),
      new Promise((_, no) => setTimeout(() => no(new Error("the page's checks took over 30 s")), 30000).unref())]);
    if (other && result.langHref !== base + other) problems.push(`language link leads to ${result.langHref && result.langHref.replace(base, "")}, not ${other}`);
    if (rel.startsWith("ko/")) problems.push(...(await page.evaluate(checkCodeColumns)));
    live = await checkLive(page, problems, 1280);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    problems.push(...(await page.evaluate(checkWidth, SCROLL_OK)));
    live.push(...(await checkLive(page, problems, 390)));
    for (const x of live) problems.push(...x.problems.map((p) => `live figure: ${p}`));
    explorers = await checkExplorers(page, problems);
    for (const x of explorers) problems.push(...x.problems.map((p) => `explorer ${x.id}: ${p}`));
    solutions = await checkSolutions(page);
    problems.push(...solutions.problems);
  } catch (e) {
    problems.push(`could not check the page: ${e.message.split("\n")[0]}`);
  }
  problems.push(...result.problems, ...foreign.map((u) => `loads from another host: ${u}`));
  await page.close();
  return { problems, equations: result.equations, images: result.images, explorers, live, solutions };
}

async function main() {
  const root = path.resolve(process.argv[2] || "_build/html");
  const pages = JSON.parse(fs.readFileSync(0, "utf8"));
  const server = await serve(root);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const report = {};
  const queue = [...pages];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) report[p.path] = await checkPage(context, base, p.path, p.other);
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));  // a few tabs at once, one browser
  await browser.close();
  server.close();
  const ordered = Object.fromEntries(pages.map((p) => [p.path, report[p.path]]));
  process.stdout.write(JSON.stringify(ordered, null, 1) + "\n");
}

// bench/live.cjs serves the book and starts Chromium the same way.
module.exports = { serve, chromiumPath, chromium, FLAGS };
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
