// Keys: a prefix browser with search and path completion, the value viewer, history diffs,
// guarded edits (409 shows both sides), a live monitor of a prefix, export and import (dry run
// first), and bookmarks of prefixes.
import type { ImportResult, KeyEntry, KeyExport, KeyListView, KeyValueView, PutKeyRequest } from '@etcd-patterns/console-contract';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../api/api-context';
import { apiUrl, isApiError, type ApiRequestError } from '../api/client';
import { useLiveStream, type LiveChange } from '../api/live';
import { queryKeys } from '../api/query-keys';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { CodeEditor, DiffView } from '../components/lazy';
import { Badge, Clip, EmptyState, Loading, PageHeader, Tabs } from '../components/ui';
import { toYamlText } from '../lib/documents';
import { formatBytes } from '../lib/format';
import { isStringArray, useLocalPreference } from '../lib/local-store';
import { navigate, useRoute } from '../lib/router';

const PAGE_SIZE = 500;

/** Full path of a child "folder" (the backend may send `greeter/` or `/services/greeter/`). */
function childPath(prefix: string, child: string): string {
  return child.startsWith(prefix) && prefix !== '' ? child : prefix + child;
}

function lastSegment(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const at = trimmed.lastIndexOf('/');
  return (at >= 0 ? trimmed.slice(at + 1) : trimmed) + (path.endsWith('/') ? '/' : '');
}

function breadcrumbs(prefix: string): Array<{ label: string; prefix: string }> {
  const crumbs = [{ label: '(root)', prefix: '' }];
  let at = 0;
  while (true) {
    const next = prefix.indexOf('/', at);
    if (next < 0) break;
    const part = prefix.slice(0, next + 1);
    if (part !== '/' || crumbs.length === 1) crumbs.push({ label: part === '/' ? '/' : lastSegment(part), prefix: part });
    at = next + 1;
  }
  if (at < prefix.length) crumbs.push({ label: prefix.slice(at), prefix });
  return crumbs;
}

export function KeysPage() {
  const route = useRoute();
  const prefix = route.query.get('prefix') ?? '/';
  const selected = route.query.get('key') ?? undefined;
  const search = route.query.get('q') ?? '';
  const [monitor, setMonitor] = useState(false);
  const [panel, setPanel] = useState<'value' | 'new' | 'import'>('value');
  const go = (next: { prefix?: string; key?: string; q?: string }) =>
    navigate(['keys'], { prefix: next.prefix ?? prefix, key: 'key' in next ? next.key : selected, q: 'q' in next ? next.q : search }, { replace: false });

  return (
    <>
      <PageHeader title="Keys">
        <a className="btn" href={apiUrl('/keys/export', { prefix })} download={`etcd-export${prefix.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`} data-testid="keys-export">
          Export prefix as JSON
        </a>
        <button type="button" className={panel === 'import' ? 'btn active' : 'btn'} onClick={() => setPanel(panel === 'import' ? 'value' : 'import')} data-testid="keys-import-open">
          Import…
        </button>
        <button type="button" className={panel === 'new' ? 'btn active' : 'btn'} onClick={() => setPanel(panel === 'new' ? 'value' : 'new')} data-testid="keys-new">
          New key
        </button>
        <button type="button" className={monitor ? 'btn btn-primary' : 'btn'} onClick={() => setMonitor(!monitor)} data-testid="keys-monitor-toggle" aria-pressed={monitor}>
          {monitor ? 'Stop monitor' : 'Monitor prefix live'}
        </button>
      </PageHeader>
      <PathBar prefix={prefix} search={search} onPrefix={(p) => go({ prefix: p, key: undefined })} onSearch={(q) => navigate(['keys'], { prefix, key: selected, q }, { replace: true })} />
      <div className="split split-wide">
        <section className="split-main keys-list">
          <KeyList prefix={prefix} search={search} selected={selected} onSelect={(key) => { setPanel('value'); go({ key }); }} onPrefix={(p) => go({ prefix: p, key: undefined })} />
        </section>
        <section className="split-detail">
          {monitor ? <MonitorPanel prefix={prefix} onSelect={(key) => { setPanel('value'); go({ key }); }} /> : null}
          {panel === 'import' ? <ImportPanel prefix={prefix} onDone={() => setPanel('value')} /> : null}
          {panel === 'new' ? <NewKeyPanel prefix={prefix} onCreated={(key) => { setPanel('value'); go({ key }); }} /> : null}
          {panel === 'value' && selected ? <KeyPanel key={selected} keyName={selected} onDeleted={() => go({ key: undefined })} /> : null}
          {panel === 'value' && !selected && !monitor ? <EmptyState title="Choose a key" testId="keys-choose">Its value, revisions, lease and history show here.</EmptyState> : null}
        </section>
      </div>
    </>
  );
}

