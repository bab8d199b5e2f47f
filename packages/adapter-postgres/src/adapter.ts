/**
 * StorageAdapter on PostgreSQL. Every method is one statement or one transaction; the audited read
 * is one statement (see read.ts). Tables live in one schema (default `agentvault`) created by
 * `migrate()`, which the adapter never runs by itself.
 */
import type {
  AgentKeyRecord,
  ApprovalRecord,
  AuditChainHead,
  AuditEvent,
  AuditEventInput,
  AuditQuery,
  ListSecretsPage,
  ListSecretsQuery,
  ReadResult,
  ReadSecretInput,
  SecretRecord,
  StorageAdapter,
  StorageInput,
  TokenRecord,
  TokenUseOutcome,
  VersionInfo,
  VersionKey,
  WrappedKey,
} from '@agentvault/core';
import * as access from './access';
import * as audit from './audit';
import { type ConnectionStringOptions, connectionStringPool, type PostgresPool } from './client';
import { Db } from './db';
import * as maintenance from './maintenance';
import { type MigrationResult, migrate } from './migrations';
import { readSecretStatement, readSecretValues } from './read';
import { toSecret, toVersion } from './rows';
import * as secrets from './secrets';
import * as staging from './staging';

export type PostgresConnection = { pool: PostgresPool } | ConnectionStringOptions;

