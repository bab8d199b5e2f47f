/**
 * Storage for AgentVault on Redis. Every contract method that writes is one Lua script (one round
 * trip, atomic: Redis runs a script with nothing interleaved); reads are one script or one command.
 * See the README for the key layout and what each operation costs.
 */
import {
  type AgentKeyRecord,
  AgentVaultUnavailableError,
  type ApprovalRecord,
  type AuditChainHead,
  type AuditDraft,
  type AuditEvent,
  type AuditEventInput,
  type AuditQuery,
  type ListSecretsPage,
  type ListSecretsQuery,
  outcomeLabel,
  type ReadResult,
  type ReadSecretInput,
  SECRET_TYPES,
  type SecretRecord,
  type StorageAdapter,
  type StorageInput,
  TIERS,
  type TokenRecord,
  type TokenUseOutcome,
  tierRank,
  type VersionInfo,
  type VersionKey,
  type WrappedKey,
} from '@agentvault/core';
import type { StorageBackdoor } from '@agentvault/core/testing';
import { redisBackdoor, scanKeys } from './backdoor';
import { assertSafeClient, type RedisClientLike, runScript } from './client';
import {
  type Arg,
  agentKeyRec,
  approvalFields,
  auditMember,
  decodeAgentKey,
  decodeApproval,
  decodeEvent,
  decodeSecret,
  decodeToken,
  decodeVersion,
  eventBody,
  namespacesOf,
  patchArgs,
  type Reply,
  rotationArgs,
  secretFields,
  text,
  tokenArgs,
  versionArgs,
} from './codec';
import { redisError, scriptRefusal } from './errors';
import { LinkPredictor, type Prediction } from './link-predictor';
import { SCRIPTS, type ScriptName } from './scripts';

export interface RedisAdapterOptions {
  /** Prefix of every key the adapter writes. Default `agentvault:`. */
  prefix?: string;
  /** Adapter name in wrapped errors. Default `redis`. */
  name?: string;
  /**
   * Compute audit chain links in the client when the chain head can be predicted, so the script's
   * Lua SHA-256 runs only on a miss. Default true; the stored chain is the same either way.
   */
  predictLinks?: boolean;
  /** Quit the client on `close()`. Default: true for a client the adapter made from a URL. */
  ownsClient?: boolean;
}

const NO_PREDICTION: Prediction = { prev: null, label: null, digest: '', hash: null };
/** Current versions remembered per path, to predict the outcome label of a read. */
const MAX_REMEMBERED_VERSIONS = 10_000;

const nullable = (value: number | string | null | undefined): string =>
  value === null || value === undefined ? '' : String(value);

/** The greater of two ZRANGEBYLEX lower bounds ('-' is the lowest; '(' beats '[' on equal values). */
function higherBound(a: string, b: string): string {
  if (a === '-') return b;
  if (b === '-') return a;
  const [va, vb] = [a.slice(1), b.slice(1)];
  if (va !== vb) return va > vb ? a : b;
  return a.startsWith('(') ? a : b;
}

/** The smaller of two ZRANGEBYLEX upper bounds ('+' is the highest). */
function lowerBound(a: string, b: string): string {
  if (a === '+') return b;
  if (b === '+') return a;
  const [va, vb] = [a.slice(1), b.slice(1)];
  if (va !== vb) return va < vb ? a : b;
  return a.startsWith('(') ? a : b;
}

export class RedisAdapter implements StorageAdapter {
  readonly name: string;
  readonly client: RedisClientLike;
  readonly prefix: string;
  readonly #ownsClient: boolean;
  readonly #predictor: LinkPredictor | null;
  readonly #versions = new Map<string, number>();

  constructor(client: RedisClientLike, options: RedisAdapterOptions = {}) {
    assertSafeClient(client);
    this.client = client;
    this.prefix = options.prefix ?? 'agentvault:';
    this.name = options.name ?? 'redis';
    this.#ownsClient = options.ownsClient ?? false;
    this.#predictor = options.predictLinks === false ? null : new LinkPredictor();
  }

