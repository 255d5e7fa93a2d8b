# test/postgrest/response.jq: what a client of PostgREST 12 sees, from the
# outcome of a replayed request (the RESULT object printed by replay.psql).
# Arguments: $offset (first row of the outer SELECT), $authenticated
# ("true" when the role is not the anon role), $details and $hint (the
# error's DETAIL and HINT lines, "" when none).
# Output, one line each: status, body (compact JSON), headers (compact JSON
# object, lower-cased names), SQLSTATE ("" on success).

# SQLSTATE -> HTTP status (PostgREST 12 Error.hs pgErrorStatus): first match wins.
def error_status($code; $auth; $msg):
  if $code | test("^08") then 503
  elif $code | test("^09") then 500
  elif $code | test("^0[LP]") then 403
  elif $code == "23503" or $code == "23505" then 409
  elif $code == "25006" then 405
  elif $code == "21000" then (if $msg | endswith("requires a WHERE clause") then 400 else 500 end)
  elif $code | test("^25") then 500
  elif $code | test("^28") then 403
  elif $code | test("^(2D|38|39|3B)") then 500
  elif $code | test("^40") then 500
  elif $code == "53400" then 500
  elif $code | test("^53") then 503
  elif $code | test("^5[45]") then 500
  elif $code == "57P01" then 503
  elif $code | test("^(57|58|F0|HV)") then 500
  elif $code == "P0001" then 400
  elif $code | test("^(P0|XX)") then 500
  elif $code == "42883" or $code == "42P01" then 404
  elif $code == "42P17" then 500
  elif $code == "42501" then (if $auth then 403 else 401 end)
  elif $code | test("^PT[0-9]{3}$") then ($code[2:] | tonumber)
  elif $code | test("^PT") then 500
  else 400 end;

def nullify: if . == "" then null else . end;

($offset | tonumber) as $first
| ($authenticated == "true") as $auth
| {"content-type": "application/json; charset=utf-8"} as $base
| if .stage == "ok" then
    # PostgREST's own Content-Range and status, then the function's overrides
    (.total // "*") as $total
    | (if .page_total > 0 then "\($first)-\($first + .page_total - 1)/\($total)" else "*/\($total)" end) as $range
    | (if $total == "*" then 200
       elif $first > $total then 416
       elif .page_total < $total then 206
       else 200 end) as $status
    | ($base + {"content-range": $range}
       + (if .response_headers == null then {}
          else [.response_headers | fromjson | .[] | to_entries[] | {key: (.key | ascii_downcase), value}]
               | from_entries end)) as $headers
    | (if .response_status == null then $status
       else (.response_status | capture("^(?<n>[0-9]+)").n | tonumber) end) as $status
    | $status, (.body | tojson), ($headers | tojson), ""
  elif .stage == "error" then
    error_status(.sqlstate; $auth; .message) as $status
    | $status,
      ({code: .sqlstate, message: .message, details: ($details | nullify), hint: ($hint | nullify)} | tojson),
      ($base + (if $status == 401 then {"www-authenticate": "Bearer"} else {} end) | tojson),
      .sqlstate
  elif .stage == "schema_cache" then
    .status, ({code, message, details: null, hint: null} | tojson), ($base | tojson), ""
  else
    0, ({harness: .} | tojson), ($base | tojson), ""
  end
