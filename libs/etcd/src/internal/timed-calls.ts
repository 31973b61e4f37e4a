import type { ICallable } from 'etcd3';
import { toEtcdError } from '../grpc-errors';
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
    try {
      const result = await exec<T>(service, method, payload, options);
      recordRequest(String(service), method, performance.now() - started);
      return result;
    } catch (error) {
      recordRequest(String(service), method, performance.now() - started, toEtcdError(error).code);
      throw error;
    }
  };
  Object.defineProperty(pool, 'exec', { value: timed, configurable: true, writable: true });
}
