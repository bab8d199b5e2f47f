import { expect, it } from 'vitest';
import { AGENT_KEY_PREFIX, TOKEN_PREFIX } from '../../domain/credentials';
import type { SuiteContext } from './context';
import { allEvents } from './fixtures';

/** Every way a secret could show up in a dump: as text, base64 and hex. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

export function safetyTests(ctx: SuiteContext): void {
  it('stores no plaintext value and no credential anywhere, and audits none', async () => {
    const { vault, backdoor, tenant } = ctx.setup();
    const values = [
      'PLAINTEXT-canary-value-0001',
      'PLAINTEXT-canary-value-0002',
      'PLAINTEXT-rotated-canary-03',
      'PLAINTEXT-imported-canary-4',
    ];
    await vault.setSecret('leak/a', values[0]!, { tier: 'sensitive' });
    await vault.updateSecret('leak/a', { value: values[1]! });
    await vault.rotateSecret('leak/a', values[2]!, { gracePeriodSeconds: 60 });
    await vault.importEnv(`CANARY=${values[3]}`, { namespace: 'leak' });
    const key = await vault.createAgentKey({ description: 'leak test' });
    const standing = await vault.requestToken({
      scope: 'secrets:read:leak/CANARY secrets:list:leak/*',
      maxUses: 5,
    });
    const pending = await vault.requestToken({ scope: 'secrets:read:leak/*' }, { token: key.value });
    await vault.approve(
      pending.approvalRequestId!,
      {},
      { principal: { kind: 'user', id: 'alice', tenant, roles: ['approver'] } },
    );
    const claimed = (await vault.getApproval(pending.approvalRequestId!, { token: key.value })).token!;
    await vault.getSecret('leak/a', { token: claimed.value! });
    await vault.getSecret('leak/CANARY', { token: standing.value! });
    await vault.getSecret('leak/a', { token: standing.value! }).catch(() => undefined);
    await vault.getSecret('leak/a', { token: `${standing.value!}x` }).catch(() => undefined);
    const credentials = [key.value, standing.value!, claimed.value!];

    const stored = await backdoor.dump();
    const audit = JSON.stringify(await allEvents(vault));
    expect(stored.length).toBeGreaterThan(1000);
    for (const secret of [...values, ...credentials]) {
      for (const form of encodings(secret)) {
        expect(stored).not.toContain(form);
        expect(audit).not.toContain(form);
      }
    }
    // The secret part of a credential must not appear either, even without its prefix.
    for (const credential of credentials) {
      const prefix = credential.startsWith(AGENT_KEY_PREFIX) ? AGENT_KEY_PREFIX : TOKEN_PREFIX;
      expect(stored).not.toContain(credential.slice(prefix.length));
    }
  });
}
