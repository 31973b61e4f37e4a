import { assertConfigDocument, ConfigError, ConfigValidationError, issueLocator, type ConfigDocument } from '@etcd-patterns/config';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { badRequest, type ApiIssue } from './api-error';
import { jsonSyntaxError } from './json-syntax';

/** A config document parsed from the editor's text, with the means to point at its lines. */
export interface DocumentText {
  readonly document: ConfigDocument;
  /**
   * `line:column` of the setting at an issue path (`server/port`, `servers[0]/host`): of the
   * value when present, else of the closest enclosing mapping (for a missing required key).
   */
  locate(issuePath: string): string;
}

function position(lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return `${line}:${col}`;
}

/** `line:column` (1-based) of a 0-based character offset in `text`. */
export function offsetPosition(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return `${line}:${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Parses YAML or JSON text the way `epctl` reads a file: YAML 1.2 (which reads JSON too),
 * duplicate keys and several documents refused; with `format: 'json'` the text must also be
 * strict JSON. The result must be a publishable document (a mapping at the top).
 * @throws {ApiException} 400 `BAD_REQUEST` with one issue whose `at` is `line:column`.
 */
export function parseDocumentText(text: string, format: 'yaml' | 'json'): DocumentText {
  if (format === 'json') {
    const problem = jsonSyntaxError(text);
    if (problem) throw badRequest(`the JSON does not parse: ${problem.message}`, [{ path: '', message: problem.message, at: offsetPosition(text, problem.offset) }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const at = pos ? `${pos.line}:${pos.col}` : '1:1';
    const message = first.message.split('\n')[0]!.trim();
    throw badRequest(`the ${format.toUpperCase()} does not parse: ${message}`, [{ path: '', message, at }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw badRequest(`the document cannot be read: ${message}`, [{ path: '', message, at: '1:1' }]);
  }
  if (value === null || value === undefined) throw badRequest('the document is empty', [{ path: '', message: 'the document is empty', at: '1:1' }]);
  let document: ConfigDocument;
  try {
    document = assertConfigDocument(value);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const at = position(lines, (doc.contents as Node | null)?.range?.[0] ?? 0);
    throw badRequest(error.message, [{ path: '', message: error.message, at }]);
  }
  const locator = issueLocator(doc, lines);
  return {
    document,
    locate: (issuePath) => {
      const { line, column } = locator(issuePath);
      return `${line}:${column}`;
    },
  };
}

/** The validation error's issues with `at` = `line:column` in `source`. */
export function locatedIssues(error: ConfigValidationError, source: DocumentText): ApiIssue[] {
  return error.issues.map((i) => ({ path: i.path, message: i.message, at: source.locate(i.path) }));
}
