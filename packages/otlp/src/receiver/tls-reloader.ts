import { loadServerTls, sameTlsFiles, type Logger, type ServerTlsMaterial, type TlsServerConfig } from '@sluice/core';

/**
 * Holds a server's certificate material and, with `reload_interval`, re-reads the files on that
 * interval so renewed certificates are served without a restart. A reload that fails (a file
 * half-written, a key that does not match yet) is logged and the previous material stays in use.
 */
export class TlsReloader {
  private material: ServerTlsMaterial;
  private readonly listeners: Array<(material: ServerTlsMaterial) => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: TlsServerConfig,
    private readonly where: string,
    private readonly logger: Logger,
  ) {
    this.material = loadServerTls(config, where);
  }

  get current(): ServerTlsMaterial {
    return this.material;
  }

  onChange(listener: (material: ServerTlsMaterial) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    const interval = this.config.reload_interval;
    if (!interval || this.timer) return;
    this.timer = setInterval(() => this.reload(), interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads the files now; returns whether new material was put in use. */
  reload(): boolean {
    let next: ServerTlsMaterial;
    try {
      next = loadServerTls(this.config, this.where);
    } catch (err) {
      this.logger.error(`${(err as Error).message}; keeping the certificates in use`);
      return false;
    }
    if (sameTlsFiles(next, this.material)) return false;
    this.material = next;
    for (const listener of this.listeners) listener(next);
    this.logger.info('TLS certificates reloaded', { config: `${this.where}.tls` });
    return true;
  }
}
