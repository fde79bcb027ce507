/**
 * The parts of the explorer page that show results: probability bars, the check of an
 * attack against the certificates, and the Lipschitz view of the model at the input.
 */
import type { AttackOutcome, Certificates, CrownRadius, FlipSearch, Prediction } from './analysis.js';
import type { LoadedModel } from './models.js';
import { el, fmt } from './render.js';

export function bars(title: string, p: Prediction, target: number, id: string): HTMLElement {
  const list = el('ol', { class: 'bars', start: '0', 'aria-label': title });
  p.probs.forEach((v, k) => {
    const cls = k === p.top ? (k === target ? 'bar top ok' : 'bar top bad') : k === target ? 'bar target' : 'bar';
    list.append(
      el('li', { class: cls },
        el('span', { class: 'k', text: String(k) }),
        el('span', { class: 'track' }, el('span', { class: 'fill', style: `width:${(100 * v).toFixed(1)}%` })),
        el('span', { class: 'v', text: `${(100 * v).toFixed(1)}%` }),
      ),
    );
  });
  return el('figure', { class: 'probs', id }, el('figcaption', { text: title }), list);
}

/**
 * A flipping perturbation shorter than a certified radius contradicts the certificate:
 * ‖δ‖₂ against the global, pairwise and CROWN ℓ2 radii, ‖δ‖∞ against the CROWN ℓ∞ radius.
 */
export function contradiction(cert: Certificates, out: AttackOutcome, crown: { l2?: number; linf?: number } = {}): string | null {
  if (!out.flipped) return null;
  const named: [string, 'ℓ2' | 'ℓ∞', number | null | undefined][] = [
    ['global', 'ℓ2', cert.global],
    ['pairwise', 'ℓ2', cert.pairwise],
    ['CROWN', 'ℓ2', crown.l2],
    ['CROWN', 'ℓ∞', crown.linf],
  ];
  for (const [name, norm, r] of named) {
    const d = norm === 'ℓ2' ? out.l2 : out.linf;
    // Float32 logits carry ~1e-6 relative noise; a real violation is far larger.
    if (r !== null && r !== undefined && d < r * (1 - 1e-4)) {
      return `Contradiction: the attack changed the prediction with ‖δ‖${norm === 'ℓ2' ? '₂' : '∞'} = ${fmt(d, 4)}, inside the ${name} certified ${norm} radius ${fmt(r, 4)}. Either the bound or the certificate is wrong; this is a bug, please report it.`;
    }
  }
  return null;
}

export interface CertificateViewInput {
  readonly cert: Certificates;
  readonly crown: { readonly l2: CrownRadius; readonly linf: CrownRadius } | null;
  /** The L of the global certificate, and whether it is the harness's (results.csv). */
  readonly L: number | null;
  readonly fromHarness: boolean;
  readonly last: AttackOutcome | null;
  readonly flip: FlipSearch | null;
  readonly target: number;
  /** Whether the target is a label (test digit, labelled drawing) rather than the prediction. */
  readonly labelled: boolean;
}

