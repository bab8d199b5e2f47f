/**
 * The AgentVault MCP server: four tools over `@agentvault/client`. Every call goes to the vault
 * with the server's credential (or a token it holds), so the vault authorizes and audits it under
 * that identity (`token:<id>`). Only `get_secret` returns a value; no tool returns a token's value
 * or the server's credential. Failures are tool errors (`isError`) carrying the vault's code.
 */
import {
  type AgentVault,
  AgentVaultError,
  AgentVaultPermissionError,
  AgentVaultValidationError,
  type Approval,
  type SecretMetadata,
} from '@agentvault/client';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { HeldTokens } from './held-tokens';

export const MCP_SERVER_NAME = 'agentvault';
export const MCP_SERVER_VERSION = '0.1.0';

export interface AgentVaultMcpOptions {
  /** A client with the server's credential (a scoped token, or an agent key). */
  vault: AgentVault;
  /** For the held tokens' expiry. */
  now?: () => number;
}

const path = z.string().min(1).max(512).describe('secret path, e.g. production/openai/api-key');
const tokenId = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe('use a token this server obtained with request_token or check_approval (tok_…); default: the server\'s own credential');

function text(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] };
}

/** The vault's code and message (never a value: the vault's messages hold none), as a tool error. */
function toolError(error: unknown): CallToolResult {
  const body: Record<string, unknown> = {};
  if (error instanceof AgentVaultError) {
    body.code = error.code;
    body.message = error.message;
    if (error instanceof AgentVaultPermissionError && error.requiredScope) body.required_scope = error.requiredScope;
    if (error instanceof AgentVaultValidationError) body.issues = error.issues;
  } else {
    body.code = 'internal_error';
    body.message = 'The AgentVault MCP server failed to handle this call';
  }
  return { ...text({ error: body }), isError: true };
}

function metadataView(m: SecretMetadata) {
  return {
    path: m.path,
    version: m.version,
    tier: m.tier,
    type: m.type,
    description: m.description,
    tags: m.tags,
    updated_at: m.updatedAt.toISOString(),
    expires_at: m.expiresAt?.toISOString() ?? null,
  };
}

function approvalView(a: Approval) {
  return {
    approval_id: a.id,
    status: a.status,
    scope: a.scope,
    tier: a.tier,
    approvals: a.decisions.filter((d) => d.decision === 'approve').length,
    required_approvals: a.requiredApprovals,
    decisions: a.decisions.map((d) => ({ decision: d.decision, by: d.by, note: d.note, at: d.at.toISOString() })),
    expires_at: a.expiresAt.toISOString(),
  };
}

export function createAgentVaultMcpServer(options: AgentVaultMcpOptions): McpServer {
  const { vault } = options;
  const held = new HeldTokens(options.now);
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    {
      instructions:
        'Fetch credentials from AgentVault. get_secret returns a secret value; list_secrets shows what exists '
        + '(never values). When a read is refused, request_token asks for a narrower or approved token; if it '
        + 'returns pending, a human must approve: call check_approval later with the approval_id, then pass the '
        + 'token_id it returns to get_secret. Every call is audited.',
    },
  );

  /** The credential for one call: a held token by id, or the server's own. */
  function credentialFor(id: string | undefined): { token?: string } {
    if (id === undefined) return {};
    const value = held.valueOf(id);
    if (value === null) {
      throw new AgentVaultValidationError(`This server holds no usable token ${id}`, [
        { path: ['token_id'], message: 'not obtained by this server, or expired' },
      ]);
    }
    return { token: value };
  }

  server.registerTool(
    'get_secret',
    {
      title: 'Get a secret value',
      description: 'Return the value of a secret (the current version, or the given one) as text. The read is audited.',
      inputSchema: {
        path,
        version: z
          .union([z.number().int().min(1), z.string().regex(/^v?\d+$/)])
          .optional()
          .describe('a version number such as 3 or "v3"; default the current version'),
        token_id: tokenId,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      try {
        const version = typeof args.version === 'string' ? Number(args.version.replace(/^v/, '')) : args.version;
        const secret = await vault.getSecret(args.path, { version, ...credentialFor(args.token_id) });
        return text(secret.value);
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    'list_secrets',
    {
      title: 'List secrets',
      description: 'List the secrets under a namespace (path prefix): paths, versions, tiers, types, tags. Never values.',
      inputSchema: {
        namespace: z.string().max(512).optional().describe('path prefix at a segment boundary, e.g. production/openai; default everything'),
        limit: z.number().int().min(1).max(200).optional().describe('page size, default 50'),
        cursor: z.string().max(2048).optional().describe('next_cursor of a previous page'),
        token_id: tokenId,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      try {
        const page = await vault.listSecrets(args.namespace ?? '', {
          limit: args.limit,
          cursor: args.cursor,
          ...credentialFor(args.token_id),
        });
        return text({ items: page.items.map(metadataView), total: page.total, next_cursor: page.nextCursor ?? null });
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    'request_token',
    {
      title: 'Request a scoped token',
      description:
        'Ask the vault for a token with the given scope, e.g. "secrets:read:production/openai/*". If it is issued, '
        + 'this server keeps it and returns its token_id for get_secret and list_secrets (never its value). If a human '
        + 'must approve it, returns status "pending" with an approval_id for check_approval.',
      inputSchema: {
        scope: z.string().min(1).max(2048).describe('secrets:<read|list|write|rotate|delete|*>:<path pattern>, several separated by spaces'),
        ttl_seconds: z.number().int().min(1).optional().describe('lifetime'),
        description: z.string().max(512).optional().describe('why the token is needed (shown to approvers)'),
        max_uses: z.number().int().min(1).optional().describe('how many calls it may make'),
        waive_approval: z.boolean().optional().describe('skip approval for sensitive secrets where the vault allows it'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async (args) => {
      try {
        const requested = await vault.requestToken({
          scope: args.scope,
          ttlSeconds: args.ttl_seconds,
          description: args.description,
          maxUses: args.max_uses,
          waiveApproval: args.waive_approval,
        });
        if (requested.approvalStatus === 'pending') {
          return text({
            status: 'pending',
            approval_id: requested.approvalRequestId,
            scope: requested.scope,
            approve_url: requested.approveUrl,
            next: 'A human approver must decide. Call check_approval with this approval_id later.',
          });
        }
        return text({ status: 'issued', ...held.hold(requested), next: 'Pass token_id to get_secret or list_secrets.' });
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    'check_approval',
    {
      title: 'Check an approval request',
      description:
        'Look at an approval request made with request_token. Once approved, this server collects the token and '
        + 'returns its token_id for get_secret and list_secrets (never its value).',
      inputSchema: { approval_id: z.string().min(1).max(128).describe('apr_… from request_token') },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async (args) => {
      try {
        const approval = await vault.getApproval(args.approval_id);
        const view = approvalView(approval);
        if (approval.token) return text({ ...view, ...held.hold(approval.token), next: 'Pass token_id to get_secret.' });
        if (approval.status === 'approved' && approval.tokenId) {
          const holding = held.has(approval.tokenId);
          return text({
            ...view,
            token_id: approval.tokenId,
            held_by_this_server: holding,
            ...(holding ? {} : { next: 'The token was collected elsewhere; request a new one if you need it.' }),
          });
        }
        return text(view);
      } catch (error) {
        return toolError(error);
      }
    },
  );

  return server;
}
