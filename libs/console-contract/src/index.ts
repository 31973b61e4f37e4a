/**
 * The ops console's HTTP API: every route, request body and response, shared by the NestJS
 * backend (apps/console) and the React front end (apps/console-ui). Types only; no runtime code
 * beyond constants, so the browser bundle stays small.
 *
 * Conventions:
 * - Every route is under `/api`. JSON in and out. Errors are {@link ApiError} with an HTTP status:
 *   400 bad input (with `issues[].at` = `line:column` for YAML/JSON), 401 not signed in or wrong
 *   credentials, 403 missing/wrong CSRF token or etcd permission denied (`code:
 *   'ETCD_PERMISSION_DENIED'`, message "permission denied: ..."), 404 unknown key / namespace /
 *   route, 409 conflict (guarded edits, config base version), 413 body too large, 429 sign-in rate
 *   limited, 503 etcd unreachable.
 * - Session: `POST /api/session` sets an HttpOnly, SameSite=Strict cookie `ep_session` and returns
 *   a `csrfToken`; every non-GET request must send it in the `x-csrf-token` header.
 * - Live views: `GET /api/events/<stream>` is Server-Sent Events; each event's `data` is JSON of
 *   {@link LiveEvent}. The first event is a full `snapshot`, then `changes`, each carrying only
 *   the delta (see {@link LiveDelta}). `GET /api/events?streams=[...]` multiplexes several
 *   streams in one connection ({@link LiveEnvelope}). Browsers reconnect by themselves
 *   (EventSource); every reconnect starts with a new snapshot.
 */

/** `GET /api/...` error body. */
export interface ApiError {
  readonly error: {
    /**
     * `EtcdPatternsError` code (`ETCD_PERMISSION_DENIED`, `CONFIG_CONFLICT`, `ETCD_COMPACTED`, ...) or
     * `BAD_REQUEST`, `NOT_FOUND`, `METHOD_NOT_ALLOWED` (405, with `Allow`), `UNAUTHENTICATED`, `CSRF`,
     * `TOO_LARGE`, `RATE_LIMITED`, `CONFLICT` (guarded key edits, imports), `ACCESS_LOCKOUT`,
     * `AUTH_REQUIRED` (auth off while the console listens beyond loopback), `UNSUPPORTED_MEDIA_TYPE`.
     */
    readonly code: string;
    readonly message: string;
    /** Validation problems, with `at` = `line:column` for YAML/JSON documents. */
    readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string; readonly at?: string }>;
    /** 409 conflicts show both sides. */
    readonly conflict?: { readonly yours: unknown; readonly theirs: unknown; readonly theirsModRevision?: number; readonly theirsVersion?: number };
  };
}

// ---------------------------------------------------------------- session

/** `POST /api/session` body. With etcd auth off, any user name and empty password sign in. */
export interface SignInRequest {
  readonly username: string;
  readonly password: string;
}

/** `GET /api/session` and `POST /api/session` response (GET: 401 when not signed in). */
export interface SessionInfo {
  /** The etcd user the console acts as (`''` when etcd auth is off). */
  readonly username: string;
  /** Whether etcd auth is enabled; when false, every page shows a warning banner. */
  readonly authEnabled: boolean;
  /** Send as `x-csrf-token` on every non-GET request. */
  readonly csrfToken: string;
  /** The user's roles (empty with auth off); the UI hides nothing based on them, etcd decides. */
  readonly roles: readonly string[];
  /** Demo-only controls are available (console started by the demo launcher). */
  readonly demoControls: boolean;
  /** Where the console listens, e.g. `127.0.0.1:8088`. */
  readonly listen: string;
}
// `DELETE /api/session` signs out (204).

// ---------------------------------------------------------------- services

/** One registered instance (Go naming key `<prefix>/<service>/<address>`). */
export interface ServiceInstanceView {
  readonly key: string;
  readonly service: string;
  readonly address: string;
  readonly version?: string;
  readonly zone?: string;
  readonly weight?: number;
  /** All stored metadata. */
  readonly metadata: Record<string, unknown>;
  /** Lease id in hex (`'0'`: no lease). */
  readonly leaseId: string;
  /** Remaining TTL in seconds when read (count down from `readAt`); undefined without lease. */
  readonly ttlSeconds?: number;
  readonly grantedTtlSeconds?: number;
  /** ISO time the TTL was read. */
  readonly readAt: string;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Registered since (ISO), when known (first seen by the console, or from metadata `registeredAt`). */
  readonly since?: string;
}

