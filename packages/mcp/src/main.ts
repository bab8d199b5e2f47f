#!/usr/bin/env node
/** The `agentvault-mcp` process: an MCP server on stdio. stdout carries only the protocol; notes go to stderr. */
import { AgentVault } from '@agentvault/client';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { configFromEnv } from './config';
import { createAgentVaultMcpServer } from './server';

function start(): Promise<void> {
  const config = configFromEnv(process.env);
  if (config.credentialKind === 'agent_key') {
    process.stderr.write(
      'agentvault-mcp: warning: running with an agent key; the agent gets every right of that key. Prefer a scoped token in AGENTVAULT_TOKEN.\n',
    );
  }
  const vault = new AgentVault({ baseUrl: config.baseUrl, agentKey: config.credential });
  const server = createAgentVaultMcpServer({ vault });
  return server.connect(new StdioServerTransport()).then(() => {
    process.stderr.write(`agentvault-mcp: serving ${config.baseUrl} on stdio\n`);
  });
}

// The MCP client went away: nobody is left to answer.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void Promise.resolve()
  .then(start)
  .catch((error: unknown) => {
    process.stderr.write(`agentvault-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
