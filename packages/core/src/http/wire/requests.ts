/**
 * Request schemas of the HTTP API: snake_case as in the seed's REST contract, built from the same
 * field schemas as the in-process API (`schemas/fields.ts`), so a rule lives in one place. The
 * vault validates again what it receives; these schemas catch wire mistakes (unknown fields, a
 * query value given twice) and document the API.
 */
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../../contracts/records';
import {
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  descriptionField,
  namespaceField,
  noteField,
  pathField,
  scopeField,
  secretTypeField,
  tagsField,
  tierField,
  versionField,
  versionRetentionField,
} from '../../schemas/fields';
import { pathProblem } from '../../domain/paths';
import { MAX_PAGE_SIZE } from '../../schemas/secrets';

export const secretPathParam = pathField.meta({
  description:
    'Secret path, URL-encoded as one segment (production%2Fopenai%2Fapi-key): /-separated segments of A-Z a-z 0-9 . _ -',
  example: 'production/openai/api-key',
});

const secretPath = pathField.meta({
  description: '/-separated segments of A-Z a-z 0-9 . _ - (never . or ..), at most 512 characters',
  example: 'production/openai/api-key',
});

const instant = z.iso.datetime({ offset: true }).meta({ example: '2025-12-31T00:00:00Z' });
const version = versionField.meta({ description: 'A version number, or "v<n>"', example: 2 });
const value = z.string().meta({ description: 'The secret value (UTF-8; 64 KiB by default)' });

const metadataFields = {
  type: secretTypeField.optional(),
  tier: tierField.optional(),
  description: descriptionField.nullable().optional(),
  tags: tagsField.optional(),
  expires_at: instant
    .nullable()
    .optional()
    .meta({ description: 'Reads answer 410 after this; null clears it' }),
  expires_in_days: z.number().int().positive().max(36_500).optional(),
  version_retention: versionRetentionField
    .nullable()
    .optional()
    .meta({ description: 'This secret\'s version history retention ({days, versions}); null = the vault\'s policy' }),
};

export const createSecretBody = z
  .strictObject({ path: secretPath, value, ...metadataFields })
  .meta({ id: 'CreateSecretRequest' });

export const updateSecretBody = z
  .strictObject({
    value: value.optional().meta({ description: 'A new value: appends a version' }),
    ...metadataFields,
    expected_version: version.optional().meta({ description: 'Check-and-set: 409 unless still current' }),
  })
  .meta({ id: 'UpdateSecretRequest' });

export const rotateSecretBody = z
  .strictObject({
    new_value: value,
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(365 * 86_400)
      .optional()
      .meta({ description: 'How long the old version stays readable by number. Default 0' }),
    expected_version: version.optional(),
  })
  .meta({ id: 'RotateSecretRequest' });

export const rollbackSecretBody = z
  .strictObject({ version, expected_version: version.optional() })
  .meta({ id: 'RollbackSecretRequest' });

export const emptyBody = z.strictObject({}).meta({ id: 'EmptyRequest' });

export const tokenRequestBody = z
  .strictObject({
    scope: scopeField.meta({ example: 'secrets:read:production/openai/*' }),
    ttl_seconds: z.number().int().positive().optional().meta({ description: 'Default 3600' }),
    description: descriptionField.nullable().optional(),
    allowed_ips: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .meta({ description: 'IPv4/IPv6 addresses and CIDR ranges; null = anywhere' }),
    max_uses: z
      .number()
      .int()
      .positive()
      .max(1_000_000_000)
      .nullable()
      .optional()
      .meta({
        description:
          'null = unlimited within the TTL; 1 = single use. A token minting a child: required when the token is limited, '
          + 'at most its remaining uses, which the child\'s uses are carved out of',
      }),
    waive_approval: z.boolean().optional().meta({
      description: 'Skip approval for sensitive secrets where the vault allows it; ignored for critical ones',
    }),
  })
  .meta({ id: 'TokenRequest' });

export const approveBody = z
  .strictObject({ comment: noteField.nullable().optional() })
  .meta({ id: 'ApproveRequest' });
export const denyBody = z
  .strictObject({ reason: noteField.nullable().optional() })
  .meta({ id: 'DenyRequest' });

