import protobuf from 'protobufjs';

/**
 * A reflected protobuf element written back as .proto source, the way `grpcurl describe` shows it: types by
 * their full names with a leading dot, so every reference can be described in turn.
 */
export function protoText(el: protobuf.ReflectionObject): string {
  if (el instanceof protobuf.Service) {
    return [`service ${el.name} {`, ...el.methodsArray.map((m) => `  ${methodText(m)}`), '}'].join('\n');
  }
  if (el instanceof protobuf.Method) return methodText(el);
  if (el instanceof protobuf.Type) return typeText(el, '');
  if (el instanceof protobuf.Enum) return enumText(el, '');
  return `package ${el.fullName.replace(/^\./, '')};`;
}

/** What kind of element it is, for "X is a message:". */
export function protoKind(el: protobuf.ReflectionObject): string {
  if (el instanceof protobuf.Service) return 'a service';
  if (el instanceof protobuf.Method) return 'a method';
  if (el instanceof protobuf.Type) return 'a message';
  if (el instanceof protobuf.Enum) return 'an enum';
  return 'a package';
}

function methodText(m: protobuf.Method): string {
  m.resolve();
  const ref = (stream: boolean | undefined, t: protobuf.Type | null, name: string): string => `${stream ? 'stream ' : ''}${t ? t.fullName : name}`;
  return `rpc ${m.name} ( ${ref(m.requestStream, m.resolvedRequestType, m.requestType)} ) returns ( ${ref(m.responseStream, m.resolvedResponseType, m.responseType)} );`;
}

function fieldType(f: protobuf.Field): string {
  f.resolve();
  return f.resolvedType ? f.resolvedType.fullName : f.type;
}

/** A map as a descriptor carries it: a repeated field of a nested `map_entry` message with key and value. */
const isMapEntry = (t: unknown): t is protobuf.Type => t instanceof protobuf.Type && Boolean(t.options?.map_entry);

function fieldText(f: protobuf.Field, indent: string): string {
  if (f instanceof protobuf.MapField) return `${indent}map<${f.keyType}, ${fieldType(f)}> ${f.name} = ${f.id};`;
  if (isMapEntry(f.resolvedType)) {
    const [key, value] = [f.resolvedType.fields.key, f.resolvedType.fields.value];
    if (key && value) return `${indent}map<${fieldType(key)}, ${fieldType(value)}> ${f.name} = ${f.id};`;
  }
  const label = f.repeated ? 'repeated ' : f.options?.proto3_optional ? 'optional ' : f.required ? 'required ' : '';
  return `${indent}${label}${fieldType(f)} ${f.name} = ${f.id};`;
}

function typeText(t: protobuf.Type, indent: string): string {
  const inner = `${indent}  `;
  const lines = [`${indent}message ${t.name} {`];
  // Synthetic oneofs (proto3 `optional`) are shown as `optional` on the field.
  const oneofs = t.oneofsArray.filter((o) => !(o.fieldsArray.length === 1 && o.fieldsArray[0]?.options?.proto3_optional));
  const inOneof = new Set(oneofs.flatMap((o) => o.fieldsArray));
  for (const f of t.fieldsArray) if (!inOneof.has(f)) lines.push(fieldText(f, inner));
  for (const o of oneofs) lines.push(`${inner}oneof ${o.name} {`, ...o.fieldsArray.map((f) => fieldText(f, `${inner}  `)), `${inner}}`);
  for (const n of t.nestedArray) {
    if (n instanceof protobuf.Type && !isMapEntry(n)) lines.push(typeText(n, inner));
    else if (n instanceof protobuf.Enum) lines.push(enumText(n, inner));
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

function enumText(e: protobuf.Enum, indent: string): string {
  return [`${indent}enum ${e.name} {`, ...Object.entries(e.values).map(([k, v]) => `${indent}  ${k} = ${v};`), `${indent}}`].join('\n');
}
