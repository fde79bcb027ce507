/**
 * The drawing pad: strokes with mouse, pen or touch (pointer events), undo and clear.
 * It keeps the strokes, not pixels, so undo redraws from the list; `ink()` reads the
 * canvas's alpha as ink in [0,1] for preprocess.ts.
 */
export interface Pad {
  readonly canvas: HTMLCanvasElement;
  ink(): { data: Float32Array; w: number; h: number };
  strokes(): number;
  undo(): void;
  clear(): void;
}

type Point = readonly [number, number];

/** Stroke width on the pad, as a fraction of its side: about MNIST's pen once scaled to 20 px. */
const PEN = 0.1;

export function createPad(side: number, onChange: () => void): Pad {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  canvas.className = 'pad';
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const strokes: Point[][] = [];
  let current: Point[] | null = null;

  const redraw = () => {
    ctx.clearRect(0, 0, side, side);
    ctx.strokeStyle = '#000';
    ctx.fillStyle = '#000';
    ctx.lineWidth = PEN * side;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const s of current ? [...strokes, current] : strokes) {
      if (s.length === 1) {
        ctx.beginPath();
        ctx.arc(s[0]![0], s[0]![1], (PEN * side) / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(s[0]![0], s[0]![1]);
      for (const p of s.slice(1)) ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    }
  };

  const at = (e: PointerEvent): Point => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * side, ((e.clientY - r.top) / r.height) * side];
  };
  canvas.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    canvas.setPointerCapture?.(e.pointerId);
    current = [at(e)];
    redraw();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!current) return;
    current.push(at(e));
    redraw();
  });
  const end = () => {
    if (!current) return;
    strokes.push(current);
    current = null;
    redraw();
    onChange();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  return {
    canvas,
    ink() {
      const img = ctx.getImageData(0, 0, side, side).data;
      const data = new Float32Array(side * side);
      for (let i = 0; i < data.length; i++) data[i] = img[i * 4 + 3]! / 255;
      return { data, w: side, h: side };
    },
    strokes: () => strokes.length,
    undo() {
      strokes.pop();
      redraw();
      onChange();
    },
    clear() {
      strokes.length = 0;
      redraw();
      onChange();
    },
  };
}
