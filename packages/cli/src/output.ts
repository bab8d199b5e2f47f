/** Rendering for people (tables, dates) and for scripts (JSON). */
import Table from 'cli-table3';
import type { OutStream } from './io';

export function printJson(out: OutStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One compact JSON document per line (for `audit --follow --json`). */
export function printJsonLine(out: OutStream, value: unknown): void {
  out.write(`${JSON.stringify(value)}\n`);
}

export function renderTable(head: string[], rows: (string | number)[][]): string {
  // No colours: the output is read in terminals and in logs alike.
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(row.map(String));
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
