/**
 * A reader for EDN (extensible data notation), the format Jepsen and Knossos store histories in: enough of
 * the spec for real history files (maps, vectors, lists, sets, keywords, symbols, strings, characters,
 * numbers, nil/true/false, comments, `#_` discards and tagged literals such as `#jepsen.history.Op{…}`).
 * Errors carry the 1-based line where the problem is.
 */

import { STOP_EVERY } from './stopped.js';

/** `:read` is a Keyword("read"): kept distinct from the string "read" until a caller flattens it. */
export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

export type EdnValue = null | boolean | number | string | EdnKeyword | EdnSymbol | EdnTagged | EdnValue[] | EdnMap | EdnSet;

export class EdnMap {
  constructor(readonly entries: Array<[EdnValue, EdnValue]>) {}
  /** The value under keyword `:name`, or undefined. */
  get(name: string): EdnValue | undefined {
    for (const [k, v] of this.entries) if (k instanceof EdnKeyword && k.name === name) return v;
    return undefined;
  }
  has(name: string): boolean {
    return this.entries.some(([k]) => k instanceof EdnKeyword && k.name === name);
  }
}

export class EdnSet {
  constructor(readonly items: EdnValue[]) {}
}

export class EdnSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface EdnForm {
  readonly value: EdnValue;
  /** Line where the form starts. */
  readonly line: number;
}

const DELIMITERS = new Set(['(', ')', '[', ']', '{', '}', '"', ';']);
const NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?[NM]?$/;
const RATIO = /^[+-]?\d+\/\d+$/;
const CHAR_NAMES: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f' };

class Reader {
  private pos = 0;
  private line = 1;
  /** How deep in collections the reader is: 1 inside a top-level vector or list (Knossos's one-vector histories). */
  private depth = 0;
  private stop: (() => boolean) | undefined;
  constructor(private readonly text: string) {}

  private fail(message: string, line = this.line): never {
    throw new EdnSyntaxError(line, message);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private next(): string {
    const c = this.text[this.pos++];
    if (c === '\n') this.line++;
    return c ?? '';
  }

  /** Skips whitespace, commas, comments and `#_` discarded forms; false at end of input. */
  private skip(): boolean {
    for (;;) {
      const c = this.peek();
      if (c === undefined) return false;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',') this.next();
      else if (c === ';') while (this.peek() !== undefined && this.peek() !== '\n') this.next();
      else if (c === '#' && this.text[this.pos + 1] === '_') {
        this.pos += 2;
        if (!this.skip()) this.fail('#_ discards a form, but the input ends');
        this.form();
      } else return true;
    }
  }

  forms(stop?: () => boolean): EdnForm[] {
    this.stop = stop;
    const out: EdnForm[] = [];
    while (this.skip()) {
      const line = this.line;
      out.push({ value: this.form(), line });
      if (stop && out.length % STOP_EVERY === 0 && stop()) throw new EdnReadStopped(out);
    }
    return out;
  }