export const importEnvBody = z
  .strictObject({
    env: z.string().meta({ description: 'The text of a .env file' }),
    namespace: namespaceField.optional().meta({ description: 'Secrets land at <namespace>/<KEY>' }),
    tier: tierField.optional(),
    tier_by_prefix: z
      .record(z.string().min(1).max(128), tierField)
      .optional()
      .meta({ description: 'Tier by key prefix, e.g. {"DB_": "critical"}; the longest prefix wins' }),
    type: secretTypeField.optional(),
    dry_run: z.boolean().optional(),
    overwrite: z.boolean().optional(),
  })
  .meta({ id: 'ImportEnvRequest' });

// ── Query strings: every value arrives as text ─────────────────────────────

const intText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolText = z.enum(['true', 'false', '1', '0']).transform((text) => text === 'true' || text === '1');

/** A filter that may be repeated (`tier=standard&tier=critical`). */
const repeated = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const cursor = z.string().max(2048).meta({ description: 'next_cursor of the previous page' });

export const getSecretQuery = z.strictObject({ version: version.optional() });

export const deleteSecretQuery = z.strictObject({
  permanent: boolText
    .optional()
    .meta({ description: 'Destroy every version instead of moving to the trash' }),
});

/**
 * `tag=key:value`, repeatable: secrets carrying every tag given. The key ends at the first `:`
 * (tag values may hold `:`, as in `scopes:repo,read:org`; a key holding `:` cannot be filtered on).
 */
const tagFilters = repeated(
  z
    .string()
    .max(MAX_TAG_KEY_LENGTH + 1 + MAX_TAG_VALUE_LENGTH)
    .regex(/^[A-Za-z0-9_./-]+:/, 'expected key:value')
    .meta({ example: 'team:ml' }),
)
  .transform((items, ctx) => {
    const tags: Record<string, string> = {};
    for (const item of Array.isArray(items) ? items : [items]) {
      const at = item.indexOf(':');
      const key = item.slice(0, at);
      const value = item.slice(at + 1);
      if (key in tags && tags[key] !== value) {
        ctx.addIssue({ code: 'custom', message: `tag ${key} is given twice with different values`, input: item });
        return z.NEVER;
      }
      tags[key] = value;
    }
    if (Object.keys(tags).length > MAX_TAGS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags`, input: items });
      return z.NEVER;
    }
    return tags;
  })
  .meta({
    description:
      'key:value; repeat for several (all must match). The key ends at the first ":"; served from the tag index',
  });

export const listSecretsQuery = z.strictObject({
  namespace: namespaceField.optional().meta({ description: 'Path prefix on a segment boundary; "" = all' }),
  limit: intText(1, MAX_PAGE_SIZE)
    .optional()
    .meta({ description: `Default 50, at most ${MAX_PAGE_SIZE}` }),
  cursor: cursor.optional(),
  tier: repeated(tierField).optional(),
  type: repeated(secretTypeField).optional(),
  tag: tagFilters.optional(),
  trashed: boolText.optional().meta({ description: 'List the trash instead of live secrets' }),
});

export const listApprovalsQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'denied', 'expired']).optional(),
  limit: intText(1, 200).optional(),
  cursor: cursor.optional(),
});

export const auditQuery = z.strictObject({
  namespace: namespaceField.optional(),
  path: pathField.optional(),
  actor: z.string().min(1).max(256).optional().meta({ example: 'token:tok_01HQKM3N' }),
  type: repeated(z.enum(AUDIT_EVENT_TYPES)).optional(),
  since: instant.optional(),
  until: instant.optional(),
  success: boolText.optional(),
  order: z.enum(['asc', 'desc']).optional().meta({ description: 'Default desc (newest first)' }),
  cursor: cursor.optional(),
  limit: intText(1, 1000).optional().meta({ description: 'Default 100, at most 1000' }),
});

export const secretParams = z.strictObject({ path: secretPathParam });
/** `secretParams` by hand, for the read path: the parameters if valid, else undefined (zod then words the 422). */
export const checkSecretParams = (raw: Record<string, string>): { path: string } | undefined =>
  typeof raw.path === 'string' && pathProblem(raw.path) === null ? { path: raw.path } : undefined;
export const approvalParams = z.strictObject({
  id: z.string().min(1).max(128).meta({ example: 'apr_01HQKM3N' }),
});
export const tokenParams = z.strictObject({
  id: z.string().min(1).max(128).meta({ example: 'tok_01HQKM3N' }),
});
