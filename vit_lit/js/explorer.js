// The attention explorer's script (vit_lit.explore.attention_explorer): the figure inlines this file,
// from the line after this header on, into the HTML fragment it returns; __ID__ is replaced by the
// figure's id. Tested in a DOM by tests/explore_dom.cjs and in Chromium by tools/browser_test.cjs.

(() => {
  // One explorer: the data sits in the script.vx-data beside this script.
  const me = document.currentScript;
  const root = (me && me.closest(".vit-explorer")) ||
    document.getElementById("__ID__");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const D = JSON.parse(root.querySelector("script.vx-data").textContent),
    T = D.text;
  const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const [H, W] = D.size, C = D.channels, P = D.patch, [GH, GW] = D.grid,
    K = GH * GW;
  const pics = bytes(D.images), lut = bytes(D.colormap);
  const maps = D.maps.map((m) => ({
    q: bytes(m.q), scale: m.scale, cls: m.cls
  }));
  // canvas pixels per image pixel
  const S = Math.max(1, Math.ceil(360 / Math.max(H, W)));
  const ALPHA = 0.6;  // weight of the heat over the image
  const state = { image: 0, map: 0, query: 0 };  // query: token index, 0 = CLS
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const fill = (text, v) => text.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const fmt = (v) => v.toPrecision(2);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // Image b at s canvas pixels per pixel; with q (K values, 255 = largest),
  // the heat on the patch grid, and the patch of token sel outlined.
  function paint(canvas, b, s, q, sel) {
    const w = W * s, h = H * s, cell = P * s;
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d"), out = ctx.createImageData(w, h),
      px = out.data;
    const ring = Math.max(2, Math.round(s / 3)),
      inner = ring + Math.max(1, Math.round(s / 6));
    const sy = sel > 0 ? Math.floor((sel - 1) / GW) : -1,
      sx = sel > 0 ? (sel - 1) % GW : -1;
    for (let y = 0; y < h; y++) {
      const iy = Math.floor(y / s), gy = Math.floor(y / cell),
        dy = y - gy * cell;
      for (let x = 0; x < w; x++) {
        const ix = Math.floor(x / s), gx = Math.floor(x / cell),
          dx = x - gx * cell;
        const i = (b * H + iy) * W + ix, o = 4 * (y * w + x);
        let c = C === 1 ? [pics[i], pics[i], pics[i]]
          : [pics[3 * i], pics[3 * i + 1], pics[3 * i + 2]];
        if (q) {
          const k = 3 * q[gy * GW + gx];
          c = c.map((v, j) => (1 - ALPHA) * v + ALPHA * lut[k + j]);
          // grid lines
          if (dx === 0 || dy === 0) c = c.map((v) => 0.7 * v + 0.3 * 255);
        }
        if (gy === sy && gx === sx) {
          const edge = Math.min(dx, dy, cell - 1 - dx, cell - 1 - dy);
          if (edge < ring) c = [0, 229, 255];
          else if (edge < inner) c = [0, 0, 0];
        }
        px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; px[o + 3] = 255;
      }
    }
    ctx.putImageData(out, 0, 0);
  }

  const ui = el("div", "vx-ui");
  const pickImage = el("div", "vx-row");
  pickImage.append(el("span", "vx-label", T.image));
  const thumbs = D.labels.map((label, b) => {
    const button = el("button", "vx-thumb");
    button.type = "button";
    button.title = fill(T.imageN, { n: b }) + (label ? ` (${label})` : "");
    const canvas = el("canvas");
    paint(canvas, b, 1, null, 0);
    button.append(canvas);
    if (label) button.append(el("span", null, label));
    button.addEventListener("click", () => { state.image = b; update(); });
    pickImage.append(button);
    return button;
  });
  const pickMap = el("label", "vx-row");
  const select = el("select");
  D.maps.forEach((m, i) => {
    const o = el("option", null, m.name);
    o.value = String(i);
    select.append(o);
  });
  select.addEventListener("change", () => {
    state.map = Number(select.value);
    update();
  });
  pickMap.append(el("span", "vx-label", T.map), select);
  const main = el("canvas", "vx-main");
  main.tabIndex = 0;
  main.setAttribute("aria-label", T.hint);
  main.addEventListener("click", (e) => {
    const r = main.getBoundingClientRect();
    const gx = clamp(Math.floor(((e.clientX - r.left) / r.width) * GW),
      0, GW - 1);
    const gy = clamp(Math.floor(((e.clientY - r.top) / r.height) * GH),
      0, GH - 1);
    state.query = 1 + gy * GW + gx;
    update();
  });
  main.addEventListener("keydown", (e) => {
    const step = {
      ArrowLeft: [0, -1], ArrowRight: [0, 1],
      ArrowUp: [-1, 0], ArrowDown: [1, 0]
    }[e.key];
    if (!step) return;
    e.preventDefault();
    const k = Math.max(0, state.query - 1);
    state.query = 1 + clamp(Math.floor(k / GW) + step[0], 0, GH - 1) * GW +
      clamp((k % GW) + step[1], 0, GW - 1);
    update();
  });
  const info = el("div", "vx-row");
  const cls = el("button", "vx-cls", "CLS");
  cls.type = "button";
  cls.addEventListener("click", () => { state.query = 0; update(); });
  const status = el("span", "vx-status"), toCls = el("span", "vx-tocls");
  info.append(cls, status, toCls);
  const bar = el("div", "vx-bar"), ramp = el("canvas"), top = el("span");
  ramp.width = 256;
  ramp.height = 1;
  const rctx = ramp.getContext("2d"), rdata = rctx.createImageData(256, 1);
  for (let k = 0; k < 256; k++)
    rdata.data.set([lut[3 * k], lut[3 * k + 1], lut[3 * k + 2], 255], 4 * k);
  rctx.putImageData(rdata, 0, 0);
  bar.append(el("span", null, "0"), ramp, top);
  ui.append(pickImage, pickMap, main, info, bar,
    el("div", "vx-note", T.scale), el("p", "vx-hint", T.hint));
  const nojs = root.querySelector(".vx-nojs");
  if (nojs) nojs.remove();
  root.append(ui);

  function update() {
    const m = maps[state.map], row = state.image * (K + 1) + state.query;
    paint(main, state.image, S, m.q.subarray(row * K, row * K + K),
      state.query);
    status.textContent = fill(T.query, {
      q: state.query ? fill(T.patch, { n: state.query - 1 }) : T.clsToken
    });
    toCls.textContent = fill(T.toCls, { v: fmt(m.cls[row]) });
    top.textContent = fmt(m.scale[row]);
    thumbs.forEach((b, i) =>
      b.setAttribute("aria-pressed", String(i === state.image)));
    cls.setAttribute("aria-pressed", String(state.query === 0));
    select.value = String(state.map);
    Object.assign(root.dataset, {
      image: state.image, map: state.map, query: state.query
    });
  }
  update();
})();
