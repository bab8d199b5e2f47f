/**
 * Every TypeScript example of seeds 000 (Quick Start), 002 (JS/TS SDK) and 003 (Vault Storage),
 * as the seeds print them; only the import path changed (`@agentsecretstore/sdk` →
 * `@agentvault/client`), and the examples' imports are merged into the one statement below (a
 * module cannot import a name twice). Each example is the body of a function whose parameters are
 * the names the seed page has in scope (`vault`); lines marked `harness:` are ours.
 *
 * The file is compiled under the repo's strict tsconfig (by `npm run typecheck`, and by the first
 * test below, a TypeScript program over this file alone) and every example runs against a real
 * HTTP server on loopback (the vault behind the Express middleware, memory storage). Data an
 * example needs is created first. The vault's clock is set to the seeds' era (January 2025), so
 * `expiresAt: new Date('2025-12-31')` is in the future as the seed means it.
 */
/* eslint-disable @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type,
   @stylistic/no-multi-spaces, @stylistic/comma-dangle
   -- the seeds' examples verbatim: names they only show, their alignment and punctuation */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { createVault, type Vault } from '@agentvault/core';
import { createExpressMiddleware } from '@agentvault/core/express';
import { manualClock, testKeyWrapper } from '@agentvault/core/testing';
import {
  AccessTier,
  AgentVault,
  AgentVaultApprovalPendingError,
  AgentVaultAuthError,
  AgentVaultError,
  AgentVaultNetworkError,
  AgentVaultNotFoundError,
  AgentVaultPermissionError,
  AgentVaultRateLimitError,
  type IssuedToken,
  SecretType,
} from '@agentvault/client';
import express from 'express';
import ts from 'typescript';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';

// ── Seed 000: Quick Start ─────────────────────────────────────────────────────

async function seed000Retrieve() {
  const vault = new AgentVault();
  // reads ASS_AGENT_KEY from process.env

  const secret = await vault.getSecret('production/openai/api-key');
  console.log(secret.value);    // "sk-proj-abc123..."
  console.log(secret.version);  // 1
}

// ── Seed 002: JavaScript / TypeScript SDK ─────────────────────────────────────

function seed002Constructor() {
  // Reads ASS_AGENT_KEY from process.env automatically
  const vault = new AgentVault();

  // Or provide the key explicitly (for testing / multi-tenant apps)
  const vault2 = new AgentVault({
    agentKey: 'ass_live_your_key_here',
    baseUrl: 'https://api.agentsecretstore.com/v1', // default
    timeoutMs: 10_000,                              // default: 10s
    retries: 3,                                     // default: 3
  });
  return { vault, vault2 }; // harness:
}

async function seed002GetSecret(vault: AgentVault) {
  // ── getSecret ───────────────────────────────────────────────
  // Retrieves a secret value by path.

  const secret = await vault.getSecret('production/openai/api-key');

  console.log(secret.value);      // "sk-proj-abc123..."
  console.log(secret.version);    // 1
  console.log(secret.path);       // "production/openai/api-key"
  console.log(secret.tier);       // "sensitive"
  console.log(secret.accessedAt); // Date object

  // With options
  const secret2 = await vault.getSecret('production/stripe/api-key', {
    version: 2,           // Fetch a specific version (default: latest)
    token: 'ast_tok_...', // Use a scoped token instead of master key
  });
}

async function seed002SetSecret(vault: AgentVault) {
  // ── setSecret ───────────────────────────────────────────────
  // Creates or updates a secret.

  await vault.setSecret('production/openai/api-key', 'sk-proj-abc123...', {
    tier: 'sensitive',                    // 'standard' | 'sensitive' | 'critical'
    description: 'OpenAI production key',
    tags: { team: 'ml', env: 'prod' },    // Optional key-value metadata
    expiresAt: new Date('2025-12-31'),    // Optional secret expiry
  });

  // Minimal – just path + value (tier defaults to 'standard')
  await vault.setSecret('staging/config/feature-flag', 'true');
}

