import { runScheduleOnce } from "./schedule.js";

const limits = JSON.parse(process.argv[2] ?? "{}");
const repos = Number(process.argv[3] ?? 100);
const r = await runScheduleOnce({
  repositories: repos,
  imagesPerRepository: 100,
  latencyMs: 20,
  rateLimits: limits,
  distDir: "terraform/dist",
  timeoutMs: 600_000,
  log: console.log,
});
const { calls, servedCalls, decisions, scanOutcomes, ...rest } = r;
console.log(JSON.stringify({ ...rest, calls }));
