import { trace } from '@opentelemetry/api';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger, type LevelWithSilent } from 'pino';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** `service` field of every line. */
  readonly service: string;
  /** Default `info`. */
  readonly level?: LevelWithSilent;
  /** Extra fields of every line (e.g. `instance`). */
  readonly base?: Record<string, unknown>;
  /** Where lines go (default stdout). */
  readonly destination?: pino.DestinationStream;
  /**
   * Paths of fields replaced by `[redacted]` on every line (pino's `redact`), e.g.
   * `['password', '*.password']` in an app that handles credentials. Default: none.
   */
  readonly redactPaths?: readonly string[];
}

/**
 * A pino logger writing one JSON object per line, with `trace_id` and `span_id` of the active
 * span on every line written inside one, so logs and traces join up.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(options.redactPaths?.length ? { redact: { paths: [...options.redactPaths], censor: '[redacted]' } } : {}),
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}

/** Nest's `LoggerService` over a pino logger (`app.useLogger(new NestPinoLogger(log))`). */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    // Nest passes the context (class name) last, and a stack trace before it for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
