/**
 * Compares every CSV of two results folders cell by cell, ignoring only wall-clock
 * columns, to show that a refactor changed no number of an experiment:
 *
 *   npx tsx bench/csv-identity.ts <before-dir> <after-dir>
 *
 * Ignored: the columns named in TIMING (wall times), and in `members` the third field of
 * each `name:acc:seconds` entry (a member's wall time); the member names and robust
 * accuracies there are compared. Every other cell must be byte-identical. Prints one line
 * per file and exits 1 on any difference, on a file present on one side only, or on a
 * header or row-count mismatch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../src/results/csv.js';

const TIMING = new Set(['seconds', 'trainSeconds']);

function csvFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...csvFiles(dir, p));
    else if (e.name.endsWith('.csv')) out.push(p);
  }
  return out.sort();
}

function withoutMemberSeconds(members: string): string {
  return members
    .split(';')
    .map((m) => m.split(':').slice(0, 2).join(':'))
    .join(';');
}

const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: npx tsx bench/csv-identity.ts <before-dir> <after-dir>');
  process.exit(2);
}
const files = [...new Set([...csvFiles(before), ...csvFiles(after)])].sort();
let bad = 0;
const ignoredSeen = new Set<string>();
for (const f of files) {
  const a = path.join(before, f);
  const b = path.join(after, f);
  if (!fs.existsSync(a) || !fs.existsSync(b)) {
    console.log(`${f}: only in ${fs.existsSync(a) ? before : after}`);
    bad++;
    continue;
  }
  const ra = parseCsv(fs.readFileSync(a, 'utf8'));
  const rb = parseCsv(fs.readFileSync(b, 'utf8'));
  const header = ra[0] ?? [];
  if (JSON.stringify(header) !== JSON.stringify(rb[0] ?? [])) {
    console.log(`${f}: headers differ`);
    bad++;
    continue;
  }
  if (ra.length !== rb.length) {
    console.log(`${f}: ${ra.length - 1} rows before, ${rb.length - 1} after`);
    bad++;
    continue;
  }
  let cells = 0;
  const diffs: string[] = [];
  for (let r = 1; r < ra.length; r++) {
    header.forEach((col, j) => {
      let x = ra[r]![j] ?? '';
      let y = rb[r]![j] ?? '';
      if (TIMING.has(col)) {
        ignoredSeen.add(col);
        return;
      }
      if (col === 'members') {
        ignoredSeen.add('members (seconds field)');
        x = withoutMemberSeconds(x);
        y = withoutMemberSeconds(y);
      }
      cells++;
      if (x !== y) diffs.push(`row ${r} ${col}: ${x} -> ${y}`);
    });
  }
  console.log(`${f}: ${ra.length - 1} rows, ${cells} cells compared, ${diffs.length} differ`);
  for (const d of diffs.slice(0, 10)) console.log(`  ${d}`);
  if (diffs.length > 0) bad++;
}
console.log(`ignored: ${[...ignoredSeen].sort().join(', ') || 'nothing'}`);
process.exit(bad > 0 ? 1 : 0);
