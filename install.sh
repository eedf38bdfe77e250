#!/usr/bin/env bash
# install.sh: turn a Raspberry Pi (Raspberry Pi OS bookworm) into the building kiosk, or
# upgrade it, or remove it. Run it again at any time: what is already right is left alone, the
# config and the data are never overwritten. See ./install.sh --help.
set -euo pipefail

APP=building-kiosk
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python3}

usage() {
    cat <<'USAGE'
Usage: sudo ./install.sh [OPTIONS]

Installs (or upgrades) the building kiosk from this source folder:
Debian packages, a "kiosk" system user, the app in a virtual environment under
/opt/building-kiosk, the config /etc/building-kiosk/config.toml (made once from
config.example.toml, never overwritten), the data under /var/lib/building-kiosk,
the systemd service "kiosk", udev rules for the printer and the QR scanner, and
the full-screen Chromium session of the desktop user.

Options:
  --dry-run            print every action, change nothing
  --dev                a laptop: no system user (the service runs as you), no
                       kiosk browser session, no udev rules
  --hub                also install and start the sync hub service "kiosk-hub"
  --hub-domain NAME    with --hub: put the hub behind TLS at https://NAME with Caddy
                       (a Let's Encrypt certificate, renewed by itself; NAME must point
                       at this machine, ports 80 and 443 open): writes
                       /etc/caddy/building-kiosk-hub.caddy and imports it
  --postgresql [URL]   the hub's store on PostgreSQL (implies --hub). Without URL:
                       installs Debian's postgresql, creates the role and database
                       kiosk_hub with a generated password; with a URL
                       (postgresql://user:password@host:5432/name): checks that it
                       connects. Either way writes [hub] database in the config
                       (never replaces a PostgreSQL URL already there). A hub that
                       already holds data in SQLite: kiosk hub migrate-store first
  --uninstall          remove the services and the app; keep config and data
  --purge              with --uninstall: also delete config, data and backups
  --prefix DIR         install everything under DIR (a throwaway root for tests;
                       also taken from $DESTDIR). System steps (apt, useradd,
                       systemctl, udevadm, chown) are then skipped.
  --desktop-user NAME  the user whose graphical session shows the kiosk page
                       (default: the user who ran sudo, else uid 1000)
  --screen-hours A-B   screen on from hour A to hour B, off at night (default 7-22)
  --scanner VVVV:PPPP  USB vendor:product id of the QR scanner (hex), for its udev rule
  -h, --help           this help

Examples:
  sudo ./install.sh                      first install, or upgrade to this version
  ./install.sh --dry-run                 see what would be done
  ./install.sh --prefix /tmp/k --dev     a complete install under /tmp/k, no root needed
  sudo ./install.sh --uninstall          remove the kiosk, keep its data
USAGE
}

# ---------------------------------------------------------------------------------- options
PREFIX=${DESTDIR:-}
DRY_RUN=0 DEV=0 HUB=0 UNINSTALL=0 PURGE=0
DESKTOP_USER="" SCREEN_HOURS="7-22" SCANNER_ID="" HUB_DOMAIN=""
HUB_PG=0 HUB_PG_URL=""
while [ $# -gt 0 ]; do
    case $1 in
        --dry-run) DRY_RUN=1 ;;
        --dev) DEV=1 ;;
        --hub) HUB=1 ;;
        --hub-domain) [ $# -ge 2 ] || { echo "--hub-domain needs a name" >&2; exit 2; }; HUB=1; HUB_DOMAIN=$2; shift ;;
        --hub-domain=*) HUB=1; HUB_DOMAIN=${1#--hub-domain=} ;;
        --postgresql)
            HUB=1 HUB_PG=1
            if [ $# -ge 2 ] && [[ $2 == postgres://* || $2 == postgresql://* ]]; then HUB_PG_URL=$2; shift; fi ;;
        --postgresql=*) HUB=1 HUB_PG=1 HUB_PG_URL=${1#--postgresql=}
            [ -n "$HUB_PG_URL" ] || { echo "--postgresql= needs a URL" >&2; exit 2; } ;;
        --uninstall) UNINSTALL=1 ;;
        --purge) UNINSTALL=1 PURGE=1 ;;
        --prefix) [ $# -ge 2 ] || { echo "--prefix needs a folder" >&2; exit 2; }; PREFIX=$2; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        --desktop-user) [ $# -ge 2 ] || { echo "--desktop-user needs a name" >&2; exit 2; }; DESKTOP_USER=$2; shift ;;
        --screen-hours) [ $# -ge 2 ] || { echo "--screen-hours needs A-B" >&2; exit 2; }; SCREEN_HOURS=$2; shift ;;
        --scanner) [ $# -ge 2 ] || { echo "--scanner needs VVVV:PPPP" >&2; exit 2; }; SCANNER_ID=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "Unknown option: $1 (see ./install.sh --help)" >&2; exit 2 ;;
    esac
    shift
done

if ! [[ $SCREEN_HOURS =~ ^([0-9]|1[0-9]|2[0-3])-([0-9]|1[0-9]|2[0-3])$ ]]; then
    echo "--screen-hours must look like 7-22 (hours 0 to 23), not '$SCREEN_HOURS'" >&2
    exit 2
fi
SCREEN_ON=${BASH_REMATCH[1]} SCREEN_OFF=${BASH_REMATCH[2]}
if [ -n "$SCANNER_ID" ] && ! [[ $SCANNER_ID =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]]; then
    echo "--scanner must look like 0c2e:0b61 (hex vendor:product), not '$SCANNER_ID'" >&2
    exit 2
fi

# a DNS name (lower case, at least one dot): it goes into Caddy's config as is
if [ -n "$HUB_DOMAIN" ] && ! [[ $HUB_DOMAIN =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$ ]]; then
    echo "--hub-domain must be the hub's DNS name, e.g. hub.example.org, not '$HUB_DOMAIN'" >&2
    exit 2
fi

# postgresql://[user[:password]@]host[:port]/name[?options]: it goes into the TOML config and
# is read by libpq as is; anything else must be percent-encoded. Never echoed (a password).
PG_URL_RE='^postgres(ql)?://([A-Za-z0-9._~%-]+(:[A-Za-z0-9._~%-]+)?@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9_]+([?][A-Za-z0-9_.=&-]+)?$'
if [ -n "$HUB_PG_URL" ] && ! [[ $HUB_PG_URL =~ $PG_URL_RE ]]; then
    echo "--postgresql takes a URL like postgresql://user:password@host:5432/kiosk_hub (letters," >&2
    echo "digits and . _ ~ % - in user and password: percent-encode anything else)" >&2
    exit 2
fi

if [ -n "$PREFIX" ]; then
    mkdir_p_prefix() { [ -d "$PREFIX" ] || { [ "$DRY_RUN" = 1 ] || mkdir -p "$PREFIX"; }; }
    mkdir_p_prefix
    if [ -d "$PREFIX" ]; then PREFIX=$(cd "$PREFIX" && pwd); fi
    [ "$PREFIX" = / ] && PREFIX=""
fi

# A system install changes this machine: root, no prefix. Otherwise system steps are skipped.
SYSTEM=0
if [ -z "$PREFIX" ] && [ "$(id -u)" -eq 0 ]; then SYSTEM=1; fi
if [ -z "$PREFIX" ] && [ "$SYSTEM" = 0 ] && [ "$DRY_RUN" = 0 ]; then
    echo "Installing into / needs root: run  sudo ./install.sh  (or --prefix DIR, or --dry-run)" >&2
    exit 1
fi

APP_DIR=$PREFIX/opt/$APP
VENVS=$APP_DIR/venvs
CURRENT=$APP_DIR/current
CONF_DIR=$PREFIX/etc/$APP
CONFIG=$CONF_DIR/config.toml
SESSION_ENV=$CONF_DIR/session.env
DATA_DIR=$PREFIX/var/lib/$APP
UNIT_DIR=$PREFIX/etc/systemd/system
UDEV_RULES=$PREFIX/etc/udev/rules.d/60-$APP.rules
SESSION_SCRIPT=$PREFIX/usr/local/bin/$APP-session
CADDY_DIR=$PREFIX/etc/caddy
HUB_PROXY=$CADDY_DIR/$APP-hub.caddy

if [ "$DEV" = 1 ]; then
    SERVICE_USER=${SUDO_USER:-$(id -un)}
else
    SERVICE_USER=kiosk
fi
if [ "$SYSTEM" = 0 ]; then SERVICE_USER=$(id -un); fi
SERVICE_GROUP=$SERVICE_USER
if [ -z "$DESKTOP_USER" ]; then
    DESKTOP_USER=${SUDO_USER:-}
    if [ -z "$DESKTOP_USER" ] || [ "$DESKTOP_USER" = root ]; then
        DESKTOP_USER=$(getent passwd 1000 | cut -d: -f1 || true)
    fi
    DESKTOP_USER=${DESKTOP_USER:-pi}
fi
if [ "$SYSTEM" = 1 ]; then
    DESKTOP_HOME=$(getent passwd "$DESKTOP_USER" | cut -d: -f6 || true)
    DESKTOP_HOME=${DESKTOP_HOME:-/home/$DESKTOP_USER}
else
    DESKTOP_HOME=$PREFIX/home/$DESKTOP_USER
fi
AUTOSTART=$DESKTOP_HOME/.config/autostart/$APP.desktop

# ---------------------------------------------------------------------------------- helpers
STEP=0
step() { STEP=$((STEP + 1)); printf '\n==> %d. %s\n' "$STEP" "$*"; }
say() { printf '    %s\n' "$*"; }
show() { printf '    +'; printf ' %q' "$@"; printf '\n'; }
redact() { sed -E 's#^(postgres(ql)?://[^:/@]+):[^@]*@#\1:****@#' <<<"$1"; }  # a URL's password

# run CMD...: print it, then run it (unless --dry-run).
run() {
    show "$@"
    if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

# system CMD...: a change to this machine's system (apt, users, systemd, udev, owners).
system() {
    if [ "$SYSTEM" = 1 ]; then
        run "$@"
    else
        printf '    skip (not a system install):'; printf ' %q' "$@"; printf '\n'
    fi
}

# as_service CMD...: run an app command as the service user, with the installed config.
as_service() {
    if [ "$SYSTEM" = 1 ] && [ "$SERVICE_USER" != root ]; then
        run runuser -u "$SERVICE_USER" -- env "KIOSK_CONFIG=$CONFIG" "$@"
    else
        run env "KIOSK_CONFIG=$CONFIG" "$@"
    fi
}

ensure_dir() {  # DIR MODE [OWNER]
    local dir=$1 mode=$2 owner=${3:-}
    if [ -d "$dir" ] && [ "$(stat -c %a "$dir")" = "${mode#0}" ]; then
        say "ok        $dir"
    else
        run install -d -m "$mode" "$dir"
    fi
    if [ -n "$owner" ] && [ "$SYSTEM" = 1 ] && [ "$(stat -c %U:%G "$dir" 2>/dev/null)" != "$owner" ]; then
        run chown "$owner" "$dir"
    fi
}

# render TEMPLATE: the template from deploy/ with every @NAME@ filled in, on stdout.
render() {
    sed -e "s|@APP_DIR@|$APP_DIR|g" -e "s|@CONFIG@|$CONFIG|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
        -e "s|@USER@|$SERVICE_USER|g" -e "s|@GROUP@|$SERVICE_GROUP|g" -e "s|@GROUPS@|$EXTRA_GROUPS|g" \
        -e "s|@URL@|$KIOSK_URL|g" -e "s|@SESSION_ENV@|$SESSION_ENV|g" \
        -e "s|@SESSION_SCRIPT@|$SESSION_SCRIPT|g" \
        -e "s|@SCREEN_ON@|$SCREEN_ON|g" -e "s|@SCREEN_OFF@|$SCREEN_OFF|g" \
        -e "s|@PRINTER_ID@|$PRINTER_ID|g" -e "s|@PRINTER_VENDOR@|$PRINTER_VENDOR|g" \
        -e "s|@PRINTER_PRODUCT@|$PRINTER_PRODUCT|g" -e "s|@PRINTER@|$PRINTER_ON|g" \
        -e "s|@SCANNER_ID@|${SCANNER_ID:-any USB HID device}|g" \
        -e "s|@SCANNER_VENDOR@|${SCANNER_ID%%:*}|g" -e "s|@SCANNER_PRODUCT@|${SCANNER_ID##*:}|g" \
        -e "s|@SCANNER@|$SCANNER_ON|g" -e "s|@ANY_SCANNER@|$ANY_SCANNER_ON|g" \
        "$SRC_DIR/deploy/$1"
}

CHANGED=0
# put_file DEST MODE [OWNER] < content: write DEST only when its content or mode differs.
put_file() {
    local dest=$1 mode=$2 owner=${3:-} content
    content=$(cat)
    if [ -f "$dest" ] && [ "$(cat "$dest")" = "$content" ] && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
        say "unchanged $dest"
        return 0
    fi
    CHANGED=1
    show install -m "$mode" /dev/stdin "$dest"
    if [ "$DRY_RUN" = 0 ]; then
        mkdir -p "$(dirname "$dest")"
        printf '%s\n' "$content" >"$dest.tmp.$$"
        chmod "$mode" "$dest.tmp.$$"
        mv -f "$dest.tmp.$$" "$dest"
    fi
    if [ -n "$owner" ]; then system chown "$owner" "$dest"; fi
}

make_dir() {  # DIR OWNER: create DIR if missing (an existing one is left as it is)
    if [ -d "$1" ]; then say "ok        $1"; return 0; fi
    run install -d -m 0755 "$1"
    system chown "$2" "$1"
}

remove() {  # PATH...: remove what exists
    local path
    for path in "$@"; do
        if [ -e "$path" ] || [ -L "$path" ]; then run rm -rf -- "$path"; else say "absent    $path"; fi
    done
}

systemd_running() { [ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ]; }

# The version being installed: pyproject's version and a hash of the sources, so that
# installing the same tree twice finds its venv already there.
source_version() {
    local version digest
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$SRC_DIR/pyproject.toml" | head -n 1)
    digest=$(cd "$SRC_DIR" && find pyproject.toml kiosk printing sync home -type f \
        ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 2>/dev/null \
        | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
    printf '%s-%s\n' "${version:-0}" "$digest"
}

# Read settings from a config file with the source tree's kiosk/config.py (stdlib only), as
# shell assignments. Without the file: the defaults with the data under $DATA_DIR.
read_config() {
    "$PYTHON" - "$SRC_DIR/kiosk/config.py" "$1" "$DATA_DIR" <<'PY'
import importlib.util, os, shlex, sys
spec = importlib.util.spec_from_file_location("kiosk_config_for_install", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
if os.path.exists(sys.argv[2]):
    config = module.load_config(sys.argv[2])
else:
    config = module.make_config({"storage": {"data_dir": sys.argv[3]}})
printer = config["printer"]
values = {
    "DB_PATH": str(config.database_path),
    "KIOSK_HOST": config["kiosk"]["host"],
    "KIOSK_PORT": str(config["kiosk"]["port"]),
    "PRINTER_VENDOR": f"{printer['usb_vendor_id']:04x}",
    "PRINTER_PRODUCT": f"{printer['usb_product_id']:04x}",
    "HUB_DATABASE": config["hub"]["database"],
    "HUB_SQLITE": config["sync"]["hub_database"] or str(config.data_dir / "hub.sqlite3"),
}
for key, value in values.items():
    print(f"{key}={shlex.quote(value)}")
PY
}

# --------------------------------------------------------------------------------- summary
echo "Building kiosk installer ($SRC_DIR)"
[ "$DRY_RUN" = 1 ] && echo "DRY RUN: every action is printed, nothing is changed."
if [ "$SYSTEM" = 0 ]; then
    echo "Not a system install (prefix '${PREFIX:-/}', user $(id -un)): apt, useradd, systemctl,"
    echo "udevadm and chown steps are skipped and printed as 'skip'."
fi
[ -n "$PREFIX" ] && echo "Everything goes under $PREFIX."

# ------------------------------------------------------------------------------- uninstall
if [ "$UNINSTALL" = 1 ]; then
    step "Stopping and removing the services"
    for unit in kiosk.service kiosk-hub.service; do
        if [ -f "$UNIT_DIR/$unit" ]; then
            if systemd_running; then run systemctl disable --now "$unit" || true; else system systemctl disable --now "$unit"; fi
        fi
        remove "$UNIT_DIR/$unit"
    done
    if systemd_running; then run systemctl daemon-reload; else system systemctl daemon-reload; fi
    step "Removing udev rules, the kiosk screen session and the app"
    remove "$UDEV_RULES" "$SESSION_SCRIPT" "$AUTOSTART" "$APP_DIR"
    system udevadm control --reload
    if [ "$PURGE" = 1 ]; then
        step "Purging config, data and backups"
        remove "$CONF_DIR" "$DATA_DIR"
        if [ "$DEV" = 0 ] && id kiosk >/dev/null 2>&1; then system userdel kiosk; fi
    else
        step "Keeping config and data"
        say "kept $CONF_DIR and $DATA_DIR (backups in $DATA_DIR/backups); --purge deletes them"
    fi
    printf '\nThe building kiosk is uninstalled.\n'
    exit 0
fi

# --------------------------------------------------------------------------------- install
step "Debian packages"
PACKAGES=(python3 python3-venv python3-pip sqlite3 curl)
if [ -n "$HUB_DOMAIN" ]; then PACKAGES+=(caddy); fi  # the hub's TLS reverse proxy
if [ "$HUB_PG" = 1 ] && [ -z "$HUB_PG_URL" ]; then PACKAGES+=(postgresql); fi  # the hub's store
if [ "$DEV" = 0 ]; then
    PACKAGES+=(x11-xserver-utils wlr-randr)
    if [ "$SYSTEM" = 1 ] && apt-cache show chromium-browser >/dev/null 2>&1; then
        PACKAGES+=(chromium-browser)  # Raspberry Pi OS's name
    else
        PACKAGES+=(chromium)
    fi
fi
MISSING=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        MISSING+=("$package")
    fi
done
if [ ${#MISSING[@]} -eq 0 ]; then
    say "all installed: ${PACKAGES[*]}"
else
    system apt-get update
    system env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${MISSING[@]}"
fi

step "System user '$SERVICE_USER'"
EXTRA_GROUPS=""
if [ "$DEV" = 1 ] || [ "$SYSTEM" = 0 ]; then
    say "no system user: the service runs as $SERVICE_USER"
else
    if id kiosk >/dev/null 2>&1; then
        say "ok        user kiosk exists"
    else
        system useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "Building kiosk" kiosk
    fi
    for group in lp dialout plugdev; do
        if getent group "$group" >/dev/null; then
            EXTRA_GROUPS="$EXTRA_GROUPS $group"
            if ! id -nG kiosk 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
                system usermod -a -G "$group" kiosk
            fi
        fi
    done
fi
EXTRA_GROUPS=${EXTRA_GROUPS# }

step "Folders"
ensure_dir "$APP_DIR" 0755
ensure_dir "$VENVS" 0755
ensure_dir "$CONF_DIR" 0750 "root:$SERVICE_GROUP"
ensure_dir "$DATA_DIR" 0750 "$SERVICE_USER:$SERVICE_GROUP"
ensure_dir "$DATA_DIR/backups" 0700 "$SERVICE_USER:$SERVICE_GROUP"

step "The application (virtual environment)"
VERSION=$(source_version)
NEW_VENV=$VENVS/$VERSION
PREVIOUS=""
if [ -L "$CURRENT" ]; then PREVIOUS=$(readlink "$CURRENT"); fi
UPGRADED=0
if [ -f "$NEW_VENV/.complete" ]; then
    say "ok        version $VERSION already installed in $NEW_VENV"
else
    UPGRADED=1
    say "installing version $VERSION into $NEW_VENV"
    [ -e "$NEW_VENV" ] && remove "$NEW_VENV"  # a half-made venv from an interrupted run
    STAGE=""
    if [ "$DRY_RUN" = 0 ]; then
        STAGE=$(mktemp -d)
        trap 'rm -rf "$STAGE"' EXIT
    fi
    # Build from a clean copy of what the package needs, so the source folder gets no build/
    # or egg-info of root's.
    SOURCES=()
    for item in pyproject.toml setup.cfg MANIFEST.in README.md CHANGELOG.md LICENSE config.example.toml \
        kiosk printing sync home; do
        if [ -e "$SRC_DIR/$item" ]; then SOURCES+=("$item"); fi
    done
    say "+ tar -C $SRC_DIR -c --exclude=__pycache__ ${SOURCES[*]} | tar -C ${STAGE:-STAGE} -x"
    if [ "$DRY_RUN" = 0 ]; then
        tar -C "$SRC_DIR" -c --exclude=__pycache__ "${SOURCES[@]}" | tar -C "$STAGE" -x
    fi
    run "$PYTHON" -m venv "$NEW_VENV"
    # shellcheck disable=SC2086  # KIOSK_PIP_OPTIONS holds several options on purpose
    run "$NEW_VENV/bin/pip" install --quiet --disable-pip-version-check ${KIOSK_PIP_OPTIONS:-} "${STAGE:-STAGE}[usb,serial]"
    run touch "$NEW_VENV/.complete"
fi
if [ "$HUB_PG" = 1 ] && { [ "$DRY_RUN" = 1 ] || ! "$NEW_VENV/bin/python" -c 'import psycopg' 2>/dev/null; }; then
    # shellcheck disable=SC2086
    run "$NEW_VENV/bin/pip" install --quiet --disable-pip-version-check ${KIOSK_PIP_OPTIONS:-} "psycopg[binary]>=3.2"
fi

step "Config $CONFIG"
if [ -f "$CONFIG" ]; then
    say "kept      $CONFIG (never overwritten)"
else
    if [ -f "$SRC_DIR/config.example.toml" ]; then
        say "made from config.example.toml, with data_dir = \"$DATA_DIR\""
        CONTENT=$(cat "$SRC_DIR/config.example.toml")
    else
        say "no config.example.toml in $SRC_DIR: a minimal config (every key has a default)"
        CONTENT=$'# The building kiosk\'s config: every key has a default (see kiosk/config.py).\n\n[storage]\ndata_dir = ""'
    fi
    if grep -Eq '^[#[:space:]]*data_dir[[:space:]]*=' <<<"$CONTENT"; then
        CONTENT=$(sed -E "0,/^[#[:space:]]*data_dir[[:space:]]*=.*/s||data_dir = \"$DATA_DIR\"|" <<<"$CONTENT")
    elif grep -q '^\[storage\]' <<<"$CONTENT"; then
        CONTENT=$(sed "/^\[storage\]/a data_dir = \"$DATA_DIR\"" <<<"$CONTENT")
    else
        CONTENT=$(printf '%s\n\n[storage]\ndata_dir = "%s"' "$CONTENT" "$DATA_DIR")
    fi
    put_file "$CONFIG" 0640 "root:$SERVICE_GROUP" <<<"$CONTENT"
fi
if [ "$DRY_RUN" = 0 ] || [ -f "$CONFIG" ]; then
    SETTINGS=$(read_config "$CONFIG") || { echo "Fix $CONFIG (see the message above), then run install.sh again." >&2; exit 1; }
else
    SETTINGS=$(read_config /nonexistent)
fi
eval "$SETTINGS"
say "database  $DB_PATH"
say "server    http://$KIOSK_HOST:$KIOSK_PORT/"
KIOSK_URL="http://$KIOSK_HOST:$KIOSK_PORT/"
if [ "$PRINTER_VENDOR" = 0000 ] || [ "$PRINTER_PRODUCT" = 0000 ]; then
    PRINTER_ON="# " PRINTER_ID="not set in [printer] usb_vendor_id/usb_product_id"
else
    PRINTER_ON="" PRINTER_ID="$PRINTER_VENDOR:$PRINTER_PRODUCT"
fi
if [ -n "$SCANNER_ID" ]; then SCANNER_ON="" ANY_SCANNER_ON="# "; else SCANNER_ON="# " ANY_SCANNER_ON=""; fi

SERVICE_WAS_RUNNING=0
if systemd_running && systemctl is-active --quiet kiosk.service; then SERVICE_WAS_RUNNING=1; fi
# -P: never import the kiosk package from the current folder (a source tree), only the venv.
ops() { as_service "$NEW_VENV/bin/python" -P -m kiosk.cli_ops "$@"; }

# pg_connects URL: whether the hub's store answers (the URL goes through the environment, not
# the command line: ps shows arguments to every user).
pg_connects() {
    say "+ check that $(redact "$1") answers (psycopg, 10 s)"
    [ "$DRY_RUN" = 1 ] && return 0
    env "KIOSK_HUB_DB_URL=$1" "$NEW_VENV/bin/python" -P -c \
        'import os, psycopg; psycopg.connect(os.environ["KIOSK_HUB_DB_URL"], connect_timeout=10).close()'
}

# The role and database kiosk_hub on this machine's PostgreSQL, with password $1 (the SQL gets
# it as a psql variable on its standard input, never as an argument).
pg_local_setup() {
    local as_postgres=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres)
    if [ "$SYSTEM" = 0 ]; then
        printf '    skip (not a system install):'; printf ' %q' "${as_postgres[@]}"; printf ' -v pw=****\n'
        return 0
    fi
    show "${as_postgres[@]}" -v 'pw=****'
    say "  (creates role kiosk_hub and database kiosk_hub if missing; sets the role's password)"
    [ "$DRY_RUN" = 1 ] && return 0
    "${as_postgres[@]}" -v "pw=$1" <<'SQL'
SELECT 'CREATE ROLE kiosk_hub LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kiosk_hub')
\gexec
SELECT format('ALTER ROLE kiosk_hub LOGIN PASSWORD %L', :'pw')
\gexec
SELECT 'CREATE DATABASE kiosk_hub OWNER kiosk_hub ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'kiosk_hub')
\gexec
SQL
}

# [hub] database = "URL" written into the config: the line replaced in [hub], or added.
write_hub_database() {
    local line="database = \"$1\"" mode=0600 owner=""
    if [ "$SYSTEM" = 1 ]; then mode=0640 owner="root:$SERVICE_GROUP"; fi  # root and the service
    say "[hub] database = \"$(redact "$1")\" into $CONFIG (mode $mode)"
    { cat "$CONFIG" 2>/dev/null || true; } | awk -v line="$line" '
        /^\[/ { if (in_hub && !done) { print line; done = 1 } in_hub = ($0 == "[hub]"); if (in_hub) seen = 1 }
        in_hub && !done && /^[ \t]*database[ \t]*=/ { print line; done = 1; next }
        { print }
        END { if (!done) { if (!seen) print "\n[hub]"; print line } }' | put_file "$CONFIG" "$mode" "$owner"
}

HUB_RESTART=0
if [ "$HUB_PG" = 1 ]; then
    step "The hub's store: PostgreSQL"
    if [[ $HUB_DATABASE == postgres://* || $HUB_DATABASE == postgresql://* ]]; then
        say "kept      [hub] database = \"$(redact "$HUB_DATABASE")\" (never overwritten)"
    elif [ -f "$HUB_SQLITE" ]; then
        echo "This hub keeps its data in $HUB_SQLITE: copy it into PostgreSQL first (README," >&2
        echo "\"Moving a hub to PostgreSQL\"): stop kiosk-hub, run kiosk hub migrate-store --to URL," >&2
        echo "then run this again with --postgresql URL. Nothing about PostgreSQL was changed." >&2
        exit 1
    else
        if [ -n "$HUB_PG_URL" ]; then
            URL=$HUB_PG_URL
        else
            PASSWORD=GENERATED
            if [ "$DRY_RUN" = 0 ]; then PASSWORD=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n'); fi
            system systemctl enable --now postgresql.service
            pg_local_setup "$PASSWORD"
            URL="postgresql://kiosk_hub:$PASSWORD@127.0.0.1:5432/kiosk_hub"
        fi
        if [ -n "$HUB_PG_URL" ] || [ "$SYSTEM" = 1 ]; then
            pg_connects "$URL" || {
                echo "Cannot connect to $(redact "$URL"): nothing was written into $CONFIG." >&2
                exit 1
            }
        fi
        write_hub_database "$URL"
        HUB_RESTART=1
    fi
fi

step "Database"
if [ -f "$DB_PATH" ] && { [ "$UPGRADED" = 1 ] || [ "$PREVIOUS" != "venvs/$VERSION" ]; }; then
    say "upgrading: back up, rehearse the migrations on a copy, then apply them"
    BACKUP_FILE=""
    if [ "$DRY_RUN" = 0 ]; then
        BACKUP_OUT=$(ops backup) || { echo "The backup before the upgrade failed: nothing was changed." >&2; exit 1; }
        while IFS= read -r line; do say "$line"; done <<<"$BACKUP_OUT"
        BACKUP_FILE=$(sed -n 's/^Backup written and checked: \(.*\) ([0-9]* kB)\.$/\1/p' <<<"$BACKUP_OUT")
    else
        ops backup
    fi
    if ! ops check-db --try-migrations; then
        echo "The new version cannot migrate this database; the installed version keeps running." >&2
        remove "$NEW_VENV"
        exit 1
    fi
    if [ "$SERVICE_WAS_RUNNING" = 1 ]; then run systemctl stop kiosk.service; fi
    if ! ops check-db --migrate; then
        echo "Migrating failed: putting back the backup $BACKUP_FILE and the installed version." >&2
        if [ -n "$BACKUP_FILE" ]; then ops restore --yes "$BACKUP_FILE" || true; fi
        remove "$NEW_VENV"
        if [ "$SERVICE_WAS_RUNNING" = 1 ]; then run systemctl start kiosk.service; fi
        exit 1
    fi
elif [ -f "$DB_PATH" ]; then
    ops check-db
else
    say "no database yet: kiosk init creates it below"
fi

step "Switching to version $VERSION"
if [ "$PREVIOUS" = "venvs/$VERSION" ]; then
    say "ok        $CURRENT -> $PREVIOUS"
else
    run ln -sfn "venvs/$VERSION" "$CURRENT.new"
    run mv -T -f "$CURRENT.new" "$CURRENT"
fi
# Keep the previous version for a manual rollback; older ones go.
if [ -d "$VENVS" ]; then
    for venv in "$VENVS"/*; do
        [ -d "$venv" ] || continue
        name=venvs/$(basename "$venv")
        if [ "$name" != "venvs/$VERSION" ] && [ "$name" != "$PREVIOUS" ]; then remove "$venv"; fi
    done
fi

if [ ! -f "$DB_PATH" ]; then
    step "First start: kiosk init"
    as_service "$CURRENT/bin/kiosk" init
fi

step "Services"
UNIT_CHANGED=0
CHANGED=0
render kiosk.service | put_file "$UNIT_DIR/kiosk.service" 0644
UNIT_CHANGED=$CHANGED
if [ "$HUB" = 1 ]; then
    CHANGED=0
    render kiosk-hub.service | put_file "$UNIT_DIR/kiosk-hub.service" 0644
    [ "$CHANGED" = 1 ] && UNIT_CHANGED=1
fi
if [ -n "$HUB_DOMAIN" ]; then
    step "The hub behind TLS at https://$HUB_DOMAIN (Caddy, Let's Encrypt)"
    HUB_PORT=$(sed -n 's/^hub_port *= *\([0-9][0-9]*\).*/\1/p' "$CONFIG" 2>/dev/null | head -n 1 || true)
    HUB_PORT=${HUB_PORT:-8470}
    CHANGED=0
    sed -e "s|@HUB_DOMAIN@|$HUB_DOMAIN|g" -e "s|@HUB_PORT@|$HUB_PORT|g" "$SRC_DIR/deploy/hub.caddy" \
        | put_file "$HUB_PROXY" 0644
    if [ "$DRY_RUN" = 1 ]; then
        sed -e "s|@HUB_DOMAIN@|$HUB_DOMAIN|g" -e "s|@HUB_PORT@|$HUB_PORT|g" "$SRC_DIR/deploy/hub.caddy" \
            | sed 's/^/          | /'
    fi
    PROXY_CHANGED=$CHANGED
    IMPORT_LINE="import /etc/caddy/$APP-hub.caddy"
    if [ -f "$CADDY_DIR/Caddyfile" ] && grep -qxF "$IMPORT_LINE" "$CADDY_DIR/Caddyfile"; then
        say "ok        $CADDY_DIR/Caddyfile imports it"
    else
        PROXY_CHANGED=1
        say "+ echo '$IMPORT_LINE' >> $CADDY_DIR/Caddyfile"
        if [ "$DRY_RUN" = 0 ]; then
            mkdir -p "$CADDY_DIR"
            printf '\n# The building kiosk'"'"'s sync hub (install.sh --hub-domain)\n%s\n' "$IMPORT_LINE" \
                >>"$CADDY_DIR/Caddyfile"
        fi
    fi
    if [ "$PROXY_CHANGED" = 1 ]; then system systemctl reload-or-restart caddy.service; fi
fi
if systemd_running; then
    [ "$UNIT_CHANGED" = 1 ] && run systemctl daemon-reload
    run systemctl enable --quiet kiosk.service
    if [ "$UPGRADED" = 1 ] || [ "$UNIT_CHANGED" = 1 ] || [ "$PREVIOUS" != "venvs/$VERSION" ]; then
        run systemctl restart kiosk.service
    else
        run systemctl start kiosk.service
    fi
    if [ "$HUB" = 1 ]; then run systemctl enable --now --quiet kiosk-hub.service; fi
    if [ "$HUB_RESTART" = 1 ]; then run systemctl restart kiosk-hub.service; fi
else
    system systemctl daemon-reload
    system systemctl enable --now kiosk.service
    [ "$HUB" = 1 ] && system systemctl enable --now kiosk-hub.service
fi

if [ "$DEV" = 0 ]; then
    step "udev rules for the printer ($PRINTER_ID) and the QR scanner"
    CHANGED=0
    render 60-building-kiosk.rules | put_file "$UDEV_RULES" 0644
    if [ "$CHANGED" = 1 ]; then
        system udevadm control --reload
        system udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=hidraw
    fi

    step "Kiosk screen for the desktop user '$DESKTOP_USER'"
    render kiosk-session.sh | put_file "$SESSION_SCRIPT" 0755
    if [ -f "$SESSION_ENV" ]; then
        say "kept      $SESSION_ENV (never overwritten)"
    else
        render session.env | put_file "$SESSION_ENV" 0644
    fi
    make_dir "$(dirname "$(dirname "$AUTOSTART")")" "$DESKTOP_USER:$DESKTOP_USER"
    make_dir "$(dirname "$AUTOSTART")" "$DESKTOP_USER:$DESKTOP_USER"
    render building-kiosk.desktop | put_file "$AUTOSTART" 0644 "$DESKTOP_USER:$DESKTOP_USER"
    if command -v raspi-config >/dev/null 2>&1; then
        system raspi-config nonint do_blanking 1  # the session script schedules the screen
    fi
fi

if [ "$DRY_RUN" = 1 ]; then
    printf '\nDry run finished: nothing was changed.\n'
    exit 0
fi
printf '\nThe building kiosk is installed (version %s).\n' "$VERSION"
say "page:      $KIOSK_URL"
say "config:    $CONFIG"
say "data:      $DATA_DIR (nightly backups in $DATA_DIR/backups)"
say "logs:      journalctl -u kiosk"
say "commands:  KIOSK_CONFIG=$CONFIG $CURRENT/bin/kiosk --help"
if [ -n "$HUB_DOMAIN" ]; then
    say "hub TLS:   https://$HUB_DOMAIN (Caddy: $HUB_PROXY); in $CONFIG set"
    say "           [hub.mail] public_url = \"https://$HUB_DOMAIN\" (the links of its e-mails);"
    say "           kiosks enrol with  kiosk enrol https://$HUB_DOMAIN CODE"
fi
if [ "$HUB" = 1 ]; then
    say "hub:       its dashboard needs a password first:"
    say "           sudo -u $SERVICE_USER env KIOSK_CONFIG=$CONFIG $CURRENT/bin/kiosk hub dashboard-password"
fi
