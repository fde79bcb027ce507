/**
 * The report's "Claims" section: every seed claim with its measured numbers, verdict,
 * the rule that produced the verdict, and a link to the chart with the evidence.
 */
import type { ClaimRow } from '../results/rows.js';
import { html } from './html.js';
import type { ReportSection } from './html.js';

const VERDICT_CLASS: Record<ClaimRow['verdict'], string> = {
  supported: 'ok',
  'not supported': 'flag-summary',
  inconclusive: 'note',
};

export function claimsSection(claims: readonly ClaimRow[]): ReportSection {
  const rows = claims.map(
    (c) => html`<tr>
<td class="num">${String(c.claim)}</td><td>${c.title}</td><td>${c.measured}</td>
<td class="${VERDICT_CLASS[c.verdict]}">${c.verdict}</td><td class="note">${c.rule}</td>
<td><a href="${c.evidence.startsWith('charts/') ? `#figure-${c.evidence.slice("charts/".length).replace(/\.svg$/, "")}` : c.evidence}">${c.evidence}</a></td>
</tr>`,
  );
  return {
    id: 'claims',
    title: 'Claims',
    body: html`<p class="note">Each claim of the seed post, measured over seeds: mean [95% interval]; differences are paired by seed. The rules were fixed before the runs.</p>
<table><thead><tr><th>#</th><th>claim</th><th>measured</th><th>verdict</th><th>rule</th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table>`,
  };
}
