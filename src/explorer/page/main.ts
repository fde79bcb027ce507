/**
 * The explorer page: pick a model of the experiment, a test digit or a drawing, attack
 * it live with the harness's attacks, and compare the smallest flipping perturbation
 * with the radius the model's Lipschitz certificate guarantees. Vanilla DOM; bundled by
 * src/explorer/bundle.ts into explorer-assets/explorer.js.
 *
 * `window.__lipbench` exposes the page's state and actions for tests and benchmarks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DigitsAsset, ExplorerAttack, ExplorerManifest, ExplorerModel } from '../manifest.js';
import { MNIST_SIDE, toMnistDigit } from '../preprocess.js';
import { attackOnce, certify, crownRadius, findFlip, localGradientNorm, predict, type AttackOutcome, type Certificates, type CrownRadius, type FlipSearch, type Prediction } from './analysis.js';
import { base64ToBytes, loadAsset, loadedAsset } from './assets.js';
import { startBackend, type PageBackend } from './backend.js';
import { createPad, type Pad } from './draw.js';
import { loadModel, type LoadedModel } from './models.js';
import { el, fmt, imageCanvas, paintImage, paintPerturbation, pct } from './render.js';
import { bars, certificateTable, contradiction, lipschitzView } from './views.js';

const MANIFEST_KEY = 'manifest';

/** ε slider range and default per norm (MNIST-scale inputs in [0,1]). */
const EPS_RANGE = { linf: { max: 0.5, step: 0.005, initial: 0.1 }, l2: { max: 6, step: 0.05, initial: 1.5 } } as const;

interface Input {
  readonly x: Float32Array;
  /** The true label of a test digit; null for a drawing (its prediction is attacked). */
  readonly label: number | null;
  readonly source: 'test' | 'drawn';
  readonly index?: number;
}

interface Analysis {
  readonly target: number;
  readonly before: Prediction;
  readonly cert: Certificates;
  readonly gradNorm: number;
}

interface State {
  manifest: ExplorerManifest;
  backend: PageBackend;
  digits: { x: Uint8Array; labels: Uint8Array; count: number; shape: readonly [number, number, number] } | null;
  entry: ExplorerModel | null;
  loaded: LoadedModel | null;
  input: Input | null;
  analysis: Analysis | null;
  attack: ExplorerAttack;
  eps: number;
  steps: number;
  last: (AttackOutcome & { after: Prediction; attack: string; steps: number | null }) | null;
  flip: FlipSearch | null;
  /** CROWN radii of the current input, computed on request. */
  crown: { l2: CrownRadius; linf: CrownRadius } | { error: string } | null;
  busy: boolean;
  errors: string[];
}

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`explorer: #${id} missing`);
  return e as T;
};

function fail(msg: string): void {
  const box = document.getElementById('errors');
  if (box) box.append(el('p', { text: msg }));
  console.error(`lipbench explorer: ${msg}`);
}

async function boot(): Promise<void> {
  const manifest = loadedAsset<ExplorerManifest>(MANIFEST_KEY);
  if (!manifest) throw new Error('explorer-assets/manifest.js did not load; regenerate with `lipbench explore <results-dir>`');
  const params = new URLSearchParams(location.search);
  const backend = await startBackend(manifest, params.get('backend'));
  const attack = manifest.attacks.find((a) => a.name === 'pgd-linf') ?? manifest.attacks[0]!;
  const st: State = {
    manifest,
    backend,
    digits: null,
    entry: null,
    loaded: null,
    input: null,
    analysis: null,
    attack,
    eps: EPS_RANGE[attack.norm].initial,
    steps: attack.defaultSteps,
    last: null,
    flip: null,
    crown: null,
    busy: false,
    errors: [],
  };
  buildPage(st);
  if (manifest.digits) {
    const d = await loadAsset<DigitsAsset>(manifest.digits.key, manifest.digits.file);
    st.digits = { x: base64ToBytes(d.pixelsBase64), labels: base64ToBytes(d.labelsBase64), count: d.count, shape: d.shape };
    buildStrip(st);
  }
  if (manifest.models.length > 0) await selectModel(st, manifest.models[0]!.runId);
  if (st.digits) await selectTestDigit(st, 0);
  installHook(st);
}

// ---------------------------------------------------------------- page skeleton

