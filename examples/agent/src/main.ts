import { runAgentDemo } from './agent';

const adminKey = process.env.ASS_AGENT_KEY;
if (!adminKey) {
  console.error(
    'Set ASS_AGENT_KEY to an admin agent key (npm start prints one), and AGENTVAULT_URL if not the default.',
  );
  process.exit(1);
}
await runAgentDemo({
  baseUrl: process.env.AGENTVAULT_URL ?? 'http://127.0.0.1:8787/v1',
  adminKey,
  approverKey: process.env.AGENTVAULT_APPROVER_KEY,
  log: (line) => console.log(line),
});
