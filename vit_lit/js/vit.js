// vit_lit's Vision Transformer in plain JavaScript, for the book's live figure (live.js) and the
// Node tests (tests/js/): the forward pass of vit_lit.model.ViT over Float32Arrays, one function
// per step of the book, each returning what the page draws; and mnistLike, the JavaScript twin of
// vit_lit.data.mnist_like. Weights are read straight from the shipped .safetensors bytes.
// Runs in a browser (window.VitLit) and in Node (require).
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.VitLit = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // ---- weights: the .safetensors format (8-byte header length, JSON header, raw little-endian) ----

  /** Bytes (Uint8Array) of a .safetensors file -> {config, tensors: {name: {shape, data}}}. */
  function readSafetensors(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const start = 8 + n, tensors = {};
    for (const [name, t] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      if (t.dtype !== "F32") throw new Error(`${name}: dtype ${t.dtype}, expected F32`);
      const [a, b] = t.data_offsets;
      // copied so that the data is 4-byte aligned whatever the header length
      const data = new Float32Array(bytes.slice(start + a, start + b).buffer);
      tensors[name] = { shape: t.shape, data };
    }
    const meta = header.__metadata__ || {};
    return { config: JSON.parse(meta.config || "{}"), tensors };
  }

  /** Base64 text -> Uint8Array (browser atob, or Node's Buffer). */
  function fromBase64(text) {
    if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(text, "base64"));
    const s = atob(text), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // ---- the steps, each on row-major Float32Arrays ----

  /** y (rows, out) = x (rows, in) W^T + b, W (out, in) as nn.Linear stores it. */
  function linear(x, rows, W, b, nIn, nOut) {
    const y = new Float32Array(rows * nOut);
    for (let r = 0; r < rows; r++) {
      const xo = r * nIn;
      for (let o = 0; o < nOut; o++) {
        let s = b ? b[o] : 0;
        const wo = o * nIn;
        for (let i = 0; i < nIn; i++) s += x[xo + i] * W[wo + i];
        y[r * nOut + o] = s;
      }
    }
    return y;
  }

  /** LayerNorm over the last axis of x (rows, d). */
  function layerNorm(x, rows, d, w, b, eps) {
    const y = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      let mean = 0, v = 0;
      for (let i = 0; i < d; i++) mean += x[r * d + i];
      mean /= d;
      for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / d + eps);
      for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
    }
    return y;
  }

  /** erf, |error| < 1.2e-7 (Numerical Recipes' erfc, Chebyshev fit). */
  function erf(x) {
    const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
    const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
      t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - r : r - 1;
  }

  const gelu = (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));

  /** Step 1 (chapter 1): (H, W) image -> (n, p*p) patches, row by row (vit_lit.patchify). */
  function patchify(image, size, p) {
    const g = size / p, out = new Float32Array(g * g * p * p);
    for (let gy = 0; gy < g; gy++)
      for (let gx = 0; gx < g; gx++)
        for (let y = 0; y < p; y++)
          for (let x = 0; x < p; x++)
            out[((gy * g + gx) * p + y) * p + x] = image[(gy * p + y) * size + gx * p + x];
    return out;
  }

  /** Step 2 (chapter 2): the same linear map on every patch, (n, p*p) -> (n, dim). */
  function embed(model, patches) {
    const { dim, n, p } = model;
    const t = model.tensors;
    return linear(patches, n, t["embed.patch_embed.proj.weight"].data,
      t["embed.patch_embed.proj.bias"].data, p * p, dim);
  }

  /** Steps 3-4 (chapters 3-4): the CLS token in front, positions added: (n+1, dim). */
  function tokens(model, embedded) {
    const { dim } = model, t = model.tensors;
    const out = new Float32Array(embedded.length + dim);
    out.set(t["embed.cls_token"].data, 0);
    out.set(embedded, dim);
    const pos = t["embed.pos_embed"].data;
    for (let i = 0; i < out.length; i++) out[i] += pos[i];
    return out;
  }

  /** Steps 5-8 (chapters 5-8): multi-head self-attention of x (N, dim), already normed.
   * Returns {out (N, dim), weights (heads, N, N)}. */
  function attention(model, k, x) {
    const { dim, heads, N } = model, t = model.tensors, dh = dim / heads, pre = `blocks.${k}.attn.`;
    const qkv = linear(x, N, t[pre + "qkv.weight"].data, t[pre + "qkv.bias"].data, dim, 3 * dim);
    const weights = new Float32Array(heads * N * N), ctx = new Float32Array(N * dim);
    const q = new Float32Array(N * dh), key = new Float32Array(N * dh), v = new Float32Array(N * dh);
    const scale = dh ** -0.5, row = new Float64Array(N), acc = new Float64Array(dh);
    for (let h = 0; h < heads; h++) {
      // this head's queries (scaled, as attention_weights does), keys and values: "(three h d_head)"
      for (let i = 0; i < N; i++)
        for (let d = 0; d < dh; d++) {
          const o = i * 3 * dim + h * dh + d;
          q[i * dh + d] = qkv[o] * scale;
          key[i * dh + d] = qkv[o + dim];
          v[i * dh + d] = qkv[o + 2 * dim];
        }
      for (let i = 0; i < N; i++) {
        let max = -Infinity;
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[i * dh + d] * key[j * dh + d];
          row[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < N; j++) sum += (row[j] = Math.exp(row[j] - max));
        const wo = (h * N + i) * N;
        acc.fill(0);
        for (let j = 0; j < N; j++) {
          const w = (weights[wo + j] = row[j] / sum);
          for (let d = 0; d < dh; d++) acc[d] += w * v[j * dh + d];
        }
        for (let d = 0; d < dh; d++) ctx[i * dim + h * dh + d] = acc[d];
      }
    }
    const out = linear(ctx, N, t[pre + "proj.weight"].data, t[pre + "proj.bias"].data, dim, dim);
    return { out, weights };
  }

  /** Steps 9-11 (chapters 9-11): one pre-norm encoder block, (N, dim) -> (N, dim). */
  function block(model, k, x) {
    const { dim, N, mlp, eps } = model, t = model.tensors, pre = `blocks.${k}.`;
    const a = attention(model, k,
      layerNorm(x, N, dim, t[pre + "norm1.weight"].data, t[pre + "norm1.bias"].data, eps));
    const y = new Float32Array(x.length);
    for (let i = 0; i < y.length; i++) y[i] = x[i] + a.out[i];
    const h = linear(layerNorm(y, N, dim, t[pre + "norm2.weight"].data, t[pre + "norm2.bias"].data, eps),
      N, t[pre + "mlp.fc1.weight"].data, t[pre + "mlp.fc1.bias"].data, dim, mlp);
    for (let i = 0; i < h.length; i++) h[i] = gelu(h[i]);
    const f = linear(h, N, t[pre + "mlp.fc2.weight"].data, t[pre + "mlp.fc2.bias"].data, mlp, dim);
    for (let i = 0; i < y.length; i++) y[i] += f[i];
    return { out: y, weights: a.weights };
  }

  /** Steps 12-13 (chapters 12-13): final norm, the CLS row into the head, softmax. */
  function classifier(model, x) {
    const { dim, N, eps, classes } = model, t = model.tensors;
    const normed = layerNorm(x, N, dim, t["norm.weight"].data, t["norm.bias"].data, eps);
    const cls = normed.slice(0, dim);
    const logits = linear(cls, 1, t["head.weight"].data, t["head.bias"].data, dim, classes);
    const max = Math.max(...logits), e = Array.from(logits, (v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return { cls, logits, probs: Float32Array.from(e, (v) => v / sum) };
  }

  /** Chapter 14: attention rollout (vit_lit.explain.attention_rollout, heads averaged, nothing
   * discarded): the CLS token's row over the n patches after the last block. */
  function rollout(model, maps) {
    const { heads, N } = model;
    let r = null;
    for (const w of maps) {
      const a = new Float64Array(N * N);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < N * N; i++) a[i] += w[h * N * N + i] / heads;
      for (let i = 0; i < N; i++) {
        a[i * N + i] += 1;
        let s = 0;
        for (let j = 0; j < N; j++) s += a[i * N + j];
        for (let j = 0; j < N; j++) a[i * N + j] /= s;
      }
      if (!r) { r = a; continue; }
      const next = new Float64Array(N * N);  // a @ r: the later block on the left
      for (let i = 0; i < N; i++)
        for (let k = 0; k < N; k++) {
          const v = a[i * N + k];
          for (let j = 0; j < N; j++) next[i * N + j] += v * r[k * N + j];
        }
      r = next;
    }
    return Float32Array.from(r.subarray(1, N));
  }

  /** A model from the bytes of a vit_lit .safetensors file. */
  function loadModel(bytes) {
    const { config, tensors } = readSafetensors(bytes);
    const size = config.image_size, p = config.patch_size, n = (size / p) ** 2;
    if (config.channels !== 1) throw new Error(`the live figure draws grey images, got ${config.channels} channels`);
    return { size, p, n, N: n + 1, grid: size / p, dim: config.dim, heads: config.heads,
      depth: config.depth, mlp: config.mlp_dim, eps: config.eps, classes: config.num_classes,
      config, tensors };
  }

  /** Every step for one image (size*size values in [0, 1]). */
  function forward(model, image) {
    const patches = patchify(image, model.size, model.p);
    const embedded = embed(model, patches);
    let x = tokens(model, embedded);
    const input = x, blocks = [];
    for (let k = 0; k < model.depth; k++) {
      const b = block(model, k, x);
      blocks.push(b);
      x = b.out;
    }
    const head = classifier(model, x);
    return { image, patches, embedded, tokens: input, blocks,
      rollout: rollout(model, blocks.map((b) => b.weights)), ...head };
  }

  // ---- MNIST-like preprocessing: vit_lit.data.mnist_like, step for step ----

  /** The (nOut, nIn) triangle-filter resampling matrix, rows summing to 1 (anti-aliased). */
  function resampleMatrix(nIn, nOut) {
    const scale = nIn / nOut, support = Math.max(scale, 1), m = new Float64Array(nOut * nIn);
    for (let o = 0; o < nOut; o++) {
      const centre = (o + 0.5) * scale;
      let s = 0;
      for (let i = 0; i < nIn; i++) {
        const w = Math.max(0, 1 - Math.abs((i + 0.5 - centre) / support));
        m[o * nIn + i] = w;
        s += w;
      }
      for (let i = 0; i < nIn; i++) m[o * nIn + i] /= s;
    }
    return m;
  }

  /** A drawing (h*w values in [0, 1], white ink on black) -> 28x28 Float32Array prepared as
   * MNIST's digits are (vit_lit.data.mnist_like), or null when nothing is drawn. */
  function mnistLike(pixels, h, w) {
    let top = h, bottom = -1, left = w, right = -1;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        if (pixels[y * w + x] > 0) {
          if (y < top) top = y;
          if (y > bottom) bottom = y;
          if (x < left) left = x;
          if (x > right) right = x;
        }
    if (bottom < 0) return null;
    const ch = bottom - top + 1, cw = right - left + 1, box = 20, size = 28, side = Math.max(ch, cw);
    const nh = Math.max(1, Math.floor((ch * box) / side + 0.5)), nw = Math.max(1, Math.floor((cw * box) / side + 0.5));
    const my = resampleMatrix(ch, nh), mx = resampleMatrix(cw, nw);
    const rows = new Float64Array(nh * cw);  // my @ crop
    for (let o = 0; o < nh; o++)
      for (let i = 0; i < ch; i++) {
        const v = my[o * ch + i];
        if (v === 0) continue;
        for (let x = 0; x < cw; x++) rows[o * cw + x] += v * pixels[(top + i) * w + left + x];
      }
    const small = new Float64Array(nh * nw);  // (my @ crop) @ mx^T
    for (let o = 0; o < nh; o++)
      for (let q = 0; q < nw; q++) {
        let s = 0;
        for (let x = 0; x < cw; x++) s += rows[o * cw + x] * mx[q * cw + x];
        small[o * nw + q] = s;
      }
    let mass = 0, cy = 0, cx = 0;
    for (let y = 0; y < nh; y++)
      for (let x = 0; x < nw; x++) {
        const v = small[y * nw + x];
        mass += v; cy += v * y; cx += v * x;
      }
    cy /= mass; cx /= mass;
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
    const oy = clamp(Math.floor((size - 1) / 2 - cy + 0.5), 0, size - nh);
    const ox = clamp(Math.floor((size - 1) / 2 - cx + 0.5), 0, size - nw);
    const out = new Float32Array(size * size);
    for (let y = 0; y < nh; y++)
      for (let x = 0; x < nw; x++) out[(oy + y) * size + ox + x] = clamp(small[y * nw + x], 0, 1);
    return out;
  }

  return { readSafetensors, fromBase64, loadModel, patchify, embed, tokens, attention, block,
    classifier, rollout, forward, mnistLike, erf };
});
