#!/usr/bin/env bash
# Refresh the translation catalogs after UI strings changed: extract, then merge into each language.
# Vietnamese is the source language; lms/translations/en holds the English translation.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
  --ignore-dirs=.venv --ignore-dirs=tests --ignore-dirs=migrations --ignore-dirs=benchmarks \
  -o lms/translations/messages.pot . >/dev/null
.venv/bin/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching -w 120 >/dev/null
.venv/bin/pybabel compile -d lms/translations --statistics
