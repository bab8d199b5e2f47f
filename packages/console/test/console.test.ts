/** The console over plain HTTP on every binding: sessions, refusals, host sign-in, pages' content. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { escapeAttribute, escapeText, html } from '../src/html';
import { type Binding, type ConsoleWorld, startConsoleWorld } from './support/app';
import { ConsoleSession } from './support/http';

async function world(
  binding: Binding = 'express',
  options: Parameters<typeof startConsoleWorld>[1] = {},
  vaultOptions: Parameters<typeof startConsoleWorld>[2] = {},
): Promise<ConsoleWorld> {
  const w = await startConsoleWorld(binding, options, vaultOptions);
  onTestFinished(() => w.close());
  return w;
}

async function pendingRequest(w: ConsoleWorld, key = w.agentKey, description = 'migration'): Promise<string> {
  await w.vault.setSecret('production/postgres/main', 'pg-secret-value-1', { tier: 'critical' }).catch(() => undefined);
  const token = await w.vault.requestToken({ scope: 'secrets:read:production/postgres/*', description }, { token: key });
  return token.approvalRequestId!;
}

describe('escaping', () => {
  it('escapes markup and shows control and bidi characters as visible code points', () => {
    expect(escapeText('<img src=x onerror="a()">&\'')).toBe('&lt;img src=x onerror=&quot;a()&quot;&gt;&amp;&#39;');
    expect(escapeText('a\u001b[31mb\u202Ec\u200Bd\u0085')).toBe(
      'a<span class="ctl" title="invisible character">U+001B</span>[31mb<span class="ctl" title="invisible character">U+202E</span>c'
      + '<span class="ctl" title="invisible character">U+200B</span>d<span class="ctl" title="invisible character">U+0085</span>',
    );
    expect(escapeAttribute('"><script>\u001b')).toBe('&quot;&gt;&lt;script&gt;U+001B');
    expect(html`<p title="${'"x'}">${'<b>'}${html`<i>ok</i>`}</p>`.value).toBe('<p title="&quot;x">&lt;b&gt;<i>ok</i></p>');
  });
});

describe.each(['express', 'koa', 'fetch'] as const)('console on %s', (binding) => {
  it('signs in with an approver key for a server-side session and serves the pages under its mount', async () => {
    const w = await world(binding);
    const id = await pendingRequest(w);
    const s = new ConsoleSession(w.origin);
    const first = await s.get(`/console/approvals/${id}`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`/console/sign-in?next=${encodeURIComponent(`/console/approvals/${id}`)}`);

    const signedIn = await s.signIn(w.approverKey, `/console/approvals/${id}`);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe(`/console/approvals/${id}`);
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('agentvault_console='))!;
    expect(cookie).toMatch(/; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(cookie).not.toContain('Secure');
    const sessionId = s.cookies.get('agentvault_console')!;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toContain(w.approverKey);

    const page = await s.get(`/console/approvals/${id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      'default-src \'none\'; style-src \'self\'; img-src \'self\'; form-action \'self\'; frame-ancestors \'none\'; base-uri \'none\'',
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain(id);
    expect(page.text).not.toMatch(/<script|style=|\son[a-z]+=/i);
    const css = await s.get('/console/console.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await s.get('/console/nowhere')).status).toBe(404);
    // The API next to it is untouched.
    expect((await fetch(`${w.api}/openapi.json`)).status).toBe(200);
  });

  it('refuses posts without the CSRF token, from another origin or site, and of the wrong type', async () => {
    const w = await world(binding);
    const id = await pendingRequest(w);
    const s = new ConsoleSession(w.origin);
    await s.signIn(w.approverKey);
    const csrf = ConsoleSession.csrf((await s.get(`/console/approvals/${id}`)).text);
    const approve = `/console/approvals/${id}/approve`;
    expect((await s.post(approve, { comment: 'x' })).status).toBe(403);
    expect((await s.post(approve, { csrf: 'A'.repeat(43) })).status).toBe(403);
    const evilOrigin = await s.post(approve, { csrf }, { 'origin': 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(evilOrigin.status).toBe(403);
    expect(evilOrigin.text).toContain('cross-site request');
    expect((await s.post(approve, { csrf }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    const headersOnly = await s.request('POST', approve, { form: { csrf }, headers: { origin: 'http://evil.example' } });
    expect(headersOnly.status).toBe(403);
    const json = await s.request('POST', approve, { headers: { 'content-type': 'application/json', 'origin': w.origin }, form: { csrf } });
    expect(json.status).toBe(415);
    expect((await w.vault.getApproval(id)).status).toBe('pending');
    // Signed out, a post is refused whatever it carries.
    expect((await new ConsoleSession(w.origin).post(approve, { csrf })).status).toBe(403);

    const ok = await s.post(approve, { csrf, comment: 'fine' });
    expect(ok.status).toBe(303);
    expect((await w.vault.getApproval(id)).decisions[0]).toMatchObject({ decision: 'approve', note: 'fine' });
  });
});

describe('sessions', () => {
  it('refuses unknown and revoked keys and scoped tokens, a forged sign-in post, and a next outside the console', async () => {
    const w = await world();
    const s = new ConsoleSession(w.origin);
    const wrong = await s.signIn(`ass_live_${'x'.repeat(40)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That key was not accepted.');
    const gone = await w.vault.createAgentKey({ roles: ['approver'], description: 'left the company' });
    await w.vault.revokeAgentKey(gone.id);
    const revoked = await s.signIn(gone.value);
    expect(revoked.status).toBe(401);
    expect(revoked.text).not.toContain(gone.value);
    await w.vault.setSecret('staging/a', 'v');
    const token = await w.vault.requestToken({ scope: 'secrets:read:staging/*' }, { token: w.agentKey });
    expect((await s.signIn(token.value!)).status).toBe(401);
    // A sign-in post without the form's own token.
    const forged = await new ConsoleSession(w.origin).post('/console/sign-in', { csrf: 'x', key: w.approverKey });
    expect(forged.status).toBe(403);
    // `next` never leaves the console.
    const away = await new ConsoleSession(w.origin).signIn(w.approverKey, '//evil.example/x');
    expect(away.headers.get('location')).toBe('/console/approvals');
    const failures = await w.vault.queryAudit({ type: 'auth.authenticate', success: false });
    expect(failures.events.length).toBeGreaterThan(0);
  });

  it('ends a session at sign-out, after idling, and when its key is revoked', async () => {
    let now = Date.now();
    const w = await world('express', { now: () => now, sessions: { idleSeconds: 60, ttlSeconds: 600 } });
    const s = new ConsoleSession(w.origin);
    await s.signIn(w.approverKey);
    const page = await s.get('/console/approvals');
    expect(page.status).toBe(200);
    const stolen = s.cookieHeader;
    const out = await s.post('/console/sign-out', { csrf: ConsoleSession.csrf(page.text) });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join()).toMatch(/agentvault_console=; .*Max-Age=0/);
    expect((await fetch(`${w.console}/approvals`, { headers: { cookie: stolen }, redirect: 'manual' })).status).toBe(303);

    await s.signIn(w.approverKey);
    now += 61_000;
    expect((await s.get('/console/approvals')).status).toBe(303);

    await s.signIn(w.approverKey);
    expect((await s.get('/console/approvals')).status).toBe(200);
    const [approver] = (await w.vault.listAgentKeys()).filter((k) => k.description === 'Ada, on-call approver');
    await w.vault.revokeAgentKey(approver!.id);
    expect((await s.get('/console/approvals')).status).toBe(303);
  });

  it('sets the Secure flag when the public URL is https', async () => {
    const w = await world('express', { publicUrl: 'https://vault.example.com' });
    const s = new ConsoleSession(w.origin);
    const form = await s.get('/console/sign-in');
    expect(form.headers.getSetCookie()[0]).toContain('; Secure');
    // Posts must now come from the public origin.
    const refused = await s.post('/console/sign-in', { csrf: ConsoleSession.csrf(form.text), key: w.approverKey });
    expect(refused.status).toBe(403);
    const signed = await s.post('/console/sign-in', { csrf: ConsoleSession.csrf(form.text), key: w.approverKey }, { origin: 'https://vault.example.com' });
    expect(signed.status).toBe(303);
    expect(signed.headers.getSetCookie().find((c) => c.startsWith('agentvault_console='))).toContain('; Secure');
  });
});

describe('host sign-in', () => {
  const authenticate = (request: { headers: Record<string, string | string[] | undefined> }) => {
    const user = request.headers['x-test-user'];
    if (user === 'alice') return { kind: 'user' as const, id: 'alice', tenant: 'default', roles: ['approver' as const] };
    if (user === 'bob') return { kind: 'user' as const, id: 'bob', tenant: 'default', roles: [] };
    return null;
  };

  it('uses the host\'s authenticate hook: no key sign-in, decisions attributed to user:<id>', async () => {
    const w = await world('express', { authenticate: authenticate as never });
    const id = await pendingRequest(w);
    const anonymous = new ConsoleSession(w.origin);
    expect((await anonymous.get('/console/approvals')).status).toBe(401);
    expect((await anonymous.get('/console/sign-in')).status).toBe(401);

    const alice = new ConsoleSession(w.origin);
    const page = await alice.get(`/console/approvals/${id}`, { 'x-test-user': 'alice' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('user:alice');
    expect(page.text).not.toContain('Sign out');
    const csrf = ConsoleSession.csrf(page.text);
    expect((await alice.post(`/console/approvals/${id}/approve`, { csrf: `${csrf}x` }, { 'x-test-user': 'alice' })).status).toBe(403);
    const done = await alice.post(`/console/approvals/${id}/approve`, { csrf, comment: 'ok' }, { 'x-test-user': 'alice' });
    expect(done.status).toBe(303);
    expect((await w.vault.getApproval(id)).decisions[0]).toMatchObject({ by: 'user:alice', note: 'ok' });

    expect((await new ConsoleSession(w.origin).get('/console/approvals', { 'x-test-user': 'bob' })).status).toBe(403);
  });
});

describe('pages', () => {
  it('shows quorum progress: one approval of two leaves the request pending, and the approver is not asked again', async () => {
    const w = await world('express', {}, { approvals: { requiredApprovals: { critical: 2 } } });
    const id = await pendingRequest(w);
    const ada = new ConsoleSession(w.origin);
    await ada.signIn(w.approverKey);
    const before = (await ada.get(`/console/approvals/${id}`)).text;
    expect(before).toContain('<span class="quorum">0 of 2</span>');
    await ada.post(`/console/approvals/${id}/approve`, { csrf: ConsoleSession.csrf(before), comment: 'first' });
    const after = (await ada.get(`/console/approvals/${id}`)).text;
    expect(after).toContain('<span class="quorum">1 of 2</span>');
    expect(after).toContain('it waits for other approvers');
    expect(after).not.toContain('>Approve</button>');
    const lead = new ConsoleSession(w.origin);
    await lead.signIn(w.bothKey);
    const page = (await lead.get(`/console/approvals/${id}`)).text;
    expect((await lead.post(`/console/approvals/${id}/approve`, { csrf: ConsoleSession.csrf(page) })).status).toBe(303);
    expect((await w.vault.getApproval(id)).status).toBe('approved');
  });

  it('shows a token requester\'s lineage up to the key, and what the scope reaches', async () => {
    const w = await world();
    await w.vault.setSecret('production/app/flag', 'on');
    const parent = await w.vault.requestToken({ scope: 'secrets:read:production/*', description: 'release pipeline' }, { token: w.agentKey });
    await w.vault.setSecret('production/postgres/main', 'pg-secret-value-1', { tier: 'critical' });
    await w.vault.setSecret('production/postgres/replica', 'pg-secret-value-2', { tier: 'critical' });
    const child = await w.vault.requestToken({ scope: 'secrets:read:production/postgres/*', description: 'db step' }, { token: parent.value! });
    const s = new ConsoleSession(w.origin);
    await s.signIn(w.approverKey);
    const page = (await s.get(`/console/approvals/${child.approvalRequestId!}`)).text;
    const lineage = page.slice(page.indexOf('<ol class="lineage">'), page.indexOf('</ol>'));
    expect(lineage).toContain(`token:${parent.id}`);
    expect(lineage).toContain('release pipeline');
    expect(lineage).toContain('minted by');
    expect(lineage).toContain('deploy-bot (CI agent)');
    expect(page).toContain('2 existing secrets');
    expect(page).not.toContain('pg-secret-value');
    const reads = await w.vault.queryAudit({ type: 'secret.list' });
    expect(reads.events[0]!.actor).toMatch(/^app:console@key:key_/);
  });

  it('shows alerts (expiring soon, failed rotations) and the audit verification to an admin; refuses them to an approver in the page', async () => {
    const w = await world();
    await w.vault.setSecret('production/stripe/api-key', 'sk_live_abc', { expiresInDays: 2 });
    await w.vault.setSecret('production/far', 'later', { expiresInDays: 60 });
    await w.vault.setSecret('production/openai/key', 'sk-openai', { type: 'api_key', rotation: { everySeconds: 86_400 } });
    w.vault.registerRotationHandler('api_key', { create: () => Promise.reject(new TypeError('provider down')) });
    await expect(w.vault.rotateNow('production/openai/key')).rejects.toThrow();

    const admin = new ConsoleSession(w.origin);
    await admin.signIn(w.bothKey);
    const alerts = (await admin.get('/console/alerts')).text;
    expect(alerts).toContain('production/stripe/api-key');
    expect(alerts).not.toContain('production/far');
    const failures = alerts.slice(alerts.indexOf('Rotation failures'));
    expect(failures).toContain('production/openai/key');
    expect(failures).toContain('rotation_failed');
    const audit = await admin.get('/console/audit?type=secret.rotate&success=no');
    expect(audit.text).toContain('The audit trail verifies');
    expect(audit.text).toContain('production/openai/key');
    const filtered = await admin.get('/console/secrets?type=api_key');
    expect(filtered.text).toContain('production/openai/key');
    expect(filtered.text).not.toContain('production/stripe/api-key');
    expect((await admin.get('/console/audit?since=yesterday')).status).toBe(422);
    const secret = await admin.get(`/console/secret?path=${encodeURIComponent('production/openai/key')}`);
    expect(secret.status).toBe(200);
    expect(secret.text).toContain('Versions');
    for (const page of [alerts, audit.text, filtered.text, secret.text]) expect(page).not.toMatch(/sk_live_abc|sk-openai|later/);

    const approver = new ConsoleSession(w.origin);
    await approver.signIn(w.approverKey);
    const refused = await approver.get('/console/secrets');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('needs the admin role');
    expect(refused.text).toContain('Sign out');
  });
});
