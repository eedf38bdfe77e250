#!/usr/bin/env bash
# The kiosk screen, started at login in the desktop user's graphical session (XDG autostart,
# installed by install.sh from deploy/kiosk-session.sh). Shows the kiosk page in Chromium, full
# screen, restarted if it ever exits; keeps the screen on during the day and off at night.
# Works on X11 (xset) and on Wayland compositors (wlr-randr: wayfire, labwc).
set -uo pipefail

SESSION_ENV="@SESSION_ENV@"
KIOSK_URL="@URL@"
SCREEN_ON_HOUR=7
SCREEN_OFF_HOUR=22
if [ -r "$SESSION_ENV" ]; then
    # shellcheck source=/dev/null
    . "$SESSION_ENV"
fi
PROFILE="${XDG_CONFIG_HOME:-$HOME/.config}/building-kiosk-chromium"

log() { logger -t building-kiosk-session -- "$*" 2>/dev/null || echo "building-kiosk-session: $*" >&2; }

find_browser() {
    local name
    for name in chromium-browser chromium; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

# 0 (true) when the screen should be on at hour $1, also for a range across midnight (22-6).
screen_wanted_on() {
    local hour=$1
    if [ "$SCREEN_ON_HOUR" -eq "$SCREEN_OFF_HOUR" ]; then
        return 0
    elif [ "$SCREEN_ON_HOUR" -lt "$SCREEN_OFF_HOUR" ]; then
        [ "$hour" -ge "$SCREEN_ON_HOUR" ] && [ "$hour" -lt "$SCREEN_OFF_HOUR" ]
    else
        [ "$hour" -ge "$SCREEN_ON_HOUR" ] || [ "$hour" -lt "$SCREEN_OFF_HOUR" ]
    fi
}

set_screen() {
    local state=$1 output
    if [ -n "${WAYLAND_DISPLAY:-}" ] && command -v wlr-randr >/dev/null 2>&1; then
        for output in $(wlr-randr | awk '/^[^ ]/ {print $1}'); do
            wlr-randr --output "$output" "--$state" || log "wlr-randr could not switch $output $state"
        done
    elif [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
        if [ "$state" = on ]; then
            xset s off s noblank -dpms && xset dpms force on 2>/dev/null
            xset -dpms
        else
            xset +dpms && xset dpms force off
        fi
    else
        log "no xset or wlr-randr: cannot switch the screen $state"
    fi
}

screen_schedule() {
    local last="" want
    while true; do
        if screen_wanted_on "$(date +%-H)"; then want=on; else want=off; fi
        if [ "$want" != "$last" ]; then
            log "screen $want (on from ${SCREEN_ON_HOUR}h to ${SCREEN_OFF_HOUR}h)"
            set_screen "$want"
            last=$want
        fi
        sleep 60
    done
}

# Chromium shows a "restore pages?" bubble after a power cut unless told it exited cleanly.
mark_clean_exit() {
    local prefs="$PROFILE/Default/Preferences"
    if [ -f "$prefs" ]; then
        sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[A-Za-z]*"/"exit_type":"Normal"/' "$prefs"
    fi
}

wait_for_server() {
    local tries=0
    until curl -s -o /dev/null --max-time 2 "$KIOSK_URL"; do
        tries=$((tries + 1))
        if [ "$tries" -eq 1 ]; then log "waiting for the kiosk server at $KIOSK_URL"; fi
        if [ "$tries" -ge 300 ]; then log "the kiosk server does not answer; showing the page anyway"; return; fi
        sleep 1
    done
}

main() {
    local browser
    if [ "${1:-}" = "--check-hour" ]; then  # for tests: is the screen on at this hour?
        if screen_wanted_on "$2"; then echo on; else echo off; fi
        return 0
    fi
    if ! browser=$(find_browser); then
        log "Chromium is not installed: sudo apt-get install chromium-browser"
        exit 1
    fi
    screen_schedule &
    trap 'kill $! 2>/dev/null' EXIT
    wait_for_server
    while true; do
        mark_clean_exit
        "$browser" --kiosk --noerrdialogs --disable-translate --disable-pinch \
            --overscroll-history-navigation=0 --no-first-run --disable-features=Translate \
            --disable-session-crashed-bubble --disable-infobars --password-store=basic \
            --check-for-update-interval=31536000 --user-data-dir="$PROFILE" "$KIOSK_URL" \
            || log "Chromium exited with status $?; starting it again"
        sleep 2
    done
}

main "$@"
