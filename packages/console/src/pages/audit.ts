/** The audit trail with the API's filters, and whether it verifies up to its last seal. */
import { AUDIT_EVENT_TYPES, type AuditEventView, type AuditPage, type AuditVerification } from '@agentvault/core';
import { z } from 'zod';
import { html, type SafeHtml } from '../html';
import { notice, type Page, type PageContext, when } from '../views';

const blank = (value: unknown) => (value === '' ? undefined : value);
/** `<input type="datetime-local">` sends `2026-12-07T03:00`; read it as UTC. */
const instant = z.preprocess(
  blank,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?$/, 'a date and time, e.g. 2026-12-07T03:00')
    .transform((text) => new Date(text.endsWith('Z') ? text : `${text}Z`))
    .optional(),
);

export const auditQuery = z.object({
  namespace: z.preprocess(blank, z.string().max(512).optional()),
  path: z.preprocess(blank, z.string().max(1024).optional()),
  actor: z.preprocess(blank, z.string().max(256).optional()),
  type: z.preprocess(blank, z.enum(AUDIT_EVENT_TYPES).optional()),
  since: instant,
  until: instant,
  success: z.preprocess(blank, z.enum(['yes', 'no']).optional()),
  order: z.preprocess(blank, z.enum(['desc', 'asc']).default('desc')),
  cursor: z.preprocess(blank, z.string().max(2048).optional()),
});
export type AuditQuery = z.output<typeof auditQuery>;

function detailsText(details: AuditEventView['details']): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`)
    .join(' ');
}

export function auditTable(ctx: PageContext, events: AuditEventView[], withPath = true): SafeHtml {
  if (events.length === 0) return html`<p class="empty">No event matches.</p>`;
  return html`<table>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Outcome</th>${withPath ? html`<th scope="col">Path</th>` : ''}<th scope="col">Actor</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td>${when(e.timestamp, ctx.now)}</td><td class="nowrap"><code>${e.type}</code>${e.version !== null ? html` v${e.version}` : ''}</td><td>${e.success ? html`<span class="badge st-approved">ok</span>` : html`<span class="badge st-denied">refused</span> <code>${e.error ?? ''}</code>`}</td>${withPath ? html`<td>${e.path ? html`<code>${e.path}</code>` : html`<span class="muted">—</span>`}</td>` : ''}<td><code>${e.actor}</code>${e.actorDescription ? html`<br><span class="muted">${e.actorDescription}</span>` : ''}</td><td>${e.ip ?? ''}${e.userAgent ? html`<br><span class="muted ua">${e.userAgent}</span>` : ''}</td><td>${detailsText(e.details)}</td></tr>`)}</tbody>
</table>`;
}

function verificationView(v: AuditVerification | Error): SafeHtml {
  if (v instanceof Error) return notice('error', html`The trail could not be verified: ${v.message}`);
  const tail = v.unsealed.count === 0
    ? html`no event after it.`
    : html`${v.unsealed.count} newer event${v.unsealed.count === 1 ? '' : 's'} not sealed yet${v.unsealed.exceedsBound ? html` — <strong>more than the sealing bound leaves: checkpoints may have been deleted</strong>` : ''}.`;
  if (v.ok) {
    return notice(
      v.unsealed.exceedsBound ? 'error' : 'ok',
      html`The audit trail verifies: ${v.checked} events in ${v.checkpoints} checkpoint${v.checkpoints === 1 ? '' : 's'}, every event intact up to the last seal (#${v.sealedSeq}); ${tail}`,
    );
  }
  const bad = v.firstBad!;
  return notice('error', html`The audit trail does not verify: at #${bad.seq} (${bad.reason}${bad.eventId ? html`, <code>${bad.eventId}</code>` : ''}).`);
}

const iso = (d: Date | undefined) => (d ? d.toISOString().slice(0, 16) : '');

export function auditPage(ctx: PageContext, query: AuditQuery, page: AuditPage, verification: AuditVerification | Error): Page {
  const keep: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || k === 'cursor') continue;
    keep[k] = v instanceof Date ? iso(v) : String(v);
  }
  const next = page.nextCursor ? `${ctx.base}/audit?${new URLSearchParams({ ...keep, cursor: page.nextCursor })}` : null;
  return {
    status: 200,
    title: 'Audit',
    section: 'audit',
    body: html`<h1>Audit trail</h1>
${verificationView(verification)}
<form method="get" action="${ctx.base}/audit" class="filters" role="search" aria-label="Filter the audit trail">
<div><label for="a-namespace">Namespace</label><input type="text" id="a-namespace" name="namespace" value="${query.namespace ?? ''}"></div>
<div><label for="a-path">Path</label><input type="text" id="a-path" name="path" value="${query.path ?? ''}"></div>
<div><label for="a-actor">Actor</label><input type="text" id="a-actor" name="actor" value="${query.actor ?? ''}" placeholder="key:key_…"></div>
<div><label for="a-type">Event</label><select id="a-type" name="type"><option value="">any</option>${AUDIT_EVENT_TYPES.map((t) => html`<option value="${t}"${t === query.type ? html` selected` : ''}>${t}</option>`)}</select></div>
<div><label for="a-since">Since (UTC)</label><input type="datetime-local" id="a-since" name="since" value="${iso(query.since)}"></div>
<div><label for="a-until">Until (UTC)</label><input type="datetime-local" id="a-until" name="until" value="${iso(query.until)}"></div>
<div><label for="a-success">Outcome</label><select id="a-success" name="success"><option value="">any</option><option value="yes"${query.success === 'yes' ? html` selected` : ''}>ok</option><option value="no"${query.success === 'no' ? html` selected` : ''}>refused</option></select></div>
<div><label for="a-order">Order</label><select id="a-order" name="order"><option value="desc"${query.order === 'desc' ? html` selected` : ''}>newest first</option><option value="asc"${query.order === 'asc' ? html` selected` : ''}>oldest first</option></select></div>
<div><button type="submit" class="primary">Filter</button></div>
</form>
${auditTable(ctx, page.events)}
${next ? html`<p class="pager"><a href="${next}">More events →</a></p>` : ''}`,
  };
}
