import protobuf from 'protobufjs';
import { RacelabError } from '../core/errors.js';

/**
 * Request data arrives as JSON (the proto3 JSON mapping: lowerCamelCase or the proto's own field names, 64-bit
 * integers as numbers or strings, bytes as base64, enums by name or number, well-known types in their JSON
 * forms). protobufjs' own `fromObject` coerces silently (`"ten"` becomes 0), so every value is checked here first
 * and a mismatch names the field: a race test that sends zeros by accident proves nothing.
 */

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };
const FLOAT_MAX = 3.4028234663852886e38;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    /** The problem is a whole sentence about the path (an unknown field), not something its value did. */
    readonly standalone = false,
  ) {
    super(problem);
  }
}

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

const join = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function integer(v: unknown, path: string, type: string, range: { min: number; max: number }): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n)) throw new FieldError(path, `must be an integer (${type}), got ${describe(v)}`);
  if (n < range.min || n > range.max) throw new FieldError(path, `${n} is out of range for ${type} (${range.min} to ${range.max})`);
  return n;
}

function integer64(v: unknown, path: string, type: string, range: { min: bigint; max: bigint }): string {
  let big: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) big = BigInt(v.trim());
  if (big === undefined) {
    const why = typeof v === 'number' && Number.isInteger(v) ? ' (above 2^53: write it as a string)' : '';
    throw new FieldError(path, `must be an integer (${type}), got ${describe(v)}${why}`);
  }
  if (big < range.min || big > range.max) throw new FieldError(path, `${big} is out of range for ${type}`);
  return big.toString();
}

function floating(v: unknown, path: string, type: string): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new FieldError(path, `must be a number (${type}), got ${describe(v)}`);
  if (type === 'float' && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) throw new FieldError(path, `${n} is out of range for float`);
  return n;
}

