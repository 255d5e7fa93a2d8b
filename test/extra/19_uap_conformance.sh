#!/usr/bin/env bash
# test/extra/19_uap_conformance.sh: the User-Agent matcher against every case
# of uap-core's own conformance files, of the release the extension is built
# from (scripts/uap-core.sh tests: Debian's package of that release, whose
# regexes.yaml is checked to be npm's): test_ua.yaml (family, major, minor,
# patch), test_os.yaml (the same and patch_minor) and test_device.yaml
# (family, brand, model), through the internal
# authsessions.parse_user_agent_raw() (uncached).
#
# Passes when every rule compiles (no WARNING) and every case matches; prints
# the count of each file's cases and the first mismatches.  Needs python3
# with python3-yaml (scripts/packages.txt) and a warm or reachable cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

tests_dir=$(bash scripts/uap-core.sh tests)
tc_createdb trust_uap
tc_psql -c "CREATE EXTENSION authsessions"

# The YAML cases as COPY text: one file per section, \N for an absent field.
python3 - "$tests_dir" "$TC_TMP" <<'PY'
import sys
import yaml

src, dst = sys.argv[1], sys.argv[2]
fields = {
    "ua": ["family", "major", "minor", "patch"],
    "os": ["family", "major", "minor", "patch", "patch_minor"],
    "device": ["family", "brand", "model"],
}


def copy_text(v):
    if v is None:
        return "\\N"
    v = str(v)
    return (v.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


for name, keys in fields.items():
    with open("%s/test_%s.yaml" % (src, name), encoding="utf-8") as f:
        cases = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["test_cases"]
    with open("%s/%s.tsv" % (dst, name), "w", encoding="utf-8") as out:
        for n, case in enumerate(cases, 1):
            row = [str(n), case["user_agent_string"]] + [case.get(k) for k in keys]
            out.write("\t".join(copy_text(v) for v in row) + "\n")
PY

# First call: compiles the rules; a rule PCRE2 refuses is a WARNING.
warnings=$(tc_psql -c "SELECT authsessions.parse_user_agent_raw('x') IS NOT NULL" 2>&1 >/dev/null || true)
tc_check "every rule of regexes.yaml compiles with PCRE2" eq "$warnings" ""

tc_psql >"$TC_TMP/report" <<SQL
CREATE TABLE ua (n int, agent text, family text, major text, minor text, patch text);
CREATE TABLE os (n int, agent text, family text, major text, minor text, patch text, patch_minor text);
CREATE TABLE device (n int, agent text, family text, brand text, model text);
\\copy ua FROM '$TC_TMP/ua.tsv'
\\copy os FROM '$TC_TMP/os.tsv'
\\copy device FROM '$TC_TMP/device.tsv'
-- what the matcher says: {ua family..patch, os family..patch_minor, device family, brand, model}
CREATE TABLE got AS
SELECT DISTINCT agent, authsessions.parse_user_agent_raw(agent) AS r
  FROM (SELECT agent FROM ua UNION SELECT agent FROM os UNION SELECT agent FROM device) a;
CREATE TABLE mismatch AS
SELECT 'ua' AS file, n, agent, ARRAY[family, major, minor, patch] AS expected, r[1:4] AS actual
  FROM ua JOIN got USING (agent) WHERE ARRAY[family, major, minor, patch] IS DISTINCT FROM r[1:4]
UNION ALL
SELECT 'os', n, agent, ARRAY[family, major, minor, patch, patch_minor], r[5:9]
  FROM os JOIN got USING (agent) WHERE ARRAY[family, major, minor, patch, patch_minor] IS DISTINCT FROM r[5:9]
UNION ALL
SELECT 'device', n, agent, ARRAY[family, brand, model], r[10:12]
  FROM device JOIN got USING (agent) WHERE ARRAY[family, brand, model] IS DISTINCT FROM r[10:12];
-- cases counted through the join: an agent the matcher skipped counts as missing
SELECT format('cases %s %s %s', (SELECT count(*) FROM ua JOIN got USING (agent)),
              (SELECT count(*) FROM os JOIN got USING (agent)), (SELECT count(*) FROM device JOIN got USING (agent)));
SELECT format('mismatches %s %s %s', count(*) FILTER (WHERE file = 'ua'), count(*) FILTER (WHERE file = 'os'),
              count(*) FILTER (WHERE file = 'device')) FROM mismatch;
SELECT format('  %s #%s %s: expected %s, got %s', file, n, agent, expected, actual)
  FROM (SELECT * FROM mismatch ORDER BY file, n LIMIT 30) m;
SQL

read -r _ n_ua n_os n_device < <(grep '^cases ' "$TC_TMP/report")
read -r _ m_ua m_os m_device < <(grep '^mismatches ' "$TC_TMP/report")
echo "cases: test_ua.yaml $n_ua, test_os.yaml $n_os, test_device.yaml $n_device"
grep '^  ' "$TC_TMP/report" || true
tc_check "test_ua.yaml: the file has cases" ge "$n_ua" 1000
tc_check "test_os.yaml: the file has cases" ge "$n_os" 400
tc_check "test_device.yaml: the file has cases" ge "$n_device" 10000
tc_check "test_ua.yaml: every case (family, major, minor, patch)" eq "$m_ua" 0
tc_check "test_os.yaml: every case (family, major, minor, patch, patch_minor)" eq "$m_os" 0
tc_check "test_device.yaml: every case (family, brand, model)" eq "$m_device" 0
tc_summary
