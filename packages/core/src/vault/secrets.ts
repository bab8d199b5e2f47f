/** The secret operations: create, read, update, rotate, roll back, list, delete, restore, import. */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AuditDetails, AuditEventType, SecretRecord, VersionRetention } from '../contracts/records';
import type { ReadOutcome, SecretPatch } from '../contracts/storage';
import { type Tier, tiersUpTo } from '../domain/classification';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { parseEnvFile } from '../domain/env-file';
import { pathProblem } from '../domain/paths';
import type { SecretAction } from '../domain/scopes';
import {
  AgentVaultConflictError,
  type AgentVaultError,
  AgentVaultGoneError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
  type ValidationIssue,
} from '../errors';
import { parseInput, parsePath, versionField } from '../schemas/fields';
import {
  type CallOptions,
  callSchema,
  deleteOptionsSchema,
  getSecretOptionsSchema,
  importEnvOptionsSchema,
  listSecretsOptionsSchema,
  rollbackOptionsSchema,
  rotateOptionsSchema,
  type secretSchemas,
} from '../schemas/secrets';
import {
  alreadyAudited,
  appendEvent,
  auditablePath,
  draftEvent,
  type OperationFacts,
  operation,
  successEvent,
} from './auditing';
import {
  authorizeList,
  authorizeSecret,
  authorizeTier,
  type CallContext,
  type CallFields,
  consumeUse,
  tierLimit,
  tokenRefusal,
} from './authorization';
import type { Runtime } from './runtime';
import { openVersion, sealVersion } from './sealing';
import { changeSecret, destroySecret, listVersionInfo, readSecretRecord, rollbackSecret as rollbackStored } from './secret-store';
import { restore, trash, updateMetadata } from '../domain/secret-rules';
import {
  type RotateResult,
  type Secret,
  type SecretList,
  type SecretMetadata,
  type SecretVersion,
  toMetadata,
  toSecret,
  toVersionView,
} from './views';

type SecretSchemas = ReturnType<typeof secretSchemas>;
export type CreateSecretInput = z.input<SecretSchemas['create']>;
export type SetSecretOptions = z.input<SecretSchemas['set']>;
export type UpdateSecretInput = z.input<SecretSchemas['update']>;
export type GetSecretOptions = z.input<typeof getSecretOptionsSchema>;
export type ListSecretsOptions = z.input<typeof listSecretsOptionsSchema>;
export type RotateSecretOptions = z.input<typeof rotateOptionsSchema>;
export type RollbackSecretOptions = z.input<typeof rollbackOptionsSchema>;
export type DeleteSecretOptions = z.input<typeof deleteOptionsSchema>;
export type ImportEnvOptions = z.input<typeof importEnvOptionsSchema>;

export interface ImportedSecret {
  path: string;
  tier: Tier;
  /** Line of the .env text the entry starts on. */
  line: number;
}

export type ImportOutcome = 'created' | 'updated' | 'skipped';

/**
 * The result of an import. Every tier is the STORED one: a skipped entry reports the tier of the
 * secret already there, never the tier the import asked for (with `dryRun`, the tier it would store).
 */
export interface ImportResult {
  created: ImportedSecret[];
  updated: ImportedSecret[];
  /** Existing paths left alone (without `overwrite`), and trashed paths (always). */
  skipped: Array<ImportedSecret & { reason: 'exists' | 'trashed' }>;
  dryRun: boolean;
  /** How many entries were created, updated and skipped. */
  counts: Record<ImportOutcome, number>;
  /** The secrets imported (created or updated; with `dryRun`, that would be) in file order, with the outcome. */
  secrets: Array<ImportedSecret & { outcome: Exclude<ImportOutcome, 'skipped'> }>;
}

/** A writer that loses a check-and-set race it did not ask for retries for this long. */
const WRITE_RETRY_BUDGET_MS = 15_000;
const DAY_MS = 86_400_000;

const listCursor = z.object({ ns: z.string(), after: z.string() });

interface MetadataInput {
  rotation?: { everySeconds: number; gracePeriodSeconds: number } | null | undefined;
  type?: SecretRecord['type'] | undefined;
  tier?: Tier | undefined;
  description?: string | null | undefined;
  tags?: Record<string, string> | undefined;
  expiresAt?: number | null | undefined;
  expiresInDays?: number | undefined;
  versionRetention?: VersionRetention | null | undefined;
}

