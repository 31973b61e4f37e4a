// A dense table for 1,000+ rows: fixed row height, sticky header, and above WINDOW_FROM rows only
// the rows in view (plus a margin) are in the DOM, with spacer rows keeping the scroll height.
// Cells cut long text with an ellipsis and show it whole as a tooltip.
//
// Rendering cost of a live update, measured in Chromium with software raster (bench/console):
// each windowed row is its own compositing layer (`.windowed tr`, styles.css), so a row inserted
// above the others moves them without painting or rastering them again (a third less page CPU
// per update); cells that tick (`Column.ticking`) are relayout boundaries, so the once-a-second
// clock does not lay out the table.
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type HTMLAttributes, type ReactNode } from 'react';

/** One column. `text` gives the cell text and tooltip; `render` replaces the content. */
export interface Column<T> {
  readonly id: string;
  readonly header: ReactNode;
  /** CSS width (`120px`, `20%`); columns without one share the rest. */
  readonly width?: string;
  readonly text?: (row: T) => string;
  readonly render?: (row: T) => ReactNode;
  readonly mono?: boolean;
  readonly align?: 'left' | 'right' | 'center';
  /**
   * The content changes by itself (a clock: count-downs, "registered for"). It is laid out in a
   * box of fixed height with `contain: strict`, so a tick lays out that box, not the table.
   */
  readonly ticking?: boolean;
}

/** Extra attributes of one row (`data-testid`, `data-address`, a class). */
export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | number | undefined>;

export interface DataTableProps<T> {
  readonly rows: readonly T[];
  readonly columns: readonly Column<T>[];
  readonly rowKey: (row: T) => string;
  readonly rowAttributes?: (row: T) => RowAttributes;
  readonly onRowClick?: (row: T) => void;
  readonly selectedKey?: string;
  /** Shown instead of the table when there are no rows. */
  readonly empty?: ReactNode;
  /** Maximum height of the scrolling body (CSS); default: down to the bottom of the window (at least 240px). */
  readonly maxHeight?: string;
  readonly rowHeight?: number;
  readonly testId?: string;
}

/** Tables with more rows than this render only what is in view. */
export const WINDOW_FROM = 150;
const OVERSCAN_ROWS = 6;

function DataTableInner<T>({ rows, columns, rowKey, rowAttributes, onRowClick, selectedKey, empty, maxHeight, rowHeight = 28, testId }: DataTableProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(800);
  const frame = useRef(0);
  const windowed = rows.length > WINDOW_FROM;
  const [fillHeight, setFillHeight] = useState<number | undefined>(undefined);
  const rowCount = rows.length;

  // Without a maxHeight the table scrolls inside itself down to the window's bottom, so the
  // sticky header stays in view on long tables.
  useLayoutEffect(() => {
    if (maxHeight) return;
    const element = scroller.current;
    if (!element) return;
    const update = (): void => {
      const page = element.closest('.page');
      const top = element.getBoundingClientRect().top + (page?.scrollTop ?? 0);
      const next = Math.max(240, Math.round(window.innerHeight - top - 16));
      setFillHeight((previous) => (previous !== undefined && Math.abs(previous - next) < 2 ? previous : next));
    };
    update();
    window.addEventListener('resize', update);
    return () => window.removeEventListener('resize', update);
  }, [maxHeight, rowCount]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    setViewHeight(element.clientHeight || 800);
    const observer = new ResizeObserver(() => setViewHeight(element.clientHeight || 800));
    observer.observe(element);
    return () => observer.disconnect();
  }, [windowed]);
  useEffect(() => () => window.cancelAnimationFrame(frame.current), []);

  const onScroll = useCallback(() => {
    if (!windowed || frame.current) return;
    frame.current = window.requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(scroller.current?.scrollTop ?? 0);
    });
  }, [windowed]);

  if (rows.length === 0 && empty) return <>{empty}</>;

  let first = 0;
  let last = rows.length;
  if (windowed) {
    first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN_ROWS);
    last = Math.min(rows.length, Math.ceil((scrollTop + viewHeight) / rowHeight) + OVERSCAN_ROWS);
  }
  const visible = rows.slice(first, last);

  return (
    <div className="table-scroll" ref={scroller} onScroll={onScroll} style={{ maxHeight: maxHeight ?? (fillHeight !== undefined ? `${fillHeight}px` : '70vh') }} data-testid={testId} data-rows={rows.length}>
      <table className={windowed ? 'data-table windowed' : 'data-table'} style={{ ['--row-height' as string]: `${rowHeight}px` }}>
        <colgroup>
          {columns.map((column) => (
            <col key={column.id} style={column.width ? { width: column.width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.id} style={column.align ? { textAlign: column.align } : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 ? (
            <tr className="spacer" aria-hidden="true">
              <td colSpan={columns.length} style={{ height: first * rowHeight }} />
            </tr>
          ) : null}
          {visible.map((row) => {
            const key = rowKey(row);
            return (
              <Row
                key={key}
                row={row}
                columns={columns}
                attributes={rowAttributes?.(row)}
                selected={selectedKey === key}
                onClick={onRowClick}
              />
            );
          })}
          {last < rows.length ? (
            <tr className="spacer" aria-hidden="true">
              <td colSpan={columns.length} style={{ height: (rows.length - last) * rowHeight }} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps<T> {
  readonly row: T;
  readonly columns: readonly Column<T>[];
  readonly attributes: RowAttributes | undefined;
  readonly selected: boolean;
  readonly onClick: ((row: T) => void) | undefined;
}

function RowInner<T>({ row, columns, attributes, selected, onClick }: RowProps<T>) {
  const className = [attributes?.className, selected ? 'selected' : '', onClick ? 'clickable' : ''].filter(Boolean).join(' ');
  return (
    <tr {...attributes} className={className || undefined} onClick={onClick ? () => onClick(row) : undefined} aria-selected={onClick ? selected : undefined}>
      {columns.map((column) => {
        const text = column.text?.(row);
        return (
          <td key={column.id} className={column.mono ? 'mono' : undefined} style={column.align ? { textAlign: column.align } : undefined} title={text}>
            {column.ticking ? <div className="cell-contained">{column.render ? column.render(row) : text}</div> : column.render ? column.render(row) : text}
          </td>
        );
      })}
    </tr>
  );
}

/** Same attributes by value: `rowAttributes` makes a new object on every render. */
function sameAttributes(a: RowAttributes | undefined, b: RowAttributes | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a) as Array<keyof RowAttributes>;
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

// A live update re-renders the table: only rows whose data changed should re-render (a row is
// replaced by a new object exactly when it changed).
const Row = memo(
  RowInner,
  (before, after) => before.row === after.row && before.columns === after.columns && before.selected === after.selected && before.onClick === after.onClick && sameAttributes(before.attributes, after.attributes),
) as typeof RowInner;

/** See {@link DataTableProps}. */
export const DataTable = DataTableInner;
