/**
 * The four tidy tables of one experiment, already read and validated. Charts and the
 * report take rows rather than files so they stay pure and testable without disk.
 */
import type { AttackRow, EpochRow, LayerRow, RunRow } from '../results/rows.js';

export interface ResultTables {
  results: readonly RunRow[];
  attacks: readonly AttackRow[];
  layers: readonly LayerRow[];
  epochs: readonly EpochRow[];
}