async function seed002ListSecrets(vault: AgentVault) {
  // ── listSecrets ─────────────────────────────────────────────
  // Lists secrets in a namespace (values not included).

  const result = await vault.listSecrets('production/openai', {
    limit: 50,       // Max per page (default: 50, max: 200)
    cursor: undefined,
  });

  for (const item of result.items) {
    console.log(item.path);        // "production/openai/api-key"
    console.log(item.tier);        // "sensitive"
    console.log(item.version);     // 3
    console.log(item.updatedAt);   // Date
  }

  // Paginate
  if (result.nextCursor) {
    const page2 = await vault.listSecrets('production/openai', {
      cursor: result.nextCursor,
    });
  }
  return result; // harness:
}

async function seed002RequestToken(vault: AgentVault) {
  // ── requestToken ─────────────────────────────────────────────
  // Issues a scoped, short-lived token.

  const token = await vault.requestToken({
    scope: 'secrets:read:production/openai/*',
    ttlSeconds: 3600,               // 1 hour
    description: 'Inference agent', // Appears in audit log
    allowedIps: ['10.0.1.50'],      // Optional IP allowlist
    maxUses: null,                  // null = unlimited within TTL; 1 = single-use
  });

  console.log(token.value);          // "ast_tok_..."
  console.log(token.scope);          // "secrets:read:production/openai/*"
  console.log(token.expiresAt);      // Date
  console.log(token.approvalStatus); // "approved" | "pending"

  // If pending, wait for approval (dev/test only — use webhooks in prod)
  if (token.approvalStatus === 'pending') {
    const approved = await vault.waitForApproval(token.approvalRequestId!, {
      timeoutMs: 120_000,
    });
    return { token, approved }; // harness:
  }
  return { token, approved: null }; // harness:
}

async function seed002RotateSecret(vault: AgentVault) {
  // ── rotateSecret ─────────────────────────────────────────────
  // Rotate to a new value; previous version remains readable for
  // a configurable window to allow graceful cutover.

  const result = await vault.rotateSecret(
    'production/openai/api-key',
    'sk-proj-newvalue456...',
    {
      gracePeriodSeconds: 300, // Old version readable for 5 min (default: 0)
    }
  );

  console.log(result.newVersion); // 2
  console.log(result.oldVersion); // 1 (still readable for 5 min)
  console.log(result.expiresAt);  // when old version expires
}

async function seed002DeleteSecret(vault: AgentVault) {
  // ── deleteSecret ─────────────────────────────────────────────
  // Soft-delete (moves to trash, recoverable for 30 days).

  await vault.deleteSecret('staging/openai/test-key');

  // Hard-delete (permanent, no recovery)
  await vault.deleteSecret('staging/openai/test-key', { permanent: true });
}

async function seed002ErrorHandling(vault: AgentVault) {
  try {
    const secret = await vault.getSecret('production/stripe/api-key');
  } catch (err) {
    if (err instanceof AgentVaultAuthError) {
      // 401: Invalid or expired agent key / token
      console.error('Auth failed:', err.message);
    } else if (err instanceof AgentVaultPermissionError) {
      // 403: Valid token, but scope doesn't cover this path
      console.error('Scope violation:', err.path, err.requiredScope);
    } else if (err instanceof AgentVaultNotFoundError) {
      // 404: Secret path doesn't exist
      console.error('Secret not found:', err.path);
    } else if (err instanceof AgentVaultApprovalPendingError) {
      // 202: Secret requires approval before token can be issued
      console.log('Pending approval ID:', err.approvalRequestId);
    } else if (err instanceof AgentVaultRateLimitError) {
      // 429: Too many requests
      console.log('Retry after:', err.retryAfter, 'seconds');
    } else if (err instanceof AgentVaultNetworkError) {
      // Network timeout or connectivity issue
      console.error('Network error:', err.cause);
    } else if (err instanceof AgentVaultError) {
      // Base class for all SDK errors
      console.error('Vault error:', err.message, err.code, err.statusCode);
    }
  }
}

/**
 * The seed's types.ts reference, verbatim, and (harness) checks that this client's results are
 * assignable to it where the seed promises the shape: a secret, a granted token, the options.
 */
