import type { LiveConfig } from '@etcd-patterns/config';
import { configView } from './config-view';

const live: LiveConfig = {
  namespace: 'dev/greeter',
  document: { template: 'Hi {name}' },
  version: 2,
  revision: 40,
  meta: undefined,
  drift: false,
  readRevision: 41,
};
const at = '2026-12-02T00:00:00.000Z';

describe('configView', () => {
  it('is not drifting when every replica runs the published version', () => {
    const view = configView('dev/greeter', live, [], [{ valid: true, instance: 'g1', version: 2, source: 'publish', revision: 40, appliedAt: at }]);
    expect(view).toMatchObject({ drift: false, driftReasons: [], replicas: [{ instance: 'g1', version: 2, upToDate: true }] });
  });

  it('shows a refused version with its reason, and flags replicas that disagree', () => {
    const view = configView('dev/greeter', { ...live, version: 3 }, [], [
      { valid: true, instance: 'g1', version: 2, source: 'publish', revision: 40, appliedAt: at, rejected: { version: 3, revision: 44, reason: 'template: must contain {name}', at } },
      { valid: false, instance: 'x', error: 'not JSON' },
    ]);
    expect(view).toMatchObject({
      drift: true,
      driftReasons: ['replicas-disagree'],
      replicas: [
        { instance: 'g1', version: 2, upToDate: false, rejected: { version: 3, reason: 'template: must contain {name}' } },
        { instance: 'x', invalid: 'not JSON', upToDate: false },
      ],
    });
  });

  it('reports keys edited without publish', () => {
    expect(configView('dev/greeter', { ...live, drift: true }, [], [])).toMatchObject({ drift: true, driftReasons: ['keys-edited'] });
  });
});
