/**
 * The one error hierarchy of AgentVault, shared by the in-process vault, the adapters and the
 * HTTP client. Every class has a stable `code` (the wire code of the REST API) and `statusCode`.
 * Messages never hold a secret value or a credential.
 */

export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'permission_denied'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'validation_error'
  | 'rate_limited'
  | 'pending'
  | 'internal_error'
  | 'integrity_error'
  | 'configuration_error'
  | 'unavailable'
  | 'network_error';

export interface AgentVaultErrorOptions {
  cause?: unknown;
  /** Non-secret facts that help the caller (shown in the HTTP error body). */
  details?: Record<string, unknown>;
}

/**
 * The key of the brand every AgentVault error carries. `Symbol.for` makes it the same key in every
 * copy of this module — the ESM and the CJS build of a package loaded side by side, or two
 * installed versions — where the classes themselves differ; `instanceof` checks the brand, so an
 * error thrown by one copy is an instance of the other's classes.
 */
const BRAND = Symbol.for('agentvault.error');

/** The brand a class declares itself (an unbranded subclass inherits none, so it keeps plain `instanceof`). */
function ownBrand(target: object): string | undefined {
  return Object.hasOwn(target, BRAND) ? (target as Record<symbol, string>)[BRAND] : undefined;
}

/** Gives a class its brand: a stable name, never `Function.name` (which minifiers change). */
function brand(type: object, name: string): void {
  Object.defineProperty(type, BRAND, { value: name });
}

/** The brands of `value`: its class and every branded class above it, outermost last. */
function brandsOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<symbol, unknown>)[BRAND] : undefined;
}

export class AgentVaultError extends Error {
  static {
    brand(this, 'AgentVaultError');
  }

  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown>;

  /** An instance of this class from this copy of the module, or an error branded with this class by any copy. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const brand = ownBrand(this);
    const brands = brandsOf(value);
    return brand !== undefined && Array.isArray(brands) && brands.includes(brand);
  }

  constructor(
    message: string,
    code: ErrorCode = 'internal_error',
    statusCode = 500,
    options: AgentVaultErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.details = options.details ?? {};
    const brands: string[] = [];
    for (let type: object | null = new.target; type !== null && type !== Error; type = Object.getPrototypeOf(type)) {
      const brand = ownBrand(type);
      if (brand !== undefined) brands.push(brand);
    }
    Object.defineProperty(this, BRAND, { value: Object.freeze(brands) });
  }
}

/** 401: the credential is unknown, expired, revoked or used up. */
export class AgentVaultAuthError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultAuthError');
  }

  constructor(message = 'Invalid or expired credential', options: AgentVaultErrorOptions = {}) {
    super(message, 'unauthorized', 401, options);
  }
}

/** 403: the principal is known but may not do this. */
export class AgentVaultPermissionError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultPermissionError');
  }

  readonly path: string | null;
  readonly requiredScope: string | null;

  constructor(
    message: string,
    fields: { path?: string | null; requiredScope?: string | null } = {},
    options: AgentVaultErrorOptions = {},
  ) {
    super(message, 'permission_denied', 403, options);
    this.path = fields.path ?? null;
    this.requiredScope = fields.requiredScope ?? null;
  }
}

/** 404 */
export class AgentVaultNotFoundError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultNotFoundError');
  }

  readonly path: string | null;

  constructor(message: string, fields: { path?: string | null } = {}, options: AgentVaultErrorOptions = {}) {
    super(message, 'not_found', 404, options);
    this.path = fields.path ?? null;
  }
}

/** 409: the path exists, a check-and-set lost, or a decision was already made. */
export class AgentVaultConflictError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultConflictError');
  }

  constructor(message: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'conflict', 409, options);
  }
}

/** 410: the secret expired, or the version was rotated out and its grace period ended. */
export class AgentVaultGoneError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultGoneError');
  }

  readonly path: string | null;

  constructor(message: string, fields: { path?: string | null } = {}, options: AgentVaultErrorOptions = {}) {
    super(message, 'gone', 410, options);
    this.path = fields.path ?? null;
  }
}

export interface ValidationIssue {
  /** Where the problem is: field names and indexes, e.g. `["tags", "team"]` or `["line", 3]`. */
  path: (string | number)[];
  message: string;
}

/** 422 (`validation_error`) for a well-formed request that breaks the rules; 400 (`invalid_request`) for a malformed one. */
export class AgentVaultValidationError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultValidationError');
  }

  readonly issues: ValidationIssue[];

  constructor(
    message: string,
    issues: ValidationIssue[] = [],
    options: AgentVaultErrorOptions & { malformed?: boolean } = {},
  ) {
    super(
      message,
      options.malformed ? 'invalid_request' : 'validation_error',
      options.malformed ? 400 : 422,
      options,
    );
    this.issues = issues;
  }
}

/** 202: the token request waits for a human decision. */
export class AgentVaultApprovalPendingError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultApprovalPendingError');
  }

  readonly approvalRequestId: string;

  constructor(message: string, approvalRequestId: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'pending', 202, options);
    this.approvalRequestId = approvalRequestId;
  }
}

/** 429 */
export class AgentVaultRateLimitError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultRateLimitError');
  }

  /** Seconds until a retry can succeed. */
  readonly retryAfter: number;

  constructor(message: string, retryAfter: number, options: AgentVaultErrorOptions = {}) {
    super(message, 'rate_limited', 429, options);
    this.retryAfter = retryAfter;
  }
}

/** 503: storage or the key service cannot be reached right now; retrying may succeed. */
export class AgentVaultUnavailableError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultUnavailableError');
  }

  constructor(message: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'unavailable', 503, options);
  }
}

/**
 * 500: stored data failed authentication — a ciphertext, wrapped key or audit event was altered,
 * moved to another row or bound to another context. Never retried.
 */
export class AgentVaultIntegrityError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultIntegrityError');
  }

  constructor(message: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'integrity_error', 500, options);
  }
}

/** 500: the vault is set up wrong (an unknown key id, access denied to a KMS key). Retrying will not help. */
export class AgentVaultConfigurationError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultConfigurationError');
  }

  constructor(message: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'configuration_error', 500, options);
  }
}

/** The HTTP client could not reach the server or timed out (client only). */
export class AgentVaultNetworkError extends AgentVaultError {
  static {
    brand(this, 'AgentVaultNetworkError');
  }

  constructor(message: string, options: AgentVaultErrorOptions = {}) {
    super(message, 'network_error', 0, options);
  }
}

/** True for failures a caller may retry with backoff. */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof AgentVaultUnavailableError
    || error instanceof AgentVaultRateLimitError
    || error instanceof AgentVaultNetworkError
  );
}