// ------------------------------------------------------------------ path bar and bookmarks

function PathBar({ prefix, search, onPrefix, onSearch }: { prefix: string; search: string; onPrefix: (prefix: string) => void; onSearch: (search: string) => void }) {
  const api = useApi();
  const [draft, setDraft] = useState(prefix);
  useEffect(() => setDraft(prefix), [prefix]);
  const [bookmarks, setBookmarks] = useLocalPreference<string[]>('key-bookmarks', [], isStringArray);
  // Path completion: the children of the prefix typed so far (up to its last `/`).
  const base = draft.slice(0, draft.lastIndexOf('/') + 1);
  const completion = useQuery({
    queryKey: ['keys', 'children', base],
    queryFn: ({ signal }) => api.get<KeyListView>('/keys', { signal, query: { prefix: base, limit: 1 } }),
    staleTime: 10_000,
    enabled: base !== '',
  });
  const options = (completion.data?.children ?? []).map((child) => childPath(base, child));
  const bookmarked = bookmarks.includes(prefix);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onPrefix(draft);
  };
  return (
    <div className="pathbar">
      <form className="toolbar" onSubmit={submit}>
        <label className="field grow">
          Prefix
          <input
            list="key-path-completion"
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
              // Picking a completion commits at once.
              if (options.includes(e.target.value)) onPrefix(e.target.value);
            }}
            className="mono"
            spellCheck={false}
            data-testid="keys-prefix"
          />
          <datalist id="key-path-completion">
            {options.map((option) => (
              <option key={option} value={option} />
            ))}
          </datalist>
        </label>
        <button type="submit" className="btn">
          Go
        </button>
        <button
          type="button"
          className={bookmarked ? 'btn active' : 'btn'}
          title={bookmarked ? 'Remove bookmark' : 'Bookmark this prefix'}
          onClick={() => setBookmarks(bookmarked ? bookmarks.filter((b) => b !== prefix) : [...bookmarks, prefix].sort())}
          data-testid="keys-bookmark"
          aria-pressed={bookmarked}
        >
          {bookmarked ? '★ Bookmarked' : '☆ Bookmark'}
        </button>
        <label className="field">
          Search
          <input type="search" defaultValue={search} key={search} placeholder="part of a key" onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), onSearch((e.target as HTMLInputElement).value))} onBlur={(e) => e.target.value !== search && onSearch(e.target.value)} data-testid="keys-search" spellCheck={false} />
        </label>
      </form>
      <div className="crumbs" data-testid="keys-breadcrumbs">
        {breadcrumbs(prefix).map((crumb, index) => (
          <button type="button" key={`${crumb.prefix}-${index}`} className="crumb" onClick={() => onPrefix(crumb.prefix)} title={crumb.prefix || '(all keys)'}>
            {crumb.label}
          </button>
        ))}
        {bookmarks.length > 0 ? <span className="crumb-sep">Bookmarks:</span> : null}
        {bookmarks.map((bookmark) => (
          <button type="button" key={bookmark} className={bookmark === prefix ? 'chip active' : 'chip'} onClick={() => onPrefix(bookmark)} data-testid="keys-bookmark-item" title={bookmark}>
            <span className="clip mono">{bookmark}</span>
          </button>
        ))}
      </div>
    </div>
  );
}

// ------------------------------------------------------------------ listing

