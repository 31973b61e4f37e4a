// Locks & elections, live: each lock's holder (fencing token = create revision) and its queue;
// each election's leader, proposal, term and candidates in order.
import type { ElectionView, LockView, LocksView, OwnerKeyView } from '@etcd-patterns/console-contract';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import { keepNewerRevision, useLiveStream } from '../api/live';
import { queryKeys } from '../api/query-keys';
import { ErrorBox } from '../components/error-box';
import { Badge, Clip, Countdown, EmptyState, Loading, PageHeader, Since } from '../components/ui';
import { routeHref } from '../lib/router';

function isLocksView(data: unknown): data is LocksView {
  return typeof data === 'object' && data !== null && Array.isArray((data as LocksView).locks) && Array.isArray((data as LocksView).elections);
}

export function LocksPage() {
  const api = useApi();
  const locks = useQuery({ queryKey: queryKeys.locks, queryFn: ({ signal }) => api.get<LocksView>('/locks', { signal }), structuralSharing: keepNewerRevision });
  const live = useLiveStream({ stream: 'locks', queryKey: queryKeys.locks, isSnapshot: isLocksView, refetch: [queryKeys.locks] });
  const [search, setSearch] = useState('');
  const data = locks.data;
  // OwnerKeyView.ttlSeconds is "when read": count down from when this answer arrived.
  const readAt = new Date(locks.dataUpdatedAt || Date.now()).toISOString();
  const { lockList, electionList } = useMemo(() => {
    const needle = search.toLowerCase();
    const match = (name: string) => !needle || name.toLowerCase().includes(needle);
    return {
      lockList: (data?.locks ?? []).filter((l) => match(l.name)).sort((a, b) => a.name.localeCompare(b.name)),
      electionList: (data?.elections ?? []).filter((e) => match(e.name)).sort((a, b) => a.name.localeCompare(b.name)),
    };
  }, [data, search]);

  return (
    <>
      <PageHeader title="Locks & elections" live={live}>
        <input type="search" placeholder="filter by name" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="locks-search" />
      </PageHeader>
      {locks.isError ? <ErrorBox error={locks.error} /> : null}
      {locks.isPending ? <Loading what="locks" /> : null}
      {data ? (
        <div className="two-columns">
          <section className="section" data-testid="locks-section">
            <h2>{`Locks (${data.locks.length})`}</h2>
            {lockList.length === 0 ? (
              <EmptyState title={data.locks.length === 0 ? 'No lock is held' : 'No lock matches'}>
                {data.locks.length === 0 ? 'A lock shows here while someone holds it: workers take /locks/jobs/<id> per job, or try etcdctl lock /locks/demo.' : null}
              </EmptyState>
            ) : (
              lockList.map((lock) => <LockCard key={lock.name} lock={lock} readAt={readAt} />)
            )}
          </section>
          <section className="section" data-testid="elections-section">
            <h2>{`Elections (${data.elections.length})`}</h2>
            {electionList.length === 0 ? (
              <EmptyState title={data.elections.length === 0 ? 'No election has candidates' : 'No election matches'}>
                {data.elections.length === 0 ? 'Workers campaign on /elections/worker-requeue; etcdctl elect /elections/demo me works too.' : null}
              </EmptyState>
            ) : (
              electionList.map((election) => <ElectionCard key={election.name} election={election} readAt={readAt} />)
            )}
          </section>
        </div>
      ) : null}
    </>
  );
}

function OwnerLine({ owner, role, readAt }: { owner: OwnerKeyView; role: 'holder' | 'leader'; readAt: string }) {
  return (
    <dl className="facts">
      <div className="fact wide">
        <dt>{role === 'holder' ? 'Holder key' : 'Leader key'}</dt>
        <dd>
          <Clip mono text={owner.key} />
        </dd>
      </div>
      <div className="fact">
        <dt>Lease</dt>
        <dd className="mono">
          <a href={routeHref(['leases'], { lease: owner.leaseId })}>{owner.leaseId}</a>
        </dd>
      </div>
      <div className="fact">
        <dt>{role === 'holder' ? 'Fencing token' : 'Term'}</dt>
        <dd className="mono" data-testid={role === 'holder' ? 'fencing-token' : 'election-term'}>
          {owner.createRevision}
        </dd>
      </div>
      <div className="fact">
        <dt>Held for</dt>
        <dd>
          <Since iso={owner.since} />
        </dd>
      </div>
      <div className="fact">
        <dt>TTL</dt>
        <dd>
          <Countdown ttlSeconds={owner.ttlSeconds} readAt={readAt} />
        </dd>
      </div>
    </dl>
  );
}

function Queue({ owners, label, showValue }: { owners: readonly OwnerKeyView[]; label: string; showValue?: boolean }) {
  if (owners.length === 0) return <p className="muted small">{`No ${label}.`}</p>;
  return (
    <ol className="queue" data-testid={`${label}-queue`}>
      {owners.map((owner, index) => (
        <li key={owner.key} data-testid="queue-entry" data-key={owner.key}>
          <span className="queue-pos">{index + 1}</span>
          <Clip mono text={owner.key} />
          {showValue ? <Clip className="queue-value" text={owner.value || '(empty)'} /> : null}
          <span className="mono muted" title="create revision (queue order)">{`rev ${owner.createRevision}`}</span>
          <span className="mono muted">{`lease ${owner.leaseId}`}</span>
          <span className="muted">
            <Since iso={owner.since} />
          </span>
        </li>
      ))}
    </ol>
  );
}

function LockCard({ lock, readAt }: { lock: LockView; readAt: string }) {
  return (
    <article className="card" data-testid="lock-card" data-name={lock.name}>
      <header className="card-header">
        <Clip mono className="card-title" text={lock.name} />
        <Badge tone="warn">held</Badge>
        {lock.waiters.length > 0 ? <Badge tone="info">{`${lock.waiters.length} waiting`}</Badge> : null}
      </header>
      <OwnerLine owner={lock.holder} role="holder" readAt={readAt} />
      <h3 className="small-title">Waiters, in queue order</h3>
      <Queue owners={lock.waiters} label="waiters" />
    </article>
  );
}

function ElectionCard({ election, readAt }: { election: ElectionView; readAt: string }) {
  return (
    <article className="card" data-testid="election-card" data-name={election.name}>
      <header className="card-header">
        <Clip mono className="card-title" text={election.name} />
        <Badge tone="good">leader elected</Badge>
      </header>
      <OwnerLine owner={election.leader} role="leader" readAt={readAt} />
      <div className="fact-block">
        <span className="muted small">Proposal</span>
        <pre className="pre pre-small" data-testid="election-proposal">{election.leader.value || '(empty)'}</pre>
      </div>
      <h3 className="small-title">Candidates, in order (the first is the leader)</h3>
      <Queue owners={election.candidates.some((c) => c.key === election.leader.key) ? election.candidates : [election.leader, ...election.candidates]} label="candidates" showValue />
    </article>
  );
}
