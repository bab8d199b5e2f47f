/** The approvals inbox and a request's own page (where `approve_url` points). */
import { actorOf, type Approval } from '@agentvault/core';
import { html, type SafeHtml } from '../html';
import type { Inspector, LineageStep, Reach } from '../inspect';
import { csrfField, notice, optional, type Page, type PageContext, statusBadge, tierBadge, when } from '../views';

export interface ApprovalFacts {
  approval: Approval;
  reach: Reach | null;
  lineage: LineageStep[];
}

/** What the page shows of a request besides the request itself: best effort, never fatal. */
export async function factsOf(inspect: Inspector, approval: Approval): Promise<ApprovalFacts> {
  const [reach, lineage] = await Promise.all([
    inspect.reach(approval.scope).catch(() => null),
    inspect.lineage(approval).catch(() => [
      { actor: approval.requestedBy, description: approval.requesterDescription, note: null },
    ]),
  ]);
  return { approval, reach, lineage };
}

function reachView(reach: Reach | null): SafeHtml {
  if (!reach) return html`<span class="muted">unknown</span>`;
  if (reach.count === 0) return html`no existing secret <span class="muted">(the scope may still match secrets created later, up to this tier)</span>`;
  const count = `${reach.count}${reach.more ? '+' : ''} existing secret${reach.count === 1 ? '' : 's'}`;
  return html`<div class="reach">${count}${reach.count > reach.first.length ? ', first:' : ':'}<ul>${reach.first.map((p) => html`<li><code>${p}</code></li>`)}</ul></div>`;
}

function lineageView(steps: LineageStep[]): SafeHtml {
  return html`<ol class="lineage">${steps.map(
    (s, i) => html`<li>${i > 0 ? html`<span class="muted">minted by</span> ` : ''}<code>${s.actor}</code>${s.description ? html` — ${s.description}` : ''}${s.note ? html` <span class="muted">(${s.note})</span>` : ''}</li>`,
  )}</ol>`;
}

function quorum(approval: Approval): SafeHtml {
  const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
  return html`<span class="quorum">${approvals} of ${approval.requiredApprovals}</span> approval${approval.requiredApprovals === 1 ? '' : 's'}`;
}

function decisionsView(approval: Approval, now: number): SafeHtml {
  if (approval.decisions.length === 0) return html`<span class="muted">none yet</span>`;
  return html`<ul>${approval.decisions.map(
    (d) => html`<li><strong>${d.decision === 'approve' ? 'Approved' : 'Denied'}</strong> by <code>${d.by}</code> ${when(d.at, now)}${d.note ? html`: “${d.note}”` : ''}</li>`,
  )}</ul>`;
}

function decisionForms(ctx: PageContext, approval: Approval, lineage: LineageStep[]): SafeHtml {
  if (approval.status !== 'pending') return html``;
  const me = actorOf(ctx.principal);
  if (lineage.some((step) => step.actor === me) || approval.requestedBy === me)
    return notice('info', html`You are in this request's lineage (<code>${me}</code>): another approver must decide it.`);
  if (approval.decisions.some((d) => d.by === me))
    return notice('info', 'You have decided this request; it waits for other approvers.');
  if (ctx.principal.kind !== 'app' && !('roles' in ctx.principal && ctx.principal.roles.includes('approver')))
    return notice('info', 'Deciding requests needs the approver role.');
  const id = approval.id;
  return html`<div class="decide">
<form method="post" action="${ctx.base}/approvals/${id}/approve">${csrfField(ctx.csrf)}
<label for="comment-${id}">Comment <span class="hint">(optional, kept in the audit trail)</span></label>
<textarea id="comment-${id}" name="comment" maxlength="1024"></textarea>
<button type="submit" class="approve">Approve</button>
</form>
<form method="post" action="${ctx.base}/approvals/${id}/deny">${csrfField(ctx.csrf)}
<label for="reason-${id}">Reason <span class="hint">(optional, sent to the requester)</span></label>
<textarea id="reason-${id}" name="reason" maxlength="1024"></textarea>
<button type="submit" class="deny">Deny</button>
</form>
</div>`;
}

