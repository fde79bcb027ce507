import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { expandWganRuns, WganExperiment } from '../src/wgan/config.js';
import { crc32, encodePngGray, sampleGrid } from '../src/wgan/png.js';
import { readWganRows, VERDICTS_CSV } from '../src/wgan/rows.js';
import { runWganExperiment } from '../src/wgan/run.js';
import { testBackend } from './helpers/setup.js';
import { initBackend } from '../src/node/backend.js';

/** Width, height and raw pixels of an 8-bit greyscale PNG written by encodePngGray. */
function decodePngGray(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (;;) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...png.subarray(off + 4, off + 8));
    const data = png.subarray(off + 8, off + 8 + len);
    assert.equal(view.getUint32(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      assert.equal(data[8], 8, 'bit depth');
      assert.equal(data[9], 0, 'greyscale');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (width + 1));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  return { width, height, pixels };
}

test('PNG encoder round-trips; the grid tiles images in row-major order', () => {
  const px = Uint8Array.from({ length: 7 * 3 }, (_, i) => (i * 37) % 256);
  const back = decodePngGray(encodePngGray(7, 3, px));
  assert.equal(back.width, 7);
  assert.equal(back.height, 3);
  assert.deepEqual([...back.pixels], [...px]);
  // Two 2×2 images, the second all white, in a 1×2 grid with gap 1 and scale 1.
  const g = sampleGrid(Float32Array.of(0, 0, 0, 0, 1, 1, 1, 1), 2, 2, 1, 2, { gap: 1, scale: 1, background: 9 });
  assert.equal(g.width, 7);
  assert.equal(g.height, 4);
  assert.deepEqual([...g.pixels.subarray(7, 14)], [9, 0, 0, 9, 255, 255, 9]);
});

test('a tiny WGAN run writes wgan.csv, sample grids, verdicts and the report; a rerun skips it', async () => {
  await testBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lipbench-wgan-'));
  try {
    const config = WganExperiment.parse({
      name: 'tiny-wgan',
      data: { trainSize: 96, evalSize: 64 },
      models: { noiseDim: 8, generatorFilters: [4, 4], criticFilters: [4, 4] },
      variants: [{ kind: 'gp' }, { kind: 'sn' }],
      seeds: [0],
      train: { epochs: 1, batchSize: 16, evalSamples: 64 },
      lipschitz: { points: 8, maxIters: 30, tol: 1e-3 },
      featureClassifier: { trainSize: 300, epochs: 1, filters: [4], features: 8 },
    });
    const loaded = { source: 'test', config, runs: expandWganRuns(config) };
    const backend = await initBackend('cpu');
    const quiet = () => {};
    const s = await runWganExperiment(loaded, { resultsRoot: root, backend, log: quiet });
    assert.equal(s.trained, 2);
    assert.equal(s.failed, 0);
    const dir = path.join(root, 'tiny-wgan');
    const rows = readWganRows(dir);
    assert.equal(rows.length, 4, 'epoch 0 and epoch 1 for each of 2 runs');
    for (const r of rows) {
      assert.ok(Number.isFinite(r.frechet) && r.frechet! > 0, `FD ${r.frechet}`);
      assert.ok(r.confidence! > 0 && r.confidence! <= 1);
      assert.ok(r.lipUpper! > 0);
      // Gradient norms are lower bounds: never above the sound upper bound.
      for (const lower of [r.lipLowerReal!, r.lipLowerFake!, r.lipLowerInterp!]) assert.ok(lower <= r.lipUpper! * (1 + 1e-4), `${lower} > ${r.lipUpper}`);
      const png = decodePngGray(fs.readFileSync(path.join(dir, r.samples)));
      assert.equal(png.width, 8 * (56 + 2) + 2, '8×8 grid of 2× upscaled 28×28 digits');
    }
    const trained = rows.filter((r) => r.epoch === 1);
    assert.ok(trained.every((r) => r.criticSteps === 6 && r.generatorSteps === 1 && r.secondsPerCriticStep! > 0 && r.epochSeconds! > 0));
    assert.ok(fs.existsSync(path.join(dir, VERDICTS_CSV)));
    assert.ok(fs.existsSync(path.join(dir, 'charts', 'wgan-quality-vs-epoch.png')));
    assert.match(fs.readFileSync(path.join(dir, 'report.html'), 'utf8'), /Verdicts on the seed post/);
    assert.ok(fs.existsSync(path.join(dir, 'runs', rows[0]!.runId, 'generator', 'model.json')));
    const again = await runWganExperiment(loaded, { resultsRoot: root, backend, log: quiet, report: false });
    assert.equal(again.trained, 0);
    assert.equal(again.skipped, 2);
    assert.equal(readWganRows(dir).length, 4, 'no duplicate rows');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
