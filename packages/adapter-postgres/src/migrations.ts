/**
 * Versioned migrations. `migrate()` applies the pending ones in one transaction under an advisory
 * lock keyed by the schema, so any number of processes may call it at once: the first applies,
 * the others wait and then find nothing to do. Each applied migration is recorded with a checksum;
 * a recorded migration whose SQL changed since is refused rather than silently skipped.
 *
 * An empty schema gets the baseline, which creates the current schema directly (as Flyway's baseline
 * migrations do) and is recorded as its version; a schema migrated step by step from version 1 gets
 * the versioned migrations after its own. Migrations 1–2 (the tables before storage v2) keep only
 * their checksums: every store they made is at version 2, which migration 3 upgrades.
 */
import { createHash } from 'node:crypto';
import { AgentVaultConfigurationError } from '@agentvault/core/errors';
import { verifyLegacyAuditChains } from '@agentvault/core';
import type { Db, Query } from './db';
import { AUDIT_COLUMNS, num, toAuditEvent } from './rows';
import type { Tables } from './tables';

export interface Migration {
  version: number;
  name: string;
  /** The SQL; absent for the released migrations whose SQL is gone, which keep their `checksum`. */
  sql?: string;
  checksum?: string;
  /** Checks run in the migration's transaction before its SQL (not part of the checksum). */
  before?: (q: Query, t: Tables) => Promise<void>;
}

/**
 * v2's indexes on secrets and the records table, created by migration 3 and by the baseline. Part of
 * migration 3's SQL, as is `auditCountersSchema`: never edit either (migration 3's checksum would change).
 */
function recordsSchema(t: Tables): string {
  return `CREATE INDEX secrets_tags_idx ON ${t.secrets} USING gin (tags jsonb_path_ops);
-- A listing filtered to rare tiers or types reads just those rows (then sorts them by path).
CREATE INDEX secrets_tier_idx ON ${t.secrets} (tenant, tier, path);
CREATE INDEX secrets_type_idx ON ${t.secrets} (tenant, type, path);

CREATE TABLE ${t.records} (
  kind   text COLLATE "C" NOT NULL,
  tenant text COLLATE "C" NOT NULL,
  id     text COLLATE "C" NOT NULL,
  rev    integer NOT NULL,
  data   jsonb NOT NULL,
  CONSTRAINT records_pkey PRIMARY KEY (kind, tenant, id)
);
CREATE UNIQUE INDEX records_credential_key ON ${t.records} ((data->>'hash')) WHERE kind IN ('token', 'agent_key');
CREATE INDEX records_token_parent_idx ON ${t.records} (tenant, (data->>'parentId'), id) WHERE kind = 'token';
CREATE INDEX records_token_issuer_idx ON ${t.records} (tenant, (data->>'issuedBy'), id) WHERE kind = 'token';
CREATE INDEX records_approval_status_idx ON ${t.records} (tenant, (data->>'status'), id) WHERE kind = 'approval';
CREATE INDEX records_approval_due_idx ON ${t.records} (((data->>'expiresAt')::bigint), tenant, id)
  WHERE kind = 'approval' AND data->>'status' = 'pending';`;
}

function auditCountersSchema(t: Tables): string {
  return `-- One counter row per tenant: appends lock it, so seqs are gapless and in commit order.
CREATE TABLE ${t.auditCounters} (
  tenant text COLLATE "C" NOT NULL,
  seq    bigint NOT NULL,
  CONSTRAINT audit_counters_pkey PRIMARY KEY (tenant)
);`;
}

/**
 * The current schema for an empty one: what migrations 1–4 leave, as the upgrade test checks table
 * by table. Paths, tenants and ids compare in code-unit order (COLLATE "C"), like the contract's
 * keysets. Every cross-tenant maintenance listing has a partial index that holds just the rows it
 * can return, in the order it returns them:
 * - due rotations: live secrets with a rotation or a pending version, keyed by when they are due,
 *   a pending version sorting before every time (the key `listDue` ranges over);
 * - expiring: live secrets with an expiry, in (expires_at, tenant, path) keyset order;
 * - purgeable: trashed secrets by purge_at;
 * - expired approvals: pending approval records by expiresAt (`records_approval_due_idx`).
 */
