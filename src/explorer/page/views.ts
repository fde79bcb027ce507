/**
 * The parts of the explorer page that show results: probability bars, the check of an
 * attack against the certificates, and the Lipschitz view of the model at the input.
 */
import type { AttackOutcome, Certificates, Prediction } from './analysis.js';
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
