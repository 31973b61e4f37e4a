// Local checks of YAML/JSON documents before they go to the backend: syntax errors with their
// line and column, and conversion between the two formats for the editor.
import YAML from 'yaml';

export interface DocumentIssue {
  /** `line:column`, 1-based, when known. */
  readonly at?: string;
  readonly path: string;
  readonly message: string;
}

/** Parses `text`; returns the value or the syntax issues. */
export function parseDocument(text: string, format: 'yaml' | 'json'): { ok: true; value: unknown } | { ok: false; issues: DocumentIssue[] } {
  if (format === 'json') {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      return { ok: false, issues: [{ path: '', message: (error as Error).message, at: jsonErrorAt(text, (error as Error).message) }] };
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const pos = error.linePos?.[0];
        // With prettyErrors the message ends in " at line L, column C:" and a code excerpt: `at` says it already.
        const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message, at: pos ? `${pos.line}:${pos.col}` : undefined };
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

/** Finds the line:column of a JSON.parse error from its message ("position 42" or "line 3 column 5"). */
function jsonErrorAt(text: string, message: string): string | undefined {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return `${lineCol[1]}:${lineCol[2]}`;
  const position = /position (\d+)/.exec(message);
  if (!position) return undefined;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** Re-writes a document in the other format; undefined when it does not parse. */
export function convertDocument(text: string, from: 'yaml' | 'json', to: 'yaml' | 'json'): string | undefined {
  if (from === to) return text;
  const parsed = parseDocument(text, from);
  if (!parsed.ok) return undefined;
  return to === 'json' ? `${JSON.stringify(parsed.value, null, 2)}\n` : YAML.stringify(parsed.value);
}

/** `at` (`line:column`) → line number. */
export function lineOf(at: string | undefined): number | undefined {
  if (!at) return undefined;
  const line = Number(at.split(':')[0]);
  return Number.isInteger(line) && line > 0 ? line : undefined;
}

/** Any value as readable YAML (for conflict sides that arrive as objects). */
export function toYamlText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return YAML.stringify(value);
}
