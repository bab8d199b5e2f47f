/**
 * Free text is printable text (issue 19, finding 5), and scopes are bounded (finding 4, in part):
 * every entry point refuses control characters and bidirectional overrides with 422, over HTTP and
 * in process alike, and a User-Agent's raw bytes are stored escaped.
 */
import { request as httpRequest } from 'node:http';
import { expect, it } from 'vitest';
import { AgentVaultValidationError } from '../../../src/errors';
import { enc } from '../support/world';
import { type ContractContext, expectError } from './context';

const ESC = '\u001b';
/** Clears the screen and writes a fake "approved" line: what an agent would hide in a description. */
const REDRAW = `${ESC}[2J${ESC}[H${ESC}[32mread-only access to staging/docs${ESC}[0m`;
const RLO = '\u202e';

/** The issues of a 422, by field. */
function issuePaths(error: { [key: string]: unknown }): string[] {
  return ((error.issues ?? []) as { path: (string | number)[] }[]).map((issue) => issue.path.join('.'));
}

export function freeTextContract(ctx: ContractContext): void {
  it('refuses control characters and bidirectional overrides in descriptions and tag values (422)', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const refused: [string, unknown][] = [
      ['description', { path: 'a/one', value: 'v', description: REDRAW }],
      ['description', { path: 'a/two', value: 'v', description: `invoice${RLO}fdp.exe` }],
      ['description', { path: 'a/three', value: 'v', description: 'two\nlines' }],
      ['description', { path: 'a/four', value: 'v', description: 'over\rwrite' }],
      ['description', { path: 'a/five', value: 'v', description: 'c1 \u009b31m csi' }],
      ['description', { path: 'a/six', value: 'v', description: 'isolate \u2066x\u2069' }],
      ['tags.owner', { path: 'a/seven', value: 'v', tags: { owner: `team${ESC}]8;;http://evil${ESC}\\` } }],
    ];
    for (const [field, body] of refused) {
      const error = expectError(await api.request('POST', '/secrets', { json: body }), 422, 'validation_error');
      expect(issuePaths(error)).toContain(field);
    }
    expect((await w.vault.listSecrets()).items).toHaveLength(0);

    // Printable text, right-to-left text with its marks included, is accepted.
    const fine = await api.request('POST', '/secrets', {
      json: { path: 'a/ok', value: 'v', description: 'מפתח \u200fAPI\u200f — clé «prod» 🔑', tags: { owner: 'équipe-α' } },
    });
    expect(fine.status).toBe(201);
    const update = await api.request('PUT', `/secrets/${enc('a/ok')}`, { json: { description: `x${ESC}[8m` } });
    expect(issuePaths(expectError(update, 422, 'validation_error'))).toContain('description');

    // In process, the same rule.
    await expect(w.vault.setSecret('a/in-process', 'v', { description: REDRAW })).rejects.toBeInstanceOf(
      AgentVaultValidationError,
    );
    await expect(w.vault.createAgentKey({ description: `ci${RLO}` })).rejects.toBeInstanceOf(AgentVaultValidationError);
  });

  it('refuses them in token requests, comments and reasons; comments may span lines', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    await api.request('POST', '/secrets', { json: { path: 'production/db', value: 'v', tier: 'critical' } });
    const spoofed = await api.request('POST', '/tokens', {
      json: { scope: 'secrets:read:production/*', description: `${ESC}[1A${ESC}[2Knightly backup` },
    });
    expect(issuePaths(expectError(spoofed, 422, 'validation_error'))).toContain('description');

    const ask = async () =>
      (await api.request('POST', '/tokens', { json: { scope: 'secrets:read:production/*', description: 'backup' } })).body
        .approval_request_id as string;
    const approver = w.api(w.approver);
    const first = await ask();
    const badComment = await approver.request('POST', `/approvals/${first}/approve`, { json: { comment: `ok${ESC}[8m` } });
    expect(issuePaths(expectError(badComment, 422, 'validation_error'))).toContain('comment');
    const approved = await approver.request('POST', `/approvals/${first}/approve`, {
      json: { comment: 'Checked with the on-call:\n\t- backup window 02:00' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body.decisions[0].note).toBe('Checked with the on-call:\n\t- backup window 02:00');

    const second = await ask();
    const badReason = await approver.request('POST', `/approvals/${second}/deny`, { json: { reason: `no${RLO}` } });
    expect(issuePaths(expectError(badReason, 422, 'validation_error'))).toContain('reason');
    const carriage = await approver.request('POST', `/approvals/${second}/deny`, { json: { reason: 'a\rb' } });
    expectError(carriage, 422, 'validation_error');
    await expect(w.vault.deny(second, { reason: `x${ESC}c` }, { principal: { kind: 'app', name: 'x', tenant: 'default' } }))
      .rejects.toBeInstanceOf(AgentVaultValidationError);
  });

  it('bounds a scope: at most 20 grants and 4096 characters (422), documented in OpenAPI', async () => {
    const w = await ctx.world();
    const api = w.api(w.admin);
    const grants = (n: number) => Array.from({ length: n }, (_, i) => `secrets:read:team${i}/*`).join(' ');
    expect((await api.request('POST', '/tokens', { json: { scope: grants(20) } })).status).toBe(201);
    const many = await api.request('POST', '/tokens', { json: { scope: grants(21) } });
    expect(issuePaths(expectError(many, 422, 'validation_error'))).toContain('scope');
    const long = await api.request('POST', '/tokens', { json: { scope: `secrets:read:${'a'.repeat(4090)}/*` } });
    expectError(long, 422, 'validation_error');
    await expect(w.vault.requestToken({ scope: grants(21) })).rejects.toBeInstanceOf(AgentVaultValidationError);

    const doc = (await w.api(null).request('GET', '/openapi.json')).body;
    const body = doc.paths['/tokens'].post.requestBody.content['application/json'].schema;
    const scope = (body.$ref ? doc.components.schemas[body.$ref.split('/').at(-1)] : body).properties.scope;
    expect(scope).toMatchObject({ maxLength: 4096 });
    expect(scope.description).toContain('at most 20 grants');
  });

  it('stores a User-Agent with raw bytes escaped, never as control characters', async () => {
    const w = await ctx.world();
    await w.api(w.admin).request('POST', '/secrets', { json: { path: 'a/b', value: 'v' } });
    const url = new URL(`${w.server.url}/secrets/${enc('a/b')}`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, {
        headers: { 'authorization': `Bearer ${w.admin}`, 'user-agent': 'agent/1.0 \u009b2J\u00e9' },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const [read] = (await w.vault.queryAudit({ type: 'secret.read' })).events;
    expect(read!.userAgent).toBe('agent/1.0 \\u009b2J\u00e9');
  });
}