function scalar(field: protobuf.Field, v: unknown, path: string): unknown {
  if (field.resolvedType instanceof protobuf.Enum) {
    const e = field.resolvedType;
    if (typeof v === 'string') {
      if (!(v in e.values)) throw new FieldError(path, `${describe(v)} is not a value of enum ${e.fullName.replace(/^\./, '')}; use one of ${Object.keys(e.values).join(', ')}`);
      return v;
    }
    return integer(v, path, `enum ${e.name}`, INT32);
  }
  if (field.resolvedType instanceof protobuf.Type) return message(field.resolvedType, v, path);
  switch (field.type) {
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return integer(v, path, field.type, INT32);
    case 'uint32':
    case 'fixed32':
      return integer(v, path, field.type, UINT32);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return integer64(v, path, field.type, INT64);
    case 'uint64':
    case 'fixed64':
      return integer64(v, path, field.type, UINT64);
    case 'float':
    case 'double':
      return floating(v, path, field.type);
    case 'bool':
      if (typeof v !== 'boolean') throw new FieldError(path, `must be true or false (bool), got ${describe(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new FieldError(path, `must be a string, got ${describe(v)}`);
      return v;
    case 'bytes':
      if (typeof v !== 'string' || !BASE64.test(v)) throw new FieldError(path, `must be base64 text (bytes), got ${describe(v)}`);
      return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    default:
      throw new FieldError(path, `has type ${field.type}, which racelab cannot fill from JSON`);
  }
}

function mapKey(field: protobuf.MapField, key: string, path: string): string {
  switch (field.keyType) {
    case 'bool':
      if (key !== 'true' && key !== 'false') throw new FieldError(path, `map key ${JSON.stringify(key)} must be "true" or "false"`);
      return key;
    case 'string':
      return key;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return integer64(key, path, `${field.keyType} map key`, field.keyType.startsWith('u') || field.keyType === 'fixed64' ? UINT64 : INT64);
    default:
      return String(integer(key, path, `${field.keyType} map key`, field.keyType.startsWith('u') || field.keyType === 'fixed32' ? UINT32 : INT32));
  }
}

/** Well-known types have their own JSON forms; each becomes the object protobufjs' fromObject expects. */
function wellKnown(type: protobuf.Type, v: unknown, path: string): { value: unknown } | undefined {
  const name = type.fullName.replace(/^\./, '');
  if (!name.startsWith('google.protobuf.')) return undefined;
  const short = name.slice('google.protobuf.'.length);
  switch (short) {
    case 'Timestamp': {
      if (typeof v !== 'string') throw new FieldError(path, `must be an RFC 3339 time string (Timestamp), got ${describe(v)}`);
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.exec(v);
      const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
      if (!m || Number.isNaN(ms)) throw new FieldError(path, `must be an RFC 3339 time such as 2024-01-31T12:00:00Z, got ${describe(v)}`);
      return { value: { seconds: String(Math.floor(ms / 1000)), nanos: m[2] ? Number(m[2].slice(1).padEnd(9, '0')) : 0 } };
    }
    case 'Duration': {
      const m = typeof v === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(v) : null;
      if (!m) throw new FieldError(path, `must be a duration string such as "1.5s" (Duration), got ${describe(v)}`);
      const sign = m[1] ? -1 : 1;
      return { value: { seconds: String(sign * Number(m[2])), nanos: sign * Number((m[3] ?? '').padEnd(9, '0') || 0) } };
    }
    case 'DoubleValue':
    case 'FloatValue':
    case 'Int64Value':
    case 'UInt64Value':
    case 'Int32Value':
    case 'UInt32Value':
    case 'BoolValue':
    case 'StringValue':
    case 'BytesValue': {
      const inner = type.fields.value;
      if (!inner) return undefined;
      return { value: { value: scalar(inner, v, path) } };
    }
    case 'Empty':
      if (!isPlainObject(v) || Object.keys(v).length > 0) throw new FieldError(path, `must be {} (Empty), got ${describe(v)}`);
      return { value: {} };
    case 'FieldMask':
      if (typeof v !== 'string') throw new FieldError(path, `must be a comma-separated string of paths (FieldMask), got ${describe(v)}`);
      return { value: { paths: v === '' ? [] : v.split(',') } };
    case 'Value':
      return { value: jsonValue(v) };
    case 'Struct':
      if (!isPlainObject(v)) throw new FieldError(path, `must be a JSON object (Struct), got ${describe(v)}`);
      return { value: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)])) } };
    case 'ListValue':
      if (!Array.isArray(v)) throw new FieldError(path, `must be a JSON array (ListValue), got ${describe(v)}`);
      return { value: { values: v.map(jsonValue) } };
    case 'Any':
      throw new FieldError(path, 'is a google.protobuf.Any, which racelab cannot fill from JSON; send a concrete message type');
    default:
      return undefined;
  }
}

function jsonValue(v: unknown): unknown {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(jsonValue) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, jsonValue(x)])) } };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function message(type: protobuf.Type, v: unknown, path: string): Record<string, unknown> {
  const special = wellKnown(type, v, path);
  if (special) return special.value as Record<string, unknown>;
  const typeName = type.fullName.replace(/^\./, '');
  if (!isPlainObject(v)) throw new FieldError(path, `must be a JSON object (message ${typeName}), got ${describe(v)}`);
  const byJsonName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byJsonName.set(f.name, f);
    const json = (f.options?.json_name as string | undefined) ?? f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    byJsonName.set(json, f);
  }
  const out: Record<string, unknown> = {};
  const oneofSet = new Map<string, string>();
  for (const [key, value] of Object.entries(v)) {
    const field = byJsonName.get(key);
    const fieldPath = join(path, key);
    if (!field) {
      const names = type.fieldsArray.map((f) => f.name);
      throw new FieldError(fieldPath, `${typeName} has no field "${key}"${path ? ` (at ${fieldPath})` : ''}; ${names.length ? `its fields are ${names.join(', ')}` : 'it has no fields'}`, true);
    }
    if (value === null && !(field.resolvedType instanceof protobuf.Type && field.resolvedType.fullName === '.google.protobuf.Value')) continue;
    field.resolve();
    if (field.partOf) {
      const other = oneofSet.get(field.partOf.name);
      if (other) throw new FieldError(fieldPath, `and ${other} are both set, but they are members of oneof ${field.partOf.name}; set one`);
      oneofSet.set(field.partOf.name, key);
    }
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(value)) throw new FieldError(fieldPath, `must be a JSON object (map<${field.keyType}, ${field.type}>), got ${describe(value)}`);
      out[field.name] = Object.fromEntries(Object.entries(value).map(([k, x]) => [mapKey(field, k, join(fieldPath, k)), scalar(field, x, join(fieldPath, k))]));
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new FieldError(fieldPath, `must be a JSON array (repeated ${field.type}), got ${describe(value)}`);
      out[field.name] = value.map((x, i) => scalar(field, x, join(fieldPath, i)));
    } else out[field.name] = scalar(field, value, fieldPath);
  }
  return out;
}

/**
 * Checks JSON against a message type and encodes it. `what` is the subject of the error (the CLI shows `--data`):
 * `data: field "amount" of shop.RedeemRequest must be an integer (int32), got "ten"`.
 */
export function encodeJsonMessage(type: protobuf.Type, json: unknown, what = 'data'): Buffer {
  try {
    const plain = message(type, json, '');
    return Buffer.from(type.encode(type.fromObject(plain)).finish());
  } catch (e) {
    if (e instanceof FieldError) {
      const typeName = type.fullName.replace(/^\./, '');
      if (e.standalone) throw new RacelabError('BAD_DATA', e.problem, { subject: what });
      const where = e.path ? `field "${e.path}" of ${typeName}` : `the request (${typeName})`;
      throw new RacelabError('BAD_DATA', `${where} ${e.problem}`, { subject: what });
    }
    throw new RacelabError('BAD_DATA', `does not fit ${type.fullName.replace(/^\./, '')}: ${(e as Error).message}`, { subject: what });
  }
}

/** 64-bit integers come back as strings; those that fit a JS number become numbers, so invariants can do arithmetic. */
function numberLongs(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  for (const f of type.fieldsArray) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const rt = f.resolvedType;
    const fix = (x: unknown): unknown => {
      if (rt instanceof protobuf.Type) return isPlainObject(x) ? numberLongs(rt, x) : x;
      if (typeof x === 'string' && /int64|fixed64/.test(f.type) && Number.isSafeInteger(Number(x))) return Number(x);
      return x;
    };
    if (f instanceof protobuf.MapField) obj[f.name] = Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, fix(x)]));
    else if (f.repeated && Array.isArray(v)) obj[f.name] = v.map(fix);
    else obj[f.name] = fix(v);
  }
  return obj;
}

/**
 * Decodes a response into plain JSON-serializable data (defaults included, enums by name, bytes as base64).
 * `longs: 'number'` (the default) is for invariants and reports, which do arithmetic on the values; `'string'` is
 * the proto3 JSON mapping's form of every 64-bit integer, for a response printed for a person or another tool
 * (grpcurl prints them so too), exact above 2^53.
 */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array, options: { longs?: 'number' | 'string' } = {}): Record<string, unknown> {
  const msg = type.decode(bytes);
  const obj = type.toObject(msg, { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true });
  return options.longs === 'string' ? obj : numberLongs(type, obj);
}
