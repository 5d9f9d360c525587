#!/usr/bin/env bash
# Set up digitlab on a fresh Debian machine: the Debian packages the tests use (apt-get), then a
# virtual environment in .venv with digitlab (editable) and its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

DEBIAN_PACKAGES=(
  dataset-fashion-mnist                       # Fashion-MNIST, read from /usr/share/datasets
  fonts-dkg-handwriting fonts-breip fonts-sjfonts fonts-humor-sans fonts-comic-neue fonts-bwht
  fonts-rufscript                             # handwriting fonts for the synthetic test photos
  fonts-yusei-magic fonts-seto fonts-klee fonts-ecolier-court fonts-lobster fonts-leckerli-one
  fonts-nanum-extra fonts-dancingscript fonts-femkeklaver fonts-yozvox-yozfont   # the held-out photo source's writers
  chromium                                    # the real browser of the end-to-end test (via playwright)
  postgresql                                  # the feedback store's tests start a throwaway server (on a socket)
)
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${DEBIAN_PACKAGES[@]}"

python3 -m venv .venv
.venv/bin/pip install -e ".[dev]"
