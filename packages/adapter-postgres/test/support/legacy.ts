/**
 * Runs the release before storage v2 (commit d132539) for real: `git archive` of its core and
 * PostgreSQL adapter into a temporary tree, node_modules linked to this checkout's except
 * `@agentvault/*` (the old packages), then test/legacy/fill.mjs under tsx in that tree.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testUrl } from '../../src/probe';

export const LEGACY_COMMIT = 'd132539';
const ROOT = resolve(import.meta.dirname, '../../../..');

export interface LegacyFill {
  secrets: { tenant: string; path: string; value: string }[];
  tokens: Record<string, { root: string; rootValue: string; child: string; grandchild: string; revoked: string }>;
  approvals: Record<string, { approved: string; approvedToken: string; pending: string; denied: string }>;
  agentKeys: Record<string, { admin: string; revoked: string; adminValue: string }>;
  expiryWarning: { tenant: string; path: string; expiresAt: number; kind: string };
}

/** Fill `schema` with the legacy code; returns what it wrote. */
export function fillWithLegacyCode(schema: string, keyHex: string): LegacyFill {
  const dir = mkdtempSync(join(tmpdir(), 'agentvault-legacy-'));
  try {
    const archive = execFileSync('git', ['-C', ROOT, 'archive', LEGACY_COMMIT, 'packages/core', 'packages/adapter-postgres']);
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, '@agentvault'), { recursive: true });
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry !== '@agentvault') symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
    }
    for (const name of ['core', 'adapter-postgres']) {
      symlinkSync(join(dir, 'packages', name), join(modules, '@agentvault', name));
    }
    copyFileSync(join(import.meta.dirname, '../legacy/fill.mjs'), join(dir, 'fill.mjs'));
    const out = execFileSync(join(ROOT, 'node_modules/.bin/tsx'), ['--conditions=@agentvault/source', 'fill.mjs'], {
      cwd: dir,
      env: { ...process.env, AGENTVAULT_TEST_PG_URL: testUrl(), LEGACY_SCHEMA: schema, LEGACY_KEY_HEX: keyHex },
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(out.toString('utf8')) as LegacyFill;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
