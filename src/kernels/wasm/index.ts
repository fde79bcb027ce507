/** Kernel fixes for the wasm backend; filled in by the native-speed work. */
export function registerWasmKernels(): void {}
