/**
 * The server's configuration, read from the environment and validated once at start: a bad value
 * stops the server with one line naming the variable and what it accepts.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const AGENT_KEY = /^ass_live_[A-Za-z0-9_-]{32,200}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const WEBHOOK_EVENTS = ['secret.expiring', 'approval.requested', 'approval.decided', 'rotation.failed', 'token.issued'] as const;

const port = z.coerce.number().int().min(0).max(65_535);
const seconds = (min: number) => z.coerce.number().int().min(min);

/** The variables the server reads, each with its rule; the names are the environment's. */
const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8787),
  AGENTVAULT_DATA_DIR: z.string().min(1).default('./.agentvault'),
  AGENTVAULT_STORAGE: z
    .string()
    .trim()
    .regex(/^(sqlite|memory|postgres(ql)?:\/\/.+|rediss?:\/\/.+)$/, {
      error: 'must be sqlite, memory, postgres://… or redis://…',
    })
    .optional(),
  AGENTVAULT_PG_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lower-case SQL identifier' }).optional(),
  AGENTVAULT_REDIS_PREFIX: z.string().min(1).max(64).optional(),
  AGENTVAULT_LOCAL_KEK: z.string().min(1).optional(),
  AGENTVAULT_KMS_KEY_ARN: z.string().regex(/^arn:aws[a-z-]*:kms:/, { error: 'must be an AWS KMS key ARN' }).optional(),
  AGENTVAULT_KMS_KEY: z
    .string()
    .regex(/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/, {
      error: 'must be a Cloud KMS key name (projects/…/locations/…/keyRings/…/cryptoKeys/…)',
    })
    .optional(),
  AWS_REGION: z.string().min(1).optional(),
  AGENTVAULT_ROOT_KEY: z.string().regex(AGENT_KEY, { error: 'must look like ass_live_ followed by 32–200 characters of [A-Za-z0-9_-]' }).optional(),
  AGENTVAULT_APPROVER_KEY: z.string().regex(AGENT_KEY, { error: 'must look like ass_live_ followed by 32–200 characters of [A-Za-z0-9_-]' }).optional(),
  AGENTVAULT_RATE_LIMIT: z.union([z.literal('off'), z.coerce.number().int().min(1)], {
    error: 'must be a positive integer (requests per minute per credential) or off',
  }).default(1000),
  AGENTVAULT_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AGENTVAULT_MAINTENANCE_INTERVAL: seconds(1).default(60),
  AGENTVAULT_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AGENTVAULT_WEBHOOK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  AGENTVAULT_WEBHOOK_EVENTS: z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(WEBHOOK_EVENTS, { error: `each must be one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1))
    .optional(),
  AGENTVAULT_SHUTDOWN_TIMEOUT: seconds(0).default(10),
  AGENTVAULT_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  storage: { kind: 'sqlite' } | { kind: 'memory' } | { kind: 'postgres'; url: string; schema?: string } | { kind: 'redis'; url: string; prefix?: string };
  keys:
    | { kind: 'local'; kek?: string }
    | { kind: 'aws'; keyArn: string; region?: string }
    | { kind: 'gcp'; keyName: string };
  rootKey?: string;
  approverKey?: string;
  rateLimit: number | 'off';
  publicUrl?: string;
  maintenanceIntervalSeconds: number;
  webhook?: { url: string; secret: string; events?: WebhookEventName[] };
  shutdownTimeoutSeconds: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

/** A configuration problem: its message is the one line the server prints before it exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Read and check the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  // An empty variable is as good as unset (shells and compose files leave them behind).
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${name} ${issue.message}`);
  }
  const e = parsed.data;
  if (e.AGENTVAULT_WEBHOOK_URL && !e.AGENTVAULT_WEBHOOK_SECRET)
    throw new ConfigError('AGENTVAULT_WEBHOOK_SECRET is required with AGENTVAULT_WEBHOOK_URL (deliveries are signed)');
  if (e.AGENTVAULT_KMS_KEY_ARN && e.AGENTVAULT_KMS_KEY)
    throw new ConfigError('AGENTVAULT_KMS_KEY_ARN and AGENTVAULT_KMS_KEY name two key services; set one');
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: resolve(e.AGENTVAULT_DATA_DIR),
    storage: storageFrom(e.AGENTVAULT_STORAGE ?? 'sqlite', e.AGENTVAULT_PG_SCHEMA, e.AGENTVAULT_REDIS_PREFIX),
    keys: e.AGENTVAULT_KMS_KEY_ARN
      ? { kind: 'aws', keyArn: e.AGENTVAULT_KMS_KEY_ARN, ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}) }
      : e.AGENTVAULT_KMS_KEY
        ? { kind: 'gcp', keyName: e.AGENTVAULT_KMS_KEY }
        : { kind: 'local', ...(e.AGENTVAULT_LOCAL_KEK ? { kek: e.AGENTVAULT_LOCAL_KEK } : {}) },
    ...(e.AGENTVAULT_ROOT_KEY ? { rootKey: e.AGENTVAULT_ROOT_KEY } : {}),
    ...(e.AGENTVAULT_APPROVER_KEY ? { approverKey: e.AGENTVAULT_APPROVER_KEY } : {}),
    rateLimit: e.AGENTVAULT_RATE_LIMIT,
    ...(e.AGENTVAULT_PUBLIC_URL ? { publicUrl: e.AGENTVAULT_PUBLIC_URL.replace(/\/+$/, '') } : {}),
    maintenanceIntervalSeconds: e.AGENTVAULT_MAINTENANCE_INTERVAL,
    ...(e.AGENTVAULT_WEBHOOK_URL
      ? {
          webhook: {
            url: e.AGENTVAULT_WEBHOOK_URL,
            secret: e.AGENTVAULT_WEBHOOK_SECRET!,
            ...(e.AGENTVAULT_WEBHOOK_EVENTS ? { events: e.AGENTVAULT_WEBHOOK_EVENTS } : {}),
          },
        }
      : {}),
    shutdownTimeoutSeconds: e.AGENTVAULT_SHUTDOWN_TIMEOUT,
    logLevel: e.AGENTVAULT_LOG_LEVEL,
  };
}

function storageFrom(spec: string, schema?: string, prefix?: string): ServerConfig['storage'] {
  if (spec === 'sqlite' || spec === 'memory') return { kind: spec };
  if (spec.startsWith('postgres')) return { kind: 'postgres', url: spec, ...(schema ? { schema } : {}) };
  return { kind: 'redis', url: spec, ...(prefix ? { prefix } : {}) };
}

/** A storage URL safe to print: no password. */
export function describeStorage(storage: ServerConfig['storage'], dataDir: string): string {
  switch (storage.kind) {
    case 'memory':
      return 'memory (everything is lost when the process exits)';
    case 'sqlite':
      return `sqlite (${dataDir})`;
    default: {
      try {
        const url = new URL(storage.url);
        if (url.password) url.password = '***';
        return url.toString();
      } catch {
        return storage.kind;
      }
    }
  }
}
