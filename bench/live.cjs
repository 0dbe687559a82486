// The live figure's speed (vit_lit/js/live.js): forward pass plus redraw of every panel, per stroke,
// in headless Chromium, on the built book's English playground page (`make book` first).
//
//   node bench/live.cjs [HTML_ROOT] [STROKES]     # defaults: _build/html, 100
//
// After 10 warm-up strokes, STROKES strokes are drawn with the mouse on the pad, each a press, five
// moves and a release at random places (seeded), waiting two frames after each. Every time the
// figure runs (once per animation frame at most, while a stroke goes on) it times its update:
// reading the pad, MNIST-like preprocessing, the forward pass and redrawing every panel (the
// browser's own paint afterwards is not counted). Reported: the median and the 90th percentile of
// those times, the median of each stroke's slowest, and, apart, the forward pass alone (VitLit.forward
// on the current input, 100 calls). Prints one JSON object.
const path = require("path");
const { serve, chromiumPath, chromium, FLAGS } = require("../tools/browser_test.cjs");

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

(async () => {
  const root = path.resolve(process.argv[2] || "_build/html");
  const strokes = Number(process.argv[3] || 100);
  const server = await serve(root);
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: FLAGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${server.address().port}/en/nbs/playground.html`, { waitUntil: "load" });
  const root$ = page.locator(".vit-live").first();
  const pad = root$.locator("canvas.vl-pad");
  await pad.evaluate((c) => c.scrollIntoView({ block: "center" }));
  const box = await pad.boundingBox();
  let seed = 1;
  const rand = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  const at = () => [box.x + (0.15 + 0.7 * rand()) * box.width, box.y + (0.15 + 0.7 * rand()) * box.height];
  const perUpdate = [], perStroke = [];
  for (let k = 0; k < strokes + 10; k++) {
    if (k % 10 === 0) await root$.locator("button.vl-clear").click();
    await root$.evaluate((el) => { el.vitLive.timings.length = 0; });
    await page.mouse.move(...at());
    await page.mouse.down();
    for (let m = 0; m < 5; m++) await page.mouse.move(...at(), { steps: 2 });
    await page.mouse.up();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const t = await root$.evaluate((el) => [...el.vitLive.timings]);
    if (k >= 10) { perUpdate.push(...t); perStroke.push(Math.max(...t)); }
  }
  const forward = await root$.evaluate((el) => {
    const image = el.vitLive.result.image, model = window.VitLit.loadModel(window.VitLit.fromBase64(window.VitLitData.weights));
    const out = [];
    for (let k = 0; k < 110; k++) {
      const t0 = performance.now();
      window.VitLit.forward(model, image);
      if (k >= 10) out.push(performance.now() - t0);
    }
    return out;
  });
  const ms = (v) => Number(v.toFixed(2));
  const report = {
    strokes, updates: perUpdate.length,
    update_ms_median: ms(quantile(perUpdate, 0.5)), update_ms_p90: ms(quantile(perUpdate, 0.9)),
    stroke_slowest_update_ms_median: ms(quantile(perStroke, 0.5)),
    forward_ms_median: ms(quantile(forward, 0.5)),
    chromium: await browser.version(),
  };
  await browser.close();
  server.close();
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
