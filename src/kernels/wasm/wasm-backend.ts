/**
 * A narrow, typed view of the tfjs-backend-wasm internals the lipbench kernels rely on.
 * BackendWasm's published typings lean on Emscripten globals we do not install, so the
 * kernels go through this interface instead of `any`. Everything here is pinned to the
 * tfjs 4.22 layout (dataIdMap entries carry the heap offset; ids are registered with C++).
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

export interface WasmTensorData {
  readonly id: number;
  readonly memoryOffset: number;
  readonly shape: number[];
  readonly dtype: DataType;
  refCount: number;
}

export interface WasmBackend {
  readonly dataIdMap: {
    get(dataId: object): WasmTensorData | undefined;
    delete(dataId: object): boolean;
  };
  readonly wasm: {
    readonly HEAPU8: Uint8Array;
    readonly tfjs: { disposeData(id: number): void };
  };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

export function asWasmBackend(backend: unknown): WasmBackend {
  const b = backend as Partial<WasmBackend> | null;
  if (!b || typeof b.makeOutput !== 'function' || !b.dataIdMap || !b.wasm) {
    throw new Error('lipbench wasm kernel invoked on a non-wasm backend');
  }
  return b as WasmBackend;
}

function data(backend: WasmBackend, info: TensorInfo): WasmTensorData {
  const d = backend.dataIdMap.get(info.dataId);
  if (!d) throw new Error('tensor data not found on the wasm backend (already disposed?)');
  return d;
}

/** Byte offset of a tensor's data inside the heap. */
export function byteOffset(backend: WasmBackend, info: TensorInfo): number {
  return data(backend, info).memoryOffset;
}

/** Element offset of a float32 tensor inside the heap (HEAPF32 index). */
export function f32Index(backend: WasmBackend, info: TensorInfo): number {
  return byteOffset(backend, info) >>> 2;
}

/**
 * A Float32Array over the whole current heap. Any allocation may grow (and detach) the
 * heap, so callers take this view only after their last makeOutput.
 */
export function heapF32(backend: WasmBackend): Float32Array {
  const u8 = backend.wasm.HEAPU8;
  return new Float32Array(u8.buffer, 0, u8.byteLength >>> 2);
}

export function release(backend: WasmBackend, ...infos: (TensorInfo | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/**
 * Registers a tensor that aliases part of an existing allocation, so XNNPACK-backed
 * kernels can read a batch slice without a copy. Must be released with releaseView: the
 * normal disposeData would free() an interior pointer.
 */
export function makeView(backend: WasmBackend, shape: number[], byteOffset: number): TensorInfo {
  return backend.makeOutput(shape, 'float32', byteOffset);
}

export function releaseView(backend: WasmBackend, view: TensorInfo): void {
  const d = data(backend, view);
  // Lets C++ drop tensor metadata and any XNNPACK operator cached on this id.
  backend.wasm.tfjs.disposeData(d.id);
  backend.dataIdMap.delete(view.dataId);
}

/** Same buffer, new shape. The caller keeps ownership through exactly one of the two infos. */
export function reshapeInfo(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}
