#!/usr/bin/env bash
# Regenerates docs/images/report-run.png and docs/images/report-sweep.png (docs/report.md): the
# report of a run and of a seeded sweep of tests/scenarios/synthetic-small.yaml (synthetic data,
# seconds of wall time), each page as headless Chromium shows it 1280 px wide, cut at 5000 px.
#
#   bash tools/scripts/report_screenshots.sh [WORK]     # WORK: runs/report-screenshots
#
# The run: 100 simulated seconds, with two --baseline runs, one without attacker (clean) and one
# without guard and gate (undefended). The sweep: guard.threshold 1, 2, 4 x the attacker's rate
# 0.3, 1 x 3 seeds, 100 simulated seconds each. Needs build/poisonsim (or $POISONSIM) and
# Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=${POISONSIM:-build/poisonsim}
work=${1:-runs/report-screenshots}
scenario=tests/scenarios/synthetic-small.yaml
mkdir -p "$work"
"$P" --log-level warn run "$scenario" -o "$work/run.h5" --force --quiet
"$P" --log-level warn run "$scenario" -o "$work/clean.h5" --force --quiet --set 'attackers=[]'
"$P" --log-level warn run "$scenario" -o "$work/undefended.h5" --force --quiet \
  --set 'guard={type: none}' --set 'gate={type: none}'
"$P" --log-level warn report "$work/run.h5" --baseline "$work/clean.h5" \
  --baseline "$work/undefended.h5" -o "$work/run-report"
"$P" --log-level warn sweep "$scenario" --param guard.threshold=1,2,4 \
  --param attackers.0.arrival.rate=0.3,1 --seeds 3 --set duration=100 -o "$work/sweep.h5" \
  --force --quiet
"$P" --log-level warn report "$work/sweep.h5" -o "$work/sweep-report"

# A screenshot 5000 px tall, then the blank rows under the page's end cut off.
shoot() {
  chromium --headless=new --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$work/chromium-profile" --virtual-time-budget=5000 \
    --window-size=1280,5000 --screenshot="$2" "file://$PWD/$1" 2>"$work/chromium.log"
  /usr/bin/python3 - "$2" <<'EOF'
import sys
from PIL import Image, ImageChops
image = Image.open(sys.argv[1]).convert("RGB")
background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
box = ImageChops.difference(image, background).getbbox()
bottom = min(image.height, box[3] + 24) if box else image.height
image.crop((0, 0, image.width, bottom)).save(sys.argv[1], optimize=True)
EOF
}
shoot "$work/run-report/index.html" docs/images/report-run.png
shoot "$work/sweep-report/index.html" docs/images/report-sweep.png
echo "wrote docs/images/report-run.png and docs/images/report-sweep.png"
