// Small shared pieces: page header, empty state, badges, tabs, live status, count-downs.
import { useState, type ReactNode } from 'react';
import type { LiveState } from '../api/live';
import { useNow } from '../lib/clock';
import { formatSeconds, parseTime } from '../lib/format';

export function PageHeader({ title, children, live }: { title: string; children?: ReactNode; live?: LiveState }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {live ? <LiveBadge state={live} /> : null}
      <div className="page-header-actions">{children}</div>
    </div>
  );
}

export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty-state" data-testid={testId ?? 'empty-state'}>
      <div className="empty-title">{title}</div>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}

/** "Loading …", and after 5 s how long it has waited (a frozen etcd member makes reads hang). */
export function Loading({ what }: { what: string }) {
  const now = useNow();
  const [start] = useState(() => Date.now());
  const waitedSeconds = Math.floor((now - start) / 1000);
  return (
    <div className="loading" data-testid="loading">
      {`Loading ${what}…`}
      {waitedSeconds >= 5 ? <span className="warn-text">{` still waiting after ${waitedSeconds} s: the console backend or etcd may be unreachable`}</span> : null}
    </div>
  );
}

export function Badge({ children, tone = 'neutral', title }: { children: ReactNode; tone?: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** Text that is cut with an ellipsis when too long, with the whole text as its tooltip. */
export function Clip({ text, mono, className }: { text: string; mono?: boolean; className?: string }) {
  return (
    <span className={`clip${mono ? ' mono' : ''}${className ? ` ${className}` : ''}`} title={text}>
      {text}
    </span>
  );
}

export function Tabs<T extends string>({ tabs, active, onChange, testId }: { tabs: ReadonlyArray<{ id: T; label: string }>; active: T; onChange: (id: T) => void; testId?: string }) {
  return (
    <div className="tabs" role="tablist" data-testid={testId}>
      {tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          aria-selected={tab.id === active}
          className={tab.id === active ? 'tab active' : 'tab'}
          data-testid={`tab-${tab.id}`}
          onClick={() => onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

const LIVE_LABELS: Record<LiveState['status'], string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  closed: 'stream closed',
  off: 'paused',
};

export function LiveBadge({ state }: { state: LiveState }) {
  return (
    <span className={`live-badge live-${state.status}`} data-testid="live-status" data-status={state.status} title={state.error ? `${state.error.code}: ${state.error.message}` : undefined}>
      <span className="live-dot" />
      {LIVE_LABELS[state.status]}
      {state.revision > 0 ? <span className="muted">{` · rev ${state.revision}`}</span> : null}
      {state.error ? <span className="live-error">{` · ${state.error.message}`}</span> : null}
    </span>
  );
}

/** Seconds left of a lease TTL read at `readAt`, counting down with the app clock. */
export function useTtlLeft(ttlSeconds: number | undefined, readAt: string | undefined): number | undefined {
  const now = useNow();
  if (ttlSeconds === undefined) return undefined;
  const at = parseTime(readAt);
  // A readAt in the future (clock skew) counts as "just read".
  const elapsed = Number.isNaN(at) ? 0 : Math.max(0, (now - at) / 1000);
  return Math.max(0, ttlSeconds - elapsed);
}

/** A lease TTL count-down with a small bar of what is left of the granted TTL. */
export function Countdown({ ttlSeconds, readAt, grantedTtlSeconds }: { ttlSeconds: number | undefined; readAt: string | undefined; grantedTtlSeconds?: number }) {
  const left = useTtlLeft(ttlSeconds, readAt);
  if (left === undefined) return <span className="muted">no lease</span>;
  const granted = grantedTtlSeconds && grantedTtlSeconds > 0 ? grantedTtlSeconds : undefined;
  const fraction = granted ? Math.min(1, left / granted) : undefined;
  const tone = left <= 0 ? 'bad' : fraction !== undefined && fraction < 0.34 ? 'warn' : 'good';
  return (
    <span className={`countdown countdown-${tone}`} data-testid="ttl-countdown" data-ttl={Math.ceil(left)} title={granted ? `${Math.ceil(left)} s of ${granted} s left` : `${Math.ceil(left)} s left`}>
      {fraction !== undefined ? (
        <span className="countdown-bar">
          <span style={{ width: `${Math.round(fraction * 100)}%` }} />
        </span>
      ) : null}
      <span className="countdown-text">{left <= 0 ? 'expired?' : `${Math.ceil(left)}s`}</span>
    </span>
  );
}

/** How long ago `iso` was, ticking. */
export function Since({ iso }: { iso: string | undefined }) {
  const now = useNow();
  const at = parseTime(iso);
  if (Number.isNaN(at)) return <span className="muted">—</span>;
  return <span title={iso}>{formatSeconds(Math.max(0, now - at) / 1000)}</span>;
}