function buildPage(st: State): void {
  const m = st.manifest;
  const root = $('app');
  root.replaceChildren(
    el('header', {},
      el('h1', { text: `lipbench explorer: ${m.experiment}` }),
      m.description ? el('p', { text: m.description }) : null,
      el('p', { class: 'intro', text: 'An attack looks for a small change to the input that changes the model’s answer; a Lipschitz certificate proves that no change shorter than a radius can. So the smallest flipping change an attack finds can never be shorter than the certified radius, and the gap between the two is what the bound cannot see. Pick a model and an input, run an attack, and compare the two in section 4.' }),
      el('p', { id: 'backend', text: `Runs in this browser on the ${st.backend.name} backend (${st.backend.why}), with lipbench's own attack and certificate code.` }),
      ...m.notes.map((n) => el('p', { class: 'note', text: n })),
    ),
    el('div', { id: 'errors', role: 'alert', 'aria-live': 'assertive' }),
    el('section', { id: 'models', 'aria-labelledby': 'models-h' },
      el('h2', { id: 'models-h', text: '1. Choose a model' }),
      modelTable(st),
    ),
    el('section', { id: 'inputs', 'aria-labelledby': 'inputs-h' },
      el('h2', { id: 'inputs-h', text: '2. Choose an input' }),
      el('div', { class: 'row' },
        el('div', { class: 'col' },
          el('h3', { text: 'A test digit' }),
          el('p', { class: 'hint', text: 'Click one, or focus the strip and use the arrow keys and Enter.' }),
          el('div', { id: 'strip', role: 'group', 'aria-label': 'test digits' }, m.digits ? 'loading…' : 'No test digits for this dataset.'),
        ),
        el('div', { class: 'col' },
          el('h3', { text: 'Or draw one' }),
          el('p', { class: 'hint', text: 'Draw with the mouse, a pen or a finger. It is scaled and centred as MNIST digits are; the small image shows what the model sees.' }),
          el('div', { id: 'pad-box' }),
          el('div', { class: 'buttons' },
            el('button', { id: 'undo', type: 'button', text: 'Undo stroke' }),
            el('button', { id: 'clear', type: 'button', text: 'Clear' }),
            el('label', { for: 'drawn-label', text: 'It is a ' }),
            el('select', { id: 'drawn-label' },
              el('option', { value: '', text: '(use the prediction)' }),
              ...Array.from({ length: 10 }, (_, k) => el('option', { value: String(k), text: String(k) })),
            ),
          ),
        ),
      ),
      el('p', { id: 'input-line', 'aria-live': 'polite' }),
    ),
    el('section', { id: 'attack', 'aria-labelledby': 'attack-h' },
      el('h2', { id: 'attack-h', text: '3. Attack it' }),
      el('div', { class: 'controls' },
        el('label', { for: 'attack-select', text: 'Attack ' }),
        attackSelect(st),
        el('label', { for: 'eps', id: 'eps-label', text: 'ε ' }),
        el('input', { id: 'eps', type: 'range', min: '0', 'aria-describedby': 'eps-help' }),
        el('output', { id: 'eps-out', for: 'eps' }),
        el('label', { for: 'steps', text: 'Steps ' }),
        el('input', { id: 'steps', type: 'number', min: '1', max: '1000', step: '1' }),
        el('button', { id: 'run', type: 'button', text: 'Run attack' }),
        el('button', { id: 'flip', type: 'button', text: 'Find smallest flipping ε' }),
      ),
      el('p', { id: 'eps-help', class: 'hint' }),
      el('p', { id: 'status', 'aria-live': 'polite' }),
    ),
    el('section', { id: 'result', 'aria-labelledby': 'result-h' },
      el('h2', { id: 'result-h', text: '4. What the attack did' }),
      el('div', { class: 'row', id: 'figures' }),
      el('div', { class: 'row', id: 'bars' }),
      el('div', { id: 'cert' }),
    ),
    el('section', { id: 'lipschitz', 'aria-labelledby': 'lip-h' },
      el('h2', { id: 'lip-h', text: '5. Lipschitz view: the global bound against the local slope' }),
      el('div', { id: 'lip' }),
    ),
  );

  const pad = createPad(280, () => void onDrawn(st, pad));
  $('pad-box').append(pad.canvas, el('figure', {}, imageCanvas([MNIST_SIDE, MNIST_SIDE, 1], 'the drawing as the model sees it', 84), el('figcaption', { text: 'model input' })));
  pad.canvas.setAttribute('aria-label', 'drawing pad, 280 by 280 pixels');
  pad.canvas.setAttribute('role', 'img');
  $('undo').addEventListener('click', () => pad.undo());
  $('clear').addEventListener('click', () => pad.clear());
  $('drawn-label').addEventListener('change', () => {
    if (st.input?.source === 'drawn') void setInput(st, { ...st.input, label: drawnLabel() });
  });
  (window as unknown as { __lipbenchPad: Pad }).__lipbenchPad = pad;

  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=model]')) {
    r.addEventListener('change', () => void selectModel(st, r.value));
  }
  $<HTMLSelectElement>('attack-select').addEventListener('change', (e) => setAttack(st, (e.target as HTMLSelectElement).value));
  const eps = $<HTMLInputElement>('eps');
  eps.addEventListener('input', () => {
    st.eps = Number(eps.value);
    $('eps-out').textContent = fmt(st.eps, 3);
  });
  $<HTMLInputElement>('steps').addEventListener('change', (e) => {
    const v = Math.round(Number((e.target as HTMLInputElement).value));
    st.steps = Number.isFinite(v) && v >= 1 ? Math.min(1000, v) : st.attack.defaultSteps;
    (e.target as HTMLInputElement).value = String(st.steps);
  });
  $('run').addEventListener('click', () => void runAttackNow(st));
  $('flip').addEventListener('click', () => void findFlipNow(st));
  syncAttackControls(st);
}

