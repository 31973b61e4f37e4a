// Config: namespaces, the live document with its history, a diff of any two versions, an editor
// with Validate and Publish (guarded by the version the user started from), rollback, and what
// every replica applied.
import type { ConfigNamespaceView, ConfigNamespacesView, ConfigVersionDocument, PublishConfigRequest, PublishConfigResult } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import { ApiRequestError, isApiError } from '../api/client';
import { keepNewerRevision, useLiveStream } from '../api/live';
import { queryKeys } from '../api/query-keys';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { CodeEditor, DiffView, type MarkedLine } from '../components/lazy';
import { Badge, Clip, EmptyState, Loading, PageHeader, Tabs } from '../components/ui';
import { convertDocument, lineOf, parseDocument, type DocumentIssue } from '../lib/documents';
import { formatTime } from '../lib/format';
import { navigate, routeHref } from '../lib/router';

type Tab = 'editor' | 'history' | 'diff' | 'replicas' | 'document';
const TABS: ReadonlyArray<{ id: Tab; label: string }> = [
  { id: 'editor', label: 'Edit & publish' },
  { id: 'history', label: 'History' },
  { id: 'diff', label: 'Diff' },
  { id: 'replicas', label: 'Applied by replicas' },
  { id: 'document', label: 'Live document' },
];

function isNamespacesView(data: unknown): data is ConfigNamespacesView {
  return typeof data === 'object' && data !== null && Array.isArray((data as ConfigNamespacesView).namespaces);
}

function nsPath(namespace: string): string {
  return namespace.split('/').map(encodeURIComponent).join('/');
}

export function ConfigPage({ namespace }: { namespace: string | undefined }) {
  const api = useApi();
  const namespaces = useQuery({ queryKey: queryKeys.configNamespaces, queryFn: ({ signal }) => api.get<ConfigNamespacesView>('/config', { signal }), structuralSharing: keepNewerRevision });
  const live = useLiveStream({ stream: 'config', queryKey: queryKeys.configNamespaces, isSnapshot: isNamespacesView, refetch: [queryKeys.configNamespaces], refetchOnChanges: [queryKeys.configNamespaceAll] });
  const list = namespaces.data?.namespaces ?? [];

  return (
    <>
      <PageHeader title="Config" live={live} />
      {namespaces.isError ? <ErrorBox error={namespaces.error} /> : null}
      <div className="split">
        <aside className="split-side" data-testid="config-namespaces">
          <h2 className="side-title">Namespaces</h2>
          {namespaces.isPending ? <Loading what="namespaces" /> : null}
          {namespaces.data && list.length === 0 ? (
            <EmptyState title="No config published yet" testId="config-empty">
              Publish one with <code>npx epctl config publish dev/greeter greeter.yaml</code>.
            </EmptyState>
          ) : null}
          <ul className="side-list">
            {list.map((ns) => (
              <li key={ns.namespace}>
                <a href={routeHref(['config', ...ns.namespace.split('/')])} className={ns.namespace === namespace ? 'side-item active' : 'side-item'} data-testid="config-namespace" data-namespace={ns.namespace} title={ns.namespace}>
                  <span className="clip">{ns.namespace}</span>
                  <span className="muted small">{`v${ns.version}${ns.author ? ` · ${ns.author}` : ''}`}</span>
                </a>
              </li>
            ))}
          </ul>
        </aside>
        <section className="split-main">
          {namespace ? (
            <NamespacePanel key={namespace} namespace={namespace} />
          ) : list.length > 0 ? (
            <EmptyState title="Choose a namespace" testId="config-choose">
              {`${list.length} namespace${list.length === 1 ? '' : 's'} on the left.`}
            </EmptyState>
          ) : null}
        </section>
      </div>
    </>
  );
}

interface EditorState {
  readonly text: string;
  readonly format: 'yaml' | 'json';
  /** The live version the user started editing from (0: nothing published yet). */
  readonly baseVersion: number;
  readonly dirty: boolean;
}

type DiffSide = number | 'editor';

