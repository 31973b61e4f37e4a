import { isGeneratorError } from './generator-error';
import { composeServiceNames, nextGrpcPort, withComposeService, withPrometheusJob } from './compose';

const COMPOSE = `# comment kept
x-base: &base
  restart: unless-stopped

services:
  a:
    <<: *base
    ports: ["1:1"]   # flow style kept
    environment:
      A_PORT: "50051"
      METRICS_PORT: "9464"
  b:
    environment: { B_PORT: "50060" }

volumes:
  v:
`;

describe('compose edits', () => {
  it('appends a service under services: and keeps every other byte', () => {
    const out = withComposeService(COMPOSE, 'c', '  c:\n    image: c');
    expect(out).toBe(COMPOSE.replace('\nvolumes:', '\n  c:\n    image: c\n\nvolumes:'));
    expect(composeServiceNames(out)).toEqual(['a', 'b', 'c']);
  });

  it('picks the next gRPC port above every *_PORT from 50051 up', () => {
    expect(nextGrpcPort(COMPOSE)).toBe(50061);
    expect(nextGrpcPort('services: {}\n')).toBe(50051);
  });

  it('refuses an existing service or scrape job, and a compose file that is not YAML', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isGeneratorError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => withComposeService(COMPOSE, 'a', '  a: {}'))).toBe('ALREADY_EXISTS');
    expect(codeOf(() => withPrometheusJob('scrape_configs:\n  - job_name: a\n', 'a'))).toBe('ALREADY_EXISTS');
    expect(codeOf(() => withComposeService('services: [\n', 'c', '  c: {}'))).toBe('UNSUPPORTED_WORKSPACE');
  });

  it('appends a DNS scrape job at the end of scrape_configs', () => {
    expect(withPrometheusJob('global: {}\nscrape_configs:\n  - job_name: a\n', 'c')).toBe(
      'global: {}\nscrape_configs:\n  - job_name: a\n\n  - job_name: c\n    dns_sd_configs:\n      - names: ["c"]\n        type: A\n        port: 9464\n        refresh_interval: 10s\n',
    );
  });
});
