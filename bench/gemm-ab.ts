/**
 * `npx tsx bench/gemm-ab.ts OLD.node NEW.node [--threads 2] [--pairs 15] [--shapes m,k,n,ta,tb;...] [--rotate 48]`
 *
 * Interleaved A/B of two builds of the native addon (say, `native/build/lipbench_native.node`
 * copied aside before a change, and the rebuilt one) on SGEMM shapes, in one process: each
 * pair times OLD and NEW back to back, in alternating order, ~40 ms each, so a drift of
 * this VM's speed moves both. Prints each build's median GFLOP/s and the median of the
 * pairs' time ratios NEW ÷ OLD. `--rotate n` cycles B through n copies (a non-transposed
 * B only), so that every call reads B from memory, as after a weight update, instead of
 * from the caches. This is how docs/performance.md's "interleaved A/B" figures for GEMM changes
 * are taken; it measures, it asserts nothing.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { missingNativeFunctions, type NativeAddon } from '../src/kernels/native/addon.js';
import { sgemmOn } from './gemm.js';
import { SHAPES } from './gemm-shapes.js';
import { argvOptions, median, runAsScript } from './common.js';

export interface AbShape { readonly m: number; readonly k: number; readonly n: number; readonly ta: boolean; readonly tb: boolean }

/** "m,k,n,ta,tb;..." (ta, tb 0 or 1) into shapes; an error names the bad entry. */
export function parseShapes(spec: string): AbShape[] {
  return spec.split(';').filter((s) => s.trim() !== '').map((s) => {
    const f = s.split(',').map((x) => Number(x.trim()));
    const [m, k, n, ta = 0, tb = 0] = f;
    if (f.length < 3 || f.length > 5 || ![m, k, n].every((v) => Number.isInteger(v) && v > 0) || ![ta, tb].every((v) => v === 0 || v === 1)) {
      throw new Error(`--shapes: "${s}" is not m,k,n[,ta[,tb]] with positive m, k, n and ta, tb 0 or 1`);
    }
    return { m, k, n, ta: ta === 1, tb: tb === 1 };
  });
}

function load(file: string): NativeAddon {
  const addon = createRequire(import.meta.url)(path.resolve(file)) as NativeAddon;
  const missing = missingNativeFunctions(addon);
  if (missing.length > 0) throw new Error(`${file}: not a current lipbench addon (lacks ${missing.join(', ')})`);
  return addon;
}

function main(): void {
  const argv = process.argv.slice(2);
  const files = argv.filter((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
  if (files.length !== 2) throw new Error('usage: bench/gemm-ab.ts OLD.node NEW.node [--threads n] [--pairs n] [--shapes m,k,n,ta,tb;...] [--rotate n]');
  const { opt, int } = argvOptions(argv);
  const [oldAddon, newAddon] = files.map(load);
  const threads = int('threads', 2), pairs = int('pairs', 15), rotate = int('rotate', 1);
  const shapes: readonly AbShape[] = opt('shapes') ? parseShapes(opt('shapes') as string) : SHAPES;
  for (const a of [oldAddon, newAddon]) a.setThreads(threads);
  console.log(`A/B, ${threads} thread(s), ${pairs} pairs: old ${files[0]}, new ${files[1]}${rotate > 1 ? `, B cycled through ${rotate} copies` : ''}`);
  for (const s of shapes) {
    const copies = s.tb ? 1 : rotate;
    const aLen = s.m * s.k, bLen = s.k * s.n, cLen = s.m * s.n;
    const heap = new Float32Array(aLen + cLen + copies * bLen);
    for (let i = 0; i < heap.length; i++) heap[i] = Math.random() - 0.5;
    let call = 0;
    const run = (x: NativeAddon) => (): void => sgemmOn(x, s, heap, 0, aLen + cLen + (call++ % copies) * bLen, aLen);
    const fOld = run(oldAddon), fNew = run(newAddon);
    fOld();
    fNew();
    let t0 = performance.now();
    fOld();
    const inner = Math.max(3, Math.ceil(40 / Math.max(performance.now() - t0, 0.01)));
    const time = (f: () => void): number => {
      t0 = performance.now();
      for (let i = 0; i < inner; i++) f();
      return (performance.now() - t0) / inner;
    };
    const tOld: number[] = [], tNew: number[] = [], ratio: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const newFirst = p % 2 === 1;
      const early = newFirst ? time(fNew) : 0;
      const o = time(fOld);
      const n = newFirst ? early : time(fNew);
      tOld.push(o);
      tNew.push(n);
      ratio.push(n / o);
    }
    const gf = (t: number): string => ((2 * s.m * s.n * s.k) / t / 1e6).toFixed(1);
    console.log(`${s.m}x${s.k} · ${s.k}x${s.n}${s.ta ? ' tA' : ''}${s.tb ? ' tB' : ''}: old ${gf(median(tOld))}, new ${gf(median(tNew))} GFLOP/s; new/old time ${median(ratio).toFixed(3)} (${Math.min(...ratio).toFixed(3)}-${Math.max(...ratio).toFixed(3)})`);
  }
}

runAsScript(import.meta.url, 'gemm-ab', main);
