/**
 * The page's tfjs backend: WebGL when the browser has a hardware WebGL context, else
 * wasm with lipbench's wasm kernel fixes (the harness's `wasm+lipbench` backend minus the
 * N-API addon), else cpu. A software WebGL (SwiftShader, llvmpipe: what headless and
 * GPU-less browsers offer) is slower than wasm on these small models, so it counts as
 * no WebGL. `?backend=wasm|webgl|cpu` in the page's URL forces one.
 */
import { registerCpuBroadcastKernels } from '../../kernels/cpu/broadcast.js';
import { installLazyDenseGradients } from '../../kernels/lazy-dense-grad.js';
import { installLazyConvGradients } from '../../kernels/lazy-conv-grad.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../kernels/wasm/index.js';
import type { ExplorerManifest } from '../manifest.js';
import { loadAsset } from './assets.js';

export interface PageBackend {
  readonly name: string;
  /** Why this one, in a few words, for the page's header. */
  readonly why: string;
}

function webglRenderer(): string | undefined {
  try {
    const c = document.createElement('canvas');
    const gl = (c.getContext('webgl2') ?? c.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return r;
  } catch {
    return undefined;
  }
}

const SOFTWARE_GL = /swiftshader|llvmpipe|software|basic render/i;

async function startWasm(manifest: ExplorerManifest): Promise<boolean> {
  // Threads need cross-origin isolation, which file:// pages never have.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const which = simd ? manifest.wasm.simd : manifest.wasm.plain;
  const b64 = await loadAsset<string>(which.key, which.file);
  // A data: URL is fetchable from file:// pages, where a relative .wasm path is not.
  const url = `data:application/wasm;base64,${b64}`;
  setWasmPaths({ 'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, 'tfjs-backend-wasm-threaded-simd.wasm': url });
  registerWasmKernels();
  installLazyDenseGradients();
  installLazyConvGradients();
  return tf.setBackend('wasm');
}

export async function startBackend(manifest: ExplorerManifest, forced: string | null): Promise<PageBackend> {
  tf.env().set('PROD', true);
  // The cpu fallback's per-example broadcasts without tfjs-cpu's index-by-index path (same bits).
  registerCpuBroadcastKernels();
  if (forced === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu', why: 'forced by ?backend=cpu' };
  }
  if (forced !== 'wasm') {
    const renderer = webglRenderer();
    const hardware = renderer !== undefined && !SOFTWARE_GL.test(renderer);
    if (forced === 'webgl' || hardware) {
      if (await tf.setBackend('webgl').catch(() => false)) {
        await tf.ready();
        return { name: 'webgl', why: forced === 'webgl' ? 'forced by ?backend=webgl' : `GPU: ${renderer}` };
      }
    }
    const soft = renderer === undefined ? undefined : SOFTWARE_GL.exec(renderer)?.[0];
    const why = renderer === undefined ? 'no WebGL in this browser' : hardware ? 'WebGL failed to start' : `WebGL here is software-rendered (${soft}), slower than wasm`;
    if (await startWasm(manifest).catch(() => false)) {
      await tf.ready();
      return { name: 'wasm', why };
    }
    await tf.setBackend('cpu');
    return { name: 'cpu', why: `${why}; wasm failed to start` };
  }
  if (!(await startWasm(manifest))) throw new Error('the wasm backend failed to start');
  await tf.ready();
  return { name: 'wasm', why: 'forced by ?backend=wasm' };
}
