/**
 * Consistent hashing: each backend owns many points on a 32-bit ring, and a key belongs to the
 * backend of the first point at or after the key's hash. Adding or removing a backend moves only
 * the keys of its own points (about 1/n of them); every other key keeps its backend.
 */

/** Points per backend: enough that shares stay within a few percent of even. */
const VIRTUAL_NODES = 160;

/** FNV-1a over UTF-16 code units, then murmur3's finalizer so nearby strings spread over the ring. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing<T extends { readonly endpoint: string }> {
  private readonly hashes: Uint32Array;
  private readonly owners: T[];

  constructor(readonly members: readonly T[]) {
    const points: Array<{ hash: number; owner: T }> = [];
    for (const member of members) {
      for (let i = 0; i < VIRTUAL_NODES; i++) points.push({ hash: hashKey(`${member.endpoint}#${i}`), owner: member });
    }
    // Ties broken by endpoint, so the ring does not depend on the order the resolver listed backends in.
    points.sort((a, b) => a.hash - b.hash || (a.owner.endpoint < b.owner.endpoint ? -1 : 1));
    this.hashes = Uint32Array.from(points, (p) => p.hash);
    this.owners = points.map((p) => p.owner);
  }

  /** The owner of `key`; with `usable`, the first owner clockwise that it accepts. Undefined if none is. */
  lookup(key: string, usable?: (member: T) => boolean): T | undefined {
    const n = this.hashes.length;
    if (n === 0) return undefined;
    const hash = hashKey(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < n; i++) {
      const owner = this.owners[(lo + i) % n]!;
      if (!usable || usable(owner)) return owner;
    }
    return undefined;
  }
}
