/**
 * The console end to end in headless Chromium: an agent asks over HTTP, a human signs in and
 * decides in the page, the agent's waitForApproval gets the answer. Every page the browser sees is
 * kept and scanned for secret values and credentials at the end.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentVault } from '@agentvault/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startConsoleWorld, type ConsoleWorld } from './support/app';
import { axeViolations, type Browser, chromiumMissing, launchBrowser } from './support/browser';

const SECRETS: Record<string, { value: string; tier: 'standard' | 'sensitive' | 'critical'; tags?: Record<string, string> }> = {
  'production/postgres/main': { value: 'postgresql://app:pg-pass-7f3a91@db.internal/app', tier: 'critical', tags: { team: 'data' } },
  'production/postgres/replica': { value: 'postgresql://ro:pg-replica-55c2e0@replica/app', tier: 'critical' },
  'production/stripe/api-key': { value: 'sk_live_stripe_c0ffee1234', tier: 'sensitive', tags: { team: 'payments' } },
  'staging/openai/api-key': { value: 'sk-openai-staging-9a8b7c', tier: 'standard' },
};

const ROTATED = 'postgresql://app:rotated-pg-pass-0b1d2e@db.internal/app';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1';
const HOSTILE =
  '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> nightly migration \u001b[2J\u001b[31mRED\u001b[0m \u202Etxt.exe';

/** Every page's HTML the browser saw, with where it came from. */
const seen: Array<{ url: string; html: string }> = [];
const credentials: string[] = [];

async function snapshot(page: Page): Promise<string> {
  const text = await page.content();
  seen.push({ url: page.url(), html: text });
  return text;
}

async function world(): Promise<ConsoleWorld> {
  const w = await startConsoleWorld('express');
  onTestFinished(() => w.close());
  for (const [path, s] of Object.entries(SECRETS))
    await w.vault.setSecret(path, s.value, { tier: s.tier, ...(s.tags ? { tags: s.tags } : {}), expiresInDays: path.startsWith('production/stripe') ? 3 : undefined });
  credentials.push(...w.credentials);
  return w;
}

function agentOf(w: ConsoleWorld, key = w.agentKey): AgentVault {
  return new AgentVault({ baseUrl: w.api, agentKey: key, retries: 0 });
}

async function signIn(page: Page, w: ConsoleWorld, key: string, target = `${w.console}/approvals`): Promise<void> {
  await page.goto(target);
  expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  await snapshot(page);
  await page.getByLabel('Agent key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/console/sign-in');
  expect(page.url()).toBe(target);
}

/** Submit a form built in the page: what a forged or replayed post looks like, same origin. */
/** The page's globals as far as these tests use them (the repo's typecheck has no DOM lib). */
interface Element {
  id: string;
  innerText: string;
  method: string;
  action: string;
  type: string;
  name: string;
  value: string;
  append(child: Element): void;
  submit(): void;
}
interface PageGlobals {
  document: { createElement(tag: string): Element; body: Element; activeElement: Element | null };
  __pwned?: number;
}

async function postFromPage(page: Page, action: string, fields: Record<string, string>): Promise<number> {
  const response = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.evaluate(
    ({ action, fields }) => {
      const { document } = globalThis as unknown as PageGlobals;
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    },
    { action, fields },
  );
  const status = (await response).status();
  await page.waitForURL((url) => url.pathname === action);
  await page.waitForLoadState();
  return status;
}

const csrfOf = (page: Page) => page.locator('input[name="csrf"]').first().inputValue();

