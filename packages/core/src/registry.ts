import type { ComponentKind, Factory } from './component';

/**
 * The built-in component types, keyed by (kind, type). `otlp` is both a receiver and an
 * exporter, so the kind is part of the key. The collector package decides what is registered.
 */
export class Registry {
  private readonly factories = new Map<string, Factory>();

  register(factory: Factory): this {
    for (const type of [factory.type, ...(factory.aliases ?? [])]) {
      const key = `${factory.kind}:${type}`;
      if (this.factories.has(key)) throw new Error(`${factory.kind} type "${type}" is registered twice`);
      this.factories.set(key, factory);
    }
    return this;
  }

  get(kind: ComponentKind, type: string): Factory | undefined {
    return this.factories.get(`${kind}:${type}`);
  }

  /** Every registered type name of a kind (aliases included), sorted. */
  types(kind: ComponentKind): string[] {
    const out: string[] = [];
    for (const key of this.factories.keys()) {
      const [k, type] = key.split(':') as [string, string];
      if (k === kind) out.push(type);
    }
    return out.sort();
  }

  /** Each factory once, in registration order. */
  all(): Factory[] {
    return [...new Set(this.factories.values())];
  }
}
