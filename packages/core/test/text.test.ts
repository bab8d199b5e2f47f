/** The free-text rule and the printers' escape (domain/text). */
import { describe, expect, it } from 'vitest';
import { escapeText, textProblem } from '../src/domain/text';

const refusedEverywhere = [
  '\u0000', '\u0007', '\u0008', '\u000b', '\u000c', '\r', '\u001b', '\u007f', '\u0085', '\u009b',
  '\u2028', '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069',
];

describe('textProblem', () => {
  it('refuses every control character, line break and bidirectional override or isolate on one line', () => {
    for (const char of [...refusedEverywhere, '\n', '\t'])
      expect(textProblem(`a${char}b`), JSON.stringify(char)).not.toBeNull();
    expect(textProblem('a\u202eb')).toContain('bidirectional');
    expect(textProblem('a\u001bb')).toContain('U+001B');
  });

  it('lets multi-line text hold newlines and tabs, nothing else from the list', () => {
    expect(textProblem('line one\n\tline two', 'multi-line')).toBeNull();
    for (const char of refusedEverywhere)
      expect(textProblem(`a${char}b`, 'multi-line'), JSON.stringify(char)).not.toBeNull();
  });

  it('accepts printable text in any script, with the directional marks', () => {
    expect(textProblem('Clé «prod» — مفتاح\u200f API\u200e 🔑 \u061c')).toBeNull();
    expect(textProblem('\ud800')).toContain('lone surrogate');
  });
});

describe('escapeText', () => {
  it('makes every refused character a visible escape, and leaves printable text alone', () => {
    expect(escapeText('\u001b[2Jfake \u202eexe.pdf')).toBe('\\u001b[2Jfake \\u202eexe.pdf');
    expect(escapeText('two\nlines\r')).toBe('two\\u000alines\\u000d');
    expect(escapeText('Clé 🔑 \\n')).toBe('Clé 🔑 \\n');
    // A literal backslash-u in text that also needs escaping cannot pose as an escape.
    expect(escapeText('\\u001b and \u001b')).toBe('\\\\u001b and \\u001b');
    for (const char of refusedEverywhere) expect(textProblem(escapeText(`x${char}y`))).toBeNull();
    expect(escapeText('\ud800x')).toBe('\ufffdx');
  });
});
