#!/usr/bin/env bash
# timeout: 90
# A Tsung session imported and run: a login whose JSON token is taken by a dyn_variable, subst
# headers that send it back, a regex dyn_variable tested by <if> (one branch taken, one not),
# a <for> loop, a <repeat> ... <while>, setdynvars and a transaction. The target's --record log
# must hold exactly the requests the Tsung session describes, per user, with that user's token.
source "$(dirname "$0")/../lib.sh"
start_server tg target --record "$TEST_DIR/record.jsonl"
cat >"$TEST_DIR/shop.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE tsung SYSTEM "/usr/share/tsung/tsung-1.0.dtd">
<tsung loglevel="notice" version="1.0">
  <clients><client host="localhost" use_controller_vm="true" maxusers="40"/></clients>
  <servers><server host="127.0.0.1" port="$tg_PORT" type="tcp"/></servers>
  <load>
    <arrivalphase phase="1" duration="2" unit="second"><users arrivalrate="5" unit="second"/></arrivalphase>
  </load>
  <sessions>
    <session name="shop" probability="100" type="ts_http">
      <setdynvars sourcetype="random_number" start="100" end="999"><var name="n"/></setdynvars>
      <transaction name="login">
        <request subst="true">
          <dyn_variable name="token" jsonpath="token"/>
          <http url="/login" method="POST" content_type="application/json"
                contents='{"user":"u%%_n%%","password":"pw-u%%_n%%"}'/>
        </request>
      </transaction>
      <request subst="true">
        <dyn_variable name="balance" re="&quot;balance&quot;:([0-9]+)"/>
        <http url="/balance?balance=3" method="GET">
          <http_header name="Authorization" value="Bearer %%_token%%"/>
        </http>
      </request>
      <thinktime value="0.05"/>
      <for from="1" to="2" incr="1" var="i">
        <request subst="true"><http url="/items?id=%%_i%%" method="GET"/></request>
      </for>
      <repeat name="again" max="5">
        <request><http url="/items" method="GET"/></request>
        <while var="balance" eq="never"/>
      </repeat>
      <if var="balance" eq="3">
        <request subst="true">
          <http url="/write" method="POST" content_type="application/json" contents='{"n":"%%_n%%"}'>
            <http_header name="Authorization" value="Bearer %%_token%%"/>
            <http_header name="X-User" value="u%%_n%%"/>
          </http>
        </request>
      </if>
      <if var="balance" neq="3">
        <request><http url="/never" method="GET"/></request>
      </if>
    </session>
  </sessions>
</tsung>
XML
cd "$TEST_DIR"
"$BARRAGE" import tsung shop.xml -o shop.yaml 2>import.err || { cat import.err; fail "import"; }
cat shop.yaml
grep -q 'shop.xml: 1 session, 6 requests, 0 things not mapped' import.err || { cat import.err; fail "import summary"; }
"$BARRAGE" -q run shop.yaml --out run --local 1 --set report.interval=1s >run.out 2>&1 || { cat run.out; fail "run failed"; }
s=run/summary.json
r=record.jsonl
users=$(json "$s" '.counters.users_count')
[ "$users" -ge 2 ] || fail "only $users users"
assert_json "$s" ".counters.finish_users_count == $users" "every session finished"
assert_json "$s" ".stats.tr_login.count == $users" "one login transaction per user"
assert_json "$s" '(.errors | length) == 0' "no errors"
# Six requests per user: login, balance, items?id=1, items?id=2, items (repeat once), write.
assert_eq "$(wc -l <"$r" | tr -d ' ')" "$((users * 6))" "requests recorded"
jq -s -e --argjson n "$users" '
  [.[] | select(.url == "/login") | .body | fromjson] as $l
  | ($l | length) == $n and all($l[]; .password == "pw-" + .user)' "$r" >/dev/null ||
  fail "logins do not carry the subst user and password"
# Per token: the sequence the Tsung session describes, and the write carries the same user.
jq -s -e --argjson n "$users" '
  [.[] | select(.url != "/login" and (.headers.authorization // "") != "")] as $auth
  | ($auth | group_by(.headers.authorization) | length) == $n
  and all($auth[] | select(.url == "/write"); .headers["x-user"] == "u" + (.body | fromjson | .n))
  and ([.[] | select(.url == "/never")] | length) == 0' "$r" >/dev/null ||
  fail "per-user requests differ from the Tsung session"
jq -s -e '
  [.[] | .method + " " + .url] | group_by(.) | map({(.[0]): length}) | add
  | .["GET /items?id=1"] == .["POST /login"] and .["GET /items?id=2"] == .["POST /login"]
    and .["GET /items"] == .["POST /login"] and .["POST /write"] == .["POST /login"]
    and .["GET /balance?balance=3"] == .["POST /login"]' "$r" >/dev/null ||
  fail "request counts per URL differ"
# Tokens came from the responses: every Authorization is one the target issued (tok-N-...).
jq -s -e 'all(.[] | select(.headers.authorization); .headers.authorization | test("^Bearer tok-[0-9]+-[0-9a-f]{16}$"))' "$r" >/dev/null ||
  fail "an Authorization header does not hold a captured token"
echo ok
