import { types } from 'node:util';

/**
 * A value as a trace shows it: `"acc1"`, `{id:"acc1",balance:100}`, `[1,2,3,…+97]`, `Account{id:"acc1",…}`. Short
 * (at most `max` characters, default 48), bounded (a few levels deep, a few items wide, however large the value)
 * and safe: it never runs the value's code. No getter is called (an accessor prints as `get`), no `toJSON` or
 * `toString`, no Proxy trap (a Proxy prints as `Proxy`), so rendering a trace cannot change the run it describes
 * or throw. A value seen again on its own path prints as `[Circular]`.
 */
export function shortValue(value: unknown, max = 48): string {
  const text = render(value, 3, max, []);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** How many items of an array, and entries of an object, are shown before `…`. */
const WIDTH = 8;

function render(value: unknown, depth: number, room: number, path: object[]): string {
  switch (typeof value) {
    case 'string':
      return shortString(value, room);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.description === undefined ? 'Symbol()' : `Symbol(${value.description})`;
    case 'function':
      return value.name ? `[Function ${value.name}]` : '[Function]';
    default:
      return value === null ? 'null' : renderObject(value as object, depth, room, path);
  }
}

function renderObject(value: object, depth: number, room: number, path: object[]): string {
  if (types.isProxy(value)) return 'Proxy';
  if (path.includes(value)) return '[Circular]';
  if (types.isPromise(value)) return 'Promise';
  if (types.isDate(value)) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (types.isNativeError(value)) return `${className(value) ?? value.name}(${JSON.stringify(value.message.slice(0, room))})`;
  if (types.isMap(value)) return `Map(${value.size})`;
  if (types.isSet(value)) return `Set(${value.size})`;
  if (types.isWeakMap(value) || types.isWeakSet(value)) return types.isWeakMap(value) ? 'WeakMap' : 'WeakSet';
  if (ArrayBuffer.isView(value)) return `${className(value) ?? 'ArrayBuffer'}(${value.byteLength})`;
  if (types.isRegExp(value)) return String(value);
  const array = Array.isArray(value);
  const name = array ? undefined : className(value);
  if (depth === 0) return array ? `[…${(value as unknown[]).length}]` : `${name ?? ''}{…}`;
  path.push(value);
  const parts: string[] = [];
  let used = 2;
  const keys = array ? [] : Reflect.ownKeys(value).filter((k) => typeof k === 'string');
  const count = array ? (value as unknown[]).length : keys.length;
  let shown = 0;
  for (; shown < Math.min(count, WIDTH) && used < room; shown++) {
    const key = array ? String(shown) : (keys[shown] as string);
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    let item: string;
    if (descriptor === undefined) item = array ? '' : 'undefined'; // a hole
    else if (!('value' in descriptor)) item = 'get';
    else item = render(descriptor.value, depth - 1, room - used, path);
    const part = array ? item : `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}:${item}`;
    parts.push(part);
    used += part.length + 1;
  }
  path.pop();
  if (shown < count) parts.push(array ? `…+${count - shown}` : '…');
  return array ? `[${parts.join(',')}]` : `${name ?? ''}{${parts.join(',')}}`;
}

/** `Account` for an instance of a class, undefined for a plain object; read without running anything. */
function className(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || proto === Object.prototype) return undefined;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'Object';
}

/** Quoted, with its closing quote even when cut: `"SELECT balance FROM acc…"` fits `room` (at least 8 characters). */
function shortString(value: string, room: number): string {
  const whole = JSON.stringify(value);
  if (whole.length <= room) return whole;
  let keep = Math.max(room, 8) - 3;
  while (keep > 0 && JSON.stringify(value.slice(0, keep)).length > Math.max(room, 8) - 1) keep--;
  return `${JSON.stringify(value.slice(0, keep)).slice(0, -1)}…"`;
}
