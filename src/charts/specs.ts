/**
 * The catalogue of charts: name (file stem), title and a pure builder from tables to
 * a Vega-Lite spec, or null when the tables hold nothing to draw. Adding a chart means
 * adding one entry here; render.ts and report.ts only iterate this list.
 */
import { boundLoosenessSpec } from './bound-looseness.js';
import { layerSigmaSpec } from './layer-sigma.js';
import { lipVsAttackSuccessSpec } from './lip-vs-attack.js';
import { lipVsGapSpec } from './lip-vs-gap.js';
import { robustAccVsEpsSpec } from './robust-vs-eps.js';
import { localLipschitzSpec } from './local-lipschitz.js';
import { accuracyByMethodSpec } from './accuracy-by-method.js';
import { certifiedVsEmpiricalSpec } from './certified-vs-empirical.js';
import type { ResultTables } from './tables.js';
import type { TopLevelSpec } from './vl-types.js';

export { accuracyByMethodSpec, boundLoosenessSpec, certifiedVsEmpiricalSpec, layerSigmaSpec, lipVsAttackSuccessSpec, lipVsGapSpec, localLipschitzSpec, robustAccVsEpsSpec };

/** One chart of a catalogue; `T` is what it is drawn from (the classifier tables here, WGAN rows in wgan/charts.ts). */
export interface ChartDef<T = ResultTables> {
  /** File stem under charts/ and the HTML id in the report. */
  readonly name: string;
  readonly title: string;
  /** One sentence for the report saying what to look for. */
  readonly description: string;
  readonly build: (data: T) => TopLevelSpec | null;
}

export const CHARTS: readonly ChartDef[] = [
  {
    name: 'lip-vs-gap',
    title: 'Lipschitz upper bound vs generalization gap',
    description: 'One point per method and λ; a smaller bound should go with a smaller gap.',
    build: (t) => lipVsGapSpec(t.results),
  },
  {
    name: 'lip-vs-attack-success',
    title: 'Lipschitz upper bound vs attack success rate',
    description: 'One row of panels per norm, one panel per ε > 0, at the worst case over that norm’s attacks; a smaller bound should go with fewer successful attacks.',
    build: (t) => lipVsAttackSuccessSpec(t.results, t.attacks),
  },
  {
    name: 'robust-acc-vs-eps',
    title: 'Robust accuracy vs ε',
    description: 'Accuracy under attack as ε grows; dashed lines are certified accuracy, which must stay below the solid ones.',
    build: (t) => robustAccVsEpsSpec(t.attacks),
  },
  {
    name: 'certified-vs-empirical',
    title: 'Certified vs empirical robust accuracy',
    description: 'Per method and ε: clean ≥ empirical robust (worst attack) ≥ certified by each certificate; the grey bar is what attacks could not break but no certificate proves.',
    build: (t) => certifiedVsEmpiricalSpec(t.attacks),
  },
  {
    name: 'bound-looseness',
    title: 'Lipschitz bound looseness per run',
    description: 'Every lower bound must lie left of every sound upper bound; the bar length is the looseness.',
    build: (t) => boundLoosenessSpec(t.results),
  },
  {
    name: 'layer-sigma-epochs',
    title: 'Per-layer σ during training',
    description: 'Spectral norm of each layer per epoch; regularizers should hold it down.',
    build: (t) => layerSigmaSpec(t.epochs),
  },
  {
    name: 'local-lipschitz',
    title: 'Local Lipschitz on and off the data',
    description: 'Gradient-norm lower bounds at test points, between classes and on noise, beside the sound upper bound.',
    build: (t) => localLipschitzSpec(t.results),
  },
  {
    name: 'accuracy-by-method',
    title: 'Clean accuracy and generalization gap by method',
    description: 'One dot per seed; which methods cost accuracy, and which close the gap.',
    build: (t) => accuracyByMethodSpec(t.results),
  },
];

export interface BuiltChart<T = ResultTables> {
  def: ChartDef<T>;
  /** null when the chart has no rows to draw and is skipped. */
  spec: TopLevelSpec | null;
}

export function buildChartSpecs<T>(data: T, catalogue: readonly ChartDef<T>[]): BuiltChart<T>[] {
  return catalogue.map((def) => ({ def, spec: def.build(data) }));
}
