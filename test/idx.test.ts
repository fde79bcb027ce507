import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IdxFormatError, parseIdx } from '../src/data/idx.js';
import { loadIdxSplit, mnistFiles } from '../src/node/mnist.js';
import { testBackend } from './helpers/setup.js';

function idxBytes(magicRank: number, dims: number[], payload: number[], magicType = 0x08): Uint8Array {
  const buf = Buffer.alloc(4 + 4 * dims.length + payload.length);
  buf.writeUInt32BE((magicType << 8) | magicRank, 0);
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  Buffer.from(payload).copy(buf, 4 + 4 * dims.length);
  return buf;
}

test('parseIdx reads dims and payload of a well-formed file', () => {
  const a = parseIdx(idxBytes(3, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 255]), 'ok.idx', 3);
  assert.deepEqual(a.dims, [2, 2, 2]);
  assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5, 6, 255]);
});

test('parseIdx rejects a wrong magic number, naming the file', () => {
  assert.throws(() => parseIdx(idxBytes(3, [1, 1, 1], [0], 0x0d), 'bad-type.idx', 3), (e: Error) => e instanceof IdxFormatError && /bad-type\.idx: bad magic number/.test(e.message));
  assert.throws(() => parseIdx(idxBytes(1, [1], [0]), 'labels-as-images.idx', 3), /labels-as-images\.idx: bad magic number .*rank 1, expected 3/);
});

test('parseIdx rejects truncated files', () => {
  const full = idxBytes(3, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.throws(() => parseIdx(full.subarray(0, full.length - 1), 'short.idx', 3), /short\.idx: truncated: header says 2×2×2 = 8 bytes of data, file has 7/);
  assert.throws(() => parseIdx(full.subarray(0, 6), 'tiny.idx', 3), /tiny\.idx: truncated header/);
  assert.throws(() => parseIdx(new Uint8Array(2), 'empty.idx', 3), /empty\.idx: truncated/);
});

test('a missing file gets an error naming it', async () => {
  await testBackend();
  assert.throws(() => loadIdxSplit('/nonexistent/images', '/nonexistent/labels', undefined, undefined), /\/nonexistent\/images: cannot read \(ENOENT\)/);
});

test('a label file of the wrong length is rejected', async () => {
  await testBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  fs.writeFileSync(path.join(dir, 'img'), idxBytes(3, [2, 1, 1], [0, 255]));
  fs.writeFileSync(path.join(dir, 'lab'), idxBytes(1, [3], [1, 2, 3]));
  assert.throws(() => loadIdxSplit(path.join(dir, 'img'), path.join(dir, 'lab'), undefined, undefined), /has 3 labels but .* has 2 images/);
});

test('full MNIST loads into [0,1] NHWC tensors with the real label counts, quickly', async () => {
  await testBackend();
  const f = mnistFiles();
  const t0 = performance.now();
  const train = loadIdxSplit(f.trainImages, f.trainLabels, undefined, undefined);
  const test = loadIdxSplit(f.testImages, f.testLabels, undefined, undefined);
  const ms = performance.now() - t0;
  assert.deepEqual(train.x.shape, [60000, 28, 28, 1]);
  assert.deepEqual(test.x.shape, [10000, 28, 28, 1]);
  const xs = await test.x.data();
  let min = Infinity;
  let max = -Infinity;
  for (const v of xs) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  // Class frequencies of the official test set (LeCun et al.): 980 zeros, 1135 ones, ...
  const ys = await test.y.data();
  const counts = new Array(10).fill(0);
  for (const y of ys) counts[y]++;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  // The requirement is < 2 s on a quiet machine; the test allows slack for a loaded CI box.
  assert.ok(ms < 6000, `loading took ${ms.toFixed(0)} ms`);
  for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
});

test('seeded subsets are reproducible and differ across seeds', async () => {
  await testBackend();
  const f = mnistFiles();
  const a = loadIdxSplit(f.testImages, f.testLabels, 50, 1);
  const b = loadIdxSplit(f.testImages, f.testLabels, 50, 1);
  const c = loadIdxSplit(f.testImages, f.testLabels, 50, 2);
  assert.deepEqual(await a.y.data(), await b.y.data());
  assert.notDeepEqual(await a.y.data(), await c.y.data());
  assert.throws(() => loadIdxSplit(f.testImages, f.testLabels, 20000, 1), /requested 20000 examples, file has 10000/);
});
