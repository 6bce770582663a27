-- wrk script for bench/teams.py: every request logs a visit with `POST /api/v1/visits/`.
-- VISIT_PAIRS names a file of "token customer-code" lines, each a manager's API token and a customer on that
-- manager's team; requests rotate over them, each wrk thread starting at its own offset. Anything but a 2xx
-- answer is counted as an error; `done` prints one line "WRK_JSON {...}" with the figures.

local pairs_file = os.getenv("VISIT_PAIRS")
local visit_pairs = {}
for line in io.lines(pairs_file) do
    local token, code = line:match("^(%S+)%s+(%S+)$")
    if token then
        visit_pairs[#visit_pairs + 1] = { token, code }
    end
end

local kinds = { "onsite", "onsite", "phone", "online" }
local threads = {}
local counter = 0
-- Globals, so that `done` can read them from each thread (thread:get).
answered, non_2xx, statuses = 0, 0, {}

function setup(thread)
    thread:set("offset", #threads * 7919)
    threads[#threads + 1] = thread
end

function init(args)
    counter = offset
end

function request()
    counter = counter + 1
    local pair = visit_pairs[counter % #visit_pairs + 1]
    local body = string.format(
        '{"customer": "%s", "kind": "%s", "summary": "电话回访客户，确认专线使用情况（%d）。"}',
        pair[2],
        kinds[counter % #kinds + 1],
        counter
    )
    return wrk.format("POST", nil, {
        ["Authorization"] = "Token " .. pair[1],
        ["Content-Type"] = "application/json",
        -- What the TLS-terminating proxy in front of production sends (SECURE_PROXY_SSL_HEADER).
        ["X-Forwarded-Proto"] = "https",
    }, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status < 200 or status > 299 then
        non_2xx = non_2xx + 1
        statuses[status] = (statuses[status] or 0) + 1
        if non_2xx <= 3 then
            io.stderr:write(string.format("HTTP %d: %s\n", status, body:sub(1, 300)))
        end
    end
end

function done(summary, latency, requests)
    local total_answered, total_non_2xx, by_status = 0, 0, {}
    for _, thread in ipairs(threads) do
        total_answered = total_answered + thread:get("answered")
        total_non_2xx = total_non_2xx + thread:get("non_2xx")
        for status, n in pairs(thread:get("statuses")) do
            by_status[#by_status + 1] = string.format('"%d": %d', status, n)
        end
    end
    local errors = summary.errors
    io.write(string.format(
        'WRK_JSON {"requests": %d, "answered": %d, "non_2xx": %d, "non_2xx_by_status": {%s}, '
            .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "duration_s": %.2f, '
            .. '"requests_per_s": %.1f, "p50_ms": %.1f, "p90_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, '
            .. '"max_ms": %.1f}\n',
        summary.requests,
        total_answered,
        total_non_2xx,
        table.concat(by_status, ", "),
        errors.connect,
        errors.read,
        errors.write,
        errors.timeout,
        summary.duration / 1e6,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000,
        latency:percentile(90) / 1000,
        latency:percentile(95) / 1000,
        latency:percentile(99) / 1000,
        latency.max / 1000
    ))
end
