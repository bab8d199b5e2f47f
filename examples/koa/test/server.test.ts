import { AgentVault, AgentVaultNotFoundError } from '@agentvault/client';
import { expect, it, onTestFinished } from 'vitest';
import { startKoaServer } from '../src/server';

it('serves the vault under /v1 and the app everywhere else', async () => {
  const server = await startKoaServer({
    port: 0,
    env: { AGENTVAULT_LOCAL_KEK: Buffer.alloc(32, 1).toString('base64') },
  });
  onTestFinished(() => server.close());
  const vault = new AgentVault({ agentKey: server.adminKey, baseUrl: server.url });
  await vault.setSecret('production/openai/api-key', 'sk-koa', { tags: { team: 'ml' } });
  expect((await vault.getSecret('production/openai/api-key')).value).toBe('sk-koa');
  expect((await vault.listSecrets('production')).total).toBe(1);
  await expect(vault.getSecret('production/none')).rejects.toBeInstanceOf(AgentVaultNotFoundError);
  const app = await fetch(server.url.replace('/v1', '/orders'));
  expect(await app.json()).toEqual({ service: 'your app', path: '/orders' });
});
