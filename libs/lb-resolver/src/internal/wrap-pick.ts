import type { experimental, Metadata, status } from '@grpc/grpc-js';

/** Calls `started`/`ended` around a child pick result, keeping the child's own callbacks. */
export function wrapPick(
  result: experimental.PickResult,
  started: () => void,
  ended: (code: status) => void,
): experimental.PickResult {
  const childStarted = result.onCallStarted;
  const childEnded = result.onCallEnded;
  return {
    ...result,
    onCallStarted: () => {
      started();
      childStarted?.();
    },
    onCallEnded: (code: status, details: string, metadata: Metadata) => {
      ended(code);
      childEnded?.(code, details, metadata);
    },
  };
}
