#!/usr/bin/env bash
# Installs Livepost as a systemd service: a `livepost` system user, the data folder, the jar and a
# posts folder outside /home, and the unit /etc/systemd/system/livepost.service. Idempotent: what
# is already as wanted is left alone, and a second run says there was nothing to change.
#
#   scripts/install-service.sh [--dry-run] [--root DIR] [--port N] [--posts DIR] [--data DIR]
#                              [--java PATH] [--jar PATH]
#
#   --dry-run   print what would change and the unit, change nothing
#   --root DIR  install under DIR instead of / (for tests and images): no user is created and
#               nothing is chowned or reloaded; the unit's paths stay the real ones
# The launcher (`./livepost install-service`) passes --java and --jar.
set -euo pipefail

say() { printf 'livepost: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY=0; ROOTDIR=""; PORT=8080; JAVA=""; JAR="$REPO/target/livepost.jar"
POSTS=/srv/livepost/posts; DATA=/var/lib/livepost; APPDIR=/opt/livepost; USER_NAME=livepost
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --root) ROOTDIR="${2:?--root needs a folder}"; shift ;;
    --port) PORT="${2:?--port needs a number}"; shift ;;
    --posts) POSTS="${2:?--posts needs a folder}"; shift ;;
    --data) DATA="${2:?--data needs a folder}"; shift ;;
    --java) JAVA="${2:?--java needs a path}"; shift ;;
    --jar) JAR="${2:?--jar needs a path}"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "install-service: unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] \
  || die "install-service: --port must be 1..65535, not '$PORT'"
