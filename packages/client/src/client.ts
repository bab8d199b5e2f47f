/**
 * `AgentVault`: the Agent Secret Store JS SDK's client, pointed at an AgentVault server. Same
 * constructor options and methods (getSecret, setSecret, listSecrets, requestToken, rotateSecret,
 * deleteSecret, waitForApproval), plus the vault's extensions. Results are the vault's own types.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Approval,
  AuditPage,
  ImportResult,
  Page,
  RotateResult,
  Secret,
  SecretMetadata,
  SecretType,
  SecretVersion,
  Tier,
  TokenInfo,
} from '@agentvault/core';
import {
  AgentVaultApprovalPendingError,
  AgentVaultConflictError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
} from '@agentvault/core/errors';
import { knownOptions, tagQuery } from './options';
import { type CallOptions, createTransport, type Transport } from './transport';
import {
  type IssuedToken,
  type RequestedToken,
  type SecretPage,
  toApproval,
  toApprovalPage,
  toAuditPage,
  toImportResult,
  toMetadata,
  toRotateResult,
  toSecret,
  toSecretList,
  toToken,
  toTokenInfo,
  toVersions,
} from './wire';

export interface AgentVaultOptions {
  /** An agent key (`ass_live_…`) or a scoped token (`ast_tok_…`). Default `process.env.ASS_AGENT_KEY`. */
  agentKey?: string;
  /** The API root, mount point included. Default `process.env.AGENTVAULT_URL` or `http://127.0.0.1:8787/v1`. */
  baseUrl?: string;
  /** Per attempt. Default 10,000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx and network errors. Default 3. */
  retries?: number;
  /** First backoff in ms, doubled per retry (a `Retry-After` wins). Default 500. */
  retryDelay?: number;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787/v1';

type Instant = Date | string | number;

export interface SecretFields {
  type?: SecretType;
  tier?: Tier;
  description?: string | null;
  tags?: Record<string, string>;
  expiresAt?: Instant | null;
  expiresInDays?: number;
  /** This secret's version history retention; null = the server's policy. */
  versionRetention?: { days?: number | null; versions?: number | null } | null;
}

export interface SetSecretOptions extends SecretFields, CallOptions {
  /** Check-and-set: 409 unless this is still the current version (the secret must exist). */
  expectedVersion?: number;
}

export interface GetSecretOptions extends CallOptions {
  version?: number | string;
}

export interface ListSecretsOptions extends CallOptions {
  limit?: number;
  cursor?: string | null;
  tier?: Tier | Tier[];
  type?: SecretType | SecretType[];
  /** Only secrets carrying every one of these tags (sent as repeated `tag=key:value`). */
  tags?: Record<string, string>;
  trashed?: boolean;
}

export interface TokenOptions extends CallOptions {
  scope: string;
  ttlSeconds?: number;
  description?: string | null;
  allowedIps?: string[] | null;
  maxUses?: number | null;
  waiveApproval?: boolean;
}

export interface WaitForApprovalOptions extends CallOptions {
  /** Give up with AgentVaultApprovalPendingError after this long. Default 300,000 (5 min). */
  timeoutMs?: number;
  /** First wait between looks; grows 1.5× per look up to `maxPollIntervalMs`. Default 1,000. */
  pollIntervalMs?: number;
  /** Default 10,000. */
  maxPollIntervalMs?: number;
}

export interface AuditQuery extends CallOptions {
  namespace?: string;
  path?: string;
  actor?: string;
  type?: string | string[];
  since?: Instant;
  until?: Instant;
  success?: boolean;
  order?: 'asc' | 'desc';
  cursor?: string | null;
  limit?: number;
}

export interface ImportEnvOptions extends CallOptions {
  namespace?: string;
  tier?: Tier;
  tierByPrefix?: Record<string, Tier>;
  type?: SecretType;
  dryRun?: boolean;
  overwrite?: boolean;
}

const iso = (value: Instant | null | undefined) =>
  value === undefined ? undefined : value === null ? null : new Date(value).toISOString();
const enc = (segment: string | number) => encodeURIComponent(String(segment));

const SECRET_FIELDS = ['type', 'tier', 'description', 'tags', 'expiresAt', 'expiresInDays', 'versionRetention'] as const;

