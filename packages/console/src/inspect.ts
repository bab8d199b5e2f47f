/**
 * What an approver needs to know about a request that the request itself does not say: which
 * existing secrets its scope reaches, and who stands behind the requester (token → parent tokens →
 * the agent key that minted the root). Both read metadata only (paths and descriptions, never a
 * value), as the console's own trusted in-process identity, attributed in the audit trail to the
 * signed-in human (`app:console@key:key_…`), because an approver without the admin role may
 * decide a request but may not list secrets or tokens.
 */
import { actorOf, type Approval, parseScope, patternMatches, type Principal, type Vault } from '@agentvault/core';

/** Actions that reach values: a `list` grant alone does not. */
const VALUE_ACTIONS = new Set(['read', 'write', 'rotate', 'delete', '*']);
const PAGE = 200;
/** Bounds on what one page view scans. */
const MAX_SCANNED = 2_000;
const SHOWN_PATHS = 5;

export interface Reach {
  count: number;
  /** The count is a lower bound: the scan stopped at MAX_SCANNED secrets. */
  more: boolean;
  first: string[];
}

export interface LineageStep {
  actor: string;
  description: string | null;
  /** A revoked or expired step is still shown: it explains the request. */
  note: string | null;
}

interface TokenFacts {
  issuedBy: string;
  parentId: string | null;
  description: string | null;
  revoked: boolean;
}

export interface Inspector {
  reach(scope: string): Promise<Reach>;
  lineage(approval: Approval): Promise<LineageStep[]>;
  getApproval(id: string): Promise<Approval>;
}

/** `app:` actor names allow A-Z a-z 0-9 . _ @ : - only. */
function inspectorActor(principal: Principal): string {
  return `console@${actorOf(principal)}`.replace(/[^A-Za-z0-9._@:-]/g, '_').slice(0, 128);
}

function namespaceOf(segments: readonly string[]): string {
  const star = segments.indexOf('*');
  const fixed = star === -1 ? segments.length - 1 : star;
  return segments.slice(0, Math.max(0, fixed)).join('/');
}

export function inspector(vault: Vault, principal: Principal): Inspector {
  const call = { actor: inspectorActor(principal), tenant: principal.tenant };

  return {
    async reach(scopeText) {
      const scope = parseScope(scopeText);
      const matched = new Set<string>();
      let scanned = 0;
      let more = false;
      for (const grant of scope.grants) {
        if (!VALUE_ACTIONS.has(grant.action)) continue;
        let cursor: string | null = null;
        do {
          const page = await vault.listSecrets(namespaceOf(grant.segments), { ...call, limit: PAGE, cursor });
          scanned += page.items.length;
          for (const item of page.items) if (patternMatches(grant.segments, item.path.split('/'))) matched.add(item.path);
          cursor = page.nextCursor;
          if (scanned >= MAX_SCANNED && cursor) {
            more = true;
            cursor = null;
          }
        } while (cursor);
      }
      const sorted = [...matched].sort();
      return { count: sorted.length, more, first: sorted.slice(0, SHOWN_PATHS) };
    },

    async lineage(approval) {
      const steps: LineageStep[] = [{ actor: approval.requestedBy, description: approval.requesterDescription, note: null }];
      if (!approval.requestedBy.startsWith('token:') && !approval.requestedBy.startsWith('key:')) return steps;
      const tokens = new Map<string, TokenFacts>();
      let cursor: string | null = null;
      let scanned = 0;
      do {
        const page = await vault.listTokens({ ...call, limit: PAGE, cursor, activeOnly: false });
        for (const t of page.items)
          tokens.set(t.id, {
            issuedBy: t.issuedBy, parentId: t.parentId, description: t.description,
            revoked: t.revokedAt !== null,
          });
        scanned += page.items.length;
        cursor = scanned < MAX_SCANNED ? page.nextCursor : null;
      } while (cursor);
      const keys = new Map((await vault.listAgentKeys(call)).map((k) => [k.id, k]));

      let actor = approval.requestedBy;
      steps.length = 0;
      for (let depth = 0; depth < 32; depth++) {
        if (actor.startsWith('token:')) {
          const token = tokens.get(actor.slice('token:'.length));
          if (!token) {
            steps.push({ actor, description: depth === 0 ? approval.requesterDescription : null, note: 'not found' });
            break;
          }
          steps.push({ actor, description: token.description, note: token.revoked ? 'revoked' : null });
          actor = token.parentId ? `token:${token.parentId}` : token.issuedBy;
        } else if (actor.startsWith('key:')) {
          const key = keys.get(actor.slice('key:'.length));
          steps.push({
            actor,
            description: key?.description ?? (depth === 0 ? approval.requesterDescription : null),
            note: key ? (key.revokedAt ? 'revoked' : `roles: ${key.roles.join(', ') || 'none'}`) : 'not found',
          });
          break;
        } else {
          steps.push({ actor, description: null, note: null });
          break;
        }
      }
      return steps;
    },

    // Read as the console, never as the signed-in principal: the requester's own first look after
    // approval would mint its token, and a page must never hold a token.
    getApproval: (id) => vault.getApproval(id, call),
  };
}
