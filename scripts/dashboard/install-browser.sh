#!/usr/bin/env bash
# What the dashboard's browser test needs, from Debian (Debian 12 and later): headless
# Chromium, its WebDriver and Selenium for the system python3. Installs when root; otherwise
# prints the command (the test is then skipped outside CI).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import selenium' 2>/dev/null; } || need+=(python3-selenium)
# A font, so that the screenshots the test writes are readable (--no-install-recommends skips them).
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)

if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install-browser: missing ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
  fi
fi