/** The certified radii of the input next to what the attacks found. */
export function certificateTable(v: CertificateViewInput): HTMLElement {
  const { cert: c, crown, last, flip } = v;
  const certified = Math.max(c.global ?? 0, c.pairwise ?? 0, crown?.l2.radius ?? 0);
  const rows: [string, string, string][] = [
    ['Certified ℓ2 radius, global', fmt(c.global, 4), `margin/(√2·L), L = ${fmt(v.L, 3)} (${v.fromHarness ? 'the harness’s product bound, results.csv' : 'product bound measured in this page'}): no change shorter than this can flip the prediction.`],
    ['Certified ℓ2 radius, pairwise', fmt(c.pairwise, 4), c.note ?? 'min over classes j of (f_y − f_j)/(‖w_y − w_j‖·L(body)): never smaller than the global one.'],
  ];
  const crownCell = (r: CrownRadius) => (r.refutedAt === null ? `≥ ${fmt(r.radius, 4)} (cap)` : fmt(r.radius, 4));
  if (crown) {
    rows.push(['Certified radius, CROWN ℓ2', crownCell(crown.l2), 'Bound propagation through the ReLUs (the harness’s certifiedCrownAcc code), bisected over ε: the largest ε it certified. It uses this input’s activation pattern, but relaxes every unstable ReLU, so it can come out above or below the Lipschitz radii.']);
    rows.push(['Certified radius, CROWN ℓ∞', crownCell(crown.linf), 'The same in ℓ∞: no per-pixel change up to this size can flip the prediction. Compare with the ℓ∞ attacks’ ε.']);
  }
  if (last) rows.push([`Last attack: ${last.flipped ? 'flipped' : 'did not flip'}`, `‖δ‖₂ = ${fmt(last.l2, 4)}`, last.flipped ? `An ℓ2 distance at which the prediction does change: the true robust radius lies between ${fmt(certified, 4)} and ${fmt(last.l2, 4)}.${last.norm === 'linf' ? ' An ℓ∞ attack spreads its change over every pixel, so its ℓ2 length is large; an ℓ2 attack (PGD-L2) comes much closer to the certified radius.' : ''}` : 'Try a larger ε, more steps, or “Find smallest flipping ε”.']);
  // The best certified radius in the flip search's norm: ℓ∞ has only CROWN's.
  const flipLower = flip?.at.norm === 'linf' ? (crown?.linf.radius ?? null) : certified;
  if (flip) rows.push(['Smallest flipping ε (bisection)', flip.eps === null ? `none up to ${flip.hi}` : `${flip.at.norm === 'linf' ? 'ε∞' : 'ε₂'} = ${fmt(flip.eps, 4)}`, `Found by halving [0, max] ten times with the same attack; a randomized attack can miss smaller ones, so this is an upper bound on the robust radius${flipLower !== null && flip.eps !== null ? ` (which lies between the best certified ${flip.at.norm === 'linf' ? 'ℓ∞' : 'ℓ2'} radius ${fmt(flipLower, 4)} and ${fmt(flip.eps, 4)})` : ''}.`]);
  return el('table', { class: 'cert' },
    el('caption', { text: `Certificates for class ${v.target}${!v.labelled ? ' (the prediction)' : ''}` }),
    el('tbody', {}, ...rows.map(([k, value, why]) => el('tr', {}, el('th', { scope: 'row', text: k }), el('td', { class: 'num', text: value }), el('td', { text: why })))),
  );
}

/** The local gradient norm against the global product bound and its per-layer factors. */
export function lipschitzView(loaded: LoadedModel, target: number, gradNorm: number): HTMLElement[] {
  const out: HTMLElement[] = [];
  const L = loaded.entry.lipUpper ?? loaded.bounds?.upper ?? null;
  out.push(
    el('p', {},
      `Local slope at this input: ‖∇ₓ (f_${target} − f_j)/√2‖ = `, el('strong', { id: 'grad-norm', text: fmt(gradNorm, 3) }),
      ` (j = the runner-up class). Global product bound L = `, el('strong', { text: fmt(L, 3) }),
      L !== null && gradNorm > 0 ? `: ${fmt(L / gradNorm, 1)}× the local slope. The certificate pays for that gap; a tighter bound or a flatter model would certify more.` : '.',
    ),
  );
  if (loaded.bounds) {
    const harness = new Map(loaded.entry.layers.map((l) => [l.layer, l.sigma]));
    const maxS = Math.max(...loaded.bounds.layers.map((l) => l.operatorSigma));
    out.push(
      el('table', { class: 'layers' },
        el('caption', { text: 'Per-layer operator norms σ (their product is L). Measured in this page by the harness’s power iteration; the harness’s value from layers.csv beside it.' }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Layer' }), el('th', { scope: 'col', text: 'σ (this page)' }), el('th', { scope: 'col', text: 'σ (layers.csv)' }), el('th', { scope: 'col', text: '' }))),
        el('tbody', {}, ...loaded.bounds.layers.map((l) =>
          el('tr', {},
            el('th', { scope: 'row', text: l.layer }),
            el('td', { class: 'num', text: fmt(l.operatorSigma, 3) }),
            el('td', { class: 'num', text: fmt(harness.get(l.layer), 3) }),
            el('td', { class: 'sigma' }, el('span', { class: 'fill', style: `width:${((100 * l.operatorSigma) / maxS).toFixed(1)}%` })),
          ),
        )),
        el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', text: 'product (with activation factors)' }), el('td', { class: 'num', text: fmt(loaded.bounds.upper, 3) }), el('td', { class: 'num', text: fmt(loaded.entry.lipUpper, 3) }), el('td', {}))),
      ),
    );
  }
  return out;
}
