/**
 * `lipbench certify <model.json>`: the Lipschitz bounds (per layer, product, pairwise)
 * and the certified accuracy of every certificate at each ε, for any saved chain
 * LayersModel, on the dataset's first n test points (as `lipbench attack` does).
 *
 * Bounds are of the logit map: a final softmax (a layer, or fused into the last layer)
 * is stripped first. Dropout-like layers are the identity at inference and accepted;
 * any layer the Lipschitz registry does not know is refused, naming it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.js';
import { certifiedAccuracyByPropagation, type BallNorm } from '../lipschitz/bound-propagation.js';
import { lipschitzUpperBounds } from '../lipschitz/bounds.js';
import { chainOps, UnsupportedLayerError, type ChainOps } from '../lipschitz/chain-ops.js';
import { certifiedAccuracy } from '../lipschitz/empirical.js';
import { lipschitzRadii } from '../lipschitz/pairwise.js';
import { openSavedClassifier } from './saved-model.js';

export const CERTIFICATES = ['global', 'pairwise', 'ibp', 'crown'] as const;
export type CertifyCertificate = (typeof CERTIFICATES)[number];
/** The certificates that only give ℓ2 radii. */
const L2_ONLY: readonly CertifyCertificate[] = ['global', 'pairwise'];

export interface CertifyOptions {
  readonly modelJson: string;
  readonly eps: readonly number[];
  readonly norm: string;
  /** Default: every certificate that applies to the norm (bound propagation skipped with a note where the model has other layers). */
  readonly certificates?: readonly string[];
  readonly dataset: string;
  readonly n: number;
  readonly seed: number;
}

export interface CertifyRow {
  readonly certificate: CertifyCertificate;
  readonly norm: BallNorm;
  readonly eps: number;
  readonly certifiedAcc: number;
  readonly seconds: number;
}

export interface CertifyResult {
  readonly rows: CertifyRow[];
  readonly cleanAcc: number;
  readonly lipUpper: number;
  readonly strippedSoftmax: boolean;
  readonly notes: string[];
}

/** Validates every option; throws UserError naming the field. */
export function validateCertifyOptions(o: CertifyOptions): { norm: BallNorm; certificates: CertifyCertificate[]; explicit: boolean } {
  if (o.norm !== 'l2' && o.norm !== 'linf') throw new UserError(`--norm: must be l2 or linf, got "${o.norm}"`);
  const norm: BallNorm = o.norm;
  if (o.eps.length === 0) throw new UserError('--eps: give at least one ε');
  for (const e of o.eps) if (!(e > 0) || !Number.isFinite(e)) throw new UserError(`--eps: every ε must be a finite number > 0, got ${e}`);
  const explicit = o.certificates !== undefined;
  const names = o.certificates ?? (norm === 'l2' ? [...CERTIFICATES] : ['ibp', 'crown']);
  for (const c of names) {
    if (!(CERTIFICATES as readonly string[]).includes(c)) throw new UserError(`--certificates: unknown certificate "${c}" (known: ${CERTIFICATES.join(', ')})`);
  }
  const certificates = names as CertifyCertificate[];
  const l2Only = certificates.filter((c) => L2_ONLY.includes(c));
  if (norm === 'linf' && l2Only.length) {
    throw new UserError(`--certificates: ${l2Only.join(', ')} only certify ℓ2 balls; with --norm linf use ibp or crown`);
  }
  return { norm, certificates, explicit };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, (performance.now() - t0) / 1000];
}

