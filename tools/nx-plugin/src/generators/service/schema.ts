/** Options of the `service` generator (`schema.json` validates them first). */
export interface ServiceGeneratorOptions {
  /** kebab-case service name: app folder, registry name, proto package. */
  readonly name: string;
  /** Add a periodic task that runs on one replica at a time (`runAsLeader`). Default false. */
  readonly leaderTask?: boolean;
  /** Add an example critical section: a counter behind a `Mutex` with fenced writes. Default false. */
  readonly lock?: boolean;
  /** Add an HTTP facade (same process): JSON endpoints, `/healthz`, `/readyz`. Default false. */
  readonly http?: boolean;
  /** Replicas of the docker-compose service. Default 2. */
  readonly replicas?: number;
  /** Do not run `tools/scripts/gen-protos.sh` afterwards. Default false. */
  readonly skipProtoGen?: boolean;
  /** Do not run `npm install` afterwards (which adds the app to package-lock.json). Default false. */
  readonly skipInstall?: boolean;
}
