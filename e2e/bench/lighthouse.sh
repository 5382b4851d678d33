#!/usr/bin/env bash
# Runs Lighthouse 12.2 (from npm, in a scratch folder) against /login and the
# dashboard of a kontor binary on a fresh SQLite database, as a person with eight
# accounts in five currencies (EUR, GBP, USD, BTC, ETH) sees them:
#
#   e2e/bench/lighthouse.sh BINARY [PORT]
#
# Prints the category scores, the transfer size (Lighthouse's total byte weight,
# the page and every asset it loads) and the largest contentful paint of each
# page. Needs node/npm and Chromium (CHROME_PATH, default /usr/bin/chromium);
# prepare.sh installs Chromium. Not part of `go test`: a measurement, not a test.
set -euo pipefail
bin=$1 port=${2:-18090}
work=$(mktemp -d); echo "work folder: $work" >&2
(cd "$work" && npm install --silent --no-audit --no-fund lighthouse@12.2.3 >/dev/null)
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
KONTOR_ADDR=127.0.0.1:$port KONTOR_DATA_DIR=$work KONTOR_SECRET_KEY=lighthouse-secret-0123456789abcdef0123456789 \
  KONTOR_RATE_LIMIT_DISABLED=true KONTOR_LOG_LEVEL=warn "$bin" >"$work/kontor.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
user='{"email":"lh@example.test","password":"correct horse battery"}'
curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"lh@example.test","password":"correct horse battery","name":"Lia Hart"}' >/dev/null
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' -d "$user" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for a in \
  '{"name":"Girokonto","account_type":"checking","currency":"EUR","opening_balance":"2540.10"}' \
  '{"name":"Tagesgeld","account_type":"savings","currency":"EUR","opening_balance":"12000.00"}' \
  '{"name":"UK current","account_type":"checking","currency":"GBP","opening_balance":"830.45"}' \
  '{"name":"US brokerage","account_type":"brokerage","currency":"USD","opening_balance":"45210.33"}' \
  '{"name":"Amex","account_type":"credit_card","currency":"USD","opening_balance":"-234.50"}' \
  '{"name":"Cold wallet","account_type":"crypto","currency":"BTC","opening_balance":"0.12345678"}' \
  '{"name":"Ether","account_type":"crypto","currency":"ETH","opening_balance":"1.123456789012345677"}' \
  '{"name":"Loan","account_type":"loan","currency":"EUR","opening_balance":"-234020.58"}'; do
  curl -sf -X POST "$base/api/v1/accounts" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$a" >/dev/null
done
# Sign in through the login form for a session cookie.
jar=$work/cookies
curl -sf -c "$jar" -b "$jar" "$base/login" -o "$work/login.html"
csrf=$(grep -o 'name="_csrf" value="[^"]*"' "$work/login.html" | head -1 | sed 's/.*value="//;s/"$//')
curl -sf -c "$jar" -b "$jar" -o /dev/null -X POST "$base/login" --data-urlencode "_csrf=$csrf" \
  --data-urlencode email=lh@example.test --data-urlencode 'password=correct horse battery'
cookie=$(awk '!/^#/ || /^#HttpOnly_/ {sub(/^#HttpOnly_/,""); if (NF>=7) printf "%s=%s; ", $6, $7}' "$jar")
flags=(--quiet "--chrome-flags=--headless=new --no-sandbox --disable-gpu"
  --only-categories=performance,accessibility,best-practices --output=json)
"$work/node_modules/.bin/lighthouse" "$base/login" "${flags[@]}" --output-path="$work/login.json"
"$work/node_modules/.bin/lighthouse" "$base/" "${flags[@]}" --extra-headers="{\"Cookie\":\"$cookie\"}" --output-path="$work/dashboard.json"
for page in login dashboard; do
  python3 - "$work/$page.json" "$page" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["audits"]
scores = " ".join(f"{k} {round(v['score'] * 100)}" for k, v in r["categories"].items())
print(f"{sys.argv[2]:10} {r['finalDisplayedUrl']:32} {scores}  transfer {a['total-byte-weight']['numericValue'] / 1024:.1f} KiB  "
      f"LCP {a['largest-contentful-paint']['numericValue']:.0f} ms")
PY
done
