import { startKoaServer } from './server';

const server = await startKoaServer({ port: Number(process.env.PORT ?? 8788) });
console.log(`Admin agent key, shown once: ${server.adminKey}`);
console.log(`AgentVault (Koa) listening on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => server.close().then(() => process.exit(0)));