function baselineSchema(t: Tables): string {
  return `
CREATE TABLE ${t.secrets} (
  tenant                 text COLLATE "C" NOT NULL,
  path                   text COLLATE "C" NOT NULL,
  type                   text NOT NULL,
  tier                   text NOT NULL,
  description            text,
  tags                   jsonb NOT NULL DEFAULT '{}',
  current_version        integer NOT NULL,
  latest_version         integer NOT NULL,
  created_at             bigint NOT NULL,
  created_by             text NOT NULL,
  updated_at             bigint NOT NULL,
  updated_by             text NOT NULL,
  expires_at             bigint,
  trashed_at             bigint,
  purge_at               bigint,
  pending_version        integer,
  rotation_every_seconds bigint,
  rotation_grace_seconds bigint,
  rotation_next_at       bigint,
  rotation_failures      integer,
  rev                    integer NOT NULL DEFAULT 1,
  -- A secret's own version-retention policy; null: the vault's.
  version_retention      jsonb,
  CONSTRAINT secrets_pkey PRIMARY KEY (tenant, path),
  CONSTRAINT secrets_rotation_check CHECK (
    num_nulls(rotation_every_seconds, rotation_grace_seconds, rotation_next_at, rotation_failures) IN (0, 4)
  )
);
CREATE INDEX secrets_rotation_due_idx ON ${t.secrets} (
  (CASE WHEN pending_version IS NOT NULL THEN '-9223372036854775808'::bigint ELSE rotation_next_at END),
  tenant,
  path
) WHERE trashed_at IS NULL AND (pending_version IS NOT NULL OR rotation_next_at IS NOT NULL);
CREATE INDEX secrets_expiry_idx ON ${t.secrets} (expires_at, tenant, path)
  WHERE trashed_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX secrets_purge_idx ON ${t.secrets} (purge_at, tenant, path) WHERE trashed_at IS NOT NULL;

-- Kept apart from secrets so that the read path's touch never waits on a writer's row lock.
CREATE TABLE ${t.access} (
  tenant      text COLLATE "C" NOT NULL,
  path        text COLLATE "C" NOT NULL,
  accessed_at bigint,
  CONSTRAINT secret_access_pkey PRIMARY KEY (tenant, path),
  CONSTRAINT secret_access_secret_fkey FOREIGN KEY (tenant, path)
    REFERENCES ${t.secrets} (tenant, path) ON DELETE CASCADE
);

-- No foreign key: versions are records of their own, core deletes a secret and its versions in one commit.
CREATE TABLE ${t.versions} (
  tenant      text COLLATE "C" NOT NULL,
  path        text COLLATE "C" NOT NULL,
  version     integer NOT NULL,
  ciphertext  bytea NOT NULL,
  key_id      text NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at  bigint NOT NULL,
  created_by  text NOT NULL,
  retires_at  bigint,
  rev         integer NOT NULL DEFAULT 1,
  CONSTRAINT secret_versions_pkey PRIMARY KEY (tenant, path, version)
);

CREATE TABLE ${t.auditEvents} (
  id                text COLLATE "C" NOT NULL,
  tenant            text COLLATE "C" NOT NULL,
  seq               bigint NOT NULL,
  type              text NOT NULL,
  path              text COLLATE "C",
  actor             text COLLATE "C" NOT NULL,
  actor_description text,
  ip                text,
  user_agent        text,
  ts                bigint NOT NULL,
  -- json, not jsonb: stored as sent.
  details           json NOT NULL,
  success           boolean NOT NULL,
  error             text,
  version           integer,
  CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_time_idx ON ${t.auditEvents} (tenant, ts, id);
CREATE INDEX audit_events_path_idx ON ${t.auditEvents} (tenant, path, ts, id) WHERE path IS NOT NULL;
CREATE INDEX audit_events_actor_idx ON ${t.auditEvents} (tenant, actor, ts, id);
-- Not UNIQUE: the counter makes seqs unique; a duplicate written behind its back is for verifyAudit to name.
CREATE INDEX audit_events_seq_idx ON ${t.auditEvents} (tenant, seq);
${auditCountersSchema(t)}

${recordsSchema(t)}
`;
}

/**
 * Storage contract v2. Secrets and versions gain a revision; every other record (agent keys, tokens,
 * approvals, leases, expiry warnings, audit seals and checkpoints) moves into one `records` table
 * (jsonb) with expression indexes for the contract's filters; tokens gain `lineage` and `rootId`,
 * approvals the requester's lineage. Events lose their chain and hash and are renumbered 1, 2, 3…
 * per tenant in (time, chain, seq) order, after `verifyLegacyChains` checked the old chains; core
 * seals the renumbered trail at its first seal. Expiry warnings sent before v2 did not record when:
 * their `sentAt` is the time of the upgrade. Stop instances of the previous version first.
 */
