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