export interface PostgresAdapterOptions {
  /** Schema holding the tables (created by `migrate()`). Default `agentvault`. */
  schema?: string;
  /** Adapter name in wrapped errors. Default `postgres`. */
  name?: string;
  /**
   * Send the hot statements (the audited read, token lookups) as named prepared statements, planned
   * once per connection. Default true; set false behind a pooler that cannot keep them (PgBouncer in
   * transaction mode before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

export class PostgresAdapter implements StorageAdapter {
  readonly name: string;
  readonly schema: string;
  readonly #db: Db;
  readonly #ownsPool: boolean;
  readonly #readSql: { withToken: string; withoutToken: string };

  constructor(connection: PostgresConnection, options: PostgresAdapterOptions = {}) {
    this.name = options.name ?? 'postgres';
    this.schema = options.schema ?? 'agentvault';
    this.#ownsPool = !('pool' in connection);
    const pool = 'pool' in connection ? connection.pool : connectionStringPool(connection);
    this.#db = new Db(pool, this.schema, { preparedStatements: options.preparedStatements ?? true });
    this.#readSql = {
      withToken: readSecretStatement(this.#db.t, true),
      withoutToken: readSecretStatement(this.#db.t, false),
    };
  }

  /**
   * Create or upgrade the schema. Idempotent and safe to call from many processes at once
   * (serialized by an advisory lock); call it at deploy time or once at startup.
   */
  migrate(): Promise<MigrationResult> {
    return migrate(this.#db);
  }

  // ── secrets ────────────────────────────────────────────────────────────────

  createSecret(input: StorageInput<'createSecret'>): Promise<void> {
    return secrets.createSecret(this.#db, input);
  }

  appendVersion(input: StorageInput<'appendVersion'>): Promise<SecretRecord> {
    return secrets.appendVersion(this.#db, input);
  }

  updateSecretMetadata(input: StorageInput<'updateSecretMetadata'>): Promise<SecretRecord> {
    return secrets.updateSecretMetadata(this.#db, input);
  }

  rollbackSecret(input: StorageInput<'rollbackSecret'>): Promise<SecretRecord> {
    return secrets.rollbackSecret(this.#db, input);
  }

  getSecret(tenant: string, path: string): Promise<SecretRecord | null> {
    return secrets.getSecret(this.#db, tenant, path);
  }

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    // A duplicate event id fails the statement as a unique violation: a conflict, nothing changed.
    const sql = input.token ? this.#readSql.withToken : this.#readSql.withoutToken;
    const row = await this.#db.hot.one(sql, readSecretValues(input));
    const outcome = row!.outcome as ReadResult['outcome'];
    if (outcome !== 'ok') return { outcome };
    return {
      outcome,
      secret: toSecret(row!),
      version: toVersion({
        tenant: row!.tenant,
        path: row!.path,
        version: row!.v_version,
        ciphertext: row!.v_ciphertext,
        key_id: row!.v_key_id,
        wrapped_key: row!.v_wrapped_key,
        created_at: row!.v_created_at,
        created_by: row!.v_created_by,
        retires_at: row!.v_retires_at,
      }),
    };
  }

  listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    return secrets.listSecrets(this.#db, query);
  }

  listVersions(tenant: string, path: string): Promise<VersionInfo[]> {
    return secrets.listVersions(this.#db, tenant, path);
  }

  trashSecret(input: StorageInput<'trashSecret'>): Promise<void> {
    return secrets.trashSecret(this.#db, input);
  }

  restoreSecret(input: StorageInput<'restoreSecret'>): Promise<SecretRecord> {
    return secrets.restoreSecret(this.#db, input);
  }

  destroySecret(input: StorageInput<'destroySecret'>): Promise<void> {
    return secrets.destroySecret(this.#db, input);
  }

  // ── staged rotation ────────────────────────────────────────────────────────

  stageVersion(input: StorageInput<'stageVersion'>): Promise<SecretRecord> {
    return staging.stageVersion(this.#db, input);
  }

  promoteVersion(input: StorageInput<'promoteVersion'>): Promise<SecretRecord> {
    return staging.promoteVersion(this.#db, input);
  }

  discardPending(input: StorageInput<'discardPending'>): Promise<SecretRecord> {
    return staging.discardPending(this.#db, input);
  }

  // ── maintenance ────────────────────────────────────────────────────────────

  acquireLease(input: StorageInput<'acquireLease'>): Promise<boolean> {
    return maintenance.acquireLease(this.#db, input);
  }

  releaseLease(input: StorageInput<'releaseLease'>): Promise<void> {
    return maintenance.releaseLease(this.#db, input);
  }

  listDueRotations(query: StorageInput<'listDueRotations'>): Promise<SecretRecord[]> {
    return maintenance.listDueRotations(this.#db, query);
  }

  listExpiringSecrets(query: StorageInput<'listExpiringSecrets'>): Promise<SecretRecord[]> {
    return maintenance.listExpiringSecrets(this.#db, query);
  }

  listPurgeableSecrets(query: StorageInput<'listPurgeableSecrets'>): Promise<SecretRecord[]> {
    return maintenance.listPurgeableSecrets(this.#db, query);
  }

  claimExpiryWarning(input: StorageInput<'claimExpiryWarning'>): Promise<boolean> {
    return maintenance.claimExpiryWarning(this.#db, input);
  }

  listWrappedKeys(query: StorageInput<'listWrappedKeys'>): Promise<Array<VersionKey & { wrappedKey: WrappedKey }>> {
    return secrets.listWrappedKeys(this.#db, query);
  }

  replaceWrappedKey(input: StorageInput<'replaceWrappedKey'>): Promise<boolean> {
    return secrets.replaceWrappedKey(this.#db, input);
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  appendAudit(event: AuditEventInput): Promise<void> {
    return audit.appendAudit(this.#db.hot, this.#db.t, event);
  }

  queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    return audit.queryAudit(this.#db, query);
  }

  readAuditChain(query: StorageInput<'readAuditChain'>): Promise<AuditEvent[]> {
    return audit.readAuditChain(this.#db, query);
  }

  auditHeads(tenant: string): Promise<AuditChainHead[]> {
    return audit.auditHeads(this.#db, tenant);
  }

  // ── agent keys ─────────────────────────────────────────────────────────────

  createAgentKey(input: StorageInput<'createAgentKey'>): Promise<void> {
    return access.createAgentKey(this.#db, input);
  }

  findAgentKey(hash: string): Promise<AgentKeyRecord | null> {
    return access.findAgentKey(this.#db, hash);
  }

  listAgentKeys(tenant: string): Promise<AgentKeyRecord[]> {
    return access.listAgentKeys(this.#db, tenant);
  }

  revokeAgentKey(input: StorageInput<'revokeAgentKey'>): Promise<AgentKeyRecord> {
    return access.revokeAgentKey(this.#db, input);
  }

  // ── tokens ─────────────────────────────────────────────────────────────────

  createToken(input: StorageInput<'createToken'>): Promise<void> {
    return access.createToken(this.#db, input);
  }

  findToken(hash: string): Promise<TokenRecord | null> {
    return access.findToken(this.#db, hash);
  }

  getToken(tenant: string, id: string): Promise<TokenRecord | null> {
    return access.getToken(this.#db, tenant, id);
  }

  useToken(input: StorageInput<'useToken'>): Promise<{ outcome: TokenUseOutcome; token: TokenRecord | null }> {
    return access.useToken(this.#db, input);
  }

  revokeToken(input: StorageInput<'revokeToken'>): Promise<TokenRecord> {
    return access.revokeToken(this.#db, input);
  }

  listTokens(query: StorageInput<'listTokens'>): Promise<TokenRecord[]> {
    return access.listTokens(this.#db, query);
  }

  // ── approvals ──────────────────────────────────────────────────────────────

  createApproval(input: StorageInput<'createApproval'>): Promise<void> {
    return access.createApproval(this.#db, input);
  }

  getApproval(tenant: string, id: string): Promise<ApprovalRecord | null> {
    return access.getApproval(this.#db, tenant, id);
  }

  decideApproval(input: StorageInput<'decideApproval'>): Promise<ApprovalRecord> {
    return access.decideApproval(this.#db, input);
  }

  claimApproval(input: StorageInput<'claimApproval'>): Promise<ApprovalRecord> {
    return access.claimApproval(this.#db, input);
  }

  expireApproval(input: StorageInput<'expireApproval'>): Promise<ApprovalRecord> {
    return access.expireApproval(this.#db, input);
  }

  listExpiredApprovals(query: StorageInput<'listExpiredApprovals'>): Promise<ApprovalRecord[]> {
    return maintenance.listExpiredApprovals(this.#db, query);
  }

  listApprovals(query: StorageInput<'listApprovals'>): Promise<ApprovalRecord[]> {
    return access.listApprovals(this.#db, query);
  }

  /** Ends the pool if the adapter created it (`connectionString`); a pool passed in is the caller's to end. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#db.end();
  }
}

/**
 * PostgreSQL storage. Pass your `pg.Pool` (`{ pool }`) or a connection string. Run
 * `await adapter.migrate()` once (deploy step or startup) before the first call.
 */
export function postgresAdapter(
  connection: PostgresConnection,
  options: PostgresAdapterOptions = {},
): PostgresAdapter {
  return new PostgresAdapter(connection, options);
}
