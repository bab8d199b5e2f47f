/**
 * The route table: the seed's REST endpoints plus our extensions. Each route names its wire
 * schemas, its responses and the vault call it makes; the handler validates with the schemas and
 * the OpenAPI document is generated from the same table.
 */
import type { z } from 'zod';
import type { CallOptions } from '../schemas/secrets';
import type { Vault } from '../vault/create-vault';
import {
  approvalParams,
  approveBody,
  auditQuery,
  checkSecretParams,
  createSecretBody,
  deleteSecretQuery,
  denyBody,
  emptyBody,
  getSecretQuery,
  importEnvBody,
  listApprovalsQuery,
  listSecretsQuery,
  rollbackSecretBody,
  rotateSecretBody,
  secretParams,
  tokenParams,
  tokenRequestBody,
  updateSecretBody,
} from './wire/requests';
import {
  approvalListWire,
  approvalWire,
  auditPageWire,
  importResultWire,
  issuedTokenWire,
  pendingTokenWire,
  rotateResultWire,
  secretListWire,
  secretMetadataWire,
  secretVersionsWire,
  secretWire,
  tokenInfoWire,
} from './wire/responses';
import {
  approvalListToWire,
  approvalToWire,
  auditPageToWire,
  importResultToWire,
  issuedTokenToWire,
  metadataToWire,
  pendingTokenToWire,
  rotateToWire,
  secretJson,
  secretListToWire,
  tokenInfoToWire,
  versionsToWire,
} from './wire/serialize';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type AnyObject = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  vault: Vault;
  /** Who is calling: `{ token }` for a Bearer credential or `{ principal }` from `authenticate`, plus ip and user agent. */
  call: CallOptions;
  /** Where a human approves a request (the `approve_url` of a 202). */
  approveUrl(approvalId: string): string;
}

export interface RouteResult {
  status: number;
  /** The JSON body; absent for 204. */
  body?: unknown;
  /** The body already serialized (a hand-written serializer of a hot response); wins over `body`. */
  json?: string;
}

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

export interface Route {
  method: Method;
  /** OpenAPI-style template relative to the mount point: `/secrets/{path}/rotate`. */
  path: string;
  operationId: string;
  summary: string;
  /** Needs no credential. */
  public?: boolean;
  params?: AnyObject;
  /**
   * A hand-written check of the raw path parameters for the hot routes: the parsed parameters
   * when they are valid, else undefined, and `params` then parses them (and words the 422).
   * It must accept exactly what `params` accepts.
   */
  checkParams?: (raw: Record<string, string>) => unknown;
  query?: AnyObject;
  body?: AnyObject;
  responses: Record<number, RouteResponse>;
  /** Errors this route can answer besides the ones every route can (400, 401, 403, 422, 429, 500, 503). */
  errors?: number[];
  run(input: RouteInput<unknown, unknown, unknown>): Promise<RouteResult>;
}

/** Infers the typed input of `run` from the route's schemas. */
function route<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends AnyObject | undefined = undefined,
>(
  spec: Omit<Route, 'params' | 'query' | 'body' | 'run'> & {
    params?: P;
    query?: Q;
    body?: B;
    run(
      input: RouteInput<
        P extends z.ZodType ? z.output<P> : undefined,
        Q extends z.ZodType ? z.output<Q> : undefined,
        B extends z.ZodType ? z.output<B> : undefined
      >,
    ): Promise<RouteResult>;
  },
): Route {
  return spec as Route;
}

