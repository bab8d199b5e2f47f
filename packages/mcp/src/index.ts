export { configFromEnv, type McpConfig } from './config';
export { HeldTokens, type HeldToken, tokenFacts, type TokenFacts } from './held-tokens';
export { type AgentVaultMcpOptions, createAgentVaultMcpServer, MCP_SERVER_NAME, MCP_SERVER_VERSION } from './server';