describe.skipIf(chromiumMissing !== null && process.env.CI !== 'true')(
  `console in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`,
  () => {
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      if (chromiumMissing) throw new Error(`CI=true and ${chromiumMissing}`);
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
    });

    async function freshPage(): Promise<Page> {
      await browser.context.clearCookies();
      page = await browser.context.newPage();
      onTestFinished(() => page.close());
      return page;
    }

    it('shows an agent\'s request in the inbox; a human signs in, approves with a comment, and waitForApproval gets the token', async () => {
      const w = await world();
      const agent = agentOf(w);
      const pending = await agent.requestToken({ scope: 'secrets:read:production/postgres/*', ttlSeconds: 600, description: 'nightly schema migration' });
      const id = pending.approvalRequestId!;
      expect(pending.approvalStatus).toBe('pending');
      expect(pending.approveUrl).toBe(`${w.console}/approvals/${id}`);
      const waiting = agent.waitForApproval(id, { pollIntervalMs: 100, timeoutMs: 30_000 });
      waiting.catch(() => undefined); // awaited below; a failure before that must not go unhandled

      const page = await freshPage();
      await signIn(page, w, w.approverKey);
      const card = page.locator('article', { has: page.locator(`a[href="/console/approvals/${id}"]`) });
      await expect.poll(() => card.count()).toBe(1);
      const text = await card.innerText();
      expect(text).toContain('nightly schema migration');
      expect(text).toContain('deploy-bot (CI agent)');
      expect(text).toContain('secrets:read:production/postgres/*');
      expect(text).toMatch(/critical/i);
      expect(text).toContain('2 existing secrets');
      expect(text).toContain('production/postgres/main');
      expect(text).toContain('0 of 1');
      await snapshot(page);
      if (SCREENSHOTS) await page.screenshot({ path: 'docs/inbox.png', fullPage: true });

      await page.goto(pending.approveUrl!);
      await snapshot(page);
      if (SCREENSHOTS) await page.screenshot({ path: 'docs/request.png', fullPage: true });
      await page.getByLabel('Comment').fill('ok for tonight, ticket OPS-42');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL(`${w.console}/approvals/${id}?done=approved`);
      const after = await snapshot(page);
      expect(after).toContain('Your approval is recorded');
      expect(await page.locator('.badge.st-approved').first().innerText()).toMatch(/approved/i);
      expect(after).toContain('ok for tonight, ticket OPS-42');

      const token = await waiting;
      expect(token.value).toMatch(/^ast_tok_/);
      credentials.push(token.value!);
      const reader = new AgentVault({ baseUrl: w.api, agentKey: token.value!, retries: 0 });
      expect((await reader.getSecret('production/postgres/main')).value).toBe(SECRETS['production/postgres/main']!.value);
      const decided = await w.vault.queryAudit({ type: 'approval.approve' });
      expect(decided.events[0]).toMatchObject({ success: true, actor: expect.stringMatching(/^key:/) });

      // The decided request stays in the inbox with its outcome; the page never holds the token.
      await page.goto(`${w.console}/approvals`);
      const inbox = await snapshot(page);
      expect(inbox).toContain('No request is waiting.');
      expect(await page.locator('table tr', { hasText: id }).innerText()).toMatch(/approved/i);
      expect(inbox).not.toContain(token.value!);
    });

    it('denies with a reason: the agent\'s waitForApproval is refused', async () => {
      const w = await world();
      const agent = agentOf(w);
      const pending = await agent.requestToken({ scope: 'secrets:read:production/stripe/*', description: 'refund job' });
      const id = pending.approvalRequestId!;
      const waiting = agent.waitForApproval(id, { pollIntervalMs: 100, timeoutMs: 30_000 }).then(
        () => null,
        (error: unknown) => error,
      );
      const page = await freshPage();
      await signIn(page, w, w.approverKey, `${w.console}/approvals/${id}`);
      await page.getByLabel('Reason').fill('use the read-only replica key instead');
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.waitForURL(`${w.console}/approvals/${id}?done=denied`);
      const text = await snapshot(page);
      expect(text).toContain('You denied this request.');
      expect(text).toContain('use the read-only replica key instead');
      expect(await page.locator('.badge.st-denied').first().innerText()).toMatch(/denied/i);
      const error = (await waiting) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/denied/);
    });

    it('refuses self-approval in the page: no decision forms, and a forced post is refused by the vault', async () => {
      const w = await world();
      const pending = await agentOf(w, w.bothKey).requestToken({ scope: 'secrets:read:production/postgres/*', description: 'my own request' });
      const id = pending.approvalRequestId!;
      const page = await freshPage();
      await signIn(page, w, w.bothKey, `${w.console}/approvals/${id}`);
      const text = await snapshot(page);
      expect(text).toContain('another approver must decide it');
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

      const status = await postFromPage(page, `/console/approvals/${id}/approve`, { csrf: await csrfOf(page), comment: 'me' });
      expect(status).toBe(403);
      const refused = await snapshot(page);
      expect(refused).toContain('The vault refused your decision: Nobody in a request');
      expect((await w.vault.getApproval(id)).status).toBe('pending');
    });

    it('refuses a post without the CSRF token, with a wrong one, and a cross-site post with a valid one', async () => {
      const w = await world();
      const pending = await agentOf(w).requestToken({ scope: 'secrets:read:production/postgres/*' });
      const id = pending.approvalRequestId!;
      const page = await freshPage();
      await signIn(page, w, w.approverKey, `${w.console}/approvals/${id}`);
      const csrf = await csrfOf(page);

      expect(await postFromPage(page, `/console/approvals/${id}/approve`, { comment: 'no token' })).toBe(403);
      expect(await snapshot(page)).toContain('did not come from this console');
      await page.goto(`${w.console}/approvals/${id}`);
      expect(await postFromPage(page, `/console/approvals/${id}/approve`, { csrf: `${csrf.slice(0, -2)}xx`, comment: 'bad token' })).toBe(403);

      // Another origin on the same host (same site, so the SameSite=Strict cookie still goes along),
      // holding even a valid token: Sec-Fetch-Site and Origin give it away.
      const evil: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>win a prize</title><form method="post" action="${w.console}/approvals/${id}/approve">`
          + `<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="comment" value="pwned"><button>Claim</button></form>`);
      });
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => {
        evil.closeAllConnections();
        return new Promise<void>((resolve) => evil.close(() => resolve()));
      });
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const response = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Claim' }).click();
      expect((await response).status()).toBe(403);
      await page.waitForURL(`${w.console}/approvals/${id}/approve`);
      await page.waitForLoadState();
      expect(await snapshot(page)).toContain('cross-site request');
      expect((await w.vault.getApproval(id)).status).toBe('pending');
    });

    it('shows a description full of markup and terminal escapes as inert, visible text', async () => {
      const w = await world();
      const sneaky = await w.vault.createAgentKey({ roles: ['admin'], description: '<b onmouseover="x()">bot</b>' });
      credentials.push(sneaky.value);
      let description = HOSTILE;
      let pending;
      try {
        pending = await agentOf(w, sneaky.value).requestToken({ scope: 'secrets:read:production/postgres/*', description });
      } catch (error) {
        // A vault that refuses control characters in free text (422) still gets the markup.
        expect((error as { code?: string }).code).toBe('validation_error');
        description = HOSTILE.replaceAll('\u001b', '').replaceAll('\u202E', '');
        pending = await agentOf(w, sneaky.value).requestToken({ scope: 'secrets:read:production/postgres/*', description });
      }
      const page = await freshPage();
      await signIn(page, w, w.approverKey, `${w.console}/approvals/${pending.approvalRequestId!}`);
      for (const url of [page.url(), `${w.console}/approvals`]) {
        await page.goto(url);
        const text = await snapshot(page);
        expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
        expect(await page.locator('script, img, b[onmouseover]').count()).toBe(0);
        const shown = await page.locator('main').innerText();
        expect(shown).toContain('<script>window.__pwned = 1</script>');
        expect(shown).toContain('<img src=x onerror="window.__pwned = 2">');
        expect(shown).toContain('<b onmouseover="x()">bot</b>');
        expect(text.includes('\u001b') || text.includes('\u202E')).toBe(false);
        if (description === HOSTILE) {
          expect(shown).toContain('U+001B[2J');
          expect(shown).toContain('U+202E');
        }
      }
    });

    it('approves with the keyboard alone (Tab and Enter)', async () => {
      const w = await world();
      const agent = agentOf(w);
      const pending = await agent.requestToken({ scope: 'secrets:read:production/postgres/*', description: 'keyboard run' });
      const id = pending.approvalRequestId!;
      const waiting = agent.waitForApproval(id, { pollIntervalMs: 100, timeoutMs: 30_000 });
      waiting.catch(() => undefined); // awaited below; a failure before that must not go unhandled
      const page = await freshPage();
      await page.goto(`${w.console}/approvals/${id}`);
      const tabTo = async (check: () => Promise<boolean>, what: string) => {
        for (let i = 0; i < 60; i++) {
          await page.keyboard.press('Tab');
          if (await check()) return;
        }
        throw new Error(`Tab never reached ${what}`);
      };
      const focusedId = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id ?? '');
      const focusedText = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.innerText ?? '');
      await tabTo(async () => (await focusedId()) === 'key', 'the key field');
      await page.keyboard.type(w.approverKey);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${w.console}/approvals/${id}`);
      await tabTo(async () => (await focusedId()) === `comment-${id}`, 'the comment field');
      await page.keyboard.type('approved from the keyboard');
      await tabTo(async () => (await focusedText()) === 'Approve', 'the Approve button');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${w.console}/approvals/${id}?done=approved`);
      await snapshot(page);
      const token = await waiting;
      credentials.push(token.value!);
      expect((await w.vault.getApproval(id)).decisions[0]).toMatchObject({ decision: 'approve', note: 'approved from the keyboard' });
    });

    it('has no axe-core violations on any page, and no page holds a value or a credential', async () => {
      const w = await world();
      await agentOf(w).requestToken({ scope: 'secrets:read:production/postgres/*', description: 'axe: pending' });
      const decided = await agentOf(w).requestToken({ scope: 'secrets:read:production/stripe/*', description: 'axe: denied' });
      await w.vault.deny(decided.approvalRequestId!, { reason: 'no' }, { token: w.approverKey });
      await w.vault.rotateSecret('production/postgres/main', ROTATED, { gracePeriodSeconds: 60 });
      const page = await freshPage();
      await page.goto(`${w.console}/sign-in`);
      const pages: string[] = [`${w.console}/sign-in`];
      expect(await axeViolations(page)).toEqual([]);
      await signIn(page, w, w.bothKey);
      const secretPage = `${w.console}/secret?${new URLSearchParams({ path: 'production/postgres/main' })}`;
      for (const url of [
        `${w.console}/approvals`,
        `${w.console}/approvals/${decided.approvalRequestId!}`,
        `${w.console}/secrets`,
        `${w.console}/secrets?namespace=production&tier=critical&tag=team%3Ddata`,
        secretPage,
        `${w.console}/alerts`,
        `${w.console}/audit`,
        `${w.console}/audit?type=approval.deny&success=yes`,
        `${w.console}/no-such-page`,
      ]) {
        await page.goto(url);
        pages.push(url);
        await snapshot(page);
        expect({ url, violations: await axeViolations(page) }).toEqual({ url, violations: [] });
      }
      await page.goto(`${w.console}/secrets?namespace=production&tier=critical&tag=team%3Ddata`);
      expect(await page.locator('tbody tr').count()).toBe(1);
      await page.goto(`${w.console}/alerts`);
      expect(await page.locator('main').innerText()).toContain('production/stripe/api-key');
      await page.goto(`${w.console}/audit`);
      expect(await page.locator('.notice.ok').innerText()).toContain('The audit trail verifies');
      expect(pages.length).toBeGreaterThan(9);

      const forbidden = [...Object.values(SECRETS).map((s) => s.value), ROTATED, ...credentials];
      expect(seen.length).toBeGreaterThan(15);
      for (const { url, html } of seen)
        for (const value of forbidden) expect({ url, leaked: html.includes(value) }).toEqual({ url, leaked: false });
    });
  },
);
