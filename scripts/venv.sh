# Sourced by scripts/serve and scripts/test: make .venv with the pinned dependencies.
# Re-installs only when a requirements file or setup.py changed.
VENV=${QUANTUM_VENV:-.venv}
ensure_venv() {
    local want="$1" stamp
    stamp="$VENV/.installed-$(cat setup.py requirements*.txt | sha1sum | cut -c1-12)-$want"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -r "requirements${want:+-$want}.txt"
        # NOTE: setuptools warns about editable installs on every build; keep the log.
        "$VENV/bin/python" -m pip install -q --no-deps -e . >"$VENV/install.log" 2>&1 \
            || { cat "$VENV/install.log"; return 1; }
        rm -f "$VENV"/.installed-*
        touch "$stamp"
    fi
}
