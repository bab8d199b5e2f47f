/** The standalone sign-in: an approver or admin agent key, exchanged once for a session. */
import { html, type SafeHtml } from '../html';
import { bareLayout, notice } from '../views';

export function signInPage(base: string, csrf: string, next: string, error: string | null): string {
  return bareLayout(
    base,
    'Sign in',
    html`<div class="signin card">
<h1>Sign in to the console</h1>
<p class="muted">Use an agent key with the <strong>approver</strong> or <strong>admin</strong> role. The key is checked once and then forgotten: the console keeps only a session.</p>
${error ? notice('error', error) : ''}
<form method="post" action="${base}/sign-in">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<label for="key">Agent key</label>
<input type="password" id="key" name="key" autocomplete="off" spellcheck="false" required maxlength="512" placeholder="ass_live_…">
<button type="submit" class="primary">Sign in</button>
</form>
</div>`,
  );
}

export function messagePage(
  base: string,
  title: string,
  message: SafeHtml | string,
  link?: { href: string; label: string },
): string {
  return bareLayout(
    base,
    title,
    html`<div class="signin card"><h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.label}</a></p>` : ''}</div>`,
  );
}
