/** Issue 21: the PyTorch peer runs with the addon's thread count and an instruction set matched to the addon's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerEnv } from '../bench/peer-env.js';

const AVX2 = 'flags\t\t: fpu sse2 avx fma avx2 bmi2\n';
const AVX512 = 'flags\t\t: fpu sse2 avx fma avx2 avx512f avx512bw avx512vl\n';

test('OpenBLAS is pinned to SkylakeX only on an AVX-512 CPU whose AVX-512 the addon uses', () => {
  assert.equal(peerEnv(2, {}, AVX512).OPENBLAS_CORETYPE, 'SkylakeX');
  assert.equal(peerEnv(2, { LIPBENCH_NATIVE_ISA: 'avx512' }, AVX512).OPENBLAS_CORETYPE, 'SkylakeX');
  for (const [base, cpu] of [[{}, AVX2], [{ LIPBENCH_NATIVE_ISA: 'avx2' }, AVX512], [{ LIPBENCH_NATIVE_ISA: 'avx2' }, AVX2]] as const) {
    const env = peerEnv(2, base, cpu);
    assert.equal(env.OPENBLAS_CORETYPE, 'Haswell', JSON.stringify(base) + cpu);
  }
  assert.equal(peerEnv(2, {}, 'flags : fpu sse2\n').OPENBLAS_CORETYPE, undefined);
});

test('an AVX-512 CPU measured as AVX2 caps the peer\'s oneDNN and ATen kernels too; a real AVX2 CPU is left alone', () => {
  const capped = peerEnv(1, { LIPBENCH_NATIVE_ISA: 'avx2' }, AVX512);
  assert.deepEqual([capped.ONEDNN_MAX_CPU_ISA, capped.DNNL_MAX_CPU_ISA, capped.ATEN_CPU_CAPABILITY], ['AVX2', 'AVX2', 'avx2']);
  const native = peerEnv(1, {}, AVX2);
  assert.deepEqual([native.ONEDNN_MAX_CPU_ISA, native.ATEN_CPU_CAPABILITY], [undefined, undefined]);
});

test('the thread count reaches the peer, and no count leaves torch its default', () => {
  assert.equal(peerEnv(3, {}, AVX2).LIPBENCH_PEER_THREADS, '3');
  assert.equal(peerEnv(undefined, {}, AVX2).LIPBENCH_PEER_THREADS, undefined);
  // OpenBLAS's own pool gets the same count, unless the caller set it.
  assert.equal(peerEnv(1, {}, AVX2).OPENBLAS_NUM_THREADS, '1');
  assert.equal(peerEnv(1, { OPENBLAS_NUM_THREADS: '4' }, AVX2).OPENBLAS_NUM_THREADS, '4');
  assert.equal(peerEnv(undefined, {}, AVX2).OPENBLAS_NUM_THREADS, undefined);
});