function KeyList({ prefix, search, selected, onSelect, onPrefix }: { prefix: string; search: string; selected: string | undefined; onSelect: (key: string) => void; onPrefix: (prefix: string) => void }) {
  const api = useApi();
  const list = useInfiniteQuery({
    queryKey: queryKeys.keyList(prefix, search),
    queryFn: ({ signal, pageParam }) => api.get<KeyListView>('/keys', { signal, query: { prefix, search: search || undefined, limit: PAGE_SIZE, after: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next,
  });
  const pages = list.data?.pages;
  const keys = useMemo(() => pages?.flatMap((page) => page.keys) ?? [], [pages]);
  const children = pages?.[0]?.children ?? [];
  const columns: Column<KeyEntry>[] = [
    { id: 'key', header: 'Key', mono: true, render: (row) => <Clip text={row.key.startsWith(prefix) && prefix.length > 1 ? row.key.slice(prefix.length) || row.key : row.key} />, text: (row) => row.key },
    { id: 'size', header: 'Size', width: '72px', align: 'right', text: (row) => formatBytes(row.size) },
    { id: 'version', header: 'Ver', width: '48px', align: 'right', text: (row) => String(row.version) },
    { id: 'mod', header: 'Mod rev', width: '72px', align: 'right', text: (row) => String(row.modRevision) },
    { id: 'lease', header: 'Lease', width: '130px', mono: true, text: (row) => (row.leaseId === '0' ? '' : row.leaseId) },
  ];
  if (list.isError) return <ErrorBox error={list.error} />;
  if (list.isPending) return <Loading what="keys" />;
  return (
    <div>
      {children.length > 0 ? (
        <div className="folders" data-testid="keys-children">
          {children.map((child) => {
            const path = childPath(prefix, child);
            return (
              <button type="button" key={child} className="folder" onClick={() => onPrefix(path)} title={path} data-testid="keys-child" data-prefix={path}>
                <span className="folder-icon" aria-hidden="true">▸</span>
                <span className="clip mono">{lastSegment(path)}</span>
              </button>
            );
          })}
        </div>
      ) : null}
      <div className="toolbar">
        <span className="muted small" data-testid="keys-count">{`${keys.length}${list.hasNextPage ? '+' : ''} key${keys.length === 1 && !list.hasNextPage ? '' : 's'} under ${prefix || '(root)'}${search ? ` matching “${search}”` : ''} · rev ${pages?.[0]?.revision ?? '—'}`}</span>
      </div>
      <DataTable
        rows={keys}
        columns={columns}
        rowKey={(row) => row.key}
        selectedKey={selected}
        onRowClick={(row) => onSelect(row.key)}
        rowAttributes={(row) => ({ 'data-testid': 'key-row', 'data-key': row.key })}
        testId="keys-table"
        maxHeight="calc(100vh - 330px)"
        empty={<EmptyState title={search ? 'No key matches' : children.length > 0 ? 'No key directly here' : 'No keys under this prefix'} testId="keys-empty">{children.length > 0 ? 'Open a folder above.' : 'Try the root prefix /, or create one with New key.'}</EmptyState>}
      />
      {list.hasNextPage ? (
        <button type="button" className="btn" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage} data-testid="keys-more">
          {list.isFetchingNextPage ? 'Loading…' : `Load ${PAGE_SIZE} more`}
        </button>
      ) : null}
    </div>
  );
}

// ------------------------------------------------------------------ one key

function valueText(value: KeyValueView): string {
  if (value.kind === 'binary') return value.hex ?? '';
  return value.text ?? '';
}
function displayText(value: KeyValueView): string {
  if (value.kind === 'binary') return value.hex ?? '';
  return value.pretty ?? value.text ?? '';
}
function editorLanguage(value: KeyValueView): 'json' | 'yaml' | 'text' {
  return value.kind === 'json' ? 'json' : value.kind === 'yaml' ? 'yaml' : 'text';
}

type KeyTab = 'value' | 'history' | 'edit';

function KeyPanel({ keyName, onDeleted }: { keyName: string; onDeleted: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<KeyTab>('value');
  const [raw, setRaw] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const value = useQuery({ queryKey: queryKeys.keyValue(keyName), queryFn: ({ signal }) => api.get<KeyValueView>('/keys/value', { signal, query: { key: keyName } }) });
  const remove = useMutation({
    mutationFn: (expectedModRevision: number) => api.delete<void>('/keys/value', { query: { key: keyName, expectedModRevision } }),
    onSuccess: () => {
      setConfirmDelete(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys });
      onDeleted();
    },
  });
  if (value.isPending) return <Loading what={keyName} />;
  if (value.isError)
    return (
      <div className="key-panel">
        <h2 className="key-title">
          <Clip mono text={keyName} />
        </h2>
        <ErrorBox error={value.error} title={isApiError(value.error, 404) ? 'This key does not exist (any more)' : undefined} />
      </div>
    );
  const data = value.data;
  return (
    <div className="key-panel" data-testid="key-panel" data-key={keyName}>
      <h2 className="key-title">
        <Clip mono text={keyName} />
      </h2>
      <dl className="facts facts-row">
        <Fact label="Create rev" value={String(data.createRevision)} />
        <Fact label="Mod rev" value={String(data.modRevision)} testId="key-mod-revision" />
        <Fact label="Version" value={String(data.version)} />
        <Fact label="Lease" value={data.leaseId === '0' ? 'none' : data.leaseId} />
        <Fact label="Size" value={formatBytes(data.size)} />
        <Fact label="Kind" value={data.kind} testId="key-kind" />
      </dl>
      <Tabs
        tabs={[
          { id: 'value', label: 'Value' },
          { id: 'history', label: `History (${1 + data.history.filter((r) => r !== data.modRevision).length})` },
          { id: 'edit', label: 'Edit' },
        ]}
        active={tab}
        onChange={setTab}
      />
      {tab === 'value' ? (
        <div>
          <div className="toolbar">
            {data.pretty ? (
              <label className="check">
                <input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} /> raw text
              </label>
            ) : null}
            {data.kind === 'binary' ? <Badge tone="warn">binary: shown as hex</Badge> : null}
            <div className="toolbar-spacer" />
            <button type="button" className="btn btn-danger btn-small" onClick={() => { remove.reset(); setConfirmDelete(true); }} data-testid="key-delete">
              Delete…
            </button>
          </div>
          <pre className="pre value-pre" data-testid="key-value">{raw ? valueText(data) : displayText(data)}</pre>
        </div>
      ) : null}
      {tab === 'history' ? <KeyHistory keyName={keyName} current={data} /> : null}
      {tab === 'edit' ? <KeyEditor keyName={keyName} current={data} /> : null}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${keyName}?`}
        confirmLabel="Delete key"
        danger
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => remove.mutate(data.modRevision)}
      >
        <p>{`Deleted only if it is still at mod revision ${data.modRevision} (nobody changed it since you loaded it).`}</p>
      </ConfirmDialog>
    </div>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd className="mono" title={value} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function KeyHistory({ keyName, current }: { keyName: string; current: KeyValueView }) {
  const api = useApi();
  // `history` lists the earlier revisions; the current one goes first.
  const revisions = [current.modRevision, ...current.history.filter((revision) => revision !== current.modRevision)];
  const [left, setLeft] = useState<number>(revisions[1] ?? revisions[0]!);
  const [right, setRight] = useState<number>(revisions[0]!);
  const fetchAt = (revision: number) => ({
    queryKey: queryKeys.keyValue(keyName, revision),
    queryFn: ({ signal }: { signal: AbortSignal }) => api.get<KeyValueView>('/keys/value', { signal, query: { key: keyName, revision } }),
    staleTime: Infinity,
  });
  const a = useQuery(fetchAt(left));
  const b = useQuery(fetchAt(right));
  const picker = (value: number, onChange: (revision: number) => void, testId: string) => (
    <select value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId}>
      {revisions.map((revision) => (
        <option key={revision} value={revision}>
          {`rev ${revision}${revision === current.modRevision ? ' (current)' : ''}`}
        </option>
      ))}
    </select>
  );
  return (
    <div>
      <div className="toolbar">
        <label className="field">Left {picker(left, setLeft, 'key-diff-left')}</label>
        <label className="field">Right {picker(right, setRight, 'key-diff-right')}</label>
        <span className="muted small">{revisions.length <= 1 ? 'Only one revision is left (older ones are compacted, or the key is new).' : `${revisions.length} revisions not compacted`}</span>
      </div>
      <ErrorBox error={a.error ?? b.error} />
      {a.data && b.data ? <DiffView oldText={displayText(a.data)} newText={displayText(b.data)} oldTitle={`rev ${left}`} newTitle={`rev ${right}`} testId="key-diff" /> : !a.error && !b.error ? <Loading what="revisions" /> : null}
    </div>
  );
}

function KeyEditor({ keyName, current }: { keyName: string; current: KeyValueView }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [text, setText] = useState(current.text ?? '');
  // The mod revision the edit is based on; a conflict's "retry on top of theirs" moves it.
  const [expected, setExpected] = useState(current.modRevision);
  // Until the user types, the editor follows the key; after that it keeps their text (a save then
  // meets a 409 and shows both sides instead of silently overwriting).
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (dirty) return;
    setText(current.text ?? '');
    setExpected(current.modRevision);
  }, [dirty, current.modRevision, current.text]);
  const save = useMutation({
    mutationFn: (body: PutKeyRequest) => api.put<unknown>('/keys/value', body),
    onSuccess: () => {
      setDirty(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys });
    },
    // A conflict: show their current revision above (the editor keeps the user's text).
    onError: (error) => isApiError(error, 409) && void queryClient.invalidateQueries({ queryKey: queryKeys.keys }),
  });
  if (current.kind === 'binary') return <EmptyState title="Binary values are not edited here">Its hex dump is on the Value tab; write it with etcdctl or an import (base64).</EmptyState>;
  const conflict = isApiError(save.error, 409) ? (save.error as ApiRequestError).conflict : undefined;
  const theirsRevision = conflict?.theirsModRevision;
  return (
    <div>
      <div className="toolbar">
        <span className="muted" data-testid="key-edit-base">{`saving only if the key is still at mod revision ${expected}`}</span>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-primary" disabled={save.isPending} onClick={() => save.mutate({ key: keyName, value: text, expectedModRevision: expected })} data-testid="key-save">
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
      <CodeEditor value={text} onChange={(next) => { setText(next); setDirty(true); }} language={editorLanguage(current)} height="280px" testId="key-editor" />
      {save.isSuccess ? (
        <div className="notice notice-good" data-testid="key-saved">
          Saved.
        </div>
      ) : null}
      {save.error && !conflict ? <ErrorBox error={save.error} /> : null}
      {conflict ? (
        <ErrorBox error={save.error} title="Conflict: someone changed this key since you loaded it">
          <p data-testid="key-conflict">{`Theirs is at mod revision ${theirsRevision ?? '?'}; yours was based on ${expected}. Your text is kept.`}</p>
          <DiffView oldText={toYamlText(conflict.theirs)} newText={toYamlText(conflict.yours ?? text)} oldTitle={`theirs (rev ${theirsRevision ?? '?'})`} newTitle="yours" testId="key-conflict-diff" />
          <div className="button-row">
            {theirsRevision !== undefined ? (
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => {
                  setExpected(theirsRevision);
                  save.mutate({ key: keyName, value: text, expectedModRevision: theirsRevision });
                }}
                data-testid="key-retry-on-theirs"
              >
                {`Save mine on top of theirs (rev ${theirsRevision})`}
              </button>
            ) : null}
            <button type="button" className="btn" onClick={() => { setText(toYamlText(conflict.theirs)); if (theirsRevision !== undefined) setExpected(theirsRevision); setDirty(true); save.reset(); }} data-testid="key-take-theirs">
              Load theirs into the editor
            </button>
          </div>
        </ErrorBox>
      ) : null}
    </div>
  );
}

function NewKeyPanel({ prefix, onCreated }: { prefix: string; onCreated: (key: string) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [key, setKey] = useState(prefix);
  const [value, setValue] = useState('');
  const create = useMutation({
    mutationFn: (body: PutKeyRequest) => api.put<unknown>('/keys/value', body),
    onSuccess: (_, body) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.keys });
      onCreated(body.key);
    },
  });
  return (
    <form className="key-panel" onSubmit={(e) => { e.preventDefault(); create.mutate({ key, value, expectedModRevision: 0 }); }} data-testid="new-key-form">
      <h2>New key</h2>
      <label className="field block">
        Key
        <input className="mono" value={key} onChange={(e) => setKey(e.target.value)} spellCheck={false} data-testid="new-key-name" />
      </label>
      <label className="field block">
        Value
        <textarea className="mono" rows={8} value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} data-testid="new-key-value" />
      </label>
      <p className="muted small">Created only if the key does not exist yet.</p>
      <ErrorBox error={create.error} title={isApiError(create.error, 409) ? 'This key exists already' : undefined} />
      <button type="submit" className="btn btn-primary" disabled={create.isPending || key === ''} data-testid="new-key-create">
        Create
      </button>
    </form>
  );
}

// ------------------------------------------------------------------ live monitor

interface MonitorRow {
  readonly seq: number;
  readonly at: string;
  readonly change: LiveChange | undefined;
  readonly note?: string;
}

const MONITOR_ROWS = 2000;

/** `14:03:27.412`: when the browser received a change. */
function clockTime(): string {
  const now = new Date();
  return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, '0')}`;
}

function MonitorPanel({ prefix, onSelect }: { prefix: string; onSelect: (key: string) => void }) {
  const [rows, setRows] = useState<MonitorRow[]>([]);
  const [paused, setPaused] = useState(false);
  const live = useLiveStream({
    stream: 'keys',
    params: { prefix },
    enabled: !paused,
    refetch: [queryKeys.keys],
    // One state update per animation frame, however many changes arrived in it.
    onChanges: (changes) => {
      const at = clockTime();
      setRows((previous) => {
        let seq = previous[0]?.seq ?? 0;
        const added = changes.map((change) => ({ seq: ++seq, at, change })).reverse();
        return [...added, ...previous].slice(0, MONITOR_ROWS);
      });
    },
    onSnapshot: (revision) =>
      setRows((previous) => [{ seq: (previous[0]?.seq ?? 0) + 1, at: clockTime(), change: undefined, note: `watching ${prefix} from revision ${revision}` }, ...previous].slice(0, MONITOR_ROWS)),
  });
  const columns: Column<MonitorRow>[] = [
    { id: 'at', header: 'Seen', width: '100px', mono: true, text: (row) => row.at },
    { id: 'kind', header: 'Change', width: '70px', render: (row) => (row.change ? <Badge tone={row.change.kind === 'delete' ? 'bad' : 'good'}>{row.change.kind}</Badge> : <Badge tone="info">sync</Badge>) },
    { id: 'key', header: 'Key', mono: true, text: (row) => row.change?.key ?? row.note ?? '' },
    { id: 'rev', header: 'Mod rev', width: '80px', align: 'right', text: (row) => (row.change ? String(row.change.modRevision) : '') },
  ];
  return (
    <div className="monitor" data-testid="keys-monitor">
      <div className="toolbar">
        <strong>Live monitor</strong>
        <Clip mono text={prefix} />
        <span className={`live-badge live-${live.status}`} data-testid="monitor-status" data-status={live.status}>
          <span className="live-dot" />
          {`${live.status} · ${live.changeCount} changes`}
        </span>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-small" onClick={() => setPaused(!paused)} data-testid="monitor-pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setRows([])}>
          Clear
        </button>
      </div>
      {live.error ? <ErrorBox error={new Error(live.error.message)} title={live.error.code} compact /> : null}
      <DataTable
        rows={rows}
        columns={columns}
        rowKey={(row) => String(row.seq)}
        onRowClick={(row) => row.change && row.change.kind === 'put' && onSelect(row.change.key)}
        rowAttributes={(row) => ({ 'data-testid': 'monitor-row', 'data-key': row.change?.key, 'data-kind': row.change?.kind ?? 'sync' })}
        maxHeight="300px"
        empty={<EmptyState title="No change yet">Changes under this prefix appear here as they happen (newest first).</EmptyState>}
      />
    </div>
  );
}

// ------------------------------------------------------------------ import

const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

function parseExport(text: string): { ok: true; value: KeyExport } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not JSON: ${(error as Error).message}` };
  }
  const candidate = value as Partial<KeyExport>;
  if (typeof candidate !== 'object' || candidate === null || !Array.isArray(candidate.keys)) return { ok: false, message: 'not an export: expected { prefix, revision, keys: [...] }' };
  const bad = candidate.keys.findIndex((k) => typeof k !== 'object' || k === null || typeof k.key !== 'string' || typeof k.value !== 'string' || (k.encoding !== 'utf8' && k.encoding !== 'base64'));
  if (bad >= 0) return { ok: false, message: `keys[${bad}] must be { key, value, encoding: "utf8" | "base64" }` };
  return { ok: true, value: { prefix: String(candidate.prefix ?? ''), revision: Number(candidate.revision ?? 0), keys: candidate.keys } };
}

function ImportPanel({ prefix, onDone }: { prefix: string; onDone: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [preview, setPreview] = useState<{ text: string; result: ImportResult } | undefined>(undefined);
  const run = useMutation({
    mutationFn: ({ body, dryRun }: { body: KeyExport; dryRun: boolean }) => api.post<ImportResult>('/keys/import', body, { query: { dryRun } }),
    onSuccess: (result) => {
      if (result.dryRun) setPreview({ text, result });
      else void queryClient.invalidateQueries({ queryKey: queryKeys.keys });
    },
  });
  const parsed = text ? parseExport(text) : undefined;
  const dryRun = () => {
    setProblem(undefined);
    if (new Blob([text]).size > MAX_IMPORT_BYTES) return setProblem(`the file is larger than ${formatBytes(MAX_IMPORT_BYTES)}, the console's body limit: split it by prefix`);
    if (!parsed || !parsed.ok) return setProblem(parsed ? parsed.message : 'choose a file or paste an export');
    run.mutate({ body: parsed.value, dryRun: true });
  };
  const apply = () => parsed?.ok && run.mutate({ body: parsed.value, dryRun: false });
  const applied = run.data && !run.data.dryRun ? run.data : undefined;
  const previewValid = preview !== undefined && preview.text === text;
  return (
    <div className="key-panel" data-testid="import-panel">
      <h2>Import keys</h2>
      <p className="muted small">{`An export file (from “Export prefix as JSON”, e.g. of ${prefix}). A dry run shows what would change; nothing is written until you apply it.`}</p>
      <div className="toolbar">
        <input
          type="file"
          accept="application/json,.json"
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            setFileName(file.name);
            void file.text().then((content) => {
              setText(content);
              setPreview(undefined);
            });
          }}
        />
        {fileName ? <span className="muted small">{fileName}</span> : null}
      </div>
      <textarea className="mono" rows={6} value={text} onChange={(e) => { setText(e.target.value); setPreview(undefined); }} placeholder='{"prefix":"/app/","revision":0,"keys":[{"key":"/app/a","value":"1","encoding":"utf8"}]}' spellCheck={false} data-testid="import-text" />
      {problem ? <ErrorBox error={new Error(problem)} title="Cannot import this" compact /> : null}
      <ErrorBox error={run.error} />
      <div className="button-row">
        <button type="button" className="btn" onClick={dryRun} disabled={run.isPending || !text} data-testid="import-dry-run">
          {run.isPending && run.variables?.dryRun ? 'Checking…' : 'Dry run'}
        </button>
        <button type="button" className="btn btn-primary" onClick={apply} disabled={run.isPending || !previewValid || (preview?.result.create ?? 0) + (preview?.result.update ?? 0) === 0} data-testid="import-apply">
          {previewValid ? `Apply: ${preview.result.create} create, ${preview.result.update} update` : 'Apply (dry run first)'}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Close
        </button>
      </div>
      {preview && previewValid && !applied ? (
        <div data-testid="import-preview">
          <div className="notice notice-warn">{`Dry run: ${preview.result.create} to create, ${preview.result.update} to update, ${preview.result.unchanged} unchanged, in ${preview.result.batches} transaction${preview.result.batches === 1 ? '' : 's'} of up to 128 keys.`}</div>
          <DataTable
            rows={preview.result.changes}
            columns={[
              { id: 'action', header: 'Action', width: '80px', render: (row) => <Badge tone={row.action === 'create' ? 'good' : 'warn'}>{row.action}</Badge> },
              { id: 'key', header: 'Key', mono: true, text: (row) => row.key },
            ]}
            rowKey={(row) => row.key}
            rowAttributes={(row) => ({ 'data-testid': 'import-change', 'data-key': row.key, 'data-action': row.action })}
            maxHeight="260px"
            empty={<EmptyState title="Nothing would change" />}
          />
        </div>
      ) : null}
      {applied ? (
        <div className="notice notice-good" data-testid="import-done">
          {`Imported: ${applied.create} created, ${applied.update} updated, ${applied.unchanged} unchanged (${applied.batches} transactions).`}
        </div>
      ) : null}
    </div>
  );
}
