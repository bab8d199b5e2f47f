import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAdapter } from '@agentvault/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature, webhookNotifier } from '../src/notify/webhook';
import { manualClock } from '../src/testing/clock';
import { testKeyWrapper } from '../src/testing/key-wrappers';
import { createVault } from '../src/vault/create-vault';

const SECRET = 'whsec_0123456789abcdef';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  verified: boolean;
  /** Checked by hand from the documented scheme, without the library's code. */
  independentlyVerified: boolean;
}

/** `AgentVault-Signature: t=<unix>,v1=<hex>`, v1 = HMAC-SHA256(secret, `${t}.${rawBody}`), recomputed here. */
function checkSignatureByHand(header: string | undefined, rawBody: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v1] = match as unknown as [string, string, string];
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', SECRET).update(`${t}.${rawBody}`).digest('hex');
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(expected, 'hex'));
}

/** A receiver that verifies every request the way the README tells receivers to. */
async function receiver(answer: (attempt: number) => { status: number; delayMs?: number; headers?: Record<string, string> }) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        headers: request.headers,
        body,
        verified: verifyWebhookSignature({ secret: SECRET, header: request.headers['agentvault-signature'] as string, body }),
        independentlyVerified: checkSignatureByHand(request.headers['agentvault-signature'] as string | undefined, body),
      });
      const { status, delayMs = 0, headers = {} } = answer(received.length);
      setTimeout(() => response.writeHead(status, headers).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('webhook notifier', () => {
  it('delivers signed approval and expiry events, and nothing else by default', async () => {
    const { url, received } = await receiver(() => ({ status: 204 }));
    const notifier = webhookNotifier({ url, secret: SECRET });
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper() });
    vault.on(notifier);
    await vault.setSecret('hooks/crit', 'webhook-canary-value', { tier: 'critical' });
    const pending = await vault.requestToken({ scope: 'secrets:read:hooks/*' }, { actor: 'agent' });
    await vault.approve(pending.approvalRequestId!, { comment: 'ok' }, { actor: 'alice' });
    await vault.requestToken({ scope: 'secrets:read:nothing/*' }); // token.issued: not subscribed
    await notifier.flush();
    expect(received.map((r) => r.headers['agentvault-event'])).toEqual(['approval.requested', 'approval.decided']);
    expect(received.every((r) => r.verified)).toBe(true);
    const body = JSON.parse(received[1]!.body) as { id: string; type: string; data: Record<string, unknown> };
    expect(body).toMatchObject({ type: 'approval.decided', data: { approvalId: pending.approvalRequestId, status: 'approved', decidedBy: 'app:alice' } });
    expect(body.id).toBe(received[1]!.headers['agentvault-delivery']);
    expect(received.map((r) => r.body).join('')).not.toContain('webhook-canary-value');
  });

  it('delivers the maintenance events by default: secret.expiring and rotation.failed, signed as documented', async () => {
    const { url, received } = await receiver(() => ({ status: 204 }));
    const notifier = webhookNotifier({ url, secret: SECRET });
    const clock = manualClock();
    const logger = { warn() {}, error() {} };
    const vault = createVault({ storage: memoryAdapter(), keys: testKeyWrapper(), clock, logger });
    vault.on(notifier);
    const DAY = 86_400_000;

    await vault.setSecret('hooks/expiring', 'expiring-canary-value', { expiresInDays: 10 });
    await vault.runMaintenance(); // ten days out: no warning yet
    await notifier.flush();
    expect(received).toEqual([]);
    clock.advance(3.5 * DAY); // inside the 7-day window
    await vault.runMaintenance();
    await notifier.flush();

    await vault.setSecret('hooks/rotating', 'rotating-canary-value', { rotation: { everySeconds: 3600 } });
    vault.registerRotationHandler('hooks/rotating', {
      create: async () => {
        throw new Error('provider refused');
      },
    });
    clock.advanceSeconds(3600);
    await vault.runMaintenance();
    await notifier.flush();

    expect(received.map((r) => r.headers['agentvault-event'])).toEqual(['secret.expiring', 'rotation.failed']);
    expect(received.every((r) => r.independentlyVerified)).toBe(true);
    expect(received.every((r) => r.verified)).toBe(true);
    type Delivery = { id: string; type: string; data: Record<string, unknown> };
    const [expiring, failed] = received.map((r) => JSON.parse(r.body) as Delivery);
    expect(expiring).toMatchObject({ type: 'secret.expiring', data: { path: 'hooks/expiring', warning: '7d' } });
    expect(failed).toMatchObject({ type: 'rotation.failed', data: { path: 'hooks/rotating', stage: 'create' } });
    expect([expiring!.id, failed!.id]).toEqual(received.map((r) => r.headers['agentvault-delivery']));
    const all = received.map((r) => r.body).join('');
    expect(all).not.toContain('expiring-canary-value');
    expect(all).not.toContain('rotating-canary-value');
    // A body touched in transit fails the hand-made check too, so the check is not vacuous.
    expect(checkSignatureByHand(received[0]!.headers['agentvault-signature'] as string, `${received[0]!.body} `)).toBe(false);
  });

  it('retries server errors and timeouts with the same delivery id, honouring Retry-After', async () => {
    const { url, received } = await receiver((attempt) =>
      attempt === 1 ? { status: 503, headers: { 'retry-after': '1' } } : attempt === 2 ? { status: 200, delayMs: 300 } : { status: 200 },
    );
    const failures: unknown[] = [];
    const notifier = webhookNotifier({ url, secret: SECRET, events: ['secret.purged'], timeoutMs: 150, retryDelayMs: 10, onFailure: (_d, e) => failures.push(e) });
    const started = performance.now();
    void notifier({ type: 'secret.purged', tenant: 't', path: 'a/b' });
    await notifier.flush();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['agentvault-delivery'])).size).toBe(1);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(failures).toEqual([]);
  });

  it('gives up on a refusal at once, and after the retries on lasting failure', async () => {
    const refused = await receiver(() => ({ status: 400 }));
    const failing = await receiver(() => ({ status: 500 }));
    const failures: string[] = [];
    for (const target of [refused, failing]) {
      const notifier = webhookNotifier({
        url: target.url,
        secret: SECRET,
        events: ['secret.purged'],
        retries: 2,
        retryDelayMs: 5,
        onFailure: (delivery) => failures.push(delivery.type),
      });
      void notifier({ type: 'secret.purged', tenant: 't', path: 'a/b' });
      await notifier.flush();
    }
    expect([refused.received.length, failing.received.length]).toEqual([1, 3]);
    expect(failures).toEqual(['secret.purged', 'secret.purged']);
  });

  it('verifies only an untouched body, the right secret and a fresh timestamp', () => {
    const body = '{"type":"rotation.failed"}';
    const now = 1_800_000_000;
    const header = signWebhook(SECRET, body, now);
    expect(verifyWebhookSignature({ secret: SECRET, header, body, now })).toBe(true);
    expect(verifyWebhookSignature({ secret: SECRET, header, body: `${body} `, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: `${SECRET}x`, header, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, header, body, now: now + 301 })).toBe(false);
    const flipped = header.replace(/v1=(.)/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    expect(verifyWebhookSignature({ secret: SECRET, header: flipped, body, now })).toBe(false);
    expect(verifyWebhookSignature({ secret: SECRET, header: 'garbage', body, now })).toBe(false);
    expect(() => webhookNotifier({ url: 'ftp://x', secret: SECRET })).toThrow(TypeError);
    expect(() => webhookNotifier({ url: 'http://x', secret: 'short' })).toThrow(TypeError);
  });
});
