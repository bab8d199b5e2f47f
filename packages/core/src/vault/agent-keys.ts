/** Agent keys: mint or import (stored by hash), list, revoke — and with a key, every token minted under it. */
import type { z } from 'zod';
import type { AgentKeyRecord, Role } from '../contracts/records';
import type { Stored } from '../contracts/storage';
import { hashCredential, newAgentKeyValue } from '../domain/credentials';
import { newId } from '../domain/ids';
import { AgentVaultConflictError } from '../errors';
import { createAgentKeySchema } from '../schemas/access';
import { parseInput } from '../schemas/fields';
import { type CallOptions, callSchema } from '../schemas/secrets';
import { mustRead } from './access-records';
import { type AgentKey, type CreatedAgentKey, keyView } from './access-views';
import { appendEvent, operation, successEvent } from './auditing';
import { type CallContext, requireRole } from './authorization';
import { emitEvent } from './events';
import { commitWithRetry, put } from './records';
import type { Runtime } from './runtime';
import { revokeIssuedBy } from './tokens';

export type CreateAgentKeyInput = z.input<typeof createAgentKeySchema>;

const PAGE = 100;

export function agentKeyOperations(rt: Runtime) {
  const { storage } = rt;

  /** An imported value that is already a key: the same key again, or a refusal that reveals nothing. */
  async function existingImport(call: CallContext, hash: string, roles: Role[]): Promise<AgentKeyRecord | null> {
    const found = await storage.findCredential(hash);
    if (!found) return null;
    const existing = found.record;
    if (found.kind !== 'agent_key' || existing.tenant !== call.tenant || found.record.revokedAt !== null) {
      throw new AgentVaultConflictError('This key value cannot be used; choose a new one');
    }
    if (found.record.roles.length !== roles.length || !roles.every((role) => found.record.roles.includes(role))) {
      throw new AgentVaultConflictError(`Agent key ${existing.id} already exists with other roles`);
    }
    return found.record;
  }

  /** Mint a new agent key (shown once), or import one the host holds (`value`). Admins only. */
  async function createAgentKey(input: CreateAgentKeyInput = {}, options?: CallOptions): Promise<CreatedAgentKey> {
    return operation(rt, { type: 'agent_key.create', path: null }, callSchema, options, async (call) => {
      const data = parseInput(createAgentKeySchema, input, 'agent key');
      requireRole(call, 'admin', 'create agent keys');
      const value = data.value ?? newAgentKeyValue();
      const roles = [...new Set(data.roles)];
      const hash = hashCredential(value);
      const imported = data.value !== undefined;
      const reimport = async (existing: AgentKeyRecord) => {
        await appendEvent(
          rt,
          successEvent(rt, call, 'agent_key.create', null, null, { keyId: existing.id, imported: true, existing: true }),
        );
        return { ...keyView(existing), value };
      };
      const existing = imported ? await existingImport(call, hash, roles) : null;
      if (existing) return reimport(existing);
      const key: AgentKeyRecord = {
        id: newId('key'),
        tenant: call.tenant,
        hash,
        description: data.description ?? null,
        roles,
        createdAt: rt.clock.now(),
        createdBy: call.actor,
        revokedAt: null,
      };
      try {
        await storage.commit({
          writes: [put('agent_key', key, 'absent')],
          events: [
            successEvent(rt, call, 'agent_key.create', null, null, { keyId: key.id, roles: roles.join(' '), imported }),
          ],
        });
      } catch (error) {
        // Another instance imported the same value at the same moment (hashes are unique across the store).
        const raced = imported && error instanceof AgentVaultConflictError ? await existingImport(call, hash, roles) : null;
        if (!raced) throw error;
        return reimport(raced);
      }
      emitEvent(rt.listeners, rt.logger, {
        type: 'agent_key.created',
        tenant: key.tenant,
        keyId: key.id,
        createdBy: call.actor,
        roles: key.roles,
      });
      return { ...keyView(key), value };
    });
  }

  async function listAgentKeys(options?: CallOptions): Promise<AgentKey[]> {
    return operation(rt, { type: 'agent_key.list', path: null }, callSchema, options, async (call) => {
      requireRole(call, 'admin', 'list agent keys');
      const keys: AgentKeyRecord[] = [];
      let afterId: string | null = null;
      for (;;) {
        const page: Stored<'agent_key'>[] = await storage.listRecords({ kind: 'agent_key', tenant: call.tenant, afterId, limit: PAGE });
        keys.push(...page.map((k) => k.record));
        const last = page.at(-1);
        if (!last || page.length < PAGE) break;
        afterId = last.record.id;
      }
      keys.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      await appendEvent(rt, successEvent(rt, call, 'agent_key.list', null, null, { count: keys.length }));
      return keys.map(keyView);
    });
  }

  /**
   * Revoke an agent key, then every token minted under it (the tokens it minted and every token
   * below them). A mint racing the revoke checks the key's revision in its commit, so it is either
   * refused or listed here.
   */
  async function revokeAgentKey(id: string, options?: CallOptions): Promise<AgentKey> {
    return operation(rt, { type: 'agent_key.revoke', path: null }, callSchema, options, async (call) => {
      requireRole(call, 'admin', 'revoke agent keys');
      const keyId = String(id);
      const { record, fresh } = await commitWithRetry(async () => {
        const stored = await mustRead(rt, 'agent_key', call.tenant, keyId, 'Agent key');
        const event = successEvent(rt, call, 'agent_key.revoke', null, null, { keyId });
        if (stored.record.revokedAt !== null) {
          await appendEvent(rt, event);
          return { record: stored.record, fresh: false };
        }
        const next: AgentKeyRecord = { ...stored.record, revokedAt: rt.clock.now() };
        await storage.commit({ writes: [put('agent_key', next, stored.rev)], events: [event] });
        return { record: next, fresh: true };
      });
      if (fresh) emitEvent(rt.listeners, rt.logger, { type: 'agent_key.revoked', tenant: record.tenant, keyId: record.id, revokedBy: call.actor });
      // Also when it was already revoked: completes a cascade an earlier revoke did not finish.
      await revokeIssuedBy(rt, call, `key:${record.id}`);
      return keyView(record);
    });
  }

  return { createAgentKey, listAgentKeys, revokeAgentKey };
}
