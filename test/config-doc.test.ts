// config/default.yaml documents every key the schema (src/config.ts) accepts: set, or as a
// commented example ("# key: value", the key in lower camel case). A key added to the schema without a line here fails,
// and the message names it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, DEFAULT_CONFIG_PATH } from '../src/config.ts';

interface Def { type: string; innerType?: Node; in?: Node; shape?: Record<string, Node>; element?: Node; valueType?: Node; options?: Node[] }
interface Node { def: Def }

/** Every key path of a zod schema: `a.b`, `a[].b` for arrays of objects, `a.*.b` for records. */
export function schemaPaths(node: Node, prefix = ''): string[] {
  const d = node.def;
  switch (d.type) {
    case 'optional': case 'default': case 'prefault': case 'nullable': case 'readonly': case 'catch': case 'nonoptional':
      return schemaPaths(d.innerType!, prefix);
    case 'pipe':
      return schemaPaths(d.in!, prefix);
    case 'object':
      return Object.entries(d.shape!).flatMap(([k, v]) => {
        const p = prefix === '' ? k : `${prefix}.${k}`;
        return [p, ...schemaPaths(v, p)];
      });
    case 'array':
      return schemaPaths(d.element!, `${prefix}[]`);
    case 'record':
      return schemaPaths(d.valueType!, `${prefix}.*`);
    case 'union':
      return [...new Set(d.options!.flatMap((o) => schemaPaths(o, prefix)))];
    default:
      return [];
  }
}

/** The file with commented examples ("# key: value" at any indentation) turned into keys. */
export function documentedDoc(text: string): unknown {
  const lines = text.split('\n').map((l) => {
    const m = /^(\s*)# ?([a-z][A-Za-z0-9]*: .*)$/.exec(l);
    return m ? `${m[1]}${m[2]}` : l;
  });
  return parseYaml(lines.join('\n'));
}

/** Whether `path` (as schemaPaths writes it) names a key somewhere in `doc`. */
export function documents(doc: unknown, path: string): boolean {
  const steps = path.replace(/\[\]/g, '.[]').split('.');
  const walk = (v: unknown, i: number): boolean => {
    if (i === steps.length) return true;
    const s = steps[i]!;
    if (s === '[]') return Array.isArray(v) && v.some((e) => walk(e, i + 1));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    if (s === '*') return Object.values(o).some((e) => walk(e, i + 1));
    return s in o && walk(o[s], i + 1);
  };
  return walk(doc, 0);
}

test('the schema walk finds nested, array and record keys', (t) => {
  const paths = schemaPaths(configSchema as unknown as Node);
  // A sample of what the walk must reach, so an empty walk cannot pass the next test.
  for (const p of ['listen', 'targets[].library.cartridges[].capacity', 'targets[].chap.mutualSecret', 'pools.*.vault.accountId', 'tapes.staging.waitSeconds']) {
    t.true(paths.includes(p), p);
  }
  t.true(documents({ a: [{ b: { x: 1 } }] }, 'a[].b.x'));
  t.false(documents({ a: [{ b: { x: 1 } }] }, 'a[].b.y'));
  t.true(documents({ p: { q: { r: 1 } } }, 'p.*.r'));
});

test('config/default.yaml documents every key of the schema', (t) => {
  const doc = documentedDoc(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
  const missing = schemaPaths(configSchema as unknown as Node).filter((p) => !documents(doc, p));
  t.deepEqual(missing, [], `keys of src/config.ts missing from config/default.yaml (set them or add a "# key: example" line): ${missing.join(', ')}`);
});
