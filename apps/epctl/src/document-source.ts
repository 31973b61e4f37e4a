import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigValidationError, decodeSegment, type ConfigDocument, type ConfigIssue } from '@etcd-patterns/config';
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
  return { document, name, locate: (issuePath) => locate(yaml, lines, name, issuePath) };
}

/** The same error with each issue's `file:line:column`. */
export function withPositions(error: ConfigValidationError, source: DocumentSource): ConfigValidationError {
  const issues: ConfigIssue[] = error.issues.map((i) => ({ ...i, at: source.locate(i.path) }));
  return new ConfigValidationError(issues, error.context, error.version, error.revision, { cause: error });
}

function segmentsOf(issuePath: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of issuePath.split('/').filter(Boolean)) {
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1]) out.push(decodeSegment(m[1]));
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

function locate(yaml: Document, lines: LineCounter, name: string, issuePath: string): string {
  let node: unknown = yaml.contents;
  let found: Node | undefined = node as Node | undefined;
  for (const segment of segmentsOf(issuePath)) {
    if (isMap(node) || isSeq(node)) {
      const next = node.get(segment, true) as unknown;
      if (next === undefined) break;
      node = next;
      found = next as Node;
    } else {
      break;
    }
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return `${name}:${line}:${col}`;
}
