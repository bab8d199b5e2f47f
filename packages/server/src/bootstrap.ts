/**
 * The first keys. `AGENTVAULT_ROOT_KEY` and `AGENTVAULT_APPROVER_KEY` are imported (only their
 * hashes are stored; importing again on the next start finds the same key). Without them, an admin
 * and an approver key are minted at the first start and written once to a file in the data
 * directory (mode 0600) — never to the log. A restart finds them in storage and mints no more.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Vault } from '@agentvault/core';
import { ensureDataDir } from './backends';
import type { ServerConfig } from './config';
import type { ServerLogger } from './logger';

export const INITIAL_KEYS_FILE = 'initial-keys.txt';

interface KeySpec {
  variable: 'AGENTVAULT_ROOT_KEY' | 'AGENTVAULT_APPROVER_KEY';
  value: string | undefined;
  roles: Array<'admin' | 'approver'>;
  label: string;
}

export async function bootstrapKeys(
  vault: Vault,
  config: ServerConfig,
  logger: ServerLogger,
  showKeys?: (lines: string[]) => void,
): Promise<void> {
  const specs: KeySpec[] = [
    { variable: 'AGENTVAULT_ROOT_KEY', value: config.rootKey, roles: ['admin'], label: 'Root agent key (admin)' },
    { variable: 'AGENTVAULT_APPROVER_KEY', value: config.approverKey, roles: ['approver'], label: 'Approver agent key' },
  ];
  const existing = await vault.listAgentKeys();
  const minted: string[] = [];
  for (const spec of specs) {
    const description = `${spec.label} (created at start)`;
    if (!spec.value) {
      const earlier = existing.find((key) => key.revokedAt === null && key.description === description);
      if (earlier) {
        logger.info({ keyId: earlier.id }, `${spec.label} was created at an earlier start; set ${spec.variable} or revoke it to get a new one`);
        continue;
      }
    }
    const key = await vault.createAgentKey({
      value: spec.value,
      roles: spec.roles,
      description: spec.value ? spec.variable : description,
    });
    if (spec.value) logger.info({ keyId: key.id }, `${spec.label} imported from ${spec.variable}`);
    else minted.push(`${spec.label} ${key.id}: ${key.value}`);
  }
  if (minted.length === 0) return;
  await ensureDataDir(config.dataDir);
  const file = join(config.dataDir, INITIAL_KEYS_FILE);
  await writeFile(file, `${minted.join('\n')}\n`, { mode: 0o600 });
  logger.warn({ file }, 'minted the first agent keys and wrote them to this file (mode 0600): store them elsewhere and delete it');
  showKeys?.(minted);
}
