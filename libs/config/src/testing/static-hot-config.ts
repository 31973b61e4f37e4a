import type { EtcdPatternsError } from '@etcd-patterns/etcd';
import { diffDocuments } from '../diff';
import { assertConfigDocument, type ConfigDocument } from '../document';
import { ConfigError } from '../errors';
import { ChangeQueue } from '../internal/change-queue';
import type { ConfigChange, HotConfig, HotConfigStatus } from '../watch-config';

/** A {@link HotConfig} driven by the test: `set()` applies a value, `fail()` reports an error. */
export interface TestHotConfig<T> extends HotConfig<T> {
  /** Applies `value` as the next version (listeners and iterations see it). */
  set(value: T): void;
  /** Reports `error` to the error listeners, as an invalid change would. */
  reportError(error: EtcdPatternsError): void;
}

/**
 * An in-memory {@link HotConfig} for unit tests of code that consumes configuration: no etcd,
 * no schema. `value` (if given) is applied as version 1 and `ready` resolves at once.
 */
export function createTestHotConfig<T>(value?: T): TestHotConfig<T> {
  let applied: ConfigChange<T> | undefined;
  let status: HotConfigStatus = 'starting';
  let lastError: EtcdPatternsError | undefined;
  let resolveReady!: (value: T) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<T>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);
  const listeners = new Set<(change: ConfigChange<T>) => void>();
  const errorListeners = new Set<(error: EtcdPatternsError) => void>();
  const queues = new Set<ChangeQueue<ConfigChange<T>>>();
  const toDocument = (v: T): ConfigDocument => {
    try {
      return assertConfigDocument(JSON.parse(JSON.stringify(v)) as unknown);
    } catch {
      return {};
    }
  };

  const hot: TestHotConfig<T> = {
    get current(): T {
      if (!applied) throw new ConfigError('CONFIG_NOT_READY', 'test hot config has no value yet');
      return applied.value;
    },
    get version() {
      return applied?.version ?? 0;
    },
    get lastChange() {
      return applied;
    },
    ready,
    get status() {
      return status;
    },
    get lastError() {
      return lastError;
    },
    set(next: T): void {
      if (status === 'closed') return;
      const document = toDocument(next);
      const change: ConfigChange<T> = {
        value: next,
        previous: applied?.value,
        document,
        diff: diffDocuments(applied?.document, document),
        version: (applied?.version ?? 0) + 1,
        revision: (applied?.revision ?? 0) + 1,
        meta: undefined,
        source: 'publish',
      };
      applied = change;
      status = 'live';
      resolveReady(next);
      for (const l of listeners) l(change);
      for (const q of queues) q.push(change);
    },
    reportError(error: EtcdPatternsError): void {
      lastError = error;
      for (const l of errorListeners) l(error);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    onError(listener) {
      errorListeners.add(listener);
      return () => void errorListeners.delete(listener);
    },
    [Symbol.asyncIterator]() {
      const queue = new ChangeQueue<ConfigChange<T>>((q) => queues.delete(q));
      if (status === 'closed') queue.end();
      else queues.add(queue);
      return queue;
    },
    async close() {
      if (status === 'closed') return;
      status = 'closed';
      rejectReady(new ConfigError('CONFIG_CLOSED', 'test hot config closed'));
      for (const q of queues) q.end();
      queues.clear();
      listeners.clear();
    },
    async [Symbol.asyncDispose]() {
      await hot.close();
    },
  };
  if (value !== undefined) hot.set(value);
  return hot;
}
