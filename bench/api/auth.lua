-- wrk script: adds "Authorization: Bearer $BENCH_TOKEN" to every request and
-- prints one machine-readable line at the end:
--   RESULT <p50 us> <p90 us> <p99 us> <requests/s> <requests> <socket errors> <non-2xx>
local token = os.getenv("BENCH_TOKEN") or ""
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %d %d %d %.1f %d %d %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.requests / seconds, summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status))
end
