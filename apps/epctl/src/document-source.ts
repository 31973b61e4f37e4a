import { LineCounter, parseDocument } from 'yaml';
import { ConfigValidationError, issueLocator, type ConfigDocument, type ConfigIssue } from '@etcd-patterns/config';
import { loadDocumentText, readDocumentText } from './load-file';

/** A config document read from a file, with the means to point at its lines. */
export interface DocumentSource {
  readonly document: ConfigDocument;
  /** `file` (or `<stdin>`). */
  readonly name: string;
  /**
   * `file:line:column` of the setting at an issue path (`server/port`, `servers[0]/host`): of the
   * value when present, else of the closest enclosing mapping (for a missing required key).
   */
  locate(issuePath: string): string;
}

/** Reads `path` (`-` for stdin) like `loadDocumentFile`, keeping line positions. */
export function loadDocumentSource(path: string): DocumentSource {
  const name = path === '-' ? '<stdin>' : path;
  const text = readDocumentText(path);
  const document = loadDocumentText(text, name, path);
  const lines = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  const locator = issueLocator(yaml, lines);
  return {
    document,
    name,
    locate: (issuePath) => {
      const { line, column } = locator(issuePath);
      return `${name}:${line}:${column}`;
    },
  };
}

/** The same error with each issue's `file:line:column`. */
export function withPositions(error: ConfigValidationError, source: DocumentSource): ConfigValidationError {
  const issues: ConfigIssue[] = error.issues.map((i) => ({ ...i, at: source.locate(i.path) }));
  return new ConfigValidationError(issues, error.context, error.version, error.revision, { cause: error });
}
