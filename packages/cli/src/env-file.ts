/**
 * The .env text the CLI writes (`export`) and splits (`import` of large files).
 *
 * Writing: the vault reads .env with dotenv behind a structural scan. In single quotes and
 * backticks dotenv keeps every character as it is; in double quotes it turns `\n` and `\r` into
 * line breaks and keeps everything else. Both drop a lone `\r` (line endings are normalised), and
 * the scan takes a quote right after a backslash for an escaped one. So a value is written in the
 * first quoting that reads it back unchanged, or refused.
 *
 * Splitting: the same structural scan as the vault's (an entry is a `KEY=` line plus the lines of a
 * quoted value that spans lines), so a batch never cuts a value in two.
 */

export type EnvQuoting = 'single' | 'double' | 'backtick';

const KEY = /^[\w.-]+$/;

/** The first quoting that reads `value` back unchanged, or why there is none (naming no content). */
function quoting(value: string): EnvQuoting | { problem: string } {
  if (value.endsWith('\\')) return { problem: 'ends with a backslash' };
  const cr = value.includes('\r');
  if (!cr && !value.includes('\'')) return 'single';
  if (!cr && !value.includes('`')) return 'backtick';
  const escapes = /\\[nr]/.test(value);
  if (!value.includes('"') && !escapes) return 'double';
  if (!cr) return { problem: value.includes('"') ? 'holds all three quote characters' : 'holds \' and ` and the text \\n or \\r' };
  return { problem: value.includes('"') ? 'holds a carriage return and "' : 'holds a carriage return and the text \\n or \\r' };
}

/** `KEY='value'` (or with `"`/`` ` ``), reading back as `value` exactly; throws if it cannot. */
export function envAssignment(key: string, value: string): string {
  if (!KEY.test(key)) throw new Error(`'${key}' is not a .env variable name`);
  const quote = quoting(value);
  if (typeof quote !== 'string') throw new Error(`the value of ${key} ${quote.problem}`);
  if (quote === 'single') return `${key}='${value}'`;
  if (quote === 'backtick') return `${key}=\`${value}\``;
  return `${key}="${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}

/** Null when `value` can be written by `envAssignment`, else why not (no value in the text). */
export function envProblem(value: string): string | null {
  const quote = quoting(value);
  return typeof quote === 'string' ? null : quote.problem;
}

// ── Splitting ────────────────────────────────────────────────────────────────

export interface EnvSpan {
  /** The variable, or null for a line the vault will refuse (it must see it to say so). */
  key: string | null;
  /** 0-based first and last line. */
  start: number;
  end: number;
}

const ENTRY_START = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=|:\s)/;
const QUOTES = new Set(['"', '\'', '`']);

function closes(text: string, from: number, quote: string): boolean {
  for (let i = text.indexOf(quote, from); i !== -1; i = text.indexOf(quote, i + 1)) {
    if (text[i - 1] === '\\') continue;
    if (/^\s*(#.*)?$/.test(text.slice(i + 1))) return true;
  }
  return false;
}

/** The entries of a .env text by line span, in order; comments and blank lines belong to none. */
export function envSpans(lines: string[]): EnvSpan[] {
  const spans: EnvSpan[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = ENTRY_START.exec(line);
    if (!match) {
      spans.push({ key: null, start: i, end: i });
      continue;
    }
    const value = line.slice(match[0].length).trimStart();
    const quote = value[0];
    let end = i;
    if (quote !== undefined && QUOTES.has(quote) && !closes(value, 1, quote)) {
      end = i + 1;
      while (end < lines.length && !closes(lines[end]!, 0, quote)) end++;
      if (end === lines.length) end = lines.length - 1; // never closed: the vault reports it
    }
    spans.push({ key: match[1]!, start: i, end });
    i = end;
  }
  return spans;
}

export interface EnvBatch {
  text: string;
  /** Entries in this batch. */
  entries: number;
  /** `lineMap[n - 1]` is the file's line number of the batch's line `n` (both 1-based). */
  lineMap: number[];
}

/**
 * Split a .env text into batches of at most `maxEntries` entries and about `maxBytes` each. Only
 * the last assignment of a variable is kept (the vault's rule for a whole file); lines the vault
 * will refuse go into the first batch.
 */
export function envBatches(text: string, limits: { maxEntries: number; maxBytes: number }): EnvBatch[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const spans = envSpans(lines);
  const last = new Map<string, number>();
  spans.forEach((span, index) => {
    if (span.key !== null) last.set(span.key, index);
  });
  const kept = spans.filter((span, index) => span.key === null || last.get(span.key) === index);
  const refused = kept.filter((span) => span.key === null);
  const entries = kept.filter((span) => span.key !== null);

  const batches: EnvBatch[] = [];
  let current: EnvSpan[] = [...refused];
  let count = 0;
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    const lineMap: number[] = [];
    const out: string[] = [];
    for (const span of current) {
      for (let line = span.start; line <= span.end; line++) {
        out.push(lines[line]!);
        lineMap.push(line + 1);
      }
    }
    batches.push({ text: out.join('\n'), entries: count, lineMap });
    current = [];
    count = 0;
    bytes = 0;
  };
  for (const span of entries) {
    let size = 0;
    for (let line = span.start; line <= span.end; line++) size += Buffer.byteLength(lines[line]!) + 1;
    if (count > 0 && (count >= limits.maxEntries || bytes + size > limits.maxBytes)) flush();
    current.push(span);
    count++;
    bytes += size;
  }
  flush();
  return batches;
}
