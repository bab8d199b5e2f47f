/**
 * `@agentvault/console`: the pages where humans approve token requests and look at secrets'
 * metadata, alerts and the audit trail. Bindings: `@agentvault/console/express`, `/koa`, `/fetch`.
 */
export {
  type ConsoleOptions,
  type ConsoleRequest,
  type ConsoleRequestHandler,
  type ConsoleResponse,
  createConsoleRequestHandler,
} from './handler';
export { escapeAttribute, escapeText, html, SafeHtml } from './html';
export { memorySessionStore, type Session, type SessionStore, type SessionStoreOptions } from './session';
