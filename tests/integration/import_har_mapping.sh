#!/usr/bin/env bash
# timeout: 60
# `barrage import har` on a hand-written HAR that holds one of everything: entries out of order,
# a data: URL, static assets, a cancelled entry, another host, two pages; a CSRF header, a
# session cookie, a hidden form nonce and JSON ids made by the server and sent back later; a
# generated-looking request id that no response explains; form, JSON and text bodies; browser
# noise headers. The scenario must say all of it, and `barrage check` must accept it.
source "$(dirname "$0")/../lib.sh"
cd "$TEST_DIR"
har=$TESTS_SRC/fixtures/import/shop.har
"$BARRAGE" import har "$har" -o shop.yaml 2>err.txt || { cat err.txt; fail "import"; }
cat shop.yaml err.txt
y=shop.yaml
has() { grep -qF -- "$1" "$y" || fail "missing in the scenario: $1"; }
hasnt() { ! grep -qF -- "$1" "$y" || fail "should not be in the scenario: $1"; }
# Filtering and sorting: the js, png, data: and cancelled entries are gone; the login GET
# (earliest) comes first although the HAR lists the script first.
has '# 7 of 11 entries kept: 2 static dropped (--keep-static keeps them), 1 cancelled, 1 not HTTP, 0 filtered by host.'
hasnt 'app.js'; hasnt 'logo.png'; hasnt '/cancelled'; hasnt 'data:'
assert_eq "$(grep -m1 -o 'url: "[^"]*"' $y)" 'url: "/login"' "first request"
has 'target: "https://shop.test"'
has 'url: "https://tracker.example/pixel?u=1"'
# Pages are transactions; gaps of 500 ms or more are thinks.
has '- transaction: page_1'; has '# page 1: Shop'; has '- transaction: page_2'; has '# page 2: Checkout'
has '- think: 900ms'; has '- think: 3.9s'
# Noise headers dropped; Accept kept; cookies left to the jar.
hasnt 'User-Agent'; hasnt 'Accept-Language'; hasnt 'sec-ch-ua'; hasnt ':authority'; hasnt '"Cookie"'
has '"Accept": "text/html"'
# Correlation: each kind, captured on the first response that held it, templated after.
has 'x_csrf_token: { header: "X-Csrf-Token" }'
has '"X-CSRF": "{{ x_csrf_token }}"'
has 'sid: { cookie: "sid" }'
has 'nonce: { regex: "en\" name=\"nonce\" value=\"([A-Za-z0-9_.~+/=-]+)" }'
has '"nonce": "{{ nonce }}"'
has 'id: { json: "$.order.id" }'
has 'ref: { json: "$.order.ref" }'
has 'url: "/orders/{{ id }}?ref={{ ref }}&session={{ sid }}"'
# Bodies: form (decoded), JSON with a correlated integer as raw text, text, plain JSON.
has '"pass": "s&cret 1"'
has 'body: "{\"id\":{{ id }},\"ref\":\"{{ ref }}\",\"qty\":2}"'
has 'body: "ref {{ ref }} ok"'
has 'json: {"q":"shoes","page":1}'
# Expectations on the recorded status.
has 'status: 302'; has 'status: 201'; has 'status: 204'
# What looks dynamic but was not correlated is said in the scenario and on stderr.
has "# looks dynamic, not correlated: 'a1b2c3d4e5f6a7b8c9d0'"
grep -q "^barrage: import: entry 4 (GET https://shop.test/orders/4711001?ref=ORD-77aa88bb99&session=S3ssion0042xyz): 'a1b2c3d4e5f6a7b8c9d0' looks dynamic but no earlier response held it$" err.txt ||
  fail "dynamic report line"
grep -q '^barrage: import: correlated sid: cookie sid of entry 1 (GET https://shop.test/login), first sent by entry 4$' err.txt ||
  fail "correlation report line"
assert_eq "$(grep -c '^barrage: import: correlated ' err.txt)" 5 "correlated values"
# The user typed 'alice': a value the client sent first is never a capture.
hasnt 'alice }}'
"$BARRAGE" -q check shop.yaml || fail "check refuses the import"

# Options: --keep-static, host filters, --think-min, --keep-user-agent.
"$BARRAGE" import har "$har" --keep-static --exclude-host tracker.example --think-min 2s \
  --keep-user-agent -o opts.yaml 2>/dev/null || fail "import with options"
grep -qF 'url: "/static/app.js"' opts.yaml || fail "--keep-static"
grep -qF 'url: "/img/logo.png"' opts.yaml || fail "--keep-static png"
! grep -qF 'tracker.example/pixel' opts.yaml || fail "--exclude-host"
! grep -qF 'think: 900ms' opts.yaml || fail "--think-min 2s kept a 900 ms think"
grep -qF 'think: 4s' opts.yaml || fail "--think-min dropped the 4 s think (from the kept logo.png)"
grep -qF '"User-Agent": "Mozilla/5.0 Fixture"' opts.yaml || fail "--keep-user-agent"
"$BARRAGE" -q check opts.yaml || fail "check refuses the import with options"
"$BARRAGE" import har "$har" --include-host tracker.example -o only.yaml 2>/dev/null || fail "--include-host"
grep -qF 'target: "https://tracker.example"' only.yaml || fail "--include-host target"
assert_eq "$(grep -c -- '- request:' only.yaml)" 1 "--include-host keeps one request"
# -o refuses to overwrite without --force.
if "$BARRAGE" import har "$har" -o shop.yaml 2>ow.err; then fail "overwrote"; fi
grep -qx 'barrage: import: shop.yaml exists (use --force to overwrite it)' ow.err || { cat ow.err; fail "overwrite message"; }
echo ok
