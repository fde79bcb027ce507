/**
 * The "wasm + native addon" layer: lipbench's wasm kernels with their GEMM and convolution
 * work routed to native/build/lipbench_native.node. registerNativeKernels() must run before
 * tf.setBackend('wasm') (like registerWasmKernels); the routed kernels fall back to the
 * pure-wasm paths whenever no addon is active.
 */
import { registerWasmKernels } from '../wasm/index.js';
import { overrideKernel } from '../register.js';
import { activateNative, type NativeAddon } from './addon.js';
import { nativeConv2DConfig, nativeFusedConv2DConfig } from './conv2d-kernels.js';

export { activateNative, activeNative, type NativeAddon, type NativeInfo } from './addon.js';

let registered = false;

/** Registers the wasm kernel fixes plus the native-routed convolutions, and activates addon. */
export function registerNativeKernels(addon: NativeAddon): void {
  registerWasmKernels();
  if (!registered) {
    registered = true;
    for (const cfg of [nativeConv2DConfig, nativeFusedConv2DConfig]) overrideKernel(cfg);
  }
  activateNative(addon);
}
