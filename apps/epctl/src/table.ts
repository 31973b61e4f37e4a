/**
 * A boxed table like etcdctl's `--write-out=table`: a header row, cells centred in the header
 * and left-aligned below (etcdctl centres everything; left is easier to scan for URLs).
 */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const centre = (text: string, width: number): string => {
    const left = Math.floor((width - text.length) / 2);
    return `${' '.repeat(left)}${text}${' '.repeat(width - text.length - left)}`;
  };
  const line = (cells: readonly string[], align: (t: string, w: number) => string): string =>
    `| ${widths.map((w, i) => align(cells[i] ?? '', w)).join(' | ')} |`;
  return `${[rule, line(header, centre), rule, ...rows.map((r) => line(r, (t, w) => t.padEnd(w))), rule].join('\n')}\n`;
}

/** Bytes in SI units as etcdctl prints them (`20 kB`, `1.2 MB`). */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
