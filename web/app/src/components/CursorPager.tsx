import { useState, type ReactNode } from "react";

/**
 * Pages of a Relay connection that only goes forward (first/after): the
 * cursors of the pages seen so far, so that "Newer" can go back.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1] ?? null,
    first: cursors.length === 1,
    older: (endCursor: string | null | undefined) => setCursors((c) => [...c, endCursor ?? null]),
    newer: () => setCursors((c) => c.slice(0, -1)),
    reset: () => setCursors([null]),
  };
}

export function CursorPager({
  label,
  pages,
  pageInfo,
  children,
}: {
  label: string;
  pages: ReturnType<typeof useCursorPages>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  children?: ReactNode;
}) {
  return (
    <nav className="pager" aria-label={label}>
      {!pages.first && (
        <button type="button" onClick={pages.newer}>
          ← Newer
        </button>
      )}
      {pageInfo?.hasNextPage && (
        <button type="button" onClick={() => pages.older(pageInfo.endCursor)}>
          Older →
        </button>
      )}
      {children}
    </nav>
  );
}