  private token(): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || DELIMITERS.has(c)) break;
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  private sequence(close: string, what: string): EdnValue[] {
    const openedAt = this.line;
    const items: EdnValue[] = [];
    for (;;) {
      if (!this.skip()) this.fail(`${what} opened on line ${openedAt} is never closed with ${close}`);
      const c = this.peek();
      if (c === close) {
        this.next();
        return items;
      }
      if (c === ')' || c === ']' || c === '}') this.fail(`unexpected ${c} inside the ${what} opened on line ${openedAt} (expected ${close})`);
      this.depth++;
      try {
        items.push(this.form());
      } finally {
        this.depth--;
      }
      // A whole history in one top-level vector is one form: it is stopped between its items too.
      if (this.depth === 0 && this.stop && items.length % STOP_EVERY === 0 && this.stop()) throw new EdnReadStopped(items.map((value) => ({ value, line: openedAt })));
    }
  }

  private string(): string {
    const openedAt = this.line;
    this.next(); // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail(`string opened on line ${openedAt} is never closed`, openedAt);
      const c = this.next();
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.next();
      if (e === 'n') out += '\n';
      else if (e === 't') out += '\t';
      else if (e === 'r') out += '\r';
      else if (e === 'b') out += '\b';
      else if (e === 'f') out += '\f';
      else if (e === 'u') {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad unicode escape \\u${hex} in a string`);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else out += e;
    }
  }

  private form(): EdnValue {
    const c = this.peek()!;
    if (c === '(') return (this.next(), this.sequence(')', 'list'));
    if (c === '[') return (this.next(), this.sequence(']', 'vector'));
    if (c === '{') {
      const line = this.line;
      this.next();
      const items = this.sequence('}', 'map');
      if (items.length % 2 !== 0) this.fail('a map needs an even number of forms (key value pairs)', line);
      const entries: Array<[EdnValue, EdnValue]> = [];
      for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
      return new EdnMap(entries);
    }
    if (c === '"') return this.string();
    if (c === ')' || c === ']' || c === '}') this.fail(`unexpected ${c}`);
    if (c === '\\') {
      this.next();
      const name = this.next() + this.token();
      if (name.length === 1) return name;
      if (CHAR_NAMES[name] !== undefined) return CHAR_NAMES[name]!;
      if (/^u[0-9a-fA-F]{4}$/.test(name)) return String.fromCharCode(parseInt(name.slice(1), 16));
      this.fail(`unknown character literal \\${name}`);
    }
    if (c === '#') {
      this.next();
      if (this.peek() === '{') {
        this.next();
        return new EdnSet(this.sequence('}', 'set'));
      }
      const tag = this.token();
      if (tag === '') this.fail('# must be followed by a tag, { or _');
      if (!this.skip()) this.fail(`tag #${tag} is not followed by a form`);
      return new EdnTagged(tag, this.form());
    }
    const line = this.line;
    const tok = this.token();
    if (tok === '') this.fail(`unexpected character ${JSON.stringify(c)}`, line);
    if (tok === 'nil') return null;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (NUMBER.test(tok)) return Number(tok.replace(/[NM]$/, ''));
    if (RATIO.test(tok)) {
      const [n, d] = tok.split('/').map(Number) as [number, number];
      return n / d;
    }
    if (/^[+-]?\d/.test(tok)) this.fail(`${tok} is not a number`, line);
    if (tok.startsWith(':')) {
      if (tok.length === 1) this.fail('a keyword needs a name after :', line);
      return new EdnKeyword(tok.replace(/^::?/, ''));
    }
    return new EdnSymbol(tok);
  }
}

/** `readEdnForms` stopped by its `stop`: the forms read until then. */
export class EdnReadStopped extends Error {
  constructor(readonly forms: readonly EdnForm[]) {
    super(`stopped after ${forms.length} EDN forms`);
    this.name = 'EdnReadStopped';
  }
}

/**
 * Every top-level form of an EDN text, with the line each starts on. `stop` is asked every thousand forms or so;
 * true stops the reading with `EdnReadStopped`.
 */
export function readEdnForms(text: string, stop?: () => boolean): EdnForm[] {
  return new Reader(text).forms(stop);
}

/** One EDN value (e.g. a value column of a Jepsen log line); throws EdnSyntaxError unless exactly one form. */
export function readEdn(text: string, line = 1): EdnValue {
  let forms: EdnForm[];
  try {
    forms = readEdnForms(text);
  } catch (e) {
    if (e instanceof EdnSyntaxError) throw new EdnSyntaxError(line + e.line - 1, e.message);
    throw e;
  }
  if (forms.length !== 1) throw new EdnSyntaxError(line, `expected one EDN value, found ${forms.length}`);
  return forms[0]!.value;
}

/**
 * EDN to plain JSON-like data: keywords and symbols become their names, vectors, lists and sets arrays, maps
 * objects (non-string keys written as EDN), tagged literals their value.
 */
export function ednToJson(value: EdnValue): unknown {
  if (value instanceof EdnKeyword || value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnTagged) return ednToJson(value.value);
  if (Array.isArray(value)) return value.map(ednToJson);
  if (value instanceof EdnSet) return value.items.map(ednToJson);
  if (value instanceof EdnMap) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.entries) {
      const key = ednToJson(k);
      out[typeof key === 'string' ? key : JSON.stringify(key)] = ednToJson(v);
    }
    return out;
  }
  return value;
}
