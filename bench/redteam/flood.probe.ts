/**
 * Finding 3: 50,000 requests with made-up `ast_tok_…` credentials from one address. Before the
 * fix each was looked up, answered 401 and audited one by one (server memory 148 → 372 MB). Now
 * the address's failed-authentication budget (100 a minute) runs out and the rest are refused with
 * 429 before any hashing or lookup, and the refusals reach the audit trail as a few aggregate events.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { type Figure, fmt, mib, type Probe, startVaultServer } from './lib';

const REQUESTS = 50_000;
const CONCURRENCY = 32;
/** The probe gives up (and reports what it saw) after this long. */
const TIME_LIMIT_MS = 180_000;
/** A short aggregation window, so the probe sees every window written without waiting a minute. */
const WINDOW_SECONDS = 5;

function get(agent: Agent, url: URL, credential: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${credential}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export const probe: Probe = {
  name: 'flood',
  finding: `unauthenticated flood: ${fmt(REQUESTS)} requests with random ast_tok_ credentials from one address`,
  async run() {
    const server = await startVaultServer({ refusalWindowSeconds: WINDOW_SECONDS });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    try {
      const url = new URL(`${server.url}/secrets/${encodeURIComponent('production/db/password')}`);
      // Warm up with legitimate traffic so the baseline is a server that has served requests.
      for (let i = 0; i < 200; i++) await get(agent, new URL(`${server.url}/secrets`), server.adminKey);
      const before = await server.stats();
      const statuses = new Map<number, number>();
      const started = performance.now();
      let sent = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (sent < REQUESTS && performance.now() - started < TIME_LIMIT_MS) {
            sent++;
            const status = await get(agent, url, `ast_tok_${randomBytes(24).toString('base64url')}`);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const during = await server.stats();
      // Let the last aggregation window end and be written.
      await new Promise((resolve) => setTimeout(resolve, (WINDOW_SECONDS + 2) * 1000));
      const after = await server.stats();

      const limited = statuses.get(429) ?? 0;
      const unauthorized = statuses.get(401) ?? 0;
      const other = sent - limited - unauthorized;
      const appendedDuring = during.auditAppends - before.auditAppends;
      const appended = after.auditAppends - before.auditAppends;
      const windows = Math.ceil((seconds + WINDOW_SECONDS + 2) / WINDOW_SECONDS) + 1;
      const figures: Figure[] = [
        { name: 'requests sent', value: sent, target: fmt(REQUESTS), ok: sent === REQUESTS },
        { name: 'answered 429 rate_limited', value: limited, target: '≥ 49,000', ok: limited >= 49_000 },
        { name: 'answered 401 unauthorized', value: unauthorized },
        { name: 'answered otherwise', value: other, target: '0', ok: other === 0 },
        { name: 'flood duration', value: `${seconds.toFixed(1)} s (${fmt(Math.round(sent / seconds))} req/s)` },
        { name: 'audit events appended during the flood', value: appendedDuring },
        {
          name: `audit events appended in all (windows of ${WINDOW_SECONDS} s)`,
          value: appended,
          target: `≤ 2 per window (${2 * windows})`,
          ok: appended <= 2 * windows,
        },
        {
          name: 'refusals counted in those events',
          value: after.aggregatedRefusals - before.aggregatedRefusals,
          target: fmt(limited + unauthorized),
          ok: after.aggregatedRefusals - before.aggregatedRefusals === limited + unauthorized,
        },
        { name: 'server RSS before → after (after a full GC)', value: `${mib(before.rss)} → ${mib(after.rss)}` },
        {
          name: 'server heap in use before → after (after a full GC)',
          value: `${mib(before.heapUsed)} → ${mib(after.heapUsed)}`,
          target: '< +16 MiB',
          ok: after.heapUsed - before.heapUsed < 16 * 1024 * 1024,
        },
      ];
      return figures;
    } finally {
      agent.destroy();
      await server.close();
    }
  },
};
