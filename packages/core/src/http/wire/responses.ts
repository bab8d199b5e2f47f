/**
 * Response bodies of the HTTP API (snake_case, times as ISO-8601 strings). They are the seed's
 * shapes with more fields, never fewer. The OpenAPI document is generated from them, and the
 * contract tests parse every response with them, so the document cannot drift from the server.
 */
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../../contracts/records';
import { SECRET_TYPES, TIERS } from '../../domain/classification';

const time = z.iso.datetime({ offset: true }).meta({ example: '2025-01-15T10:30:00.000Z' });
const tier = z.enum(TIERS);
const actor = z.string().meta({ description: 'key:<id>, token:<id>, app:<name> or user:<id>' });

export const secretMetadataWire = z
  .object({
    path: z.string(),
    version: z.number().int().meta({ description: 'The current version' }),
    latest_version: z.number().int(),
    tier,
    type: z.enum(SECRET_TYPES),
    description: z.string().nullable(),
    tags: z.record(z.string(), z.string()),
    created_at: time,
    created_by: actor,
    updated_at: time,
    updated_by: actor,
    accessed_at: time.nullable(),
    expires_at: time.nullable(),
    trashed_at: time.nullable(),
    purge_at: time.nullable(),
  })
  .meta({ id: 'SecretMetadata' });

export const secretWire = secretMetadataWire
  .extend({
    value: z.string(),
    version: z.number().int().meta({ description: 'The version served' }),
    accessed_at: time,
  })
  .meta({ id: 'Secret' });

export const secretListWire = z
  .object({ items: z.array(secretMetadataWire), total: z.number().int(), next_cursor: z.string().nullable() })
  .meta({ id: 'SecretList' });

export const secretVersionsWire = z
  .object({
    versions: z.array(
      z.object({
        version: z.number().int(),
        created_at: time,
        created_by: actor,
        is_active: z.boolean(),
        retires_at: time.nullable().meta({ description: 'When a rotated-out version stops being readable' }),
        key_id: z.string().meta({ description: 'The key-encryption key that wraps its data key' }),
      }),
    ),
  })
  .meta({ id: 'SecretVersions' });

export const rotateResultWire = z
  .object({
    path: z.string(),
    old_version: z.number().int(),
    new_version: z.number().int(),
    old_expires_at: time.meta({ description: 'When the old version stops being readable' }),
  })
  .meta({ id: 'RotateResult' });

const tokenFields = {
  scope: z.string(),
  ttl_seconds: z.number().int(),
  description: z.string().nullable(),
  allowed_ips: z.array(z.string()).nullable(),
  max_uses: z.number().int().nullable(),
  uses_remaining: z.number().int().nullable(),
};

export const issuedTokenWire = z
  .object({
    id: z.string().meta({ example: 'tok_01HQKM3N' }),
    value: z.string().meta({ description: 'ast_tok_…, shown this once' }),
    ...tokenFields,
    expires_at: time,
    approval_status: z.literal('approved'),
    approval_request_id: z.string().nullable(),
    approved_tier: tier,
  })
  .meta({ id: 'ScopedToken' });

export const pendingTokenWire = z
  .object({
    approval_status: z.literal('pending'),
    approval_request_id: z.string().meta({ example: 'apr_01HQKM3N' }),
    message: z.string(),
    approve_url: z.string(),
    id: z.null(),
    value: z.null(),
    ...tokenFields,
    expires_at: z.null(),
    approved_tier: z.null(),
  })
  .meta({ id: 'PendingToken' });

export const tokenInfoWire = z
  .object({
    id: z.string(),
    scope: z.string(),
    approved_tier: tier,
    description: z.string().nullable(),
    allowed_ips: z.array(z.string()).nullable(),
    max_uses: z.number().int().nullable(),
    uses_remaining: z.number().int().nullable(),
    created_at: time,
    expires_at: time,
    issued_by: actor,
    parent_id: z.string().nullable(),
    approval_request_id: z.string().nullable(),
    revoked_at: time.nullable(),
  })
  .meta({ id: 'TokenInfo' });

const approvalStatus = z.enum(['pending', 'approved', 'denied', 'expired']);

export const approvalWire = z
  .object({
    id: z.string(),
    status: approvalStatus,
    approval_status: approvalStatus.meta({ description: 'Same as status (the seed’s field name)' }),
    approval_request_id: z.string().meta({ description: 'Same as id' }),
    requested_by: actor,
    requester_description: z.string().nullable(),
    scope: z.string(),
    tier,
    ttl_seconds: z.number().int(),
    description: z.string().nullable(),
    allowed_ips: z.array(z.string()).nullable(),
    max_uses: z.number().int().nullable(),
    required_approvals: z.number().int(),
    decisions: z.array(
      z.object({ decision: z.enum(['approve', 'deny']), by: actor, note: z.string().nullable(), at: time }),
    ),
    created_at: time,
    expires_at: time,
    decided_at: time.nullable(),
    claimed_at: time.nullable(),
    token_id: z.string().nullable(),
    token: issuedTokenWire.nullable().meta({
      description: 'The minted token: only in the requester\'s first look after approval',
    }),
  })
  .meta({ id: 'Approval' });

export const approvalListWire = z
  .object({ items: z.array(approvalWire), next_cursor: z.string().nullable() })
  .meta({ id: 'ApprovalList' });

export const auditEventWire = z
  .object({
    id: z.string().meta({ example: 'evt_01HQKM3N' }),
    type: z.enum(AUDIT_EVENT_TYPES),
    path: z.string().nullable(),
    actor,
    actor_description: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    timestamp: time,
    success: z.boolean(),
    error: z.string().nullable().meta({ description: 'The error code of a refusal or failure' }),
    version: z.number().int().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    seq: z.number().int().meta({ description: 'Position in the tenant trail, sealed by checkpoints' }),
  })
  .meta({ id: 'AuditEvent' });

export const auditPageWire = z
  .object({ events: z.array(auditEventWire), next_cursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });

const importedSecret = z.object({ path: z.string(), tier, line: z.number().int() });

export const importResultWire = z
  .object({
    created: z.array(importedSecret),
    updated: z.array(importedSecret),
    skipped: z.array(importedSecret.extend({ reason: z.enum(['exists', 'trashed']) })),
    dry_run: z.boolean(),
    counts: z.object({
      created: z.number().int(),
      updated: z.number().int(),
      skipped: z.number().int(),
    }),
    /** The created and updated entries in file order, with their stored tiers. */
    secrets: z.array(importedSecret.extend({ outcome: z.enum(['created', 'updated']) })),
  })
  .meta({ id: 'ImportResult' });

export const errorWire = z
  .object({
    error: z
      .object({
        code: z.enum([
          'invalid_request',
          'unauthorized',
          'permission_denied',
          'not_found',
          'conflict',
          'gone',
          'payload_too_large',
          'validation_error',
          'rate_limited',
          'internal_error',
          'unavailable',
        ]),
        message: z.string(),
        path: z.string().nullable().optional(),
        required_scope: z.string().nullable().optional().meta({ description: 'With permission_denied' }),
        retry_after: z.number().int().optional().meta({ description: 'Seconds, with rate_limited' }),
        issues: z
          .array(
            z.object({
              path: z.array(z.union([z.string(), z.number()])),
              field: z.string(),
              message: z.string(),
            }),
          )
          .optional()
          .meta({ description: 'With validation_error and invalid_request: every problem found' }),
      })
      .catchall(z.unknown()),
  })
  .meta({ id: 'Error' });
