// Runs an exported signsnet model in ONNX Runtime (onnxruntime-node, CPU) and compares it with
// signsnet's own probabilities for the same images.
//
// Usage: node onnx_check.js CASE.json
//
// CASE.json (written by tests/onnx/runtime_test.cpp):
//   model        the .onnx file
//   input_name   its input, output_name its output
//   inputs       raw little-endian float32 images, count x image_shape
//   image_shape  one image's dimensions in the model's input layout, e.g. [64, 64, 3]
//   expected     raw little-endian float32 probabilities from signsnet, count x classes
//   count, classes
//   batches      batch sizes to run the whole set with, e.g. [120, 7] (a last partial batch too)
//   tolerance    largest allowed |p_ort - p_signsnet|
//   labels       optional, count integers: accuracies are reported
//   result       optional, a JSON file to write the figures to
//
// Exit codes: 0 the same classes and probabilities within tolerance; 1 a class differs or a
// probability is off by more; 2 a bad case file, missing inputs, or ONNX Runtime failed.
'use strict';

const fs = require('fs');
const path = require('path');

function die(code, message) {
  console.error(`onnx_check: ${message}`);
  process.exit(code);
}

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    die(2, `cannot load onnxruntime-node from ${path.join(__dirname, 'node_modules')} ` +
               `(run scripts/install-deps.sh, or npm ci --ignore-scripts in tests/node): ${e.message}`);
  }
}

function readFloats(file, count, what) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    die(2, `${what}: cannot read ${file}: ${e.message}`);
  }
  if (bytes.length !== count * 4) {
    die(2, `${what}: expected ${count * 4} bytes (${count} float32) in ${file}, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(count);
  for (let i = 0; i < count; ++i) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function readCase(file) {
  let c;
  try {
    c = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    die(2, `cannot read the case file ${file}: ${e.message}`);
  }
  for (const key of ['model', 'input_name', 'output_name', 'inputs', 'image_shape', 'expected',
                     'count', 'classes', 'batches', 'tolerance']) {
    if (c[key] === undefined) die(2, `${file}: ${key}: expected a value, got none`);
  }
  return c;
}

function argmax(p, offset, n) {
  let best = 0;
  for (let k = 1; k < n; ++k) {
    if (p[offset + k] > p[offset + best]) best = k;
  }
  return best;
}

// Runs all `count` images through `session`, `batch` at a time; returns count x classes floats.
async function runAll(ort, session, c, images, batch) {
  const perImage = c.image_shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(c.count * c.classes);
  for (let first = 0; first < c.count; first += batch) {
    const n = Math.min(batch, c.count - first);
    const x = images.subarray(first * perImage, (first + n) * perImage);
    const feeds = {[c.input_name]: new ort.Tensor('float32', x, [n, ...c.image_shape])};
    const result = await session.run(feeds);
    const y = result[c.output_name];
    if (!y || y.dims.length !== 2 || y.dims[0] !== n || y.dims[1] !== c.classes) {
      die(2, `${c.model}: ${c.output_name}: expected dims [${n}, ${c.classes}], got ` +
                 (y ? `[${y.dims.join(', ')}]` : 'no such output'));
    }
    out.set(y.data, first * c.classes);
  }
  return out;
}

// Classes and probabilities of `ort` against `expected`.
function compare(c, ort, expected) {
  let maxDiff = 0, agree = 0, ortCorrect = 0, signsnetCorrect = 0, nan = false;
  const mismatches = [];
  for (let i = 0; i < c.count; ++i) {
    const o = i * c.classes;
    for (let k = 0; k < c.classes; ++k) {
      const d = Math.abs(ort[o + k] - expected[o + k]);
      if (Number.isNaN(d)) nan = true;
      else if (d > maxDiff) maxDiff = d;
    }
    const a = argmax(ort, o, c.classes), b = argmax(expected, o, c.classes);
    if (a === b) ++agree;
    else mismatches.push(`image ${i}: ONNX Runtime ${a}, signsnet ${b}`);
    if (c.labels) {
      ortCorrect += a === c.labels[i];
      signsnetCorrect += b === c.labels[i];
    }
  }
  if (nan) maxDiff = NaN;  // fails the tolerance check
  return {maxDiff, agree, mismatches, ortCorrect, signsnetCorrect};
}

async function main() {
  if (process.argv.length !== 3) die(2, 'usage: node onnx_check.js CASE.json');
  const c = readCase(process.argv[2]);
  const ort = loadOrt();
  const perImage = c.image_shape.reduce((a, b) => a * b, 1);
  const images = readFloats(c.inputs, c.count * perImage, 'inputs');
  const expected = readFloats(c.expected, c.count * c.classes, 'expected');
  let session;
  try {
    session = await ort.InferenceSession.create(c.model, {executionProviders: ['cpu']});
  } catch (e) {
    die(2, `${c.model}: ONNX Runtime cannot load it: ${e.message}`);
  }
  const runs = [];
  let failed = false;
  for (const batch of c.batches) {
    const r = compare(c, await runAll(ort, session, c, images, batch), expected);
    const ok = r.agree === c.count && r.maxDiff <= c.tolerance;
    failed = failed || !ok;
    let line = `onnx_check: ${path.basename(c.model)}: ${c.count} images in batches of ${batch}: ` +
               `classes agree ${r.agree}/${c.count}, max |p_ort - p_signsnet| ${r.maxDiff.toExponential(2)} ` +
               `(tolerance ${c.tolerance})`;
    if (c.labels) line += `, accuracy ORT ${r.ortCorrect}/${c.count}, signsnet ${r.signsnetCorrect}/${c.count}`;
    console.log(`${line}${ok ? '' : ' FAILED'}`);
    for (const m of r.mismatches.slice(0, 10)) console.log(`  class mismatch: ${m}`);
    runs.push({batch, max_abs_diff: r.maxDiff, agree: r.agree, ort_correct: r.ortCorrect,
               signsnet_correct: r.signsnetCorrect, ok});
  }
  if (c.result) fs.writeFileSync(c.result, JSON.stringify({count: c.count, runs}, null, 1));
  if (failed) die(1, `${c.model}: ONNX Runtime and signsnet differ (see above)`);
}

main().catch((e) => die(2, e.stack || String(e)));
