// The page's JavaScript (vit_lit/js/vit.js) against PyTorch: logits on all 1,000 MNIST test digits
// within 1e-4, attention weights and rollout of one digit, and mnistLike against
// vit_lit.data.mnist_like within 1/255. The reference is written by tests/js/reference.py into
// $VIT_LIT_JS_REFERENCE (`make test-js` does both).
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");
const VitLit = require("../../vit_lit/js/vit.js");

const ROOT = path.join(__dirname, "..", "..");
const REF = process.env.VIT_LIT_JS_REFERENCE || path.join(ROOT, "_build", "js-reference");
const read = (name, Type) => {
  const b = fs.readFileSync(path.join(REF, name));
  return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT);
};
const model = VitLit.loadModel(new Uint8Array(
  fs.readFileSync(path.join(ROOT, "vit_lit", "weights", "vit_mnist_patch4_28.safetensors"))));
const maxDiff = (a, b) => {
  assert.strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test("logits equal PyTorch's within 1e-4 on all 1,000 test digits", () => {
  const digits = read("digits.u8", Uint8Array), logits = read("logits.f32", Float32Array);
  const count = digits.length / 784;
  assert.strictEqual(count, 1000);
  let worst = 0, agree = 0;
  for (let k = 0; k < count; k++) {
    const image = Float32Array.from(digits.subarray(k * 784, (k + 1) * 784), (v) => v / 255);
    const r = VitLit.forward(model, image), ref = logits.subarray(k * 10, (k + 1) * 10);
    worst = Math.max(worst, maxDiff(r.logits, ref));
    agree += r.logits.indexOf(Math.max(...r.logits)) === ref.indexOf(Math.max(...ref));
  }
  console.log(`# JS vs PyTorch logits, 1000 digits: max |diff| ${worst.toExponential(2)}, same class ${agree}/1000`);
  assert.ok(worst < 1e-4, `max |diff| ${worst}`);
  assert.strictEqual(agree, 1000);
});

test("every intermediate the page draws has its shape; attention and rollout equal PyTorch's", () => {
  const digits = read("digits.u8", Uint8Array);
  const r = VitLit.forward(model, Float32Array.from(digits.subarray(0, 784), (v) => v / 255));
  assert.strictEqual(r.patches.length, 49 * 16);
  assert.strictEqual(r.embedded.length, 49 * 64);
  assert.strictEqual(r.tokens.length, 50 * 64);
  assert.strictEqual(r.blocks.length, 4);
  assert.ok(maxDiff(r.blocks[0].weights, read("block0.f32", Float32Array)) < 1e-5);
  assert.ok(maxDiff(r.rollout, read("rollout.f32", Float32Array)) < 1e-5);
  const sum = r.probs.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6);
});

test("patchify cuts row by row, as vit_lit.patchify does", () => {
  const image = Float32Array.from({ length: 64 }, (_, i) => i);
  const p = VitLit.patchify(image, 8, 4);
  assert.deepStrictEqual(Array.from(p.subarray(16, 20)), [4, 5, 6, 7]);  // patch 1, its first row
  assert.deepStrictEqual(Array.from(p.subarray(20, 24)), [12, 13, 14, 15]);
});

test("mnistLike equals vit_lit.data.mnist_like within 1/255 on drawn-like digits", () => {
  const pads = read("pads.f32", Float32Array), prepared = read("prepared.f32", Float32Array);
  const count = prepared.length / 784, side = Math.sqrt(pads.length / count);
  let worst = 0;
  for (let k = 0; k < count; k++) {
    const out = VitLit.mnistLike(pads.subarray(k * side * side, (k + 1) * side * side), side, side);
    worst = Math.max(worst, maxDiff(out, prepared.subarray(k * 784, (k + 1) * 784)));
  }
  console.log(`# mnistLike vs mnist_like, ${count} pads: max |diff| ${worst.toExponential(2)}`);
  assert.ok(worst <= 1 / 255, `max |diff| ${worst}`);
  assert.strictEqual(VitLit.mnistLike(new Float32Array(100), 10, 10), null);  // a blank pad
});

test("erf is within 2e-7 of known values", () => {
  for (const [x, v] of [[0, 0], [0.5, 0.5204998778], [1, 0.8427007929], [-2, -0.9953222650], [3, 0.9999779095]])
    assert.ok(Math.abs(VitLit.erf(x) - v) < 2e-7, `erf(${x})`);
});
