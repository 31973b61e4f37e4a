import { ConfigError } from './errors';

/** Default root prefix of every config key. */
export const DEFAULT_CONFIG_ROOT = '/config';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ROOT = /^(\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;

/**
 * Where one application's configuration in one environment lives, and every etcd key of it.
 *
 * **Key layout** (root prefix default `/config`):
 * ```
 * <root>/<env>/<app>/values/<path>          one key per setting (leaf), JSON-encoded value
 * <root>/<env>/<app>/_meta                  {version, publishId, author, message, time, checksum, ...}
 * <root>/_history/<env>/<app>/<version>     full document + meta of every version (10-digit, zero-padded)
 * <root>/_schema/<env>/<app>                optional JSON Schema that publishes must satisfy
 * <root>/_applied/<env>/<app>/<instance>    what each replica applied (under the replica's lease)
 * ```
 * `<path>` is the setting's position in the document with `/` between levels
 * (`server/port`); `/` and `%` inside a key are percent-encoded. Arrays, empty objects and
 * scalars are leaves. The live keys (`values/` and `_meta`) are what services read and watch,
 * and the only thing an app user may read (see {@link setupConfigAccess}). History lives
 * outside the live prefix so that a watcher's snapshot never carries old versions, and in
 * ordinary keys so that etcd compaction, which drops old revisions, never drops a version.
 * `env` and `app` are 1-63 characters of `A-Z a-z 0-9 _ . -`, starting with a letter or digit
 * (so they can never collide with `_history` or `_schema`).
 */
export class ConfigNamespace {
  private constructor(
    /** Root prefix, e.g. `/config` (no trailing slash). */
    readonly root: string,
    /** Environment, e.g. `prod`. */
    readonly env: string,
    /** Application, e.g. `greeter`. */
    readonly app: string,
  ) {}

  /**
   * Parses `env/app` (a {@link ConfigNamespace} is returned unchanged).
   * @param root root prefix, default `/config`.
   * @throws {ConfigError} `CONFIG_INVALID_NAMESPACE`.
   */
  static parse(namespace: string | ConfigNamespace, root: string = DEFAULT_CONFIG_ROOT): ConfigNamespace {
    if (namespace instanceof ConfigNamespace) return namespace;
    if (!ROOT.test(root)) {
      throw new ConfigError('CONFIG_INVALID_NAMESPACE', `invalid config root prefix ${JSON.stringify(root)}: must look like /config or /a/b`);
    }
    const parts = namespace.split('/');
    if (parts.length !== 2 || !parts.every((p) => SEGMENT.test(p))) {
      throw new ConfigError(
        'CONFIG_INVALID_NAMESPACE',
        `invalid config namespace ${JSON.stringify(namespace)}: expected <env>/<app>, each 1-63 of A-Z a-z 0-9 _ . - starting with a letter or digit`,
      );
    }
    return new ConfigNamespace(root, parts[0]!, parts[1]!);
  }

  /** `env/app`. */
  get name(): string {
    return `${this.env}/${this.app}`;
  }

  /** The live prefix `<root>/<env>/<app>/` (values and meta; what watchers watch). */
  get livePrefix(): string {
    return `${this.root}/${this.env}/${this.app}/`;
  }

  /** `<root>/<env>/<app>/values/`. */
  get valuesPrefix(): string {
    return `${this.livePrefix}values/`;
  }

  /** `<root>/<env>/<app>/_meta`. */
  get metaKey(): string {
    return `${this.livePrefix}_meta`;
  }

  /** `<root>/_history/<env>/<app>/`. */
  get historyPrefix(): string {
    return `${this.root}/_history/${this.env}/${this.app}/`;
  }

  /** History record key of `version`. */
  historyKey(version: number): string {
    return `${this.historyPrefix}${String(version).padStart(10, '0')}`;
  }

  /** `<root>/_schema/<env>/<app>`. */
  get schemaKey(): string {
    return `${this.root}/_schema/${this.env}/${this.app}`;
  }

  /** `<root>/_applied/<env>/<app>/`: one key per replica, see `reportApplied`. */
  get appliedPrefix(): string {
    return `${this.root}/_applied/${this.env}/${this.app}/`;
  }

  /** The applied-report key of one replica. */
  appliedKey(instance: string): string {
    return `${this.appliedPrefix}${encodeURIComponent(instance)}`;
  }

  /** `env/app`. */
  toString(): string {
    return this.name;
  }
}
