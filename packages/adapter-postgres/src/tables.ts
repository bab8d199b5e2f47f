/**
 * Schema-qualified, quoted table names, so statements never depend on the connection's search_path.
 * audit_heads, agent_keys, tokens, approvals, leases and expiry_warnings exist only up to migration 2.
 */

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `postgresAdapter: schema must be 1-63 letters, digits or underscores, not starting with a digit`,
    );
  }
  return schema;
}

export function tables(schema: string) {
  const s = quoteIdent(assertSchemaName(schema));
  return {
    schema: s,
    migrations: `${s}.agentvault_migrations`,
    secrets: `${s}.secrets`,
    access: `${s}.secret_access`,
    versions: `${s}.secret_versions`,
    auditEvents: `${s}.audit_events`,
    auditHeads: `${s}.audit_heads`,
    agentKeys: `${s}.agent_keys`,
    tokens: `${s}.tokens`,
    approvals: `${s}.approvals`,
    leases: `${s}.leases`,
    expiryWarnings: `${s}.expiry_warnings`,
    records: `${s}.records`,
    auditCounters: `${s}.audit_counters`,
  };
}

export type Tables = ReturnType<typeof tables>;
