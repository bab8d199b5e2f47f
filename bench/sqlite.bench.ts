/**
 * SQLite storage costs, every figure against a baseline measured in the same run:
 * - the audited read (`storage.readSecret`: token use, secret + version, accessedAt, the audit
 *   append with its number) against a raw better-sqlite3 SELECT + INSERT in one transaction on a
 *   table of the same shape — and the whole `vault.getSecret` for orientation;
 * - a 50-item list page in a namespace of 1,000, with 10,000 and then 1,000,000 secrets in the file.
 * Files live in a temporary directory, removed at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteAdapter } from '@agentvault/adapter-sqlite';
import { type AuditDraft, createVault } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';
import BetterSqlite3 from 'better-sqlite3';
import { asyncOp, check, compare, printChecks } from './lib';

const SMALL = 10_000;
const LARGE = 1_000_000;
const NAMESPACE = 1_000;

function draft(tenant: string, path: string): AuditDraft {
  return {
    id: `evt_${randomUUID()}`,
    tenant,
    type: 'secret.read',
    path,
    actor: 'app:bench',
    actorDescription: null,
    ip: null,
    userAgent: null,
    timestamp: Date.now(),
    details: {},
  };
}

/**
 * The raw baseline: what any hand-written audited read must do, on the same file, tables and
 * indexes — the secret and its version in one SELECT, the event numbered and inserted — in one
 * transaction, without the vault's rules, JSON records or the accessedAt touch.
 */
function rawReader(file: string) {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const select = db.prepare(`SELECT s.data AS secret, v.data AS version FROM secrets s JOIN versions v
    ON v.tenant = s.tenant AND v.path = s.path AND v.version = 1 WHERE s.tenant = ? AND s.path = ?`);
  const next = db.prepare(`INSERT INTO audit_heads (tenant, last_seq) VALUES (?, 1)
    ON CONFLICT (tenant) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq AS seq`);
  const insert = db.prepare('INSERT INTO audit (tenant, seq, id, timestamp, type, path, actor, success, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const read = db.transaction(() => {
    const row = select.get('raw', 'a/b') as { secret: string; version: string };
    const { seq } = next.get('raw') as { seq: number };
    const event = draft('raw', 'a/b');
    insert.run('raw', seq, event.id, event.timestamp, event.type, event.path, event.actor, 1, JSON.stringify(event));
    return row;
  });
  return { read: () => read.immediate(), close: () => db.close() };
}

/** `count` secrets through the adapter's own write path would take minutes at 1M: copy one row instead. */
function fill(file: string, tenant: string, from: number, count: number): void {
  const db = new BetterSqlite3(file);
  const template = db.prepare('SELECT * FROM secrets WHERE tenant = ? LIMIT 1').get(tenant) as Record<string, unknown>;
  const insert = db.prepare(
    'INSERT INTO secrets (tenant, path, rev, tier, type, trashed, expires_at, purge_at, rotation_due, current_version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = from; i < from + count; i++) {
      const path = `bulk${Math.floor(i / NAMESPACE)}/s${String(i).padStart(7, '0')}`;
      const data = JSON.stringify({ ...JSON.parse(String(template['data'])), path });
      insert.run(tenant, path, 1, template['tier'], template['type'], 0, null, null, null, 1, data);
    }
  })();
  db.close();
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agentvault-sqlite-bench-'));
  try {
    const storage = sqliteAdapter({ path: join(dir, 'vault.db') });
    const vault = createVault({ storage, keys: localKeyring({ keys: { k1: randomBytes(32) } }), defaultTenant: 't', logger: { warn() {}, error() {} } });
    await vault.setSecret('a/b', randomBytes(48).toString('base64'));
    await vault.setSecret('a/b', randomBytes(48).toString('base64'), { tenant: 'raw' });
    const raw = rawReader(join(dir, 'vault.db'));

    const storageRead = await compare(
      asyncOp('raw SELECT + INSERT (one transaction)', async () => raw.read()),
      asyncOp('storage.readSecret', () =>
        storage.readSecret({ tenant: 't', path: 'a/b', version: null, now: Date.now(), maxTier: null, token: null, event: draft('t', 'a/b') })),
    );
    const vaultRead = await compare(
      asyncOp('raw SELECT + INSERT (one transaction)', async () => raw.read()),
      asyncOp('vault.getSecret', () => vault.getSecret('a/b')),
    );
    raw.close();
    console.log(
      `audited read: raw ${storageRead.baseline.opsPerSec.toFixed(0)} ops/s (p50 ${storageRead.baseline.p50Ms?.toFixed(4)} ms), `
      + `storage.readSecret ${storageRead.subject.opsPerSec.toFixed(0)} ops/s (p50 ${storageRead.subject.p50Ms?.toFixed(4)} ms), `
      + `vault.getSecret ${vaultRead.subject.opsPerSec.toFixed(0)} ops/s (p50 ${vaultRead.subject.p50Ms?.toFixed(4)} ms)`,
    );

    // List pages: 10k secrets, then 1M, same namespace size.
    const page = () => storage.listSecrets({ tenant: 't', namespace: 'bulk3', afterPath: null, limit: 50, trashed: false });
    const p50 = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 400; i++) {
        const started = performance.now();
        await page();
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b)[200]!;
    };
    fill(join(dir, 'vault.db'), 't', 0, SMALL);
    const small = await p50();
    fill(join(dir, 'vault.db'), 't', SMALL, LARGE - SMALL);
    const large = await p50();
    console.log(`list page (50 of ${NAMESPACE}): p50 ${small.toFixed(3)} ms at ${SMALL.toLocaleString()} secrets, ${large.toFixed(3)} ms at ${LARGE.toLocaleString()}`);
    await vault.close();

    printChecks('SQLite (ratios from one run)', [
      check('audited read p50: readSecret / raw', storageRead.subject.p50Ms! / storageRead.baseline.p50Ms!, '<= 1.5', (v) => v <= 1.5),
      check('audited read ops/s: raw / readSecret', 1 / storageRead.ratio, '<= 1.5', (v) => v <= 1.5),
      check('list page p50: 1M / 10k secrets', large / small, '<= 1.5', (v) => v <= 1.5),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
