import type { EtcdConnection } from './etcd-access';
import { SessionStore } from './session-store';

// Sessions here share a connection they do not own, so the store never closes it.
const shared = {} as EtcdConnection;

describe('SessionStore', () => {
  it('gives random ids and CSRF tokens, ends idle sessions, and compares tokens exactly', async () => {
    let now = 0;
    const store = new SessionStore({ idleTimeoutMs: 1000, now: () => now });
    try {
      const a = store.create({ username: '', signInName: 'a', authEnabled: false, roles: [], connection: shared, owned: false });
      const b = store.create({ username: '', signInName: 'b', authEnabled: false, roles: [], connection: shared, owned: false });
      expect(a.id).not.toBe(b.id);
      expect(Buffer.from(a.id, 'base64url')).toHaveLength(32);
      expect(SessionStore.csrfMatches(a, a.csrfToken)).toBe(true);
      expect(SessionStore.csrfMatches(a, b.csrfToken)).toBe(false);
      expect(SessionStore.csrfMatches(a, undefined)).toBe(false);
      expect(SessionStore.csrfMatches(a, [a.csrfToken])).toBe(false);
      now = 900;
      expect(store.get(a.id)).toBe(a); // used: its idle time starts again
      now = 1500;
      expect(store.get(a.id)).toBe(a);
      expect(store.get(b.id)).toBeUndefined();
      expect(b.ended.aborted).toBe(true);
      await store.end(a.id);
      expect(store.get(a.id)).toBeUndefined();
      expect(a.ended.aborted).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('ends the least recently used session beyond maxSessions', async () => {
    let now = 0;
    const store = new SessionStore({ idleTimeoutMs: 60_000, maxSessions: 2, now: () => now });
    try {
      const make = () => store.create({ username: '', signInName: '', authEnabled: false, roles: [], connection: shared, owned: false });
      const first = make();
      now = 1;
      const second = make();
      now = 2;
      store.get(first.id);
      now = 3;
      make();
      expect(store.size).toBe(2);
      expect(second.ended.aborted).toBe(true);
      expect(first.ended.aborted).toBe(false);
    } finally {
      await store.close();
    }
  });
});
