import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../src/domain/env-file';

describe('.env parsing', () => {
  it('reads comments, export, quotes, escapes, inline comments and multi-line values', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      'SPACED =  padded value  ',
      'DOUBLE="with \\n newline"',
      'SINGLE=\'kept \\n literally\'',
      'BACKTICK=`tick`',
      'INLINE=before # after',
      'QUOTED_HASH="a # b"',
      'EMPTY=',
      'MULTI="first',
      'second"',
      'COLON: style',
      'DUP=one',
      'DUP=two',
    ].join('\r\n');
    const { entries, issues } = parseEnvFile(text);
    expect(issues).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      SPACED: 'padded value',
      DOUBLE: 'with \n newline',
      SINGLE: 'kept \\n literally',
      BACKTICK: 'tick',
      INLINE: 'before',
      QUOTED_HASH: 'a # b',
      EMPTY: '',
      MULTI: 'first\nsecond',
      COLON: 'style',
      DUP: 'two',
    });
    expect(entries.find((e) => e.key === 'MULTI')?.line).toBe(12);
    expect(entries.find((e) => e.key === 'DUP')?.line).toBe(16);
  });

  it('reports every malformed line by number without its content', () => {
    const { entries, issues } = parseEnvFile(
      'OK=1\nnot an assignment sk_live_123\n  =value\nKEY="unterminated sk_live_456\nLATER=2',
    );
    expect(entries).toEqual([]);
    expect(issues.map((i) => i.path)).toEqual([
      ['line', 2],
      ['line', 3],
      ['line', 4],
    ]);
    expect(JSON.stringify(issues)).not.toContain('sk_live');
  });
});
