#!/usr/bin/env bash
# Installs the Debian packages fieldapp needs, only those that are missing.
#   Qt's runtime libraries (PySide6 wheels bring Qt itself, not these system libraries),
#   a CJK font (fonts-wqy-microhei) so Chinese text renders, poppler-utils (pdftotext,
#   pdffonts, pdftoppm) to read printed sheets back in tests, binutils (objdump, which
#   PyInstaller needs on Linux for tests/frozen/test_frozen.py), Debian's chromium and
#   chromedriver (the web console's browser tests drive them headless; nothing is downloaded
#   at test time), and python3-venv.
set -euo pipefail

packages=(
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0
  fonts-wqy-microhei poppler-utils binutils
  chromium chromium-driver
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "缺少系统软件包：${missing[*]}。请用系统的包管理器安装后重试。" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "需要安装系统软件包：${missing[*]}，但当前用户不是 root 且没有 sudo。" >&2
    exit 1
  fi
fi
echo "安装系统软件包：${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
