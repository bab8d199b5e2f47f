/**
 * Agent keys, scoped tokens and approvals: who may hold what, and the humans who decide. The rules
 * are pure functions (domain/tokens, domain/approvals) applied over storage records with
 * conditional commits; this module assembles the vault's access operations and declares them.
 */
import type { Principal } from '../domain/principals';
import type { CallOptions } from '../schemas/secrets';
import type {
  AgentKey,
  Approval,
  CreatedAgentKey,
  Page,
  ScopedToken,
  TokenInfo,
} from './access-views';
import { type CreateAgentKeyInput, agentKeyOperations } from './agent-keys';
import { approvalOperations, type ListApprovalsOptions, type WaitForApprovalOptions } from './approvals';
import { auditFailure } from './auditing';
import { anonymousCall, principalFor, tokenTreeOf } from './authorization';
import type { VaultEvent, VaultEventListener, VaultEventType } from './events';
import type { Runtime } from './runtime';
import { type ListTokensOptions, type TokenRequest, tokenOperations } from './tokens';

export type { AgentKey, Approval, CreatedAgentKey, Page, ScopedToken, TokenInfo } from './access-views';
export type { CreateAgentKeyInput } from './agent-keys';
export type { ListApprovalsOptions, WaitForApprovalOptions } from './approvals';
export type { ListTokensOptions, TokenRequest } from './tokens';

/** The vault's operations on credentials and approvals (a section of `Vault`). */
export interface AccessOperations {
  /** Subscribe to vault events (all, or one type); returns the unsubscribe function. */
  on(listener: VaultEventListener): () => void;
  on<T extends VaultEventType>(
    type: T,
    listener: (event: Extract<VaultEvent, { type: T }>) => void | Promise<void>,
  ): () => void;

  /** Mint a new agent key (its value shown once), or import one the host holds (`value`). Admins only. */
  createAgentKey(input?: CreateAgentKeyInput, options?: CallOptions): Promise<CreatedAgentKey>;
  /** The tenant's agent keys, without values. Admins only. */
  listAgentKeys(options?: CallOptions): Promise<AgentKey[]>;
  /** Revoke an agent key and every token minted under it (transitively). Admins only. */
  revokeAgentKey(id: string, options?: CallOptions): Promise<AgentKey>;
  /**
   * The principal behind a credential (`ass_live_…` or `ast_tok_…`), for hosts that authenticate
   * requests themselves. Failures throw (401/403) and are audited as `auth.authenticate`.
   */
  authenticate(credential: string, options?: { ip?: string; userAgent?: string; tenant?: string }): Promise<Principal>;
  /**
   * The tree a scoped token value belongs to (tenant and root token id), so an HTTP edge keys its
   * rate limit by the root: a token's children share its bucket. Null for anything else. Not audited.
   */
  tokenTree(credential: string): Promise<{ tenant: string; rootId: string } | null>;

  /**
   * Request a scoped token: standard tier at once; sensitive held for approval unless the vault
   * allows a waiver; critical always held. A token may mint a narrower, no longer-lived child whose
   * `maxUses` is carved out of its own remaining uses (required when it is limited).
   */
  requestToken(request: TokenRequest, options?: CallOptions): Promise<ScopedToken>;
  /** Revoke a token and every token minted from it. Admins revoke any; a token itself and its descendants. */
  revokeToken(id: string, options?: CallOptions): Promise<TokenInfo>;
  /** The tenant's tokens by id (only usable ones unless `activeOnly: false`). Admins only. */
  listTokens(options?: ListTokensOptions): Promise<Page<TokenInfo>>;

  /**
   * Look at an approval request. The requester's first look after approval mints the token and
   * returns it in `token`, once; approvers never see it.
   */
  getApproval(id: string, options?: CallOptions): Promise<Approval>;
  /** Approval requests by id, optionally by status. Approvers and admins. */
  listApprovals(options?: ListApprovalsOptions): Promise<Page<Approval>>;
  /**
   * Approve a request (approver role). Nobody in the request's chain — the requester, the tokens
   * above it, the key that minted them — may decide it; decisions are final and settle once.
   */
  approve(id: string, input?: { comment?: string | null }, options?: CallOptions): Promise<Approval>;
  /** Deny a request (approver role), with the same rules as `approve`. */
  deny(id: string, input?: { reason?: string | null }, options?: CallOptions): Promise<Approval>;
  /**
   * Wait until a request is decided and return the minted token (requester only). Denied → 403,
   * expired → 410, timeout → AgentVaultApprovalPendingError, abort → the signal's reason.
   */
  waitForApproval(id: string, options?: WaitForApprovalOptions): Promise<ScopedToken>;
}

export function accessOperations(rt: Runtime): AccessOperations {
  function on(
    typeOrListener: VaultEventType | VaultEventListener,
    maybeListener?: (event: never) => void | Promise<void>,
  ): () => void {
    const listener: VaultEventListener =
      typeof typeOrListener === 'function'
        ? typeOrListener
        : (event) => (event.type === typeOrListener ? maybeListener?.(event as never) : undefined);
    rt.listeners.add(listener);
    return () => rt.listeners.delete(listener);
  }

  async function authenticate(
    credential: string,
    options: { ip?: string; userAgent?: string; tenant?: string } = {},
  ): Promise<Principal> {
    try {
      return await principalFor(rt, String(credential), options.ip ?? null);
    } catch (error) {
      // Audited against the key or token the credential names, else as anonymous.
      await auditFailure(rt, anonymousCall(rt, options, error), { type: 'auth.authenticate', path: null }, error);
      throw error;
    }
  }

  return {
    on: on as AccessOperations['on'],
    authenticate,
    tokenTree: (credential) => tokenTreeOf(rt, String(credential)),
    ...agentKeyOperations(rt),
    ...tokenOperations(rt),
    ...approvalOperations(rt),
  };
}
