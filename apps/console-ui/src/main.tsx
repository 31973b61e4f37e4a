import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api/api-context';
import { ApiClient, isApiError } from './api/client';
import { queryKeys } from './api/query-keys';
import { App } from './app';
import { ClockProvider } from './lib/clock';
import './styles.css';

const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  defaultOptions: {
    queries: {
      // Reads are retried when the backend or etcd did not answer, never for 4xx answers.
      retry: (failures, error) => failures < 2 && (!isApiError(error) || error.status === 0 || error.status >= 502),
      refetchOnWindowFocus: false,
      staleTime: 2_000,
    },
    // Writes are never retried: a repeated non-idempotent write could apply twice.
    mutations: { retry: false },
  },
});

const api = new ApiClient(() => {
  // The session ended (expired, signed out elsewhere): forget every cached answer and sign in again.
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.session[0] });
  queryClient.setQueryData(queryKeys.session, null);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ApiProvider client={api}>
        <ClockProvider>
          <App />
        </ClockProvider>
      </ApiProvider>
    </QueryClientProvider>
  </StrictMode>,
);
