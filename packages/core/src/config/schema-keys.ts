/**
 * Which keys a zod schema accepts at a path, so an unknown key can be answered with the
 * nearest valid one. Walks through the wrappers components use (preprocess, defaults,
 * optionals, unions) down to the object that rejected the key.
 */
import type { ZodTypeAny } from 'zod';
import type { PathSegment } from './located';

export function keysAt(schema: ZodTypeAny, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const object of schemasAt(schema, path)) {
    if (typeName(object) === 'ZodObject') for (const key of Object.keys(object._def.shape())) keys.add(key);
  }
  return [...keys];
}

function schemasAt(schema: ZodTypeAny, path: readonly PathSegment[]): ZodTypeAny[] {
  let current = unwrap(schema);
  for (const segment of path) current = current.flatMap((s) => child(s, segment)).flatMap(unwrap);
  return current;
}

/** The schemas that can validate the value itself, wrappers and union branches opened. */
function unwrap(schema: ZodTypeAny): ZodTypeAny[] {
  const def = schema._def;
  switch (typeName(schema)) {
    case 'ZodEffects':
      return unwrap(def.schema);
    case 'ZodDefault':
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodCatch':
    case 'ZodReadonly':
      return unwrap(def.innerType);
    case 'ZodBranded':
      return unwrap(def.type);
    case 'ZodLazy':
      return unwrap(def.getter());
    case 'ZodPipeline':
      return unwrap(def.in);
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion':
      return [...def.options].flatMap(unwrap);
    case 'ZodIntersection':
      return [...unwrap(def.left), ...unwrap(def.right)];
    default:
      return [schema];
  }
}

function child(schema: ZodTypeAny, segment: PathSegment): ZodTypeAny[] {
  const def = schema._def;
  switch (typeName(schema)) {
    case 'ZodObject': {
      const field = def.shape()[segment];
      return field ? [field] : def.catchall && typeName(def.catchall) !== 'ZodNever' ? [def.catchall] : [];
    }
    case 'ZodArray':
      return typeof segment === 'number' ? [def.type] : [];
    case 'ZodTuple':
      return typeof segment === 'number' && def.items[segment] ? [def.items[segment]] : [];
    case 'ZodRecord':
    case 'ZodMap':
      return [def.valueType];
    default:
      return [];
  }
}

function typeName(schema: ZodTypeAny): string {
  return (schema._def as { typeName?: string }).typeName ?? '';
}
