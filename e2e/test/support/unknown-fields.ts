/**
 * Unknown-field detection for the schemas kubernetes-models and @kubernetes-models/keda ship.
 *
 * Those packages ship their OpenAPI / CRD schemas compiled by ajv into validate functions, and the
 * schemas carry no `additionalProperties: false`, so a misspelled field (`replcas:`) passes them.
 * The compiled code still reads every property its schema declares at a level (`data.replicas`,
 * whether present or not) and enumerates only the objects whose schema is a map
 * (`additionalProperties: {…}`: labels, annotations, resources.limits, a KEDA trigger's metadata).
 * So running the validator over a watched copy of the object tells, at every level, which fields
 * the schema knows: a field it never read is one the schema does not declare there.
 *
 * An object whose schema declares nothing at all (`x-kubernetes-preserve-unknown-fields`, a bare
 * `type: object`) is read by no one: its fields are free, as the API server would keep them.
 */

type Access = { read: Set<string>; enumerated: boolean };

/** A view of `value` that records, per plain object, which fields were read and whether it was enumerated. */
function watch<T>(value: T, access: Map<object, Access>): T {
  if (value === null || typeof value !== 'object') return value;
  const target = value as object;
  let seen = access.get(target);
  if (!seen) access.set(target, (seen = { read: new Set(), enumerated: false }));
  const record = seen;
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string') record.read.add(key);
      return watch(Reflect.get(t, key, receiver), access);
    },
    has(t, key) {
      if (typeof key === 'string') record.read.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      record.enumerated = true;
      return Reflect.ownKeys(t);
    },
  }) as T;
}

/** The JSON pointers of the fields of `value` that the schema behind the reads in `access` does not declare. */
function unknownUnder(value: unknown, path: string, access: Map<object, Access>, out: string[]): string[] {
  if (value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownUnder(item, `${path}/${i}`, access, out));
    return out;
  }
  const seen = access.get(value);
  // Never reached: its parent's schema lets anything through there.
  if (!seen) return out;
  const free = seen.enumerated || seen.read.size === 0;
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (free || seen.read.has(key)) unknownUnder(child, at, access, out);
    else out.push(at);
  }
  return out;
}

/**
 * Runs `validate` (a compiled schema's check, which throws on a schema violation) over `obj` and
 * returns the JSON pointers of the fields that schema does not declare, e.g. `/spec/replcas`.
 */
export function unknownFields(obj: object, validate: (watched: object) => void): string[] {
  const access = new Map<object, Access>();
  validate(watch(obj, access));
  return unknownUnder(obj, '', access, []);
}
