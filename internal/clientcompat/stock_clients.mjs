// Drives one replica with the stock graphql-ws and graphql-sse clients,
// unmodified: a snapshot, a live event, a resume from a cursor, and a bad
// cursor refused with its code. Usage: node stock_clients.mjs BASE_URL DATA_DIR
import { createClient as createWSClient } from 'graphql-ws';
import { createClient as createSSEClient } from 'graphql-sse';
import WebSocket from 'ws';

const [base, dataDir] = process.argv.slice(2);
const ws = createWSClient({ url: base.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
const sse = createSSEClient({ url: base + '/graphql', retryAttempts: 0 });
const clients = { 'graphql-ws': ws, 'graphql-sse': sse };
const query = 'subscription($after: String) { dataSourceEvents(after: $after) { cursor kind dataSource { name } } }';

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), 30000); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// next reads one result; a GraphQL error (an `error` message, or a result
// with errors) comes back as {errors}.
async function next(iterator, what) {
  try {
    const { value, done } = await withTimeout(iterator.next(), what);
    if (done) throw new Error(`stream completed: ${what}`);
    return value;
  } catch (err) {
    if (Array.isArray(err)) return { errors: err };
    throw err;
  }
}

async function create(name) {
  const res = await fetch(base + '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }',
      variables: { input: { name, path: dataDir, filePattern: '*.csv', schedule: { interval: '1h' } } },
    }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

const report = {};
for (const [name, client] of Object.entries(clients)) {
  // Snapshot, then live.
  let it = client.iterate({ query, variables: {} });
  const snap = await next(it, `${name} snapshot`);
  expect(snap.data?.dataSourceEvents?.kind === 'SNAPSHOT', `${name}: want SNAPSHOT, got ${JSON.stringify(snap)}`);
  await create(`${name}-live`);
  let live;
  do {
    live = await next(it, `${name} live`);
  } while (live.data?.dataSourceEvents?.kind === 'SNAPSHOT');
  const ev = live.data?.dataSourceEvents;
  expect(ev?.kind === 'DATASOURCE_CREATED' && ev.dataSource.name === `${name}-live`, `${name}: want DATASOURCE_CREATED, got ${JSON.stringify(live)}`);
  await it.return();

  // Away, then back with the cursor: the missed event comes first.
  await create(`${name}-missed`);
  it = client.iterate({ query, variables: { after: ev.cursor } });
  const missed = await next(it, `${name} resume`);
  expect(missed.data?.dataSourceEvents?.dataSource?.name === `${name}-missed`, `${name}: want the missed event, got ${JSON.stringify(missed)}`);
  await it.return();

  // A bad cursor is refused with its code.
  it = client.iterate({ query, variables: { after: 'nonsense' } });
  const refused = await next(it, `${name} bad cursor`);
  const code = refused.errors?.[0]?.extensions?.code;
  expect(code === 'INVALID_CURSOR', `${name}: want INVALID_CURSOR, got ${JSON.stringify(refused)}`);
  report[name] = { live: ev.kind, resumed: missed.data.dataSourceEvents.kind, badCursor: code };
}
await ws.dispose();
sse.dispose();
console.log(JSON.stringify(report));
