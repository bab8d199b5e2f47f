/** Rendering for people (tables, dates) and for scripts (JSON). */
import Table from 'cli-table3';
import type { OutStream } from './io';

/**
 * What a terminal must never receive from stored text: C0 and C1 controls, DEL, the line and
 * paragraph separators, and bidirectional embeddings, overrides and isolates — the characters the
 * vault refuses in free text (core's domain/text). Records stored before that rule, or by a server
 * that does not apply it, still reach this printer: it shows them as visible escapes (`\u001b`).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** What JSON.stringify leaves raw: the same list but for C0 controls, which it escapes itself. */
const JSON_UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const escapeChar = (char: string) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`;

/** Stored text made safe for a terminal: every unprintable character becomes `\uXXXX`. */
export function safe(text: string | number | null | undefined): string {
  const value = String(text ?? '');
  const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(wellFormed)) return wellFormed;
  return wellFormed.replace(/\\u/g, '\\\\u').replace(UNPRINTABLE, escapeChar);
}

/** JSON text whose strings hold no character a terminal acts on (still the same JSON value). */
function safeJson(text: string): string {
  return text.replace(JSON_UNPRINTABLE, escapeChar);
}

export function printJson(out: OutStream, value: unknown): void {
  out.write(`${safeJson(JSON.stringify(value, null, 2))}\n`);
}

/** One compact JSON document per line (for `audit --follow --json`). */
export function printJsonLine(out: OutStream, value: unknown): void {
  out.write(`${safeJson(JSON.stringify(value))}\n`);
}

export function renderTable(head: string[], rows: (string | number)[][]): string {
  // No colours: the output is read in terminals and in logs alike.
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(row.map(safe));
  return table.toString();
}

export function printTable(out: OutStream, head: string[], rows: (string | number)[][]): void {
  out.write(`${renderTable(head, rows)}\n`);
}

/** `2025-01-15T10:30:00Z`: ISO-8601 to the second, or `-`. */
export function when(date: Date | null | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** At most `max` items, then "… and N more". */
export function some(items: string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} … and ${items.length - max} more`;
}
