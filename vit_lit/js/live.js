// The book's live figure: the reader draws a digit (mouse, pen or finger) or picks a test digit,
// and on every stroke the shipped vit_mnist_patch4_28 runs in the page (vit.js) and every step of
// the guide redraws, each panel linked to its chapter. Every <div class="vit-live"> of the page
// becomes one figure. It needs window.VitLit (vit.js) and window.VitLitData (the weights and test
// digits that book/build.py writes into vit-live-data.js from the shipped .safetensors).
// Labels follow the page's language (<html lang="ko">). tests/book/test_browser.py drives it.
(() => {
  "use strict";
  const TEXT = {
    en: {
      draw: "Draw a digit with a mouse or a finger, or pick a test digit: every stroke runs the model " +
        "again in this page and redraws every step below.",
      clear: "Clear", digit: "test digit", pick: "pick…", option: "#{k} (label {label})",
      prediction: "prediction: {c} ({p}%)", blank: "draw a digit",
      ch: ["Chapter ", ""], chs: ["Chapters ", ""],
      input: "input after MNIST-like preprocessing and its 7×7 patches",
      inputNote: "Your drawing scaled to fit 20×20 and centred by its centre of mass in 28×28, as " +
        "MNIST's digits are. Each cell is a 4×4 patch; click one to pick its query.",
      patches: "the 49 patches flattened, one column each (16 values)",
      embed: "patch embedding (49 × 64)",
      embedNote: "One 64-number vector per patch, the same linear map on each. One row per patch.",
      tokens: "CLS token and positional embeddings (50 × 64)",
      tokensNote: "The CLS token on top, a positional embedding added to every row: the transformer's input.",
      attention: "attention of every block and head",
      attentionNote: "The weight that the query of {q} gives to each patch, from 0 to that map's largest. " +
        "Click a patch here or in the input to pick another query.",
      block: "block {b}", head: "head {h}", clsToken: "the CLS token", patch: "patch {n}",
      rollout: "attention rollout",
      rolloutNote: "The four blocks' attention multiplied: how much the CLS token after the last " +
        "block draws from each patch.",
      clsOut: "CLS output (64)",
      clsOutNote: "The CLS token's vector after the last block and the final layer normalization: " +
        "all the classifier sees.",
      logits: "logits and probabilities", logitsTitle: "logits", probsTitle: "probabilities",
      nojs: "This figure needs JavaScript.",
    },
    ko: {
      draw: "마우스나 손가락으로 숫자를 그리거나 테스트 숫자를 고르세요. 획을 그을 때마다 이 페이지 안에서 " +
        "모델이 다시 계산하고, 아래의 모든 단계가 새로 그려집니다.",
      clear: "지우기", digit: "테스트 숫자", pick: "고르기…", option: "{k}번 (정답 {label})",
      prediction: "예측: {c} ({p}%)", blank: "숫자를 그려 보세요",
      ch: ["", "장"], chs: ["", "장"],
      input: "MNIST처럼 맞춘 입력과 7×7 패치",
      inputNote: "그린 숫자를 MNIST 숫자처럼 20×20 안에 맞추고, 무게중심이 28×28의 가운데에 오게 옮겼습니다. " +
        "칸 하나가 4×4 패치입니다. 칸을 클릭하면 그 패치의 쿼리를 고릅니다.",
      patches: "평탄화한 패치 49개. 열 하나가 패치 하나(성분 16개)입니다.",
      embed: "패치 임베딩 (49 × 64)",
      embedNote: "패치마다 같은 선형 변환으로 만든 벡터입니다. 행 하나가 패치 하나입니다.",
      tokens: "분류 토큰과 위치 임베딩 (50 × 64)",
      tokensNote: "맨 위 행이 분류 토큰(CLS 토큰)이고, 모든 행에 위치 임베딩을 더했습니다. 트랜스포머의 입력입니다.",
      attention: "모든 블록과 헤드의 어텐션",
      attentionNote: "{q}의 쿼리가 각 패치에 주는 어텐션 가중치입니다. 0부터 그 맵의 최댓값까지 색으로 나타냅니다. " +
        "여기나 입력에서 패치를 클릭하면 쿼리가 바뀝니다.",
      block: "{b}번 블록", head: "{h}번 헤드", clsToken: "분류 토큰", patch: "{n}번 패치",
      rollout: "어텐션 롤아웃",
      rolloutNote: "블록 네 개의 어텐션을 곱해, 마지막 블록 뒤의 분류 토큰이 각 패치에서 얼마나 가져오는지 봅니다.",
      clsOut: "CLS 출력 (64)",
      clsOutNote: "마지막 블록과 마지막 레이어 정규화를 지난 분류 토큰의 벡터입니다. 분류기는 이 벡터만 봅니다.",
      logits: "로짓과 확률", logitsTitle: "로짓", probsTitle: "확률",
      nojs: "이 그림은 자바스크립트가 필요합니다.",
    },
  };
  const STYLE = `
.vit-live{margin:1rem 0;font-size:.9rem;line-height:1.35}
.vit-live .vl-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.8rem}
.vit-live .vl-panel{border:1px solid #ccc;border-radius:.4rem;padding:.5rem;min-width:0}
.vit-live h4{font-size:.95rem;margin:0 0 .4rem}
.vit-live canvas{display:block;width:100%;height:auto;image-rendering:pixelated}
.vit-live canvas.vl-pad{touch-action:none;cursor:crosshair;background:#000;max-width:20rem}
.vit-live canvas.vl-input{cursor:pointer;max-width:20rem}
.vit-live .vl-row{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;margin:.4rem 0}
.vit-live button,.vit-live select{font:inherit;color:#222;background:#fff;border:1px solid #888;
border-radius:.3rem;min-height:2.2rem;padding:.1rem .5rem;max-width:100%}
.vit-live button[aria-pressed=true]{border-color:#00a5bd;box-shadow:0 0 0 2px #00e5ff}
.vit-live .vl-pred{font-size:1.15rem;font-weight:700}
.vit-live .vl-note{font-size:.8rem;opacity:.8;margin:.3rem 0 0}
.vit-live .vl-maps{display:grid;grid-template-columns:auto repeat(4,1fr);gap:.25rem;align-items:center;
font-size:.75rem}
.vit-live .vl-maps canvas{cursor:pointer}
.vit-live .vl-bars{display:grid;grid-template-columns:1.2rem 1fr 3.6rem;gap:.15rem .4rem;align-items:center;
font-variant-numeric:tabular-nums;font-size:.8rem}
.vit-live .vl-bar{height:.8rem;background:#eee;position:relative}
.vit-live .vl-bar span{position:absolute;top:0;bottom:0;background:#1a73e8}
.vit-live .vl-bar span.vl-neg{background:#d6604d}
.vit-live .vl-bars .vl-top{font-weight:700}
.vit-live .vl-pair{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
@media (max-width:575.98px){.vit-live .vl-pair{grid-template-columns:1fr}}
@media (min-width:48rem){.vit-live .vl-wide{grid-column:span 2}}`;
  const PAD = 224, SIDE = 28, SCALE = 8;  // pad pixels; input side; input canvas pixels per pixel
  const fill = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  /** values (rows x cols) as a heat map, one canvas pixel per value; lut 256 RGB; [lo, hi]. */
  function heat(canvas, values, rows, cols, lut, lo, hi) {
    if (canvas.width !== cols || canvas.height !== rows) { canvas.width = cols; canvas.height = rows; }
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows), px = img.data;
    const k = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < rows * cols; i++) {
      const c = 3 * Math.max(0, Math.min(255, Math.round((values[i] - lo) * k)));
      px[4 * i] = lut[c]; px[4 * i + 1] = lut[c + 1]; px[4 * i + 2] = lut[c + 2]; px[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  const absMax = (v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-12);

  // chapter number -> its page (the book's pages sit side by side in nbs/)
  const PAGES = { 1: "01_patches", 2: "02_patch_embedding", 3: "03_cls_token", 4: "04_position",
    5: "05_qkv", 6: "06_scores", 7: "07_aggregation", 8: "08_multi_head", 11: "11_encoder",
    12: "12_classifier", 13: "13_training", 14: "14_inside" };

  /** A panel titled "Chapters 3, 4 · title" (each number a link to its chapter) in grid. */
  function panel(grid, T, chapters, title, note) {
    const p = el("section", "vl-panel"), h = el("h4");
    const [before, after] = chapters.length > 1 ? T.chs : T.ch;
    h.append(before);
    chapters.forEach((c, i) => {
      const a = el("a", null, String(c));
      a.href = `${PAGES[c]}.html`;
      h.append(...(i ? [", ", a] : [a]));
    });
    h.append(`${after} · ${title}`);
    p.append(h);
    grid.append(p);
    if (note) p.note = el("p", "vl-note", note);
    return p;
  }

  function init(root, VitLit, D) {
    const lang = (document.documentElement.lang || "en").slice(0, 2) === "ko" ? "ko" : "en";
    const T = TEXT[lang];
    const model = VitLit.loadModel(VitLit.fromBase64(D.weights));
    const digitBytes = VitLit.fromBase64(D.digits), grey = new Uint8Array(768);
    for (let i = 0; i < 256; i++) grey.fill(i, 3 * i, 3 * i + 3);
    const magma = VitLit.fromBase64(D.lut.attention), signed = VitLit.fromBase64(D.lut.signed);
    const { grid: G, n, N, heads, depth, dim } = model;
    const state = { digit: null, query: 0, updates: 0 };
    const timings = [];

    // -- the pad and its controls
    const grid = el("div", "vl-grid");
    const padPanel = el("section", "vl-panel");
    const pad = el("canvas", "vl-pad");
    pad.width = pad.height = PAD;
    const pctx = pad.getContext("2d", { willReadFrequently: true });
    const controls = el("div", "vl-row"), clear = el("button", "vl-clear", T.clear);
    clear.type = "button";
    const select = el("select", "vl-digits");
    select.setAttribute("aria-label", T.digit);
    select.append(Object.assign(el("option", null, `${T.digit}: ${T.pick}`), { value: "" }));
    D.labels.forEach((label, k) => select.append(Object.assign(
      el("option", null, fill(T.option, { k, label })), { value: String(k) })));
    const pred = el("span", "vl-pred");
    controls.append(clear, select);
    padPanel.append(el("p", "vl-note", T.draw), pad, controls, pred);
    grid.append(padPanel);

    // -- one panel per step, linked to its chapter
    const pIn = panel(grid, T, [1], T.input, T.inputNote);
    const input = el("canvas", "vl-input");
    input.width = input.height = SIDE * SCALE;
    const patches = el("canvas", "vl-patches");
    pIn.append(input, el("p", "vl-note", T.patches), patches, pIn.note);
    const pEmb = panel(grid, T, [2], T.embed, T.embedNote);
    const emb = el("canvas", "vl-embed");
    pEmb.append(emb, pEmb.note);
    const pTok = panel(grid, T, [3, 4], T.tokens, T.tokensNote);
    const tok = el("canvas", "vl-tokens");
    pTok.append(tok, pTok.note);
    const pAtt = panel(grid, T, [5, 6, 7, 8, 11], T.attention);
    pAtt.classList.add("vl-wide");
    const cls = el("button", "vl-cls", "CLS");
    cls.type = "button";
    const attNote = el("p", "vl-note");
    const maps = el("div", "vl-maps"), mapCanvases = [];
    maps.append(el("span"));
    for (let h = 0; h < heads; h++) maps.append(el("span", null, fill(T.head, { h })));
    for (let b = 0; b < depth; b++) {
      maps.append(el("span", null, fill(T.block, { b })));
      for (let h = 0; h < heads; h++) {
        const c = el("canvas", "vl-map");
        c.dataset.block = b; c.dataset.head = h;
        maps.append(c);
        mapCanvases.push(c);
      }
    }
    const clsRow = el("div", "vl-row");
    clsRow.append(cls);
    pAtt.append(clsRow, maps, attNote);
    const pRoll = panel(grid, T, [14], T.rollout, T.rolloutNote);
    const roll = el("canvas", "vl-rollout");
    roll.width = roll.height = SIDE * SCALE;
    pRoll.append(roll, pRoll.note);
    const pCls = panel(grid, T, [12], T.clsOut, T.clsOutNote);
    const clsOut = el("canvas", "vl-clsout");
    pCls.append(clsOut, pCls.note);
    const pLog = panel(grid, T, [12, 13], T.logits);
    const pair = el("div", "vl-pair"), logitBars = el("div", "vl-bars vl-logits"),
      probBars = el("div", "vl-bars vl-probs");
    const barsOf = (box) => Array.from({ length: model.classes }, (_, c) => {
      const label = el("span", null, String(c)), bar = el("div", "vl-bar"), fillEl = el("span"),
        value = el("span");
      bar.append(fillEl);
      box.append(label, bar, value);
      return { label, fillEl, value };
    });
    const lb = barsOf(logitBars), pb = barsOf(probBars);
    const col = (title, box) => { const d = el("div"); d.append(el("p", "vl-note", title), box); return d; };
    pair.append(col(T.logitsTitle, logitBars), col(T.probsTitle, probBars));
    pLog.append(pair);

    const nojs = root.querySelector(".vl-nojs");
    if (nojs) nojs.remove();
    root.append(grid);

    // -- drawing
    function blankPad() {
      pctx.fillStyle = "#000";
      pctx.fillRect(0, 0, PAD, PAD);
    }
    function padImage() {
      const rgba = pctx.getImageData(0, 0, PAD, PAD).data, out = new Float32Array(PAD * PAD);
      for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i] / 255;
      return out;
    }
    function showDigit(pixels) {  // an exact 28x28 input (a test digit), drawn on the pad as well
      state.digit = Float32Array.from(pixels);
      const small = document.createElement("canvas");
      small.width = small.height = SIDE;
      const sctx = small.getContext("2d"), img = sctx.createImageData(SIDE, SIDE);
      for (let i = 0; i < SIDE * SIDE; i++) {
        const v = Math.round(state.digit[i] * 255);
        img.data.set([v, v, v, 255], 4 * i);
      }
      sctx.putImageData(img, 0, 0);
      pctx.imageSmoothingEnabled = false;
      pctx.drawImage(small, 0, 0, PAD, PAD);
      update();
    }
    let last = null, frame = 0;
    const at = (e) => {
      const r = pad.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * PAD, ((e.clientY - r.top) / r.height) * PAD];
    };
    function schedule() {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; update(); });
    }
    function stroke(to) {
      pctx.strokeStyle = "#fff";
      pctx.lineWidth = 18;
      pctx.lineCap = pctx.lineJoin = "round";
      pctx.beginPath();
      pctx.moveTo(...(last || to));
      pctx.lineTo(...to);
      pctx.stroke();
      last = to;
      state.digit = null;  // the pad now holds a drawing: preprocess it
      select.value = "";
      schedule();
    }
    pad.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      pad.setPointerCapture(e.pointerId);
      last = null;
      stroke(at(e));
    });
    pad.addEventListener("pointermove", (e) => { if (last) stroke(at(e)); });
    const end = () => { last = null; };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    clear.addEventListener("click", () => { blankPad(); state.digit = null; select.value = ""; update(); });
    select.addEventListener("change", () => {
      if (select.value === "") return;
      const k = Number(select.value);
      showDigit(Array.from(digitBytes.subarray(k * SIDE * SIDE, (k + 1) * SIDE * SIDE), (v) => v / 255));
      select.value = String(k);
    });
    const pickQuery = (canvas, e) => {
      const r = canvas.getBoundingClientRect();
      const gx = Math.min(G - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * G)));
      const gy = Math.min(G - 1, Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * G)));
      state.query = 1 + gy * G + gx;
      update();
    };
    input.addEventListener("click", (e) => pickQuery(input, e));
    mapCanvases.forEach((c) => c.addEventListener("click", (e) => pickQuery(c, e)));
    cls.addEventListener("click", () => { state.query = 0; update(); });

    // -- every step, redrawn
    function drawInput(image, result) {
      const ctx = input.getContext("2d"), S = SCALE * (SIDE / G);
      const small = document.createElement("canvas");
      heat(small, image, SIDE, SIDE, grey, 0, 1);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, input.width, input.height);
      ctx.strokeStyle = "rgba(0,229,255,.45)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let k = 1; k < G; k++) {
        ctx.moveTo(k * S + 0.5, 0); ctx.lineTo(k * S + 0.5, input.height);
        ctx.moveTo(0, k * S + 0.5); ctx.lineTo(input.width, k * S + 0.5);
      }
      ctx.stroke();
      if (state.query > 0) {
        const q = state.query - 1;
        ctx.strokeStyle = "#00e5ff";
        ctx.lineWidth = 3;
        ctx.strokeRect((q % G) * S + 1.5, Math.floor(q / G) * S + 1.5, S - 3, S - 3);
      }
      heat(patches, transpose(result.patches, n, model.p * model.p), model.p * model.p, n, grey, 0, 1);
      // the rollout over the input
      const rctx = roll.getContext("2d"), rc = document.createElement("canvas");
      heat(rc, result.rollout, G, G, magma, 0, Math.max(...result.rollout));
      rctx.imageSmoothingEnabled = false;
      rctx.globalAlpha = 1;
      rctx.drawImage(small, 0, 0, roll.width, roll.height);
      rctx.globalAlpha = 0.65;
      rctx.drawImage(rc, 0, 0, roll.width, roll.height);
      rctx.globalAlpha = 1;
    }
    function transpose(a, rows, cols) {
      const t = new Float32Array(a.length);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
      return t;
    }
    function bars(rows, values, lo, hi, digits) {
      const best = values.indexOf(Math.max(...values)), span = hi - lo || 1;
      rows.forEach((r, c) => {
        const v = values[c], zero = ((0 - lo) / span) * 100, end = ((v - lo) / span) * 100;
        r.fillEl.style.left = `${Math.min(zero, end)}%`;
        r.fillEl.style.width = `${Math.abs(end - zero)}%`;
        r.fillEl.className = v < 0 ? "vl-neg" : "";
        r.value.textContent = v.toFixed(digits);
        r.label.className = r.value.className = c === best ? "vl-top" : "";
      });
    }

    function update() {
      const t0 = performance.now();
      const image = state.digit || VitLit.mnistLike(padImage(), PAD, PAD) || new Float32Array(SIDE * SIDE);
      const blank = !image.some((v) => v > 0);
      const r = VitLit.forward(model, image);
      drawInput(image, r);
      const e = absMax(r.embedded);
      heat(emb, r.embedded, n, dim, signed, -e, e);
      const t = absMax(r.tokens);
      heat(tok, r.tokens, N, dim, signed, -t, t);
      r.blocks.forEach((b, k) => {
        for (let h = 0; h < heads; h++) {
          const row = b.weights.subarray((h * N + state.query) * N + 1, (h * N + state.query + 1) * N);
          heat(mapCanvases[k * heads + h], row, G, G, magma, 0, Math.max(...row));
        }
      });
      const c = absMax(r.cls);
      heat(clsOut, r.cls, 4, 16, signed, -c, c);
      const lmax = absMax(r.logits);
      bars(lb, r.logits, Math.min(0, ...r.logits), Math.max(lmax, ...r.logits), 2);
      bars(pb, r.probs, 0, 1, 3);
      const best = r.probs.indexOf(Math.max(...r.probs));
      pred.textContent = blank ? T.blank : fill(T.prediction, { c: best, p: (100 * r.probs[best]).toFixed(1) });
      attNote.textContent = fill(T.attentionNote, {
        q: state.query ? fill(T.patch, { n: state.query - 1 }) : T.clsToken });
      cls.setAttribute("aria-pressed", String(state.query === 0));
      state.updates += 1;
      Object.assign(root.dataset, { prediction: blank ? "" : String(best), query: String(state.query),
        updates: String(state.updates), logits: JSON.stringify(Array.from(r.logits)) });
      root.vitLive.result = r;
      timings.push(performance.now() - t0);
    }

    root.vitLive = { update, showDigit, timings, result: null };
    blankPad();
    showDigit(Array.from(digitBytes.subarray(0, SIDE * SIDE), (v) => v / 255));
    select.value = "0";
  }

  function start() {
    const VitLit = window.VitLit, D = window.VitLitData;
    const roots = document.querySelectorAll(".vit-live:not([data-ready])");
    if (!roots.length) return;
    if (!VitLit || !D) throw new Error("the live figure needs vit.js and vit-live-data.js loaded first");
    if (!document.getElementById("vit-live-style")) {
      const style = el("style", null, STYLE);
      style.id = "vit-live-style";
      document.head.append(style);
    }
    roots.forEach((root) => { root.dataset.ready = "1"; init(root, VitLit, D); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
