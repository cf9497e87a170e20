# Sourced by scripts/serve and scripts/test: make .venv with the pinned dependencies.
# "ensure_venv ''" (serve) wants requirements.txt, "ensure_venv test" wants
# requirements-test.txt, which includes requirements.txt: a venv made for the tests
# serves as it is. A stamp per set records what is installed for the current
# requirement files and setup.py; only a change of those re-installs.
VENV=${QUANTUM_VENV:-.venv}
ensure_venv() {
    local want="${1:-base}" digest stamp
    digest=$(cat setup.py requirements*.txt | sha1sum | cut -c1-12)
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if [ -f "$VENV/.installed-$digest-$want" ] || [ -f "$VENV/.installed-$digest-test" ]; then
        return 0
    fi
    local requirements=requirements.txt
    [ "$want" = base ] || requirements="requirements-$want.txt"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$requirements"
    # NOTE: setuptools warns about editable installs on every build; keep the log.
    "$VENV/bin/python" -m pip install -q --no-deps -e . >"$VENV/install.log" 2>&1 \
        || { cat "$VENV/install.log"; return 1; }
    for stamp in "$VENV"/.installed-*; do
        # NOTE: stamps of older requirement files go; the other set's stays true.
        [ "${stamp#"$VENV/.installed-$digest-"}" != "$stamp" ] || rm -f "$stamp"
    done
    touch "$VENV/.installed-$digest-$want"
}

# The real Keystone of the authentication tests (tests/functional/auth), in its own
# virtualenv; about 40 s to install on a 2-core machine, then reused.
KEYSTONE_VENV=${QUANTUM_KEYSTONE_VENV:-.venv-keystone}
ensure_keystone_venv() {
    local stamp
    stamp="$KEYSTONE_VENV/.installed-$(sha1sum requirements-keystone.txt | cut -c1-12)"
    [ -f "$stamp" ] && return 0
    echo "installing Keystone for the authentication tests into $KEYSTONE_VENV"
    if [ ! -x "$KEYSTONE_VENV/bin/python" ]; then
        python3 -m venv "$KEYSTONE_VENV"
    fi
    "$KEYSTONE_VENV/bin/python" -m pip install -q --upgrade pip
    "$KEYSTONE_VENV/bin/python" -m pip install -q -r requirements-keystone.txt
    rm -f "$KEYSTONE_VENV"/.installed-*
    touch "$stamp"
}

# The real OpenStack clients of the client tests (tests/functional/clients): the
# openstack CLI, openstacksdk and python-neutronclient, in their own virtualenv
# (about 30 s once). The tests make it themselves when it is missing.
CLIENTS_VENV=${QUANTUM_CLIENTS_VENV:-.venv-clients}
ensure_clients_venv() {
    local stamp
    stamp="$CLIENTS_VENV/.installed-$(sha1sum requirements-clients.txt | cut -c1-12)"
    [ -f "$stamp" ] && return 0
    echo "installing the OpenStack clients for the client tests into $CLIENTS_VENV"
    if [ ! -x "$CLIENTS_VENV/bin/python" ]; then
        python3 -m venv "$CLIENTS_VENV"
    fi
    "$CLIENTS_VENV/bin/python" -m pip install -q -r requirements-clients.txt
    rm -f "$CLIENTS_VENV"/.installed-*
    touch "$stamp"
}

# Tempest, OpenStack's integration suite, whose network API tests
# tests/functional/clients/test_tempest.py runs against a server behind Keystone; in
# its own virtualenv (about 30 s once). The test makes it itself when it is missing.
TEMPEST_VENV=${QUANTUM_TEMPEST_VENV:-.venv-tempest}
ensure_tempest_venv() {
    local stamp
    stamp="$TEMPEST_VENV/.installed-$(sha1sum requirements-tempest.txt | cut -c1-12)"
    [ -f "$stamp" ] && return 0
    echo "installing tempest for the client tests into $TEMPEST_VENV"
    if [ ! -x "$TEMPEST_VENV/bin/python" ]; then
        python3 -m venv "$TEMPEST_VENV"
    fi
    "$TEMPEST_VENV/bin/python" -m pip install -q -r requirements-tempest.txt
    rm -f "$TEMPEST_VENV"/.installed-*
    touch "$stamp"
}

# The Grizzly `quantum` CLI of the client tests (tests/functional/clients), pinned in
# requirements-grizzly.txt, on Python 2.7 in its own virtualenv (about 30 s once).
# Python 2.7 is pyenv's (or QUANTUM_PYTHON27); only virtualenv<20.22 can still make
# 2.7 environments, so a throw-away Python 3 venv holds that one.
GRIZZLY_VENV=${QUANTUM_GRIZZLY_VENV:-.venv-grizzly}
find_python27() {
    local found
    # NOTE: a pyenv shim on PATH is found but fails unless 2.7 is selected: run it.
    for found in "${QUANTUM_PYTHON27:-}" \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7 \
        "$(command -v python2.7 || true)"; do
        if [ -n "$found" ] && "$found" -c "" 2>/dev/null; then
            echo "$found"
            return 0
        fi
    done
    return 1
}
ensure_grizzly_venv() {
    local stamp python27 tool
    stamp="$GRIZZLY_VENV/.installed-$(sha1sum requirements-grizzly.txt | cut -c1-12)"
    [ -f "$stamp" ] && return 0
    if ! python27=$(find_python27); then
        echo "no Python 2.7 for the Grizzly client tests: install it (pyenv install" \
            "2.7.18) or name it in QUANTUM_PYTHON27" >&2
        return 1
    fi
    echo "installing the Grizzly quantum CLI for the client tests into $GRIZZLY_VENV"
    tool=$(mktemp -d)
    if ! {
        python3 -m venv "$tool" \
            && "$tool/bin/python" -m pip install -q "virtualenv==20.21.1" \
            && rm -rf "$GRIZZLY_VENV" \
            && "$tool/bin/virtualenv" -q -p "$python27" "$GRIZZLY_VENV" \
            && "$GRIZZLY_VENV/bin/python" -m pip install -q --no-python-version-warning \
                -r requirements-grizzly.txt
    } >"$tool/install.log" 2>&1; then
        cat "$tool/install.log" >&2
        rm -rf "$tool"
        return 1
    fi
    rm -rf "$tool"
    touch "$stamp"
}
