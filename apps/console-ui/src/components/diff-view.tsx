// Side-by-side text diff (react-diff-viewer-continued). Loaded lazily with the pages that use it.
import ReactDiffViewer, { DiffMethod } from 'react-diff-viewer-continued';

export interface DiffViewProps {
  readonly oldText: string;
  readonly newText: string;
  readonly oldTitle: string;
  readonly newTitle: string;
  readonly testId?: string;
}

export default function DiffView({ oldText, newText, oldTitle, newTitle, testId }: DiffViewProps) {
  return (
    <div className="diff-view" data-testid={testId ?? 'diff-view'}>
      {oldText === newText ? <div className="diff-same">Both sides are identical.</div> : null}
      <ReactDiffViewer
        oldValue={oldText}
        newValue={newText}
        splitView
        leftTitle={oldTitle}
        rightTitle={newTitle}
        compareMethod={DiffMethod.LINES}
        extraLinesSurroundingDiff={4}
        disableWorker
        hideSummary
        // The library's table has a 1000px minimum width, which hides the right side in a narrow panel.
        styles={{ diffContainer: { minWidth: 'unset' }, contentText: { fontFamily: 'var(--mono)', fontSize: '12px' }, line: { fontSize: '12px' } }}
      />
    </div>
  );
}
