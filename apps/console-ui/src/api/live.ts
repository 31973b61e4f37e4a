// Live views: Server-Sent Events, applied once per animation frame.
//
// Events come from the browser's one multiplexed live connection (live-hub.ts: a SharedWorker
// shared by every tab, so tabs never run out of the browser's 6 connections per host). Every
// event is buffered as it arrives; nothing touches React state until the next
// `requestAnimationFrame`, which applies the newest snapshot and every delta after it to the
// react-query entry in one `setQueryData`, hands all buffered changes over in one call and
// refetches at most once, and renders all of it before that frame paints (live-commit.ts). A
// burst of 1,000 change events therefore costs one render, not 1,000.
// In a background tab the browser pauses animation frames: the buffer keeps only the newest
// snapshot, the deltas after it, and the last MAX_BUFFERED_CHANGES changes, and is applied when
// the tab is shown again.
import type { LiveChange as ContractChange, LiveDelta, LiveStream } from '@etcd-patterns/console-contract';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { commitLiveFrame } from './live-commit';
import { applyLiveDelta, collectionsOf, mergeLiveDeltas } from './live-delta';
import { subscribeLive } from './live-hub';
import type { LiveStatus } from './live-mux';

/** One change of a `changes` event. */
export type LiveChange = ContractChange;
export type { LiveStatus };

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
  /** The react-query entry that snapshots replace and deltas update (`setQueryData`). */
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

/** The live stream id of a stream and its parameters (`keys:<prefix>`). */
export function liveStreamId(stream: LiveStream, params: Record<string, string | undefined> = {}): string {
  return stream === 'keys' ? `keys:${params['prefix'] ?? ''}` : stream;
}

/**
 * A react-query `structuralSharing` that keeps the cached view when a fetched one is older (a
 * lower `revision`) than what live deltas have already made of it: a slow `GET` must not undo
 * them, since deltas are never re-sent.
 */
export function keepNewerRevision(old: unknown, next: unknown): unknown {
  const revisionOf = (value: unknown): number => (typeof value === 'object' && value !== null && typeof (value as { revision?: unknown }).revision === 'number' ? (value as { revision: number }).revision : -1);
  return old !== undefined && revisionOf(old) > revisionOf(next) ? old : next;
}

/**
 * Subscribes to a live stream while mounted. Snapshots replace the data of `queryKey` and deltas
 * update it; a delta that cannot be applied (no data yet, or data of another shape) refetches the
 * `refetch` queries (throttled), and `onChanges` gets every change. The connection reconnects
 * by itself; every reconnect starts with a new snapshot.
 */
export function useLiveStream<S>(options: LiveStreamOptions<S>): LiveState {
  const queryClient = useQueryClient();
  const latest = useRef(options);
  latest.current = options;
  const enabled = options.enabled ?? true;
  const id = liveStreamId(options.stream, options.params);
  const spec = collectionsOf(options.stream);
  const [state, setState] = useState<LiveState>({ status: enabled ? 'connecting' : 'off', revision: 0, changeCount: 0 });

  useEffect(() => {
    if (!enabled) {
      setState({ status: 'off', revision: 0, changeCount: 0 });
      return;
    }
    setState({ status: 'connecting', revision: 0, changeCount: 0 });
    let frame = 0;
    let refetchTimer = 0;
    let lastRefetchAt = 0;
    // The buffer of one frame: the newest snapshot, and the deltas after it, in order.
    let snapshot: { data: unknown } | undefined;
    let deltas: Array<{ delta: LiveDelta; revision: number }> = [];
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
      commitLiveFrame(apply);
    };
    // Applies the frame's query data (snapshot, deltas); returns the frame's callbacks and state
    // update, which commitLiveFrame renders together with the data.
    const apply = (): (() => void) => {
      const current = latest.current;
      const batch = changes;
      changes = [];
      const base = snapshot;
      const pendingDeltas = deltas;
      snapshot = undefined;
      deltas = [];
      if (base || pendingDeltas.length > 0) {
        if (!current.queryKey || !spec) {
          if (base && current.queryKey && current.isSnapshot?.(base.data)) queryClient.setQueryData(current.queryKey, base.data);
          else needRefetch = true;
        } else {
          let data: unknown = base ? (current.isSnapshot?.(base.data) ? base.data : undefined) : queryClient.getQueryData(current.queryKey);
          if (base && data === undefined) needRefetch = true;
          if (data !== undefined) {
            // Deltas below the data's revision are in it already (a GET that came later).
            const dataRevision = (data as { revision?: number }).revision ?? 0;
            const fresh = pendingDeltas.filter((d) => d.revision >= dataRevision);
            if (fresh.length > 0) data = applyLiveDelta(data, mergeLiveDeltas(fresh.map((d) => d.delta), spec), fresh.at(-1)!.revision, spec);
          }
          if (data === undefined) needRefetch = true;
          // A delta's revision is never below the snapshot's: set even if a GET got there first.
          else queryClient.setQueryData(current.queryKey, data);
        }
      }
      if (needRefetch) for (const key of current.refetch ?? []) refetchKeys.add(key);
      if (changed) for (const key of current.refetchOnChanges ?? []) refetchKeys.add(key);
      needRefetch = false;
      changed = false;
      if (refetchKeys.size > 0) scheduleRefetch();
      const snapshotSeen = sawSnapshot;
      sawSnapshot = false;
      const at = revision;
      const appliedError = error;
      error = undefined;
      return () => {
        if (snapshotSeen) current.onSnapshot?.(at);
        if (batch.length > 0) current.onChanges?.(batch, at);
        setState((previous) => ({
          status: statusNow,
          revision: revision || previous.revision,
          error: appliedError ?? (batch.length > 0 || snapshotSeen ? undefined : previous.error),
          changeCount: previous.changeCount + batch.length,
        }));
      };
    };
    const schedule = (): void => {
      if (!frame) frame = window.requestAnimationFrame(flush);
    };

    const unsubscribe = subscribeLive(id, {
      event: (event) => {
        if (event.type === 'error') {
          error = { code: event.code, message: event.message };
        } else {
          revision = Math.max(revision, event.revision);
          if (event.type === 'snapshot') {
            snapshot = { data: event.data };
            deltas = [];
            sawSnapshot = true;
          } else {
            if (event.delta !== undefined) deltas.push({ delta: event.delta, revision: event.revision });
            else needRefetch = true;
            changed = true;
            changes.push(...event.changes);
            if (changes.length > MAX_BUFFERED_CHANGES) changes = changes.slice(-MAX_BUFFERED_CHANGES);
          }
        }
        schedule();
      },
      status: (status) => {
        statusNow = status;
        // A closed stream may mean the session ended: let the session query find out.
        if (status === 'closed') void queryClient.invalidateQueries({ queryKey: ['session'] });
        schedule();
      },
    });
    return () => {
      unsubscribe();
      if (frame) window.cancelAnimationFrame(frame);
      if (refetchTimer) window.clearTimeout(refetchTimer);
    };
  }, [id, spec, enabled, queryClient]);

  return state;
}
