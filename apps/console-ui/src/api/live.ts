// Live views: Server-Sent Events from `/api/events/<stream>`, applied once per animation frame.
//
// Every event is parsed and buffered as it arrives; nothing touches React state until the next
// `requestAnimationFrame`, which applies the newest snapshot (later ones replace earlier ones),
// hands all buffered changes over in one call and refetches at most once. A burst of 1,000
// change events therefore costs one render, not 1,000. In a background tab the browser pauses
// animation frames: the buffer keeps only the newest snapshot and the last MAX_BUFFERED_CHANGES
// changes, and is applied when the tab is shown again.
import type { LiveEvent, LiveStream } from '@etcd-patterns/console-contract';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { apiUrl } from './client';

/** One change of a `changes` event. */
export type LiveChange = Extract<LiveEvent<unknown>, { type: 'changes' }>['changes'][number];

/** Connection state shown next to live views. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'off';

export interface LiveState {
  readonly status: LiveStatus;
  /** etcd revision of the last applied event (0 before the first). */
  readonly revision: number;
  /** The last `error` event the stream sent (a permission problem, etcd unreachable). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Changes received since the stream opened. */
  readonly changeCount: number;
}

/** Options of {@link useLiveStream}. */
export interface LiveStreamOptions<S> {
  readonly stream: LiveStream;
  /** Query parameters (the `keys` stream takes `prefix`). */
  readonly params?: Record<string, string | undefined>;
  /** Default true; false closes the stream. */
  readonly enabled?: boolean;
  /** The react-query entry that snapshots replace (`setQueryData`). */
  readonly queryKey?: QueryKey;
  /** Accepts a snapshot's `data` for `queryKey`; without it, snapshots only trigger a refetch. */
  readonly isSnapshot?: (data: unknown) => data is S;
  /** Queries to refetch when an event's data cannot be applied to `queryKey` (throttled). */
  readonly refetch?: readonly QueryKey[];
  /** Queries to refetch after every batch of changes, whatever the data (throttled). */
  readonly refetchOnChanges?: readonly QueryKey[];
  /** All changes of one frame, oldest first. */
  readonly onChanges?: (changes: readonly LiveChange[], revision: number) => void;
  /** A snapshot arrived (the stream opened or reconnected). */
  readonly onSnapshot?: (revision: number) => void;
}

const MAX_BUFFERED_CHANGES = 5000;
/** A stream sending only changes refetches at most this often. */
const REFETCH_INTERVAL_MS = 750;

function isLiveEvent(value: unknown): value is LiveEvent<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'snapshot' || type === 'changes' || type === 'error';
}

/**
 * Subscribes to a live stream while mounted. Snapshots replace the data of `queryKey`, changes
 * without data refetch the `refetch` queries (throttled), and `onChanges` gets every change. The
 * browser's EventSource reconnects by itself; every reconnect starts with a new snapshot.
 */
export function useLiveStream<S>(options: LiveStreamOptions<S>): LiveState {
  const queryClient = useQueryClient();
  const latest = useRef(options);
  latest.current = options;
  const enabled = options.enabled ?? true;
  const url = apiUrl(`/events/${options.stream}`, options.params ?? {});
  const [state, setState] = useState<LiveState>({ status: enabled ? 'connecting' : 'off', revision: 0, changeCount: 0 });

  useEffect(() => {
    if (!enabled) {
      setState({ status: 'off', revision: 0, changeCount: 0 });
      return;
    }
    setState({ status: 'connecting', revision: 0, changeCount: 0 });
    const source = new EventSource(url);
    let frame = 0;
    let refetchTimer = 0;
    let lastRefetchAt = 0;
    // The buffer of one frame.
    let snapshot: { data: unknown; hasData: boolean } | undefined;
    let changes: LiveChange[] = [];
    let revision = 0;
    let error: LiveState['error'];
    let needRefetch = false;
    let changed = false;
    let sawSnapshot = false;
    let statusNow: LiveStatus = 'connecting';

    let refetchKeys = new Set<QueryKey>();
    const refetchNow = (): void => {
      refetchTimer = 0;
      lastRefetchAt = performance.now();
      const keys = refetchKeys;
      refetchKeys = new Set();
      for (const key of keys) void queryClient.invalidateQueries({ queryKey: key }, { cancelRefetch: false });
    };
    const scheduleRefetch = (): void => {
      if (refetchTimer) return;
      const wait = REFETCH_INTERVAL_MS - (performance.now() - lastRefetchAt);
      if (wait <= 0) refetchNow();
      else refetchTimer = window.setTimeout(refetchNow, wait);
    };

    const flush = (): void => {
      frame = 0;
      const current = latest.current;
      const batch = changes;
      changes = [];
      if (snapshot) {
        const { data, hasData } = snapshot;
        snapshot = undefined;
        if (hasData && current.queryKey && current.isSnapshot?.(data)) queryClient.setQueryData(current.queryKey, data);
        else needRefetch = true;
      }
      if (needRefetch) for (const key of current.refetch ?? []) refetchKeys.add(key);
      if (changed) for (const key of current.refetchOnChanges ?? []) refetchKeys.add(key);
      needRefetch = false;
      changed = false;
      if (refetchKeys.size > 0) scheduleRefetch();
      const snapshotSeen = sawSnapshot;
      sawSnapshot = false;
      if (snapshotSeen) current.onSnapshot?.(revision);
      if (batch.length > 0) current.onChanges?.(batch, revision);
      const appliedError = error;
      error = undefined;
      setState((previous) => ({
        status: statusNow,
        revision: revision || previous.revision,
        error: appliedError ?? (batch.length > 0 || snapshotSeen ? undefined : previous.error),
        changeCount: previous.changeCount + batch.length,
      }));
    };
    const schedule = (): void => {
      if (!frame) frame = window.requestAnimationFrame(flush);
    };

    const onMessage = (message: MessageEvent<string>): void => {
      let event: unknown;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!isLiveEvent(event)) return;
      if (event.type === 'error') {
        error = { code: event.code, message: event.message };
      } else {
        revision = Math.max(revision, event.revision);
        if (event.type === 'snapshot') {
          snapshot = { data: event.data, hasData: true };
          sawSnapshot = true;
        } else {
          if (event.data !== undefined) snapshot = { data: event.data, hasData: true };
          else needRefetch = true;
          changed = true;
          changes.push(...event.changes);
          if (changes.length > MAX_BUFFERED_CHANGES) changes = changes.slice(-MAX_BUFFERED_CHANGES);
        }
      }
      schedule();
    };
    const onError = (event: Event): void => {
      // A named `error` event with data is the stream's own error report; otherwise the connection dropped.
      if (event instanceof MessageEvent && typeof event.data === 'string') {
        onMessage(event as MessageEvent<string>);
        return;
      }
      statusNow = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      // A closed stream may mean the session ended: let the session query find out.
      if (statusNow === 'closed') void queryClient.invalidateQueries({ queryKey: ['session'] });
      schedule();
    };
    const onOpen = (): void => {
      statusNow = 'live';
      schedule();
    };
    source.addEventListener('open', onOpen);
    source.addEventListener('error', onError);
    // The contract sends unnamed events; named `snapshot`/`changes` events are accepted too.
    for (const name of ['message', 'snapshot', 'changes']) source.addEventListener(name, onMessage as EventListener);
    return () => {
      source.close();
      if (frame) window.cancelAnimationFrame(frame);
      if (refetchTimer) window.clearTimeout(refetchTimer);
    };
  }, [url, enabled, queryClient]);

  return state;
}