function patchFrom(input: MetadataInput, now: number): SecretPatch {
  const patch: SecretPatch = {};
  if (input.type !== undefined) patch.type = input.type;
  if (input.tier !== undefined) patch.tier = input.tier;
  if (input.description !== undefined) patch.description = input.description;
  if (input.tags !== undefined) patch.tags = input.tags;
  if (input.expiresAt !== undefined) patch.expiresAt = input.expiresAt;
  if (input.expiresInDays !== undefined) patch.expiresAt = now + input.expiresInDays * DAY_MS;
  if (input.rotation !== undefined) {
    patch.rotation = input.rotation && { ...input.rotation, nextAt: now + input.rotation.everySeconds * 1000, failures: 0 };
  }
  if (input.versionRetention !== undefined) patch.versionRetention = input.versionRetention;
  return patch;
}

function notFound(path: string): AgentVaultNotFoundError {
  return new AgentVaultNotFoundError(`Secret not found: '${path}'`, { path });
}

function readRefusal(
  outcome: Exclude<ReadOutcome, 'ok'>,
  path: string,
  version: number | null,
  call: CallContext,
): AgentVaultError {
  switch (outcome) {
    case 'token_revoked':
    case 'token_expired':
    case 'token_exhausted':
      return tokenRefusal(outcome);
    case 'not_found':
      return version === null
        ? notFound(path)
        : new AgentVaultNotFoundError(`Secret '${path}' has no version ${version}`, { path });
    case 'tier_exceeded':
      return new AgentVaultPermissionError(
        `Token is approved for ${tierLimit(call)} secrets; '${path}' needs a higher tier. Request a new token.`,
        { path, requiredScope: `secrets:read:${path}` },
      );
    case 'expired':
      return new AgentVaultGoneError(`Secret '${path}' has expired`, { path });
    case 'retired':
      return new AgentVaultGoneError(
        `Version ${version} of '${path}' was rotated out and its grace period has ended`,
        { path },
      );
  }
}

async function pause(attempt: number): Promise<void> {
  if (attempt === 0) return nextTurn();
  await sleep(Math.random() * Math.min(50, 2 ** attempt));
}

