import { RacelabError } from '../core/errors.js';

/**
 * Per-call request templating: `{{index}}` (the call's position in the burst), `{{client}}` (the connection
 * or process that sends it), `{{round}}`, `{{uuid}}` (a fresh random UUID from the run's seeded generator), and
 * `{{run}}` (an id drawn once per run, not from the seed: the same for every call of the run, new in every run, so
 * names a run creates on a server never meet those of an earlier run, even one with the same seed).
 * Placeholders live in JSON string values; numeric fields accept the resulting numeric strings, as the proto3
 * JSON mapping does.
 */
export interface TemplateVars {
  readonly index: number;
  readonly client: number;
  readonly round: number;
  readonly uuid: () => string;
  readonly run: string;
}

export const PLACEHOLDERS = ['index', 'client', 'round', 'uuid', 'run'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

/** Placeholders a template uses; an unknown one is bad input. */
export function templatePlaceholders(json: unknown, what = 'data'): Set<string> {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(PLACEHOLDER)) {
        const name = m[1] as string;
        if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
          throw new RacelabError('BAD_DATA', `unknown placeholder {{${name}}}; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`, { subject: what });
        }
        found.add(name);
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => {
      visit(k);
      visit(x);
    });
  };
  visit(json);
  return found;
}

/** The values a template is checked with before anything is sent (its request type must accept them). */
export const CHECK_VARS: TemplateVars = { index: 0, client: 0, round: 0, uuid: () => '00000000-0000-4000-8000-000000000000', run: '00000000' };

export function applyTemplate(json: unknown, vars: TemplateVars): unknown {
  const sub = (s: string): string =>
    s.replace(PLACEHOLDER, (_m, name: string) => (name === 'uuid' ? vars.uuid() : String(vars[name as 'index' | 'client' | 'round' | 'run'])));
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return sub(v);
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [sub(k), visit(x)]));
    return v;
  };
  return visit(json);
}
