/**
 * Free text is printable text (DESIGN.md, "Credentials and principals"). Descriptions, tag values,
 * approval comments and denial reasons end up on an approver's terminal and in the console: a
 * control character there can move the cursor, recolour or redraw what the approver reads (ANSI
 * escapes, carriage returns), and a bidirectional override or isolate can make text display in an
 * order other than the one stored ("Trojan Source", CVE-2021-42574).
 *
 * Refused everywhere: C0 controls (U+0000–001F), DEL (U+007F), C1 controls (U+0080–009F), the line
 * and paragraph separators (U+2028, U+2029), the bidirectional embeddings and overrides
 * (U+202A–202E) and isolates (U+2066–2069), and lone surrogates. Multi-line text (comments, reasons)
 * may hold newline (U+000A) and tab (U+0009), nothing else from that list.
 *
 * Allowed on purpose: the directional MARKS U+200E, U+200F and U+061C. They open no embedding that
 * reaches past the next character, and right-to-left writers need them to place punctuation.
 */

/* eslint-disable no-control-regex -- matching control characters is the point */
/** Characters free text refuses (the multi-line variant allows \n and \t). */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/* eslint-enable no-control-regex */

export type TextKind = 'single-line' | 'multi-line';

/** Why `text` is not acceptable free text, or null. The message names the rule, never the input. */
export function textProblem(text: string, kind: TextKind = 'single-line'): string | null {
  if (!text.isWellFormed()) return 'text is not valid Unicode (lone surrogate)';
  const found = (kind === 'multi-line' ? FORBIDDEN_MULTILINE : FORBIDDEN).exec(text);
  if (!found) return null;
  const code = found[0].codePointAt(0)!;
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0x202a && code <= 0x2069) return `text may not hold bidirectional overrides or isolates (${name})`;
  if (kind === 'multi-line') return `text may not hold control characters other than newline and tab (${name})`;
  return `text may not hold control characters or line breaks (${name})`;
}

/**
 * Text made safe to print: every character free text refuses becomes a visible escape (`\u001b`,
 * `\u202e`), and a backslash that would start such an escape is doubled. For records stored before
 * validation, and for text from outside (a User-Agent header).
 */
export function escapeText(text: string): string {
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(wellFormed)) return wellFormed;
  return wellFormed
    .replace(/\\u/g, '\\\\u')
    .replace(UNPRINTABLE, (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