function secretBody(fields: SecretFields) {
  return {
    type: fields.type,
    tier: fields.tier,
    description: fields.description,
    tags: fields.tags,
    expires_at: iso(fields.expiresAt),
    expires_in_days: fields.expiresInDays,
    version_retention: fields.versionRetention,
  };
}

function call(options: CallOptions = {}): CallOptions {
  return { token: options.token, signal: options.signal };
}

export class AgentVault {
  readonly baseUrl: string;
  readonly #http: Transport;

  constructor(options: AgentVaultOptions = {}) {
    knownOptions('new AgentVault', options, ['agentKey', 'baseUrl', 'timeoutMs', 'retries', 'retryDelay']);
    const env = typeof process === 'undefined' ? {} : process.env;
    this.baseUrl = options.baseUrl ?? env.AGENTVAULT_URL ?? DEFAULT_BASE_URL;
    this.#http = createTransport({
      baseUrl: this.baseUrl,
      credential: options.agentKey ?? env.ASS_AGENT_KEY,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 3,
      retryDelay: options.retryDelay ?? 500,
      userAgent: 'agentvault-client/0.1.0',
    });
  }

  // ── Secrets ───────────────────────────────────────────────────────────────

  async getSecret(path: string, options: GetSecretOptions = {}): Promise<Secret> {
    knownOptions('getSecret', options, ['version']);
    const { body } = await this.#http.send(
      { method: 'GET', path: `/secrets/${enc(path)}`, query: { version: options.version } },
      call(options),
    );
    return toSecret(body as object);
  }

  /** Create the secret, or append a version if it exists (PUT, then POST if missing). */
  async setSecret(path: string, value: string, options: SetSecretOptions = {}): Promise<SecretMetadata> {
    knownOptions('setSecret', options, [...SECRET_FIELDS, 'expectedVersion']);
    const update = () => this.updateSecret(path, { ...options, value }, call(options));
    if (options.expectedVersion !== undefined) return update();
    try {
      return await update();
    } catch (error) {
      if (!(error instanceof AgentVaultNotFoundError)) throw error;
    }
    try {
      const { expectedVersion: _none, token: _token, signal: _signal, ...fields } = options;
      return await this.createSecret({ ...fields, path, value }, call(options));
    } catch (error) {
      // Created by someone else in between: update it after all.
      if (error instanceof AgentVaultConflictError) return update();
      throw error;
    }
  }

  async createSecret(
    input: SecretFields & { path: string; value: string },
    options: CallOptions = {},
  ): Promise<SecretMetadata> {
    knownOptions('createSecret', input, ['path', 'value', ...SECRET_FIELDS]);
    knownOptions('createSecret', options, []);
    const { body } = await this.#http.send(
      {
        method: 'POST',
        path: '/secrets',
        body: { path: input.path, value: input.value, ...secretBody(input) },
      },
      call(options),
    );
    return toMetadata(body as object);
  }

  /** A new value appends a version; metadata alone does not. */
  async updateSecret(
    path: string,
    input: SecretFields & { value?: string; expectedVersion?: number },
    options: CallOptions = {},
  ): Promise<SecretMetadata> {
    knownOptions('updateSecret', input, ['value', ...SECRET_FIELDS, 'expectedVersion']);
    knownOptions('updateSecret', options, []);
    const { body } = await this.#http.send(
      {
        method: 'PUT',
        path: `/secrets/${enc(path)}`,
        body: { value: input.value, ...secretBody(input), expected_version: input.expectedVersion },
      },
      call(options),
    );
    return toMetadata(body as object);
  }

  /** A page of metadata; `nextCursor` is absent on the last page (the seed SDK's `nextCursor?: string`). */
  async listSecrets(namespace = '', options: ListSecretsOptions = {}): Promise<SecretPage> {
    knownOptions('listSecrets', options, ['limit', 'cursor', 'tier', 'type', 'tags', 'trashed']);
    const tag = tagQuery(options.tags);
    const { body } = await this.#http.send(
      {
        method: 'GET',
        path: '/secrets',
        query: {
          namespace: namespace || undefined,
          limit: options.limit,
          cursor: options.cursor,
          tier: options.tier,
          type: options.type,
          tag,
          trashed: options.trashed,
        },
      },
      call(options),
    );
    return toSecretList(body as object);
  }

  async listVersions(path: string, options: CallOptions = {}): Promise<SecretVersion[]> {
    knownOptions('listVersions', options, []);
    const { body } = await this.#http.send(
      { method: 'GET', path: `/secrets/${enc(path)}/versions` },
      call(options),
    );
    return toVersions(body as object);
  }

  async rollbackSecret(
    path: string,
    version: number | string,
    options: CallOptions & { expectedVersion?: number } = {},
  ): Promise<SecretMetadata> {
    knownOptions('rollbackSecret', options, ['expectedVersion']);
    const { body } = await this.#http.send(
      {
        method: 'POST',
        path: `/secrets/${enc(path)}/rollback`,
        body: { version, expected_version: options.expectedVersion },
      },
      call(options),
    );
    return toMetadata(body as object);
  }

  async rotateSecret(
    path: string,
    newValue: string,
    options: CallOptions & { gracePeriodSeconds?: number; expectedVersion?: number } = {},
  ): Promise<RotateResult> {
    knownOptions('rotateSecret', options, ['gracePeriodSeconds', 'expectedVersion']);
    const { body } = await this.#http.send(
      {
        method: 'POST',
        path: `/secrets/${enc(path)}/rotate`,
        body: {
          new_value: newValue,
          grace_period_seconds: options.gracePeriodSeconds,
          expected_version: options.expectedVersion,
        },
      },
      call(options),
    );
    return toRotateResult(body as object);
  }

  /** Move to the trash (restorable), or with `permanent` destroy every version. */
  async deleteSecret(path: string, options: CallOptions & { permanent?: boolean } = {}): Promise<void> {
    knownOptions('deleteSecret', options, ['permanent']);
    await this.#http.send(
      {
        method: 'DELETE',
        path: `/secrets/${enc(path)}`,
        query: { permanent: options.permanent || undefined },
      },
      call(options),
    );
  }

  async restoreSecret(path: string, options: CallOptions = {}): Promise<SecretMetadata> {
    knownOptions('restoreSecret', options, []);
    const { body } = await this.#http.send(
      { method: 'POST', path: `/secrets/${enc(path)}/restore` },
      call(options),
    );
    return toMetadata(body as object);
  }

  async importEnv(text: string, options: ImportEnvOptions = {}): Promise<ImportResult> {
    knownOptions('importEnv', options, ['namespace', 'tier', 'tierByPrefix', 'type', 'dryRun', 'overwrite']);
    const { body } = await this.#http.send(
      {
        method: 'POST',
        path: '/import',
        body: {
          env: text,
          namespace: options.namespace,
          tier: options.tier,
          tier_by_prefix: options.tierByPrefix,
          type: options.type,
          dry_run: options.dryRun,
          overwrite: options.overwrite,
        },
      },
      call(options),
    );
    return toImportResult(body as object);
  }

  // ── Tokens and approvals ──────────────────────────────────────────────────

  /** Issue a scoped token, or (`approvalStatus: 'pending'`) open an approval request. */
  async requestToken(options: TokenOptions): Promise<RequestedToken> {
    knownOptions('requestToken', options, ['scope', 'ttlSeconds', 'description', 'allowedIps', 'maxUses', 'waiveApproval']);
    const { body } = await this.#http.send(
      {
        method: 'POST',
        path: '/tokens',
        body: {
          scope: options.scope,
          ttl_seconds: options.ttlSeconds,
          description: options.description,
          allowed_ips: options.allowedIps,
          max_uses: options.maxUses,
          waive_approval: options.waiveApproval,
        },
      },
      call(options),
    );
    const token = toToken(body as object);
    // A server without a configured public URL answers a path (`/v1/approvals/…`): resolve it
    // against the server this client talks to.
    if (token.approveUrl && URL.canParse(token.approveUrl, this.baseUrl))
      token.approveUrl = new URL(token.approveUrl, this.baseUrl).href;
    return token;
  }

  async revokeToken(id: string, options: CallOptions = {}): Promise<TokenInfo> {
    knownOptions('revokeToken', options, []);
    const { body } = await this.#http.send({ method: 'DELETE', path: `/tokens/${enc(id)}` }, call(options));
    return toTokenInfo(body as object);
  }

  /** The requester's first look after approval carries the minted token (once). */
  async getApproval(id: string, options: CallOptions = {}): Promise<Approval> {
    knownOptions('getApproval', options, []);
    const { body } = await this.#http.send({ method: 'GET', path: `/approvals/${enc(id)}` }, call(options));
    return toApproval(body as object);
  }

  async approve(
    id: string,
    input: { comment?: string | null } = {},
    options: CallOptions = {},
  ): Promise<Approval> {
    knownOptions('approve', input, ['comment']);
    knownOptions('approve', options, []);
    const { body } = await this.#http.send(
      { method: 'POST', path: `/approvals/${enc(id)}/approve`, body: { comment: input.comment } },
      call(options),
    );
    return toApproval(body as object);
  }

  async deny(
    id: string,
    input: { reason?: string | null } = {},
    options: CallOptions = {},
  ): Promise<Approval> {
    knownOptions('deny', input, ['reason']);
    knownOptions('deny', options, []);
    const { body } = await this.#http.send(
      { method: 'POST', path: `/approvals/${enc(id)}/deny`, body: { reason: input.reason } },
      call(options),
    );
    return toApproval(body as object);
  }

  async listApprovals(
    options: CallOptions & { status?: Approval['status']; limit?: number; cursor?: string | null } = {},
  ): Promise<Page<Approval>> {
    knownOptions('listApprovals', options, ['status', 'limit', 'cursor']);
    const { body } = await this.#http.send(
      {
        method: 'GET',
        path: '/approvals',
        query: { status: options.status, limit: options.limit, cursor: options.cursor },
      },
      call(options),
    );
    return toApprovalPage(body as object);
  }

  /**
   * Poll the request until it is decided and return the token (requester only), backing off
   * between looks. Denied → AgentVaultPermissionError; expired → AgentVaultGoneError; still
   * pending at the deadline → AgentVaultApprovalPendingError; aborted → the signal's reason.
   */
  async waitForApproval(id: string, options: WaitForApprovalOptions = {}): Promise<IssuedToken> {
    knownOptions('waitForApproval', options, ['timeoutMs', 'pollIntervalMs', 'maxPollIntervalMs']);
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    const maxInterval = options.maxPollIntervalMs ?? 10_000;
    let interval = options.pollIntervalMs ?? 1000;
    for (;;) {
      const approval = await this.getApproval(id, call(options));
      // The token of a claimed approval is an issued one (id, value, expiry and tier set).
      if (approval.token) return approval.token as IssuedToken;
      if (approval.status === 'denied')
        throw new AgentVaultPermissionError(`Approval request ${id} was denied`);
      if (approval.status === 'expired')
        throw new AgentVaultGoneError(`Approval request ${id} expired undecided`);
      if (approval.status === 'approved')
        throw new AgentVaultConflictError(`The token of approval request ${id} was already collected`);
      const left = deadline - Date.now();
      if (left <= 0) throw new AgentVaultApprovalPendingError(`Approval request ${id} is still pending`, id);
      try {
        await sleep(
          Math.min(interval, left),
          undefined,
          options.signal ? { signal: options.signal } : undefined,
        );
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        throw error;
      }
      interval = Math.min(maxInterval, interval * 1.5);
    }
  }

  // ── Audit ─────────────────────────────────────────────────────────────────

  async queryAudit(query: AuditQuery = {}): Promise<AuditPage> {
    knownOptions('queryAudit', query, [
      'namespace', 'path', 'actor', 'type', 'since', 'until', 'success', 'order', 'cursor', 'limit',
    ]);
    const { body } = await this.#http.send(
      {
        method: 'GET',
        path: '/audit',
        query: {
          namespace: query.namespace,
          path: query.path,
          actor: query.actor,
          type: query.type,
          since: iso(query.since),
          until: iso(query.until),
          success: query.success,
          order: query.order,
          cursor: query.cursor,
          limit: query.limit,
        },
      },
      call(query),
    );
    return toAuditPage(body as object);
  }
}
