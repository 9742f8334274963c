#!/usr/bin/env bash
# Translations (Flask-Babel). Vietnamese is the source language (msgids) and the
# default locale; English lives in onestop/translations/en/LC_MESSAGES/messages.po.
#
#   bash scripts/i18n.sh extract   # code + templates -> onestop/translations/messages.pot
#   bash scripts/i18n.sh update    # extract, then merge new msgids into the English .po
#   bash scripts/i18n.sh todo      # list msgids without an English translation (exit 1 if any)
#   bash scripts/i18n.sh compile   # .po -> .mo (the .mo is committed: no build step at deploy)
#   bash scripts/i18n.sh all       # update + compile + todo
#
# Runtime-only labels (menu entries, error titles passed as variables) are marked
# in onestop/translations/runtime_strings.py so that extraction sees them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
DIR=onestop/translations
POT=$DIR/messages.pot
KEYWORDS=(-k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k _l -k N_ -k pgettext:1c,2 -k lazy_ngettext:1,2)

extract() {
  # --ignore-dirs: Babel skips "_*" folders by default, which would miss templates/_partials and _macros.
  $PYBABEL -q extract -F babel.cfg "${KEYWORDS[@]}" --ignore-dirs ".* __pycache__" --no-location --sort-output \
    --project onestop --copyright-holder "onestop" --msgid-bugs-address "" \
    -o "$POT" --omit-header .
  # --omit-header drops the charset line that pybabel update needs: put a minimal header back.
  .venv/bin/python - "$POT" <<'PY'
import sys
p = sys.argv[1]
body = open(p, encoding="utf-8").read()
head = ('msgid ""\nmsgstr ""\n"Project-Id-Version: onestop\\n"\n"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
        '"Language: vi\\n"\n\n')
open(p, "w", encoding="utf-8").write(head + body.lstrip())
PY
  echo "extracted $(grep -c '^msgid "' "$POT") msgids -> $POT"
}

update() {
  extract
  if [ -f "$DIR/en/LC_MESSAGES/messages.po" ]; then
    $PYBABEL -q update -i "$POT" -d "$DIR" -l en --no-fuzzy-matching --ignore-obsolete --width 100
  else
    $PYBABEL -q init -i "$POT" -d "$DIR" -l en
  fi
  echo "updated $DIR/en/LC_MESSAGES/messages.po"
}

compile_() {
  $PYBABEL compile -d "$DIR" --statistics
}

todo() {
  .venv/bin/python - "$DIR/en/LC_MESSAGES/messages.po" <<'PY'
import sys
from babel.messages.pofile import read_po
with open(sys.argv[1], "rb") as f:
    cat = read_po(f)
missing = [m.id for m in cat if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
for mid in missing:
    print(mid if isinstance(mid, str) else mid[0])
print(f"{len(missing)} untranslated", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
}

case "${1:-all}" in
  extract) extract ;;
  update) update ;;
  compile) compile_ ;;
  todo) todo ;;
  all) update; compile_; todo ;;
  *) echo "usage: $0 extract|update|compile|todo|all" >&2; exit 2 ;;
esac
