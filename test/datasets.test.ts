import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { parseCifarBatch } from '../src/data/cifar10.js';
import { ensureCifar10, loadCifar10 } from '../src/node/cifar10.js';
import { fashionDecoder, loadFashionMnist } from '../src/node/fashion-mnist.js';
import { loadIdxSplit } from '../src/node/mnist.js';
import { testBackend } from './helpers/setup.js';
import { tempDir } from './helpers/cli.js';

const RECORD = 3073;

/** n CIFAR records whose pixel values encode (record, channel, pixel) so the layout can be checked. */
function cifarRecords(n: number, labelOffset = 0): Buffer {
  const buf = Buffer.alloc(n * RECORD);
  for (let i = 0; i < n; i++) {
    buf[i * RECORD] = (i + labelOffset) % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) buf[i * RECORD + 1 + c * 1024 + p] = (i * 7 + c * 50 + p) % 256;
  }
  return buf;
}

async function makeCifarArchive(dir: string): Promise<{ archive: string; md5: string }> {
  const src = path.join(dir, 'src');
  const inner = path.join(src, 'cifar-10-batches-bin');
  fs.mkdirSync(inner, { recursive: true });
  for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(inner, `data_batch_${b}.bin`), cifarRecords(3, b));
  fs.writeFileSync(path.join(inner, 'test_batch.bin'), cifarRecords(2));
  const archive = path.join(dir, 'fixture.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: src }, ['cifar-10-batches-bin']);
  return { archive, md5: createHash('md5').update(fs.readFileSync(archive)).digest('hex') };
}

function fakeFetch(bytes: Buffer): typeof fetch {
  return (async () => new Response(new Uint8Array(bytes), { status: 200, headers: { 'content-length': String(bytes.length) } })) as typeof fetch;
}

const offlineFetch = (async () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
}) as typeof fetch;

test('CIFAR records parse channel-planar bytes into NHWC [0,1] floats', () => {
  const { x, y, n } = parseCifarBatch(cifarRecords(2), 'fixture.bin');
  assert.equal(n, 2);
  assert.deepEqual([...y], [0, 1]);
  // record 1, pixel 5: R = (7+0+5), G = (7+50+5), B = (7+100+5)
  const base = (1 * 1024 + 5) * 3;
  assert.ok(Math.abs(x[base]! - 12 / 255) < 1e-7);
  assert.ok(Math.abs(x[base + 1]! - 62 / 255) < 1e-7);
  assert.ok(Math.abs(x[base + 2]! - 112 / 255) < 1e-7);
});

test('a truncated CIFAR batch is rejected, naming the file', () => {
  assert.throws(() => parseCifarBatch(cifarRecords(2).subarray(0, RECORD + 100), '/x/data_batch_3.bin'), /\/x\/data_batch_3\.bin: truncated or not a CIFAR-10 batch/);
});

test('CIFAR-10 downloads once, verifies the MD5, extracts and loads', async () => {
  await testBackend();
  const dir = tempDir('cifar-');
  const { archive, md5 } = await makeCifarArchive(dir);
  const cache = path.join(dir, 'cache');
  let calls = 0;
  const fetchOnce = (async (...args: Parameters<typeof fetch>) => {
    calls++;
    return fakeFetch(fs.readFileSync(archive))(...args);
  }) as typeof fetch;
  const d = await loadCifar10({ dir: cache, md5, fetchImpl: fetchOnce, progress: false });
  assert.deepEqual(d.train.x.shape, [15, 32, 32, 3]);
  assert.deepEqual(d.test.x.shape, [2, 32, 32, 3]);
  assert.deepEqual([...(await d.train.y.data())].slice(0, 4), [1, 2, 3, 2]);
  await loadCifar10({ dir: cache, md5, fetchImpl: fetchOnce, progress: false });
  assert.equal(calls, 1, 'second load uses the cache');
});

test('a CIFAR archive with a bad checksum is deleted and the error says so', async () => {
  const dir = tempDir('cifar-bad-');
  const { archive } = await makeCifarArchive(dir);
  const cache = path.join(dir, 'cache');
  fs.mkdirSync(cache);
  fs.copyFileSync(archive, path.join(cache, 'cifar-10-binary.tar.gz'));
  await assert.rejects(ensureCifar10({ dir: cache, md5: '0'.repeat(32) }), /md5 checksum mismatch for CIFAR-10 .*the bad file was deleted/);
  assert.ok(!fs.existsSync(path.join(cache, 'cifar-10-binary.tar.gz')));
});

test('offline, the CIFAR error says where to put the archive by hand', async () => {
  const dir = tempDir('cifar-off-');
  await assert.rejects(ensureCifar10({ dir, fetchImpl: offlineFetch, progress: false }), (e: Error) => {
    assert.match(e.message, /cannot download CIFAR-10 \(ENOTFOUND\): no network\? download https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz by hand and put it at .*cifar-10-binary\.tar\.gz/);
    return true;
  });
  assert.deepEqual(fs.readdirSync(dir), [], 'no partial file left behind');
});

function idx(rank: number, dims: number[], payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * rank);
  head.writeUInt32BE(0x0800 | rank, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(payload)]);
}

test('gzip IDX files parse through the MNIST parser, and bad gzip names the file', async () => {
  await testBackend();
  const dir = tempDir('fmnist-');
  const img = path.join(dir, 'imgs.gz');
  const lab = path.join(dir, 'labs.gz');
  fs.writeFileSync(img, zlib.gzipSync(idx(3, [3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20))));
  fs.writeFileSync(lab, zlib.gzipSync(idx(1, [3], Uint8Array.from([4, 5, 6]))));
  const s = loadIdxSplit(img, lab, undefined, undefined, fashionDecoder(false));
  assert.deepEqual(s.x.shape, [3, 2, 2, 1]);
  assert.deepEqual([...(await s.y.data())], [4, 5, 6]);
  assert.ok(Math.abs((await s.x.data())[11]! - 220 / 255) < 1e-7);
  fs.writeFileSync(img, Buffer.from('not gzip at all'));
  assert.throws(() => loadIdxSplit(img, lab, undefined, undefined, fashionDecoder(false)), /imgs\.gz: not a valid gzip file/);
});

test('Fashion-MNIST from Debian\'s dataset-fashion-mnist loads and verifies', { skip: !fs.existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz') && !process.env['CI'] ? 'dataset-fashion-mnist is not installed' : false }, async () => {
  await testBackend();
  const d = await loadFashionMnist({ dir: tempDir('fm-own-'), trainSize: 100, testSize: 100, fetchImpl: offlineFetch });
  assert.deepEqual(d.train.x.shape, [100, 28, 28, 1]);
  assert.deepEqual(d.test.x.shape, [100, 28, 28, 1]);
  // The official test set starts with an ankle boot (9), a pullover (2), trousers (1).
  assert.deepEqual([...(await d.test.y.data())].slice(0, 3), [9, 2, 1]);
});
