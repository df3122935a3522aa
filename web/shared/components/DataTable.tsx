import type { ComponentChildren } from 'preact';

export interface Column<Row> {
  key: string;
  header: ComponentChildren;
  cell: (row: Row) => ComponentChildren;
  class?: string;
}

export interface DataTableProps<Row> {
  caption: string;
  columns: Array<Column<Row> | false | null | undefined>;
  rows: Row[];
  rowKey: (row: Row) => string;
  empty: ComponentChildren;
  busy?: boolean;
  class?: string;
}

// A table with a caption and column headers. Wide tables scroll inside a focusable region
// so that the keyboard can scroll them too.
export function DataTable<Row>({ caption, columns, rows, rowKey, empty, busy, class: cls }:
  DataTableProps<Row>) {
  const cols = columns.filter((c): c is Column<Row> => Boolean(c));
  return (
    <div class={`rp-table-wrap ${cls ?? ''}`} role="region" aria-label={caption} tabIndex={0}>
      <table class="rp-table" aria-busy={busy ? 'true' : undefined}>
        <caption class="rp-visually-hidden">{caption}</caption>
        <thead>
          <tr>{cols.map((c) => <th key={c.key} scope="col" class={c.class}>{c.header}</th>)}</tr>
        </thead>
        <tbody>
          {rows.length === 0
            ? <tr><td class="rp-table__empty" colSpan={cols.length}>{empty}</td></tr>
            : rows.map((r) => (
              <tr key={rowKey(r)}>
                {cols.map((c) => <td key={c.key} class={c.class}>{c.cell(r)}</td>)}
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
