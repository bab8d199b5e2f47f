/**
 * .env parsing for `importEnv`. Values come from `dotenv` (comments, quotes, `export`, escapes,
 * multi-line quoted values). dotenv skips lines it cannot read without a word, so a structural
 * scan runs first and reports every malformed line by number — never by content, which may hold
 * a secret.
 */
import type dotenv from 'dotenv';
import type { ValidationIssue } from '../errors';
import { lazyRequire } from '../lazy-require';

const loadDotenv = lazyRequire<typeof dotenv>('dotenv');

export interface EnvEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
}

const ENTRY_START = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=|:\s)/;
const QUOTES = new Set(['"', '\'', '`']);

/** Index just past the closing `quote` in `text` from `from`, if only blanks or a comment follow it. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = text.indexOf(quote, from); i !== -1; i = text.indexOf(quote, i + 1)) {
    if (text[i - 1] === '\\') continue;
    if (/^\s*(#.*)?$/.test(text.slice(i + 1))) return i + 1;
  }
  return -1;
}

export function parseEnvFile(text: string): { entries: EnvEntry[]; issues: ValidationIssue[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const starts: { key: string; line: number }[] = [];
  const issues: ValidationIssue[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = ENTRY_START.exec(line);
    if (!match) {
      issues.push({ path: ['line', i + 1], message: `line ${i + 1}: expected KEY=VALUE` });
      continue;
    }
    starts.push({ key: match[1]!, line: i + 1 });
    const value = line.slice(match[0].length).trimStart();
    const quote = value[0];
    if (quote === undefined || !QUOTES.has(quote)) continue;
    if (closingQuote(value, 1, quote) !== -1) continue;
    // A quoted value that spans lines: find the line that closes it.
    let end = i + 1;
    while (end < lines.length && closingQuote(lines[end]!, 0, quote) === -1) end++;
    if (end === lines.length) {
      issues.push({ path: ['line', i + 1], message: `line ${i + 1}: quoted value is never closed` });
      break;
    }
    i = end;
  }
  if (issues.length > 0) return { entries: [], issues };

  const values = loadDotenv().parse(text);
  const entries: EnvEntry[] = [];
  const seen = new Set<string>();
  // The last assignment of a key wins, as in dotenv; report it at its last line.
  for (let i = starts.length - 1; i >= 0; i--) {
    const { key, line } = starts[i]!;
    if (seen.has(key)) continue;
    seen.add(key);
    const value = values[key];
    if (value === undefined) {
      issues.push({ path: ['line', line], message: `line ${line}: could not read the value` });
      continue;
    }
    entries.unshift({ key, value, line });
  }
  return { entries, issues: issues.reverse() };
}
