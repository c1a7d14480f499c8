import type { AwaitSite } from '../sched/await-site.js';

/** `wallet.ts:35`: the file's last path segment and the line, as a trace prints an await's place. */
export function siteLocation(site: AwaitSite): string {
  if (site.line === 0) return ''; // a controlled() call: its text names the object
  const slash = Math.max(site.file.lastIndexOf('/'), site.file.lastIndexOf('\\'));
  return `${site.file.slice(slash + 1)}:${site.line}`;
}

/**
 * An await's step label: `wallet.ts:35 this.accounts.findById(accountId)` for the call going out, with `returns`
 * (the response coming back) or `pending` (a wait's description) after it.
 */
export function siteLabel(site: AwaitSite, phase?: 'returns' | 'pending'): string {
  const location = siteLocation(site);
  const head = `${location ? `${location} ` : ''}${site.kind === 'for-await' ? 'for await ' : ''}${site.text}`;
  return phase ? `${head} ${phase}` : head;
}

/** For a sentence: `src/wallet.ts:35:18 (await this.accounts.findById(accountId))`. */
export function describeSite(site: AwaitSite): string {
  if (site.line === 0) return `the call ${site.text}`;
  return `${site.file}:${site.line}:${site.column + 1} (${site.kind === 'then' ? '.then of ' : 'await '}${site.text})`;
}

const MAX_VALUE = 48;

/**
 * A value as a trace shows what an await returned: ` -> {balance:100}`, or nothing when it is undefined, too long
 * or not plain data. Keys unquoted, strings quoted, at most MAX_VALUE characters: enough to read a race from.
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return '';
  const text = short(value, 2);
  return text === undefined || text.length > MAX_VALUE ? '' : ` -> ${text}`;
}

function short(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (depth === 0) return undefined;
      if (Array.isArray(value)) {
        const items = value.slice(0, 8).map((v) => short(v, depth - 1));
        if (items.some((i) => i === undefined)) return undefined;
        return `[${items.join(',')}${value.length > 8 ? ',…' : ''}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return value instanceof Map ? `Map(${value.size})` : undefined;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        const text = short(v, depth - 1);
        if (text === undefined) return undefined;
        parts.push(`${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}:${text}`);
        if (parts.join(',').length > MAX_VALUE) return undefined;
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined;
  }
}
