/** Small DOM and canvas helpers for the explorer page. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** An image canvas at the data's own resolution; CSS scales it up without smoothing. */
export function imageCanvas(shape: readonly [number, number, number], label: string, cssSide: number): HTMLCanvasElement {
  const c = el('canvas', { role: 'img', 'aria-label': label, class: 'img' });
  c.width = shape[1];
  c.height = shape[0];
  c.style.width = `${cssSide}px`;
  c.style.height = `${(cssSide * shape[0]) / shape[1]}px`;
  return c;
}

/** Ink in [0,1], drawn dark on light (grayscale), or the RGB image as it is. */
export function paintImage(c: HTMLCanvasElement, x: ArrayLike<number>, shape: readonly [number, number, number]): void {
  const [h, w, ch] = shape;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    if (ch === 1) {
      const v = Math.round(255 * (1 - Math.min(1, Math.max(0, x[i]!))));
      img.data[i * 4] = v;
      img.data[i * 4 + 1] = v;
      img.data[i * 4 + 2] = v;
    } else {
      for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.round(255 * Math.min(1, Math.max(0, x[i * ch + k]!)));
    }
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * δ = xAdv − x scaled so the largest |δ| is full colour: orange where the attack added
 * ink, blue where it removed ink, white where it left the pixel (summed over channels).
 * Returns the scale used.
 */
export function paintPerturbation(c: HTMLCanvasElement, x: ArrayLike<number>, xAdv: ArrayLike<number>, shape: readonly [number, number, number]): number {
  const [h, w, ch] = shape;
  const d = new Float32Array(h * w);
  let max = 0;
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let k = 0; k < ch; k++) s += xAdv[i * ch + k]! - x[i * ch + k]!;
    d[i] = s / ch;
    max = Math.max(max, Math.abs(d[i]!));
  }
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const t = max > 0 ? d[i]! / max : 0;
    // White → orange (#e66101) for added ink, white → blue (#5e3c99) for removed ink.
    const [r, g, b] = t >= 0 ? [230, 97, 1] : [94, 60, 153];
    const a = Math.abs(t);
    img.data[i * 4] = Math.round(255 + (r - 255) * a);
    img.data[i * 4 + 1] = Math.round(255 + (g - 255) * a);
    img.data[i * 4 + 2] = Math.round(255 + (b - 255) * a);
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return max;
}

export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)}%`;
}
