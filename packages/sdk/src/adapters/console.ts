import { format } from 'node:util';
import type { AdapterSink } from './sink';
import { namedSeverity } from '@sluice/pdata';

const METHODS = ['debug', 'trace', 'log', 'info', 'warn', 'error'] as const;
type ConsoleMethod = (typeof METHODS)[number];

/**
 * Wraps the console's printing methods: the original still prints, and the formatted line
 * becomes a record too. Returns a function that puts the originals back, unless someone else
 * has patched on top of us since (then their wrapper stays and ours becomes a pass-through).
 */
export function patchConsole(sink: AdapterSink): () => void {
  const originals = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  const wrappers = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  let active = true;
  let inside = false; // an emit that itself prints must not loop back into the bridge

  for (const method of METHODS) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept unbound on purpose: called with console as `this`, and put back as the very same function on restore
    const original = console[method] as (...args: unknown[]) => void;
    const severity = namedSeverity(method === 'log' ? 'info' : method);
    const wrapper = (...args: unknown[]): void => {
      original.apply(console, args);
      if (!active || inside || !sink.admit()) return;
      inside = true;
      try {
        sink.logger.emit({ severityNumber: severity.number, severityText: severity.text, body: format(...args) });
      } catch (error) {
        sink.onError(error);
      } finally {
        inside = false;
      }
    };
    originals.set(method, original);
    wrappers.set(method, wrapper);
    console[method] = wrapper;
  }

  return function restoreConsole(): void {
    if (!active) return;
    active = false;
    for (const method of METHODS) {
      if (console[method] === wrappers.get(method)) console[method] = originals.get(method)!;
    }
  };
}