export function secretOperations(rt: Runtime) {
  const { storage, schemas } = rt;

  function run<S extends z.ZodType<CallFields>, T>(
    type: AuditEventType,
    rawPath: unknown,
    schema: S,
    options: unknown,
    body: (call: CallContext, options: z.output<S>, facts: OperationFacts) => Promise<T>,
  ) {
    return operation(rt, { type, path: auditablePath(rawPath) }, schema, options, body);
  }

  async function liveSecret(call: CallContext, path: string): Promise<SecretRecord> {
    const record = (await readSecretRecord(rt, call.tenant, path))?.record;
    if (!record || record.trashedAt !== null) throw notFound(path);
    return record;
  }

  /** For tokens, check the stored secret's tier before acting on it. */
  async function authorizeExistingTier(call: CallContext, action: SecretAction, path: string): Promise<void> {
    if (tierLimit(call) === null) return;
    authorizeTier(call, action, path, (await liveSecret(call, path)).tier);
  }

  async function createWith(
    call: CallContext,
    path: string,
    value: string,
    input: MetadataInput,
  ): Promise<SecretRecord> {
    const tier = input.tier ?? 'standard';
    authorizeTier(call, 'write', path, tier);
    const now = rt.clock.now();
    const patch = patchFrom(input, now);
    const secret: SecretRecord = {
      tenant: call.tenant,
      path,
      type: input.type ?? 'custom',
      tier,
      description: input.description ?? null,
      tags: input.tags ?? {},
      currentVersion: 1,
      latestVersion: 1,
      createdAt: now,
      createdBy: call.actor,
      updatedAt: now,
      updatedBy: call.actor,
      accessedAt: null,
      expiresAt: patch.expiresAt ?? null,
      trashedAt: null,
      purgeAt: null,
      rotation: patch.rotation ?? null,
      pendingVersion: null,
      // Written only when given, so records of secrets without their own policy keep their shape.
      ...(patch.versionRetention ? { versionRetention: patch.versionRetention } : {}),
    };
    const version = await sealVersion(rt, call, path, 1, value, now);
    const event = successEvent(rt, call, 'secret.create', path, 1, { tier: secret.tier, type: secret.type });
    return (await storage.writeVersion({
      mode: 'create',
      secret,
      version,
      expectedCurrentVersion: 0,
      patch: {},
      retirePreviousAt: null,
      event,
    })).record;
  }

  /**
   * Append a version. Without `expectedVersion`, a lost check-and-set is retried with the next
   * number, so concurrent writers each get their own version; with it, a change is a conflict.
   */
  async function appendWith(
    call: CallContext,
    path: string,
    value: string,
    options: {
      action: SecretAction;
      type: AuditEventType;
      patch: SecretPatch;
      expectedVersion: number | undefined;
      /** Rotation: how long the replaced version stays readable. */
      retireAfterMs: number | null;
      details: AuditDetails;
    },
  ): Promise<{ before: SecretRecord; after: SecretRecord; at: number }> {
    return rt.writes.run(`${call.tenant}\u0000${path}`, () => appendOnce(call, path, value, options));
  }

  async function appendOnce(
    call: CallContext,
    path: string,
    value: string,
    options: Parameters<typeof appendWith>[3],
  ): Promise<{ before: SecretRecord; after: SecretRecord; at: number }> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const before = await liveSecret(call, path);
      if (options.expectedVersion !== undefined && before.currentVersion !== options.expectedVersion) {
        throw new AgentVaultConflictError(
          `Secret '${path}' is at version ${before.currentVersion}, not the expected ${options.expectedVersion}`,
        );
      }
      authorizeTier(call, options.action, path, before.tier);
      if (options.patch.tier) authorizeTier(call, options.action, path, options.patch.tier);
      const now = rt.clock.now();
      const version = await sealVersion(rt, call, path, before.latestVersion + 1, value, now);
      try {
        const { record: after } = await storage.writeVersion({
          mode: 'append',
          version,
          expectedCurrentVersion: before.currentVersion,
          patch: options.patch,
          retirePreviousAt: options.retireAfterMs === null ? null : now + options.retireAfterMs,
          event: successEvent(rt, call, options.type, path, version.version, options.details),
        });
        return { before, after, at: now };
      } catch (error) {
        if (
          !(error instanceof AgentVaultConflictError)
          || performance.now() - started > WRITE_RETRY_BUDGET_MS
        )
          throw error;
        await pause(attempt);
      }
    }
  }

  function createSecret(input: CreateSecretInput, options?: CallOptions): Promise<SecretMetadata> {
    return run(
      'secret.create',
      (input as { path?: unknown } | undefined)?.path,
      callSchema,
      options,
      async (call) => {
        const data = parseInput(schemas.create, input, 'secret');
        authorizeSecret(call, 'write', data.path);
        await consumeUse(rt, call);
        return toMetadata(await createWith(call, data.path, data.value, data));
      },
    );
  }

  /** Create the secret, or append a version if it exists. */
  function setSecret(path: string, value: string, options?: SetSecretOptions): Promise<SecretMetadata> {
    return run('secret.update', path, schemas.set, options, async (call, opts, facts) => {
      const p = parsePath(path);
      const v = parseInput(schemas.value, value, 'value');
      authorizeSecret(call, 'write', p);
      await consumeUse(rt, call);
      const existing = (await readSecretRecord(rt, call.tenant, p))?.record ?? null;
      if (existing?.trashedAt != null) {
        throw new AgentVaultConflictError(`Secret '${p}' is in the trash; restore or purge it first`);
      }
      if (!existing && opts.expectedVersion === undefined) {
        facts.type = 'secret.create';
        try {
          return toMetadata(await createWith(call, p, v, opts));
        } catch (error) {
          if (!(error instanceof AgentVaultConflictError)) throw error;
          facts.type = 'secret.update'; // created concurrently: update it instead
        }
      }
      const { after } = await appendWith(call, p, v, {
        action: 'write',
        type: 'secret.update',
        patch: patchFrom(opts, rt.clock.now()),
        expectedVersion: opts.expectedVersion,
        retireAfterMs: null,
        details: {},
      });
      return toMetadata(after);
    });
  }

  /** Change the value (a new version) and/or metadata (no new version). */
  function updateSecret(
    path: string,
    input: UpdateSecretInput,
    options?: CallOptions,
  ): Promise<SecretMetadata> {
    return run('secret.update', path, callSchema, options, async (call) => {
      const p = parsePath(path);
      const data = parseInput(schemas.update, input, 'update');
      authorizeSecret(call, 'write', p);
      await consumeUse(rt, call);
      const now = rt.clock.now();
      const patch = patchFrom(data, now);
      if (data.value !== undefined) {
        const { after } = await appendWith(call, p, data.value, {
          action: 'write',
          type: 'secret.update',
          patch,
          expectedVersion: data.expectedVersion,
          retireAfterMs: null,
          details: {},
        });
        return toMetadata(after);
      }
      await authorizeExistingTier(call, 'write', p);
      if (patch.tier) authorizeTier(call, 'write', p, patch.tier);
      const after = await changeSecret(
        rt,
        call.tenant,
        p,
        (secret) =>
          updateMetadata(secret, p, { expectedCurrentVersion: data.expectedVersion ?? null, patch, now, by: call.actor }),
        successEvent(rt, call, 'secret.update', p, null, { metadataOnly: true }),
      );
      return toMetadata(after);
    });
  }

  function getSecret(path: string, options?: GetSecretOptions): Promise<Secret> {
    return run('secret.read', path, getSecretOptionsSchema, options, async (call, opts) => {
      const p = parsePath(path);
      authorizeSecret(call, 'read', p);
      const version = opts.version ?? null;
      const result = await storage.readSecret({
        tenant: call.tenant,
        path: p,
        version,
        now: rt.clock.now(),
        maxTier: tierLimit(call),
        token: call.principal.kind === 'token' ? { id: call.principal.id } : null,
        event: draftEvent(rt, call, 'secret.read', p),
      });
      if (result.outcome !== 'ok') throw alreadyAudited(readRefusal(result.outcome, p, version, call));
      const opened = openVersion(rt, result.version);
      const value = typeof opened === 'string' ? opened : await opened;
      return toSecret(result.secret, result.version.version, value);
    });
  }

  function listSecrets(namespace = '', options?: ListSecretsOptions): Promise<SecretList> {
    return run('secret.list', namespace, listSecretsOptionsSchema, options, async (call, opts, facts) => {
      const ns = parseInput(schemas.namespace, namespace, 'namespace');
      authorizeList(call, ns);
      const cursor = opts.cursor ? decodeCursor(opts.cursor, listCursor) : null;
      if (cursor && cursor.ns !== ns) {
        throw new AgentVaultValidationError('Invalid cursor', [
          { path: ['cursor'], message: 'cursor belongs to another namespace' },
        ]);
      }
      const limit = tierLimit(call);
      const tiers =
        limit === null
          ? opts.tier
          : (opts.tier ?? tiersUpTo(limit)).filter((t) => tiersUpTo(limit).includes(t));
      await consumeUse(rt, call);
      const page = await storage.listSecrets({
        tenant: call.tenant,
        namespace: ns,
        afterPath: cursor?.after ?? null,
        limit: opts.limit + 1,
        ...(tiers ? { tiers } : {}),
        ...(opts.type ? { types: opts.type } : {}),
        ...(opts.tags ? { tags: opts.tags } : {}),
        trashed: opts.trashed,
      });
      const items = page.items.slice(0, opts.limit);
      const last = items.at(-1);
      const nextCursor =
        page.items.length > opts.limit && last ? encodeCursor({ ns, after: last.path }) : null;
      facts.path = ns || null;
      await appendEvent(
        rt,
        successEvent(rt, call, 'secret.list', ns || null, null, {
          namespace: ns,
          count: items.length,
          trashed: opts.trashed,
        }),
      );
      return { items: items.map(toMetadata), nextCursor, total: page.total };
    });
  }

  function listVersions(path: string, options?: CallOptions): Promise<SecretVersion[]> {
    return run('secret.versions', path, callSchema, options, async (call) => {
      const p = parsePath(path);
      authorizeSecret(call, 'read', p);
      await consumeUse(rt, call);
      const record = await liveSecret(call, p);
      authorizeTier(call, 'read', p, record.tier);
      const versions = await listVersionInfo(rt, record);
      await appendEvent(
        rt,
        successEvent(rt, call, 'secret.versions', p, record.currentVersion, { count: versions.length }),
      );
      return versions.map((info) => toVersionView(info, record.currentVersion));
    });
  }

  function rollbackSecret(
    path: string,
    version: number | string,
    options?: RollbackSecretOptions,
  ): Promise<SecretMetadata> {
    return run('secret.rollback', path, rollbackOptionsSchema, options, async (call, opts) => {
      const p = parsePath(path);
      const toVersion = parseInput(versionField, version, 'version');
      authorizeSecret(call, 'write', p);
      await consumeUse(rt, call);
      await authorizeExistingTier(call, 'write', p);
      const now = rt.clock.now();
      const after = await rollbackStored(
        rt,
        call.tenant,
        p,
        { toVersion, expectedCurrentVersion: opts.expectedVersion ?? null, now, by: call.actor },
        successEvent(rt, call, 'secret.rollback', p, toVersion),
      );
      return toMetadata(after);
    });
  }

  function rotateSecret(
    path: string,
    newValue: string,
    options?: RotateSecretOptions,
  ): Promise<RotateResult> {
    return run('secret.rotate', path, rotateOptionsSchema, options, async (call, opts) => {
      const p = parsePath(path);
      const v = parseInput(schemas.value, newValue, 'value');
      authorizeSecret(call, 'rotate', p);
      await consumeUse(rt, call);
      const graceMs = opts.gracePeriodSeconds * 1000;
      const { before, after, at } = await appendWith(call, p, v, {
        action: 'rotate',
        type: 'secret.rotate',
        patch: {},
        expectedVersion: opts.expectedVersion,
        retireAfterMs: graceMs,
        details: { gracePeriodSeconds: opts.gracePeriodSeconds },
      });
      return {
        path: p,
        newVersion: after.currentVersion,
        oldVersion: before.currentVersion,
        expiresAt: new Date(at + graceMs),
      };
    });
  }

  /** Move to the trash (restorable), or with `permanent` destroy every version's ciphertext and key. */
  function deleteSecret(path: string, options?: DeleteSecretOptions): Promise<void> {
    return run('secret.delete', path, deleteOptionsSchema, options, async (call, opts) => {
      const p = parsePath(path);
      authorizeSecret(call, 'delete', p);
      await consumeUse(rt, call);
      if (tierLimit(call) !== null) {
        const record = (await readSecretRecord(rt, call.tenant, p))?.record;
        if (!record || (record.trashedAt !== null && !opts.permanent)) throw notFound(p);
        authorizeTier(call, 'delete', p, record.tier);
      }
      const event = successEvent(rt, call, 'secret.delete', p, null, { permanent: opts.permanent });
      if (opts.permanent) {
        await destroySecret(rt, call.tenant, p, null, event);
        return;
      }
      const now = rt.clock.now();
      const purgeAt = now + rt.config.trashRetentionMs;
      await changeSecret(rt, call.tenant, p, (secret) => trash(secret, p, { now, purgeAt }), event);
    });
  }

  function restoreSecret(path: string, options?: CallOptions): Promise<SecretMetadata> {
    return run('secret.restore', path, callSchema, options, async (call) => {
      const p = parsePath(path);
      authorizeSecret(call, 'delete', p);
      await consumeUse(rt, call);
      if (tierLimit(call) !== null) {
        const record = (await readSecretRecord(rt, call.tenant, p))?.record;
        if (!record) throw notFound(p);
        authorizeTier(call, 'delete', p, record.tier);
      }
      const now = rt.clock.now();
      const restored = await changeSecret(
        rt,
        call.tenant,
        p,
        (secret) => restore(secret, p, { now, by: call.actor }),
        successEvent(rt, call, 'secret.restore', p, null),
      );
      return toMetadata(restored);
    });
  }

  /**
   * Import a .env file: `KEY` lands at `<namespace>/KEY`. Everything is parsed and checked first;
   * a malformed line, a bad key or an oversized value is reported by line and nothing is written.
   */
  function importEnv(text: string, options?: ImportEnvOptions): Promise<ImportResult> {
    return run('secret.import', null, importEnvOptionsSchema, options, async (call, opts, facts) => {
      facts.path = opts.namespace || null;
      if (typeof text !== 'string') {
        throw new AgentVaultValidationError('Invalid .env input', [
          { path: ['text'], message: 'expected the file contents as a string' },
        ]);
      }
      const { entries, issues } = parseEnvFile(text);
      const planned: Array<ImportedSecret & { value: string; explicitTier: boolean }> = [];
      const prefixes = Object.keys(opts.tierByPrefix).sort((a, b) => b.length - a.length);
      for (const entry of entries) {
        const path = opts.namespace ? `${opts.namespace}/${entry.key}` : entry.key;
        const problem =
          pathProblem(path)
          ?? (schemas.value.safeParse(entry.value).success ? null : 'value is too large or not valid Unicode');
        if (problem) {
          issues.push({
            path: ['line', entry.line],
            message: `line ${entry.line}: ${problem}`,
          } satisfies ValidationIssue);
          continue;
        }
        const prefix = prefixes.find((candidate) => entry.key.startsWith(candidate));
        const tier = prefix === undefined ? opts.tier : opts.tierByPrefix[prefix]!;
        planned.push({ path, tier: tier ?? 'standard', explicitTier: tier !== undefined, line: entry.line, value: entry.value });
      }
      if (issues.length > 0)
        throw new AgentVaultValidationError('Malformed .env input; nothing was imported', issues);
      for (const item of planned) {
        authorizeSecret(call, 'write', item.path);
        authorizeTier(call, 'write', item.path, item.tier);
      }
      await consumeUse(rt, call);

      // Plan from what exists, record the plan, then write: each write is atomic and audited on
      // its own, and a one-entry import is atomic as a whole.
      const result: ImportResult = {
        created: [],
        updated: [],
        skipped: [],
        dryRun: opts.dryRun,
        counts: { created: 0, updated: 0, skipped: 0 },
        secrets: [],
      };
      const writes: Array<{ item: ImportedSecret; value: string; exists: boolean }> = [];
      for (const { value, explicitTier, ...item } of planned) {
        const existing = (await readSecretRecord(rt, call.tenant, item.path))?.record ?? null;
        if (existing?.trashedAt != null) result.skipped.push({ ...item, tier: existing.tier, reason: 'trashed' });
        else if (existing && !opts.overwrite) result.skipped.push({ ...item, tier: existing.tier, reason: 'exists' });
        else {
          // An overwrite never lowers a secret's tier by omission: without a tier for it, it keeps its own.
          if (existing && !explicitTier) {
            item.tier = existing.tier;
            authorizeTier(call, 'write', item.path, item.tier);
          }
          (existing ? result.updated : result.created).push(item);
          writes.push({ item, value, exists: existing !== null });
        }
      }
      result.counts = { created: result.created.length, updated: result.updated.length, skipped: result.skipped.length };
      for (const outcome of ['created', 'updated'] as const) {
        for (const { path, tier, line } of result[outcome]) result.secrets.push({ path, tier, line, outcome });
      }
      result.secrets.sort((a, b) => a.line - b.line);
      await appendEvent(
        rt,
        successEvent(rt, call, 'secret.import', opts.namespace || null, null, {
          namespace: opts.namespace,
          created: result.created.length,
          updated: result.updated.length,
          skipped: result.skipped.length,
          dryRun: opts.dryRun,
        }),
      );
      if (opts.dryRun) return result;
      for (const { item, value, exists } of writes) {
        if (!exists) {
          await createWith(call, item.path, value, { tier: item.tier, type: opts.type ?? 'custom' });
          continue;
        }
        await appendWith(call, item.path, value, {
          action: 'write',
          type: 'secret.update',
          patch: opts.type === undefined ? { tier: item.tier } : { tier: item.tier, type: opts.type },
          expectedVersion: undefined,
          retireAfterMs: null,
          details: { import: true },
        });
      }
      return result;
    });
  }

  return {
    createSecret,
    setSecret,
    updateSecret,
    getSecret,
    listSecrets,
    listVersions,
    rollbackSecret,
    rotateSecret,
    deleteSecret,
    restoreSecret,
    importEnv,
  };
}