function NamespacePanel({ namespace }: { namespace: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>('editor');
  const view = useQuery({
    queryKey: queryKeys.configNamespace(namespace),
    queryFn: ({ signal }) => api.get<ConfigNamespaceView>(`/config/${nsPath(namespace)}`, { signal }),
  });
  const notPublished = isApiError(view.error, 404);
  const data = view.data;

  const [editor, setEditor] = useState<EditorState | undefined>(undefined);
  // Start editing from the live document; follow new live versions only while the user has not typed.
  useEffect(() => {
    if (data && (!editor || (!editor.dirty && editor.baseVersion !== data.version))) setEditor({ text: data.yaml, format: 'yaml', baseVersion: data.version, dirty: false });
    if (notPublished && !editor) setEditor({ text: '# first version\n', format: 'yaml', baseVersion: 0, dirty: false });
  }, [data, notPublished, editor]);

  const [diff, setDiff] = useState<{ left: DiffSide; right: DiffSide } | undefined>(undefined);
  const openDiff = (left: DiffSide, right: DiffSide) => {
    setDiff({ left, right });
    setTab('diff');
  };

  if (view.isPending) return <Loading what={namespace} />;
  if (view.isError && !notPublished) return <ErrorBox error={view.error} />;

  const liveVersion = data?.version ?? 0;
  return (
    <div data-testid="config-namespace-panel" data-namespace={namespace}>
      <div className="summary">
        <h2 className="mono">{namespace}</h2>
        {data ? (
          <dl className="facts" data-testid="config-summary">
            <Fact label="Version" value={`v${data.version}`} testId="config-version" />
            <Fact label="Revision" value={String(data.revision)} />
            <Fact label="Author" value={data.author || '—'} />
            <Fact label="Published" value={formatTime(data.time)} />
            <Fact label="Message" value={data.message || '—'} />
            <div className="fact">
              <dt>State</dt>
              <dd>
                {data.drift ? (
                  <Badge tone="bad" title={data.driftReasons.join(', ')}>
                    drift
                  </Badge>
                ) : (
                  <Badge tone="good">in sync</Badge>
                )}{' '}
                {data.schema ? <Badge tone="info">schema stored</Badge> : <Badge>no schema</Badge>}
              </dd>
            </div>
          </dl>
        ) : (
          <p className="muted">Nothing is published in this namespace yet: the editor publishes version 1.</p>
        )}
        {data?.drift ? (
          <div className="notice notice-bad" data-testid="config-drift">
            <strong>Drift:</strong> {data.driftReasons.length > 0 ? data.driftReasons.join('; ') : 'replicas do not all run the live version'}
          </div>
        ) : null}
      </div>
      <Tabs tabs={TABS} active={tab} onChange={setTab} testId="config-tabs" />
      {tab === 'editor' && editor ? (
        <EditorTab
          namespace={namespace}
          data={data}
          editor={editor}
          setEditor={setEditor}
          onDiffAgainstLive={() => openDiff(liveVersion, 'editor')}
          onPublished={() => void queryClient.invalidateQueries({ queryKey: queryKeys.config })}
        />
      ) : null}
      {tab === 'history' && data ? <HistoryTab namespace={namespace} data={data} onCompare={openDiff} /> : null}
      {tab === 'diff' && data ? (
        <DiffTab namespace={namespace} data={data} editorText={editor?.format === 'yaml' ? editor.text : convertDocument(editor?.text ?? '', 'json', 'yaml') ?? editor?.text ?? ''} diff={diff ?? { left: Math.max(1, liveVersion - 1), right: liveVersion }} setDiff={setDiff} />
      ) : null}
      {tab === 'replicas' && data ? <ReplicasTab data={data} /> : null}
      {tab === 'document' && data ? <DocumentTab data={data} /> : null}
      {tab !== 'editor' && !data ? <EmptyState title="Nothing published yet" /> : null}
    </div>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd title={value} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

// ------------------------------------------------------------------ editor

type Outcome = { kind: 'valid' } | { kind: 'published'; result: PublishConfigResult } | { kind: 'issues'; source: 'local' | 'backend'; issues: readonly DocumentIssue[] } | { kind: 'conflict'; error: ApiRequestError } | { kind: 'error'; error: unknown };

function EditorTab({
  namespace,
  data,
  editor,
  setEditor,
  onDiffAgainstLive,
  onPublished,
}: {
  namespace: string;
  data: ConfigNamespaceView | undefined;
  editor: EditorState;
  setEditor: (next: EditorState) => void;
  onDiffAgainstLive: () => void;
  onPublished: () => void;
}) {
  const api = useApi();
  const [message, setMessage] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [focus, setFocus] = useState<{ line: number; nonce: number } | undefined>(undefined);
  const liveVersion = data?.version ?? 0;

  const request = (): PublishConfigRequest => ({ text: editor.text, format: editor.format, baseVersion: editor.baseVersion, ...(message.trim() ? { message: message.trim() } : {}) });
  const localCheck = (): boolean => {
    const parsed = parseDocument(editor.text, editor.format);
    if (!parsed.ok) setOutcome({ kind: 'issues', source: 'local', issues: parsed.issues });
    else if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) setOutcome({ kind: 'issues', source: 'local', issues: [{ path: '', message: 'the document must be a mapping (key: value pairs) at the top level', at: '1:1' }] });
    else return true;
    return false;
  };
  const failed = (error: unknown) => {
    if (isApiError(error, 409)) setOutcome({ kind: 'conflict', error: error as ApiRequestError });
    else if (isApiError(error, 400) && (error as ApiRequestError).issues.length > 0) setOutcome({ kind: 'issues', source: 'backend', issues: (error as ApiRequestError).issues });
    else setOutcome({ kind: 'error', error });
  };

  const validate = useMutation({
    mutationFn: () => api.post<{ ok: true }>(`/config/${nsPath(namespace)}/validate`, request()),
    onSuccess: () => setOutcome({ kind: 'valid' }),
    onError: failed,
  });
  const publish = useMutation({
    mutationFn: () => api.post<PublishConfigResult>(`/config/${nsPath(namespace)}/publish`, request()),
    onSuccess: (result) => {
      setOutcome({ kind: 'published', result });
      setMessage('');
      setEditor({ ...editor, baseVersion: result.version, dirty: false });
      onPublished();
    },
    onError: (error) => {
      failed(error);
      // A conflict: fetch the new live version (the editor text stays as it is).
      if (isApiError(error, 409)) onPublished();
    },
  });

  const markedLines = useMemo<MarkedLine[]>(() => {
    if (outcome?.kind !== 'issues') return [];
    return outcome.issues.flatMap((issue) => {
      const line = lineOf(issue.at);
      return line ? [{ line, message: issue.message }] : [];
    });
  }, [outcome]);

  const switchFormat = (format: 'yaml' | 'json') => {
    const converted = convertDocument(editor.text, editor.format, format);
    if (converted === undefined) {
      localCheck();
      return;
    }
    setEditor({ ...editor, text: converted, format });
  };

  const stale = data !== undefined && editor.baseVersion !== liveVersion;
  const busy = validate.isPending || publish.isPending;
  return (
    <div className="editor-tab">
      <div className="toolbar">
        <span className="muted" data-testid="editor-base-version">{`editing from v${editor.baseVersion}${editor.dirty ? ' · modified' : ''}`}</span>
        <label className="field">
          Format
          <select value={editor.format} onChange={(e) => switchFormat(e.target.value as 'yaml' | 'json')} data-testid="editor-format">
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </select>
        </label>
        <button type="button" className="btn" disabled={!data || busy} onClick={() => data && (setEditor({ text: data.yaml, format: 'yaml', baseVersion: data.version, dirty: false }), setOutcome(undefined))} data-testid="editor-reset">
          {`Load live v${liveVersion}`}
        </button>
        <div className="toolbar-spacer" />
        <button type="button" className="btn" disabled={busy} onClick={() => localCheck() && validate.mutate()} data-testid="config-validate">
          {validate.isPending ? 'Validating…' : 'Validate'}
        </button>
      </div>
      {stale && outcome?.kind !== 'conflict' ? (
        <div className="notice notice-warn" data-testid="editor-stale">
          {`The live version is now v${liveVersion}; you started from v${editor.baseVersion}. Publishing will be refused until you look at the difference.`}{' '}
          <button type="button" className="btn btn-small" onClick={onDiffAgainstLive}>
            Diff against live
          </button>
        </div>
      ) : null}
      <OutcomePanel outcome={outcome} liveVersion={liveVersion} baseVersion={editor.baseVersion} onJump={(line) => setFocus({ line, nonce: Date.now() })} onDiff={onDiffAgainstLive} onRebase={() => {
        setEditor({ ...editor, baseVersion: liveVersion });
        setOutcome(undefined);
      }} />
      <CodeEditor
        value={editor.text}
        language={editor.format}
        onChange={(text) => setEditor({ ...editor, text, dirty: true })}
        markedLines={markedLines}
        focus={focus}
        height="max(220px, calc(100vh - 560px))"
        testId="config-editor"
      />
      <div className="toolbar">
        <label className="field grow">
          Message
          <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder="what changes and why (kept in the history)" data-testid="publish-message" />
        </label>
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => localCheck() && publish.mutate()} data-testid="config-publish">
          {publish.isPending ? 'Publishing…' : editor.baseVersion === 0 ? 'Publish v1' : `Publish on top of v${editor.baseVersion}`}
        </button>
      </div>
    </div>
  );
}

function OutcomePanel({ outcome, liveVersion, baseVersion, onJump, onDiff, onRebase }: { outcome: Outcome | undefined; liveVersion: number; baseVersion: number; onJump: (line: number) => void; onDiff: () => void; onRebase: () => void }) {
  if (!outcome) return null;
  switch (outcome.kind) {
    case 'valid':
      return (
        <div className="notice notice-good" data-testid="validate-ok">
          Valid: the backend parsed it and checked it against the stored schema (if any).
        </div>
      );
    case 'published': {
      const { diff } = outcome.result;
      return (
        <div className="notice notice-good" data-testid="publish-ok">
          {`Published v${outcome.result.version} (revision ${outcome.result.revision}): ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed.`}
        </div>
      );
    }
    case 'issues':
      return (
        <div className="error-box" role="alert" data-testid="validate-issues">
          <div className="error-title">{outcome.source === 'local' ? 'Does not parse' : 'Invalid'}</div>
          <ul className="error-issues">
            {outcome.issues.map((issue, index) => {
              const line = lineOf(issue.at);
              return (
                <li key={index} data-testid="validate-issue" data-at={issue.at ?? ''}>
                  {line ? (
                    <button type="button" className="link mono" onClick={() => onJump(line)}>
                      {issue.at}
                    </button>
                  ) : null}{' '}
                  {issue.path ? <span className="mono">{`${issue.path}: `}</span> : null}
                  {issue.message}
                </li>
              );
            })}
          </ul>
        </div>
      );
    case 'conflict': {
      const theirs = outcome.error.conflict?.theirsVersion ?? liveVersion;
      return (
        <ErrorBox error={outcome.error} title="Conflict: someone published meanwhile">
          <p data-testid="publish-conflict">
            {`Version v${theirs} is live now; you started from v${baseVersion}. Your text is kept in the editor.`}
          </p>
          <div className="button-row">
            <button type="button" className="btn" onClick={onDiff} data-testid="conflict-diff">
              {`Diff: live v${theirs} ↔ your text`}
            </button>
            <button type="button" className="btn" onClick={onRebase} data-testid="conflict-rebase">
              {`Publish mine on top of v${theirs} next`}
            </button>
          </div>
        </ErrorBox>
      );
    }
    case 'error':
      return <ErrorBox error={outcome.error} />;
  }
}

// ------------------------------------------------------------------ history

function HistoryTab({ namespace, data, onCompare }: { namespace: string; data: ConfigNamespaceView; onCompare: (left: number, right: number) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const versions = useMemo(() => [...data.versions].sort((a, b) => b.version - a.version), [data.versions]);
  const [left, setLeft] = useState<number>(versions[1]?.version ?? versions[0]?.version ?? 1);
  const [right, setRight] = useState<number>(versions[0]?.version ?? 1);
  const [target, setTarget] = useState<number | undefined>(undefined);
  const rollback = useMutation({
    mutationFn: (version: number) => api.post<PublishConfigResult>(`/config/${nsPath(namespace)}/rollback`, { version, baseVersion: data.version }),
    onSuccess: () => {
      setTarget(undefined);
      void queryClient.invalidateQueries({ queryKey: queryKeys.config });
    },
  });

  const columns: Column<(typeof versions)[number]>[] = [
    { id: 'a', header: 'A', width: '36px', render: (row) => <input type="radio" name="diff-left" aria-label={`compare from v${row.version}`} checked={left === row.version} onChange={() => setLeft(row.version)} /> },
    { id: 'b', header: 'B', width: '36px', render: (row) => <input type="radio" name="diff-right" aria-label={`compare to v${row.version}`} checked={right === row.version} onChange={() => setRight(row.version)} /> },
    { id: 'version', header: 'Version', width: '80px', render: (row) => <span>{`v${row.version}`}{row.version === data.version ? <Badge tone="good">live</Badge> : null}</span> },
    { id: 'revision', header: 'Revision', width: '90px', align: 'right', text: (row) => String(row.revision) },
    { id: 'time', header: 'Time', width: '160px', text: (row) => formatTime(row.time) },
    { id: 'author', header: 'Author', width: '12%', text: (row) => row.author || '—' },
    { id: 'message', header: 'Message', text: (row) => (row.rollbackOf ? `rollback to v${row.rollbackOf}${row.message ? `: ${row.message}` : ''}` : row.message || '—') },
    {
      id: 'actions',
      header: '',
      width: '120px',
      render: (row) =>
        row.version === data.version ? null : (
          <button type="button" className="btn btn-small" onClick={() => { rollback.reset(); setTarget(row.version); }} data-testid="rollback-button" data-version={row.version}>
            Roll back to this
          </button>
        ),
    },
  ];
  return (
    <div>
      <div className="toolbar">
        <span className="muted">{`${versions.length} versions kept`}</span>
        <div className="toolbar-spacer" />
        <button type="button" className="btn" onClick={() => onCompare(left, right)} disabled={left === right} data-testid="history-compare">
          {`Compare v${left} ↔ v${right}`}
        </button>
      </div>
      <DataTable rows={versions} columns={columns} rowKey={(row) => String(row.version)} rowAttributes={(row) => ({ 'data-testid': 'config-version-row', 'data-version': row.version })} empty={<EmptyState title="No history" />} />
      <ConfirmDialog
        open={target !== undefined}
        title={`Roll back ${namespace} to v${target ?? ''}?`}
        confirmLabel={`Roll back to v${target ?? ''}`}
        danger
        busy={rollback.isPending}
        error={rollback.error}
        onCancel={() => setTarget(undefined)}
        onConfirm={() => target !== undefined && rollback.mutate(target)}
      >
        <p>{`This publishes v${data.version + 1} with the content of v${target ?? ''}, on top of the live v${data.version}. Every replica applies it like any publish.`}</p>
      </ConfirmDialog>
    </div>
  );
}

// ------------------------------------------------------------------ diff

function useVersionText(namespace: string, side: DiffSide, editorText: string): { text: string | undefined; error: unknown } {
  const api = useApi();
  const query = useQuery({
    queryKey: queryKeys.configVersion(namespace, typeof side === 'number' ? side : -1),
    queryFn: ({ signal }) => api.get<ConfigVersionDocument>(`/config/${nsPath(namespace)}/versions/${side}`, { signal }),
    enabled: typeof side === 'number',
    staleTime: Infinity,
  });
  if (side === 'editor') return { text: editorText, error: undefined };
  return { text: query.data?.yaml, error: query.error };
}

function DiffTab({ namespace, data, editorText, diff, setDiff }: { namespace: string; data: ConfigNamespaceView; editorText: string; diff: { left: DiffSide; right: DiffSide }; setDiff: (next: { left: DiffSide; right: DiffSide }) => void }) {
  const left = useVersionText(namespace, diff.left, editorText);
  const right = useVersionText(namespace, diff.right, editorText);
  const versions = [...data.versions].sort((a, b) => b.version - a.version);
  const label = (side: DiffSide) => (side === 'editor' ? 'your editor text' : `v${side}${side === data.version ? ' (live)' : ''}`);
  const picker = (value: DiffSide, onChange: (side: DiffSide) => void, testId: string) => (
    <select value={String(value)} onChange={(e) => onChange(e.target.value === 'editor' ? 'editor' : Number(e.target.value))} data-testid={testId}>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          {label(v.version)}
        </option>
      ))}
      <option value="editor">your editor text</option>
    </select>
  );
  return (
    <div>
      <div className="toolbar">
        <label className="field">Left {picker(diff.left, (side) => setDiff({ ...diff, left: side }), 'diff-left')}</label>
        <label className="field">Right {picker(diff.right, (side) => setDiff({ ...diff, right: side }), 'diff-right')}</label>
      </div>
      <ErrorBox error={left.error ?? right.error} />
      {left.text !== undefined && right.text !== undefined ? <DiffView oldText={left.text} newText={right.text} oldTitle={label(diff.left)} newTitle={label(diff.right)} testId="config-diff" /> : <Loading what="versions" />}
    </div>
  );
}

