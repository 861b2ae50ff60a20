#!/usr/bin/env bash
# Opens the GUI on the demo session when a display is available; otherwise says how to.
gui=$1
dir=$2
session="$dir/demo.prunescope"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -x "$gui" && -f "$session" && -z "${CI:-}" ]]; then
    echo "Opening the GUI on $session"
    "$gui" "$session" &
else
    echo "To explore the demo in the GUI: $gui $session"
fi
