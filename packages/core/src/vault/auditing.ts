/** Building audit events, and the wrapper that audits every operation's refusal or failure. */

import type { z } from 'zod';
import type { AuditDetails, AuditDraft, AuditEventInput, AuditEventType } from '../contracts/records';
import { newId } from '../domain/ids';
import { pathProblem } from '../domain/paths';
import { AgentVaultError } from '../errors';
import { parseOptions } from '../schemas/fields';
import { anonymousCall, type CallContext, type CallFields, resolveCall } from './authorization';
import type { Runtime } from './runtime';

export function draftEvent(
  rt: Runtime,
  call: CallContext,
  type: AuditEventType,
  path: string | null,
  details: AuditDetails = {},
): AuditDraft {
  return {
    id: newId('evt'),
    tenant: call.tenant,
    type,
    path,
    actor: call.actor,
    actorDescription: call.actorDescription,
    ip: call.ip,
    userAgent: call.userAgent,
    timestamp: rt.clock.now(),
    details,
  };
}

/** Append events on their own (no record writes): the plain audit append. */
export async function appendEvent(rt: Runtime, ...events: AuditEventInput[]): Promise<void> {
  await rt.storage.commit({ writes: [], events });
}

export function successEvent(
  rt: Runtime,
  call: CallContext,
  type: AuditEventType,
  path: string | null,
  version: number | null,
  details: AuditDetails = {},
): AuditEventInput {
  return Object.assign(draftEvent(rt, call, type, path, details), { success: true, error: null, version });
}

export function failureEvent(
  rt: Runtime,
  call: CallContext,
  type: AuditEventType,
  path: string | null,
  error: unknown,
): AuditEventInput {
  const code = error instanceof AgentVaultError ? error.code : 'internal_error';
  return Object.assign(draftEvent(rt, call, type, path), { success: false, error: code, version: null });
}

/** Errors whose audit event storage already appended (the audited read's refusals). */
const audited = new WeakSet<object>();

export function alreadyAudited<E extends object>(error: E): E {
  audited.add(error);
  return error;
}

/** What an operation is doing, filled in as the operation learns it, for its failure event. */
export interface OperationFacts {
  type: AuditEventType;
  path: string | null;
}

/**
 * Run one public operation: parse its options once (the schema includes the call fields), resolve
 * the caller, run the body. Whatever makes it fail — a refusal, bad input, a lost check-and-set,
 * storage trouble — is appended to the audit trail (unless storage already did) and rethrown.
 */
export async function operation<S extends z.ZodType<CallFields>, T>(
  rt: Runtime,
  facts: OperationFacts,
  schema: S,
  rawOptions: unknown,
  body: (call: CallContext, options: z.output<S>, facts: OperationFacts) => Promise<T>,
): Promise<T> {
  let call: CallContext | null = null;
  try {
    const options = parseOptions(schema, rawOptions);
    const resolved = resolveCall(rt, options);
    call = resolved instanceof Promise ? await resolved : resolved;
    return await body(call, options, facts);
  } catch (error) {
    await auditFailure(rt, call ?? anonymousCall(rt, rawOptions, error), facts, error);
    throw error;
  }
}

/** Append the failure event of an operation, unless storage already did; never throws. */
export async function auditFailure(
  rt: Runtime,
  call: CallContext,
  facts: OperationFacts,
  error: unknown,
): Promise<void> {
  if (error instanceof Object && audited.has(error)) return;
  try {
    await appendEvent(rt, failureEvent(rt, call, facts.type, facts.path, error));
  } catch (auditError) {
    rt.logger.error('could not audit a failed operation', {
      type: facts.type,
      error: auditError instanceof Error ? auditError.message : String(auditError),
    });
  }
}

/** The path to record for a raw argument: itself if valid, else null (invalid input is never stored). */
export function auditablePath(raw: unknown): string | null {
  return typeof raw === 'string' && pathProblem(raw) === null ? raw : null;
}
