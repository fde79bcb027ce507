/**
 * Minimal HTML building for the report. Every piece of text that came from a CSV (run
 * ids, regularizer names, attack names) is escaped by the `html` template unless it is
 * already an Html value, so escaping is the default and forgetting it is not possible.
 */

/** Markup that is already safe; a class so that the template can tell it from text at runtime. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** One block of the report; `body` is trusted markup built with `html`. */
export interface ReportSection {
  /** HTML id, used for the table of contents. */
  id: string;
  title: string;
  body: Html;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Trusts the argument as markup: only for literals and output already built from `html`. */
export function rawHtml(markup: string): Html {
  return new Html(markup);
}

export type HtmlValue = string | number | Html | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  return escapeHtml(String(value));
}

/** Tagged template: strings and numbers are escaped, Html kept, arrays concatenated. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/**
 * JSON placed inside <script type="application/json">: `<` is escaped so a value such as
 * `</script>` in a run id cannot end the element; U+2028/9 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): Html {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return new Html(json);
}
