#!/usr/bin/env bash
# timeout: 120
# `barrage import tsung` on every example Debian's tsung package ships: the HTTP ones import to
# a scenario `barrage check` accepts, with what could not be mapped named by line; the others
# are refused with "protocol X is not supported" and the session's line. Then hostile and
# broken XML: entities are never expanded (billion laughs), no external DTD or entity is read,
# truncated files and non-Tsung XML are clear errors, and memory stays bounded.
source "$(dirname "$0")/../lib.sh"
ex=/usr/share/doc/tsung/examples
[ -d "$ex" ] || skip "Debian's tsung package is not installed ($ex missing)"
cd "$TEST_DIR"
for f in "$ex"/*.xml "$ex"/*.xml.gz; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .gz)
  case $f in *.gz) zcat "$f" >"$b" ;; *) cp "$f" "$b" ;; esac
done
n_http=0 n_other=0
for f in *.xml; do
  y=${f%.xml}.yaml
  if grep -q 'type="ts_http"' "$f" && ! grep -q 'type="ts_[a-gi-z]' "$f"; then
    "$BARRAGE" import tsung "$f" -o "$y" 2>"$f.err" || { cat "$f.err"; fail "$f: import failed"; }
    "$BARRAGE" -q check "$y" || fail "$f: barrage check refuses the imported scenario"
    # Everything not mapped is named with its line, in the scenario and on stderr, alike.
    a=$(grep -c '# not mapped: line [0-9]' "$y" || true)
    b=$(grep -c "^barrage: import: $f:[0-9]*: not mapped: " "$f.err" || true)
    assert_eq "$a" "$b" "$f: not-mapped comments vs report lines"
    grep -q "^barrage: import: wrote $y (barrage check accepts it)" "$f.err" || fail "$f: no wrote line"
    n_http=$((n_http + 1))
  else
    if "$BARRAGE" import tsung "$f" -o "$y" 2>"$f.err"; then fail "$f: a non-HTTP file was imported"; fi
    grep -Eq "^barrage: $f:[0-9]+:[0-9]+: protocol [a-z]+ is not supported: barrage imports HTTP sessions only" "$f.err" ||
      { cat "$f.err"; fail "$f: no clear protocol error"; }
    [ ! -e "$y" ] || fail "$f: wrote a scenario anyway"
    n_other=$((n_other + 1))
  fi
done
[ "$n_http" -ge 6 ] || fail "only $n_http HTTP examples found"
[ "$n_other" -ge 10 ] || fail "only $n_other non-HTTP examples found"
# Exact errors for two of them.
grep -qx 'barrage: pgsql.xml:25:3: protocol pgsql is not supported: barrage imports HTTP sessions only (session '"'"'pgsql-example'"'"' has type="ts_pgsql")' pgsql.xml.err ||
  { cat pgsql.xml.err; fail "pgsql message"; }
grep -q '^barrage: websocket.xml:19:5: protocol websocket is not supported' websocket.xml.err || fail "websocket message"

# What the simple example becomes, as a plan.
"$BARRAGE" check http_simple.yaml >plan.txt
grep -q 'Galeon' http_simple.yaml || fail "user agent option not mapped"
grep -q 'think: { mean: 20s, distribution: exponential }' http_simple.yaml || fail "random thinktime"
grep -q 'If-Modified-Since' http_simple.yaml || fail "if_modified_since"
grep -q 'arrival_rate: 30/m' http_simple.yaml || fail "interarrival 2 s as a rate"
# setdynvars and subst.
grep -q 'rndint: "{{ random_int(3, 32) }}"' http_setdynvars.yaml || fail "random_number"
grep -q 'url: "/test.html{{ rndint }}&id={{ id1 }}"' http_setdynvars.yaml || fail "subst in url"
grep -q 'title: { regex: "<title>(.*)</title>", default: "" }' http_setdynvars.yaml || fail "dyn_variable re"
grep -q 'not mapped: line 40: <www_authenticate type="digest">' http-digest.yaml || fail "digest named"
grep -q "not mapped: line 48: <setdynvars sourcetype=\"file\" fileid=\"userdb\">: file './src/test/test_file_server.csv' is not readable from here" http_setdynvars.yaml ||
  fail "missing file_server named"
# With the file_server's CSV present (with a header row), it becomes a data set.
mkdir -p src/test sub
printf 'user,user_password\nu1,pw1\n' >src/test/test_file_server.csv
"$BARRAGE" import tsung http_setdynvars.xml -o sub/dyn.yaml 2>/dev/null || fail "import with the CSV"
grep -qF "\"userdb\": \"$(pwd -P)/src/test/test_file_server.csv\"" sub/dyn.yaml || fail "file_server as data"
grep -qF 'set: { user: "{{ userdb.user }}", user_password: "{{ userdb.user_password }}" }' sub/dyn.yaml ||
  fail "setdynvars file as data columns"

# ---- hostile and broken XML ----
cat >laughs.xml <<'XML'
<?xml version="1.0"?>
<!DOCTYPE tsung [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<tsung><sessions><session name="x" type="ts_http"><request><http url="/&g;"/></request></session></sessions></tsung>
XML
if /usr/bin/time -f '%M' -o laughs.rss "$BARRAGE" import tsung laughs.xml 2>laughs.err >/dev/null; then
  fail "billion laughs imported"
fi
grep -qx "barrage: laughs.xml:3:[0-9]*: entity declaration <!ENTITY a ...> refused: entities are never expanded" laughs.err ||
  { cat laughs.err; fail "billion laughs message"; }
# Peak memory stays small (kB; the ASan build's own overhead included): nothing was expanded.
[ "$(tail -1 laughs.rss)" -lt 300000 ] || fail "billion laughs used $(tail -1 laughs.rss) kB"

# An external entity must never be read: the file it names would show up in the output.
echo "SECRET-$$" >secret.txt
cat >xxe.xml <<XML
<?xml version="1.0"?>
<!DOCTYPE tsung [ <!ENTITY x SYSTEM "file://$TEST_DIR/secret.txt"> ]>
<tsung><sessions><session name="x" type="ts_http"><request><http url="/&x;"/></request></session></sessions></tsung>
XML
if "$BARRAGE" import tsung xxe.xml >xxe.out 2>xxe.err; then fail "external entity imported"; fi
grep -q "xxe.xml:2:[0-9]*: entity declaration <!ENTITY x ...> refused" xxe.err || { cat xxe.err; fail "xxe message"; }
! grep -q "SECRET-$$" xxe.out xxe.err || fail "the external entity was read"
# An external DTD is never loaded, even one that exists and defines the entity used.
echo "<!ENTITY y \"SECRET-$$\">" >ext.dtd
cat >extdtd.xml <<XML
<?xml version="1.0"?>
<!DOCTYPE tsung SYSTEM "file://$TEST_DIR/ext.dtd">
<tsung><sessions><session name="x" type="ts_http"><request><http url="/&y;"/></request></session></sessions></tsung>
XML
if "$BARRAGE" import tsung extdtd.xml >ext.out 2>ext.err; then fail "entity from an external DTD imported"; fi
grep -q "extdtd.xml:3:[0-9]*: entity '&y;' is not defined in the file, and external DTDs are never loaded" ext.err ||
  { cat ext.err; fail "external DTD message"; }
! grep -q "SECRET-$$" ext.out ext.err || fail "the external DTD was read"

# Every truncation of a valid file is a clean error naming a position (never a crash).
size=$(wc -c <http_setdynvars.xml)
for cut in 0 1 20 100 400 1000 2000 $((size - 20)) $((size - 12)); do
  head -c "$cut" http_setdynvars.xml >cut.xml
  if "$BARRAGE" import tsung cut.xml >/dev/null 2>cut.err; then fail "truncated at $cut imported"; fi
  grep -Eq '^barrage: cut.xml(:[0-9]+:[0-9]+)?: ' cut.err || { cat cut.err; fail "truncated at $cut: unclear error"; }
done
head -c 1000 http_setdynvars.xml >cut.xml
"$BARRAGE" import tsung cut.xml 2>cut.err && fail "truncated file imported"
grep -qx 'barrage: cut.xml:31:7: not well-formed XML: unclosed token' cut.err || { cat cut.err; fail "truncated file message"; }

# XML that is not Tsung, a missing file, a huge file.
echo '<?xml version="1.0"?><project><build/></project>' >pom.xml
"$BARRAGE" import tsung pom.xml 2>pom.err && fail "non-Tsung XML imported"
grep -qx 'barrage: pom.xml:1:22: not a Tsung configuration: the root element is <project>, expected <tsung>' pom.err ||
  { cat pom.err; fail "non-Tsung message"; }
"$BARRAGE" import tsung missing.xml 2>miss.err && fail "missing file imported"
grep -qx 'barrage: missing.xml: No such file or directory' miss.err || { cat miss.err; fail "missing message"; }
{ echo '<tsung><!--'; head -c 20000000 /dev/zero | tr '\0' 'x'; echo '--></tsung>'; } >huge.xml
/usr/bin/time -f '%M' -o huge.rss "$BARRAGE" import tsung huge.xml 2>huge.err && fail "20 MB XML imported"
grep -qx 'barrage: huge.xml: larger than 16 MiB; not a Tsung configuration' huge.err || { cat huge.err; fail "huge message"; }
[ "$(tail -1 huge.rss)" -lt 300000 ] || fail "huge XML used $(tail -1 huge.rss) kB"
# Options of the other format, and usage errors, exit 2 with a usage text.
set +e
"$BARRAGE" import tsung http_simple.xml --keep-static >/dev/null 2>opt.err; rc=$?
set -e
assert_eq "$rc" 2 "HAR option on a Tsung file"
grep -q 'the HAR options do not apply to a Tsung file' opt.err || fail "option message"
"$BARRAGE" import --help | grep -q '^usage: barrage import har' || fail "import --help"
echo ok
