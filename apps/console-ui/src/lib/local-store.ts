// Non-sensitive UI preferences in localStorage (key-prefix bookmarks). Never credentials: the
// session is the backend's HttpOnly cookie and nothing about it is stored in the browser.
import { useCallback, useState } from 'react';

const NAMESPACE = 'etcd-console.';

function read<T>(name: string, fallback: T, isValid: (value: unknown) => value is T): T {
  try {
    const raw = window.localStorage.getItem(NAMESPACE + name);
    if (raw === null) return fallback;
    const value: unknown = JSON.parse(raw);
    return isValid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

/** A value kept in localStorage under `etcd-console.<name>`; storage errors are ignored. */
export function useLocalPreference<T>(name: string, fallback: T, isValid: (value: unknown) => value is T): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => read(name, fallback, isValid));
  const update = useCallback(
    (next: T) => {
      setValue(next);
      try {
        window.localStorage.setItem(NAMESPACE + name, JSON.stringify(next));
      } catch {
        // Private mode or quota: the preference lasts for this page only.
      }
    },
    [name],
  );
  return [value, update];
}

/** Type guard for string arrays. */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
