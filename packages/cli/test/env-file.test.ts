/**
 * The .env text the CLI writes and splits, checked against the vault's own import (the parser the
 * server runs) in process: what `export` writes must read back unchanged, and a split must never
 * change what the vault reads.
 */
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault } from '@agentvault/core';
import { testKeyWrapper } from '@agentvault/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envAssignment, envBatches, envProblem } from '../src/env-file';

/** What the vault reads from a .env text: key → value, through a real import (dry run shows no values, so write). */
async function vaultReads(text: string): Promise<Record<string, string>> {
  const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper() });
  const result = await vault.importEnv(text, { namespace: 'ns' });
  const out: Record<string, string> = {};
  for (const { path } of result.created) out[path.slice(3)] = (await vault.getSecret(path)).value;
  await vault.close();
  return out;
}

const TRICKY: Record<string, string> = {
  NEWLINES: 'line one\nline two\n\nline four',
  DOUBLE: 'say "hi"',
  SINGLE: 'it\'s',
  BACKTICK: 'run `ls`',
  ALL_QUOTES_NO_ESCAPES: 'a\'b`c',
  ALL_THREE: 'a\'b`c"d',
  HASH: 'abc # not a comment',
  HASH_START: '#start',
  EQUALS: 'a=b=c',
  UNICODE: 'päßwörd ✓ 密码 🔑',
  SPACES: '  padded  ',
  EMPTY: '',
  BACKSLASHES: 'C:\\new\\table\\x',
  BACKSLASH_N_TEXT: 'literal \\n stays',
  CR: 'carriage\rreturn',
  CRLF: 'windows\r\nline',
  PEM: '-----BEGIN KEY-----\nMIIB\'x"y\n-----END KEY-----\n',
  DOLLAR: '$HOME and ${PATH}',
  EXPORT_LIKE: 'export X=1',
  KEY_LIKE_LINES: 'first\nOTHER=value\n# comment',
};

describe('envAssignment', () => {
  it('writes values the vault reads back unchanged: newlines, every quote, #, =, unicode, backslashes, CR', async () => {
    const writable = Object.entries(TRICKY).filter(([, value]) => envProblem(value) === null);
    // A value with all three quote characters has no .env form that dotenv reads back.
    expect(Object.keys(TRICKY).filter((key) => envProblem(TRICKY[key]!) !== null)).toEqual(['ALL_THREE']);
    const text = writable.map(([key, value]) => envAssignment(key, value)).join('\n');
    expect(await vaultReads(text)).toEqual(Object.fromEntries(writable));
  });

  it('picks the quoting that keeps the value: single, then backtick, then double', () => {
    expect(envAssignment('A', 'plain "x"')).toBe('A=\'plain "x"\'');
    expect(envAssignment('A', 'it\'s')).toBe('A=`it\'s`');
    expect(envAssignment('A', 'a\'b`c')).toBe('A="a\'b`c"');
    expect(envAssignment('A', 'cr\rlf\n')).toBe('A="cr\\rlf\\n"');
  });

  it('refuses what no quoting carries, naming the reason and never the value', () => {
    for (const value of ['ends with \\', 'x\'y`z"w\\n', 'cr\r and "quote"', 'cr\r and \\n text']) {
      const problem = envProblem(value);
      expect(problem).not.toBeNull();
      expect(() => envAssignment('K', value)).toThrow(problem!);
      expect(problem).not.toContain(value);
    }
    expect(() => envAssignment('not/a/key', 'v')).toThrow(/not a \.env variable name/);
  });

  it('round-trips generated values through the vault\'s parser (property)', async () => {
    const char = fc.constantFrom('a', 'Z', '0', ' ', '\t', '\n', '\r', '\'', '"', '`', '#', '=', '\\', '$', '{', 'é', '🔑', 'n', 'r');
    const value = fc.array(char, { maxLength: 24 }).map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 6 }), async (values) => {
        const writable = values.filter((v) => envProblem(v) === null);
        const expected = Object.fromEntries(writable.map((v, i) => [`K${i}`, v]));
        const text = writable.map((v, i) => envAssignment(`K${i}`, v)).join('\n');
        expect(await vaultReads(text)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});

describe('envBatches', () => {
  it('never cuts a multi-line value, keeps the last assignment of a key, and maps lines back', async () => {
    const text = [
      '# header',
      'A=1',
      'B="two',
      'lines"',
      'C=\'x\'',
      '',
      'A=overridden',
      'D=`multi',
      'E=not a key line inside a value',
      '`',
      'F=6',
    ].join('\r\n');
    const batches = envBatches(text, { maxEntries: 2, maxBytes: 1 << 20 });
    expect(batches.map((b) => b.entries)).toEqual([2, 2, 1]);
    expect(batches[0]!.text).toBe('B="two\nlines"\nC=\'x\'');
    expect(batches[0]!.lineMap).toEqual([3, 4, 5]);
    expect(batches[1]!.lineMap).toEqual([7, 8, 9, 10]);
    expect(batches[2]!.lineMap).toEqual([11]);
    const merged: Record<string, string> = {};
    for (const batch of batches) Object.assign(merged, await vaultReads(batch.text));
    expect(merged).toEqual(await vaultReads(text));
  });

  it('puts lines the vault will refuse into the first batch, and splits by size too', () => {
    const text = ['A=1', 'this is not an assignment', 'B=2', `C=${'x'.repeat(100)}`, 'D=4'].join('\n');
    const batches = envBatches(text, { maxEntries: 100, maxBytes: 60 });
    expect(batches[0]!.text.split('\n')[0]).toBe('this is not an assignment');
    expect(batches[0]!.lineMap[0]).toBe(2);
    expect(batches.length).toBe(3);
    expect(batches.reduce((n, b) => n + b.entries, 0)).toBe(4);
  });

  it('takes a never-closed quote to the end of the file, where the vault reports it', async () => {
    const batches = envBatches('A=1\nB="open\nC=3', { maxEntries: 1, maxBytes: 1 << 20 });
    expect(batches.map((b) => b.text)).toEqual(['A=1', 'B="open\nC=3']);
    await expect(vaultReads(batches[1]!.text)).rejects.toThrow(/Malformed/);
  });
});
