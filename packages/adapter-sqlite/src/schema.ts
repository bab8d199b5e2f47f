/**
 * The tables. Records are JSON (bytes tagged, see codec) with the columns their indexes need beside
 * them; the indexes serve every listing of the contract by keyset, none by scan.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS secrets (
  tenant TEXT NOT NULL,
  path TEXT NOT NULL,
  rev INTEGER NOT NULL,
  tier TEXT NOT NULL,
  type TEXT NOT NULL,
  trashed INTEGER NOT NULL,
  expires_at INTEGER,
  purge_at INTEGER,
  -- -1 while a pending version waits, else rotation.nextAt; NULL without rotation.
  rotation_due INTEGER,
  current_version INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, path)
) WITHOUT ROWID;
-- Apart from the record, so the audited read's touch rewrites a narrow row, not the secret's JSON.
CREATE TABLE IF NOT EXISTS secret_access (
  tenant TEXT NOT NULL,
  path TEXT NOT NULL,
  accessed_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS secrets_tier ON secrets (tenant, tier, path);
CREATE INDEX IF NOT EXISTS secrets_expiring ON secrets (expires_at, tenant, path) WHERE trashed = 0 AND expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS secrets_purgeable ON secrets (purge_at, tenant, path) WHERE trashed = 1;
CREATE INDEX IF NOT EXISTS secrets_rotation ON secrets (rotation_due, tenant, path) WHERE trashed = 0 AND rotation_due IS NOT NULL;

CREATE TABLE IF NOT EXISTS secret_tags (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (tenant, name, value, path)
) WITHOUT ROWID;
-- Rewriting a secret replaces its tags: found by path, not by scanning the tenant's tags.
CREATE INDEX IF NOT EXISTS secret_tags_path ON secret_tags (tenant, path);

CREATE TABLE IF NOT EXISTS versions (
  tenant TEXT NOT NULL,
  path TEXT NOT NULL,
  version INTEGER NOT NULL,
  rev INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, path, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  rev INTEGER NOT NULL,
  hash TEXT UNIQUE,
  parent_id TEXT,
  issued_by TEXT,
  status TEXT,
  expires_at INTEGER,
  data TEXT NOT NULL,
  PRIMARY KEY (kind, tenant, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_parent ON records (kind, tenant, parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_issuer ON records (kind, tenant, issued_by, id) WHERE issued_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_status ON records (kind, tenant, status, id) WHERE status IS NOT NULL;
CREATE INDEX IF NOT EXISTS approvals_due ON records (expires_at, tenant, id) WHERE kind = 'approval' AND status = 'pending';

-- No key on (tenant, seq): storage numbers events, but a tampered table may repeat a number, and
-- verification must be able to read what is there.
CREATE TABLE IF NOT EXISTS audit (
  tenant TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  type TEXT NOT NULL,
  path TEXT,
  actor TEXT NOT NULL,
  success INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_seq ON audit (tenant, seq);
CREATE UNIQUE INDEX IF NOT EXISTS audit_id ON audit (id);
CREATE INDEX IF NOT EXISTS audit_time ON audit (tenant, timestamp, id);

CREATE TABLE IF NOT EXISTS audit_heads (
  tenant TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;
