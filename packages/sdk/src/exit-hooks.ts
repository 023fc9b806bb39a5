export interface ExitHookTarget {
  /** Flush what is queued; the hooks bound it with the timeout themselves. */
  flush(): Promise<void>;
  /** Grows with every record accepted: a beforeExit flush is only needed when it moved. */
  acceptedCount(): number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Resolves when the promise settles or the time is up, whichever is first; never rejects. The
 * timer keeps the process alive on purpose: an exporter waiting on unref'd retry timers must not
 * let the process end before the flush had its chance.
 */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

/**
 * Flush on beforeExit and, only when the app asked (`signals`), on SIGTERM and SIGINT: a listener
 * on a signal replaces Node's default of dying at once, which is the app's decision, not a
 * library's. After a signal's flush the process exits as the signal would have — unless the app
 * listens for that signal too, in which case exiting is its call. Returns a function that removes
 * the hooks.
 */
export function installExitHooks(target: ExitHookTarget, timeoutMs: number, signals: boolean): () => void {
  let flushedAt = -1;
  let signalled = false;

  const onBeforeExit = (): void => {
    const accepted = target.acceptedCount();
    if (accepted === flushedAt) return; // nothing new: let the process end
    flushedAt = accepted;
    // The pending export keeps the loop alive; beforeExit fires again once it is done.
    void settleWithin(target.flush(), timeoutMs);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    const appHandlesIt = process.listenerCount(signal) > 1;
    void settleWithin(target.flush(), timeoutMs).then(() => {
      if (appHandlesIt) return;
      uninstall();
      process.kill(process.pid, signal);
    });
  };

  function uninstall(): void {
    process.off('beforeExit', onBeforeExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }

  process.on('beforeExit', onBeforeExit);
  if (signals) for (const signal of SIGNALS) process.on(signal, onSignal);
  return uninstall;
}
