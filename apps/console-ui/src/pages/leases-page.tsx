// Leases: every lease with its TTL count-down, granted TTL, keys and which pattern owns them;
// revoke after a confirmation that lists the keys that will vanish.
import type { LeaseView, LeasesView } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import { queryKeys } from '../api/query-keys';
import { ConfirmDialog } from '../components/confirm-dialog';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { Badge, Countdown, EmptyState, Loading, PageHeader } from '../components/ui';
import { navigate, useRoute } from '../lib/router';

const OWNER_TONES: Record<LeaseView['owners'][number], 'info' | 'warn' | 'good' | 'neutral'> = {
  registration: 'info',
  lock: 'warn',
  election: 'good',
  'config-applied': 'neutral',
  other: 'neutral',
};

export function LeasesPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const route = useRoute();
  const highlight = route.query.get('lease') ?? '';
  const [search, setSearch] = useState(highlight);
  const [owner, setOwner] = useState<string>('');
  const [revoking, setRevoking] = useState<LeaseView | undefined>(undefined);
  const leases = useQuery({ queryKey: queryKeys.leases, queryFn: ({ signal }) => api.get<LeasesView>('/leases', { signal }), refetchInterval: 5_000 });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete<void>(`/leases/${encodeURIComponent(id)}`),
    onSuccess: () => {
      setRevoking(undefined);
      void queryClient.invalidateQueries({ queryKey: queryKeys.leases });
      void queryClient.invalidateQueries({ queryKey: queryKeys.services });
    },
  });

  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (leases.data?.leases ?? [])
      .filter((lease) => (!owner || lease.owners.includes(owner as LeaseView['owners'][number])) && (!needle || lease.id.toLowerCase().includes(needle) || lease.keys.some((key) => key.toLowerCase().includes(needle))))
      .slice()
      .sort((a, b) => a.ttlSeconds - b.ttlSeconds || a.id.localeCompare(b.id));
  }, [leases.data, search, owner]);

  const columns: Column<LeaseView>[] = [
    { id: 'id', header: 'Lease', width: '150px', mono: true, text: (row) => row.id },
    { id: 'ttl', header: 'TTL left', width: '110px', ticking: true, render: (row) => <Countdown ttlSeconds={row.ttlSeconds} readAt={row.readAt} grantedTtlSeconds={row.grantedTtlSeconds} /> },
    { id: 'granted', header: 'Granted', width: '80px', align: 'right', text: (row) => `${row.grantedTtlSeconds}s` },
    { id: 'owners', header: 'Owners', width: '190px', render: (row) => <span className="badges">{row.owners.map((o) => <Badge key={o} tone={OWNER_TONES[o]}>{o}</Badge>)}</span>, text: (row) => row.owners.join(', ') },
    { id: 'count', header: 'Keys', width: '50px', align: 'right', text: (row) => String(row.keys.length) },
    { id: 'keys', header: 'Attached keys', mono: true, text: (row) => (row.keys.length === 0 ? '(none)' : row.keys.join('  ')) },
    {
      id: 'revoke',
      header: '',
      width: '100px',
      render: (row) => (
        <button type="button" className="btn btn-small btn-danger" onClick={(e) => { e.stopPropagation(); revoke.reset(); setRevoking(row); }} data-testid="lease-revoke" data-lease={row.id}>
          Revoke…
        </button>
      ),
    },
  ];
  const total = leases.data?.leases.length ?? 0;
  return (
    <>
      <PageHeader title="Leases">
        <span className="muted">{leases.data ? `${total} leases` : ''}</span>
      </PageHeader>
      {leases.isError ? <ErrorBox error={leases.error} /> : null}
      {leases.isPending ? <Loading what="leases" /> : null}
      {leases.data ? (
        <>
          <div className="toolbar">
            <label className="field">
              Search
              <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="lease id or key" data-testid="leases-search" spellCheck={false} />
            </label>
            <label className="field">
              Owner
              <select value={owner} onChange={(e) => setOwner(e.target.value)} data-testid="leases-owner">
                <option value="">all</option>
                {Object.keys(OWNER_TONES).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted small">{`${rows.length} shown`}</span>
          </div>
          <DataTable
            rows={rows}
            columns={columns}
            rowKey={(row) => row.id}
            selectedKey={highlight || undefined}
            onRowClick={(row) => row.keys[0] && navigate(['keys'], { prefix: row.keys[0].slice(0, row.keys[0].lastIndexOf('/') + 1), key: row.keys[0] })}
            rowAttributes={(row) => ({ 'data-testid': 'lease-row', 'data-lease': row.id })}
            testId="leases-table"
            empty={
              total === 0 ? (
                <EmptyState title="No leases" testId="leases-empty">
                  Registrations, locks, elections and applied-config reports each hold a lease while their process runs.
                </EmptyState>
              ) : (
                <EmptyState title="No lease matches" />
              )
            }
          />
        </>
      ) : null}
      <ConfirmDialog
        open={revoking !== undefined}
        title={`Revoke lease ${revoking?.id ?? ''}?`}
        confirmLabel={`Revoke and delete ${revoking?.keys.length ?? 0} key${revoking?.keys.length === 1 ? '' : 's'}`}
        danger
        busy={revoke.isPending}
        error={revoke.error}
        onCancel={() => setRevoking(undefined)}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        {revoking ? (
          <>
            <p>{`${revoking.keys.length === 0 ? 'No key vanishes; the lease ends' : revoking.keys.length === 1 ? 'This key vanishes at once' : `These ${revoking.keys.length} keys vanish at once`}${revoking.owners.includes('registration') ? ' (the instances drop out of discovery)' : ''}${revoking.owners.includes('lock') ? ' (a held lock is released)' : ''}${revoking.owners.includes('election') ? ' (a leader loses leadership)' : ''}:`}</p>
            <ul className="key-list-confirm mono" data-testid="revoke-keys">
              {revoking.keys.length === 0 ? <li className="muted">(no keys attached)</li> : revoking.keys.map((key) => <li key={key}>{key}</li>)}
            </ul>
          </>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
