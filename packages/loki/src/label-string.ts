/** A label pair, also the shape of one structured-metadata field. */
export interface LabelPair {
  name: string;
  value: string;
}

/**
 * The Loki/Prometheus text form of a label set: `{a="b", c="d"}`, names sorted, values quoted
 * with Go-style escapes. Sorted names make it a stable key for grouping records into streams.
 */
export function formatLabels(sortedPairs: readonly LabelPair[]): string {
  let out = '{';
  for (let i = 0; i < sortedPairs.length; i++) {
    const pair = sortedPairs[i]!;
    if (i > 0) out += ', ';
    out += pair.name + '="' + escapeLabelValue(pair.value) + '"';
  }
  return out + '}';
}

// eslint-disable-next-line no-control-regex -- control characters are what must be escaped
const NEEDS_ESCAPE = /[\\"\n\r\t\u0000-\u001f]/;

function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = ch.charCodeAt(0);
        out += code < 0x20 ? '\\x' + code.toString(16).padStart(2, '0') : ch;
      }
    }
  }
  return out;
}
