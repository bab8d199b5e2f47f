/**
 * `@agentvault/core/http`: the vault's HTTP API as a fetch handler, the request core that the
 * Express and Koa bindings share, rate limiters and the OpenAPI document. Kept out of the core
 * entry so that an in-process vault pulls in nothing of HTTP.
 */
import { type OpenApiDocument, type OpenApiOptions, openApiDocument } from './openapi';
import { routes } from './routes';

export { canonicalIp, clientIp, type TrustProxy } from './client-ip';
export { type ErrorResponse, errorResponse, HttpError, type WireError, type WireIssue } from './errors';
export {
  createVaultHandler,
  type FetchContext,
  type FetchHandlerOptions,
  type VaultFetchHandler,
} from './fetch';
export {
  createRequestHandler,
  type VaultHandlerOptions,
  type VaultRequest,
  type VaultRequestHandler,
  type VaultResponse,
} from './handler';
export { type MemoryRateLimiter, type MemoryRateLimiterOptions, memoryRateLimiter } from './rate-limit/memory';
export { type RefusalAuditOptions } from './refusal-audit';
export { type RedisRateLimiterOptions, type RedisScriptClient, redisRateLimiter } from './rate-limit/redis';
export type { RateLimitDecision, RateLimiter, TokenBucketOptions } from './rate-limit/token-bucket';

/** The OpenAPI 3.1 document of the HTTP API (what `GET /openapi.json` serves). */
export function vaultOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  return openApiDocument(routes, options);
}
export type { OpenApiDocument, OpenApiOptions };