function contractV2Schema(t: Tables): string {
  return `
ALTER TABLE ${t.secrets} ADD COLUMN rev integer NOT NULL DEFAULT 1;
ALTER TABLE ${t.versions} ADD COLUMN rev integer NOT NULL DEFAULT 1;
-- Versions are records of their own: core deletes a secret and its versions in one commit, in any order.
ALTER TABLE ${t.versions} DROP CONSTRAINT secret_versions_secret_fkey;
${recordsSchema(t)}

INSERT INTO ${t.records} (kind, tenant, id, rev, data)
SELECT 'agent_key', tenant, id, 1, jsonb_build_object('id', id, 'tenant', tenant, 'hash', hash,
  'description', description, 'roles', roles, 'createdAt', created_at, 'createdBy', created_by,
  'revokedAt', revoked_at)
FROM ${t.agentKeys};

-- lineage: the ancestors nearest first, then whoever minted the root.
WITH RECURSIVE walk (id, tenant, cur, parent, lineage) AS (
  SELECT id, tenant, id, parent_id, ARRAY[]::text[] COLLATE "C" FROM ${t.tokens}
  UNION ALL
  SELECT w.id, w.tenant, p.id, p.parent_id, w.lineage || ('token:' || p.id)
  FROM walk w JOIN ${t.tokens} p ON p.tenant = w.tenant AND p.id = w.parent
)
INSERT INTO ${t.records} (kind, tenant, id, rev, data)
SELECT 'token', tk.tenant, tk.id, 1, jsonb_build_object('id', tk.id, 'tenant', tk.tenant, 'hash', tk.hash,
  'scope', tk.scope, 'approvedTier', tk.approved_tier, 'description', tk.description,
  'allowedIps', tk.allowed_ips, 'maxUses', tk.max_uses, 'usesRemaining', tk.uses_remaining,
  'createdAt', tk.created_at, 'expiresAt', tk.expires_at, 'issuedBy', tk.issued_by,
  'parentId', tk.parent_id, 'lineage', to_jsonb(w.lineage || root.issued_by), 'rootId', root.id,
  'approvalRequestId', tk.approval_request_id, 'revokedAt', tk.revoked_at)
FROM walk w
JOIN ${t.tokens} tk ON tk.id = w.id
JOIN ${t.tokens} root ON root.id = w.cur
WHERE NOT EXISTS (SELECT 1 FROM ${t.tokens} p WHERE p.tenant = w.tenant AND p.id = w.parent);

INSERT INTO ${t.records} (kind, tenant, id, rev, data)
SELECT 'approval', a.tenant, a.id, 1, jsonb_build_object('id', a.id, 'tenant', a.tenant,
  'requestedBy', a.requested_by, 'lineage', COALESCE(tk.data->'lineage', '[]'::jsonb),
  'requesterDescription', a.requester_description, 'request', a.request, 'tier', a.tier,
  'status', a.status, 'decisions', a.decisions, 'requiredApprovals', a.required_approvals,
  'createdAt', a.created_at, 'expiresAt', a.expires_at, 'decidedAt', a.decided_at,
  'claimedAt', a.claimed_at, 'tokenId', a.token_id)
FROM ${t.approvals} a
LEFT JOIN ${t.records} tk ON tk.kind = 'token' AND tk.tenant = a.tenant AND 'token:' || tk.id = a.requested_by;

INSERT INTO ${t.records} (kind, tenant, id, rev, data)
SELECT 'lease', '*', name, 1, jsonb_build_object('tenant', '*', 'id', name, 'owner', owner, 'expiresAt', expires_at)
FROM ${t.leases};

INSERT INTO ${t.records} (kind, tenant, id, rev, data)
SELECT 'expiry_warning', tenant, path || '|' || expires_at || '|' || kind, 1, jsonb_build_object('tenant', tenant,
  'id', path || '|' || expires_at || '|' || kind, 'path', path, 'expiresAt', expires_at, 'kind', kind,
  'sentAt', (extract(epoch FROM now()) * 1000)::bigint)
FROM ${t.expiryWarnings};

DROP TABLE ${t.agentKeys}, ${t.tokens}, ${t.approvals}, ${t.leases}, ${t.expiryWarnings}, ${t.auditHeads};

${auditCountersSchema(t)}
ALTER TABLE ${t.auditEvents} DROP CONSTRAINT audit_events_chain_key;
UPDATE ${t.auditEvents} e SET seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY ts, chain, seq) AS seq FROM ${t.auditEvents}) n
WHERE e.id = n.id;
ALTER TABLE ${t.auditEvents} DROP COLUMN chain, DROP COLUMN hash;
-- Not UNIQUE: the counter makes seqs unique; a duplicate written behind its back is for verifyAudit to name.
CREATE INDEX audit_events_seq_idx ON ${t.auditEvents} (tenant, seq);
INSERT INTO ${t.auditCounters} (tenant, seq) SELECT tenant, max(seq) FROM ${t.auditEvents} GROUP BY tenant;
`;
}

/**
 * Every migration, oldest first, and the baseline. Never edit a released one, the baseline included:
 * add the next version, which schemas migrated step by step and from the baseline both apply.
 */