async function seed002Types(vault: AgentVault, granted: IssuedToken) {
  // ── TypeScript types reference ──────────────────────────────

  type SecretTier = 'standard' | 'sensitive' | 'critical';

  interface Secret {
    path: string;
    value: string;
    version: number;
    tier: SecretTier;
    description: string | null;
    tags: Record<string, string>;
    createdAt: Date;
    updatedAt: Date;
    accessedAt: Date;
    expiresAt: Date | null;
  }

  interface SecretMetadata extends Omit<Secret, 'value'> {}

  interface ScopedToken {
    value: string;           // "ast_tok_..."
    scope: string;           // "secrets:read:production/*"
    ttlSeconds: number;
    expiresAt: Date;
    description: string | null;
    allowedIps: string[] | null;
    maxUses: number | null;
    approvalStatus: 'approved' | 'pending' | 'denied';
    approvalRequestId: string | null;
  }

  interface AgentVaultOptions {
    agentKey?: string;       // Defaults to process.env.ASS_AGENT_KEY
    baseUrl?: string;        // Defaults to https://api.agentsecretstore.com/v1
    timeoutMs?: number;      // Default: 10000
    retries?: number;        // Default: 3
    retryDelay?: number;     // Default: 500 (ms, exponential backoff)
  }

  // harness: our results fit the seed's types, and the seed's options fit our constructor.
  const secret: Secret = await vault.getSecret('production/openai/api-key');
  const token: ScopedToken = granted;
  const options: AgentVaultOptions = { retries: 3, retryDelay: 500, timeoutMs: 10_000 };
  const page: { items: unknown[]; nextCursor?: string } = await vault.listSecrets('production');
  return { secret, token, client: new AgentVault(options), page };
}

// ── Seed 003: Vault Storage ───────────────────────────────────────────────────

async function seed003CreateSecret() {
  const vault = new AgentVault();

  await vault.createSecret({
    path: 'production/openai/api-key',
    value: 'sk-proj-...',
    type: SecretType.API_KEY,
    tier: AccessTier.STANDARD,
    tags: { service: 'openai', team: 'ml-platform' },
    expiresInDays: 90,
  });
}

// ── Harness ───────────────────────────────────────────────────────────────────

const SEED_NOW = Date.UTC(2025, 0, 15, 10, 30);
const DAY_MS = 86_400_000;

interface Served {
  vault: Vault;
  baseUrl: string;
  admin: AgentVault;
  approver: AgentVault;
  clock: ReturnType<typeof manualClock>;
}

/** A real server on loopback; `ASS_AGENT_KEY` and `AGENTVAULT_URL` point `new AgentVault()` at it as an admin. */
async function served(): Promise<Served> {
  const clock = manualClock(SEED_NOW);
  const vault = createVault({
    storage: memoryAdapter(),
    keys: testKeyWrapper(),
    clock,
    logger: { warn() {}, error() {} },
  });
  const adminKey = (await vault.createAgentKey({ roles: ['admin'] })).value;
  const approverKey = (await vault.createAgentKey({ roles: ['approver'] })).value;
  const app = express();
  app.use('/v1', createExpressMiddleware(vault, {}));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await vault.close();
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  vi.stubEnv('ASS_AGENT_KEY', adminKey);
  vi.stubEnv('AGENTVAULT_URL', baseUrl);
  return {
    vault,
    baseUrl,
    clock,
    admin: new AgentVault({ agentKey: adminKey, baseUrl }),
    approver: new AgentVault({ agentKey: approverKey, baseUrl }),
  };
}

/** What an example printed with console.log / console.error, argument by argument. */
function captureConsole() {
  const lines: unknown[][] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(['error:', ...args]));
  return lines;
}

