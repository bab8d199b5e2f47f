/**
 * Schema-qualified, quoted table names, so statements never depend on the connection's search_path.
 * audit_heads, agent_keys, tokens, approvals, leases and expiry_warnings exist only up to migration 2.
 */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function tables(schema: string) {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError('postgresAdapter: schema must be 1-63 letters, digits or underscores, not starting with a digit');
  }
  const s = `"${schema}"`;
  const names = {
    migrations: 'agentvault_migrations', secrets: 'secrets', access: 'secret_access', versions: 'secret_versions',
    auditEvents: 'audit_events', auditHeads: 'audit_heads', agentKeys: 'agent_keys', tokens: 'tokens',
    approvals: 'approvals', leases: 'leases', expiryWarnings: 'expiry_warnings', records: 'records',
    auditCounters: 'audit_counters',
  };
  const qualified = Object.fromEntries(Object.entries(names).map(([k, v]) => [k, `${s}.${v}`])) as typeof names;
  return { schema: s, ...qualified };
}

export type Tables = ReturnType<typeof tables>;