export function migrations(t: Tables): { baseline: Migration; versions: Migration[] } {
  return {
    baseline: { version: 4, name: 'baseline: storage contract v2 with version retention', sql: baselineSchema(t) },
    versions: [
      { version: 1, name: 'initial schema', checksum: '6aaa9641778622fd043bfe68b65221a00d04675afede57c0fb88a2c3ae93b649' },
      {
        version: 2,
        name: 'staged rotation and maintenance',
        checksum: 'f066352210c10d4eef64864d25e699e763966fdd4f14dd923044478642613db1',
      },
      { version: 3, name: 'storage contract v2', sql: contractV2Schema(t), before: verifyLegacyChains },
      // A secret's own version-retention policy (null: the vault's). Nullable, no default: no rewrite.
      { version: 4, name: 'version retention', sql: `ALTER TABLE ${t.secrets} ADD COLUMN version_retention jsonb;` },
    ],
  };
}

/**
 * Before migration 3 renumbers the trail: every tenant's hash chains must verify with core's legacy
 * verifier (core computes the hashes; the adapter only reads rows). A broken chain stops the upgrade.
 */
async function verifyLegacyChains(q: Query, t: Tables): Promise<void> {
  const tenants = await q.rows<{ tenant: string }>(
    `SELECT tenant FROM ${t.auditHeads} UNION SELECT tenant FROM ${t.auditEvents}`,
  );
  for (const { tenant } of tenants) {
    const rows = await q.rows(
      `SELECT ${AUDIT_COLUMNS}, chain, hash FROM ${t.auditEvents} WHERE tenant = $1 ORDER BY chain, seq`,
      [tenant],
    );
    const heads = await q.rows<{ chain: number; seq: string; hash: Buffer }>(
      `SELECT chain, seq, hash FROM ${t.auditHeads} WHERE tenant = $1`,
      [tenant],
    );
    const [broken] = verifyLegacyAuditChains(
      rows.map((row) => ({ ...toAuditEvent(row), chain: num(row.chain), hash: (row.hash as Buffer).toString('hex') })),
      new Map(heads.map((h) => [`${tenant}|${h.chain}`, { seq: Number(h.seq), hash: h.hash.toString('hex') }])),
    );
    if (broken) {
      throw new AgentVaultConfigurationError(
        `postgres: migration 3 stopped: the audit trail of tenant ${tenant} fails legacy verification (chain ${broken.chain}, seq ${broken.seq}, event ${broken.eventId ?? 'none'}: ${broken.reason}); nothing was changed`,
      );
    }
  }
}

/** Checksums ignore the schema name, so the same migration has the same checksum in every schema. */
function checksum(migration: Migration, t: Tables): string {
  return migration.checksum ?? createHash('sha256').update(migration.sql!.replaceAll(t.schema, '"$schema"')).digest('hex');
}

export interface MigrationResult {
  /** Versions applied by this call, oldest first ([4] for the baseline); [] when the schema was already current. */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

/** Apply the pending migrations: the baseline on an empty schema, else the versions after the recorded ones. */
export async function migrate(db: Db): Promise<MigrationResult> {
  const t = db.t;
  const { baseline, versions } = migrations(t);
  return db.transaction(async (q) => {
    // Taken before anything else, because concurrent CREATE SCHEMA IF NOT EXISTS can itself fail.
    await q.rows('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      'agentvault.migrate',
      t.schema,
    ]);
    await q.rows(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    await q.rows(`CREATE TABLE IF NOT EXISTS ${t.migrations} (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const recorded = new Map(
      (
        await q.rows<{ version: number; checksum: string }>(`SELECT version, checksum FROM ${t.migrations}`)
      ).map((row) => [row.version, row.checksum]),
    );
    // A schema that started at version 1 continues step by step; any other starts from the baseline.
    const path = recorded.has(1) ? versions : [baseline, ...versions.filter((m) => m.version > baseline.version)];
    const applied: number[] = [];
    for (const migration of path) {
      const sum = checksum(migration, t);
      const known = recorded.get(migration.version);
      if (known !== undefined) {
        if (known !== sum) {
          throw new AgentVaultConfigurationError(
            `postgres: migration ${migration.version} (${migration.name}) in schema ${t.schema} was applied from different SQL`,
          );
        }
        continue;
      }
      if (migration.sql === undefined) {
        throw new AgentVaultConfigurationError(
          `postgres: schema ${t.schema} lacks migration ${migration.version} (${migration.name}), which this release cannot apply; upgrade it with the first release, then this one`,
        );
      }
      await migration.before?.(q, t);
      await q.rows(migration.sql);
      await q.rows(`INSERT INTO ${t.migrations} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        sum,
      ]);
      applied.push(migration.version);
    }
    const version = Math.max(0, ...recorded.keys(), ...applied);
    return { applied, version };
  });
}
