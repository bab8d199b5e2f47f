/** Reading EXPLAIN (FORMAT JSON) output. */
import pg from 'pg';

const { escapeLiteral } = pg;

export interface PlanNode {
  type: string;
  relation: string | null;
  index: string | null;
  indexCond: string | null;
  /** Rows the node returned over all its loops (EXPLAIN ANALYZE only). */
  actualRows: number | null;
}

interface RawPlan {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Plans'?: RawPlan[];
}

function walk(plan: RawPlan, into: PlanNode[]): PlanNode[] {
  into.push({
    type: plan['Node Type'],
    relation: plan['Relation Name'] ?? null,
    index: plan['Index Name'] ?? null,
    indexCond: plan['Index Cond'] ?? null,
    actualRows: plan['Actual Rows'] === undefined ? null : plan['Actual Rows'] * (plan['Actual Loops'] ?? 1),
  });
  for (const child of plan.Plans ?? []) walk(child, into);
  return into;
}

/** Every node of the plan of `text` with `values` (the statement is planned, not run). */
export async function planNodes(pool: pg.Pool, text: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
  return walk((rows[0]['QUERY PLAN'] as { Plan: RawPlan }[])[0]!.Plan, []);
}

/** Every node of the plan of `text` with `values` as it ran (EXPLAIN ANALYZE: the statement runs). */
export async function analyzedNodes(pool: pg.Pool, text: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await pool.query(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${text}`, values);
  return walk((rows[0]['QUERY PLAN'] as { Plan: RawPlan }[])[0]!.Plan, []);
}

/** SQL literal for a statement parameter, to EXECUTE a prepared statement by hand. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]::text[]`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return escapeLiteral(String(value));
}

/** Nodes of the generic plan a prepared statement settles on (plan_cache_mode = force_generic_plan). */
export async function genericPlanNodes(pool: pg.Pool, text: string, values: unknown[]): Promise<PlanNode[]> {
  const client = await pool.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE agentvault_generic AS ${text}`);
    const { rows } = await client.query(
      `EXPLAIN (FORMAT JSON) EXECUTE agentvault_generic(${values.map(literal).join(', ')})`,
    );
    return walk((rows[0]['QUERY PLAN'] as { Plan: RawPlan }[])[0]!.Plan, []);
  } finally {
    await client.query('DEALLOCATE ALL');
    await client.query('RESET plan_cache_mode');
    client.release();
  }
}

export async function planText(pool: pg.Pool, text: string, values: unknown[]): Promise<string> {
  const { rows } = await pool.query(`EXPLAIN ${text}`, values);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

/** Nodes that read a table without an index. */
export function sequentialScans(nodes: PlanNode[]): PlanNode[] {
  return nodes.filter((node) => node.type === 'Seq Scan');
}

export function indexesUsed(nodes: PlanNode[]): string[] {
  return [...new Set(nodes.flatMap((node) => (node.index ? [node.index] : [])))].sort();
}