function requestCard(ctx: PageContext, facts: ApprovalFacts, headingLevel: 2 | 3): SafeHtml {
  const { approval: a, reach, lineage } = facts;
  const heading = html`<a href="${ctx.base}/approvals/${a.id}" class="id">${a.id}</a>`;
  return html`<article class="card" aria-labelledby="h-${a.id}">
<header>${headingLevel === 2 ? html`<h2 id="h-${a.id}">${heading}</h2>` : html`<h3 id="h-${a.id}">${heading}</h3>`} ${statusBadge(a.status)} ${tierBadge(a.tier)}</header>
<dl class="facts">
<dt>Asked by</dt><dd>${lineageView(lineage)}</dd>
<dt>Purpose</dt><dd>${optional(a.description)}</dd>
<dt>Scope</dt><dd><code>${a.scope}</code></dd>
<dt>Reaches</dt><dd>${reachView(reach)}</dd>
<dt>Token</dt><dd>lives ${Math.round(a.ttlSeconds / 60)} min${a.maxUses !== null ? `, ${a.maxUses} use${a.maxUses === 1 ? '' : 's'}` : ''}${a.allowedIps ? html`, from <code>${a.allowedIps.join(', ')}</code>` : ''}</dd>
<dt>Asked</dt><dd>${when(a.createdAt, ctx.now)}</dd>
<dt>${a.status === 'pending' ? 'Expires' : 'Expiry'}</dt><dd>${when(a.expiresAt, ctx.now)}</dd>
<dt>Quorum</dt><dd>${quorum(a)}</dd>
<dt>Decisions</dt><dd>${decisionsView(a, ctx.now)}</dd>
${a.status === 'approved' ? html`<dt>Collected</dt><dd>${a.claimedAt ? when(a.claimedAt, ctx.now) : html`<span class="muted">not yet</span>`}</dd>` : ''}
</dl>
${decisionForms(ctx, a, lineage)}
</article>`;
}

export function inboxPage(ctx: PageContext, pending: ApprovalFacts[], decided: Approval[], flash: SafeHtml | null): Page {
  return {
    status: 200,
    title: 'Approvals',
    section: 'approvals',
    body: html`<h1>Approvals</h1>
<p class="lede">Token requests waiting for a human. Nothing here ever shows a secret's value or a token.</p>
${flash}
<section aria-labelledby="pending-h"><h2 id="pending-h">Pending <span class="muted">(${pending.length})</span></h2>
${pending.length === 0 ? html`<p class="empty">No request is waiting.</p>` : pending.map((f) => requestCard(ctx, f, 3))}
</section>
<section aria-labelledby="decided-h"><h2 id="decided-h">Decided</h2>
${decided.length === 0
  ? html`<p class="empty">Nothing decided yet.</p>`
  : html`<table>
<thead><tr><th scope="col">Request</th><th scope="col">Outcome</th><th scope="col">Asked by</th><th scope="col">Scope</th><th scope="col">Tier</th><th scope="col">Decided</th><th scope="col">Note</th></tr></thead>
<tbody>${decided.map((a) => {
  const last = a.decisions.at(-1);
  return html`<tr><td><a href="${ctx.base}/approvals/${a.id}"><code>${a.id}</code></a></td><td>${statusBadge(a.status)}</td><td><code>${a.requestedBy}</code></td><td><code>${a.scope}</code></td><td>${tierBadge(a.tier)}</td><td>${last ? html`<code>${last.by}</code> ${when(last.at, ctx.now)}` : when(a.decidedAt ?? a.expiresAt, ctx.now)}</td><td>${optional(last?.note)}</td></tr>`;
})}</tbody></table>`}
</section>`,
  };
}

export function requestPage(ctx: PageContext, facts: ApprovalFacts, flash: SafeHtml | null, status = 200): Page {
  return {
    status,
    title: `Request ${facts.approval.id}`,
    section: 'approvals',
    body: html`<p><a href="${ctx.base}/approvals">← All requests</a></p>
<h1>Token request</h1>
${flash}
${requestCard(ctx, facts, 2)}`,
  };
}
