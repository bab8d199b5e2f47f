/** The page shell and the small pieces every page uses. */
import type { Approval, Principal } from '@agentvault/core';
import { actorOf } from '@agentvault/core';
import { html, type HtmlPart, type SafeHtml } from './html';

export interface PageContext {
  /** The mount path (`/console`), prefix of every link. */
  base: string;
  principal: Principal;
  csrf: string;
  /** Whether the console shows a sign-out button (standalone sign-in). */
  canSignOut: boolean;
  now: number;
}

export type Section = 'approvals' | 'secrets' | 'alerts' | 'audit';

export interface Page {
  status: number;
  title: string;
  section: Section | null;
  body: SafeHtml;
}

const NAV: Array<[Section, string, string]> = [
  ['approvals', 'Approvals', '/approvals'],
  ['secrets', 'Secrets', '/secrets'],
  ['alerts', 'Alerts', '/alerts'],
  ['audit', 'Audit', '/audit'],
];

function shell(base: string, title: string, top: SafeHtml, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · AgentVault console</title>
<link rel="stylesheet" href="${base}/console.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${top}
<main id="main" tabindex="-1">
${body}
</main>
<footer class="foot">AgentVault console · values are never shown here</footer>
</body>
</html>
`.value;
}

export function layout(ctx: PageContext, page: Page): string {
  const who = ctx.principal.kind === 'key' || ctx.principal.kind === 'user' ? ctx.principal.roles.join(', ') : '';
  const top = html`<header class="top"><div class="bar">
<a class="brand" href="${ctx.base}/approvals">AgentVault</a>
<nav aria-label="Console"><ul>
${NAV.map(([section, label, path]) => html`<li><a href="${ctx.base}${path}"${page.section === section ? html` aria-current="page"` : ''}>${label}</a></li>`)}
</ul></nav>
<div class="who"><span>Signed in as <strong>${actorOf(ctx.principal)}</strong>${who ? html` <span class="muted">(${who})</span>` : ''}</span>
${ctx.canSignOut ? html`<form method="post" action="${ctx.base}/sign-out"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit">Sign out</button></form>` : ''}
</div>
</div></header>`;
  return shell(ctx.base, page.title, top, page.body);
}

/** A page for someone not signed in (the sign-in form, or a refusal). */
export function bareLayout(base: string, title: string, body: SafeHtml): string {
  const top = html`<header class="top"><div class="bar"><span class="brand">AgentVault</span></div></header>`;
  return shell(base, title, top, body);
}

export function tierBadge(tier: string): SafeHtml {
  return html`<span class="badge tier-${tier}">${tier}</span>`;
}

export function statusBadge(status: Approval['status']): SafeHtml {
  return html`<span class="badge st-${status}">${status}</span>`;
}

function relative(ms: number): string {
  const abs = Math.abs(ms);
  const [value, unit] =
    abs < 90_000
      ? [Math.round(abs / 1000), 'second']
      : abs < 90 * 60_000
        ? [Math.round(abs / 60_000), 'minute']
        : abs < 36 * 3_600_000
          ? [Math.round(abs / 3_600_000), 'hour']
          : [Math.round(abs / 86_400_000), 'day'];
  const text = `${value} ${unit}${value === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function when(date: Date | null, now: number): SafeHtml {
  if (!date) return html`<span class="muted">—</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time> <span class="muted">(${relative(date.getTime() - now)})</span>`;
}

export function notice(kind: 'ok' | 'error' | 'info', text: HtmlPart): SafeHtml {
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</div>`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

export function optional(text: string | null | undefined): SafeHtml {
  return text ? html`${text}` : html`<span class="muted">none</span>`;
}