// ------------------------------------------------------------------ replicas and document

function ReplicasTab({ data }: { data: ConfigNamespaceView }) {
  type Row = ConfigNamespaceView['applied'][number];
  const columns: Column<Row>[] = [
    { id: 'instance', header: 'Instance', width: '22%', mono: true, text: (row) => row.instance },
    {
      id: 'version',
      header: 'Applied version',
      width: '14%',
      render: (row) => (
        <span>
          {`v${row.version} `}
          {row.version !== data.version ? <Badge tone="bad" title={`live is v${data.version}`}>drift</Badge> : <Badge tone="good">live</Badge>}
        </span>
      ),
      text: (row) => `v${row.version}`,
    },
    { id: 'source', header: 'Source', width: '10%', text: (row) => row.source ?? '—' },
    { id: 'at', header: 'Applied at', width: '15%', text: (row) => formatTime(row.appliedAt) },
    { id: 'rejected', header: 'Rejected version', width: '11%', text: (row) => (row.rejected ? `v${row.rejected.version}` : '—') },
    { id: 'reason', header: 'Reason', render: (row) => (row.malformed ? <Clip className="bad-text" text={`unreadable report: ${row.malformed}`} /> : row.rejected ? <Clip className="bad-text" text={row.rejected.reason} /> : <span className="muted">—</span>) },
  ];
  return (
    <div>
      {data.drift ? (
        <div className="notice notice-bad">
          <strong>Drift flagged:</strong> {data.driftReasons.join('; ') || 'see the rows marked below'}
        </div>
      ) : null}
      <DataTable
        rows={data.applied}
        columns={columns}
        rowKey={(row) => row.instance}
        rowAttributes={(row) => ({ 'data-testid': 'applied-row', 'data-instance': row.instance, className: row.version !== data.version || row.rejected || row.malformed ? 'row-bad' : undefined })}
        empty={<EmptyState title="No replica reported what it applied">Replicas that use hot config write their applied version under their lease.</EmptyState>}
      />
    </div>
  );
}

function DocumentTab({ data }: { data: ConfigNamespaceView }) {
  return (
    <div>
      <CodeEditor value={data.yaml} language="yaml" readOnly testId="config-live-document" height="360px" />
      {data.schema ? (
        <details className="details">
          <summary>Stored JSON Schema</summary>
          <pre className="pre">{JSON.stringify(data.schema, null, 2)}</pre>
        </details>
      ) : null}
      <p className="small">
        <a href={routeHref(['keys'], { prefix: `/config/${data.namespace}/` })} onClick={(e) => { e.preventDefault(); navigate(['keys'], { prefix: `/config/${data.namespace}/` }); }}>
          Raw keys of this namespace
        </a>
      </p>
    </div>
  );
}
