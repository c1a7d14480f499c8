import { RacelabError } from '../core/errors.js';

/** What the rights check needs of a connection: one query at a time. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The table rights the store's statements use: reads, upserts, version bumps, and removing a namespace's rows. */
const TABLE_RIGHTS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/** Where the rights check looked, for the message: the server's `host:port`. */
export interface PgRightsContext {
  readonly where: string;
}

/**
 * Before any statement runs, asks PostgreSQL which rights the connected role lacks, so a role set up by hand gets
 * the exact GRANT to run instead of "permission denied for schema public" in the middle of a run. A table that
 * exists is used as it is (no CREATE needed on the schema); one that does not must be creatable. Returns whether
 * the table exists.
 */
export async function checkPgRights(q: Queryable, table: string, ctx: PgRightsContext): Promise<boolean> {
  const r = await q.query(
    `SELECT current_user AS role, current_schema() AS schema, to_regclass($1) IS NOT NULL AS present,
            (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)) AS table_schema`,
    [table],
  );
  const row = r.rows[0] as { role: string; schema: string | null; present: boolean; table_schema: string | null };
  const role = quoteIdent(row.role);
  const name = table.replace(/^"|"$/g, '');
  if (row.present) {
    const rights = await q.query(
      `SELECT p AS right FROM unnest($2::text[]) AS p WHERE NOT has_table_privilege(to_regclass($1), p)`,
      [table, [...TABLE_RIGHTS]],
    );
    const missing = rights.rows.map((x) => x.right as string);
    if (missing.length) {
      const qualified = `${quoteIdent(row.table_schema ?? 'public')}.${quoteIdent(name)}`;
      throw new RacelabError(
        'BAD_STORE',
        `PostgreSQL role ${row.role} at ${ctx.where} may not ${missing.join(', ')} on table ${qualified}; as its owner or a superuser run: GRANT ${missing.join(', ')} ON TABLE ${qualified} TO ${role};`,
        { subject: 'store' },
      );
    }
    return true;
  }
  if (row.schema === null) {
    throw new RacelabError(
      'BAD_STORE',
      `PostgreSQL role ${row.role} at ${ctx.where} has no schema it may use on its search_path, so table ${name} cannot be created; as a superuser run: GRANT USAGE, CREATE ON SCHEMA public TO ${role};`,
      { subject: 'store' },
    );
  }
  const can = await q.query(`SELECT has_schema_privilege($1, 'CREATE') AS create`, [row.schema]);
  if (!(can.rows[0] as { create: boolean }).create) {
    throw new RacelabError(
      'BAD_STORE',
      `PostgreSQL role ${row.role} at ${ctx.where} may not create table ${name} in schema ${row.schema}; as the schema's owner or a superuser run: GRANT CREATE ON SCHEMA ${quoteIdent(row.schema)} TO ${role}; (or create the table once as another role and grant ${TABLE_RIGHTS.join(', ')} on it)`,
      { subject: 'store' },
    );
  }
  return false;
}

/** An SQL identifier as PostgreSQL would print it: bare when it is a plain lower-case name, else double-quoted. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
