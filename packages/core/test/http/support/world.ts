/** One test's world: a fresh vault on memory storage, its keys, and the API served by one binding. */
import { type MemoryAdapter, memoryAdapter } from '@agentvault/adapter-memory';
import type { StorageAdapter } from '../../../src/contracts/storage';
import type { VaultHandlerOptions } from '../../../src/http/handler';
import { type ManualClock, manualClock } from '../../../src/testing/clock';
import { testKeyWrapper } from '../../../src/testing/key-wrappers';
import { createVault, type Vault } from '../../../src/vault/create-vault';
import type { VaultOptions } from '../../../src/vault/runtime';
import type { RunningServer, StartServer } from './servers';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are read field by field in assertions
  body: any;
  text: string;
}

export interface RequestInit {
  /** A JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** A body sent as is. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface Api {
  request(method: string, path: string, init?: RequestInit): Promise<Reply>;
}

export interface LogLine {
  level: 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export interface World {
  vault: Vault;
  clock: ManualClock;
  storage: MemoryAdapter;
  server: RunningServer;
  /** An agent key with the admin role. */
  admin: string;
  /** An agent key with the approver role only. */
  approver: string;
  /** Requests with this credential (null: none). */
  api(credential: string | null): Api;
  /** What the handler logged. */
  logs: LogLine[];
  close(): Promise<void>;
}

export function client(baseUrl: string, credential: string | null): Api {
  return {
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (credential !== null) headers.authorization ??= `Bearer ${credential}`;
      let body: string | Uint8Array | undefined;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers['content-type'] ??= 'application/json';
      } else if (init.raw !== undefined) {
        body = init.raw;
      }
      const response = await fetch(baseUrl + path, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
}

export interface WorldOptions {
  handler?: VaultHandlerOptions<never>;
  vault?: Partial<VaultOptions>;
  /** Wrap the storage (e.g. to make it fail). */
  wrapStorage?: (storage: StorageAdapter) => StorageAdapter;
}

export async function makeWorld(start: StartServer, options: WorldOptions = {}): Promise<World> {
  const clock = manualClock();
  const storage = memoryAdapter();
  const logs: LogLine[] = [];
  const vault = createVault({
    storage: options.wrapStorage ? options.wrapStorage(storage) : storage,
    keys: testKeyWrapper(),
    clock,
    logger: { warn() {}, error() {} },
    ...options.vault,
  });
  const admin = await vault.createAgentKey({ roles: ['admin'], description: 'test admin' });
  const approver = await vault.createAgentKey({ roles: ['approver'], description: 'test approver' });
  const server = await start(vault, {
    clock,
    logger: {
      warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
      error: (message, fields) => logs.push({ level: 'error', message, fields }),
    },
    ...options.handler,
  });
  return {
    vault,
    clock,
    storage,
    server,
    admin: admin.value,
    approver: approver.value,
    api: (credential) => client(server.url, credential),
    logs,
    close: () => server.close(),
  };
}

/** The URL path segment of a secret path. */
export const enc = (path: string) => encodeURIComponent(path);