/** A key under the registry prefix that is not a valid instance: shown, never hidden. */
export interface MalformedEntry {
  readonly key: string;
  /** The raw value, as text (control characters escaped). */
  readonly value: string;
  readonly reason: string;
  readonly modRevision: number;
}

/**
 * The latest TTL reading of a lease that instances are registered with. Instances carry the
 * reading taken when they were read; live streams refresh these readings (every ~10 s) without
 * re-sending the instances, so a count-down prefers the lease's reading when it is newer.
 */
export interface LeaseReadingView {
  /** Lease id in hex. */
  readonly id: string;
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  /** ISO time the TTL was read. */
  readonly readAt: string;
}

/** `GET /api/services` and the `services` stream's snapshot. */
export interface ServicesView {
  readonly revision: number;
  readonly prefix: string;
  readonly instances: readonly ServiceInstanceView[];
  readonly malformed: readonly MalformedEntry[];
  /** One reading per lease in use. */
  readonly leases: readonly LeaseReadingView[];
}

// ---------------------------------------------------------------- config

/** `GET /api/config`: every namespace (`env/app`). */
export interface ConfigNamespacesView {
  readonly namespaces: ReadonlyArray<{ readonly namespace: string; readonly version: number; readonly time?: string; readonly author?: string }>;
}

/** One version in the history list. */
export interface ConfigVersionView {
  readonly version: number;
  readonly revision: number;
  readonly time: string;
  readonly author: string;
  readonly message: string;
  readonly rollbackOf?: number;
}

/** What one replica applied (the applied-version report). */
export interface AppliedView {
  readonly instance: string;
  readonly version: number;
  readonly source?: string;
  readonly appliedAt?: string;
  readonly rejected?: { readonly version: number; readonly reason: string };
  /** The entry could not be read. */
  readonly malformed?: string;
}

/** `GET /api/config/:env/:app` (404 when nothing is published). */
export interface ConfigNamespaceView {
  readonly namespace: string;
  readonly version: number;
  readonly revision: number;
  readonly author: string;
  readonly time: string;
  readonly message: string;
  readonly document: Record<string, unknown>;
  /** The document as YAML, for the editor. */
  readonly yaml: string;
  readonly versions: readonly ConfigVersionView[];
  readonly applied: readonly AppliedView[];
  /** A replica runs another version, or the keys were edited around publish. */
  readonly drift: boolean;
  readonly driftReasons: readonly string[];
  /** The stored JSON Schema, when the app stored one (the editor validates against it before sending). */
  readonly schema?: Record<string, unknown>;
}

/** `GET /api/config/:env/:app/versions/:version`. */
export interface ConfigVersionDocument {
  readonly version: number;
  readonly document: Record<string, unknown>;
  readonly yaml: string;
}

/** `POST /api/config/:env/:app/validate` and `/publish` body. */
export interface PublishConfigRequest {
  /** YAML or JSON text. */
  readonly text: string;
  readonly format: 'yaml' | 'json';
  /**
   * The version the user edited; 409 `CONFIG_CONFLICT` when it is no longer live (the text is kept
   * by the UI), with `conflict: { yours: <the parsed document>, theirs: <the live document>, theirsVersion }`.
   */
  readonly baseVersion: number;
  readonly message?: string;
}

/** `POST /api/config/:env/:app/publish` response. `/validate` answers `{ ok: true }` or 400. */
export interface PublishConfigResult {
  readonly version: number;
  readonly revision: number;
  readonly diff: { readonly added: readonly unknown[]; readonly removed: readonly unknown[]; readonly changed: readonly unknown[] };
}

/** `POST /api/config/:env/:app/rollback` body. */
export interface RollbackConfigRequest {
  readonly version: number;
  readonly baseVersion: number;
}

// ---------------------------------------------------------------- locks and elections

/** One queued owner key `<name>/<lease hex>` (Go concurrency layout). */
export interface OwnerKeyView {
  readonly key: string;
  readonly leaseId: string;
  /** Create revision: the fencing token, and the queue order. */
  readonly createRevision: number;
  /** The value (election proposal; empty for locks). */
  readonly value: string;
  /** When it was created, if known. */
  readonly since?: string;
  /** Remaining lease TTL in seconds when read. */
  readonly ttlSeconds?: number;
}

