/**
 * Chart 5: how each layer's spectral norm σ evolves during training, per regularizer.
 * One panel per layer (in network order), one line per (regularizer, λ), σ on a log
 * axis because regularizers change it by orders of magnitude; the band is the seed range.
 */
import type { EpochRow } from '../results/rows.js';
import {
  chartConfig,
  logScale,
  compareRunKeys,
  contextSubtitle,
  groupBy,
  isLogSafe,
  seedNote,
  seriesColor,
  seriesNamer,
  spread,
  whenSeveralSeeds,
  panelFacet,
} from './common.js';
import type { TopLevelSpec } from './vl-types.js';

interface SigmaPoint {
  layer: string;
  layerOrder: number;
  series: string;
  epoch: number;
  seeds: number;
  sigma: number;
  sigmaMin: number;
  sigmaMax: number;
}

export function layerSigmaSpec(epochs: readonly EpochRow[]): TopLevelSpec | null {
  const usable = epochs.filter((e) => isLogSafe(e.sigma) && Number.isFinite(e.epoch));
  if (usable.length === 0) return null;
  // First-seen order is network order as written by the trainer; sorting names would
  // put dense_10 before dense_2.
  const layers = [...new Set(usable.map((e) => e.layer))];
  const namer = seriesNamer(usable);
  const sorted = [...usable].sort((a, b) => compareRunKeys(a, b) || a.epoch - b.epoch);
  const seriesLabels = [...new Map(sorted.map((e) => [namer.key(e), namer.label(e)])).values()];
  const groups = groupBy(sorted, (e) => JSON.stringify([e.layer, namer.key(e), e.epoch]));
  const points: SigmaPoint[] = [...groups.values()].map((rows) => {
    const e = rows[0]!;
    const s = spread(rows.map((r) => r.sigma));
    return {
      layer: e.layer,
      layerOrder: layers.indexOf(e.layer),
      series: namer.label(e),
      epoch: e.epoch,
      seeds: rows.length,
      sigma: s.mean,
      sigmaMin: s.min,
      sigmaMax: s.max,
    };
  });

  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: 'Epoch',
    axis: { tickMinStep: 1, format: 'd' },
  } as const;
  const y = { field: 'sigma', type: 'quantitative', scale: logScale(), title: 'σ (spectral norm, log)' } as const;
  const color = seriesColor(seriesLabels);
  const seeds = seedNote(usable, 'band');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Per-layer σ during training',
      subtitle: contextSubtitle(usable, [seeds, 'dense layers: ℓ2 → ℓ2 operator norm; conv layers: reshaped-kernel σ']),
    },
    config: chartConfig(),
    data: { values: points },
    facet: panelFacet('layer', 'layerOrder'),
    columns: Math.min(3, layers.length),
    spec: {
      width: 240,
      height: 180,
      layer: [
        ...whenSeveralSeeds(points, [
          {
            transform: [{ filter: 'datum.seeds > 1' }],
            mark: { type: 'area', opacity: 0.15 },
            encoding: { x, y: { ...y, field: 'sigmaMin' }, y2: { field: 'sigmaMax' }, color },
          },
        ]),
        {
          mark: { type: 'line', strokeWidth: 1.8, point: { filled: true, size: 20 } },
          encoding: {
            x,
            y,
            color,
            tooltip: [
              { field: 'layer', title: 'layer' },
              { field: 'series', title: 'series' },
              { field: 'epoch', title: 'epoch' },
              { field: 'sigma', title: 'σ (mean)', format: '.4g' },
              { field: 'seeds', title: 'seeds' },
            ],
          },
        },
      ],
    },
  };
}
