import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createVaultHandler } from '../../http/fetch';
import type { SuiteContext } from './context';
import { allEvents } from './fixtures';

interface Exchange {
  what: string;
  status: number;
  body: string;
  /** Secrets this response may carry: the value a read returns, the token an issue returns. */
  allowed: string[];
}

/** Every way a secret could show up: as text, base64, base64url and hex. */
function forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

export function leakTests(ctx: SuiteContext): void {
  it('leaves no value or credential in storage, logs, events, the audit trail or any HTTP answer but its own', async () => {
    const logs: string[] = [];
    const logger = {
      warn: (message: string, fields?: unknown) => void logs.push(`${message} ${JSON.stringify(fields ?? '')}`),
      error: (message: string, fields?: unknown) => void logs.push(`${message} ${JSON.stringify(fields ?? '')}`),
    };
    const events: unknown[] = [];
    const h = ctx.setup({ logger, onEvent: (event) => void events.push(event) });
    const handler = createVaultHandler(h.vault, { basePath: '/v1', logger, rateLimiter: false });
    const admin = await h.vault.createAgentKey({ roles: ['admin'] });
    const approver = await h.vault.createAgentKey({ roles: ['approver'] });
    const secrets: string[] = [admin.value, approver.value];
    const canary = (label: string) => {
      const value = `canary-${label}-${randomBytes(8).toString('hex')}`;
      secrets.push(value);
      return value;
    };
    const exchanges: Exchange[] = [];
    const send = async (
      what: string,
      method: string,
      path: string,
      options: { key?: string; json?: unknown; raw?: string; allowed?: string[] } = {},
    ) => {
      const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? admin.value}` };
      let body: string | undefined;
      if (options.raw !== undefined || options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = options.raw ?? JSON.stringify(options.json);
      }
      const response = await handler(new Request(`http://vault.test/v1${path}`, { method, headers, body }), { ip: '10.0.0.7' });
      const text = await response.text();
      exchanges.push({ what, status: response.status, body: text, allowed: options.allowed ?? [] });
      return { status: response.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
    };

    const a1 = canary('a1');
    const a2 = canary('a2');
    const a3 = canary('a3');
    expect((await send('create', 'POST', '/secrets', { json: { path: 'leak/a', value: a1, tier: 'sensitive' } })).status).toBe(201);
    await send('update', 'PUT', '/secrets/leak%2Fa', { json: { value: a2 } });
    await send('rotate', 'POST', '/secrets/leak%2Fa/rotate', { json: { new_value: a3, grace_period_seconds: 60 } });
    const [b, c] = [canary('b'), canary('c')];
    await send('import', 'POST', '/import', { json: { env: `B=${b}\nC="${c}"`, namespace: 'leak' } });
    expect((await send('read', 'GET', '/secrets/leak%2Fa', { allowed: [a3] })).json.value).toBe(a3);
    await send('read v1', 'GET', '/secrets/leak%2Fa?version=1', { allowed: [a1] });

    const issued = await send('token', 'POST', '/tokens', { json: { scope: 'secrets:read:leak/B', max_uses: 5 } });
    const scoped = issued.json.value as string;
    secrets.push(scoped);
    exchanges.at(-1)!.allowed.push(scoped);
    await send('read with token', 'GET', '/secrets/leak%2FB', { key: scoped, allowed: [b] });
    await send('refused with token', 'GET', '/secrets/leak%2Fa', { key: scoped });
    await send('broader mint', 'POST', '/tokens', { key: scoped, json: { scope: 'secrets:read:*' } });

    const pending = await send('pending token', 'POST', '/tokens', { json: { scope: 'secrets:read:leak/*' } });
    const approval = pending.json.approval_request_id as string;
    await send('approve', 'POST', `/approvals/${approval}/approve`, { key: approver.value, json: { comment: 'ok' } });
    const claimed = await send('claim', 'GET', `/approvals/${approval}`);
    const claimedToken = (claimed.json.token as { value: string }).value;
    secrets.push(claimedToken);
    exchanges.at(-1)!.allowed.push(claimedToken);
    await send('read with claimed', 'GET', '/secrets/leak%2FC', { key: claimedToken, allowed: [c] });

    // Refusals carrying secrets in what they refuse.
    await send('bad path', 'POST', '/secrets', { json: { path: 'leak/../x', value: canary('bad-path') } });
    await send('malformed json', 'POST', '/secrets', { raw: `{"path":"leak/x","value":"${canary('malformed')}"` });
    await send('value too large', 'POST', '/secrets', { json: { path: 'leak/big', value: `${canary('big')}${'x'.repeat(70_000)}` } });
    await send('body too large', 'POST', '/secrets', { json: { path: 'leak/huge', value: `${canary('huge')}${'x'.repeat(1_100_000)}` } });
    await send('bad tier', 'PUT', '/secrets/leak%2Fa', { json: { value: canary('bad-tier'), tier: 'top-secret' } });
    await send('bad import', 'POST', '/import', { json: { env: `GOOD=1\nbroken line ${canary('bad-import')}`, namespace: 'leak' } });
    const fakeToken = `ast_tok_${canary('fake-token')}`;
    await send('unknown token', 'GET', '/secrets/leak%2Fa', { key: fakeToken });
    await send('unknown key', 'GET', '/secrets/leak%2Fa', { key: `ass_live_${canary('fake-key')}` });
    await send('audit', 'GET', '/audit?limit=200');

    const statuses = new Set(exchanges.map((e) => e.status));
    for (const expected of [200, 201, 202, 400, 401, 403, 413, 422]) expect(statuses, `a ${expected} answer`).toContain(expected);

    const places: Array<[string, string, string[]]> = [
      ['storage', await h.backdoor.dump(), []],
      ['logs', logs.join('\n'), []],
      ['events', JSON.stringify(events), []],
      ['audit trail', JSON.stringify(await allEvents(h.vault)), []],
      ...exchanges.map((e): [string, string, string[]] => [`HTTP answer to ${e.what} (${e.status})`, e.body, e.allowed]),
    ];
    for (const [where, text, allowed] of places) {
      for (const secret of secrets) {
        if (allowed.includes(secret)) continue;
        for (const form of forms(secret)) expect(text.includes(form), `${where} holds a secret`).toBe(false);
      }
    }
  });
}
