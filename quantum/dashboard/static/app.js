// The dashboard's single page: plain ES module, no build step. It talks only to the
// public v2.0 API (proxied by quantum-dashboard under /v2.0/) with the user's project.

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = {
  project: sessionStorage.getItem("project"),
  token: sessionStorage.getItem("token"),
  network: null,
  shown: "",
};

// -- API -------------------------------------------------------------------------

export async function api(method, path, body, prefix = "/v2.0/") {
  const headers = { Accept: "application/json" };
  if (state.token) headers["X-Auth-Token"] = state.token;
  else headers["X-Project-Id"] = state.project;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${prefix}${path}`, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    // NOTE: the API's own words; only when it sent none, the HTTP status.
    const fault = data && (data.NeutronError || data.QuantumError);
    const message = fault && (fault.message || fault.detail);
    throw new Error(message || `${response.status} ${response.statusText}`);
  }
  return data;
}

// -- feedback ----------------------------------------------------------------------

function say(message) {
  $("error").textContent = "";
  $("feedback").textContent = message;
}

function fail(error) {
  $("feedback").textContent = "";
  $("error").textContent = error.message;
}

async function act(work, done) {
  try {
    await work();
    say(done);
    await refresh(true);
  } catch (error) {
    fail(error);
  }
}

// -- helpers -----------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function button(label, id, onclick, className = "") {
  return el("button", { type: "button", id, className, textContent: label, onclick });
}

function adminText(up) {
  return up ? "UP" : "DOWN";
}

function ask(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

async function confirmDelete(what) {
  $("confirm-title").textContent = `Delete ${what}?`;
  $("confirm-text").textContent = `${what} will be deleted. This cannot be undone.`;
  return ask($("confirm-dialog"));
}

// -- networks page -------------------------------------------------------------------

async function renameNetwork(network) {
  $("rename-title").textContent = `Rename network ${network.name}`;
  $("rename-name").value = network.name;
  if (!(await ask($("rename-dialog")))) return;
  const name = $("rename-name").value;
  await act(
    () => api("PUT", `networks/${network.id}`, { network: { name } }),
    `Network ${network.name} renamed to ${name}.`,
  );
}

async function deleteNetwork(network) {
  if (!(await confirmDelete(`network ${network.name}`))) {
    say(`Network ${network.name} was not deleted.`);
    return;
  }
  await act(async () => {
    const { ports } = await api("GET", `ports?network_id=${network.id}`);
    for (const port of ports) await api("DELETE", `ports/${port.id}`);
    await api("DELETE", `networks/${network.id}`);
  }, `Network ${network.name} deleted.`);
}

function portsCount(ports) {
  const used = ports.filter((port) => port.device_id).length;
  return `${ports.length} (${used} used, ${ports.length - used} available)`;
}

function renderNetworks(networks, ports) {
  const body = $("networks").tBodies[0];
  body.replaceChildren();
  for (const network of networks) {
    const mine = ports.filter((port) => port.network_id === network.id);
    const flip = !network.admin_state_up;
    const row = el(
      "tr",
      { id: `network-${network.id}` },
      el("td", {}, button(network.name || network.id, `open-${network.id}`, () => openNetwork(network.id), "link")),
      el("td", { className: "status", textContent: network.status }),
      el("td", { className: "admin", textContent: adminText(network.admin_state_up) }),
      el("td", { className: "ports", textContent: portsCount(mine) }),
      el(
        "td",
        {},
        button("Rename", `rename-${network.id}`, () => renameNetwork(network)),
        " ",
        button(`Set admin ${adminText(flip)}`, `admin-${network.id}`, () =>
          act(
            () => api("PUT", `networks/${network.id}`, { network: { admin_state_up: flip } }),
            `Network ${network.name} admin state is now ${adminText(flip)}.`,
          ),
        ),
        " ",
        button("Delete", `delete-${network.id}`, () => deleteNetwork(network)),
      ),
    );
    for (const control of row.querySelectorAll("button")) {
      control.setAttribute("aria-label", `${control.textContent} network ${network.name}`);
    }
    row.querySelector(".link").setAttribute("aria-label", `Open network ${network.name}`);
    body.append(row);
  }
}

function renderTopology(networks, ports) {
  const svg = $("topology");
  svg.replaceChildren();
  const rowHeight = 80;
  svg.setAttribute("height", String(Math.max(1, networks.length) * rowHeight + 20));
  networks.forEach((network, index) => {
    const y = 20 + index * rowHeight;
    const group = document.createElementNS(SVG, "g");
    group.setAttribute("class", "network");
    group.setAttribute("data-network", network.id);
    const bar = document.createElementNS(SVG, "rect");
    Object.entries({ x: 10, y, width: 700, height: 8, rx: 4 }).forEach(([k, v]) => bar.setAttribute(k, v));
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", 10);
    label.setAttribute("y", y - 4);
    label.textContent = `${network.name} (${network.status})`;
    group.append(bar, label);
    ports
      .filter((port) => port.network_id === network.id)
      .forEach((port, slot) => {
        const node = document.createElementNS(SVG, "g");
        const up = port.status === "ACTIVE" || port.status === "UP";
        node.setAttribute("class", `port ${up ? "up" : "down"}${port.admin_state_up ? "" : " admin-down"}`);
        node.setAttribute("data-port", port.id);
        node.setAttribute("data-status", port.status);
        node.setAttribute("data-admin", adminText(port.admin_state_up));
        const x = 40 + slot * 90;
        const line = document.createElementNS(SVG, "line");
        Object.entries({ x1: x, y1: y + 8, x2: x, y2: y + 24, stroke: "#555" }).forEach(([k, v]) => line.setAttribute(k, v));
        const dot = document.createElementNS(SVG, "circle");
        Object.entries({ cx: x, cy: y + 32, r: 8 }).forEach(([k, v]) => dot.setAttribute(k, v));
        if (!port.admin_state_up) dot.setAttribute("stroke-dasharray", "3 2");
        dot.setAttribute("stroke", "#333");
        const title = document.createElementNS(SVG, "title");
        title.textContent = `port ${port.name || port.id}: status ${port.status}, admin ${adminText(port.admin_state_up)}`;
        const caption = document.createElementNS(SVG, "text");
        caption.setAttribute("x", x - 12);
        caption.setAttribute("y", y + 54);
        caption.textContent = `${port.name || port.id.slice(0, 8)} ${port.status}`;
        node.append(line, dot, title, caption);
        group.append(node);
      });
    svg.append(group);
  });
}

// -- network detail page -------------------------------------------------------------

function renderDetail(network, subnets, ports) {
  $("detail-title").textContent = `Network ${network.name}`;
  const fields = $("detail-fields");
  fields.replaceChildren();
  for (const [term, value] of [
    ["ID", network.id],
    ["Status", network.status],
    ["Admin state", adminText(network.admin_state_up)],
  ]) {
    fields.append(el("dt", { textContent: term }), el("dd", { textContent: value }));
  }
  const subnetBody = $("subnets").tBodies[0];
  subnetBody.replaceChildren(
    ...subnets.map((subnet) =>
      el(
        "tr",
        {},
        el("td", { textContent: subnet.name || subnet.id }),
        el("td", { textContent: subnet.cidr }),
        el("td", { textContent: subnet.gateway_ip || "" }),
      ),
    ),
  );
  const portBody = $("ports").tBodies[0];
  portBody.replaceChildren(
    ...ports.map((port) => {
      const flip = !port.admin_state_up;
      const name = port.name || port.id;
      const toggle = button(`Set ${adminText(flip)}`, `port-admin-${port.id}`, () =>
        act(
          () => api("PUT", `ports/${port.id}`, { port: { admin_state_up: flip } }),
          `Port ${name} state is now ${adminText(flip)}.`,
        ),
      );
      toggle.setAttribute("aria-label", `Set port ${name} ${adminText(flip)}`);
      return el(
        "tr",
        { id: `port-${port.id}` },
        el("td", { textContent: name }),
        el("td", { textContent: port.fixed_ips.map((ip) => ip.ip_address).join(", ") }),
        el("td", { textContent: port.device_id || "(none)" }),
        el("td", { className: "state", textContent: adminText(port.admin_state_up) }),
        el("td", { className: "status", textContent: port.status }),
        el("td", {}, toggle),
      );
    }),
  );
}

async function openNetwork(id) {
  state.network = id;
  state.shown = "";
  $("networks-page").hidden = true;
  $("detail-page").hidden = false;
  await refresh(true);
  $("back").focus();
}

function closeNetwork() {
  const id = state.network;
  state.network = null;
  state.shown = "";
  $("detail-page").hidden = true;
  $("networks-page").hidden = false;
  refresh(true).then(() => $(`open-${id}`)?.focus());
}

// -- refresh (polled) ------------------------------------------------------------------

let refreshing = false;

export async function refresh(force = false) {
  if (!state.project || (refreshing && !force)) return;
  refreshing = true;
  try {
    let view;
    if (state.network) {
      const [{ network }, { subnets }, { ports }] = await Promise.all([
        api("GET", `networks/${state.network}`),
        api("GET", `subnets?network_id=${state.network}`),
        api("GET", `ports?network_id=${state.network}`),
      ]);
      view = ["detail", network, subnets, ports];
    } else {
      const [{ networks }, { ports }] = await Promise.all([api("GET", "networks"), api("GET", "ports")]);
      view = ["networks", networks, ports];
    }
    const signature = JSON.stringify(view);
    if (signature === state.shown) return;
    // NOTE: re-rendering replaces the buttons; keep keyboard focus where it was.
    const focused = document.activeElement?.id;
    state.shown = signature;
    if (view[0] === "detail") renderDetail(view[1], view[2], view[3]);
    else {
      renderNetworks(view[1], view[2]);
      renderTopology(view[1], view[2]);
    }
    if (focused && document.activeElement === document.body) $(focused)?.focus();
  } catch (error) {
    if (state.network && /not.*found|could not be found/i.test(error.message)) {
      closeNetwork();
    }
    fail(error);
  } finally {
    refreshing = false;
  }
}

// -- log in / out ------------------------------------------------------------------------

function showLoggedIn() {
  $("login-page").hidden = true;
  $("networks-page").hidden = false;
  $("who").hidden = false;
  $("who").textContent = `Project ${state.project}`;
  $("logout").hidden = false;
}

async function loggedIn(project, token) {
  state.project = project;
  state.token = token;
  sessionStorage.setItem("project", project);
  if (token) sessionStorage.setItem("token", token);
  showLoggedIn();
  say(`Logged in to project ${project}.`);
  await refresh(true);
  $("create-name").focus();
}

async function keystoneLogin(event) {
  event.preventDefault();
  try {
    const { token, projects } = await api(
      "POST",
      "login",
      { username: $("login-username").value, password: $("login-password").value },
      "/dashboard/",
    );
    if (projects.length === 0) throw new Error("You have a role on no project.");
    $("login-choice").replaceChildren(
      ...projects.map((project) => el("option", { value: project.id, textContent: project.name })),
    );
    state.unscoped = token;
    $("keystone-form").hidden = true;
    $("project-form").hidden = false;
    say("Choose a project.");
    $("login-choice").focus();
  } catch (error) {
    fail(error);
  }
}

async function chooseProject(event) {
  event.preventDefault();
  try {
    const scoped = await api(
      "POST",
      "scope",
      { token: state.unscoped, project_id: $("login-choice").value },
      "/dashboard/",
    );
    state.unscoped = null;
    await loggedIn(scoped.project_name, scoped.token);
  } catch (error) {
    fail(error);
  }
}

async function start() {
  const config = await (await fetch("/dashboard/config")).json();
  $(config.auth === "keystone" ? "keystone-form" : "login-form").hidden = false;
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loggedIn($("login-project").value.trim(), null);
  });
  $("keystone-form").addEventListener("submit", keystoneLogin);
  $("project-form").addEventListener("submit", chooseProject);
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem("project");
    sessionStorage.removeItem("token");
    location.reload();
  });
  $("back").addEventListener("click", closeNetwork);
  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("create-name").value.trim();
    const cidr = $("create-cidr").value.trim();
    await act(async () => {
      const { network } = await api("POST", "networks", { network: { name } });
      if (cidr) {
        try {
          await api("POST", "subnets", { subnet: { network_id: network.id, cidr, ip_version: cidr.includes(":") ? 6 : 4 } });
        } catch (error) {
          // NOTE: nothing half-made: a network whose subnet was refused is removed.
          await api("DELETE", `networks/${network.id}`);
          throw error;
        }
      }
      event.target.reset();
    }, cidr ? `Network ${name} created with subnet ${cidr}.` : `Network ${name} created.`);
  });
  if (state.project) {
    showLoggedIn();
    refresh(true);
  }
  setInterval(() => refresh(), POLL_MS);
}

start();
