// Runs the side-by-side read-path benchmark once both servers are up: checks
// that both answer the same rows, runs autocannon against each in turn
// (A B A B), measures the CPU of each server and of PostgreSQL per request,
// and prints one table. `run` sets the environment; see README.md.
import { readFileSync, readdirSync } from "node:fs";
import autocannon from "autocannon";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`bench.mjs: ${name} is not set`);
  return value;
};

const config = {
  ezURL: env("EZ_GRAPHQL_URL"),
  peerURL: env("PEER_GRAPHQL_URL"),
  ezPid: Number(env("EZ_PID")),
  peerPid: Number(env("PEER_PID")),
  postmasterPidFile: env("PG_PID_FILE"),
  dataSourceId: env("BENCH_DATASOURCE_ID"),
  durationSeconds: Number(env("DURATION", "15")),
  warmupSeconds: Number(env("WARMUP", "3")),
  rounds: Number(env("ROUNDS", "2")),
  concurrencies: env("CONCURRENCY", "1,16").split(",").map(Number),
  queries: env("QUERIES", "list,detail").split(","),
  clockTicks: Number(env("CLK_TCK", "100")),
};

const listFields = "id name path filePattern enabled version";
const runFields = "id status scheduledFor startedAt finishedAt filesFound";

// Each query as both peers spell it, and how to reduce an answer to rows
// that must be equal.
const queries = {
  list: {
    title: "dataSources(first: 50) + totalCount",
    ez: { query: `{ dataSources(first: 50) { totalCount edges { node { ${listFields} } } } }` },
    peer: { query: `{ allDatasources(first: 50, orderBy: NAME_ASC) { totalCount nodes { ${listFields} } } }` },
    ezRows: (d) => ({ totalCount: d.dataSources.totalCount, rows: d.dataSources.edges.map((e) => e.node) }),
    peerRows: (d) => ({ totalCount: d.allDatasources.totalCount, rows: d.allDatasources.nodes }),
  },
  detail: {
    title: "dataSource(id) + last 20 runs",
    ez: {
      query: `query ($id: ID!) { dataSource(id: $id) { ${listFields} runs(first: 20) { edges { node { ${runFields} } } } } }`,
      variables: { id: config.dataSourceId },
    },
    peer: {
      query: `query ($id: UUID!) { datasourceById(id: $id) { ${listFields} runsByDatasourceId(first: 20, orderBy: SCHEDULED_FOR_DESC) { nodes { ${runFields} } } } }`,
      variables: { id: config.dataSourceId },
    },
    ezRows: (d) => detailRows(d.dataSource, d.dataSource.runs.edges.map((e) => e.node)),
    peerRows: (d) => detailRows(d.datasourceById, d.datasourceById.runsByDatasourceId.nodes),
  },
};

function detailRows(dataSource, runs) {
  const { runs: _a, runsByDatasourceId: _b, ...fields } = dataSource;
  // The peers format timestamps differently; the instant is what counts.
  const instant = (t) => (t === null ? null : new Date(t).getTime());
  const normalizedRuns = runs.map((r) => ({
    ...r,
    scheduledFor: instant(r.scheduledFor),
    startedAt: instant(r.startedAt),
    finishedAt: instant(r.finishedAt),
  }));
  return { dataSource: fields, rows: normalizedRuns };
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok || answer.errors) {
    throw new Error(`${url}: HTTP ${response.status}: ${JSON.stringify(answer.errors ?? answer)}`);
  }
  return answer.data;
}

// checkSameRows fails unless both peers answer the same rows in the same
// order, with at least one row.
async function checkSameRows(name) {
  const q = queries[name];
  const ez = q.ezRows(await post(config.ezURL, q.ez));
  const peer = q.peerRows(await post(config.peerURL, q.peer));
  const a = JSON.stringify(ez);
  const b = JSON.stringify(peer);
  if (a !== b) {
    throw new Error(`${name}: the peers answer different rows\n  this project: ${a.slice(0, 600)}\n  PostGraphile: ${b.slice(0, 600)}`);
  }
  if (ez.rows.length === 0) throw new Error(`${name}: both peers answer no rows`);
  return ez.rows.length;
}

// cpuTicks is utime+stime of one process (all its threads); with
// withReaped, also the CPU of its children that have exited and been waited
// for (cutime+cstime).
function cpuTicks(pid, withReaped = false) {
  const fields = readStat(pid);
  if (!fields) return 0;
  const own = Number(fields[11]) + Number(fields[12]);
  return withReaped ? own + Number(fields[13]) + Number(fields[14]) : own;
}

// readStat is /proc/<pid>/stat from field 3 (state) on, or null when the
// process is gone.
function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

