import { InterceptingCall, status, type Interceptor, type Metadata, type StatusObject } from '@grpc/grpc-js';

/** Options of {@link idempotentRetryInterceptor}. */
export interface IdempotentRetryOptions {
  /** `'all'`, or the services (`package.Service`) whose methods are idempotent. */
  readonly services: 'all' | readonly string[];
  /** Attempts including the first (default 4). */
  readonly maxAttempts?: number;
  /** First backoff, in ms, doubled each attempt (default 25). */
  readonly initialBackoffMs?: number;
}

/**
 * A client interceptor that repeats a failed unary call of an idempotent method on
 * UNAVAILABLE, even after the call was committed. grpc-js's own retry policy stops once a
 * response has started (a server killed half-way through its reply); for a method that is safe
 * to run twice, repeating it is what makes a kill -9 invisible to the caller. Never use it for
 * methods with side effects that must not happen twice. Each attempt keeps the call's deadline.
 */
export function idempotentRetryInterceptor(options: IdempotentRetryOptions): Interceptor {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const initialBackoffMs = options.initialBackoffMs ?? 25;
  const applies = (path: string): boolean =>
    options.services === 'all' || options.services.some((service) => path.startsWith(`/${service}/`));

  return (callOptions, nextCall) => {
    const definition = callOptions.method_definition;
    if (definition.requestStream || definition.responseStream || !applies(definition.path)) {
      return new InterceptingCall(nextCall(callOptions));
    }
    let metadata: Metadata;
    let request: unknown;
    return new InterceptingCall(nextCall(callOptions), {
      start(md, listener, next) {
        metadata = md;
        let reply: unknown;
        let deliver: ((message: unknown) => void) | undefined;
        let attempt = 1;
        const finish = (result: StatusObject, done: (s: StatusObject) => void): void => {
          // The reply of the attempt that succeeded; through the first attempt's message path
          // when it had one, else straight to the caller's listener.
          if (result.code === status.OK && reply !== undefined) (deliver ?? ((m: unknown) => listener.onReceiveMessage(m)))(reply);
          done(result);
        };
        const retryOrFinish = (result: StatusObject, done: (s: StatusObject) => void): void => {
          if (result.code !== status.UNAVAILABLE || attempt >= maxAttempts) return finish(result, done);
          reply = undefined;
          const delay = initialBackoffMs * 2 ** (attempt - 1);
          attempt++;
          setTimeout(() => {
            const call = nextCall(callOptions);
            call.start(metadata.clone(), {
              onReceiveMessage: (message: unknown) => (reply = message),
              onReceiveStatus: (s: StatusObject) => retryOrFinish(s, done),
            });
            call.sendMessage(request);
            call.halfClose();
          }, delay);
        };
        next(metadata, {
          onReceiveMetadata: (md2: Metadata, nextMd: (md: Metadata) => void) => nextMd(md2),
          onReceiveMessage: (message: unknown, nextMessage: (message: unknown) => void) => {
            reply = message;
            deliver = nextMessage;
          },
          onReceiveStatus: (s: StatusObject, nextStatus: (s: StatusObject) => void) => retryOrFinish(s, nextStatus),
        });
      },
      sendMessage(message, next) {
        request = message;
        next(message);
      },
    });
  };
}