/** An approver who approves the first pending request that shows up (as a person at the console would). */
async function approveWhenAsked(approver: AgentVault, signal: AbortSignal): Promise<string> {
  while (!signal.aborted) {
    const pending = await approver.listApprovals({ status: 'pending' });
    const first = pending.items[0];
    if (first) {
      await approver.approve(first.id, { comment: 'seed example' });
      return first.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no approval request came');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the seed examples, compiled', () => {
  it('type-check under the repo\'s strict compiler options (this file alone)', () => {
    const here = fileURLToPath(import.meta.url);
    const root = join(dirname(here), '../../..');
    const base = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root);
    expect(parsed.options.strict).toBe(true);
    const program = ts.createProgram([here], { ...parsed.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || !d.file.fileName.includes('/adapter-'))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('the seed examples, run against a server', () => {
  it('000 retrieve.ts reads the secret back with ASS_AGENT_KEY from the environment', async () => {
    const { admin } = await served();
    await admin.setSecret('production/openai/api-key', 'sk-proj-abc123...', { tier: 'sensitive' });
    const printed = captureConsole();
    await seed000Retrieve();
    expect(printed).toEqual([['sk-proj-abc123...'], [1]]);
  });

  it('002 constructor: from the environment, or with explicit options', async () => {
    const { baseUrl } = await served();
    const { vault, vault2 } = seed002Constructor();
    expect(vault.baseUrl).toBe(baseUrl);
    expect(vault2.baseUrl).toBe('https://api.agentsecretstore.com/v1');
  });

  it('002 setSecret, getSecret, listSecrets, rotateSecret and deleteSecret, in the page\'s order', async () => {
    const { admin } = await served();
    const vault = seed002Constructor().vault;
    await seed002SetSecret(vault);
    const stored = await admin.getSecret('production/openai/api-key');
    expect(stored).toMatchObject({
      value: 'sk-proj-abc123...',
      tier: 'sensitive',
      description: 'OpenAI production key',
      tags: { team: 'ml', env: 'prod' },
      expiresAt: new Date('2025-12-31'),
    });
    expect(await admin.getSecret('staging/config/feature-flag')).toMatchObject({ value: 'true', tier: 'standard' });

    // getSecret: the second call names a placeholder token, which the server refuses (401).
    await admin.setSecret('production/stripe/api-key', 'sk_live_1');
    await admin.setSecret('production/stripe/api-key', 'sk_live_2');
    let printed = captureConsole();
    const placeholder = await seed002GetSecret(vault).catch((error: unknown) => error);
    expect(placeholder).toBeInstanceOf(AgentVaultAuthError);
    expect(printed.slice(0, 4)).toEqual([['sk-proj-abc123...'], [1], ['production/openai/api-key'], ['sensitive']]);
    expect(printed[4]![0]).toBeInstanceOf(Date);
    // With a real token in its place, the same options read version 2.
    const reader = await admin.requestToken({ scope: 'secrets:read:production/stripe/*' });
    expect(reader.approvalStatus).toBe('approved');
    if (reader.approvalStatus !== 'approved') return;
    expect((await vault.getSecret('production/stripe/api-key', { version: 2, token: reader.value })).value).toBe(
      'sk_live_2',
    );

    // listSecrets: more than a page, so the example's `if (result.nextCursor)` branch runs.
    for (let i = 0; i < 55; i++) await admin.setSecret(`production/openai/extra-${String(i).padStart(2, '0')}`, 'v');
    printed = captureConsole();
    const listed = await seed002ListSecrets(vault);
    expect(listed.items).toHaveLength(50);
    expect(listed.nextCursor).toEqual(expect.any(String));
    expect(printed.slice(0, 3)).toEqual([['production/openai/api-key'], ['sensitive'], [1]]);
    const last = await vault.listSecrets('production/openai', { cursor: listed.nextCursor });
    expect(last.items).toHaveLength(6);
    expect(last.nextCursor).toBe(undefined); // the seed's `nextCursor?: string`

    printed = captureConsole();
    await seed002RotateSecret(vault);
    expect(printed.slice(0, 2)).toEqual([[2], [1]]);
    expect(printed[2]).toEqual([new Date(SEED_NOW + 300_000)]);
    expect((await vault.getSecret('production/openai/api-key', { version: 1 })).value).toBe('sk-proj-abc123...');

    await admin.setSecret('staging/openai/test-key', 'test');
    await seed002DeleteSecret(vault);
    await expect(admin.getSecret('staging/openai/test-key')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
    expect((await admin.listSecrets('staging', { trashed: true })).items).toEqual([]);
  });

  it('002 requestToken: a sensitive scope waits for an approver, then waitForApproval returns the token', async () => {
    const { admin, approver } = await served();
    await admin.setSecret('production/openai/api-key', 'sk-proj-abc123...', { tier: 'sensitive' });
    const vault = seed002Constructor().vault;
    const stop = new AbortController();
    onTestFinished(() => stop.abort());
    const decided = approveWhenAsked(approver, stop.signal);
    const printed = captureConsole();
    const { token, approved } = await seed002RequestToken(vault);
    expect(token.approvalStatus).toBe('pending');
    expect(printed).toEqual([[null], ['secrets:read:production/openai/*'], [null], ['pending']]);
    expect(await decided).toBe(token.approvalRequestId);
    expect(approved).toMatchObject({ scope: 'secrets:read:production/openai/*', allowedIps: ['10.0.1.50'] });
    expect(approved!.value).toMatch(/^ast_tok_/);
    expect(approved!.expiresAt).toEqual(new Date(SEED_NOW + 3600_000));
  });

  it('002 requestToken: a standard scope is issued at once', async () => {
    const { admin } = await served();
    await admin.setSecret('production/openai/api-key', 'sk-proj-abc123...', { tier: 'standard' });
    const printed = captureConsole();
    const { token, approved } = await seed002RequestToken(seed002Constructor().vault);
    expect(approved).toBeNull();
    expect(token.approvalStatus).toBe('approved');
    expect(printed[0]![0]).toMatch(/^ast_tok_/);
    expect(printed[2]).toEqual([new Date(SEED_NOW + 3600_000)]);
  });

  it('002 errorHandling.ts: each refusal lands in its typed branch', async () => {
    const { admin, baseUrl } = await served();
    let printed = captureConsole();
    await seed002ErrorHandling(admin);
    expect(printed).toEqual([['error:', 'Secret not found:', 'production/stripe/api-key']]);

    await admin.setSecret('production/stripe/api-key', 'sk_live_1');
    const openaiOnly = await admin.requestToken({ scope: 'secrets:read:production/openai/*' });
    printed = captureConsole();
    await seed002ErrorHandling(new AgentVault({ agentKey: openaiOnly.value!, baseUrl }));
    expect(printed).toEqual([
      ['error:', 'Scope violation:', 'production/stripe/api-key', 'secrets:read:production/stripe/*'],
    ]);

    printed = captureConsole();
    await seed002ErrorHandling(new AgentVault({ agentKey: 'ass_live_unknown', baseUrl }));
    expect(printed).toEqual([['error:', 'Auth failed:', 'Invalid agent key']]);

    printed = captureConsole();
    await seed002ErrorHandling(new AgentVault({ agentKey: 'ass_live_x', baseUrl: 'http://127.0.0.1:9/v1', retries: 0 }));
    expect(printed[0]!.slice(0, 2)).toEqual(['error:', 'Network error:']);

    printed = captureConsole();
    await seed002ErrorHandling(admin);
    expect(printed).toEqual([]);
  });

  it('002 types.ts: a secret, a granted token and the options fit the seed\'s types', async () => {
    const { admin } = await served();
    await admin.setSecret('production/openai/api-key', 'sk-proj-abc123...');
    const granted = await admin.requestToken({ scope: 'secrets:read:production/openai/*' });
    if (granted.approvalStatus !== 'approved') throw new Error('expected a standard token to be issued');
    const { secret, token, page } = await seed002Types(admin, granted);
    expect(secret.value).toBe('sk-proj-abc123...');
    expect(token.value).toMatch(/^ast_tok_/);
    expect(token.expiresAt).toBeInstanceOf(Date);
    expect(page.nextCursor).toBeUndefined();
  });

  it('003 createSecret: the object form with SecretType, AccessTier and expiresInDays', async () => {
    const { admin } = await served();
    await seed003CreateSecret();
    expect(await admin.getSecret('production/openai/api-key')).toMatchObject({
      value: 'sk-proj-...',
      type: 'api_key',
      tier: 'standard',
      tags: { service: 'openai', team: 'ml-platform' },
      expiresAt: new Date(SEED_NOW + 90 * DAY_MS),
    });
  });
});
