/**
 * Plain objects made the way an object literal makes them: the quick reader (quick-codec.ts)
 * reads a message's keys and values, and `makeObject` builds the object with a factory compiled
 * once per list of keys (`new Function` over the keys as JSON string literals, as msgpackr's
 * records do). One allocation of one hidden class with its fields in the object, instead of an
 * empty object grown key by key through generic keyed stores: decoding `{type, by, id}` from
 * shared memory took 94–107 ns so, 121–191 ns without (3M decodes, one thread).
 *
 * A list of keys gets a factory the second time it is seen (a one-off shape is built key by key),
 * and at most MAX_SHAPES are kept (then the cache starts over). The keys come from the quick
 * reader: ASCII, at most 255 chars, never `__proto__` (msgpackr's to handle).
 */

type Factory = (values: readonly unknown[]) => Record<string, unknown>;

interface Shape {
  readonly keys: readonly string[];
  readonly make: Factory;
}

/** Objects of more keys than this are built key by key. */
export const MAX_SHAPE_KEYS = 15;
const MAX_SHAPES = 256;

/** Deepest nesting `slot` tells apart (deeper objects share the last slots). */
const DEPTHS = 9;
/** The shape used last, by nesting depth and number of keys: a stream of alike messages finds it here. */
const last: (Shape | null)[] = new Array<Shape | null>(DEPTHS * (MAX_SHAPE_KEYS + 1)).fill(null);
/** Every shape, by its keys as JSON (unambiguous, whatever the keys hold); and the lists seen once, not yet compiled. */
const shapes = new Map<string, Shape>();
const seenOnce = new Set<string>();
/** False once `new Function` has refused (code generation from strings is off). */
let compiling = true;

/**
 * The object of `keys[i]: values[i]` for i < n (later duplicates win, as with assignments);
 * `depth`: how deep it is nested in its message.
 */
export function makeObject(keys: readonly string[], values: readonly unknown[], n: number, depth: number): Record<string, unknown> {
  if (n <= MAX_SHAPE_KEYS && compiling) {
    const slot = Math.min(depth, DEPTHS - 1) * (MAX_SHAPE_KEYS + 1) + n;
    const s = last[slot]!;
    if (s !== null && sameKeys(s.keys, keys, n)) return s.make(values);
    const found = shapeOf(keys, n);
    if (found !== null) {
      last[slot] = found;
      return found.make(values);
    }
  }
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[keys[i]!] = values[i];
  return o;
}

function sameKeys(a: readonly string[], b: readonly string[], n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The shape of these keys, compiled on their second sighting; null before. */
function shapeOf(keys: readonly string[], n: number): Shape | null {
  const own = keys.slice(0, n);
  const id = JSON.stringify(own);
  const known = shapes.get(id);
  if (known !== undefined) return known;
  if (!seenOnce.has(id)) {
    if (seenOnce.size >= MAX_SHAPES) seenOnce.clear();
    seenOnce.add(id);
    return null;
  }
  if (shapes.size >= MAX_SHAPES) shapes.clear();
  const body = own.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ');
  let make: Factory;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys as JSON string literals only (see the file's note)
    make = new Function('v', `return { ${body} };`) as Factory;
  } catch {
    // Code generation is off (--disallow-code-generation-from-strings): objects are built key by key.
    compiling = false;
    return null;
  }
  const shape: Shape = { keys: own, make };
  shapes.set(id, shape);
  return shape;
}
