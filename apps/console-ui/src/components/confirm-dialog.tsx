// A modal confirmation for every destructive or cluster-wide action (native <dialog>: focus is
// trapped, Escape cancels).
import { useEffect, useRef, type ReactNode } from 'react';
import { ErrorBox } from './error-box';

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly title: string;
  readonly children?: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly busy?: boolean;
  /** The failed attempt's error, shown inside the dialog. */
  readonly error?: unknown;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

export function ConfirmDialog({ open, title, children, confirmLabel, danger, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      data-testid="confirm-dialog"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      {open ? (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            if (!busy) onConfirm();
          }}
        >
          <h2 className="dialog-title">{title}</h2>
          <div className="dialog-body">{children}</div>
          {error ? <ErrorBox error={error} compact /> : null}
          <div className="dialog-actions">
            <button type="button" className="btn" data-testid="confirm-cancel" disabled={busy} onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className={danger ? 'btn btn-danger' : 'btn btn-primary'} data-testid="confirm-ok" disabled={busy} autoFocus={!danger}>
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
