import { KEY_COUNT } from "./workloads";

/**
 * The Lua script that makes wrk issue a workload's requests (the same mixes as
 * nextRequest() in workloads.ts builds for autocannon) and print its result
 * as one JSON line: `non2xx` counts responses outside 2xx/3xx (a GET miss is
 * a 404 by design), `errors` socket errors and timeouts.
 */
export function wrkScript(workload: string): string {
  const requestBody: Record<string, string> = {
    "GET hit": 'return wrk.format("GET", "/keys/" .. key())',
    "GET miss": 'return wrk.format("GET", "/keys/missing-" .. key())',
    HEAD: 'return wrk.format("HEAD", "/keys/" .. key())',
    "PUT one key": 'return wrk.format("PUT", "/keys/" .. key(), json, value())',
    "PUT 100 keys": `local seen, parts = {}, {}
  while #parts < 100 do
    local k = key()
    if not seen[k] then seen[k] = true; parts[#parts + 1] = '"' .. k .. '":' .. value() end
  end
  return wrk.format("PUT", "/keys", json, "{" .. table.concat(parts, ",") .. "}")`,
    "90% GET / 10% PUT": `if math.random() < 0.9 then return wrk.format("GET", "/keys/" .. key()) end
  return wrk.format("PUT", "/keys/" .. key(), json, value())`,
  };
  const body = requestBody[workload];
  if (body === undefined) throw new Error(`unknown workload ${workload}`);
  return `
local json = { ["Content-Type"] = "application/json" }
math.randomseed(12345)
local function key() return string.format("bench-%07d", math.random(0, ${KEY_COUNT - 1})) end
local function value() return '{"n":' .. math.random(0, 999999999) .. ',"tag":"bench"}' end
request = function()
  ${body}
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"rps":%.1f,"p50":%.2f,"p99":%.2f,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;
}