for d in "$POSTS" "$DATA"; do
  case "$d" in
    /home/*|/root/*|/run/user/*) die "install-service: $d is hidden from the service (ProtectHome=yes); choose a folder outside /home, /root and /run/user" ;;
    /*) ;;
    *) die "install-service: '$d' must be an absolute path" ;;
  esac
done
if [ -z "$ROOTDIR" ] && [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "install-service must run as root: sudo ./livepost install-service (or --dry-run to see what it would do)"
fi
if [ -z "$JAVA" ]; then JAVA="$(command -v java || true)"; fi
# Kept as found (/usr/bin/java stays valid across JDK upgrades), but it must be absolute.
case "$JAVA" in /*) ;; *) JAVA="$(command -v "$JAVA" || true)" ;; esac
[ -n "$JAVA" ] && [ -x "$JAVA" ] || die "install-service: no java found; give --java PATH"
[ -f "$JAR" ] || die "install-service: no jar at $JAR; build it first (./livepost install-service builds it)"

R="${ROOTDIR%/}"
UNIT="$R/etc/systemd/system/livepost.service"
changed=()

# NoNewPrivileges=yes makes setuid programs powerless, newuidmap and newgidmap among them. Where
# the livepost user has subordinate ids (/etc/subuid and /etc/subgid) and both are installed, the
# server uses them to give each sandbox a uid of its own, so the flag is left off; the sandboxes
# set no_new_privs for themselves either way.
subids=1
for f in subuid subgid; do
  [ -r "$R/etc/$f" ] && grep -q "^$USER_NAME:" "$R/etc/$f" || subids=0
done
for tool in newuidmap newgidmap; do
  command -v "$tool" >/dev/null 2>&1 || subids=0
done
if [ "$subids" -eq 1 ]; then
  nnp="# $USER_NAME has subordinate ids in /etc/subuid and /etc/subgid: newuidmap and newgidmap
# (setuid) must work to give each sandbox a uid of its own, which NoNewPrivileges=yes prevents.
NoNewPrivileges=no"
else
  nnp="# Without subordinate ids for $USER_NAME (/etc/subuid, /etc/subgid) nothing here needs setuid;
# add them and run install-service again, and it leaves this off so newuidmap can work.
NoNewPrivileges=yes"
fi

unit="$(cat <<UNIT
# Written by ./livepost install-service; run it again after changing its options.
[Unit]
Description=Livepost: a blog with runnable code
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
User=$USER_NAME
Group=$USER_NAME
# Settings (LIVEPOST_*, ANTHROPIC_API_KEY) go in /etc/livepost.env, one VAR=value a line.
Environment=LIVEPOST_HOST=127.0.0.1
Environment=LIVEPOST_PORT=$PORT
Environment=LIVEPOST_TRUSTED_PROXIES=127.0.0.1,::1
EnvironmentFile=-/etc/livepost.env
ExecStart=$JAVA -Dlivepost.home=$APPDIR -jar $APPDIR/livepost.jar serve --posts $POSTS --data $DATA
WorkingDirectory=$DATA
# The server makes its sandboxes' cgroups inside its own subtree.
Delegate=yes
$nnp
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=$DATA
# SIGTERM to the server alone: it ends open streams, lets runs finish for 10 s, interrupts the
# rest, stops its sandboxes and exits 0; whatever is left is killed after TimeoutStopSec.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
)"

act() { # act DESCRIPTION COMMAND...: run it (unless --dry-run) and remember that it changed
  changed+=("$1")
  if [ "$DRY" -eq 1 ]; then say "would $1"; else "${@:2}"; say "$1"; fi
}

# The user.
if [ -n "$R" ]; then
  : # a folder, not a system: no user to make
elif ! id -u "$USER_NAME" >/dev/null 2>&1; then
  act "create the system user $USER_NAME" \
    useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi

# Folders: the data folder is the service's own; the jar and posts are root's, read by the service.
ensure_dir() { # ensure_dir PATH MODE OWNER:GROUP (the owner only on a real system, not --root)
  local p="$R$1" own=()
  [ -z "$R" ] && own=(-o "${3%%:*}" -g "${3##*:}")
  if [ ! -d "$p" ]; then
    local what="mode $2"; [ -z "$R" ] && what="$what, owner $3"
    act "create $1 ($what)" install -d -m "$2" "${own[@]}" "$p"
    return
  fi
  if [ "$(stat -c %a "$p")" != "$2" ]; then
    act "set the mode of $1 to $2" chmod "$2" "$p"
  fi
  if [ -z "$R" ] && [ "$(stat -c %U:%G "$p")" != "$3" ]; then
    act "give $1 to $3" chown "$3" "$p"
  fi
}
ensure_dir "$DATA" 750 "$USER_NAME:$USER_NAME"
ensure_dir "$APPDIR" 755 root:root
new_posts=0; [ -d "$R$POSTS" ] || new_posts=1
ensure_dir "$POSTS" 755 root:root
if [ "$new_posts" -eq 1 ]; then
  act "copy the sample posts into $POSTS" cp -n "$REPO"/posts/*.md "$R$POSTS/"
fi

# The jar, outside /home (ProtectHome=yes hides the checkout the launcher built it in).
if ! cmp -s "$JAR" "$R$APPDIR/livepost.jar"; then
  act "install the jar as $APPDIR/livepost.jar" install -m 644 "$JAR" "$R$APPDIR/livepost.jar"
fi

# The unit.
if [ ! -f "$UNIT" ] || [ "$(cat "$UNIT")" != "$unit" ]; then
  write_unit() { install -d -m 755 "$(dirname "$UNIT")" && printf '%s\n' "$unit" > "$UNIT" && chmod 644 "$UNIT"; }
  act "write /etc/systemd/system/livepost.service" write_unit
  if [ -z "$R" ] && [ -d /run/systemd/system ]; then
    act "reload systemd (daemon-reload)" systemctl daemon-reload
  fi
fi

if [ "$DRY" -eq 1 ]; then
  printf '%s\n' "$unit"
fi
if [ "${#changed[@]}" -eq 0 ]; then
  say "nothing to change: the service is installed as wanted"
elif [ "$DRY" -eq 1 ]; then
  say "dry run: nothing was changed (${#changed[@]} changes above)"
fi
if [ "$DRY" -eq 0 ]; then
  cat <<HOW
Enable and start it, then check it:
  systemctl enable --now livepost
  systemctl status livepost        # journalctl -u livepost -f for its log
  curl -s http://127.0.0.1:$PORT/healthz
Settings go in /etc/livepost.env; after an upgrade (a new jar) run install-service again and
  systemctl restart livepost
HOW
fi
