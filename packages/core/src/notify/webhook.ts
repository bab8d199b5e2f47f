/**
 * Webhook notifications: vault events POSTed as JSON to a URL, signed with HMAC-SHA256 over the
 * timestamp and the body, retried with backoff. Delivery runs in the background and never slows or
 * fails the vault operation that raised the event.
 *
 * Receivers verify with `verifyWebhookSignature` (or the same recipe in any language):
 *   header  AgentVault-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * compare in constant time, and refuse a timestamp more than five minutes from now (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../domain/ids';
import type { VaultEvent, VaultEventListener, VaultEventType } from '../vault/events';

export const SIGNATURE_HEADER = 'agentvault-signature';

export const DEFAULT_WEBHOOK_EVENTS: readonly VaultEventType[] = [
  'secret.expiring',
  'approval.requested',
  'approval.decided',
  'rotation.failed',
];

export interface WebhookNotifierOptions {
  url: string;
  /** The shared signing secret; at least 16 characters. */
  secret: string;
  /** Event types to deliver. Default: secret.expiring, approval.requested, approval.decided, rotation.failed. */
  events?: readonly VaultEventType[];
  /** Per-attempt timeout. Default 5,000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** First retry delay, doubled at each retry (with jitter). Default 500 ms. */
  retryDelayMs?: number;
  /** Called once a delivery is given up. */
  onFailure?: (delivery: WebhookDelivery, error: unknown) => void;
  fetch?: typeof fetch;
}

export interface WebhookDelivery {
  /** `whd_…`, the same across retries, so a receiver can drop duplicates. */
  id: string;
  type: VaultEventType;
  body: string;
}

/** A vault event listener (`vault.on(notifier)`) that delivers to a webhook. */
export type WebhookNotifier = VaultEventListener & {
  /** Wait until every delivery started so far has succeeded or been given up. */
  flush(): Promise<void>;
};

/** The signature header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Does `header` sign `body` (the raw request body) with `secret`, within `toleranceSeconds` of now? */
export function verifyWebhookSignature(input: {
  secret: string;
  header: string | null | undefined;
  body: string;
  toleranceSeconds?: number;
  /** Unix seconds; default the current time. */
  now?: number;
}): boolean {
  if (!input.header) return false;
  const fields = input.header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(fields.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp)) return false;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(input.secret, input.body, timestamp).slice(`t=${timestamp},v1=`.length), 'hex');
  return fields.some(([key, value]) => {
    if (key !== 'v1' || !value || !/^[0-9a-f]{64}$/.test(value)) return false;
    return timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}

const RETRIED_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export function webhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('webhookNotifier: url must be http(s)');
  if (typeof options.secret !== 'string' || options.secret.length < 16) {
    throw new TypeError('webhookNotifier: secret must be at least 16 characters');
  }
  const events = new Set(options.events ?? DEFAULT_WEBHOOK_EVENTS);
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const send = options.fetch ?? fetch;
  const inFlight = new Set<Promise<void>>();

  async function attempt(delivery: WebhookDelivery): Promise<{ retryAfterMs: number | null }> {
    const response = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'agentvault-webhook/1',
        'agentvault-event': delivery.type,
        'agentvault-delivery': delivery.id,
        [SIGNATURE_HEADER]: signWebhook(options.secret, delivery.body, Math.floor(Date.now() / 1000)),
      },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.ok) return { retryAfterMs: null };
    if (!RETRIED_STATUSES.has(response.status)) throw Object.assign(new Error(`webhook answered ${response.status}`), { final: true });
    const retryAfter = Number(response.headers.get('retry-after'));
    throw Object.assign(new Error(`webhook answered ${response.status}`), {
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 60) * 1000 : null,
    });
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await attempt(delivery);
        return;
      } catch (error) {
        const { final, retryAfterMs } = error as { final?: boolean; retryAfterMs?: number | null };
        if (final || retry >= retries) {
          options.onFailure?.(delivery, error);
          return;
        }
        const backoff = retryDelayMs * 2 ** retry * (0.5 + Math.random());
        await sleep(retryAfterMs ?? backoff);
      }
    }
  }

  const listener = ((event: VaultEvent) => {
    if (!events.has(event.type)) return;
    const { type, ...data } = event;
    const id = newId('whd');
    const delivery: WebhookDelivery = { id, type, body: JSON.stringify({ id, type, createdAt: new Date().toISOString(), data }) };
    const running = deliver(delivery).finally(() => inFlight.delete(running));
    inFlight.add(running);
  }) as WebhookNotifier;
  listener.flush = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  return listener;
}
