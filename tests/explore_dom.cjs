// The attention explorer's script (vit_lit.explore) run in Node against a small stand-in for the
// browser's DOM: enough elements, events and a 2-D canvas (createImageData / putImageData) for
// the script to build its controls and paint. tests/test_explore.py runs it on pages written by
// `AttentionExplorer.save`, and the browser test (tools/browser_test.cjs) runs the same figure in
// Chromium; this one needs no browser, so it runs with every `pytest tests/`.
//
//   node tests/explore_dom.cjs PAGE.html [PIXELS_OUT] > report.json
//
// It clicks, picks and presses keys as a reader would and prints, as JSON, the state the
// figure reports (data-image, data-map, data-query), the texts it shows and samples of the
// painted canvas; with PIXELS_OUT, the first figure's picture after the click as raw RGBA
// (its width and height are the report's `shot`).
const fs = require("fs");
const vm = require("vm");

class Element {
  constructor(tag, doc) {
    Object.assign(this, { tagName: tag.toUpperCase(), doc, children: [], parentElement: null,
      className: "", dataset: {}, style: {}, attrs: {}, listeners: {}, text: "", value: "" });
  }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }
  set textContent(v) { this.text = String(v); this.children = []; }
  append(...nodes) { for (const n of nodes) { n.parentElement = this; this.children.push(n); } }
  remove() { const p = this.parentElement; p.children = p.children.filter((c) => c !== this); }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  fire(type, event = {}) {
    for (const fn of this.listeners[type] || []) fn({ preventDefault() {}, ...event });
  }
  matches(sel) {  // "tag", ".class", "tag.class"
    const [tag, cls] = sel.split(".");
    return (!tag || this.tagName === tag.toUpperCase()) && (!cls || this.className.split(" ").includes(cls));
  }
  closest(sel) { return this.matches(sel) ? this : this.parentElement && this.parentElement.closest(sel); }
  all(sel) { return this.children.flatMap((c) => [...(c.matches(sel) ? [c] : []), ...c.all(sel)]); }
  querySelector(sel) { return this.all(sel)[0] || null; }
  getBoundingClientRect() { return { left: 10, top: 20, width: 350, height: 350 * this.height / this.width }; }
  getContext() {
    const canvas = this;
    return {
      createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(4 * w * h) }),
      putImageData: (img) => { canvas.pixels = Uint8ClampedArray.from(img.data); },
    };
  }
}

function page(file) {
  const html = fs.readFileSync(file, "utf8");
  const doc = { byId: {} };
  doc.createElement = (tag) => new Element(tag, doc);
  doc.getElementById = (id) => doc.byId[id] || null;
  const body = new Element("body", doc);
  const found = [...html.matchAll(/<div class="vit-explorer" id="([^"]+)">.*?<script type="application\/json" class="vx-data">(.*?)<\/script><p class="vx-nojs">.*?<\/p><script>(.*?)<\/script><\/div>/gs)];
  if (!found.length) throw new Error(`no explorer in ${file}`);
  const explorers = found.map(([, id, data, code]) => {
    const root = new Element("div", doc);
    root.className = "vit-explorer";
    const json = new Element("script", doc), nojs = new Element("p", doc), script = new Element("script", doc);
    json.className = "vx-data";
    json.textContent = data;
    nojs.className = "vx-nojs";
    root.append(json, nojs, script);
    root.setAttribute("id", id);
    body.append(root);
    doc.byId[id] = root;
    return { root, script, code };
  });
  for (const { script, code } of explorers) {
    doc.currentScript = script;
    vm.runInNewContext(code, { document: doc, atob, Uint8Array, Float32Array, DataView, Math, Number, String, JSON, Object });
  }
  return explorers.map((e) => e.root);
}

const state = (root) => ({ image: root.dataset.image, map: root.dataset.map, query: root.dataset.query });

// RGB of the canvas at (x, y), and at the centre and top-left corner of every patch cell
function samples(canvas, grid) {
  const at = (x, y) => Array.from(canvas.pixels.slice(4 * (y * canvas.width + x), 4 * (y * canvas.width + x) + 3));
  const [gh, gw] = grid, cell = canvas.width / gw;
  const cells = [];
  for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++) {
    cells.push({ centre: at(Math.floor((c + 0.5) * cell), Math.floor((r + 0.5) * cell)), corner: at(c * cell, r * cell) });
  }
  return cells;
}

const [file, out] = process.argv.slice(2);
const report = page(file).map((root) => {
  const grid = JSON.parse(root.querySelector("script.vx-data").textContent).grid;
  const main = root.querySelector("canvas.vx-main");
  const select = root.querySelector("select");
  const thumbs = root.all("button.vx-thumb");
  const steps = [];
  const look = (what) => steps.push({ what, ...state(root),
    status: root.querySelector("span.vx-status").textContent, toCls: root.querySelector("span.vx-tocls").textContent,
    bar: root.querySelector("div.vx-bar").textContent, pressed: thumbs.map((b) => b.getAttribute("aria-pressed")),
    cls: root.querySelector("button.vx-cls").getAttribute("aria-pressed"),
    width: main.width, height: main.height, cells: samples(main, grid) });
  look("start");
  const rect = main.getBoundingClientRect();
  main.fire("click", { clientX: rect.left + 0.5 * rect.width, clientY: rect.top + 0.3 * rect.height });
  look("click at (0.5, 0.3)");
  const shot = { width: main.width, height: main.height, pixels: Uint8ClampedArray.from(main.pixels) };
  main.fire("keydown", { key: "ArrowRight" });
  look("ArrowRight");
  select.value = String(select.children.length - 1);
  select.fire("change");
  look("last map");
  thumbs[thumbs.length - 1].fire("click");
  look("last image");
  root.querySelector("button.vx-cls").fire("click");
  look("CLS");
  return { id: root.getAttribute("id"), nojs: root.querySelector("p.vx-nojs") !== null, thumbs: thumbs.length,
    options: select.children.map((o) => o.textContent), thumb: [thumbs[0].querySelector("canvas").width,
      thumbs[0].querySelector("canvas").height], steps, shot };
});
if (out) fs.writeFileSync(out, Buffer.from(report[0].shot.pixels.buffer));
for (const r of report) r.shot = [r.shot.width, r.shot.height];
process.stdout.write(JSON.stringify(report) + "\n");
