/**
 * A small seeded PRNG (mulberry32). Data order must be reproducible from the
 * config seed alone, independent of the tfjs backend's own random streams.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * tfjs treats a seed of 0 as "no seed" (it tests `seed ? seed : Math.random()`), so
 * run seed 0 would silently give a different initialisation in every process. Map
 * every seed to a non-zero value, one-to-one over the non-negative integers.
 */
export function tfSeed(seed: number): number {
  return seed >= 0 ? seed + 1 : seed;
}
