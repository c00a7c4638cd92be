#!/usr/bin/env bash
# The README's test command (`npm test`): brings up what the tests need (Kafka, PostgreSQL,
# Mosquitto, topics), checks lint, format and types, then runs unit, integration and e2e tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm install --no-audit --no-fund
bash deploy/local/up.sh
npm run -s build
node dist/scripts/topics.js
npm run -s lint
npx jest --ci "$@"
