/**
 * Every relative link in the project's Markdown (README.md, results/README.md, docs/*.md)
 * names a file that exists, and every #anchor a heading of the file it points into, as
 * GitHub derives the anchor from the heading. Moving a README section to docs/ or
 * renaming a heading otherwise leaves dead links that no other test reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces to -. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*]/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = headingAnchor(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** [text](target) links outside code blocks and inline code, with their line numbers. */
function relativeLinks(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  let inFence = false;
  markdown.split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) inFence = !inFence;
    if (inFence) return;
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) out.push({ target: m[1], line: i + 1 });
    }
  });
  return out;
}

function markdownFiles(): string[] {
  const docs = path.join(ROOT, 'docs');
  return [
    path.join(ROOT, 'README.md'),
    path.join(ROOT, 'results', 'README.md'),
    ...(fs.existsSync(docs) ? fs.readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => path.join(docs, f)) : []),
  ].filter((f) => fs.existsSync(f));
}

test('relativeLinks and headingAnchor read links and anchors as GitHub does', () => {
  assert.deepEqual(relativeLinks('see [a](docs/x.md#y) and `[b](no.md)`\n```\n[c](no2.md)\n```\n[d](https://e.org) [f](#g)'), [
    { target: 'docs/x.md#y', line: 1 },
    { target: '#g', line: 5 },
  ]);
  assert.equal(headingAnchor('Zen 3, 2026-12-01 09:20–10:10: the targets at a glance'), 'zen-3-2026-12-01-09201010-the-targets-at-a-glance');
  assert.equal(headingAnchor('Lipschitz methods (`src/regularizers/`, one file each)'), 'lipschitz-methods-srcregularizers-one-file-each');
});

test('every relative Markdown link names an existing file and heading', () => {
  const files = markdownFiles();
  assert.ok(files.length >= 3, `found ${files.length} Markdown files`);
  const dead: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const { target, line } of relativeLinks(fs.readFileSync(file, 'utf8'))) {
      checked++;
      const [rel, anchor] = target.split('#');
      const dest = rel === '' ? file : path.resolve(path.dirname(file), decodeURI(rel));
      const where = `${path.relative(ROOT, file)}:${line}: ${target}`;
      if (!fs.existsSync(dest)) dead.push(`${where} (no such file)`);
      else if (anchor !== undefined && dest.endsWith('.md') && !anchors(dest).has(anchor)) dead.push(`${where} (no such heading)`);
    }
  }
  assert.ok(checked > 10, `only ${checked} links found: is the link pattern still right?`);
  assert.deepEqual(dead, []);
});
