/** Reading EXPLAIN (FORMAT JSON) output. */
import type pg from 'pg';

export interface PlanNode {
  type: string;
  relation: string | null;
  index: string | null;
}

interface RawPlan {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: RawPlan[];
}

function walk(plan: RawPlan, into: PlanNode[]): PlanNode[] {
  into.push({
    type: plan['Node Type'],
    relation: plan['Relation Name'] ?? null,
    index: plan['Index Name'] ?? null,
  });
  for (const child of plan.Plans ?? []) walk(child, into);
  return into;
}

/** Every node of the plan of `text` with `values` (the statement is planned, not run). */
export async function planNodes(pool: pg.Pool, text: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
  return walk((rows[0]['QUERY PLAN'] as { Plan: RawPlan }[])[0]!.Plan, []);
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
