// CodeMirror 6 editor with YAML/JSON modes and marked lines (validation issues). Loaded lazily:
// only the Config and Keys pages pay for it.
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { RangeSetBuilder, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { useEffect, useMemo, useRef } from 'react';

/** A line to mark, 1-based. */
export interface MarkedLine {
  readonly line: number;
  readonly message: string;
}

export interface CodeEditorProps {
  readonly value: string;
  readonly onChange?: (value: string) => void;
  readonly language: 'yaml' | 'json' | 'text';
  readonly markedLines?: readonly MarkedLine[];
  /** Scrolls to and selects this line when `focus.nonce` changes. */
  readonly focus?: { readonly line: number; readonly nonce: number };
  readonly readOnly?: boolean;
  readonly height?: string;
  readonly testId?: string;
}

const setMarks = StateEffect.define<readonly MarkedLine[]>();
const markDecoration = Decoration.line({ class: 'cm-issue-line' });

const marksField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setMarks)) continue;
      const builder = new RangeSetBuilder<Decoration>();
      const lines = [...new Set(effect.value.map((mark) => mark.line))].sort((a, b) => a - b);
      for (const line of lines) {
        if (line < 1 || line > transaction.state.doc.lines) continue;
        const at = transaction.state.doc.line(line).from;
        builder.add(at, at, markDecoration);
      }
      next = builder.finish();
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

const theme = EditorView.theme({
  '&': { fontSize: '12.5px', border: '1px solid var(--border)', borderRadius: '4px' },
  '.cm-scroller': { fontFamily: 'var(--mono)' },
  '.cm-issue-line': { backgroundColor: 'rgba(224, 49, 49, 0.16)', boxShadow: 'inset 3px 0 0 #e03131' },
});

export default function CodeEditor({ value, onChange, language, markedLines = [], focus, readOnly, height = '420px', testId }: CodeEditorProps) {
  const view = useRef<EditorView | null>(null);
  const extensions = useMemo<Extension[]>(() => {
    const list: Extension[] = [marksField, theme, EditorView.lineWrapping];
    if (language === 'yaml') list.push(yaml());
    if (language === 'json') list.push(json());
    return list;
  }, [language]);

  useEffect(() => {
    view.current?.dispatch({ effects: setMarks.of(markedLines) });
  }, [markedLines]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || !focus) return;
    const line = Math.min(Math.max(1, focus.line), editor.state.doc.lines);
    const at = editor.state.doc.line(line);
    editor.dispatch({ selection: { anchor: at.from, head: at.to }, effects: EditorView.scrollIntoView(at.from, { y: 'center' }) });
    editor.focus();
  }, [focus]);

  return (
    <div className="code-editor" data-testid={testId}>
      <CodeMirror
        value={value}
        height={height}
        extensions={extensions}
        readOnly={readOnly}
        editable={!readOnly}
        basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false }}
        onChange={onChange}
        onCreateEditor={(created) => {
          view.current = created;
          created.dispatch({ effects: setMarks.of(markedLines) });
        }}
      />
    </div>
  );
}