function modelTable(st: State): HTMLElement {
  const m = st.manifest;
  if (m.models.length === 0) return el('p', { text: 'No saved models in this results folder.' });
  const l2eps = [...new Set(m.models.flatMap((e) => e.certified.filter((c) => c.eps > 0).map((c) => c.eps)))].sort((a, b) => a - b).slice(0, 3);
  const head = el('tr', {},
    el('th', { scope: 'col', text: 'Use' }),
    el('th', { scope: 'col', text: 'Method' }),
    el('th', { scope: 'col', text: 'Model' }),
    el('th', { scope: 'col', text: 'Seed' }),
    el('th', { scope: 'col', text: 'Clean accuracy' }),
    el('th', { scope: 'col', text: 'Lipschitz bound L (product)' }),
    el('th', { scope: 'col', text: 'Largest test gradient norm' }),
    ...l2eps.map((e) => el('th', { scope: 'col', text: `Certified ℓ2 acc. ε=${e}` })),
  );
  const rows = m.models.map((e, i) =>
    el('tr', {},
      el('td', {}, el('input', { type: 'radio', name: 'model', value: e.runId, id: `model-${i}`, ...(i === 0 ? { checked: '' } : {}) })),
      el('td', {}, el('label', { for: `model-${i}`, text: e.label })),
      el('td', { text: e.model }),
      el('td', { text: String(e.seed) }),
      el('td', { class: 'num', text: pct(e.testAcc) }),
      el('td', { class: 'num', text: fmt(e.lipUpper, 2) }),
      el('td', { class: 'num', text: fmt(e.lipLowerGrad, 2) }),
      ...l2eps.map((x) => {
        const c = e.certified.find((r) => r.eps === x);
        const best = c ? Math.max(c.global ?? -1, c.pairwise ?? -1, c.crown ?? -1) : -1;
        return el('td', { class: 'num', text: best >= 0 ? pct(best) : '–' });
      }),
    ),
  );
  return el('table', { class: 'models' },
    el('caption', { text: 'From the experiment’s CSVs: accuracy on the test set, the product of per-layer operator norms, and the share of attacked test points certified (best certificate the run computed).' }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

function attackSelect(st: State): HTMLSelectElement {
  const s = el('select', { id: 'attack-select' });
  for (const a of st.manifest.attacks) {
    const o = el('option', { value: a.name, text: `${a.label} (${a.norm === 'linf' ? 'ℓ∞' : 'ℓ2'})` });
    if (a.name === st.attack.name) o.selected = true;
    s.append(o);
  }
  return s;
}

function setAttack(st: State, name: string): void {
  const a = st.manifest.attacks.find((x) => x.name === name);
  if (!a) throw new Error(`unknown attack ${name}`);
  const normChanged = a.norm !== st.attack.norm;
  st.attack = a;
  if (normChanged) st.eps = EPS_RANGE[a.norm].initial;
  st.steps = a.defaultSteps;
  syncAttackControls(st);
}

function syncAttackControls(st: State): void {
  const r = EPS_RANGE[st.attack.norm];
  const eps = $<HTMLInputElement>('eps');
  eps.max = String(r.max);
  eps.step = String(r.step);
  eps.value = String(st.eps);
  $('eps-out').textContent = fmt(st.eps, 3);
  $('eps-label').textContent = st.attack.norm === 'linf' ? 'ε (ℓ∞) ' : 'ε (ℓ2) ';
  $('eps-help').textContent =
    st.attack.norm === 'linf'
      ? 'ℓ∞: every pixel may change by at most ε (pixels are in [0,1]; ε = 0.3 is the classic MNIST budget).'
      : 'ℓ2: the Euclidean length of the whole change is at most ε (comparable directly with the certified ℓ2 radius below).';
  const steps = $<HTMLInputElement>('steps');
  steps.disabled = !st.attack.hasSteps;
  steps.value = st.attack.hasSteps ? String(st.steps) : '1';
  $<HTMLSelectElement>('attack-select').value = st.attack.name;
}

// ---------------------------------------------------------------- inputs

function buildStrip(st: State): void {
  const d = st.digits!;
  const strip = $('strip');
  strip.replaceChildren();
  const px = d.shape[0] * d.shape[1] * d.shape[2];
  for (let i = 0; i < d.count; i++) {
    const b = el('button', { type: 'button', class: 'digit', 'data-index': String(i), 'aria-label': `test digit ${i}, label ${d.labels[i]}`, tabindex: i === 0 ? '0' : '-1' });
    const c = imageCanvas(d.shape, '', 28);
    c.removeAttribute('role');
    paintImage(c, Array.from(d.x.subarray(i * px, (i + 1) * px), (v) => v / 255), d.shape);
    b.append(c);
    b.addEventListener('click', () => void selectTestDigit(st, i));
    strip.append(b);
  }
  // Arrow keys move between digits (one tab stop for the whole strip).
  strip.addEventListener('keydown', (e) => {
    const cur = document.activeElement as HTMLElement | null;
    if (!cur?.classList.contains('digit')) return;
    const i = Number(cur.dataset['index']);
    const top = (strip.children[0] as HTMLElement).offsetTop;
    let cols = 0;
    while (cols < d.count && (strip.children[cols] as HTMLElement).offsetTop === top) cols++;
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'ArrowDown' ? i + cols : e.key === 'ArrowUp' ? i - cols : -1;
    if (next < 0 || next >= d.count || e.key.indexOf('Arrow') !== 0) return;
    e.preventDefault();
    const to = strip.children[next] as HTMLElement;
    cur.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  });
}

function testDigit(st: State, i: number): Float32Array {
  const d = st.digits!;
  const px = d.shape[0] * d.shape[1] * d.shape[2];
  return Float32Array.from(d.x.subarray(i * px, (i + 1) * px), (v) => v / 255);
}

async function selectTestDigit(st: State, i: number): Promise<void> {
  const d = st.digits;
  if (!d || i < 0 || i >= d.count) throw new Error(`no test digit ${i}`);
  for (const b of document.querySelectorAll('.digit[aria-pressed]')) b.removeAttribute('aria-pressed');
  document.querySelector(`.digit[data-index="${i}"]`)?.setAttribute('aria-pressed', 'true');
  await setInput(st, { x: testDigit(st, i), label: d.labels[i]!, source: 'test', index: i });
}

async function onDrawn(st: State, pad: Pad): Promise<void> {
  const fig = document.querySelector<HTMLCanvasElement>('#pad-box figure canvas')!;
  if (pad.strokes() === 0) {
    paintImage(fig, new Float32Array(MNIST_SIDE * MNIST_SIDE), [MNIST_SIDE, MNIST_SIDE, 1]);
    return;
  }
  const ink = pad.ink();
  const x = toMnistDigit(ink.data, ink.w, ink.h);
  paintImage(fig, x, [MNIST_SIDE, MNIST_SIDE, 1]);
  if (st.loaded && st.loaded.shape.join() !== [MNIST_SIDE, MNIST_SIDE, 1].join()) {
    fail(`drawing gives a 28×28 grayscale digit; this model takes [${st.loaded.shape}]`);
    return;
  }
  await setInput(st, { x, label: drawnLabel(), source: 'drawn' });
}

/** The class the user says their drawing is, or null to attack away from the prediction. */
function drawnLabel(): number | null {
  const v = $<HTMLSelectElement>('drawn-label').value;
  return v === '' ? null : Number(v);
}

async function setInput(st: State, input: Input): Promise<void> {
  st.input = input;
  st.last = null;
  st.flip = null;
  await analyse(st);
}

// ---------------------------------------------------------------- model + analysis

async function selectModel(st: State, runId: string): Promise<void> {
  const entry = st.manifest.models.find((m) => m.runId === runId);
  if (!entry) throw new Error(`no model ${runId}`);
  st.entry = entry;
  const radio = document.querySelector<HTMLInputElement>(`input[name=model][value="${runId}"]`);
  if (radio) radio.checked = true;
  setStatus(`Loading ${entry.label}…`);
  st.loaded = null;
  const loaded = await loadModel(entry);
  if (st.entry !== entry) return;
  st.loaded = loaded;
  if (loaded.boundsError) fail(`${entry.label}: per-layer bounds unavailable (${loaded.boundsError})`);
  setStatus(`${entry.label} loaded in ${loaded.loadMs.toFixed(0)} ms. ${loaded.headNote}.`);
  st.last = null;
  st.flip = null;
  await analyse(st);
}

async function analyse(st: State): Promise<void> {
  const { loaded, input } = st;
  st.analysis = null;
  st.crown = null;
  if (!loaded || !input) return render(st);
  if (input.x.length !== loaded.shape[0] * loaded.shape[1] * loaded.shape[2]) {
    fail(`${loaded.entry.label} takes [${loaded.shape}] inputs; this input has ${input.x.length} values (the test strip and the drawing pad are 28×28 grayscale MNIST)`);
    return render(st);
  }
  const before = predict(loaded.model, input.x, loaded.shape);
  const target = input.label ?? before.top;
  const cert = certify(loaded.model, input.x, loaded.shape, target, loaded.entry.lipUpper, loaded.bounds);
  const gradNorm = localGradientNorm(loaded.model, input.x, loaded.shape, target);
  st.analysis = { target, before, cert, gradNorm };
  render(st);
}

function attackRequest(st: State): { name: string; options: Record<string, unknown>; seed: number } {
  const options: Record<string, unknown> = { ...st.attack.options };
  if (st.attack.hasSteps) options['steps'] = st.steps;
  return { name: st.attack.name, options, seed: 0 };
}

async function guarded<T>(st: State, what: string, f: () => Promise<T>): Promise<T | undefined> {
  if (st.busy) return undefined;
  st.busy = true;
  for (const id of ['run', 'flip']) $<HTMLButtonElement>(id).disabled = true;
  setStatus(`${what}…`);
  // Let the status paint before the synchronous tfjs work starts.
  await new Promise((r) => setTimeout(r, 0));
  try {
    return await f();
  } catch (e) {
    fail(`${what}: ${(e as Error).message}`);
    return undefined;
  } finally {
    st.busy = false;
    for (const id of ['run', 'flip']) $<HTMLButtonElement>(id).disabled = false;
  }
}

async function runAttackNow(st: State): Promise<AttackOutcome | undefined> {
  const { loaded, input, analysis } = st;
  if (!loaded || !input || !analysis) return undefined;
  return guarded(st, `Running ${st.attack.label} at ε=${fmt(st.eps)}`, async () => {
    const out = await attackOnce(loaded.model, input.x, loaded.shape, analysis.target, { ...attackRequest(st), eps: st.eps });
    st.last = { ...out, after: predict(loaded.model, out.xAdv, loaded.shape), attack: st.attack.label, steps: st.attack.hasSteps ? st.steps : null };
    st.flip = null;
    setStatus(`${st.attack.label}${st.attack.hasSteps ? `, ${st.steps} steps` : ''}, ε=${fmt(st.eps)}: ${out.flipped ? 'the prediction flipped' : 'the prediction held'} (${out.ms.toFixed(0)} ms).`);
    render(st);
    revealResult();
    return out;
  });
}

async function findFlipNow(st: State): Promise<FlipSearch | undefined> {
  const { loaded, input, analysis } = st;
  if (!loaded || !input || !analysis) return undefined;
  const hi = EPS_RANGE[st.attack.norm].max;
  return guarded(st, `Searching the smallest ε at which ${st.attack.label} flips the prediction (bisection on [0, ${hi}])`, async () => {
    const f = await findFlip(loaded.model, input.x, loaded.shape, analysis.target, attackRequest(st), hi);
    st.flip = f;
    st.last = { ...f.at, after: predict(loaded.model, f.at.xAdv, loaded.shape), attack: st.attack.label, steps: st.attack.hasSteps ? st.steps : null };
    st.eps = f.at.eps;
    syncAttackControls(st);
    setStatus(
      f.eps === null
        ? `${st.attack.label} did not flip the prediction even at ε=${hi} (${f.attacks} attack, ${f.ms.toFixed(0)} ms).`
        : `${st.attack.label} first flips the prediction near ε=${fmt(f.eps)} (${f.attacks} attacks, ${f.ms.toFixed(0)} ms); shown below at that ε.`,
    );
    render(st);
    revealResult();
    return f;
  });
}

async function crownNow(st: State): Promise<void> {
  const { loaded, input, analysis } = st;
  if (!loaded || !input || !analysis) return;
  await guarded(st, 'Computing the CROWN-certified radii (bound propagation, bisection over ε)', async () => {
    try {
      const start = Math.max(analysis.cert.pairwise ?? analysis.cert.global ?? 0, 0.01) * 2;
      const l2 = crownRadius(loaded.model, input.x, loaded.shape, analysis.target, 'l2', start);
      const linf = crownRadius(loaded.model, input.x, loaded.shape, analysis.target, 'linf', 0.01);
      st.crown = { l2, linf };
      setStatus(`CROWN radii computed in ${(l2.ms + linf.ms).toFixed(0)} ms (${l2.evaluations + linf.evaluations} bound propagations).`);
    } catch (e) {
      st.crown = { error: (e as Error).message };
      setStatus('');
    }
    render(st);
  });
}

/** Bring the result into view after an attack, unless it already is. */
function revealResult(): void {
  const r = $('result').getBoundingClientRect();
  if (r.top > window.innerHeight - 120 || r.bottom < 0) $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function setStatus(s: string): void {
  $('status').textContent = s;
}

// ---------------------------------------------------------------- rendering

function render(st: State): void {
  const { loaded, input, analysis, last } = st;
  const shape = loaded?.shape ?? [MNIST_SIDE, MNIST_SIDE, 1];
  $('input-line').textContent = !input
    ? 'No input chosen yet.'
    : input.source === 'test'
      ? `Input: test digit #${input.index} (true label ${input.label}).`
      : input.label !== null
        ? `Input: your drawing of a ${input.label}; the attack tries to make the model answer anything else.`
        : `Input: your drawing. Without a label (choose one beside Clear), the attack tries to change the model's prediction (${analysis?.before.top ?? '?'}).`;

  const figs = $('figures');
  figs.replaceChildren();
  const bs = $('bars');
  bs.replaceChildren();
  const certBox = $('cert');
  certBox.replaceChildren();
  const lip = $('lip');
  lip.replaceChildren();
  if (!loaded || !input || !analysis) return;

  const orig = imageCanvas(shape, 'original input', 140);
  paintImage(orig, input.x, shape);
  figs.append(el('figure', {}, orig, el('figcaption', { text: `Original: predicted ${analysis.before.top}` })));
  if (last) {
    const adv = imageCanvas(shape, 'adversarial input', 140);
    paintImage(adv, last.xAdv, shape);
    const pert = imageCanvas(shape, 'perturbation, magnified', 140);
    const scale = paintPerturbation(pert, input.x, last.xAdv, shape);
    figs.append(
      el('figure', {}, adv, el('figcaption', { text: `Adversarial (${last.attack}, ε=${fmt(last.eps)}): predicted ${last.after.top}` })),
      el('figure', {}, pert, el('figcaption', { text: scale > 0 ? `Change, magnified ×${fmt(1 / scale, 1)}: orange adds ink, purple removes it. ‖δ‖∞ = ${fmt(last.linf)}, ‖δ‖₂ = ${fmt(last.l2)}` : 'No change' })),
    );
  }
  bs.append(bars(`Class probabilities before${input.label !== null ? ` (${input.source === 'test' ? 'true' : 'your'} label ${input.label})` : ''}`, analysis.before, analysis.target, 'probs-before'));
  if (last) bs.append(bars('Class probabilities after the attack', last.after, analysis.target, 'probs-after'));

  // Certificates against the attack.
  const c = analysis.cert;
  const crown = st.crown && 'l2' in st.crown ? st.crown : null;
  certBox.append(
    certificateTable({
      cert: c,
      crown,
      L: loaded.entry.lipUpper ?? loaded.bounds?.upper ?? null,
      fromHarness: loaded.entry.lipUpper !== null,
      last,
      flip: st.flip,
      target: analysis.target,
      labelled: input.label !== null,
    }),
  );
  if (st.crown && 'error' in st.crown) {
    certBox.append(el('p', { class: 'note', text: `CROWN radii are not available for this model: ${st.crown.error}` }));
  } else if (!crown) {
    const b = el('button', { type: 'button', id: 'crown', text: 'Compute the CROWN radii (ℓ2 and ℓ∞)' });
    b.addEventListener('click', () => void crownNow(st));
    certBox.append(el('p', {}, b, ' a local certificate by bound propagation; about a second for an MLP'));
  }
  const bad = last ? contradiction(c, last, crown ? { l2: crown.l2.radius, linf: crown.linf.radius } : {}) : null;
  if (bad) {
    certBox.prepend(el('p', { class: 'error', role: 'alert', text: bad }));
    if (!st.errors.includes(bad)) {
      st.errors.push(bad);
      console.error(`lipbench explorer: ${bad}`);
    }
  }

  lip.append(...lipschitzView(loaded, analysis.target, analysis.gradNorm));
}

// ---------------------------------------------------------------- test hook

function installHook(st: State): void {
  const snapshot = () => ({
    backend: st.backend.name,
    model: st.entry?.runId ?? null,
    models: st.manifest.models.map((m) => ({ runId: m.runId, label: m.label, method: m.method })),
    input: st.input ? { x: Array.from(st.input.x), label: st.input.label, source: st.input.source, index: st.input.index ?? null } : null,
    prediction: st.analysis?.before.top ?? null,
    probs: st.analysis?.before.probs ?? null,
    target: st.analysis?.target ?? null,
    certified: st.analysis ? { global: st.analysis.cert.global, pairwise: st.analysis.cert.pairwise } : null,
    gradNorm: st.analysis?.gradNorm ?? null,
    attack: { name: st.attack.name, norm: st.attack.norm, eps: st.eps, steps: st.steps },
    last: st.last
      ? { eps: st.last.eps, norm: st.last.norm, flipped: st.last.flipped, xAdv: Array.from(st.last.xAdv), linf: st.last.linf, l2: st.last.l2, ms: st.last.ms, prediction: st.last.after.top }
      : null,
    flip: st.flip ? { eps: st.flip.eps, attacks: st.flip.attacks } : null,
    crown: st.crown && 'l2' in st.crown ? { l2: st.crown.l2.radius, l2RefutedAt: st.crown.l2.refutedAt, linf: st.crown.linf.radius, linfRefutedAt: st.crown.linf.refutedAt } : st.crown,
    errors: [...st.errors],
    numTensors: tf.memory().numTensors,
  });
  const hook = {
    state: snapshot,
    selectModel: (runId: string) => selectModel(st, runId).then(snapshot),
    selectTestDigit: (i: number) => selectTestDigit(st, i).then(snapshot),
    /**
     * Times `reps` runs of the selected attack on the current input (after one warm-up),
     * in ms; for bench/explorer-bench.ts.
     */
    async time(reps: number): Promise<number[]> {
      const { loaded, input, analysis } = st;
      if (!loaded || !input || !analysis) throw new Error('no model or input');
      const req = { ...attackRequest(st), eps: st.eps };
      await attackOnce(loaded.model, input.x, loaded.shape, analysis.target, req);
      const out: number[] = [];
      for (let r = 0; r < reps; r++) out.push((await attackOnce(loaded.model, input.x, loaded.shape, analysis.target, req)).ms);
      return out;
    },
  };
  (window as unknown as { __lipbench: typeof hook }).__lipbench = hook;
  document.body.dataset['ready'] = 'true';
}

boot().catch((e: unknown) => fail(`could not start: ${(e as Error).message ?? String(e)}`));
