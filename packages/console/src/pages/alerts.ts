/** The alerts panel: secrets expiring soon (or already expired) and failed rotations. */
import type { AuditEventView, SecretMetadata } from '@agentvault/core';
import { html } from '../html';
import { type Page, type PageContext, tierBadge, when } from '../views';
import { auditTable } from './audit';

export function alertsPage(ctx: PageContext, expiring: SecretMetadata[], windowDays: number, failures: AuditEventView[]): Page {
  return {
    status: 200,
    title: 'Alerts',
    section: 'alerts',
    body: html`<h1>Alerts</h1>
<section aria-labelledby="exp-h"><h2 id="exp-h">Expiring within ${windowDays} days <span class="muted">(${expiring.length})</span></h2>
${expiring.length === 0
  ? html`<p class="empty">No secret expires soon.</p>`
  : html`<table>
<thead><tr><th scope="col">Path</th><th scope="col">Tier</th><th scope="col">Expires</th><th scope="col">Description</th></tr></thead>
<tbody>${expiring.map((s) => html`<tr><td><a href="${ctx.base}/secret?${new URLSearchParams({ path: s.path }).toString()}"><code>${s.path}</code></a></td><td>${tierBadge(s.tier)}</td><td>${s.expiresAt && s.expiresAt.getTime() <= ctx.now ? html`<strong>expired</strong> ` : ''}${when(s.expiresAt, ctx.now)}</td><td>${s.description ?? ''}</td></tr>`)}</tbody></table>`}
</section>
<section aria-labelledby="rot-h"><h2 id="rot-h">Rotation failures <span class="muted">(last 30 days)</span></h2>
${auditTable(ctx, failures)}
</section>`,
  };
}
