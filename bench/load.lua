-- wrk script of the HTTP loads (bench/teams.py, bench/mixed.py): every request is one of LOAD_KIND's, made as an
-- account manager through the API:
--   list   GET   /api/v1/customers/ (the manager's customers; page 1, a tier, a search, ordered by handset count)
--   open   GET   /api/v1/customers/{code}/
--   visit  POST  /api/v1/visits/ (a visit to the customer)
--   edit   PATCH /api/v1/customers/{code}/ (its address)
-- LOAD_PAIRS names a file of "token customer-code" lines, each a manager's API token and a customer on that manager's
-- team; requests rotate over them, each wrk thread starting at its own offset. Anything but a 2xx answer is counted
-- as an error; `done` prints one line "WRK_JSON {...}" with the figures.

local kind = os.getenv("LOAD_KIND") or "visit"
local load_pairs = {}
for line in io.lines(os.getenv("LOAD_PAIRS")) do
    local token, code = line:match("^(%S+)%s+(%S+)$")
    if token then
        load_pairs[#load_pairs + 1] = { token, code }
    end
end

local visit_kinds = { "onsite", "onsite", "phone", "online" }
local list_queries = { "", "?tier=A", "?tier=B", "?search=%E7%A7%91%E6%8A%80", "?ordering=-handset_count" }
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
    local pair = load_pairs[counter % #load_pairs + 1]
    local headers = {
        ["Authorization"] = "Token " .. pair[1],
        -- What the TLS-terminating proxy in front of production sends (SECURE_PROXY_SSL_HEADER).
        ["X-Forwarded-Proto"] = "https",
    }
    if kind == "list" then
        return wrk.format("GET", "/api/v1/customers/" .. list_queries[counter % #list_queries + 1], headers)
    elseif kind == "open" then
        return wrk.format("GET", "/api/v1/customers/" .. pair[2] .. "/", headers)
    end
    headers["Content-Type"] = "application/json"
    if kind == "edit" then
        local body = string.format('{"address": "成都市高新区天府大道北段%d号"}', counter % 2000 + 1)
        return wrk.format("PATCH", "/api/v1/customers/" .. pair[2] .. "/", headers, body)
    end
    -- An on-site visit checks in (外勤签到) as the phone does: a position in Chengdu and its accuracy, so that the
    -- load pays for the distance and the verification.
    local visit_kind = visit_kinds[counter % #visit_kinds + 1]
    local check_in = ""
    if visit_kind == "onsite" then
        check_in = string.format(
            ', "latitude": %.6f, "longitude": %.6f, "accuracy_m": %d',
            30.5 + (counter % 997) / 2000,
            104.0 + (counter % 991) / 2000,
            10 + counter % 250
        )
    end
    local body = string.format(
        '{"customer": "%s", "kind": "%s", "summary": "电话回访客户，确认专线使用情况（%d）。"%s}',
        pair[2],
        visit_kind,
        counter,
        check_in
    )
    return wrk.format("POST", "/api/v1/visits/", headers, body)
end

function response(status, headers, body)
    answered = answered + 1
    if status < 200 or status > 299 then
        non_2xx = non_2xx + 1
        statuses[status] = (statuses[status] or 0) + 1
        if non_2xx <= 3 then
            io.stderr:write(string.format("%s: HTTP %d: %s\n", kind, status, body:sub(1, 300)))
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
