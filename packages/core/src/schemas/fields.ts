/**
 * Field schemas shared by the in-process API and the HTTP layer. Messages describe the rule,
 * never the input (an input may be a secret).
 */
import { z } from 'zod';
import { SECRET_TYPES, TIERS } from '../domain/classification';
import { namespaceProblem, pathProblem } from '../domain/paths';
import { type TextKind, textProblem } from '../domain/text';
import { AgentVaultValidationError, type ValidationIssue } from '../errors';

export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
export const MAX_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 512;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_NOTE_LENGTH = 1024;

export const pathField = z.string().check((ctx) => {
  const problem = pathProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

export const namespaceField = z.string().check((ctx) => {
  const problem = namespaceProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

/**
 * Free text that people read (domain/text): no control characters, no bidirectional overrides or
 * isolates; `multi-line` text may hold newlines and tabs.
 */
export function textField(maxLength: number, kind: TextKind = 'single-line') {
  return z
    .string()
    .max(maxLength)
    .check((ctx) => {
      const problem = textProblem(ctx.value, kind);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    });
}

export const tierField = z.enum(TIERS);
export const secretTypeField = z.enum(SECRET_TYPES);

export const tagsField = z
  .record(
    z
      .string()
      .min(1)
      .max(MAX_TAG_KEY_LENGTH)
      .regex(/^[A-Za-z0-9_.:/-]+$/, 'tag keys may only hold A-Z a-z 0-9 _ . : / -'),
    textField(MAX_TAG_VALUE_LENGTH),
  )
  .refine((tags) => Object.keys(tags).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);

/** One line of printable text (a secret's, key's or token request's description). */
export const descriptionField = textField(MAX_DESCRIPTION_LENGTH);
/** An approver's comment or denial reason: printable text, newlines and tabs allowed. */
export const noteField = textField(MAX_NOTE_LENGTH, 'multi-line');

export const MAX_SCOPE_LENGTH = 4096;
export const MAX_SCOPE_GRANTS = 20;

/**
 * A scope string's size: at most MAX_SCOPE_GRANTS space-separated grants and MAX_SCOPE_LENGTH
 * characters, so the work of a token request (one tier lookup per grant) stays bounded. Its
 * grammar is checked where it is parsed (domain/scopes).
 */
export const scopeField = z
  .string()
  .min(1)
  .max(MAX_SCOPE_LENGTH)
  .check((ctx) => {
    const grants = ctx.value.split(/\s+/).filter((grant) => grant !== '').length;
    if (grants > MAX_SCOPE_GRANTS)
      ctx.issues.push({ code: 'custom', message: `a scope holds at most ${MAX_SCOPE_GRANTS} grants`, input: ctx.value });
  })
  .meta({
    description: `Space-separated grants (secrets:<action>:<pattern>, audit:read): at most ${MAX_SCOPE_GRANTS} grants and ${MAX_SCOPE_LENGTH} characters`,
  });

/** An automatic rotation policy; `null` switches automatic rotation off. */
export const rotationField = z.strictObject({
  /** How often to rotate: at least a minute, at most ten years. */
  everySeconds: z.number().int().min(60).max(10 * 365 * 86_400),
  /** How long the replaced version stays readable after each rotation. Default 0. */
  gracePeriodSeconds: z.number().int().min(0).max(365 * 86_400).default(0),
});

/**
 * A secret's version-history retention (domain/version-retention): keep replaced versions `days`
 * days and/or at most `versions` versions; a null bound does not apply. `null` = the vault's policy.
 */
export const versionRetentionField = z
  .strictObject({
    days: z.number().int().min(1).max(36_500).nullable().default(null),
    versions: z.number().int().min(1).max(100_000).nullable().default(null),
  })
  .meta({ description: 'Keep replaced versions `days` days and/or at most `versions` versions; null = no bound' });

/** A point in time: a Date, an ISO-8601 string or ms since the epoch; parsed to ms. */
export const instantField = z
  .union([z.date(), z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((value) => (typeof value === 'number' ? value : new Date(value).getTime()))
  .refine((ms) => Number.isFinite(ms), 'not a valid time');

/** `2` or `"v2"`, as the seed SDKs accept both. */
export const versionField = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^v?[1-9]\d{0,9}$/, 'a version is a positive integer or "v<n>"'),
  ])
  .transform((value) => (typeof value === 'number' ? value : Number(value.replace(/^v/, ''))))
  .refine((n) => Number.isSafeInteger(n), 'version out of range');

/** A secret value: a well-formed UTF-8 string within the size limit. */
export function valueField(maxBytes: number) {
  return z.string().check((ctx) => {
    if (!ctx.value.isWellFormed()) {
      ctx.issues.push({ code: 'custom', message: 'value is not valid Unicode (lone surrogate)', input: '' });
    } else if (Buffer.byteLength(ctx.value, 'utf8') > maxBytes) {
      ctx.issues.push({ code: 'custom', message: `value is larger than ${maxBytes} bytes`, input: '' });
    }
  });
}

export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
  }));
}

/** Parse a path argument; the common valid case skips zod. */
export function parsePath(value: unknown): string {
  if (typeof value === 'string' && pathProblem(value) === null) return value;
  return parseInput(pathField, value, 'path');
}

const parsedDefaults = new WeakMap<z.ZodType, unknown>();

/** Parse an options argument; an omitted one is parsed once per schema and the result reused (it is never mutated). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
  if (options !== undefined) return parseInput(schema, options, 'options');
  if (!parsedDefaults.has(schema)) parsedDefaults.set(schema, parseInput(schema, {}, 'options'));
  return parsedDefaults.get(schema) as z.output<S>;
}

/** Parse input at an entry point; bad input throws AgentVaultValidationError listing every issue. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new AgentVaultValidationError(`Invalid ${what}`, toIssues(result.error));
  return result.data;
}
