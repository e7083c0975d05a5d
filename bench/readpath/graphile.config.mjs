// PostGraphile 5 as the peer of the read-path benchmark (issue 17): the
// datasources and runs tables of the dev stack's database, read-only, no
// auth, on loopback. `run` starts it with
//   node postgraphile -C graphile.config.mjs
// and DATABASE_URL and PEER_PORT in the environment.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeV4Preset } from "postgraphile/presets/v4";

const benchTables = new Set(["datasources", "runs"]);

// Every other table (River's, events, tokens …) is left out of the schema:
// the benchmark reads these two only, and the rest would only slow the
// schema build.
const isBenchTable = (resource) =>
  !resource.parameters && benchTables.has(resource.codec?.extensions?.pg?.name);

const OnlyBenchTablesPlugin = {
  name: "EzBenchOnlyBenchTablesPlugin",
  version: "0.0.0",
  after: ["PgBasicsPlugin"],
  schema: {
    entityBehavior: {
      pgResource: {
        override(behavior, resource) {
          return isBenchTable(resource) ? behavior : [behavior, "-*"];
        },
      },
      pgResourceUnique: {
        override(behavior, [resource]) {
          return isBenchTable(resource) ? behavior : [behavior, "-*"];
        },
      },
    },
  },
};

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  throw new Error("graphile.config.mjs: DATABASE_URL is not set");
}

/** @type {GraphileConfig.Preset} */
export default {
  extends: [
    PostGraphileAmberPreset,
    makeV4Preset({
      disableDefaultMutations: true,
      ignoreRBAC: false,
      simpleCollections: "omit",
      graphiql: false,
      subscriptions: false,
      watchPg: false,
    }),
  ],
  plugins: [OnlyBenchTablesPlugin],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PEER_POOL_SIZE || 20) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT || 5678),
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: {
    explain: false,
  },
};
