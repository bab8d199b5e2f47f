/**
 * HTML built only through the `html` tag: every interpolated value is escaped unless it is already
 * `SafeHtml`. Control characters and bidirectional overrides (terminal escapes, RTL tricks) are
 * shown as visible `U+XXXX` marks, never passed to the page.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

// C0 and C1 controls (tab and newline stay whitespace), zero-width and bidi controls, line/paragraph separators, BOM.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/gu;

function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Text as HTML: markup escaped, invisible characters made visible. */
export function escapeText(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    out += escapeMarkup(text.slice(last, match.index));
    const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    out += `<span class="ctl" title="invisible character">U+${code}</span>`;
    last = match.index + match[0].length;
  }
  return out + escapeMarkup(text.slice(last));
}

/** For attribute values: markup escaped, invisible characters replaced by their code. */
export function escapeAttribute(text: string): string {
  return escapeMarkup(text.replace(INVISIBLE, (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`));
}

function render(part: Part, inAttribute: boolean): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map((p: Part) => render(p, inAttribute)).join('');
  const text = String(part);
  return inAttribute ? escapeAttribute(text) : escapeText(text);
}

/** Whether the template text just before a value opens an attribute (`name="`). */
const opensAttribute = (before: string) => /=\s*"[^"]*$/.test(before);

export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value, opensAttribute(out)) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

export type { Part as HtmlPart };
