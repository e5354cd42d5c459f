#!/usr/bin/env bash
# Installs what the interop tier's clients need and is missing: Debian packages (Mono's WCF client and
# compiler, WSS4J and a JDK, Node) and the node `soap` package pinned in interop/node/package-lock.json.
# Called by `make interop`; safe to run again (it only installs what a command or jar check finds missing).
set -euo pipefail
cd "$(dirname "$0")"
APT=(apt-get -o DPkg::Lock::Timeout=900)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

need=()
command -v mcs >/dev/null || need+=(mono-mcs)
command -v mono >/dev/null || need+=(mono-runtime)
[ -e /usr/lib/mono/4.5/System.ServiceModel.dll ] || need+=(libmono-system-servicemodel4.0a-cil)
[ -e /usr/share/java/wss4j.jar ] || need+=(libwss4j-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "interop: installing ${need[*]}"
  $SUDO "${APT[@]}" install -y --no-install-recommends "${need[@]}" \
    || { $SUDO "${APT[@]}" update && $SUDO "${APT[@]}" install -y --no-install-recommends "${need[@]}"; }
fi

# node `soap`, exactly as pinned by the lock file (npm ci refuses a lock that disagrees with package.json).
if [ ! -d node/node_modules/soap ] || [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
  (cd node && npm ci --no-audit --no-fund --loglevel=error)
fi
