// Users & roles: etcd's users, roles and key permissions; create, grant, revoke, enable auth.
// etcd decides who may do what: a non-root user sees "permission denied" from etcd itself.
import type { AccessView } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useApi, useSession } from '../api/api-context';
import { isApiError } from '../api/client';
import { queryKeys } from '../api/query-keys';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorBox } from '../components/error-box';
import { Badge, Clip, EmptyState, Loading, PageHeader } from '../components/ui';

type Role = AccessView['roles'][number];
type Permission = Role['permissions'][number];

function seg(name: string): string {
  return encodeURIComponent(name);
}

export function AccessPage() {
  const api = useApi();
  const session = useSession();
  const queryClient = useQueryClient();
  const access = useQuery({ queryKey: queryKeys.access, queryFn: ({ signal }) => api.get<AccessView>('/access', { signal }) });
  const [confirmEnable, setConfirmEnable] = useState(false);
  // One mutation for every change, so its error shows in one place.
  const change = useMutation({
    mutationFn: ({ method, path, body, query }: { label: string; method: 'POST' | 'DELETE'; path: string; body?: unknown; query?: Record<string, string | boolean> }) =>
      api.request<unknown>(method, path, { body, query }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: queryKeys.access }),
  });
  const enable = useMutation({
    mutationFn: () => api.post<unknown>('/access/enable', {}),
    onSuccess: () => {
      setConfirmEnable(false);
      void queryClient.invalidateQueries();
    },
  });

  const data = access.data;
  return (
    <>
      <PageHeader title="Users & roles">
        {data ? data.authEnabled ? <Badge tone="good">etcd auth enabled</Badge> : <Badge tone="bad">etcd auth off</Badge> : null}
        {data && !data.authEnabled ? (
          <button type="button" className="btn btn-primary" onClick={() => { enable.reset(); setConfirmEnable(true); }} data-testid="access-enable">
            Enable auth…
          </button>
        ) : null}
      </PageHeader>
      {access.isError ? (
        <ErrorBox error={access.error}>
          {isApiError(access.error, 403) ? <p>{`Listing users and roles needs the root role; you are ${session.username || 'signed in without a user'}.`}</p> : null}
        </ErrorBox>
      ) : null}
      {access.isPending ? <Loading what="users and roles" /> : null}
      {change.error ? (
        <ErrorBox error={change.error} title={isApiError(change.error, 403) ? `Permission denied: ${change.variables?.label ?? ''}` : undefined} />
      ) : null}
      {change.isSuccess && change.variables ? <div className="notice notice-good" data-testid="access-done">{`Done: ${change.variables.label}.`}</div> : null}
      {data ? (
        <div className="two-columns">
          <section className="section" data-testid="users-section">
            <h2>{`Users (${data.users.length})`}</h2>
            <CreateForm
              placeholder="user name"
              withPassword
              label="Create user"
              testId="create-user"
              onSubmit={(name, password) => change.mutate({ label: `create user ${name}`, method: 'POST', path: '/access/users', body: { name, password } })}
            />
            {data.users.length === 0 ? <EmptyState title="No users">Create root first (with the root role), then enable auth.</EmptyState> : null}
            <table className="data-table plain" hidden={data.users.length === 0}>
              <thead>
                <tr>
                  <th style={{ width: '30%' }}>User</th>
                  <th>Roles</th>
                  <th style={{ width: '34%' }}>Grant role</th>
                </tr>
              </thead>
              <tbody>
                {data.users.map((user) => (
                  <tr key={user.name} data-testid="user-row" data-user={user.name}>
                    <td>
                      <Clip mono text={user.name} />
                    </td>
                    <td className="wrap">
                      {user.roles.length === 0 ? <span className="muted">none</span> : null}
                      {user.roles.map((role) => (
                        <span key={role} className="chip chip-static">
                          <span className="clip">{role}</span>
                          <button type="button" className="chip-x" title={`revoke ${role} from ${user.name}`} onClick={() => change.mutate({ label: `revoke ${role} from ${user.name}`, method: 'DELETE', path: `/access/users/${seg(user.name)}/roles/${seg(role)}` })} data-testid="revoke-role">
                            ×
                          </button>
                        </span>
                      ))}
                    </td>
                    <td>
                      <GrantRole roles={data.roles.map((r) => r.name).filter((r) => !user.roles.includes(r))} onGrant={(role) => change.mutate({ label: `grant ${role} to ${user.name}`, method: 'POST', path: `/access/users/${seg(user.name)}/roles`, body: { role } })} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="section" data-testid="roles-section">
            <h2>{`Roles (${data.roles.length})`}</h2>
            <CreateForm placeholder="role name" label="Create role" testId="create-role" onSubmit={(name) => change.mutate({ label: `create role ${name}`, method: 'POST', path: '/access/roles', body: { name } })} />
            {data.roles.length === 0 ? <EmptyState title="No roles" /> : null}
            {data.roles.map((role) => (
              <article key={role.name} className="card" data-testid="role-card" data-role={role.name}>
                <header className="card-header">
                  <Clip mono className="card-title" text={role.name} />
                  {role.name === 'root' ? <Badge tone="warn">everything</Badge> : <Badge>{`${role.permissions.length} permissions`}</Badge>}
                </header>
                {role.permissions.length > 0 ? (
                  <table className="data-table plain">
                    <thead>
                      <tr>
                        <th style={{ width: '90px' }}>Access</th>
                        <th>Key or prefix</th>
                        <th style={{ width: '60px' }} />
                      </tr>
                    </thead>
                    <tbody>
                      {role.permissions.map((permission, index) => (
                        <tr key={`${permission.key}-${permission.rangeEnd}-${index}`} data-testid="permission-row">
                          <td>
                            <Badge tone={permission.type === 'read' ? 'info' : 'warn'}>{permission.type}</Badge>
                          </td>
                          <td>
                            <Clip mono text={describePermission(permission)} />
                          </td>
                          <td>
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() => change.mutate({ label: `revoke ${describePermission(permission)} from ${role.name}`, method: 'DELETE', path: `/access/roles/${seg(role.name)}/permissions`, query: { key: permission.key, prefix: permission.prefix } })}
                              data-testid="revoke-permission"
                            >
                              Revoke
                            </button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : null}
                <GrantPermission onGrant={(type, key, prefix) => change.mutate({ label: `grant ${type} on ${key}${prefix ? '*' : ''} to ${role.name}`, method: 'POST', path: `/access/roles/${seg(role.name)}/permissions`, body: { type, key, prefix } })} />
              </article>
            ))}
          </section>
        </div>
      ) : null}
      <ConfirmDialog
        open={confirmEnable}
        title="Enable etcd auth?"
        confirmLabel="Enable auth"
        danger
        busy={enable.isPending}
        error={enable.error}
        onCancel={() => setConfirmEnable(false)}
        onConfirm={() => enable.mutate()}
      >
        <p>From then on every client needs a user name and password (or a certificate). Apps without credentials stop working. The console refuses if it would lock you out (no root user with the root role, or you are not it).</p>
      </ConfirmDialog>
    </>
  );
}

function describePermission(permission: Permission): string {
  if (permission.prefix) return `${permission.key}* (prefix)`;
  if (permission.rangeEnd) return `[${permission.key}, ${permission.rangeEnd})`;
  return permission.key;
}

function CreateForm({ placeholder, label, withPassword, testId, onSubmit }: { placeholder: string; label: string; withPassword?: boolean; testId: string; onSubmit: (name: string, password: string) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    onSubmit(name.trim(), password);
    setName('');
    setPassword('');
  };
  return (
    <form className="toolbar" onSubmit={submit} data-testid={testId} autoComplete="off">
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder={placeholder} spellCheck={false} data-testid={`${testId}-name`} />
      {withPassword ? <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} placeholder="password" autoComplete="new-password" data-testid={`${testId}-password`} /> : null}
      <button type="submit" className="btn" disabled={!name.trim()} data-testid={`${testId}-submit`}>
        {label}
      </button>
    </form>
  );
}

function GrantRole({ roles, onGrant }: { roles: readonly string[]; onGrant: (role: string) => void }) {
  const [role, setRole] = useState('');
  if (roles.length === 0) return <span className="muted small">has every role</span>;
  return (
    <span className="inline-form">
      <select value={role} onChange={(e) => setRole(e.target.value)} data-testid="grant-role-select">
        <option value="">role…</option>
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-small" disabled={!role} onClick={() => { onGrant(role); setRole(''); }} data-testid="grant-role">
        Grant
      </button>
    </span>
  );
}

function GrantPermission({ onGrant }: { onGrant: (type: Permission['type'], key: string, prefix: boolean) => void }) {
  const [type, setType] = useState<Permission['type']>('read');
  const [key, setKey] = useState('');
  const [prefix, setPrefix] = useState(true);
  return (
    <form
      className="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        if (!key) return;
        onGrant(type, key, prefix);
        setKey('');
      }}
      data-testid="grant-permission"
    >
      <select value={type} onChange={(e) => setType(e.target.value as Permission['type'])} data-testid="grant-permission-type">
        <option value="read">read</option>
        <option value="write">write</option>
        <option value="readwrite">readwrite</option>
      </select>
      <input className="mono grow" value={key} onChange={(e) => setKey(e.target.value)} placeholder="/key or /prefix/" spellCheck={false} data-testid="grant-permission-key" />
      <label className="check">
        <input type="checkbox" checked={prefix} onChange={(e) => setPrefix(e.target.checked)} /> prefix
      </label>
      <button type="submit" className="btn btn-small" disabled={!key} data-testid="grant-permission-submit">
        Grant
      </button>
    </form>
  );
}