/** A lock name: the holder is the owner key with the lowest create revision. */
export interface LockView {
  readonly name: string;
  readonly holder: OwnerKeyView;
  /** In queue order. */
  readonly waiters: readonly OwnerKeyView[];
}

/** An election: leader, its proposal and term (create revision), candidates in order. */
export interface ElectionView {
  readonly name: string;
  readonly leader: OwnerKeyView;
  /** The other candidates (not the leader), in queue order: the next leader first. */
  readonly candidates: readonly OwnerKeyView[];
}

/**
 * `GET /api/locks` and the `locks` stream's snapshot. A name whose owner keys hold values is an
 * election, one whose keys are empty is a lock (etcdctl lock/elect write the same layouts).
 */
export interface LocksView {
  readonly revision: number;
  readonly locks: readonly LockView[];
  readonly elections: readonly ElectionView[];
}

// ---------------------------------------------------------------- cluster

/**
 * `GET /api/cluster`: the `@etcd-patterns/ops` results as they are (`EndpointStatus[]`,
 * `MemberInfo[]`, `AlarmInfo[]`, `EndpointHealth[]`), plus the compaction revision.
 */
export interface ClusterView {
  readonly endpoints: ReadonlyArray<Record<string, unknown> & { readonly endpoint: string; readonly ok: boolean }>;
  readonly members: ReadonlyArray<Record<string, unknown> & { readonly id: string; readonly name: string }>;
  readonly health: ReadonlyArray<Record<string, unknown> & { readonly endpoint: string; readonly healthy: boolean }>;
  readonly alarms: ReadonlyArray<{ readonly memberId: string; readonly alarm: string }>;
  readonly revision: number;
  /** The compaction revision (0 when never compacted or unknown). */
  readonly compactRevision: number;
}
// `POST /api/cluster/alarms/disarm` → `{ disarmed: AlarmInfo[] }`.
// `POST /api/cluster/defrag` body `{ member: string }` → `DefragmentResult`.
// `POST /api/cluster/compact` body `{ revision: number | 'current' }` → `CompactResult`.
// `GET /api/cluster/snapshot` → streamed `application/octet-stream` download of a verified
//   snapshot (saved to a temporary file with full verification first, then streamed and deleted);
//   header `x-snapshot-sha256`, `x-snapshot-revision`.

// ---------------------------------------------------------------- keys

/** One key in a listing. */
export interface KeyEntry {
  readonly key: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** Lease id in hex, `'0'` for none. */
  readonly leaseId: string;
  /**
   * Value size in bytes. Set in {@link KeyValueView}; absent in {@link KeyListView} listings,
   * which read keys only (etcd's keys-only ranges carry no value, hence no size).
   */
  readonly size?: number;
}

/** `GET /api/keys?prefix=&search=&limit=&after=`: keys under a prefix (keys only), paged. */
export interface KeyListView {
  readonly revision: number;
  readonly prefix: string;
  readonly keys: readonly KeyEntry[];
  /** Next page: pass as `after`. */
  readonly next?: string;
  /**
   * Child "folders" of the prefix (split on `/`), for the tree and path completion: the full
   * prefixes, each ending in `/` (`/services/` gives `['/services/greeter/', ...]`), at most 500.
   */
  readonly children: readonly string[];
}

/** `GET /api/keys/value?key=&revision=` (404 when absent; 410 `ETCD_COMPACTED` for a compacted revision). */
export interface KeyValueView extends KeyEntry {
  /** `text` for UTF-8, `json`/`yaml` when it parses as such (pretty is set), `binary` otherwise (hex). */
  readonly kind: 'text' | 'json' | 'yaml' | 'binary';
  /** The value as UTF-8 text (always rendered as text, never as HTML). */
  readonly text?: string;
  /** Pretty-printed JSON or YAML. */
  readonly pretty?: string;
  /** Hex dump for binary values (of the first 64 KiB). */
  readonly hex?: string;
  readonly readRevision: number;
  /** The value's earlier revisions that are not compacted: mod revisions, newest first. */
  readonly history: readonly number[];
}

/**
 * `PUT /api/keys/value` body: a put guarded by mod revision (0: the key must not exist). 409 with
 * `conflict: { yours, theirs, theirsModRevision }` when someone changed it.
 */
