/** Fields already shown (level, message) or the same on every line of one app. */
const HIDDEN = new Set(['level', 'time', 'service', 'pid', 'instance', 'msg', 'context', 'trace_id', 'span_id']);
/** Nest's start-up chatter (one line per module and route). */
const NOISY_CONTEXTS = new Set(['InstanceLoader', 'RouterExplorer', 'RoutesResolver']);

/**
 * One compact console line for one of the apps' pino JSON log lines:
 * `info request method=GET path=/hello statusCode=200 durationMs=4.1 trace_id=4bf9...`.
 * The `trace_id` of a line written inside a trace comes last, so a response's `x-trace-id`
 * can be matched to its log lines. Lines that are not JSON objects come back unchanged;
 * `undefined` for Nest's start-up chatter, which is not worth showing.
 */
export function formatLogLine(line: string): string | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return line;
  const fields = entry as Record<string, unknown>;
  if (typeof fields['context'] === 'string' && NOISY_CONTEXTS.has(fields['context'])) return undefined;
  const shown = Object.entries(fields)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (typeof fields['trace_id'] === 'string') shown.push(`trace_id=${fields['trace_id']}`);
  return `${String(fields['level'])} ${String(fields['msg'] ?? '')} ${shown.join(' ')}`.trimEnd();
}