const ok = (body: unknown, status = 200): RouteResult => ({ status, body });

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/secrets',
    operationId: 'createSecret',
    summary: 'Create a secret (409 if the path exists or is in the trash)',
    body: createSecretBody,
    responses: { 201: { description: 'Created', schema: secretMetadataWire } },
    errors: [409, 413],
    async run({ body, vault, call }) {
      const created = await vault.createSecret(
        {
          path: body.path,
          value: body.value,
          type: body.type,
          tier: body.tier,
          description: body.description,
          tags: body.tags,
          expiresAt: body.expires_at,
          expiresInDays: body.expires_in_days,
          versionRetention: body.version_retention,
        },
        call,
      );
      return ok(metadataToWire(created), 201);
    },
  }),
  route({
    method: 'GET',
    path: '/secrets',
    operationId: 'listSecrets',
    summary: 'List secret metadata under a namespace (never values)',
    query: listSecretsQuery,
    responses: { 200: { description: 'A page of secrets', schema: secretListWire } },
    async run({ query, vault, call }) {
      const list = await vault.listSecrets(query.namespace ?? '', {
        limit: query.limit,
        cursor: query.cursor,
        tier: query.tier,
        type: query.type,
        tags: query.tag,
        trashed: query.trashed,
        ...call,
      });
      return ok(secretListToWire(list));
    },
  }),
  route({
    method: 'GET',
    path: '/secrets/{path}',
    operationId: 'getSecret',
    summary: 'Read a secret value (the current version, or ?version=n)',
    params: secretParams,
    checkParams: checkSecretParams,
    query: getSecretQuery,
    responses: { 200: { description: 'The secret', schema: secretWire } },
    errors: [404, 410],
    async run({ params, query, vault, call }) {
      const secret = await vault.getSecret(params.path, { version: query.version, ...call });
      return { status: 200, json: secretJson(secret) };
    },
  }),
  route({
    method: 'PUT',
    path: '/secrets/{path}',
    operationId: 'updateSecret',
    summary: 'Update a secret: a new value appends a version; metadata alone does not',
    params: secretParams,
    body: updateSecretBody,
    responses: { 200: { description: 'Updated', schema: secretMetadataWire } },
    errors: [404, 409, 413],
    async run({ params, body, vault, call }) {
      const updated = await vault.updateSecret(
        params.path,
        {
          value: body.value,
          type: body.type,
          tier: body.tier,
          description: body.description,
          tags: body.tags,
          expiresAt: body.expires_at,
          expiresInDays: body.expires_in_days,
          versionRetention: body.version_retention,
          expectedVersion: body.expected_version,
        },
        call,
      );
      return ok(metadataToWire(updated));
    },
  }),
  route({
    method: 'DELETE',
    path: '/secrets/{path}',
    operationId: 'deleteSecret',
    summary: 'Move a secret to the trash, or destroy it with ?permanent=true',
    params: secretParams,
    query: deleteSecretQuery,
    responses: { 204: { description: 'Deleted' } },
    errors: [404, 409],
    async run({ params, query, vault, call }) {
      await vault.deleteSecret(params.path, { permanent: query.permanent, ...call });
      return { status: 204 };
    },
  }),
  route({
    method: 'POST',
    path: '/secrets/{path}/rotate',
    operationId: 'rotateSecret',
    summary: 'Rotate to a new value; the old version stays readable by number for the grace period',
    params: secretParams,
    body: rotateSecretBody,
    responses: { 200: { description: 'Rotated', schema: rotateResultWire } },
    errors: [404, 409, 413],
    async run({ params, body, vault, call }) {
      const result = await vault.rotateSecret(params.path, body.new_value, {
        gracePeriodSeconds: body.grace_period_seconds,
        expectedVersion: body.expected_version,
        ...call,
      });
      return ok(rotateToWire(result));
    },
  }),
  route({
    method: 'GET',
    path: '/secrets/{path}/versions',
    operationId: 'listVersions',
    summary: 'List the versions of a secret (no values)',
    params: secretParams,
    responses: { 200: { description: 'The versions, oldest first', schema: secretVersionsWire } },
    errors: [404],
    async run({ params, vault, call }) {
      return ok(versionsToWire(await vault.listVersions(params.path, call)));
    },
  }),
  route({
    method: 'POST',
    path: '/secrets/{path}/rollback',
    operationId: 'rollbackSecret',
    summary: 'Make an earlier version current again (without re-encrypting it)',
    params: secretParams,
    body: rollbackSecretBody,
    responses: { 200: { description: 'Rolled back', schema: secretMetadataWire } },
    errors: [404, 409, 410, 413],
    async run({ params, body, vault, call }) {
      const result = await vault.rollbackSecret(params.path, body.version, {
        expectedVersion: body.expected_version,
        ...call,
      });
      return ok(metadataToWire(result));
    },
  }),
  route({
    method: 'POST',
    path: '/secrets/{path}/restore',
    operationId: 'restoreSecret',
    summary: 'Restore a secret from the trash',
    params: secretParams,
    body: emptyBody,
    responses: { 200: { description: 'Restored', schema: secretMetadataWire } },
    errors: [404, 409],
    async run({ params, vault, call }) {
      return ok(metadataToWire(await vault.restoreSecret(params.path, call)));
    },
  }),
  route({
    method: 'POST',
    path: '/tokens',
    operationId: 'requestToken',
    summary: 'Issue a scoped token (201), or open an approval request (202)',
    body: tokenRequestBody,
    responses: {
      201: { description: 'Issued', schema: issuedTokenWire },
      202: { description: 'Approval required', schema: pendingTokenWire },
    },
    errors: [413],
    async run({ body, vault, call, approveUrl }) {
      const token = await vault.requestToken(
        {
          scope: body.scope,
          ttlSeconds: body.ttl_seconds,
          description: body.description,
          allowedIps: body.allowed_ips,
          maxUses: body.max_uses,
          waiveApproval: body.waive_approval,
        },
        call,
      );
      if (token.approvalStatus === 'pending' && token.approvalRequestId !== null)
        return ok(pendingTokenToWire(token, approveUrl(token.approvalRequestId)), 202);
      return ok(issuedTokenToWire(token), 201);
    },
  }),
  route({
    method: 'DELETE',
    path: '/tokens/{id}',
    operationId: 'revokeToken',
    summary: 'Revoke a token and every token minted from it',
    params: tokenParams,
    responses: { 200: { description: 'Revoked', schema: tokenInfoWire } },
    errors: [404],
    async run({ params, vault, call }) {
      return ok(tokenInfoToWire(await vault.revokeToken(params.id, call)));
    },
  }),
  route({
    method: 'GET',
    path: '/approvals',
    operationId: 'listApprovals',
    summary: 'List approval requests (approvers and admins)',
    query: listApprovalsQuery,
    responses: { 200: { description: 'A page of approval requests', schema: approvalListWire } },
    async run({ query, vault, call }) {
      const page = await vault.listApprovals({
        status: query.status,
        limit: query.limit,
        cursor: query.cursor,
        ...call,
      });
      return ok(approvalListToWire(page));
    },
  }),
  route({
    method: 'GET',
    path: '/approvals/{id}',
    operationId: 'getApproval',
    summary: 'Check an approval request; the requester\'s first look after approval carries the token',
    params: approvalParams,
    responses: { 200: { description: 'The request', schema: approvalWire } },
    errors: [404],
    async run({ params, vault, call }) {
      return ok(approvalToWire(await vault.getApproval(params.id, call)));
    },
  }),
  route({
    method: 'POST',
    path: '/approvals/{id}/approve',
    operationId: 'approve',
    summary: 'Approve a request (approver role; never your own request)',
    params: approvalParams,
    body: approveBody,
    responses: { 200: { description: 'Decided', schema: approvalWire } },
    errors: [404, 409, 413],
    async run({ params, body, vault, call }) {
      return ok(approvalToWire(await vault.approve(params.id, { comment: body.comment }, call)));
    },
  }),
  route({
    method: 'POST',
    path: '/approvals/{id}/deny',
    operationId: 'deny',
    summary: 'Deny a request (approver role)',
    params: approvalParams,
    body: denyBody,
    responses: { 200: { description: 'Decided', schema: approvalWire } },
    errors: [404, 409, 413],
    async run({ params, body, vault, call }) {
      return ok(approvalToWire(await vault.deny(params.id, { reason: body.reason }, call)));
    },
  }),
  route({
    method: 'GET',
    path: '/audit',
    operationId: 'queryAudit',
    summary: 'Audit events, newest first, filtered by namespace, path, actor, type, time and outcome',
    query: auditQuery,
    responses: { 200: { description: 'A page of events', schema: auditPageWire } },
    async run({ query, vault, call }) {
      const page = await vault.queryAudit(
        {
          namespace: query.namespace,
          path: query.path,
          actor: query.actor,
          type: query.type,
          since: query.since,
          until: query.until,
          success: query.success,
          order: query.order,
          cursor: query.cursor,
          limit: query.limit,
        },
        call,
      );
      return ok(auditPageToWire(page));
    },
  }),
  route({
    method: 'POST',
    path: '/import',
    operationId: 'importEnv',
    summary: 'Import a .env file: KEY lands at <namespace>/KEY; a malformed file imports nothing',
    body: importEnvBody,
    responses: {
      200: { description: 'What was (or, with dry_run, would be) imported', schema: importResultWire },
    },
    errors: [413],
    async run({ body, vault, call }) {
      const result = await vault.importEnv(body.env, {
        namespace: body.namespace,
        tier: body.tier,
        tierByPrefix: body.tier_by_prefix,
        type: body.type,
        dryRun: body.dry_run,
        overwrite: body.overwrite,
        ...call,
      });
      return ok(importResultToWire(result));
    },
  }),
];
