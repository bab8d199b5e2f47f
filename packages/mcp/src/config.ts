/** The server's configuration from its environment (an MCP client sets it in its server entry). */
import { DEFAULT_BASE_URL } from '@agentvault/client';

export interface McpConfig {
  /** The API root, mount point included. */
  baseUrl: string;
  credential: string;
  /** A scoped token is the intended credential; an agent key works (and is warned about). */
  credentialKind: 'token' | 'agent_key';
}

/** `AGENTVAULT_TOKEN` (or `ASS_AGENT_KEY`) and `AGENTVAULT_URL`; throws with a message that names no credential. */
export function configFromEnv(env: Record<string, string | undefined>): McpConfig {
  const credential = (env.AGENTVAULT_TOKEN || env.ASS_AGENT_KEY || '').trim();
  if (!credential) {
    throw new Error('Set AGENTVAULT_TOKEN to a scoped token (ast_tok_…) for this server, and AGENTVAULT_URL to the API root');
  }
  const credentialKind = credential.startsWith('ast_tok_') ? 'token' : credential.startsWith('ass_live_') ? 'agent_key' : null;
  if (!credentialKind) throw new Error('AGENTVAULT_TOKEN must be a scoped token (ast_tok_…) or an agent key (ass_live_…)');
  return { baseUrl: env.AGENTVAULT_URL || DEFAULT_BASE_URL, credential, credentialKind };
}
