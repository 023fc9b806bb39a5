/**
 * Loki's label-string syntax, `{a="b", c="d\"e"}`, parsed as Loki does (a Prometheus selector
 * with equality matchers only), with Loki's checks on names.
 */
export class LabelsError extends Error {}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidLabelName(name: string): boolean {
  return NAME.test(name);
}

export function parseLabelString(text: string): Record<string, string> {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) throw new LabelsError('expected a label set in braces, e.g. {app="x"}');
  const out: Record<string, string> = {};
  let i = 1;
  const end = s.length - 1;
  const skipSpace = () => {
    while (i < end && /\s/.test(s[i]!)) i++;
  };
  skipSpace();
  while (i < end) {
    const nameStart = i;
    while (i < end && s[i] !== '=' && !/\s/.test(s[i]!)) i++;
    const name = s.slice(nameStart, i);
    skipSpace();
    if (s[i] !== '=') throw new LabelsError(`expected "=" after label name "${name}"`);
    i++;
    skipSpace();
    if (s[i] !== '"') throw new LabelsError(`expected a quoted value for label "${name}"`);
    i++;
    let value = '';
    for (;;) {
      if (i >= end) throw new LabelsError(`unterminated value for label "${name}"`);
      const ch = s[i]!;
      if (ch === '"') break;
      if (ch === '\\') {
        const next = s[i + 1];
        if (next === 'n') value += '\n';
        else if (next === 't') value += '\t';
        else if (next === 'r') value += '\r';
        else if (next === 'x') {
          value += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16));
          i += 2;
        } else value += next;
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    if (!isValidLabelName(name)) throw new LabelsError(`invalid label name "${name}"`);
    if (name in out) throw new LabelsError(`duplicate label name "${name}"`);
    out[name] = value;
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
    } else if (i < end) throw new LabelsError(`unexpected "${s[i]}" after the value of "${name}"`);
  }
  return out;
}

/** The canonical form Loki prints: names sorted, `{a="b", c="d"}`. */
export function canonicalLabels(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return '{' + names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ') + '}';
}
