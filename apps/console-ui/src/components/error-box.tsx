// Every API error, shown with what it means to an operator and etcd's own message.
import type { ReactNode } from 'react';
import { ApiRequestError } from '../api/client';

/** Headline for an error: 403 "Permission denied", 409 "Conflict", 503 "etcd unreachable", ... */
export function errorTitle(error: unknown): string {
  if (!(error instanceof ApiRequestError)) return 'Error';
  switch (error.status) {
    case 0:
      return 'Console backend unreachable';
    case 400:
      return 'Invalid input';
    case 401:
      return 'Not signed in';
    case 403:
      return error.code === 'CSRF' ? 'Request refused (CSRF token)' : 'Permission denied';
    case 404:
      return 'Not found';
    case 409:
      return 'Conflict';
    case 410:
      return 'Revision compacted';
    case 413:
      return 'Too large';
    case 429:
      return 'Too many attempts';
    case 503:
      return 'etcd unreachable';
    case 504:
      return 'Timed out';
    default:
      return `Error ${error.status}`;
  }
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A clearly visible error panel; `compact` for inline use in forms and dialogs. */
export function ErrorBox({ error, title, compact, children }: { error: unknown; title?: string; compact?: boolean; children?: ReactNode }) {
  if (!error) return null;
  const api = error instanceof ApiRequestError ? error : undefined;
  return (
    <div
      className={`error-box${compact ? ' compact' : ''}`}
      role="alert"
      data-testid="api-error"
      data-status={api?.status ?? ''}
      data-code={api?.code ?? ''}
    >
      <div className="error-title">
        {title ?? errorTitle(error)}
        {api && api.status > 0 ? <span className="error-code">{`${api.status} ${api.code}`}</span> : null}
      </div>
      <div className="error-message">{errorMessage(error)}</div>
      {api && api.issues.length > 0 ? (
        <ul className="error-issues">
          {api.issues.map((issue, index) => (
            <li key={index}>
              {issue.at ? <span className="mono">{`${issue.at} `}</span> : null}
              {issue.path ? <span className="mono">{`${issue.path}: `}</span> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
      {children}
    </div>
  );
}
