/**
 * Whether a message's JSON Schema may replace a published version of it without a new version.
 *
 * A message has two sides that were built against the published schema: publishers (upstream
 * services sending commands, xauth sending events) and consumers (xauth reading commands, upstream
 * subscribers reading events). A change is breaking when it can fail either side:
 *
 * - a message an existing publisher sends is refused (a field became required, a new required
 *   field, a type, enum or const narrowed, a length, count or range bound tightened or added, a
 *   pattern or format changed, unknown fields no longer allowed), or
 * - a consumer finds what it relied on gone or different (a field removed or renamed, a field no
 *   longer required, a type widened (e.g. made nullable), an enum widened with values it does not know).
 *
 * Not breaking: a new optional field, a loosened bound, a changed description or title. Any change
 * this does not understand (`anyOf` branches added or removed, keywords it does not read) counts as
 * breaking: a false alarm costs a version bump, a missed break costs a consumer.
 */
export type JsonSchema = { [keyword: string]: unknown } | boolean;

/** Every way `after` breaks what `before` promised, as readable lines (empty: compatible). */
export function breakingChanges(before: JsonSchema, after: JsonSchema): string[] {
  const out: string[] = [];
  compare(before, after, '', out);
  return out;
}

/** Keywords that carry no promise about the data. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
/** Keywords compared below; any other one that changes counts as breaking. */
const UNDERSTOOD = new Set([
  'type',
  'enum',
  'const',
  'format',
  'pattern',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'multipleOf',
]);
/** Bounds where a larger value accepts less, and where a smaller one does. */
const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems'] as const;
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems'] as const;

function compare(before: JsonSchema, after: JsonSchema, path: string, out: string[]): void {
  const at = path || '(the message)';
  if (typeof before === 'boolean' || typeof after === 'boolean') {
    if (before !== after) out.push(`${at}: schema changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`);
    return;
  }
  for (const union of ['anyOf', 'oneOf'] as const) {
    const [b, a] = [before[union] as JsonSchema[] | undefined, after[union] as JsonSchema[] | undefined];
    if (!b && !a) continue;
    if (b && a && b.length === a.length) {
      b.forEach((branch, i) => compare(branch, a[i]!, path, out));
      continue;
    }
    // zod's `.nullable()` is `anyOf: [X, {type: null}]`: name it so, and compare X with what it was.
    const [bInner, aInner] = [nonNullBranch(b), nonNullBranch(a)];
    if (!b && aInner) {
      out.push(`${at}: became nullable, which consumers of the published version do not expect`);
      compare(before, aInner, path, out);
    } else if (bInner && !a) {
      out.push(`${at}: no longer nullable, which publishers of the published version may send`);
      compare(bInner, after, path, out);
    } else {
      out.push(`${at}: its alternatives (${union}) changed from ${describeUnion(b)} to ${describeUnion(a)}`);
    }
    return;
  }
  compareTypes(before, after, at, out);
  compareValues(before, after, at, out);
  for (const keyword of ['format', 'pattern', 'multipleOf'] as const) {
    if (!same(before[keyword], after[keyword])) out.push(`${at}: ${keyword} changed from ${show(before[keyword])} to ${show(after[keyword])}`);
  }
  for (const k of LOWER_BOUNDS) {
    const [b, a] = [before[k] as number | undefined, after[k] as number | undefined];
    if (a !== undefined && (b === undefined || a > b)) out.push(`${at}: ${k} tightened from ${show(b)} to ${a}`);
  }
  for (const k of UPPER_BOUNDS) {
    const [b, a] = [before[k] as number | undefined, after[k] as number | undefined];
    if (a !== undefined && (b === undefined || a < b)) out.push(`${at}: ${k} tightened from ${show(b)} to ${a}`);
  }
  compareObjects(before, after, path, at, out);
  if (before.items !== undefined || after.items !== undefined) {
    if (before.items === undefined || after.items === undefined) out.push(`${at}: items ${before.items === undefined ? 'constrained' : 'no longer described'}`);
    else compare(before.items as JsonSchema, after.items as JsonSchema, `${path}[]`, out);
  }
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (ANNOTATIONS.has(k) || UNDERSTOOD.has(k)) continue;
    if (!same(before[k], after[k]))
      out.push(`${at}: ${k} changed from ${show(before[k])} to ${show(after[k])} (a keyword this check does not read: treated as breaking)`);
  }
}

