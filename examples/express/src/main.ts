import { startServer } from './server';

try {
  const server = await startServer();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void server.close().then(() => process.exit(0));
    });
  }
} catch (error) {
  console.error(`agentvault: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
