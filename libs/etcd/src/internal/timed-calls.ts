import type { ICallable } from 'etcd3';
import { toEtcdError } from '../grpc-errors';
import { RANGE_KEY_VALUES } from './decoded-range';
import { recordRequest } from './metrics';

type Exec = ICallable<unknown>['exec'];

/**
 * Times every unary call of etcd3's connection pool into `etcd_patterns.etcd.request.duration`
 * (see `metrics.ts`). Install it after `installReadRetry`, so a read retried on another member
 * counts once, for as long as its caller waited. Streams (watch, lease keepalive) do not pass
 * through here.
 */
export function installCallTiming(pool: ICallable<unknown>): void {
  const exec: Exec = pool.exec.bind(pool);
  const timed = async function <T>(service: Parameters<Exec>[0], method: string, payload: unknown, options?: Parameters<Exec>[3]): Promise<T> {
    const started = performance.now();
    // A range decoded by decoded-range.ts is still a Range call to etcd.
    const name = method === RANGE_KEY_VALUES ? 'range' : method;
    try {
      const result = await exec<T>(service, method, payload, options);
      recordRequest(String(service), name, performance.now() - started);
      return result;
    } catch (error) {
      recordRequest(String(service), name, performance.now() - started, toEtcdError(error).code);
      throw error;
    }
  };
  Object.defineProperty(pool, 'exec', { value: timed, configurable: true, writable: true });
}
