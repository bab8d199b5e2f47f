/**
 * Migration 3 on a database filled by the previous release's own code (commit d132539, run from a
 * `git archive`; see support/legacy.ts): every secret, version, token, approval, agent key, lease,
 * expiry warning and event survives; the old hash chains are verified before events are renumbered
 * per tenant; a tampered old trail stops the upgrade and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { type AuditEvent, createVault, expiryWarningId, type RecordKey } from '@agentvault/core';
import { describeRequiring, testKeyWrapper } from '@agentvault/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from '../src/index';
import { dropSchema, testPool, uniqueSchema } from '../src/testing';
import { fillWithLegacyCode, type LegacyFill } from './support/legacy';
import { event } from './support/records';

type Row = Record<string, unknown>;
const n = (value: unknown) => (value === null ? null : Number(value));

describeRequiring(inject('pgProblem'), 'postgres upgrade: migration 3 on a store filled by the previous release', () => {
  const schema = uniqueSchema('upgrade');
  const tampered = uniqueSchema('upgrade_bad');
  const keyHex = randomBytes(32).toString('hex');
  let pool: pg.Pool;
  let storage: PostgresAdapter;
  let fill: LegacyFill;
  const old: Record<string, Row[]> = {};

  const rows = async (table: string, order: string, target = schema) =>
    (await pool.query(`SELECT * FROM "${target}".${table} ORDER BY ${order}`)).rows as Row[];

  beforeAll(async () => {
    pool = testPool();
    fill = fillWithLegacyCode(schema, keyHex);
    for (const [table, order] of Object.entries({
      secrets: 'tenant, path', secret_access: 'tenant, path', secret_versions: 'tenant, path, version',
      agent_keys: 'id', tokens: 'id', approvals: 'id', leases: 'name', expiry_warnings: 'path',
      audit_events: 'tenant, ts, chain, seq',
    })) {
      old[table] = await rows(table, order);
    }
    storage = postgresAdapter({ pool }, { schema });
  }, 120_000);
  afterAll(async () => {
    await dropSchema(pool, schema);
    await dropSchema(pool, tampered);
    await pool.end();
  });

  /**
   * What a schema is made of, with its own name taken out: every column (type, collation, nullability,
   * default), index (definition) and constraint (definition). The upgrade's rotation CHECK was added
   * NOT VALID (it skipped a scan of rows that all passed it); a fresh table's is validated.
   */
  const catalog = async (target: string) => {
    const query = async (text: string) =>
      JSON.parse(JSON.stringify((await pool.query(text, [target])).rows).replaceAll(`"${target}".`, '').replaceAll(`${target}.`, '')) as Row[];
    return {
      columns: await query(`SELECT table_name, column_name, data_type, udt_name, collation_name, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name`),
      indexes: await query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`),
      constraints: await query(`SELECT c.relname, k.conname, k.contype, replace(pg_get_constraintdef(k.oid), ' NOT VALID', '') AS def
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE k.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) ORDER BY k.conname`),
    };
  };

  const get = async (key: RecordKey) => (await storage.getRecords([key]))[0];

  it('keeps every row and renumbers the verified trail 1..n per tenant', async () => {
    expect(old.audit_events!.length).toBeGreaterThan(40);
    expect(new Set(old.audit_events!.map((e) => e.chain)).size).toBeGreaterThan(1);
    expect(await storage.migrate()).toEqual({ applied: [3, 4], version: 4 });

    // Secrets and versions: the same columns, now at rev 1 (and no retention policy of their own).
    const strip = ({ rev, version_retention: retention, ...row }: Row) => {
      expect(rev).toBe(1);
      expect(retention ?? null).toBeNull();
      return row;
    };
    expect((await rows('secrets', 'tenant, path')).map(strip)).toEqual(old.secrets);
    expect(await rows('secret_access', 'tenant, path')).toEqual(old.secret_access);
    expect((await rows('secret_versions', 'tenant, path, version')).map(strip)).toEqual(old.secret_versions);
    for (const s of old.secrets!) {
      expect(await get({ kind: 'secret', tenant: s.tenant as string, path: s.path as string })).toMatchObject({
        rev: 1,
        record: { tags: s.tags, currentVersion: s.current_version, trashedAt: n(s.trashed_at), expiresAt: n(s.expires_at) },
      });
    }

    for (const k of old.agent_keys!) {
      expect(await get({ kind: 'agent_key', tenant: k.tenant as string, id: k.id as string })).toEqual({
        kind: 'agent_key', rev: 1, record: {
          id: k.id, tenant: k.tenant, hash: k.hash, description: k.description, roles: k.roles,
          createdAt: n(k.created_at), createdBy: k.created_by, revokedAt: n(k.revoked_at),
        },
      });
      expect((await storage.findCredential(k.hash as string))?.record).toMatchObject({ id: k.id });
    }

    const byId = new Map(old.tokens!.map((t) => [t.id as string, t]));
    for (const t of old.tokens!) {
      const stored = await get({ kind: 'token', tenant: t.tenant as string, id: t.id as string });
      expect(stored?.record).toMatchObject({
        hash: t.hash, scope: t.scope, approvedTier: t.approved_tier, maxUses: t.max_uses, usesRemaining: t.uses_remaining,
        createdAt: n(t.created_at), expiresAt: n(t.expires_at), issuedBy: t.issued_by, parentId: t.parent_id,
        approvalRequestId: t.approval_request_id, revokedAt: n(t.revoked_at), allowedIps: t.allowed_ips,
      });
      // lineage: ancestors nearest first, then the root's minter.
      const lineage: string[] = [];
      let cur = t;
      while (cur.parent_id) {
        lineage.push(`token:${cur.parent_id}`);
        cur = byId.get(cur.parent_id as string)!;
      }
      expect(stored?.record).toMatchObject({ lineage: [...lineage, cur.issued_by], rootId: cur.id });
    }
    for (const tenant of ['acme', 'globex']) {
      const ids = fill.tokens[tenant]!;
      const key = `key:${fill.agentKeys[tenant]!.admin}`;
      expect((await get({ kind: 'token', tenant, id: ids.grandchild }))?.record).toMatchObject({
        lineage: [`token:${ids.child}`, `token:${ids.root}`, key], rootId: ids.root,
      });
      expect((await get({ kind: 'token', tenant, id: ids.revoked }))?.record).toMatchObject({ revokedAt: expect.any(Number) });
      const a = fill.approvals[tenant]!;
      expect((await get({ kind: 'approval', tenant, id: a.approved }))?.record).toMatchObject({
        status: 'approved', tokenId: a.approvedToken, requestedBy: key, lineage: [], claimedAt: expect.any(Number),
      });
      expect((await get({ kind: 'approval', tenant, id: a.pending }))?.record).toMatchObject({
        status: 'pending', requestedBy: `token:${ids.root}`, lineage: [key],
      });
      expect((await get({ kind: 'approval', tenant, id: a.denied }))?.record).toMatchObject({ status: 'denied' });
    }
    for (const a of old.approvals!) {
      expect((await get({ kind: 'approval', tenant: a.tenant as string, id: a.id as string }))?.record).toMatchObject({
        request: a.request, decisions: a.decisions, requiredApprovals: a.required_approvals, tier: a.tier,
        createdAt: n(a.created_at), expiresAt: n(a.expires_at), decidedAt: n(a.decided_at),
      });
    }

    expect(await get({ kind: 'lease', tenant: '*', id: 'maintenance' })).toMatchObject({
      rev: 1, record: { owner: 'instance-1', expiresAt: n(old.leases![0]!.expires_at) },
    });
    const w = fill.expiryWarning;
    expect(await get({ kind: 'expiry_warning', tenant: w.tenant, id: expiryWarningId(w.path, w.expiresAt, '7d') }))
      .toMatchObject({ record: { path: w.path, expiresAt: w.expiresAt, kind: '7d' } });

    // Events: the same content, numbered 1..n per tenant in (time, chain, seq) order; new ones follow.
    for (const tenant of ['acme', 'globex']) {
      const before = old.audit_events!.filter((e) => e.tenant === tenant);
      const after = await storage.readAudit({ tenant, afterSeq: 0, limit: 10_000 });
      expect(after.map((e) => e.seq)).toEqual(before.map((_, i) => i + 1));
      expect(after).toEqual(before.map((e, i): AuditEvent => ({
        id: e.id as string, tenant, seq: i + 1, type: e.type as AuditEvent['type'], path: e.path as string | null,
        actor: e.actor as string, actorDescription: e.actor_description as string | null, ip: e.ip as string | null,
        userAgent: e.user_agent as string | null, timestamp: Number(e.ts), details: e.details as AuditEvent['details'],
        success: e.success as boolean, error: e.error as string | null, version: e.version as number | null,
      })));
      await storage.commit({ writes: [], events: [event(tenant, null)] });
      const next = await storage.readAudit({ tenant, afterSeq: before.length, limit: 10 });
      expect(next.map((e) => e.seq)).toEqual([before.length + 1]);
    }
  });

  it('leaves the same schema as a fresh install from the baseline: columns, indexes and constraints', async () => {
    await storage.migrate(); // a no-op after the first test
    const baseline = uniqueSchema('baseline');
    try {
      await postgresAdapter({ pool }, { schema: baseline }).migrate();
      const [upgraded, fresh] = await Promise.all([catalog(schema), catalog(baseline)]);
      expect(upgraded.columns.length).toBeGreaterThan(50);
      expect(upgraded.indexes.length).toBeGreaterThan(15);
      expect(upgraded).toEqual(fresh);
    } finally {
      await dropSchema(pool, baseline);
    }
  });

  it('serves every migrated record through a v2 vault, and seals and verifies the migrated trail', async () => {
    await storage.migrate(); // a no-op after the first test
    const keys = testKeyWrapper({ keys: { 'legacy-key': Buffer.from(keyHex, 'hex') } });
    for (const tenant of ['acme', 'globex']) {
      const vault = createVault({ storage, keys, defaultTenant: tenant, logger: { warn() {}, error() {} } });
      try {
        // Every version of every live secret decrypts to what the old code wrote.
        const written = fill.secrets.filter((x) => x.tenant === tenant);
        for (const path of new Set(written.map((x) => x.path))) {
          const values = written.filter((x) => x.path === path).map((x) => x.value);
          if (path === 'old/thing') {
            await expect(vault.getSecret(path)).rejects.toMatchObject({ statusCode: 404 });
            continue;
          }
          for (const [i, value] of values.entries()) expect((await vault.getSecret(path, { version: i + 1 })).value).toBe(value);
          expect((await vault.getSecret(path)).value).toBe(values.at(-1));
        }
        await vault.restoreSecret('old/thing');
        expect((await vault.getSecret('old/thing')).value).toBe('trash me');
        // The old agent key still authenticates; the revoked one does not. The old root token reads, spending its budget.
        const principal = await vault.authenticate(fill.agentKeys[tenant]!.adminValue);
        expect(principal).toMatchObject({ kind: 'key', id: fill.agentKeys[tenant]!.admin });
        await expect(vault.authenticate('ass_live_not-a-key')).rejects.toMatchObject({ statusCode: 401 });
        const rootValue = fill.tokens[tenant]!.rootValue;
        const before = (await get({ kind: 'token', tenant, id: fill.tokens[tenant]!.root }))!.record as { usesRemaining: number };
        expect((await vault.getSecret('prod/db/url', { token: rootValue })).value).toBe(`postgres://${tenant}-2`);
        expect((await get({ kind: 'token', tenant, id: fill.tokens[tenant]!.root }))?.record).toMatchObject({
          usesRemaining: before.usesRemaining - 1,
        });
        // The pending request of the old code can still be decided, by someone outside its lineage.
        const decided = await vault.approve(fill.approvals[tenant]!.pending, {}, { principal: { kind: 'user', id: 'carol', tenant, roles: ['approver'] } });
        expect(decided.status).toBe('approved');

        const sealed = await vault.sealAudit();
        expect(sealed.sealedSeq).toBeGreaterThan(old.audit_events!.filter((e) => e.tenant === tenant).length);
        const verified = await vault.verifyAudit();
        expect(verified).toMatchObject({ ok: true, firstBad: null });
        expect(verified.checked).toBe(sealed.sealedSeq);
      } finally {
        await vault.close?.();
      }
    }
  });

  it('stops at a tampered old trail (its heads deleted too) and changes nothing', async () => {
    fillWithLegacyCode(tampered, keyHex);
    const [victim] = (await pool.query(`SELECT id FROM "${tampered}".audit_events WHERE tenant = 'acme' ORDER BY ts LIMIT 1 OFFSET 3`)).rows;
    await pool.query(`UPDATE "${tampered}".audit_events SET actor = 'app:someone-else' WHERE id = $1`, [victim.id]);
    // The attacker also drops the tenant's chain heads: the trail is still verified, from its events.
    await pool.query(`DELETE FROM "${tampered}".audit_heads WHERE tenant = 'acme'`);
    const bad = postgresAdapter({ pool }, { schema: tampered });
    await expect(bad.migrate()).rejects.toThrow(/tenant acme fails legacy verification/);
    const versions = (await pool.query(`SELECT version FROM "${tampered}".agentvault_migrations ORDER BY version`)).rows;
    expect(versions.map((r) => r.version)).toEqual([1, 2]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${tampered}".tokens`)).rows[0].n).toBeGreaterThan(0);
  }, 120_000);
});
