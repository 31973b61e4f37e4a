// Services: every registered instance, live, with filters; malformed registry entries in their
// own section (never hidden).
import type { LeaseReadingView, MalformedEntry, ServiceInstanceView, ServicesView } from '@etcd-patterns/console-contract';
import { useQuery } from '@tanstack/react-query';
import { createContext, useContext, useMemo, useRef } from 'react';
import { useApi } from '../api/api-context';
import { keepNewerRevision, useLiveStream } from '../api/live';
import { queryKeys } from '../api/query-keys';
import { DataTable, type Column } from '../components/data-table';
import { ErrorBox } from '../components/error-box';
import { Badge, Countdown, EmptyState, Loading, PageHeader, Since } from '../components/ui';
import { navigate, routeHref, useRoute } from '../lib/router';

function isServicesView(data: unknown): data is ServicesView {
  return typeof data === 'object' && data !== null && Array.isArray((data as ServicesView).instances) && Array.isArray((data as ServicesView).malformed);
}

const columns: Column<ServiceInstanceView>[] = [
  { id: 'service', header: 'Service', width: '13%', text: (row) => row.service },
  { id: 'address', header: 'Address', width: '15%', mono: true, text: (row) => row.address },
  { id: 'version', header: 'Version', width: '9%', text: (row) => row.version ?? '—' },
  { id: 'zone', header: 'Zone', width: '9%', text: (row) => row.zone ?? '—' },
  { id: 'weight', header: 'Weight', width: '6%', align: 'right', text: (row) => (row.weight === undefined ? '—' : String(row.weight)) },
  {
    id: 'lease',
    header: 'Lease',
    width: '13%',
    mono: true,
    render: (row) => (row.leaseId === '0' ? <span className="muted">none</span> : <a href={routeHref(['leases'], { lease: row.leaseId })}>{row.leaseId}</a>),
    text: (row) => (row.leaseId === '0' ? 'no lease' : row.leaseId),
  },
  { id: 'ttl', header: 'TTL left', width: '10%', ticking: true, render: (row) => <InstanceTtl row={row} /> },
  { id: 'since', header: 'Registered', width: '9%', ticking: true, render: (row) => <Since iso={row.since} /> },
  { id: 'key', header: 'Key', mono: true, text: (row) => row.key },
];

/**
 * The newest lease readings by lease id. The live stream refreshes lease readings without
 * re-sending the instances; the TTL cells read them from here, so a refresh re-renders the
 * count-downs in view, not every row (joining the reading into each of 1,000 row objects made
 * every lease refresh a new row set, and each page redrew its table).
 */
const LeaseReadings = createContext<ReadonlyMap<string, LeaseReadingView>>(new Map());

/** An instance's TTL count-down, from the newer of its own reading and its lease's latest. */
function InstanceTtl({ row }: { row: ServiceInstanceView }) {
  const reading = useContext(LeaseReadings).get(row.leaseId);
  const from = reading && reading.readAt > row.readAt ? reading : row;
  return <Countdown ttlSeconds={from.ttlSeconds} readAt={from.readAt} grantedTtlSeconds={from.grantedTtlSeconds} />;
}

const malformedColumns: Column<MalformedEntry>[] = [
  { id: 'key', header: 'Key', width: '30%', mono: true, text: (row) => row.key },
  { id: 'reason', header: 'Why it is not an instance', width: '28%', text: (row) => row.reason },
  { id: 'value', header: 'Value (as text)', mono: true, text: (row) => row.value },
  { id: 'rev', header: 'Mod rev', width: '8%', align: 'right', text: (row) => String(row.modRevision) },
];

/** One collator for every sort: `localeCompare` per comparison is several times slower. */
const collator = new Intl.Collator();

/** The table's order: service, then address. */
function compareInstances(a: ServiceInstanceView, b: ServiceInstanceView): number {
  return collator.compare(a.service, b.service) || collator.compare(a.address, b.address);
}

/** A live frame that changes more than this many instances, and more than an eighth of them, sorts them all again. */
const RESORT_FROM = 64;

/**
 * `instances` in table order. A live update replaces only the instances that changed (the others
 * keep their objects), so the previous order is kept and only the new objects are put in place by
 * binary search: one change costs a pass over the rows, not a sort of 1,000 rows with the collator.
 */
function ordered(instances: readonly ServiceInstanceView[], previous: { instances: readonly ServiceInstanceView[]; sorted: readonly ServiceInstanceView[] } | undefined): ServiceInstanceView[] {
  if (previous) {
    const before = new Set(previous.instances);
    const added = instances.filter((i) => !before.has(i));
    if (added.length <= Math.max(RESORT_FROM, instances.length / 8)) {
      const now = new Set(instances);
      const sorted = previous.sorted.filter((i) => now.has(i));
      for (const item of added) {
        let low = 0;
        let high = sorted.length;
        while (low < high) {
          const mid = (low + high) >>> 1;
          if (compareInstances(sorted[mid]!, item) <= 0) low = mid + 1;
          else high = mid;
        }
        sorted.splice(low, 0, item);
      }
      return sorted;
    }
  }
  return [...instances].sort(compareInstances);
}

function distinct(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))].sort();
}