function compareTypes(before: Record<string, unknown>, after: Record<string, unknown>, at: string, out: string[]): void {
  const [b, a] = [typesOf(before), typesOf(after)];
  if (b === undefined && a === undefined) return;
  if (b === undefined || a === undefined || b.length !== a.length || b.some((t) => !a.includes(t))) {
    out.push(`${at}: type changed from ${b?.join('|') ?? 'any'} to ${a?.join('|') ?? 'any'}`);
  }
}

function compareValues(before: Record<string, unknown>, after: Record<string, unknown>, at: string, out: string[]): void {
  if ('const' in before || 'const' in after) {
    if (!same(before.const, after.const)) out.push(`${at}: const changed from ${show(before.const)} to ${show(after.const)}`);
  }
  const [b, a] = [before.enum as unknown[] | undefined, after.enum as unknown[] | undefined];
  if (!b && !a) return;
  if (!b) {
    out.push(`${at}: values narrowed to the enum ${show(a)}`);
    return;
  }
  if (!a) {
    out.push(`${at}: enum ${show(b)} widened to any value of its type`);
    return;
  }
  const removed = b.filter((v) => !a.some((w) => same(v, w)));
  const added = a.filter((v) => !b.some((w) => same(v, w)));
  if (removed.length) out.push(`${at}: enum narrowed: ${show(removed)} no longer accepted`);
  if (added.length) out.push(`${at}: enum widened: ${show(added)} added, which consumers of the published version do not know`);
}

function compareObjects(before: Record<string, unknown>, after: Record<string, unknown>, path: string, at: string, out: string[]): void {
  const bProps = (before.properties ?? {}) as Record<string, JsonSchema>;
  const aProps = (after.properties ?? {}) as Record<string, JsonSchema>;
  const bReq = new Set((before.required ?? []) as string[]);
  const aReq = new Set((after.required ?? []) as string[]);
  const field = (name: string) => (path ? `${path}.${name}` : name);
  for (const name of Object.keys(bProps)) {
    if (!(name in aProps)) out.push(`${field(name)}: removed (or renamed)`);
    else compare(bProps[name]!, aProps[name]!, field(name), out);
  }
  for (const name of Object.keys(aProps)) {
    if (!(name in bProps) && aReq.has(name)) out.push(`${field(name)}: new required field`);
  }
  for (const name of aReq) {
    if (name in bProps && !bReq.has(name)) out.push(`${field(name)}: became required`);
  }
  for (const name of bReq) {
    if (name in aProps && !aReq.has(name)) out.push(`${field(name)}: no longer required, which consumers of the published version rely on`);
  }
  if (before.additionalProperties !== false && after.additionalProperties === false) out.push(`${at}: unknown fields no longer allowed`);
  const [bAdd, aAdd] = [before.additionalProperties, after.additionalProperties];
  if (typeof bAdd === 'object' && typeof aAdd === 'object') compare(bAdd as JsonSchema, aAdd as JsonSchema, `${path}{*}`, out);
}

function typesOf(s: Record<string, unknown>): string[] | undefined {
  if (s.type === undefined) return undefined;
  return Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
}

/** X of `anyOf: [X, {type: 'null'}]` (either order). */
function nonNullBranch(branches: JsonSchema[] | undefined): JsonSchema | undefined {
  if (branches?.length !== 2) return undefined;
  const isNull = (s: JsonSchema) => typeof s === 'object' && s.type === 'null' && Object.keys(s).length === 1;
  const i = branches.findIndex(isNull);
  return i === -1 ? undefined : branches[1 - i];
}

function describeUnion(branches: JsonSchema[] | undefined): string {
  return branches ? `${branches.length} alternatives` : 'none';
}

const show = (v: unknown): string => (v === undefined ? 'none' : JSON.stringify(v));

/** Deep equality of JSON values, key order aside. */
export function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonicalJson(value: unknown, indent?: number): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}
