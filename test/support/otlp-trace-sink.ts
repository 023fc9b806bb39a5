import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtoReader } from '@sluice/pdata';

/** The length-delimited fields of a protobuf message (others skipped), as [field number, bytes]. */
function* messageFields(bytes: Buffer): Generator<[number, Buffer]> {
  const reader = new ProtoReader(bytes);
  while (reader.pos < reader.end) {
    const tag = reader.tag();
    if ((tag & 7) !== 2) {
      reader.skip(tag, []);
      continue;
    }
    const end = reader.lengthEnd();
    yield [tag >>> 3, reader.buf.subarray(reader.pos, end)];
    reader.pos = end;
  }
}

/** The trace ids of an OTLP ExportTraceServiceRequest: resource_spans(1) → scope_spans(2) → spans(2) → trace_id(1). */
export function otlpTraceIds(body: Buffer): string[] {
  const ids: string[] = [];
  for (const [f1, resourceSpans] of messageFields(body)) {
    if (f1 !== 1) continue;
    for (const [f2, scopeSpans] of messageFields(resourceSpans)) {
      if (f2 !== 2) continue;
      for (const [f3, span] of messageFields(scopeSpans)) {
        if (f3 !== 2) continue;
        for (const [f4, value] of messageFields(span)) if (f4 === 1) ids.push(value.toString('hex'));
      }
    }
  }
  return ids;
}

/** A local OTLP/HTTP traces endpoint (protobuf) that records the trace ids it receives. */
export async function startTraceSink(): Promise<{ url: string; traceIds: Set<string>; close(): Promise<void> }> {
  const traceIds = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      for (const id of otlpTraceIds(Buffer.concat(chunks))) traceIds.add(id);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    traceIds,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