  /**
   * How many audit links this adapter predicted right and how many the server computed in Lua
   * (null when prediction is off). For monitoring and benchmarks.
   */
  get linkPredictions(): { predicted: number; computedByServer: number } | null {
    return this.#predictor ? { ...this.#predictor.stats } : null;
  }

  // ── plumbing ───────────────────────────────────────────────────────────────

  #key(tenant: string, suffix: string): string {
    return `${this.prefix}t:${tenant}:${suffix}`;
  }

  async #command(command: string, ...args: Arg[]): Promise<Reply> {
    try {
      return (await this.client.call(command, ...args)) as Reply;
    } catch (error) {
      throw redisError(error);
    }
  }

  /** A script that appends no audit event. */
  async #read(
    name: ScriptName,
    tenant: string,
    args: Arg[],
    options: { binary?: boolean; path?: string } = {},
  ): Promise<Reply[]> {
    try {
      return (await runScript(
        this.client,
        SCRIPTS[name],
        [this.prefix, tenant, ...args],
        options.binary,
      )) as Reply[];
    } catch (error) {
      throw redisError(error, { path: options.path ?? null });
    }
  }

  /**
   * A script that appends `event` to its chain. `label` is the outcome when the caller knows it;
   * for the audited read the script decides it and `guess` is the likely one. The reply starts with
   * the new head hash; the rest is returned.
   */
  async #write(
    name: ScriptName,
    tenant: string,
    args: Arg[],
    event: AuditDraft,
    label: string | null,
    options: { binary?: boolean; path?: string | null; guess?: string | null } = {},
  ): Promise<Reply[]> {
    const chain = `${tenant}\u0000${event.chain}`;
    const prediction =
      this.#predictor?.begin(chain, event.digest, label ?? options.guess ?? null) ?? NO_PREDICTION;
    const path = event.path ?? '';
    const namespaces = event.path === null ? [] : namespacesOf(event.path);
    const eventArgs = [
      event.id,
      String(event.chain),
      auditMember(event.timestamp, event.id),
      event.type,
      path,
      event.actor,
      eventBody(event),
      event.digest,
      label ?? '',
      prediction.prev ?? '',
      prediction.label ?? '',
      prediction.hash ?? '',
      String(namespaces.length),
      ...namespaces,
    ];
    let reply: Reply[];
    try {
      reply = (await runScript(
        this.client,
        SCRIPTS[name],
        [this.prefix, tenant, ...args, ...eventArgs],
        options.binary,
      )) as Reply[];
    } catch (error) {
      const refused = scriptRefusal(error) !== null;
      this.#predictor?.settle(chain, prediction, refused ? { appended: false } : { unknown: true });
      throw redisError(error, { path: options.path ?? null });
    }
    // A head of '' is a script that decided not to append (an expiry warning already claimed).
    const head = text(reply[0]);
    this.#predictor?.settle(chain, prediction, head === '' ? { appended: false } : { appended: true, head });
    return reply.slice(1);
  }

  #secret(tenant: string, path: string, reply: Reply | undefined): SecretRecord {
    const secret = decodeSecret(tenant, path, reply);
    if (!secret) throw new AgentVaultUnavailableError(`redis: secret '${path}' vanished mid-call`);
    this.#rememberVersion(tenant, path, secret.currentVersion);
    return secret;
  }

  /** Records of a cross-tenant listing: `[tenant, path, HGETALL]` each. */
  #secretsOf(reply: Reply[]): SecretRecord[] {
    return (reply as Reply[][]).map(([tenant, path, fields]) => this.#secret(text(tenant), text(path), fields));
  }

  #rememberVersion(tenant: string, path: string, version: number): void {
    const key = `${tenant}\u0000${path}`;
    this.#versions.delete(key);
    this.#versions.set(key, version);
    if (this.#versions.size > MAX_REMEMBERED_VERSIONS) {
      this.#versions.delete(this.#versions.keys().next().value!);
    }
  }

  // ── secrets ────────────────────────────────────────────────────────────────

  async createSecret(input: StorageInput<'createSecret'>): Promise<void> {
    const { secret, version, event } = input;
    const fields = secretFields(secret);
    await this.#write(
      'createSecret',
      secret.tenant,
      [secret.path, String(fields.length / 2), ...fields, '0', ...versionArgs(version)],
      event,
      outcomeLabel(event),
      { path: secret.path },
    );
    this.#rememberVersion(secret.tenant, secret.path, secret.currentVersion);
  }

  async appendVersion(input: StorageInput<'appendVersion'>): Promise<SecretRecord> {
    const { version, event } = input;
    const reply = await this.#write(
      'appendVersion',
      version.tenant,
      [
        version.path,
        String(input.expectedCurrentVersion),
        nullable(input.retirePreviousAt),
        ...versionArgs(version),
        ...patchArgs(input.patch),
      ],
      event,
      outcomeLabel(event),
      { path: version.path },
    );
    return this.#secret(version.tenant, version.path, reply[0]);
  }

  async updateSecretMetadata(input: StorageInput<'updateSecretMetadata'>): Promise<SecretRecord> {
    const reply = await this.#write(
      'updateSecretMetadata',
      input.tenant,
      [
        input.path,
        nullable(input.expectedCurrentVersion),
        ...patchArgs(input.patch),
        String(input.updatedAt),
        input.updatedBy,
      ],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    return this.#secret(input.tenant, input.path, reply[0]);
  }

  async rollbackSecret(input: StorageInput<'rollbackSecret'>): Promise<SecretRecord> {
    const reply = await this.#write(
      'rollbackSecret',
      input.tenant,
      [
        input.path,
        String(input.toVersion),
        nullable(input.expectedCurrentVersion),
        String(input.now),
        input.by,
      ],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    return this.#secret(input.tenant, input.path, reply[0]);
  }

  async getSecret(tenant: string, path: string): Promise<SecretRecord | null> {
    return decodeSecret(tenant, path, await this.#command('HGETALL', this.#key(tenant, `s:${path}`)));
  }

  async readSecret(input: ReadSecretInput): Promise<ReadResult> {
    const { tenant, path } = input;
    const guessed = input.version ?? this.#versions.get(`${tenant}\u0000${path}`) ?? null;
    const reply = await this.#write(
      'readSecret',
      tenant,
      [
        path,
        nullable(input.version),
        String(input.now),
        input.maxTier === null ? '' : String(tierRank(input.maxTier)),
        input.token?.id ?? '',
      ],
      input.event,
      null,
      { binary: true, path, guess: guessed === null ? null : `1||${guessed}` },
    );
    const outcome = text(reply[0]) as ReadResult['outcome'];
    if (outcome !== 'ok') return { outcome };
    const secret = this.#secret(tenant, path, reply[1]);
    const version = decodeVersion(tenant, path, Number(text(reply[2])), reply[3] as Reply[]);
    return { outcome, secret, version };
  }

  async listSecrets(query: ListSecretsQuery): Promise<ListSecretsPage> {
    const { namespace: ns, afterPath } = query;
    const low = ns === '' ? '-' : `[${ns}/`;
    const high = ns === '' ? '+' : `(${ns}0`;
    let start = low;
    let afterCount = '';
    if (afterPath !== null && (ns === '' || afterPath >= `${ns}/`)) {
      start = `(${afterPath}`;
      afterCount = `[${afterPath}`;
    }
    const state = query.trashed ? 'trash' : 'live';
    let sets: string[] = [state];
    if (query.tiers !== undefined || query.types !== undefined) {
      const tiers = query.tiers ?? TIERS;
      const types = query.types ?? SECRET_TYPES;
      sets = tiers.flatMap((tier) => types.map((type) => `c:${state}:${tier}:${type}`));
    }
    const tags = Object.entries(query.tags ?? {}).flat();
    const reply = await this.#read('listSecrets', query.tenant, [
      state,
      low,
      high,
      start,
      afterCount,
      String(query.limit),
      String(sets.length),
      ...sets,
      String(tags.length / 2),
      ...tags,
    ]);
    const items = (reply[1] as Reply[][]).map(([path, fields]) =>
      this.#secret(query.tenant, text(path), fields),
    );
    return { items, total: Number(reply[0]) };
  }

  async listVersions(tenant: string, path: string): Promise<VersionInfo[]> {
    const reply = await this.#read('listVersions', tenant, [path]);
    return (reply as Reply[][]).map(([n, keyId, createdAt, createdBy, retiresAt]) => ({
      tenant,
      path,
      version: Number(n),
      keyId: text(keyId),
      createdAt: Number(text(createdAt)),
      createdBy: text(createdBy),
      retiresAt: text(retiresAt) === '' ? null : Number(text(retiresAt)),
    }));
  }

  async trashSecret(input: StorageInput<'trashSecret'>): Promise<void> {
    await this.#write(
      'trashSecret',
      input.tenant,
      [input.path, String(input.now), String(input.purgeAt)],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
  }

  async restoreSecret(input: StorageInput<'restoreSecret'>): Promise<SecretRecord> {
    const reply = await this.#write(
      'restoreSecret',
      input.tenant,
      [input.path, String(input.now), input.by],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    return this.#secret(input.tenant, input.path, reply[0]);
  }

  async destroySecret(input: StorageInput<'destroySecret'>): Promise<void> {
    await this.#write(
      'destroySecret',
      input.tenant,
      [input.path, nullable(input.purgeDueBy)],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    this.#versions.delete(`${input.tenant}\u0000${input.path}`);
  }

  // ── staged rotation ────────────────────────────────────────────────────────

  async stageVersion(input: StorageInput<'stageVersion'>): Promise<SecretRecord> {
    const { version, event } = input;
    const reply = await this.#write(
      'stageVersion',
      version.tenant,
      [version.path, String(input.expectedCurrentVersion), ...versionArgs(version)],
      event,
      outcomeLabel(event),
      { path: version.path },
    );
    return this.#secret(version.tenant, version.path, reply[0]);
  }

  async promoteVersion(input: StorageInput<'promoteVersion'>): Promise<SecretRecord> {
    const reply = await this.#write(
      'promoteVersion',
      input.tenant,
      [
        input.path,
        String(input.version),
        String(input.retirePreviousAt),
        String(input.now),
        input.by,
        ...rotationArgs(input.rotation),
      ],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    return this.#secret(input.tenant, input.path, reply[0]);
  }

  async discardPending(input: StorageInput<'discardPending'>): Promise<SecretRecord> {
    const reply = await this.#write(
      'discardPending',
      input.tenant,
      [input.path, String(input.version), String(input.now), ...rotationArgs(input.rotation)],
      input.event,
      outcomeLabel(input.event),
      { path: input.path },
    );
    return this.#secret(input.tenant, input.path, reply[0]);
  }

  // ── maintenance ────────────────────────────────────────────────────────────

  async acquireLease(input: StorageInput<'acquireLease'>): Promise<boolean> {
    const reply = (await this.#read('acquireLease', '', [
      input.name,
      input.owner,
      String(input.now),
      String(input.now + input.ttlMs),
    ])) as unknown as number;
    return reply === 1;
  }

  async releaseLease(input: StorageInput<'releaseLease'>): Promise<void> {
    await this.#read('releaseLease', '', [input.name, input.owner]);
  }

  async listDueRotations(query: StorageInput<'listDueRotations'>): Promise<SecretRecord[]> {
    return this.#secretsOf(await this.#read('listDueRotations', '', [String(query.now), String(query.limit)]));
  }

  async listExpiringSecrets(query: StorageInput<'listExpiringSecrets'>): Promise<SecretRecord[]> {
    const { after } = query;
    const reply = await this.#read('listExpiringSecrets', '', [
      String(query.from),
      String(query.until),
      nullable(after?.expiresAt),
      after ? `${after.tenant}\u0000${after.path}` : '',
      String(query.limit),
    ]);
    return this.#secretsOf(reply);
  }

  async listPurgeableSecrets(query: StorageInput<'listPurgeableSecrets'>): Promise<SecretRecord[]> {
    return this.#secretsOf(
      await this.#read('listPurgeableSecrets', '', [String(query.now), String(query.limit)]),
    );
  }

  async claimExpiryWarning(input: StorageInput<'claimExpiryWarning'>): Promise<boolean> {
    const claim = `${input.kind}\u0000${input.expiresAt}\u0000${input.path}`;
    const reply = await this.#write('claimExpiryWarning', input.tenant, [claim], input.event, outcomeLabel(input.event), {
      path: input.path,
    });
    return reply[0] === 1;
  }

  /**
   * Build the store-wide lifecycle indexes (due rotations, expiry, purge, approval deadlines) for
   * data written before they existed. Idempotent, safe while the vault runs, one script per batch.
   * Returns how many secrets and pending approval requests it indexed.
   */
  async reindexLifecycle(batch = 500): Promise<{ secrets: number; approvals: number }> {
    let secrets = 0;
    let after = '';
    do {
      const [done, last] = await this.#read('reindexSecrets', '', [after, String(batch)]);
      secrets += Number(done);
      after = text(last);
    } while (after !== '');
    let approvals = 0;
    let keys: string[];
    try {
      keys = await scanKeys(this.client, `${this.prefix}t:`, '*:aprs:pending');
    } catch (error) {
      throw redisError(error);
    }
    // Only keys of this prefix's layout: another vault's prefix may extend this one ('P' and 'P t:x:').
    const pending = /^t:([A-Za-z0-9._-]+):aprs:pending$/;
    for (const key of keys) {
      const tenant = pending.exec(key.slice(this.prefix.length))?.[1];
      if (tenant !== undefined) approvals += Number(await this.#read('reindexApprovals', tenant, []));
    }
    return { secrets, approvals };
  }

  async listWrappedKeys(query: StorageInput<'listWrappedKeys'>): Promise<Array<VersionKey & { wrappedKey: WrappedKey }>> {
    const { after } = query;
    const reply = await this.#read(
      'listWrappedKeys',
      '',
      [
        after ? `${after.tenant}\u0000${after.path}` : '',
        String(after?.version ?? 0),
        String(query.limit),
        query.notKeyId ?? '',
      ],
      { binary: true },
    );
    return (reply as Reply[][]).map(([tenant, path, version, keyId, wrapped]) => ({
      tenant: text(tenant),
      path: text(path),
      version: Number(version),
      wrappedKey: { keyId: text(keyId), ciphertext: new Uint8Array(wrapped as Buffer) },
    }));
  }

  async replaceWrappedKey(input: StorageInput<'replaceWrappedKey'>): Promise<boolean> {
    const reply = (await this.#read('replaceWrappedKey', input.tenant, [
      input.path,
      String(input.version),
      input.expected.keyId,
      Buffer.from(input.expected.ciphertext),
      input.next.keyId,
      Buffer.from(input.next.ciphertext),
    ])) as unknown as number;
    return reply === 1;
  }

  // ── audit ──────────────────────────────────────────────────────────────────

  async appendAudit(event: AuditEventInput): Promise<void> {
    await this.#write('appendAudit', event.tenant, [], event, outcomeLabel(event));
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const required: string[] = [];
    let anyOf: string[] = [];
    if (query.path !== undefined) required.push(`ev:p:${query.path}`);
    const noneOf: string[] = [];
    if (query.namespace === '') noneOf.push('ev:np');
    else if (query.namespace !== undefined) required.push(`ev:n:${query.namespace}`);
    if (query.actor !== undefined) required.push(`ev:a:${query.actor}`);
    if (query.types !== undefined) {
      if (query.types.length === 0) return [];
      if (query.types.length === 1) required.push(`ev:y:${query.types[0]}`);
      else anyOf = query.types.map((type) => `ev:y:${type}`);
    }
    if (query.success === false) required.push('ev:f');
    if (query.success === true) noneOf.push('ev:f');
    const pad = (ms: number) => String(Math.max(0, Math.trunc(ms))).padStart(16, '0');
    const since = query.since !== undefined ? `[${pad(query.since)}:` : '-';
    const until = query.until !== undefined ? `(${pad(query.until)}:` : '+';
    const after = query.after ? `(${auditMember(query.after.timestamp, query.after.id)}` : null;
    const desc = query.order === 'desc';
    const min = !desc && after ? higherBound(since, after) : since;
    const max = desc && after ? lowerBound(until, after) : until;
    const reply = await this.#read('queryAudit', query.tenant, [
      query.order,
      min,
      max,
      String(query.limit),
      String(required.length),
      ...required,
      String(anyOf.length),
      ...anyOf,
      String(noneOf.length),
      ...noneOf,
    ]);
    return reply.map((event) => decodeEvent(event));
  }

  async readAuditChain(query: StorageInput<'readAuditChain'>): Promise<AuditEvent[]> {
    const reply = await this.#read('readAuditChain', query.tenant, [
      String(query.chain),
      String(query.afterSeq),
      String(query.limit),
    ]);
    return reply.map((event) => decodeEvent(event));
  }

  async auditHeads(tenant: string): Promise<AuditChainHead[]> {
    const reply = (await this.#command('HGETALL', this.#key(tenant, 'heads'))) as Reply[];
    const heads: AuditChainHead[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const [seq, hash] = text(reply[i + 1]).split(':');
      heads.push({ chain: Number(text(reply[i])), seq: Number(seq), hash: hash! });
    }
    return heads;
  }

  // ── agent keys ─────────────────────────────────────────────────────────────

  async createAgentKey(input: StorageInput<'createAgentKey'>): Promise<void> {
    const { key, event } = input;
    await this.#write(
      'createAgentKey',
      key.tenant,
      [key.id, key.hash, String(key.createdAt), agentKeyRec(key), nullable(key.revokedAt)],
      event,
      outcomeLabel(event),
    );
  }

  async findAgentKey(hash: string): Promise<AgentKeyRecord | null> {
    const reply = await this.#read('findByHash', '', ['kh', 'key', hash]);
    return decodeAgentKey(reply[1]);
  }

  async listAgentKeys(tenant: string): Promise<AgentKeyRecord[]> {
    const reply = await this.#read('listAgentKeys', tenant, []);
    return reply.map((fields) => decodeAgentKey(fields)!);
  }

  async revokeAgentKey(input: StorageInput<'revokeAgentKey'>): Promise<AgentKeyRecord> {
    const reply = await this.#write(
      'revoke',
      input.tenant,
      ['key', input.id, String(input.now)],
      input.event,
      outcomeLabel(input.event),
    );
    return decodeAgentKey(reply[0])!;
  }

  // ── scoped tokens ──────────────────────────────────────────────────────────

  async createToken(input: StorageInput<'createToken'>): Promise<void> {
    await this.#write(
      'createToken',
      input.token.tenant,
      tokenArgs(input.token),
      input.event,
      outcomeLabel(input.event),
    );
  }

  async findToken(hash: string): Promise<TokenRecord | null> {
    const reply = await this.#read('findByHash', '', ['th', 'tok', hash]);
    return decodeToken(reply[1]);
  }

  async getToken(tenant: string, id: string): Promise<TokenRecord | null> {
    return decodeToken(await this.#command('HGETALL', this.#key(tenant, `tok:${id}`)));
  }

  async useToken(input: StorageInput<'useToken'>): Promise<{ outcome: TokenUseOutcome; token: TokenRecord | null }> {
    const reply = await this.#read('useToken', input.tenant, [input.id, String(input.now)]);
    const outcome = text(reply[0]) as TokenUseOutcome;
    return { outcome, token: outcome === 'ok' ? decodeToken(reply[1]) : null };
  }

  async revokeToken(input: StorageInput<'revokeToken'>): Promise<TokenRecord> {
    const reply = await this.#write(
      'revoke',
      input.tenant,
      ['tok', input.id, String(input.now)],
      input.event,
      outcomeLabel(input.event),
    );
    return decodeToken(reply[0])!;
  }

  async listTokens(query: StorageInput<'listTokens'>): Promise<TokenRecord[]> {
    const reply = await this.#read('listTokens', query.tenant, [
      query.parentId ?? '',
      nullable(query.activeAt),
      query.afterId ?? '',
      String(query.limit),
    ]);
    return reply.map((fields) => decodeToken(fields)!);
  }

  // ── approvals ──────────────────────────────────────────────────────────────

  async createApproval(input: StorageInput<'createApproval'>): Promise<void> {
    const { approval, event } = input;
    const fields = approvalFields(approval);
    await this.#write(
      'createApproval',
      approval.tenant,
      [approval.id, approval.status, String(fields.length / 2), ...fields, '0'],
      event,
      outcomeLabel(event),
    );
  }

  async getApproval(tenant: string, id: string): Promise<ApprovalRecord | null> {
    return decodeApproval(await this.#command('HGETALL', this.#key(tenant, `apr:${id}`)));
  }

  async decideApproval(input: StorageInput<'decideApproval'>): Promise<ApprovalRecord> {
    const { decision } = input;
    const reply = await this.#write(
      'decideApproval',
      input.tenant,
      [input.id, decision.by, JSON.stringify(decision), decision.decision, String(input.now)],
      input.event,
      outcomeLabel(input.event),
    );
    return decodeApproval(reply[0])!;
  }

  async claimApproval(input: StorageInput<'claimApproval'>): Promise<ApprovalRecord> {
    const reply = await this.#write(
      'claimApproval',
      input.tenant,
      [input.id, String(input.now), ...tokenArgs(input.token)],
      input.event,
      outcomeLabel(input.event),
    );
    return decodeApproval(reply[0])!;
  }

  async expireApproval(input: StorageInput<'expireApproval'>): Promise<ApprovalRecord> {
    const reply = await this.#write(
      'expireApproval',
      input.tenant,
      [input.id, String(input.now)],
      input.event,
      outcomeLabel(input.event),
    );
    return decodeApproval(reply[0])!;
  }

  async listExpiredApprovals(query: StorageInput<'listExpiredApprovals'>): Promise<ApprovalRecord[]> {
    const reply = await this.#read('listExpiredApprovals', '', [String(query.now), String(query.limit)]);
    return reply.map((fields) => decodeApproval(fields)!);
  }

  async listApprovals(query: StorageInput<'listApprovals'>): Promise<ApprovalRecord[]> {
    const reply = await this.#read('listApprovals', query.tenant, [
      query.status ?? '',
      query.afterId ?? '',
      String(query.limit),
    ]);
    return reply.map((fields) => decodeApproval(fields)!);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.client.quit().catch(() => undefined);
  }

  /** Direct access to the stored keys, bypassing every rule: for the conformance suite only. */
  backdoor(): StorageBackdoor {
    return redisBackdoor(this.client, this.prefix);
  }
}
