/**
 * Which keys a zod schema accepts at a path, so an unknown key can be answered with the
 * nearest valid one. Walks through the wrappers components use (preprocess, defaults,
 * optionals, unions) down to the object that rejected the key.
 */
import {
  ZodFirstPartyTypeKind as Kind,
  type ZodArrayDef,
  type ZodBrandedDef,
  type ZodCatchDef,
  type ZodDefaultDef,
  type ZodDiscriminatedUnionDef,
  type ZodEffectsDef,
  type ZodIntersectionDef,
  type ZodLazyDef,
  type ZodMapDef,
  type ZodNeverDef,
  type ZodNullableDef,
  type ZodObjectDef,
  type ZodOptionalDef,
  type ZodPipelineDef,
  type ZodReadonlyDef,
  type ZodRecordDef,
  type ZodTupleDef,
  type ZodTypeAny,
  type ZodUnionDef,
} from 'zod';
import type { PathSegment } from './located';

/**
 * The zod definitions this walk reads, told apart by `typeName`. Read by name rather than by
 * `instanceof` so a schema built with another copy of zod is walked too.
 */
type WalkedDef =
  | ZodEffectsDef
  | ZodDefaultDef
  | ZodOptionalDef
  | ZodNullableDef
  | ZodCatchDef
  | ZodReadonlyDef
  | ZodBrandedDef<ZodTypeAny>
  | ZodLazyDef
  | ZodPipelineDef<ZodTypeAny, ZodTypeAny>
  | ZodUnionDef
  | ZodDiscriminatedUnionDef<string>
  | ZodIntersectionDef
  | ZodObjectDef
  | ZodArrayDef
  | ZodTupleDef<ZodTupleDef['items'], ZodTypeAny | null>
  | ZodRecordDef
  | ZodMapDef
  | ZodNeverDef
  | { typeName?: undefined };

/** Kinds not listed above (strings, numbers...) are only ever compared, never opened: each switch's default. */
function defOf(schema: ZodTypeAny): WalkedDef {
  return schema._def as WalkedDef;
}

export function keysAt(schema: ZodTypeAny, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const object of schemasAt(schema, path)) {
    const def = defOf(object);
    if (def.typeName === Kind.ZodObject) for (const key of Object.keys(def.shape())) keys.add(key);
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
  const def = defOf(schema);
  switch (def.typeName) {
    case Kind.ZodEffects:
      return unwrap(def.schema);
    case Kind.ZodDefault:
    case Kind.ZodOptional:
    case Kind.ZodNullable:
    case Kind.ZodCatch:
    case Kind.ZodReadonly:
      return unwrap(def.innerType);
    case Kind.ZodBranded:
      return unwrap(def.type);
    case Kind.ZodLazy:
      return unwrap(def.getter());
    case Kind.ZodPipeline:
      return unwrap(def.in);
    case Kind.ZodUnion:
    case Kind.ZodDiscriminatedUnion:
      return [...def.options].flatMap(unwrap);
    case Kind.ZodIntersection:
      return [...unwrap(def.left), ...unwrap(def.right)];
    default:
      return [schema];
  }
}

function child(schema: ZodTypeAny, segment: PathSegment): ZodTypeAny[] {
  const def = defOf(schema);
  switch (def.typeName) {
    case Kind.ZodObject: {
      const field = def.shape()[segment];
      return field ? [field] : def.catchall && defOf(def.catchall).typeName !== Kind.ZodNever ? [def.catchall] : [];
    }
    case Kind.ZodArray:
      return typeof segment === 'number' ? [def.type] : [];
    case Kind.ZodTuple:
      return typeof segment === 'number' && def.items[segment] ? [def.items[segment]] : [];
    case Kind.ZodRecord:
    case Kind.ZodMap:
      return [def.valueType];
    default:
      return [];
  }
}
