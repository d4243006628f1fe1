#!/usr/bin/env bash
# timeout: 60
# -v shows the agents' warnings on stderr, as docs/cli.md says (before, only -vv did, by
# copying every line of the agents' logs); without -v they stay in the agents' logs.
source "$(dirname "$0")/../lib.sh"
start_server tgt target
cd "$TEST_DIR"
cat >v.yaml <<YAML
name: verbose
target: http://127.0.0.1:$tgt_PORT
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: "/?x={{ 1 / random_int(0, 0) }}" }
      - think: 100ms
agents: { local: 1 }
report: { interval: 1s }
YAML
"$BARRAGE" run -v v.yaml --out v >v.out 2>v.err || { cat v.err; fail "run -v failed"; }
assert_json v/summary.json '.errors.error_render > 0' "the render error is counted"
grep -q '^\[ *[0-9]*s\] agent local-1: warning: v.yaml:7:9: request GET .* failed to render' v.err ||
  { cat v.err; fail "-v does not show the agent's warning"; }
"$BARRAGE" run v.yaml --out q >q.out 2>q.err || { cat q.err; fail "run failed"; }
grep -q 'agent local-1: warning' q.err && fail "agent warning shown without -v"
grep -q 'warning: v.yaml:7:9' q/agents/local-1.log || fail "the warning is not in the agent's log"
echo "ok: -v shows agent warnings"
