import { useEffect } from "react";
import { errorText } from "../api/errors";
import { formatBytes, formatCount, formatTime } from "../format";
import { graphql } from "../gql";
import { FilesChart } from "./FilesChart";
import { CursorPager, useCursorPages } from "./CursorPager";
import { Empty, ErrorState, Loading } from "./States";
import { useLiveQuery } from "../api/useLiveQuery";

const FilesQuery = graphql(`
  query DiscoveredFiles($id: ID!, $after: String) {
    dataSource(id: $id) {
      id
      filesPerDay(days: 14) {
        day
        files
        bytes
        records
      }
      files(first: 20, after: $after) {
        totalCount
        edges {
          node {
            id
            path
            size
            modifiedAt
            sha256
            format
            recordCount
            parseError
            discoveredAt
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

/**
 * Discovered files, newest first, and files and records per day. version
 * changes when a run found files: the panel then asks again.
 */
export function FilesPanel({ dataSourceId, version, timeZone }: { dataSourceId: string; version: number; timeZone: string }) {
  const pages = useCursorPages();
  const after = pages.after;
  const [result, reexecute] = useLiveQuery({ query: FilesQuery, variables: { id: dataSourceId, after } });
  useEffect(() => {
    if (version > 0) reexecute({ requestPolicy: "network-only" });
  }, [version, reexecute]);
  const ds = result.data?.dataSource;
  const files = ds?.files;
  return (
    <section aria-labelledby="files-title" className="panel">
      <div className="panel-head">
        <h2 id="files-title">Discovered files</h2>
        {files && <span className="muted">{formatCount(files.totalCount)} in all</span>}
      </div>
      {result.error && !result.data ? (
        <ErrorState title="The files could not be loaded" message={errorText(result.error)} />
      ) : !ds ? (
        <Loading what="files" />
      ) : (
        <>
          <FilesChart days={ds.filesPerDay} />
          {files!.edges.length === 0 ? (
            <Empty>
              <p>No file found yet. Files that match the pattern appear here once they stop changing.</p>
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="files">
                <thead>
                  <tr>
                    <th scope="col">Path</th>
                    <th scope="col">Format</th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col" className="num">
                      Records
                    </th>
                    <th scope="col">Discovered</th>
                  </tr>
                </thead>
                <tbody>
                  {files!.edges.map(({ node: f }) => (
                    <tr key={f.id} data-path={f.path}>
                      <td>
                        <code>{f.path}</code>
                        {f.parseError && <div className="small error-text">{f.parseError}</div>}
                      </td>
                      <td>{f.format}</td>
                      <td className="num">{formatBytes(f.size)}</td>
                      <td className="num" data-records={f.recordCount ?? ""}>
                        {formatCount(f.recordCount)}
                      </td>
                      <td>{formatTime(f.discoveredAt, timeZone)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <CursorPager label="File pages" pages={pages} pageInfo={files?.pageInfo} />
        </>
      )}
    </section>
  );
}
