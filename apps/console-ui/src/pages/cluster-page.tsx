// Cluster: members, per-endpoint status, health, alarms (disarm), defragment one member, compact,
// download a verified snapshot, and the compaction revision.
import type { ClusterView } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { useLiveStream } from '../api/live';
import { queryKeys } from '../api/query-keys';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { Badge, Clip, EmptyState, Loading, PageHeader } from '../components/ui';
import { formatBytes, formatMs } from '../lib/format';

type Endpoint = ClusterView['endpoints'][number];
type Member = ClusterView['members'][number];
type Health = ClusterView['health'][number];

function isClusterView(data: unknown): data is ClusterView {
  return typeof data === 'object' && data !== null && Array.isArray((data as ClusterView).members) && Array.isArray((data as ClusterView).endpoints);
}

/** Reads a field of the `@etcd-patterns/ops` records, which the contract passes through as they are. */
function field<T>(row: Record<string, unknown>, name: string, guard: (v: unknown) => v is T): T | undefined {
  const value = row[name];
  return guard(value) ? value : undefined;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

interface DefragResult {
  readonly member: string;
  readonly endpoint: string;
  readonly dbSizeBefore: number;
  readonly dbSizeAfter: number;
}
interface CompactResult {
  readonly revision: number;
  readonly currentRevision: number;
}

type Action = { kind: 'disarm' } | { kind: 'defrag'; member: string; label: string } | { kind: 'compact' };

export function ClusterPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const cluster = useQuery({ queryKey: queryKeys.cluster, queryFn: ({ signal }) => api.get<ClusterView>('/cluster', { signal }), refetchInterval: 10_000 });
  const live = useLiveStream({ stream: 'cluster', queryKey: queryKeys.cluster, isSnapshot: isClusterView, refetch: [queryKeys.cluster] });
  const [action, setAction] = useState<Action | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const run = useMutation({
    mutationFn: async (todo: Action): Promise<string> => {
      if (todo.kind === 'disarm') {
        const result = await api.post<{ disarmed: ReadonlyArray<{ memberId: string; alarm: string }> }>('/cluster/alarms/disarm', {});
        return result.disarmed.length === 0 ? 'No alarm was active.' : `Disarmed ${result.disarmed.map((a) => `${a.alarm} on ${a.memberId}`).join(', ')}.`;
      }
      if (todo.kind === 'defrag') {
        const result = await api.post<DefragResult>('/cluster/defrag', { member: todo.member });
        return `Defragmented ${result.member} (${result.endpoint}): ${formatBytes(result.dbSizeBefore)} → ${formatBytes(result.dbSizeAfter)}.`;
      }
      const result = await api.post<CompactResult>('/cluster/compact', { revision: 'current' });
      return `Compacted to revision ${result.revision} (store at ${result.currentRevision}). Defragment each member to give the space back.`;
    },
    onSuccess: (message) => {
      setDone(message);
      setAction(undefined);
      void queryClient.invalidateQueries({ queryKey: queryKeys.cluster });
    },
  });
  const open = (next: Action) => {
    run.reset();
    setDone(undefined);
    setAction(next);
  };

  const data = cluster.data;
  const memberName = (id: string) => data?.members.find((m) => m.id === id)?.name || id;
  const endpointColumns: Column<Endpoint>[] = [
    { id: 'endpoint', header: 'Endpoint', width: '16%', mono: true, text: (row) => row.endpoint },
    { id: 'name', header: 'Member', width: '10%', text: (row) => field(row, 'name', isString) ?? '—' },
    {
      id: 'state',
      header: 'Status',
      width: '9%',
      render: (row) =>
        !row.ok ? (
          <Badge tone="bad">down</Badge>
        ) : field(row, 'isLeader', isBoolean) ? (
          <Badge tone="info">leader</Badge>
        ) : field(row, 'isLearner', isBoolean) ? (
          <Badge tone="warn">learner</Badge>
        ) : (
          <Badge>follower</Badge>
        ),
    },
    { id: 'version', header: 'Version', width: '7%', text: (row) => field(row, 'version', isString) ?? '—' },
    { id: 'db', header: 'DB size', width: '8%', align: 'right', text: (row) => formatBytes(field(row, 'dbSize', isNumber)) },
    { id: 'inuse', header: 'In use', width: '8%', align: 'right', text: (row) => formatBytes(field(row, 'dbSizeInUse', isNumber)) },
    { id: 'leader', header: 'Leader', width: '9%', text: (row) => { const id = field(row, 'leaderId', isString); return id ? memberName(id) : '—'; } },
    { id: 'term', header: 'Raft term', width: '7%', align: 'right', text: (row) => String(field(row, 'raftTerm', isNumber) ?? '—') },
    { id: 'index', header: 'Raft index', width: '8%', align: 'right', text: (row) => String(field(row, 'raftIndex', isNumber) ?? '—') },
    { id: 'took', header: 'RTT', width: '6%', align: 'right', text: (row) => { const ms = field(row, 'tookMs', isNumber); return ms === undefined ? '—' : formatMs(ms); } },
    {
      id: 'errors',
      header: 'Errors',
      render: (row) => {
        if (!row.ok) {
          const error = row['error'] as { code?: string; message?: string } | undefined;
          return <Clip className="bad-text" text={error ? `${error.code ?? ''} ${error.message ?? ''}`.trim() : 'did not answer'} />;
        }
        const errors = field(row, 'errors', isStrings) ?? [];
        return errors.length ? <Clip className="bad-text" text={errors.join('; ')} /> : <span className="muted">none</span>;
      },
    },
  ];
  const memberColumns: Column<Member>[] = [
    { id: 'name', header: 'Name', width: '14%', text: (row) => row.name || '(not started)' },
    { id: 'id', header: 'ID', width: '16%', mono: true, text: (row) => row.id },
    { id: 'status', header: 'Status', width: '10%', render: (row) => (field(row, 'status', isString) === 'started' ? <Badge tone="good">started</Badge> : <Badge tone="warn">{field(row, 'status', isString) ?? '?'}</Badge>) },
    { id: 'learner', header: 'Role', width: '8%', text: (row) => (field(row, 'isLearner', isBoolean) ? 'learner' : 'voter') },
    { id: 'peer', header: 'Peer URLs', width: '20%', mono: true, text: (row) => (field(row, 'peerUrls', isStrings) ?? []).join(', ') },
    { id: 'client', header: 'Client URLs', mono: true, text: (row) => (field(row, 'clientUrls', isStrings) ?? []).join(', ') },
    {
      id: 'defrag',
      header: '',
      width: '110px',
      render: (row) => (
        <button type="button" className="btn btn-small" onClick={() => open({ kind: 'defrag', member: row.name || row.id, label: row.name ? `${row.name} (${row.id})` : row.id })} data-testid="defrag-button" data-member={row.name || row.id}>
          Defragment
        </button>
      ),
    },
  ];
  const healthColumns: Column<Health>[] = [
    { id: 'endpoint', header: 'Endpoint', width: '25%', mono: true, text: (row) => row.endpoint },
    { id: 'name', header: 'Member', width: '15%', text: (row) => field(row, 'name', isString) ?? '—' },
    { id: 'healthy', header: 'Health', width: '12%', render: (row) => (row.healthy ? <Badge tone="good">healthy</Badge> : <Badge tone="bad">unhealthy</Badge>) },
    { id: 'took', header: 'Read RTT', width: '10%', align: 'right', text: (row) => { const ms = field(row, 'tookMs', isNumber); return ms === undefined ? '—' : formatMs(ms); } },
    {
      id: 'why',
      header: 'Why',
      render: (row) => {
        const error = row['error'] as { code?: string; message?: string } | undefined;
        const alarms = field(row, 'alarms', isStrings) ?? [];
        const text = [error ? `${error.code ?? ''} ${error.message ?? ''}`.trim() : '', alarms.length ? `alarms: ${alarms.join(', ')}` : ''].filter(Boolean).join('; ');
        return text ? <Clip className="bad-text" text={text} /> : <span className="muted">—</span>;
      },
    },
  ];

  const healthyCount = data?.health.filter((h) => h.healthy).length ?? 0;
  return (
    <>
      <PageHeader title="Cluster" live={live}>
        <a className="btn" href="/api/cluster/snapshot" download data-testid="snapshot-download" title="A verified snapshot, streamed by the console">
          Download snapshot
        </a>
        <button type="button" className="btn" onClick={() => open({ kind: 'compact' })} data-testid="compact-button">
          Compact…
        </button>
      </PageHeader>
      {cluster.isError ? <ErrorBox error={cluster.error} /> : null}
      {cluster.isPending ? <Loading what="cluster status" /> : null}
      {done ? (
        <div className="notice notice-good" data-testid="cluster-action-done">
          {done}
        </div>
      ) : null}
      {data ? (
        <>
          <dl className="facts facts-row" data-testid="cluster-summary">
            <div className="fact">
              <dt>Members</dt>
              <dd>{data.members.length}</dd>
            </div>
            <div className="fact">
              <dt>Healthy</dt>
              <dd className={healthyCount < data.health.length ? 'bad-text' : undefined}>{`${healthyCount} / ${data.health.length}`}</dd>
            </div>
            <div className="fact">
              <dt>Revision</dt>
              <dd className="mono">{data.revision}</dd>
            </div>
            <div className="fact">
              <dt>Compaction revision</dt>
              <dd className="mono" data-testid="compact-revision">
                {data.compactRevision > 0 ? data.compactRevision : 'never / unknown'}
              </dd>
            </div>
            <div className="fact">
              <dt>Alarms</dt>
              <dd>{data.alarms.length === 0 ? <Badge tone="good">none</Badge> : <Badge tone="bad">{`${data.alarms.length} active`}</Badge>}</dd>
            </div>
          </dl>
          {data.alarms.length > 0 ? (
            <section className="section section-bad" data-testid="alarms-section">
              <h2>Active alarms</h2>
              <ul className="plain-list">
                {data.alarms.map((alarm) => (
                  <li key={`${alarm.memberId}-${alarm.alarm}`} data-testid="alarm-row">
                    <Badge tone="bad">{alarm.alarm}</Badge> <span className="mono">{`${memberName(alarm.memberId)} (${alarm.memberId})`}</span>
                  </li>
                ))}
              </ul>
              <p className="small muted">Clear NOSPACE only after freeing space (compact, then defragment every member): etcd raises it again on the next write otherwise.</p>
              <button type="button" className="btn btn-danger" onClick={() => open({ kind: 'disarm' })} data-testid="disarm-button">
                Disarm all…
              </button>
            </section>
          ) : null}
          <section className="section">
            <h2>Endpoint status</h2>
            <DataTable rows={data.endpoints} columns={endpointColumns} rowKey={(row) => row.endpoint} rowAttributes={(row) => ({ 'data-testid': 'endpoint-row', 'data-endpoint': row.endpoint, className: row.ok ? undefined : 'row-bad' })} empty={<EmptyState title="No endpoint answered" />} maxHeight="none" />
          </section>
          <section className="section">
            <h2>Members</h2>
            <DataTable rows={data.members} columns={memberColumns} rowKey={(row) => row.id} rowAttributes={(row) => ({ 'data-testid': 'member-row', 'data-member': row.name || row.id })} empty={<EmptyState title="The member list could not be read" />} maxHeight="none" />
          </section>
          <section className="section">
            <h2>Health</h2>
            <DataTable rows={data.health} columns={healthColumns} rowKey={(row) => row.endpoint} rowAttributes={(row) => ({ 'data-testid': 'health-row', className: row.healthy ? undefined : 'row-bad' })} maxHeight="none" />
          </section>
        </>
      ) : null}
      <ConfirmDialog
        open={action !== undefined}
        title={action?.kind === 'defrag' ? `Defragment member ${action.label}?` : action?.kind === 'compact' ? 'Compact the store?' : 'Disarm every alarm?'}
        confirmLabel={action?.kind === 'defrag' ? `Defragment ${action.member}` : action?.kind === 'compact' ? 'Compact to the current revision' : 'Disarm'}
        danger
        busy={run.isPending}
        error={run.error}
        onCancel={() => setAction(undefined)}
        onConfirm={() => action && run.mutate(action)}
      >
        {action?.kind === 'defrag' ? <p>{`${action.label} blocks reads and writes while it rewrites its database (seconds on a large one). Defragment one member at a time, followers first.`}</p> : null}
        {action?.kind === 'compact' ? (
          <p>{`Every key version older than the current revision${data ? ` (${data.revision})` : ''} is discarded. Watches and history reads from older revisions then fail; key history diffs become unavailable.`}</p>
        ) : null}
        {action?.kind === 'disarm' ? <p>Clears every active alarm. A NOSPACE alarm comes back on the next write unless space was freed first.</p> : null}
      </ConfirmDialog>
    </>
  );
}
