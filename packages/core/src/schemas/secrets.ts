/** Input schemas of the secret operations (in-process, camelCase). */
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../contracts/records';
import type { Principal } from '../domain/principals';
import {
  descriptionField,
  instantField,
  namespaceField,
  pathField,
  rotationField,
  secretTypeField,
  tagsField,
  textField,
  tierField,
  valueField,
  versionField,
  versionRetentionField,
} from './fields';

export const tenantField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'tenant ids may only hold A-Z a-z 0-9 . _ -');

/** Who is calling; accepted by every operation. */
export const callShape = {
  tenant: tenantField.optional(),
  /** Act as the holder of this scoped token. */
  token: z.string().min(1).max(512).optional(),
  /** Act as a principal the host authenticated (see `vault.authenticate`). */
  principal: z
    .custom<Principal>(
      (value) => typeof value === 'object' && value !== null && 'kind' in value,
      'not a principal',
    )
    .optional(),
  /** Attribution for trusted in-process calls: audited as `app:<actor>`. */
  actor: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._@:-]+$/, 'actor names may only hold A-Z a-z 0-9 . _ @ : -')
    .optional(),
  ip: z.string().max(64).optional(),
  userAgent: textField(512).optional(),
};
export const callSchema = z.strictObject(callShape);
export type CallOptions = z.input<typeof callSchema>;

const expiryShape = {
  /** When reads start answering 410; null clears it. */
  expiresAt: instantField.nullable().optional(),
  /** Shorthand: expire this many days from now. */
  expiresInDays: z.number().int().positive().max(36_500).optional(),
};

function oneExpiry(input: { expiresAt?: unknown; expiresInDays?: unknown }): boolean {
  return input.expiresAt === undefined || input.expiresInDays === undefined;
}
const oneExpiryMessage = { message: 'give expiresAt or expiresInDays, not both', path: ['expiresInDays'] };

const expectedVersionShape = {
  /** Check-and-set: fail with a conflict unless this is still the current version. */
  expectedVersion: versionField.optional(),
};

export function secretSchemas(maxValueBytes: number) {
  const value = valueField(maxValueBytes);
  const metadataShape = {
    type: secretTypeField.optional(),
    tier: tierField.optional(),
    description: descriptionField.nullable().optional(),
    tags: tagsField.optional(),
    /** Rotate automatically with a registered handler; null turns it off. */
    rotation: rotationField.nullable().optional(),
    /** This secret's version retention, overriding the vault's; null = the vault's. */
    versionRetention: versionRetentionField.nullable().optional(),
    ...expiryShape,
  };
  return {
    create: z.strictObject({ path: pathField, value, ...metadataShape }).refine(oneExpiry, oneExpiryMessage),
    set: z
      .strictObject({ ...metadataShape, ...expectedVersionShape, ...callShape })
      .refine(oneExpiry, oneExpiryMessage),
    update: z
      .strictObject({ value: value.optional(), ...metadataShape, ...expectedVersionShape })
      .refine(oneExpiry, oneExpiryMessage)
      .refine((input) => Object.keys(input).some((key) => key !== 'expectedVersion'), 'nothing to update'),
    value,
    path: pathField,
    namespace: namespaceField,
  };
}

export const getSecretOptionsSchema = z.strictObject({ version: versionField.optional(), ...callShape });

export const MAX_PAGE_SIZE = 200;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

export const listSecretsOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(2048).nullable().optional(),
  tier: oneOrMany(tierField).optional(),
  type: oneOrMany(secretTypeField).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** List the trash instead of live secrets. */
  trashed: z.boolean().default(false),
  ...callShape,
});

export const rotateOptionsSchema = z.strictObject({
  /** How long the old version stays readable by number. Default 0. */
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(365 * 86_400)
    .default(0),
  ...expectedVersionShape,
  ...callShape,
});

export const rollbackOptionsSchema = z.strictObject({ ...expectedVersionShape, ...callShape });

export const deleteOptionsSchema = z.strictObject({ permanent: z.boolean().default(false), ...callShape });

export const importEnvOptionsSchema = z.strictObject({
  /** Secrets land at `<namespace>/<KEY>`; "" puts them at the top level. */
  namespace: namespaceField.default(''),
  /** Tier of keys no prefix matches: new secrets default to standard; an overwrite keeps the stored tier. */
  tier: tierField.optional(),
  /** Tier by key prefix, e.g. `{ DB_: 'critical' }`; the longest matching prefix wins. */
  tierByPrefix: z.record(z.string().min(1).max(128), tierField).default({}),
  /** New secrets default to custom; an overwrite keeps the stored type unless this is given. */
  type: secretTypeField.optional(),
  dryRun: z.boolean().default(false),
  overwrite: z.boolean().default(false),
  ...callShape,
});

export const auditQuerySchema = z.strictObject({
  namespace: namespaceField.optional(),
  path: pathField.optional(),
  actor: z.string().min(1).max(256).optional(),
  type: oneOrMany(z.enum(AUDIT_EVENT_TYPES)).optional(),
  since: instantField.optional(),
  until: instantField.optional(),
  success: z.boolean().optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  cursor: z.string().max(2048).nullable().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
