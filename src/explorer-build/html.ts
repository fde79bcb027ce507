/**
 * explorer.html itself: a shell that loads the manifest and the bundle from
 * explorer-assets/ (classic scripts, so file:// works) and the page's stylesheet.
 */
import { escapeHtml } from '../charts/html.js';
import { EXPLORER_ASSETS_DIR } from '../explorer/manifest.js';

const CSS = `
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --accent: #1f5fa8; --bad: #b00020; --ok: #1b7a3a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 12px 20px 40px; }
h1 { font-size: 1.5rem; margin: 0.2em 0; }
h2 { font-size: 1.15rem; margin: 1.2em 0 0.4em; border-bottom: 1px solid var(--line); padding-bottom: 2px; }
h3 { font-size: 1rem; margin: 0.3em 0; }
p { margin: 0.3em 0; }
.intro { max-width: 60em; }
.note, .hint { color: var(--muted); font-size: 0.9rem; }
#errors p, p.error { color: #fff; background: var(--bad); padding: 6px 10px; border-radius: 4px; font-weight: 600; }
table { border-collapse: collapse; margin: 0.4em 0; }
caption { text-align: left; color: var(--muted); font-size: 0.88rem; padding-bottom: 4px; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.models label { cursor: pointer; font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.col { flex: 1 1 420px; min-width: 300px; }
#strip { display: grid; grid-template-columns: repeat(auto-fill, 32px); gap: 2px; max-height: 236px; overflow-y: auto; border: 1px solid var(--line); padding: 4px; }
button.digit { padding: 1px; border: 1px solid transparent; background: none; cursor: pointer; width: 32px; height: 32px; }
button.digit[aria-pressed="true"] { border: 2px solid var(--accent); padding: 0; }
button.digit:focus-visible { outline: 3px solid var(--accent); }
canvas.img { image-rendering: pixelated; border: 1px solid var(--line); display: block; }
canvas.pad { width: 280px; height: 280px; border: 2px dashed var(--muted); background: #fff; touch-action: none; cursor: crosshair; display: block; }
#pad-box { display: flex; gap: 16px; align-items: flex-end; }
figure { margin: 0; }
figcaption { font-size: 0.88rem; color: var(--muted); max-width: 260px; }
.buttons, .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.controls input[type=number] { width: 5em; }
.controls input[type=range] { width: 220px; }
.controls output { min-width: 3.5em; font-variant-numeric: tabular-nums; }
button { font: inherit; padding: 4px 12px; }
button:disabled { opacity: 0.6; }
#run, #flip { font-weight: 600; }
#status { min-height: 1.5em; }
#figures figure { width: 150px; }
#figures figcaption { max-width: 150px; }
figure.probs { min-width: 280px; }
ol.bars { list-style: none; padding: 0; margin: 4px 0; }
ol.bars li { display: grid; grid-template-columns: 1.2em 180px 4em; gap: 6px; align-items: center; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
ol.bars .track { background: #eee; height: 12px; position: relative; }
ol.bars .fill { display: block; height: 12px; background: #8a8a8a; }
ol.bars li.top.ok .fill { background: var(--ok); }
ol.bars li.top.bad .fill { background: var(--bad); }
ol.bars li.target .k, ol.bars li.top .k { font-weight: 700; }
ol.bars .v { text-align: right; }
table.cert th { white-space: nowrap; }
table.cert td:last-child { color: var(--muted); font-size: 0.88rem; }
td.sigma { width: 220px; }
td.sigma .fill { display: block; height: 10px; background: var(--accent); }
`;

export function explorerHtml(experiment: string): string {
  const title = escapeHtml(`lipbench explorer: ${experiment}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${CSS}</style>
</head>
<body>
<main id="app"><p>Loading the explorer… (it needs JavaScript and the ${EXPLORER_ASSETS_DIR}/ folder beside this file)</p></main>
<noscript><p>The explorer runs the models in your browser and needs JavaScript.</p></noscript>
<script src="${EXPLORER_ASSETS_DIR}/manifest.js"></script>
<script src="${EXPLORER_ASSETS_DIR}/explorer.js"></script>
</body>
</html>
`;
}
