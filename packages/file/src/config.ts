/**
 * The `jsonl` exporter's config: otelcol's fileexporter keys, plus Sluice's `flat` format,
 * `rotation.compress` and gzip `compression`.
 */
import { z } from 'zod';
import { duration, requiredString, section } from '@sluice/core';
import { PathTemplate } from './path-template';

const rotationSchema = section({
  /** Rotate before a write would make the file larger than this. Fractions are allowed (Sluice; otelcol takes an int). */
  max_megabytes: z.number().positive().default(100),
  /** Remove backups older than this many days (by the time in their name); 0 keeps them regardless of age. */
  max_days: z.number().int().nonnegative().default(0),
  /** Keep at most this many backups; 0 keeps them all (as lumberjack). */
  max_backups: z.number().int().nonnegative().default(100),
  /** Name backups with local time instead of UTC. */
  localtime: z.boolean().default(false),
  /** Sluice: gzip rotated files in the background (`name-<time>.ext.gz`). */
  compress: z.enum(['none', 'gzip']).default('gzip'),
});

const groupBySchema = section({
  enabled: z.boolean().default(false),
  resource_attribute: requiredString().default('fileexporter.path_segment'),
  max_open_files: z.number().int().positive().default(100),
});

export const jsonlConfigSchema = section({
  /** A file, or a routed path with {resource.<key>} / {attributes.<key>} placeholders (see path-template.ts). */
  path: requiredString(),
  /** false (otelcol's default) truncates the file when the exporter starts; true appends. */
  append: z.boolean().default(false),
  format: z
    .string()
    .default('json')
    .superRefine((value, ctx) => {
      if (value !== 'json' && value !== 'flat') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `format "${value}" is not supported, use json or flat` });
      }
    })
    .transform((value) => value as 'json' | 'flat'),
  /** Absent means no rotation (as otelcol); `rotation:` alone means rotation with the defaults. */
  rotation: rotationSchema.optional(),
  group_by: groupBySchema,
  /** Sluice creates the file's directory by default (otelcol: false). */
  create_directory: z.boolean().default(true),
  directory_permissions: z
    .string()
    .default('0750')
    .refine((value) => /^0?[0-7]{3}$/.test(value), { message: 'must be an octal mode such as "0750"' })
    .transform((value) => parseInt(value, 8)),
  /** How often written data is fsynced; 0 syncs after every write. */
  flush_interval: duration('1s'),
  /** Each write becomes one gzip member, so the whole file reads back with `zcat`. */
  compression: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      if (value === 'zstd') {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: 'compression "zstd" needs zstd in zlib, which this Node.js runtime lacks; use "gzip" or leave it empty',
        });
      } else if (value !== '' && value !== 'none' && value !== 'gzip') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `compression "${value}" is not supported, use gzip or leave it empty` });
      }
    })
    .transform((value) => (value === 'gzip' ? ('gzip' as const) : ('none' as const))),
})
  .superRefine((config, ctx) => {
    if (config.group_by.enabled && config.path.split('*').length !== 2) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['path'],
        message: 'needs exactly one "*" (replaced by the resource attribute value) when group_by is enabled',
      });
    }
  })
  // The routed path is compiled here, once: consumes only resolve it.
  .transform((config, ctx) => {
    let template: PathTemplate | undefined;
    try {
      template = PathTemplate.compile(config.path);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['path'], message: (err as Error).message });
      return z.NEVER;
    }
    if (template && config.group_by.enabled) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['group_by', 'enabled'],
        message: 'use either group_by or {placeholders} in path, not both',
      });
      return z.NEVER;
    }
    return { ...config, template };
  });

export type JsonlConfig = z.infer<typeof jsonlConfigSchema>;

export const jsonlUnsupportedKeys = {
  encoding: {
    effect: 'error',
    why: 'encoding extensions are not available in Sluice; use format: json or flat',
  },
} as const;

/**
 * Pipeline process `index` of `service.workers` > 1 writes its own files: `logs.jsonl` becomes
 * `logs.worker-<index>.jsonl` (the suffix goes before the extension, after any placeholder).
 * Several processes appending to one file could interleave large writes, and each rotates
 * its files on its own.
 */
export function jsonlConfigForWorker(config: JsonlConfig, index: number): JsonlConfig {
  const base = Math.max(config.path.lastIndexOf('/'), config.path.lastIndexOf('\\'), config.path.lastIndexOf('}')) + 1;
  const dot = config.path.lastIndexOf('.');
  const at = dot > base ? dot : config.path.length;
  const path = `${config.path.slice(0, at)}.worker-${index}${config.path.slice(at)}`;
  return { ...config, path, template: PathTemplate.compile(path) };
}
