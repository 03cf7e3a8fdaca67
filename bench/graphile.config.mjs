// PostGraphile v5 as issue 13 runs it beside linli: the amber preset on linli's database
// over the Unix socket, with PgIndexBehaviorsPlugin disabled so that ordering by the
// partially indexed deadline is offered, and the lazy-JWT preset so that the claim_wish
// mutation knows who claims (sql/claim_wish.sql). bench/run copies this file next to the
// installed packages and sets the environment.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgLazyJWTPreset } from "postgraphile/presets/lazy-jwt";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset, PgLazyJWTPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({ connectionString: process.env.BENCH_PG_URL, schemas: ["public"] }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PGL_PORT),
    pgJwtSecret: process.env.BENCH_JWT_SECRET,
    graphiql: false,
  },
  grafast: { explain: false },
};
