// Heavy widgets in their own chunks, so the first page an on-call engineer opens loads fast.
import { lazy, Suspense } from 'react';
import type { CodeEditorProps } from './code-editor';
import type { DiffViewProps } from './diff-view';

const LazyCodeEditor = lazy(() => import('./code-editor'));
const LazyDiffView = lazy(() => import('./diff-view'));

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<div className="loading">Loading editor…</div>}>
      <LazyCodeEditor {...props} />
    </Suspense>
  );
}

export function DiffView(props: DiffViewProps) {
  return (
    <Suspense fallback={<div className="loading">Loading diff…</div>}>
      <LazyDiffView {...props} />
    </Suspense>
  );
}

export type { MarkedLine } from './code-editor';
