/** The report's pointer to the explorer page, when one sits beside it. */
import fs from 'node:fs';
import path from 'node:path';
import { html, type ReportSection } from './html.js';
import { EXPLORER_FILE } from '../explorer/manifest.js';

export function explorerSection(dir: string): ReportSection | null {
  if (!fs.existsSync(path.join(dir, EXPLORER_FILE))) return null;
  return {
    id: 'explorer',
    title: 'Explorer',
    body: html`<p><a href="${EXPLORER_FILE}">${EXPLORER_FILE}</a> attacks these models live in your browser: pick a model and a test digit or draw one, run FGSM, PGD, APGD or the AutoAttack ensemble, and compare the smallest flipping perturbation with the input's certified radius. It works offline; <code>lipbench explore &lt;results-dir&gt;</code> rewrites it.</p>`,
  };
}
