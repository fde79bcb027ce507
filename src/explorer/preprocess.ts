/**
 * A drawing turned into an MNIST digit the way LeCun et al. normalized theirs: the
 * ink's bounding box is scaled (aspect ratio kept, anti-aliased by area averaging) so
 * its longer side is 20 pixels, and placed in a 28×28 field so that its centre of
 * mass falls on the field's centre. Models trained on MNIST have never seen a digit
 * that fills the frame or sits in a corner, so a raw downscale of the canvas is
 * misclassified far more often than the same strokes normalized. Pure and Node-free.
 */

export const MNIST_SIDE = 28;
/** The side of the box the ink is scaled into (MNIST: 20 px in a 28 px field). */
export const MNIST_BOX = 20;

/** Ink below this intensity does not count towards the bounding box (anti-aliasing fringe). */
const INK = 0.05;

/**
 * `ink` is a w×h row-major image in [0,1] (1 = ink). Returns 28×28 values in [0,1], all
 * zero when nothing was drawn.
 */
export function toMnistDigit(ink: ArrayLike<number>, w: number, h: number): Float32Array {
  if (ink.length !== w * h) throw new Error(`toMnistDigit: ${ink.length} values for a ${w}×${h} image`);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x]! > INK) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = MNIST_BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Area average: each box pixel is the mean of the source pixels its footprint covers
  // (fractional coverage at the edges), so thin strokes keep their share of ink.
  const box = new Float32Array(tw * th);
  const sx = bw / tw;
  const sy = bh / th;
  for (let ty = 0; ty < th; ty++) {
    const fy0 = y0 + ty * sy;
    const fy1 = fy0 + sy;
    for (let tx = 0; tx < tw; tx++) {
      const fx0 = x0 + tx * sx;
      const fx1 = fx0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(fy0); y < Math.ceil(fy1); y++) {
        const cy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        if (cy <= 0) continue;
        for (let x = Math.floor(fx0); x < Math.ceil(fx1); x++) {
          const cx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          if (cx <= 0) continue;
          sum += cx * cy * ink[y * w + x]!;
          area += cx * cy;
        }
      }
      box[ty * tw + tx] = area > 0 ? sum / area : 0;
    }
  }
  // Centre of mass of the box, in pixel-centre coordinates.
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x]!;
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const cx = m > 0 ? mx / m : tw / 2;
  const cy = m > 0 ? my / m : th / 2;
  // Integer shift (as MNIST did) that puts the centre of mass nearest the field's centre,
  // clamped so the whole box stays inside the field.
  const ox = clamp(Math.round(MNIST_SIDE / 2 - cx), 0, MNIST_SIDE - tw);
  const oy = clamp(Math.round(MNIST_SIDE / 2 - cy), 0, MNIST_SIDE - th);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(y + oy) * MNIST_SIDE + x + ox] = Math.min(1, Math.max(0, box[y * tw + x]!));
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
