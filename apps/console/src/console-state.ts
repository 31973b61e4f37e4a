import { TraceStore } from '@etcd-patterns/telemetry';
import { CompactRevisionFinder } from './cluster-view';
import { FirstSeen } from './services-view';

/** Traces the console keeps (the oldest received goes first). */
export const MAX_TRACES = 300;

/** What the console remembers between requests, for every session alike (nothing secret). */
export class ConsoleState {
  /** When the console first saw each registration (`since`). */
  readonly servicesSeen = new FirstSeen();
  /** When the console first saw each lock or election owner key (`since`). */
  readonly locksSeen = new FirstSeen();
  /** The last compaction revision found. */
  readonly compactFinder = new CompactRevisionFinder();
  /** Traces received on `POST /v1/traces`. */
  readonly traces = new TraceStore({ maxTraces: MAX_TRACES });
}
