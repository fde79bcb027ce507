/**
 * Loading the data scripts beside explorer.html (see ../manifest.ts for why they are
 * scripts): a script tag per asset, resolved once it has registered its payload.
 */
import { ASSETS_GLOBAL, EXPLORER_ASSETS_DIR } from '../manifest.js';

type AssetTable = Record<string, unknown>;

function table(): AssetTable {
  const w = window as unknown as Record<string, AssetTable | undefined>;
  return (w[ASSETS_GLOBAL] ??= {});
}

/** Assets already registered (the manifest is loaded by explorer.html itself). */
export function loadedAsset<T>(key: string): T | undefined {
  return table()[key] as T | undefined;
}

const pending = new Map<string, Promise<unknown>>();

export function loadAsset<T>(key: string, file: string): Promise<T> {
  const have = loadedAsset<T>(key);
  if (have !== undefined) return Promise.resolve(have);
  let p = pending.get(key);
  if (!p) {
    p = new Promise<unknown>((resolve, reject) => {
      const s = document.createElement('script');
      s.src = `${EXPLORER_ASSETS_DIR}/${file}`;
      s.onload = () => {
        const v = table()[key];
        if (v === undefined) reject(new Error(`${s.src} loaded but registered no "${key}"`));
        else resolve(v);
      };
      s.onerror = () => reject(new Error(`cannot load ${s.src} (was the results folder copied without ${EXPLORER_ASSETS_DIR}/?)`));
      document.head.appendChild(s);
    });
    pending.set(key, p);
  }
  return p as Promise<T>;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