export interface PutKeyRequest {
  readonly key: string;
  readonly value: string;
  readonly expectedModRevision: number;
}

/** `PUT /api/keys/value` response: the revision of the write (the key's new mod revision). */
export interface KeyWriteResult {
  readonly key: string;
  readonly revision: number;
  readonly modRevision: number;
}
// `DELETE /api/keys/value?key=&expectedModRevision=` guarded delete (204; `expectedModRevision`
// >= 1; 409 on conflict, `theirs: null` when the key is gone).

/** `GET /api/keys/export?prefix=` and `POST /api/keys/import` body. */
export interface KeyExport {
  readonly prefix: string;
  readonly revision: number;
  readonly keys: ReadonlyArray<{ readonly key: string; readonly value: string; readonly encoding: 'utf8' | 'base64' }>;
}

/**
 * `POST /api/keys/import?dryRun=true|false` response (one transaction per batch of 128).
 * `dryRun` defaults to true. Each batch is guarded by the mod revisions read first: a key changed
 * in between is 409 `CONFLICT` naming the batches already written.
 */
export interface ImportResult {
  readonly dryRun: boolean;
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  readonly batches: number;
  /** Keys that would change (first 1000). */
  readonly changes: ReadonlyArray<{ readonly key: string; readonly action: 'create' | 'update' }>;
}

// ---------------------------------------------------------------- leases

/** `GET /api/leases`: every lease. */
export interface LeaseView {
  /** Hex id. */
  readonly id: string;
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  readonly readAt: string;
  readonly keys: readonly string[];
  /** Which pattern owns the keys, by layout: `registration`, `lock`, `election`, `config-applied`, `other`. */
  readonly owners: readonly ('registration' | 'lock' | 'election' | 'config-applied' | 'other')[];
}
export interface LeasesView {
  readonly leases: readonly LeaseView[];
}
// `DELETE /api/leases/:id` revokes (204); the UI confirms first, listing `keys`.

// ---------------------------------------------------------------- users and roles

/** `GET /api/access` (403 for users without root). */
export interface AccessView {
  readonly authEnabled: boolean;
  readonly users: ReadonlyArray<{ readonly name: string; readonly roles: readonly string[] }>;
  readonly roles: ReadonlyArray<{ readonly name: string; readonly permissions: ReadonlyArray<{ readonly type: 'read' | 'write' | 'readwrite'; readonly key: string; readonly rangeEnd: string; readonly prefix: boolean }> }>;
}
// `POST /api/access/users` `{ name, password }`; `POST /api/access/roles` `{ name }`;
// `POST /api/access/users/:name/roles` `{ role }`; `DELETE /api/access/users/:name/roles/:role`;
// `POST /api/access/roles/:name/permissions` `{ type, key, prefix }`;
// `DELETE /api/access/roles/:name/permissions?key=&prefix=`;
// `POST /api/access/enable` — refuses (409 `ACCESS_LOCKOUT`) unless a root user with the root role
// exists and the caller is it (with auth off etcd cannot tell who the caller is: the name typed at
// sign-in must be `root`). Answers {@link EnableAuthResult}.

/**
 * `POST /api/access/enable` response. Sessions signed in while auth was off (the caller's too)
 * are signed out: they must sign in again with a user name and password.
 */
export interface EnableAuthResult {
  readonly authEnabled: true;
  /** Sessions signed out. */
  readonly signedOut: number;
}

// ---------------------------------------------------------------- traces

/**
 * `GET /api/traces`: the last 300 traces received on `POST /v1/traces`, OTLP/HTTP JSON
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; protobuf is 415, as with the demo's receiver), newest first.
 */
export interface TracesView {
  readonly traces: ReadonlyArray<{ readonly traceId: string; readonly rootName: string; readonly rootService: string; readonly services: readonly string[]; readonly spanCount: number; readonly durationMs: number; readonly startTime: string }>;
}
/** `GET /api/traces/:traceId` (404 unknown): spans for a waterfall. */
export interface TraceDetailView {
  readonly traceId: string;
  readonly spans: ReadonlyArray<{ readonly spanId: string; readonly parentSpanId: string; readonly depth: number; readonly name: string; readonly service: string; readonly kind: string; readonly startOffsetMs: number; readonly durationMs: number; readonly status: string; readonly attributes: Record<string, unknown> }>;
}

// ---------------------------------------------------------------- live events