// postgresTicks is the CPU of the postmaster, of every backend and worker
// it runs, and of those that have exited since it started. A backend that
// has exited is counted nowhere until the postmaster reaps it (a zombie's
// stat reads 0), so a snapshot is taken again until it holds no zombie and
// no child was reaped while it was taken.
async function postgresTicks(postmaster) {
  for (let attempt = 1; ; attempt++) {
    const reapedBefore = cpuTicks(postmaster, true) - cpuTicks(postmaster);
    let total = cpuTicks(postmaster, true);
    let settled = true;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = readStat(entry);
      if (!fields || Number(fields[1]) !== postmaster) continue;
      if (fields[0] === "Z") settled = false;
      total += Number(fields[11]) + Number(fields[12]);
    }
    const reapedAfter = cpuTicks(postmaster, true) - cpuTicks(postmaster);
    if ((settled && reapedAfter === reapedBefore) || attempt === 100) return total;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// load runs autocannon for seconds and returns what it saw, with latencies
// kept exactly (autocannon's own histogram rounds to whole milliseconds).
async function load(url, body, connections, seconds) {
  const latencies = [];
  const sizes = new Map();
  const instance = autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    connections,
    pipelining: 1,
    duration: seconds,
  });
  instance.on("response", (_client, _status, bytes, ms) => {
    latencies.push(ms);
    sizes.set(bytes, (sizes.get(bytes) ?? 0) + 1);
  });
  const result = await instance;
  latencies.sort((x, y) => x - y);
  const commonSize = Math.max(0, ...sizes.values());
  return {
    requests: latencies.length,
    seconds: result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    // Non-2xx, socket errors, timeouts, and answers of another size than
    // most (an error in a 200 answer has another size).
    bad: result.non2xx + result.errors + result.timeouts + (latencies.length - commonSize),
  };
}

async function measure(peer, name, connections) {
  const q = queries[name];
  const url = peer === "ez" ? config.ezURL : config.peerURL;
  const serverPid = peer === "ez" ? config.ezPid : config.peerPid;
  const postmaster = Number(readFileSync(config.postmasterPidFile, "utf8").split("\n")[0]);
  const otherPid = peer === "ez" ? config.peerPid : config.ezPid;
  const serverBefore = cpuTicks(serverPid);
  const otherBefore = cpuTicks(otherPid);
  const postgresBefore = await postgresTicks(postmaster);
  const run = await load(url, q[peer], connections, config.durationSeconds);
  const msPerTick = 1000 / config.clockTicks;
  // What the idle server burns meanwhile (etcd, scheduler, timers).
  idle[peer === "ez" ? "peer" : "ez"].push(((cpuTicks(otherPid) - otherBefore) * msPerTick) / run.seconds);
  const perRequest = (ticks) => (run.requests === 0 ? NaN : (ticks * msPerTick) / run.requests);
  const server = perRequest(cpuTicks(serverPid) - serverBefore);
  const postgres = perRequest((await postgresTicks(postmaster)) - postgresBefore);
  return { ...run, rps: run.requests / run.seconds, server, postgres, total: server + postgres };
}

const idle = { peer: [], ez: [] };

const peerName = { peer: "PostGraphile", ez: "this project" };
const columns = ["query", "c", "peer", "run", "req/s", "p50 ms", "p99 ms", "CPU-ms/req server", "PostgreSQL", "total", "bad"];

function row(name, connections, peer, round, m) {
  const f = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : "-");
  return [name, String(connections), peerName[peer], String(round), f(m.rps, 0), f(m.p50, 2), f(m.p99, 2), f(m.server, 2), f(m.postgres, 2), f(m.total, 2), String(m.bad)];
}

function printTable(rows) {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => "| " + cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  console.log(line(columns));
  console.log("|" + widths.map((w, i) => "-".repeat(w + 1) + (i < 3 ? "-" : ":")).join("|") + "|");
  for (const r of rows) console.log(line(r));
}

async function main() {
  for (const name of config.queries) {
    if (!queries[name]) throw new Error(`QUERIES: unknown query ${name} (list, detail)`);
    const count = await checkSameRows(name);
    console.error(`check ${name}: both peers answer the same ${count} rows`);
  }
  const rows = [];
  for (const name of config.queries) {
    for (const connections of config.concurrencies) {
      for (const peer of ["peer", "ez"]) {
        if (config.warmupSeconds > 0) await load(peer === "ez" ? config.ezURL : config.peerURL, queries[name][peer], connections, config.warmupSeconds);
      }
      for (let round = 1; round <= config.rounds; round++) {
        for (const peer of ["peer", "ez"]) {
          console.error(`run ${name} c=${connections} ${peerName[peer]} ${round}/${config.rounds} (${config.durationSeconds} s)`);
          rows.push(row(name, connections, peer, round, await measure(peer, name, connections)));
        }
      }
      await checkSameRows(name); // still the same rows after the load
    }
  }
  console.log("");
  for (const name of config.queries) console.log(`${name}: ${queries[name].title}`);
  console.log("");
  printTable(rows);
  const mean = (xs) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1);
  console.log("");
  console.log(`Idle CPU, while the other peer ran: this project's process ${mean(idle.ez)} ms/s, PostGraphile's ${mean(idle.peer)} ms/s.`);
}

main().catch((err) => {
  console.error(`bench.mjs: ${err.message}`);
  process.exit(1);
});
