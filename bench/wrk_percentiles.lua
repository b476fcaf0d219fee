-- wrk -s bench/wrk_percentiles.lua: after the run, one line with the latency percentiles the page benchmark
-- reports (microseconds): "percentiles p50=... p90=... p95=... p99=..."
done = function(summary, latency, requests)
  io.write(string.format("percentiles p50=%d p90=%d p95=%d p99=%d\n", latency:percentile(50), latency:percentile(90),
                         latency:percentile(95), latency:percentile(99)))
end
