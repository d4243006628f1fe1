#!/usr/bin/env bash
# timeout: 120
# Tsung's own tsung_stats.pl reads our tsung.log and finds the same Main Statistics and
# Transactions figures as our report.html, to the precision Tsung displays: highest and lowest
# 10sec mean, Highest Rate, Mean Rate, Mean and Count; and the same HTTP code and error totals.
# Runs on the small hand-checked fixture and on a 30-interval run with a gap.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
TSUNG_STATS=${TSUNG_STATS:-}
for c in /usr/lib/x86_64-linux-gnu/tsung/bin/tsung_stats.pl /usr/lib/tsung/bin/tsung_stats.pl \
         "$(command -v tsung_stats 2>/dev/null || true)"; do
  [ -z "$TSUNG_STATS" ] && [ -n "$c" ] && [ -f "$c" ] && TSUNG_STATS=$c
done
[ -n "$TSUNG_STATS" ] || skip "tsung_stats.pl not found (Debian package tsung)"
perl -MTemplate -e1 2>/dev/null || skip "perl Template module missing (libtemplate-perl)"

# name|highest 10sec mean|lowest 10sec mean|Highest Rate|Mean Rate|Mean|Count, one per row of
# the Main Statistics and Transactions tables of a Tsung report.html.
tsung_rows() {
  perl -0ne '
    s/\s+/ /g;
    while (/<tr> ?<td class="stats">([^<]+?) ?<\/td>((?: ?<td class="stats">[^<]*<\/td>){6}) ?<\/tr>/g) {
      my ($n, $cells) = ($1, $2);
      my @c = ($cells =~ /<td class="stats">([^<]*)<\/td>/g);
      s/^\s+|\s+$//g for @c;
      print join("|", $n, @c), "\n";
    }' "$1"
}
# Same row from our report.html.
our_row() {
  local h=$1 n=$2 out=$n k v
  for k in highest_10sec_mean lowest_10sec_mean highest_rate mean_rate mean count; do
    v=$(grep -o "data-cell=\"$n.$k\">[^<]*" "$h" | head -1 | sed 's/^[^>]*>//')
    out="$out|$v"
  done
  echo "$out"
}

compare_run() {
  local fixture=$1 run=$TEST_DIR/$1 ts=$TEST_DIR/$1-tsung
  mkdir -p "$run" "$ts"
  cp "$TESTS_SRC/fixtures/runs/$fixture/stats.log" "$run/"
  "$BARRAGE" report -q "$run" >/dev/null 2>&1 || true
  [ -s "$run/tsung.log" ] || fail "$fixture: no tsung.log"
  cp "$run/tsung.log" "$ts/"
  (cd "$ts" && perl "$TSUNG_STATS" --noplot >tsung_stats.out 2>&1) || { cat "$ts/tsung_stats.out"; fail "tsung_stats.pl failed"; }
  [ -s "$ts/report.html" ] || fail "tsung_stats.pl wrote no report.html"
  tsung_rows "$ts/report.html" >"$ts/rows.txt"
  local nrows; nrows=$(wc -l <"$ts/rows.txt")
  [ "$nrows" -ge 4 ] || { cat "$ts/rows.txt"; fail "$fixture: Tsung's report has $nrows statistic rows"; }
  local n mx mn hr mr me ct ours t
  while IFS='|' read -r n mx mn hr mr me ct; do
    ours=$(our_row "$run/report.html" "$n")
    # Tsung prints Highest Rate as a raw number ("4 / sec", "0.4 / sec"); we print 2 decimals.
    hr=$(printf '%.2f / sec' "$(echo "$hr" | sed 's| / sec||')")
    t="$n|$mx|$mn|$hr|$mr|$me|$ct"
    echo "tsung: $t"
    echo "ours:  $ours"
    [ "$t" = "$ours" ] || fail "$fixture: $n differs from Tsung"
  done <"$ts/rows.txt"
  # HTTP return codes and errors: Tsung's Total number equals our totals.
  for code in $(jq -r '.http_status | keys[]' "$run/summary.json"); do
    want=$(jq -r ".http_status[\"$code\"]" "$run/summary.json")
    got=$(perl -0ne 's/\s+/ /g; print $1 if /<td class="stats">'"$code"' ?<\/td> ?<td class="stats">[^<]*<\/td> ?<td class="stats">[^<]*<\/td> ?<td class="stats">(\d+) ?<\/td>/' "$ts/report.html")
    assert_eq "$got" "$want" "$fixture: HTTP $code total"
  done
}

compare_run basic
compare_run large
echo "Tsung agrees"
