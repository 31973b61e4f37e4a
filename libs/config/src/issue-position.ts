import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { decodeSegment } from './document';

/** A 1-based line and column in a document's text. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** Maps a validation issue's path (`server/port`, `servers[0]/host`) to where it is in the text. */
export type IssueLocator = (issuePath: string) => TextPosition;

/** `server/port`, `servers[0]/host` as the keys and indexes to follow. */
function segmentsOf(issuePath: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of issuePath.split('/').filter(Boolean)) {
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1]) out.push(decodeSegment(m[1]));
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

/**
 * Locates {@link ConfigValidationError} issue paths in a document parsed by the `yaml` package
 * with a `lineCounter`: the position of the value at the path when present, else of the
 * closest enclosing mapping or sequence (for a missing required key). epctl and the console
 * use it to report `line:column` for every issue.
 */
export function issueLocator(document: Document, lines: LineCounter): IssueLocator {
  return (issuePath) => {
    let node: unknown = document.contents;
    let found = node as Node | undefined;
    for (const segment of segmentsOf(issuePath)) {
      if (!isMap(node) && !isSeq(node)) break;
      const next = node.get(segment, true) as unknown;
      if (next === undefined) break;
      node = next;
      found = next as Node;
    }
    const { line, col } = lines.linePos(found?.range?.[0] ?? 0);
    return { line, column: col };
  };
}
