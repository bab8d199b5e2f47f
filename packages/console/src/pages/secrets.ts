/** The secrets browser: metadata, versions and audit of secrets. Never a value: no page calls getSecret. */
import { type AuditEventView, SECRET_TYPES, type SecretList, type SecretMetadata, type SecretVersion, TIERS } from '@agentvault/core';
import { z } from 'zod';
import { html, type SafeHtml } from '../html';
import { type Page, type PageContext, optional, tierBadge, when } from '../views';
import { auditTable } from './audit';

const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

export const secretsQuery = z.object({
  namespace: z.preprocess(blankToUndefined, z.string().max(512).optional()),
  tag: z.preprocess(
    blankToUndefined,
    z.string().max(400).regex(/^[A-Za-z0-9_.:/-]+=.*$/s, 'a tag filter is key=value').optional(),
  ),
  tier: z.preprocess(blankToUndefined, z.enum(TIERS).optional()),
  type: z.preprocess(blankToUndefined, z.enum(SECRET_TYPES).optional()),
  cursor: z.preprocess(blankToUndefined, z.string().max(2048).optional()),
});
export type SecretsQuery = z.output<typeof secretsQuery>;

export const secretQuery = z.object({ path: z.string().min(1).max(1024) });

function select(name: string, label: string, options: readonly string[], chosen: string | undefined): SafeHtml {
  return html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option value="${o}"${o === chosen ? html` selected` : ''}>${o}</option>`,
  )}</select></div>`;
}

function tags(tagsOf: Record<string, string>): SafeHtml {
  const entries = Object.entries(tagsOf);
  return entries.length === 0 ? html`<span class="muted">—</span>` : html`${entries.map(([k, v]) => html`<code>${k}=${v}</code> `)}`;
}

export function secretsPage(ctx: PageContext, query: SecretsQuery, list: SecretList): Page {
  const next = list.nextCursor
    ? `${ctx.base}/secrets?${new URLSearchParams({ ...Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')), cursor: list.nextCursor } as Record<string, string>)}`
    : null;
  return {
    status: 200,
    title: 'Secrets',
    section: 'secrets',
    body: html`<h1>Secrets</h1>
<p class="lede">Metadata only: values never leave the vault through this console.</p>
<form method="get" action="${ctx.base}/secrets" class="filters" role="search" aria-label="Filter secrets">
<div><label for="f-namespace">Namespace</label><input type="text" id="f-namespace" name="namespace" value="${query.namespace ?? ''}" placeholder="production/openai"></div>
<div><label for="f-tag">Tag</label><input type="text" id="f-tag" name="tag" value="${query.tag ?? ''}" placeholder="team=payments"></div>
${select('tier', 'Tier', TIERS, query.tier)}
${select('type', 'Type', SECRET_TYPES, query.type)}
<div><button type="submit" class="primary">Filter</button></div>
</form>
<p>${list.total} secret${list.total === 1 ? '' : 's'}${query.namespace ? html` under <code>${query.namespace}</code>` : ''}</p>
${list.items.length === 0
  ? html`<p class="empty">No secret matches.</p>`
  : html`<table>
<thead><tr><th scope="col">Path</th><th scope="col">Tier</th><th scope="col">Type</th><th scope="col">Tags</th><th scope="col">Version</th><th scope="col">Updated</th><th scope="col">Expires</th></tr></thead>
<tbody>${list.items.map((s) => html`<tr><td><a href="${ctx.base}/secret?${new URLSearchParams({ path: s.path }).toString()}"><code>${s.path}</code></a></td><td>${tierBadge(s.tier)}</td><td>${s.type}</td><td>${tags(s.tags)}</td><td>v${s.version}</td><td>${when(s.updatedAt, ctx.now)}</td><td>${when(s.expiresAt, ctx.now)}</td></tr>`)}</tbody>
</table>`}
${next ? html`<p class="pager"><a href="${next}">Next page →</a></p>` : ''}`,
  };
}

export function secretPage(
  ctx: PageContext,
  meta: SecretMetadata,
  versions: SecretVersion[],
  events: AuditEventView[],
): Page {
  return {
    status: 200,
    title: meta.path,
    section: 'secrets',
    body: html`<p><a href="${ctx.base}/secrets">← All secrets</a></p>
<h1><code>${meta.path}</code></h1>
<section class="card" aria-labelledby="meta-h"><h2 id="meta-h">Metadata</h2>
<dl class="facts">
<dt>Tier</dt><dd>${tierBadge(meta.tier)}</dd>
<dt>Type</dt><dd>${meta.type}</dd>
<dt>Description</dt><dd>${optional(meta.description)}</dd>
<dt>Tags</dt><dd>${tags(meta.tags)}</dd>
<dt>Current version</dt><dd>v${meta.version} <span class="muted">(latest v${meta.latestVersion})</span></dd>
<dt>Created</dt><dd>${when(meta.createdAt, ctx.now)} by <code>${meta.createdBy}</code></dd>
<dt>Updated</dt><dd>${when(meta.updatedAt, ctx.now)} by <code>${meta.updatedBy}</code></dd>
<dt>Last read</dt><dd>${when(meta.accessedAt, ctx.now)}</dd>
<dt>Expires</dt><dd>${when(meta.expiresAt, ctx.now)}</dd>
</dl></section>
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
<table><thead><tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">By</th><th scope="col">Readable until</th><th scope="col">Key</th></tr></thead>
<tbody>${versions.map((v) => html`<tr><td>v${v.version}</td><td>${v.isActive ? html`<span class="badge st-approved">current</span>` : 'earlier'}</td><td>${when(v.createdAt, ctx.now)}</td><td><code>${v.createdBy}</code></td><td>${v.retiresAt ? when(v.retiresAt, ctx.now) : html`<span class="muted">no limit</span>`}</td><td><code>${v.keyId}</code></td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="events-h"><h2 id="events-h">Audit events</h2>
${auditTable(ctx, events, false)}
</section>`,
  };
}
