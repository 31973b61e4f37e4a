import type { Etcd3, EtcdClientOptions } from '@etcd-patterns/etcd';
import type { Command } from 'commander';

/** Where epctl writes; a process uses its own streams, tests may pass others. */
export interface EpctlIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Fires to stop `config watch` (SIGINT/SIGTERM in the real CLI). */
  readonly stop?: AbortSignal;
  /**
   * Asks a yes/no question (the real CLI: on a terminal only). Without it, questions are not
   * asked: a warning is printed and the command goes on.
   */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** The global options of `epctl`, given before or after the command. */
export interface EpctlGlobalOptions {
  /** `--endpoints`: comma-separated (default: env `ETCD_ENDPOINTS`, then 127.0.0.1:2379). */
  endpoints?: string;
  /** `--user name[:password]` (default: env `ETCD_USERNAME`). */
  user?: string;
  /** `--password` (default: env `ETCD_PASSWORD`). */
  password?: string;
  /** `--root`: the config root prefix (default `/config`). */
  root?: string;
  /** `--json`: machine-readable output. */
  json?: boolean;
}

/**
 * What the root program gives every command group. Read `json` inside an action: it is known
 * once the command line is parsed.
 */
export interface EpctlContext {
  readonly io: EpctlIo;
  /** True with `--json`: print data as JSON lines, errors as JSON on stderr, no extra notes. */
  readonly json: boolean;
  /** The global options as seen by `cmd` (the command whose action runs). */
  globals(cmd: Command): EpctlGlobalOptions;
  /**
   * The etcd client options from the global options (`--user name:password` is split; what is
   * not given is left to the environment and the defaults), for a group that opens its own
   * clients (then it closes them too). Does not connect.
   */
  clientOptions(cmd: Command): EtcdClientOptions;
  /**
   * An etcd client from the global options (`--user name:password` is split). epctl closes it
   * when the command ends, whatever happens.
   * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` (exit 2), `ETCD_AUTH_FAILED` (exit 5),
   *   `ETCD_UNAVAILABLE` (exit 6).
   */
  connect(cmd: Command): Promise<Etcd3>;
  /** Prints `human` to stdout, or `data` as one line of JSON with `--json`. */
  emit(human: string, data: unknown): void;
  /**
   * Asks a yes/no question when someone can answer (a terminal): resolves with the answer, or
   * `undefined` when nobody can be asked (a script). The command decides what `undefined`
   * means (warn and go on, or refuse without `--yes`); on `false` it throws `DeclinedError`.
   */
  confirm(question: string): Promise<boolean | undefined>;
}

/**
 * Registers one command group (`epctl config ...`, `epctl access ...`) on the root program.
 * One file per group under `commands/`; list it in `COMMAND_GROUPS` (program.ts).
 */
export type EpctlCommandGroup = (program: Command, ctx: EpctlContext) => void;
