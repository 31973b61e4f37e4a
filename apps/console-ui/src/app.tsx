// The shell: session gate (sign-in page), top bar with the etcd user and the auth-off banner, the
// left navigation, and the page for the current hash route.
import type { SessionInfo } from '@etcd-patterns/console-contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { SessionProvider, useApi, useSession } from './api/api-context';
import { isApiError } from './api/client';
import { queryKeys } from './api/query-keys';
import { ErrorBox } from './components/error-box';
import { navigate, routeHref, useRoute } from './lib/router';
import { AccessPage } from './pages/access-page';
import { ClusterPage } from './pages/cluster-page';
import { ConfigPage } from './pages/config-page';
import { DemoPage } from './pages/demo-page';
import { KeysPage } from './pages/keys-page';
import { LeasesPage } from './pages/leases-page';
import { LocksPage } from './pages/locks-page';
import { ServicesPage } from './pages/services-page';
import { TracesPage } from './pages/traces-page';

interface NavItem {
  readonly id: string;
  readonly label: string;
  readonly demoOnly?: boolean;
}

const NAV: readonly NavItem[] = [
  { id: 'services', label: 'Services' },
  { id: 'config', label: 'Config' },
  { id: 'locks', label: 'Locks & elections' },
  { id: 'cluster', label: 'Cluster' },
  { id: 'keys', label: 'Keys' },
  { id: 'leases', label: 'Leases' },
  { id: 'access', label: 'Users & roles' },
  { id: 'traces', label: 'Traces' },
  { id: 'demo', label: 'Demo controls', demoOnly: true },
];

export function App() {
  const api = useApi();
  const session = useQuery({
    queryKey: queryKeys.session,
    queryFn: async (): Promise<SessionInfo | null> => {
      try {
        const info = await api.get<SessionInfo>('/session');
        api.setCsrfToken(info.csrfToken);
        return info;
      } catch (error) {
        if (isApiError(error, 401)) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });

  if (session.isPending) return <div className="boot">Connecting to the console…</div>;
  if (session.isError)
    return (
      <div className="boot">
        <ErrorBox error={session.error} />
        <button type="button" className="btn" onClick={() => void session.refetch()}>
          Retry
        </button>
      </div>
    );
  if (!session.data) return <SignInPage />;
  return (
    <SessionProvider session={session.data}>
      <Shell />
    </SessionProvider>
  );
}

function SignInPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: (body: { username: string; password: string }) => api.post<SessionInfo>('/session', body),
    onSuccess: (info) => {
      api.setCsrfToken(info.csrfToken);
      queryClient.setQueryData(queryKeys.session, info);
    },
    // The password lives in this component's state only, and only until the attempt ends.
    onSettled: () => setPassword(''),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ username: username.trim(), password });
  };
  const error = signIn.error;
  return (
    <div className="signin-page">
      <form className="signin-card" onSubmit={submit} data-testid="signin-form" autoComplete="off">
        <h1>etcd console</h1>
        <p className="muted">Sign in as an etcd user. The console acts on etcd with your permissions.</p>
        <label>
          etcd user name
          <input name="username" data-testid="signin-username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus autoComplete="username" spellCheck={false} />
        </label>
        <label>
          Password
          <input name="password" type="password" data-testid="signin-password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </label>
        {error ? (
          <ErrorBox error={error} compact title={isApiError(error, 401) ? 'Wrong user name or password' : undefined} />
        ) : null}
        <button type="submit" className="btn btn-primary" data-testid="signin-submit" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">With etcd auth off, any user name and an empty password sign in.</p>
      </form>
    </div>
  );
}

function Shell() {
  const session = useSession();
  const route = useRoute();
  const section = route.path[0] ?? '';
  const items = NAV.filter((item) => !item.demoOnly || session.demoControls);
  const known = items.some((item) => item.id === section);

  useEffect(() => {
    if (!known) navigate(['services'], {}, { replace: true });
  }, [known]);

  useEffect(() => {
    const label = items.find((item) => item.id === section)?.label;
    document.title = label ? `${label} · etcd console` : 'etcd console';
  }, [items, section]);

  return (
    <div className="shell">
      <TopBar />
      {!session.authEnabled ? (
        <div className="auth-banner" role="alert" data-testid="auth-off-banner">
          <strong>etcd auth is off: anyone who can reach this console can change anything.</strong>{' '}
          <a href={routeHref(['access'])}>Create a root user and enable auth</a>
        </div>
      ) : null}
      <div className="shell-body">
        <nav className="sidenav" aria-label="Sections">
          {items.map((item) => (
            <a key={item.id} href={routeHref([item.id])} className={item.id === section ? 'nav-item active' : 'nav-item'} data-testid={`nav-${item.id}`} aria-current={item.id === section ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
          <div className="sidenav-foot muted small" title="Where the console listens">
            {session.listen}
          </div>
        </nav>
        <main className="page" data-testid={`page-${section}`}>
          <PageFor section={section} path={route.path.slice(1)} />
        </main>
      </div>
    </div>
  );
}

function PageFor({ section, path }: { section: string; path: readonly string[] }): ReactNode {
  switch (section) {
    case 'services':
      return <ServicesPage />;
    case 'config':
      return <ConfigPage namespace={path.length >= 2 ? `${path[0]}/${path[1]}` : undefined} />;
    case 'locks':
      return <LocksPage />;
    case 'cluster':
      return <ClusterPage />;
    case 'keys':
      return <KeysPage />;
    case 'leases':
      return <LeasesPage />;
    case 'access':
      return <AccessPage />;
    case 'traces':
      return <TracesPage traceId={path[0]} />;
    case 'demo':
      return <DemoPage />;
    default:
      return null;
  }
}

function TopBar() {
  const session = useSession();
  const api = useApi();
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => api.delete<void>('/session'),
    onSettled: () => {
      api.setCsrfToken('');
      queryClient.clear();
      queryClient.setQueryData(queryKeys.session, null);
    },
  });
  return (
    <header className="topbar">
      <a className="brand" href={routeHref(['services'])}>
        etcd console
      </a>
      <div className="topbar-spacer" />
      <span className="topbar-user" data-testid="session-user" title={session.roles.length ? `roles: ${session.roles.join(', ')}` : undefined}>
        {session.authEnabled ? (
          <>
            signed in as <strong>{session.username || '(unnamed)'}</strong>
            {session.roles.length ? <span className="muted">{` · ${session.roles.join(', ')}`}</span> : null}
          </>
        ) : (
          <>
            <strong className="warn-text">auth off</strong>
            {session.username ? <span className="muted">{` · ${session.username}`}</span> : null}
          </>
        )}
      </span>
      <button type="button" className="btn btn-small" data-testid="sign-out" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
    </header>
  );
}
