-- wrk script: POST pre-built messages (one per request, never repeated in a run) and report JSON.
-- usage: wrk -t1 -cN -dS -s post.lua URL -- messages-file soap-action [soap12]
local msgs = {}
local i = 0
local hdrs = {}

init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for m in string.gmatch(data, "(.-)\n@@@@\n") do
    msgs[#msgs + 1] = m
  end
  if args[3] then  -- SOAP 1.2: the action travels in the Content-Type
    hdrs["Content-Type"] = 'application/soap+xml; charset=utf-8; action="' .. args[2] .. '"'
  else
    hdrs["Content-Type"] = "text/xml; charset=utf-8"
    hdrs["SOAPAction"] = '"' .. args[2] .. '"'
  end
end

request = function()
  i = i + 1
  if i > #msgs then i = 1 end
  return wrk.format("POST", nil, hdrs, msgs[i])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "non2xx": %d, "errors": %d, "p50_us": %d, "p99_us": %d, "duration_us": %d}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), summary.duration))
end
