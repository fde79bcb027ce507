/**
 * resvg draws no text at all when it cannot find the font an SVG asks for, and Vega's
 * SVG asks for the generic `sans-serif`. So we look for a concrete sans font on disk and
 * map the generic family to it; the caller is told when there is none.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';

type FontOptions = NonNullable<ResvgRenderOptions['font']>;

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/Library/Fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'];

/** Families in order of preference with the file stems that provide them. */
const PREFERRED: readonly { family: string; files: readonly string[] }[] = [
  { family: 'DejaVu Sans', files: ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'] },
  { family: 'Liberation Sans', files: ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf'] },
  { family: 'Noto Sans', files: ['NotoSans-Regular.ttf', 'NotoSans-Bold.ttf'] },
  { family: 'Arial', files: ['Arial.ttf', 'arial.ttf', 'Arial Bold.ttf', 'arialbd.ttf'] },
];

function listFontFiles(dir: string, depth: number, out: string[]): void {
  if (depth > 4 || !existsSync(dir)) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listFontFiles(p, depth + 1, out);
    else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(p);
  }
}

export interface FontChoice {
  options: FontOptions;
  /** Family that stands in for `sans-serif`, or null when no font file was found. */
  family: string | null;
  /** Set when PNG text will probably be missing. */
  warning: string | null;
}

let cached: FontChoice | undefined;

export function chooseFont(): FontChoice {
  if (cached) return cached;
  const files: string[] = [];
  for (const dir of FONT_DIRS) listFontFiles(dir, 0, files);
  const byName = new Map(files.map((f) => [path.basename(f), f]));
  for (const pref of PREFERRED) {
    const found = pref.files.map((f) => byName.get(f)).filter((f): f is string => f !== undefined);
    if (found.length > 0) {
      cached = {
        family: pref.family,
        warning: null,
        options: {
          loadSystemFonts: true,
          fontFiles: found,
          defaultFontFamily: pref.family,
          sansSerifFamily: pref.family,
        },
      };
      return cached;
    }
  }
  cached = {
    family: null,
    warning:
      files.length === 0
        ? 'no font files found: PNG charts will have no text (install e.g. the Debian package fonts-dejavu-core)'
        : 'no known sans font (DejaVu/Liberation/Noto/Arial) found; PNG text uses the first system font',
    options: { loadSystemFonts: true },
  };
  return cached;
}
