# Sourced by the install scripts: apt_install_missing TAG [apt-get options --] PACKAGE...
# installs, from Debian's archive, those of the packages that dpkg does not list as installed.
# Run as root, or with sudo available. Does nothing when every package is installed.
apt_install_missing() {
  local tag=$1
  shift
  local options=()
  if [[ " $* " == *" -- "* ]]; then
    while [ "$1" != "--" ]; do options+=("$1"); shift; done
    shift
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$tag: all $# packages already installed"
    return 0
  fi
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "$tag: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${options[@]}" "${missing[@]}"
}
