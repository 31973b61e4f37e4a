// Demo controls (only when the demo launcher started the console): pause, resume, kill and start
// etcd members; kill and start app replicas.
import type { DemoView } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { queryKeys } from '../api/query-keys';
import { ErrorBox } from '../components/error-box';
import { Badge, EmptyState, Loading, PageHeader } from '../components/ui';

const TONE = { running: 'good', paused: 'warn', stopped: 'bad' } as const;

export function DemoPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const demo = useQuery({ queryKey: queryKeys.demo, queryFn: ({ signal }) => api.get<DemoView>('/demo', { signal }), refetchInterval: 2_000 });
  const act = useMutation({
    mutationFn: ({ path }: { path: string; label: string }) => api.post<unknown>(path, {}),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.demo });
      void queryClient.invalidateQueries({ queryKey: queryKeys.cluster });
    },
  });
  const button = (label: string, path: string, testId: string, danger = false) => (
    <button type="button" className={danger ? 'btn btn-small btn-danger' : 'btn btn-small'} disabled={act.isPending} onClick={() => act.mutate({ path, label })} data-testid={testId}>
      {label}
    </button>
  );
  return (
    <>
      <PageHeader title="Demo controls">
        <span className="muted small">Break the demo cluster on purpose and watch the other pages react.</span>
      </PageHeader>
      {demo.isError ? <ErrorBox error={demo.error} /> : null}
      {act.error ? <ErrorBox error={act.error} title={`Could not ${act.variables?.label ?? 'do that'}`} /> : null}
      {demo.isPending ? <Loading what="demo processes" /> : null}
      {demo.data ? (
        <div className="two-columns">
          <section className="section" data-testid="demo-members">
            <h2>etcd members</h2>
            {demo.data.members.length === 0 ? <EmptyState title="No members under demo control" /> : null}
            <table className="data-table plain">
              <tbody>
                {demo.data.members.map((member) => {
                  const path = `/demo/members/${encodeURIComponent(member.name)}`;
                  return (
                    <tr key={member.name} data-testid="demo-member" data-member={member.name} data-state={member.state}>
                      <td className="mono">{member.name}</td>
                      <td>
                        <Badge tone={TONE[member.state]}>{member.state}</Badge>
                      </td>
                      <td className="actions">
                        {member.state === 'running' ? button('Pause', `${path}/pause`, 'demo-pause') : null}
                        {member.state === 'paused' ? button('Resume', `${path}/resume`, 'demo-resume') : null}
                        {member.state !== 'stopped' ? button('Kill', `${path}/kill`, 'demo-kill', true) : button('Start', `${path}/start`, 'demo-start')}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
          <section className="section" data-testid="demo-apps">
            <h2>App replicas</h2>
            {demo.data.apps.length === 0 ? <EmptyState title="No app replicas under demo control" /> : null}
            <table className="data-table plain">
              <tbody>
                {demo.data.apps.map((app) => {
                  const path = `/demo/apps/${encodeURIComponent(app.id)}`;
                  return (
                    <tr key={app.id} data-testid="demo-app" data-app={app.id} data-state={app.state}>
                      <td className="mono">{app.id}</td>
                      <td>{app.app}</td>
                      <td>
                        <Badge tone={TONE[app.state]}>{app.state}</Badge>
                      </td>
                      <td className="actions">{app.state === 'running' ? button('Kill', `${path}/kill`, 'demo-app-kill', true) : button('Start', `${path}/start`, 'demo-app-start')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        </div>
      ) : null}
    </>
  );
}