/**
 * Names of the live streams under `/api/events/`. `keys` takes `?prefix=` (its data is the first
 * page of {@link KeyListView}). `cluster` sends a new `snapshot` every 2 s instead of `changes`;
 * the others send `changes` with a {@link LiveDelta} as soon as etcd reports a change (changes
 * that arrive while one is being prepared go out together). A comment line every 15 s keeps the
 * stream open; `error` ends it.
 *
 * The console keeps one watch and one in-memory view per stream (and prefix) per etcd client,
 * shared by every stream of that client: with etcd auth on each session has its own client (so
 * nothing crosses users), with auth off every session shares the credential-less one.
 */
export type LiveStream = 'services' | 'locks' | 'config' | 'keys' | 'cluster';

/** One change etcd reported. */
export interface LiveChange {
  readonly kind: 'put' | 'delete';
  readonly key: string;
  readonly modRevision: number;
}

/** What changed in one collection of a view: items to add or replace (by id), ids to remove. */
export interface LiveCollectionDelta<T = unknown> {
  readonly upsert: readonly T[];
  readonly remove: readonly string[];
}

/**
 * The difference between a stream's view before and after a `changes` event: per collection of
 * the snapshot (named in {@link LIVE_COLLECTIONS}), the items added or replaced and the ids
 * removed; and the other top-level fields of the snapshot that changed (`fields`, `null`: gone). A client
 * applies it to its copy of the snapshot: remove, then upsert (replace by id, append new ones),
 * then keep the collection ordered by id (code-unit order, as etcd orders keys), and set the
 * snapshot's `revision` to the event's. Malformed registry entries are a collection of their
 * own: a key that stops being a valid instance moves from `instances` to `malformed`.
 */
export interface LiveDelta {
  readonly collections: Readonly<Record<string, LiveCollectionDelta>>;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * The collections of each delta-sending stream's snapshot and the field that identifies an item
 * (`''`: the item is a string and its own id).
 */
export const LIVE_COLLECTIONS: Readonly<Record<Exclude<LiveStream, 'cluster'>, Readonly<Record<string, string>>>> = {
  services: { instances: 'key', malformed: 'key', leases: 'id' },
  locks: { locks: 'name', elections: 'name' },
  config: { namespaces: 'namespace' },
  keys: { keys: 'key', children: '' },
};

/**
 * One Server-Sent Event's data. `snapshot` comes first, and again after the server lost track
 * (its watch was compacted away): it replaces the client's copy. `changes` lists what etcd
 * reported and the resulting `delta` (a `revision` below the client's copy's is stale and
 * can be skipped). A `changes` without `delta` asks the client to refetch. `error` ends the stream.
 */
export type LiveEvent<Snapshot> =
  | { readonly type: 'snapshot'; readonly revision: number; readonly data: Snapshot }
  | { readonly type: 'changes'; readonly revision: number; readonly changes: readonly LiveChange[]; readonly delta?: LiveDelta }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/**
 * `GET /api/events?streams=<JSON array of stream ids>`: several live streams over one
 * connection (a browser allows only 6 HTTP/1.1 connections per host, shared by all its tabs).
 * A stream id is a {@link LiveStream} name, or `keys:<prefix>`. Each event's data is one
 * envelope; an `error` ends that stream only. At most {@link MAX_MULTIPLEXED_STREAMS} ids.
 */
export interface LiveEnvelope {
  readonly stream: string;
  readonly event: LiveEvent<unknown>;
}

/** Streams one multiplexed connection may carry. */
export const MAX_MULTIPLEXED_STREAMS = 32;

// ---------------------------------------------------------------- demo controls

/** `GET /api/demo` (404 unless started by the demo launcher). */
export interface DemoView {
  readonly members: ReadonlyArray<{ readonly name: string; readonly state: 'running' | 'paused' | 'stopped' }>;
  readonly apps: ReadonlyArray<{ readonly id: string; readonly app: string; readonly state: 'running' | 'stopped' }>;
}
// `POST /api/demo/members/:name/{pause|resume|kill|start}`, `POST /api/demo/apps/:id/{kill|start}`.

/** Body limit of every JSON request, in bytes (413 above). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Sign-in attempts allowed per client address per minute (429 above). */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;
/** Session cookie name. */
export const SESSION_COOKIE = 'ep_session';
/** CSRF header name. */
export const CSRF_HEADER = 'x-csrf-token';
