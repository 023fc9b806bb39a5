/**
 * Parses a logfmt line (`level=info msg="user logged in" user=42`) into its pairs, in order.
 * Returns undefined unless every token is a key=value pair, so plain prose is not mistaken for logfmt.
 */
export function parseLogfmt(line: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line[i] === ' ') i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && line[i] !== '=' && line[i] !== ' ' && line[i] !== '"') i++;
    if (i === keyStart || line[i] !== '=') return undefined;
    const key = line.slice(keyStart, i);
    i++;
    let value: string;
    if (line[i] === '"') {
      const parsed = readQuoted(line, i);
      if (!parsed) return undefined;
      [value, i] = parsed;
      if (i < n && line[i] !== ' ') return undefined;
    } else {
      const valueStart = i;
      while (i < n && line[i] !== ' ') i++;
      value = line.slice(valueStart, i);
      if (value.includes('"')) return undefined;
    }
    pairs.push([key, value]);
  }
  return pairs.length > 0 ? pairs : undefined;
}

/** Reads a double-quoted value starting at `start`; returns it unescaped and the index after it. */
function readQuoted(line: string, start: number): [string, number] | undefined {
  let out = '';
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') return [out, i + 1];
    if (c === '\\' && i + 1 < line.length) {
      const next = line[++i]!;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
    } else out += c;
  }
  return undefined;
}
