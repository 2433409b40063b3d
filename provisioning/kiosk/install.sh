#!/usr/bin/env bash
# Set up a Raspberry Pi OS (bookworm) machine as an Okienko hub or appliance kiosk:
#   install.sh [--root DIR] [--dry-run] hub
#   install.sh [--root DIR] [--dry-run] appliance [NAME]     (NAME: default "appliance")
# Installs the systemd units (a hub: also a nightly backup timer), the kiosk environment, Kivy's settings, turns console blanking
# off (consoleblank=0 in cmdline.txt) and enables the services. Safe to run again: every step
# looks first and changes only what differs; files an operator edits (okienko.env, Kivy's
# config.ini) are created once and then left alone.
#   --root DIR   install into DIR instead of / (an image being prepared, or a test): no user
#                is created and systemd is not told, the unit links are made all the same
#   --dry-run    print what would change, change nothing
# Okienko itself is expected in /opt/okienko (a clone, then `./bootstrap setup`).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT=/
DRY=0
KIND=
NAME=appliance
USER_NAME=okienko

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || usage; ROOT="$2"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage ;;
    hub|appliance) KIND="$1"; shift
      if [ "$KIND" = appliance ] && [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then NAME="$1"; shift; fi ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$KIND" ] || usage
case "$NAME" in *[!a-z0-9_-]*|"") echo "install.sh: bad name '$NAME'" >&2; exit 2 ;; esac
[ -d "$ROOT" ] || { echo "install.sh: --root $ROOT is not a directory" >&2; exit 2; }
ROOT="$(cd "$ROOT" && pwd)"
R="${ROOT%/}"   # prefix for paths; empty for the real root

say() { printf '%s %s\n' "$([ "$DRY" = 1 ] && echo would || echo '->')" "$*"; }
do_() { if [ "$DRY" = 0 ]; then "$@"; fi; }

# A file of ours: written when missing or different, with its mode.
put() {
  local src="$1" dst="$R$2" mode="$3"
  if [ -f "$dst" ] && cmp -s "$src" "$dst" && [ "$(stat -c %a "$dst")" = "$mode" ]; then
    return
  fi
  say "install $2 (mode $mode)"
  do_ install -D -m "$mode" "$src" "$dst"
}

# A file the operator may edit: written only when missing.
seed() {
  local src="$1" dst="$R$2" mode="$3"
  [ -e "$dst" ] && return
  say "create $2 (yours to edit from now on)"
  do_ install -D -m "$mode" "$src" "$dst"
}

# What `systemctl enable` does: a link in the target's .wants directory.
enable() {
  local unit="$1" template="${2:-$1}" target="${3:-multi-user.target}"
  local link="$R/etc/systemd/system/$target.wants/$unit"
  local to="/etc/systemd/system/$template"
  [ "$(readlink "$link" 2>/dev/null)" = "$to" ] && return
  say "enable $unit"
  do_ mkdir -p "$(dirname "$link")"
  do_ ln -sfn "$to" "$link"
}

# The nightly backups' folder: the hub's user writes it, nobody else reads it. A mount point
# for a USB stick or a share is fine: only the owner and mode are set.
backup_dir() {
  local d="$R/var/backups/okienko"
  if [ ! -d "$d" ]; then
    say "create /var/backups/okienko (mode 700)"
    do_ install -d -m 700 "$d"
  fi
  if [ -z "$R" ] && [ "$DRY" = 0 ] && id "$USER_NAME" >/dev/null 2>&1 \
    && [ "$(stat -c %U "$d")" != "$USER_NAME" ]; then
    say "give /var/backups/okienko to $USER_NAME"
    chown "$USER_NAME:$USER_NAME" "$d"
  fi
}

ensure_user() {
  if [ -n "$R" ]; then
    return  # a user belongs to the running system: created when installing onto /
  fi
  local groups=
  if [ "$KIND" = appliance ]; then
    groups=$(for g in video render input audio lp dialout; do
      getent group "$g" >/dev/null && printf '%s,' "$g"; done)
  fi
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    say "create system user $USER_NAME"
    do_ useradd --system --home-dir /var/lib/okienko --no-create-home \
      --shell /usr/sbin/nologin "$USER_NAME"
  fi
  if [ -n "$groups" ]; then
    local missing=
    for g in ${groups//,/ }; do
      id -nG "$USER_NAME" 2>/dev/null | tr ' ' '\n' | grep -qx "$g" || missing="$missing,$g"
    done
    if [ -n "$missing" ]; then
      say "add $USER_NAME to groups ${missing#,}"
      do_ usermod -a -G "${missing#,}" "$USER_NAME"
    fi
  fi
}

# Console blanking off: the kernel blanks the text console after 10 minutes by default, which
# is what a screen shows while its service restarts.
no_blanking() {
  local f=
  for c in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    if [ -f "$R$c" ]; then f="$c"; break; fi
  done
  if [ -z "$f" ]; then
    say "skip consoleblank=0: no /boot/firmware/cmdline.txt (not a Raspberry Pi?)"
    return
  fi
  local line
  line="$(head -n1 "$R$f")"
  case " $line " in *" consoleblank=0 "*) return ;; esac
  say "set consoleblank=0 in $f"
  if [ "$DRY" = 0 ]; then
    # cmdline.txt is one line; replace another consoleblank value or append ours.
    local new
    new="$(printf '%s\n' "$line" | sed -E 's/(^| )consoleblank=[^ ]*//g; s/ +$//')"
    printf '%s consoleblank=0\n' "$new" > "$R$f.okienko-tmp"
    mv "$R$f.okienko-tmp" "$R$f"
  fi
}

ensure_user
put "$HERE/okienko-broker.service" /etc/systemd/system/okienko-broker.service 644
put "$HERE/okienko-hub.service" /etc/systemd/system/okienko-hub.service 644
put "$HERE/okienko-appliance@.service" /etc/systemd/system/okienko-appliance@.service 644
if [ "$KIND" = hub ]; then
  put "$HERE/okienko-hub-backup.service" /etc/systemd/system/okienko-hub-backup.service 644
  put "$HERE/okienko-hub-backup.timer" /etc/systemd/system/okienko-hub-backup.timer 644
  seed "$HERE/okienko.env" /etc/okienko/okienko.env 644
  backup_dir
  enable okienko-broker.service
  enable okienko-hub.service
  enable okienko-hub-backup.timer okienko-hub-backup.timer timers.target
else
  put "$HERE/kiosk.env" /etc/okienko/kiosk.env 644
  seed "$HERE/kivy-config.ini" /var/lib/okienko/kivy/config.ini 644
  enable "okienko-appliance@$NAME.service" "okienko-appliance@.service"
  no_blanking
fi
if [ -z "$R" ] && [ "$DRY" = 0 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
if [ "$KIND" = appliance ] && [ ! -e "$R/etc/okienko/$NAME.toml" ]; then
  echo "next: okienko provision install BUNDLE --name $NAME (the bundle from the hub)"
fi