export function ServicesPage() {
  const api = useApi();
  const route = useRoute();
  const filter = {
    service: route.query.get('service') ?? '',
    version: route.query.get('version') ?? '',
    zone: route.query.get('zone') ?? '',
    search: route.query.get('q') ?? '',
  };
  const setFilter = (name: 'service' | 'version' | 'zone' | 'q', value: string) => {
    const next = { service: filter.service, version: filter.version, zone: filter.zone, q: filter.search, [name]: value };
    navigate(['services'], next, { replace: true });
  };

  const services = useQuery({ queryKey: queryKeys.services, queryFn: ({ signal }) => api.get<ServicesView>('/services', { signal }), structuralSharing: keepNewerRevision });
  const live = useLiveStream({ stream: 'services', queryKey: queryKeys.services, isSnapshot: isServicesView, refetch: [queryKeys.services] });

  const data = services.data;
  const instances = data?.instances;
  const options = useMemo(
    () => ({
      services: distinct(instances?.map((i) => i.service) ?? []),
      versions: distinct(instances?.map((i) => i.version) ?? []),
      zones: distinct(instances?.map((i) => i.zone) ?? []),
    }),
    [instances],
  );
  const leases = data?.leases;
  const readings = useMemo(() => new Map((leases ?? []).map((l) => [l.id, l])), [leases]);
  // The last order, kept while the page shows (see `ordered`).
  const order = useRef<{ instances: readonly ServiceInstanceView[]; sorted: readonly ServiceInstanceView[] } | undefined>(undefined);
  const sorted = useMemo(() => {
    const list = instances ?? [];
    const next = order.current?.instances === list ? order.current.sorted : ordered(list, order.current);
    order.current = { instances: list, sorted: next };
    return next;
  }, [instances]);
  const rows = useMemo(() => {
    const search = filter.search.toLowerCase();
    return sorted.filter(
      (i) =>
        (!filter.service || i.service === filter.service) &&
        (!filter.version || i.version === filter.version) &&
        (!filter.zone || i.zone === filter.zone) &&
        (!search || i.address.toLowerCase().includes(search) || i.key.toLowerCase().includes(search) || i.service.toLowerCase().includes(search)),
    );
  }, [sorted, filter.service, filter.version, filter.zone, filter.search]);
  const counts = useMemo(() => {
    const map = new Map<string, number>();
    for (const i of instances ?? []) map.set(i.service, (map.get(i.service) ?? 0) + 1);
    return [...map.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [instances]);

  return (
    <>
      <PageHeader title="Services" live={live}>
        {data ? <span className="muted">{`prefix ${data.prefix} · ${data.instances.length} instances · rev ${data.revision}`}</span> : null}
      </PageHeader>
      {services.isError ? <ErrorBox error={services.error} /> : null}
      {services.isPending ? <Loading what="services" /> : null}
      {data ? (
        <>
          {data.malformed.length > 0 ? (
            <section className="section section-bad" data-testid="malformed-section">
              <h2>
                <Badge tone="bad">{`${data.malformed.length} malformed`}</Badge> Entries under {data.prefix} that are not valid instances
              </h2>
              <p className="muted small">Clients skip these keys. Fix or delete them from the Keys page.</p>
              <DataTable
                rows={data.malformed}
                columns={malformedColumns}
                rowKey={(row) => row.key}
                rowAttributes={(row) => ({ 'data-testid': 'malformed-row', 'data-key': row.key })}
                onRowClick={(row) => navigate(['keys'], { prefix: parentOf(row.key), key: row.key })}
                maxHeight="220px"
                testId="malformed-table"
              />
            </section>
          ) : null}
          {counts.length > 0 ? (
            <div className="chips" data-testid="service-counts">
              {counts.map(([service, count]) => (
                <button type="button" key={service} className={filter.service === service ? 'chip active' : 'chip'} onClick={() => setFilter('service', filter.service === service ? '' : service)} title={service}>
                  <span className="clip">{service}</span> <span className="chip-count">{count}</span>
                </button>
              ))}
            </div>
          ) : null}
          <div className="toolbar">
            <FilterSelect label="Service" value={filter.service} options={options.services} onChange={(v) => setFilter('service', v)} testId="filter-service" />
            <FilterSelect label="Version" value={filter.version} options={options.versions} onChange={(v) => setFilter('version', v)} testId="filter-version" />
            <FilterSelect label="Zone" value={filter.zone} options={options.zones} onChange={(v) => setFilter('zone', v)} testId="filter-zone" />
            <label className="field">
              Search
              <input type="search" value={filter.search} placeholder="address, key…" onChange={(e) => setFilter('q', e.target.value)} data-testid="services-search" spellCheck={false} />
            </label>
            <span className="muted small" data-testid="services-shown">{`${rows.length} shown`}</span>
          </div>
          <LeaseReadings.Provider value={readings}>
            <DataTable
              rows={rows}
              columns={columns}
              rowKey={(row) => row.key}
              rowAttributes={(row) => ({ 'data-testid': 'service-row', 'data-address': row.address, 'data-service': row.service, 'data-key': row.key })}
              testId="services-table"
              empty={
                data.instances.length === 0 ? (
                  <EmptyState title="No services registered yet" testId="services-empty">
                    Start one with <code>ETCD_ENDPOINTS=… npx nx run greeter:serve</code>: it registers itself under <code>{`${data.prefix.replace(/\/+$/, '')}/greeter/<host:port>`}</code> with a lease, and
                    appears here at once.
                  </EmptyState>
                ) : (
                  <EmptyState title="No instance matches the filters" testId="services-filtered-empty" />
                )
              }
            />
          </LeaseReadings.Provider>
        </>
      ) : null}
    </>
  );
}

function parentOf(key: string): string {
  const at = key.lastIndexOf('/');
  return at > 0 ? key.slice(0, at + 1) : '';
}

function FilterSelect({ label, value, options, onChange, testId }: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void; testId: string }) {
  return (
    <label className="field">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        <option value="">all</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
        {value && !options.includes(value) ? <option value={value}>{value}</option> : null}
      </select>
    </label>
  );
}
