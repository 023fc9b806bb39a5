/**
 * Loki's push API in JSON: `{"streams":[{"stream":{labels},"values":[["<ns>","line",{metadata}]]}]}`.
 * The label object is rebuilt from the stream's label string, which this package wrote itself.
 */
import type { PushStream } from './push';

export function encodePushRequestJson(streams: readonly PushStream[]): Buffer {
  return joinJsonStreams([encodeJsonStreams(streams)]);
}

/**
 * The streams as the inside of the push's `streams` array (`{...},{...}`, no brackets), so the
 * fragments of several requests join into one push with commas (`joinJsonStreams`).
 */
export function encodeJsonStreams(streams: readonly PushStream[]): Buffer {
  const out = streams.map((stream) => ({
    stream: labelObject(stream.labels),
    values: stream.entries.map((entry) => {
      const value: unknown[] = [entry.timestampNs.toString(), entry.line];
      if (entry.metadata.length > 0) {
        const metadata: Record<string, string> = {};
        for (const pair of entry.metadata) metadata[pair.name] = pair.value;
        value.push(metadata);
      }
      return value;
    }),
  }));
  return Buffer.from(JSON.stringify(out).slice(1, -1));
}

/** One push body from fragments written by `encodeJsonStreams`. */
export function joinJsonStreams(fragments: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (const fragment of fragments) {
    if (fragment.length === 0) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(fragment);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

const OPEN = Buffer.from('{"streams":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/** What `joinJsonStreams` adds around and between fragments, so pushes can be sized before joining. */
export const JSON_PUSH_FRAMING = { push: OPEN.length + CLOSE.length, join: COMMA.length };

/** Reads back a label string written by formatLabels: `{a="b", c="d\"e"}`. */
function labelObject(labels: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let match: RegExpExecArray | null;
  while ((match = pair.exec(labels)) !== null) out[match[1]!] = unescape(match[2]!);
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"' };

function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-f]{2}|.)/g, (_, code: string) =>
    code.length === 3 ? String.fromCharCode(parseInt(code.slice(1), 16)) : (ESCAPES[code] ?? code),
  );
}
