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

/** The raw baseline: the same reads and append a hand-written transaction would do. */
function rawReader(file: string) {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE raw_secrets (tenant TEXT, path TEXT, data TEXT, PRIMARY KEY (tenant, path)) WITHOUT ROWID;
    CREATE TABLE raw_audit (tenant TEXT, seq INTEGER, id TEXT, data TEXT, PRIMARY KEY (tenant, seq)) WITHOUT ROWID;`);
  db.prepare('INSERT INTO raw_secrets VALUES (?, ?, ?)').run('t', 'a/b', JSON.stringify({ value: randomBytes(64).toString('base64') }));
  const select = db.prepare('SELECT data FROM raw_secrets WHERE tenant = ? AND path = ?');
  const insert = db.prepare('INSERT INTO raw_audit VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM raw_audit WHERE tenant = ?), ?, ?)');
  const read = db.transaction(() => {
    const row = select.get('t', 'a/b') as { data: string };
    insert.run('t', 't', randomUUID(), JSON.stringify(draft('t', 'a/b')));
    return JSON.parse(row.data) as unknown;
  });
  return { read: () => read.immediate(), close: () => db.close() };
}

/** `count` secrets through the adapter's own write path would take minutes at 1M: copy one row instead. */
function fill(file: string, tenant: string, from: number, count: number): void {
  const db = new BetterSqlite3(file);
  const template = db.prepare('SELECT * FROM secrets WHERE tenant = ? LIMIT 1').get(tenant) as Record<string, unknown>;
  const insert = db.prepare(
    'INSERT INTO secrets (tenant, path, rev, tier, type, trashed, expires_at, purge_at, rotation_due, accessed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = from; i < from + count; i++) {
      const path = `bulk${Math.floor(i / NAMESPACE)}/s${String(i).padStart(7, '0')}`;
      const data = JSON.stringify({ ...JSON.parse(String(template['data'])), path });
      insert.run(tenant, path, 1, template['tier'], template['type'], 0, null, null, null, null, data);
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
    const raw = rawReader(join(dir, 'raw.db'));

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