export async function certifySavedModel(o: CertifyOptions, log: (line: string) => void = console.log): Promise<CertifyResult> {
  const { norm, certificates, explicit } = validateCertifyOptions(o);
  const saved = await openSavedClassifier(o.modelJson, o.dataset, o.n);
  const { model, head, data } = saved;
  // Bounds are of the logit map: the same head removal as `lipbench attack`.
  const stripped = head.change !== 'none';
  const notes: string[] = stripped ? [`${head.note}; bounds are of the logit map`] : [];
  try {
    const { x, y } = data.test;
    let bounds;
    try {
      bounds = lipschitzUpperBounds(model, { seed: o.seed + 17, tol: 1e-6, maxIters: 2000 });
    } catch (e) {
      throw new UserError(`${o.modelJson}: ${(e as Error).message}`);
    }
    const clean = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(x) as tf.Tensor, 1), tf.cast(y, 'int32')), 'float32')).dataSync()[0]!);
    log(`model ${o.modelJson}: ${o.n} ${o.dataset} test points, clean accuracy ${(clean * 100).toFixed(2)}%`);
    for (const n of notes) log(`  (${n})`);
    log('layer                 kind       operator σ   reshaped σ   Frobenius');
    for (const l of bounds.layers) {
      log(`${l.layer.padEnd(21)} ${l.kind.padEnd(10)} ${l.operatorSigma.toFixed(4).padStart(10)}   ${(l.reshapedSigma === null ? '' : l.reshapedSigma.toFixed(4)).padStart(10)}   ${l.frobenius.toFixed(4).padStart(9)}`);
    }
    log(`product bound L = ${bounds.upper.toPrecision(5)} (power iteration converged: ${bounds.converged}, worst rel. change ${bounds.maxRelChange.toExponential(1)})`);
    const rows: CertifyRow[] = [];
    const push = (certificate: CertifyCertificate, accs: number[], seconds: number) =>
      accs.forEach((a, i) => rows.push({ certificate, norm, eps: o.eps[i]!, certifiedAcc: a, seconds: seconds / accs.length }));
    if (certificates.includes('global') || certificates.includes('pairwise')) {
      let radii;
      try {
        [radii] = [lipschitzRadii(model, bounds, x, y)];
      } catch (e) {
        throw new UserError(`${o.modelJson}: ${(e as Error).message}`);
      }
      const K = radii.constants.K.flatMap((r, i) => r.filter((_, j) => j !== i));
      log(`pairwise: L(body before '${radii.constants.lastLayer}') = ${radii.constants.bodyLipschitz.toPrecision(5)}, K_yj in [${Math.min(...K).toPrecision(4)}, ${Math.max(...K).toPrecision(4)}] vs √2·L = ${(Math.SQRT2 * bounds.upper).toPrecision(5)}`);
      if (certificates.includes('global')) push('global', certifiedAccuracy(radii.global, o.eps), 0);
      if (certificates.includes('pairwise')) push('pairwise', certifiedAccuracy(radii.pairwise, o.eps), 0);
    }
    const methods = (['ibp', 'crown'] as const).filter((m) => certificates.includes(m));
    if (methods.length) {
      let chain: ChainOps | undefined;
      try {
        chain = chainOps(model);
      } catch (e) {
        if (!(e instanceof UnsupportedLayerError) || explicit) throw new UserError(`${o.modelJson}: ${(e as Error).message}`);
        notes.push(`${methods.join(', ')} skipped: ${e.message}`);
        log(`  (${notes[notes.length - 1]})`);
      }
      if (chain) {
        const ops = chain;
        try {
          for (const m of methods) {
            const [res, s] = timed(() => certifiedAccuracyByPropagation(ops, x, y, norm, o.eps, m));
            push(m, res.map((r) => r.accuracy), s);
          }
        } finally {
          chain.dispose();
        }
      }
    }
    log('certificate  norm  eps       certified acc');
    for (const r of rows) log(`${r.certificate.padEnd(12)} ${r.norm.padEnd(5)} ${String(r.eps).padEnd(9)} ${(r.certifiedAcc * 100).toFixed(2).padStart(8)}%`);
    return { rows, cleanAcc: clean, lipUpper: bounds.upper, strippedSoftmax: stripped, notes };
  } finally {
    saved.dispose();
  }
}
