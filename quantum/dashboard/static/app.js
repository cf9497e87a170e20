// The dashboard's single page: plain ES module, no build step. It talks only to the
// service's public API (proxied by quantum-dashboard under /v2.0/, and the v1.1 port
// attachment) with the user's project.

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = {
  project: sessionStorage.getItem("project"),
  projectId: sessionStorage.getItem("projectId"),
  token: sessionStorage.getItem("token"),
  admin: sessionStorage.getItem("admin") === "yes",
  agents: false, // whether /v2.0/agents answers this user (administrators only)
  view: { page: "networks", id: null },
  shown: "",
  pageSize: 20,
  cursors: {}, // list page -> the API's next links followed to the page shown
  links: {}, // list page -> {next: the API's next link or null, depth: pages walked}
  etags: new Map(), // GET url -> {etag, data}: polls are conditional
  notModified: 0,
};

// -- API -------------------------------------------------------------------------

function identity(headers) {
  if (state.token) headers["X-Auth-Token"] = state.token;
  else {
    headers["X-Project-Id"] = state.project;
    if (state.admin) headers["X-Roles"] = "admin";
  }
}

export async function api(method, path, body, prefix = "/v2.0/", revision = undefined) {
  const url = `${prefix}${path}`;
  const headers = { Accept: "application/json" };
  identity(headers);
  // NOTE: a change meant for the revision shown; the API refuses it (412) when the
  // item changed meanwhile, so nobody's change is silently overwritten.
  if (revision !== undefined && revision !== null) headers["If-Match"] = `revision_number=${revision}`;
  const cached = method === "GET" ? state.etags.get(url) : undefined;
  if (cached) headers["If-None-Match"] = cached.etag;
  // NOTE: no-store: the browser's cache never answers; a 304 reaches this code.
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (response.status === 304 && cached) {
    state.notModified += 1;
    return cached.data;
  }
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
    const message = fault && (fault.message || fault.detail || (typeof fault === "string" && fault));
    const stale = response.status === 412 ? " (it was changed since this page showed it: look again and retry)" : "";
    throw new Error(`${message || `${response.status} ${response.statusText}`}${stale}`);
  }
  const etag = response.headers.get("ETag");
  if (method === "GET" && etag) state.etags.set(url, { etag, data });
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
    say(typeof done === "function" ? done() : done);
    await refresh(true);
    return true;
  } catch (error) {
    fail(error);
    return false;
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

function named(control, name) {
  control.setAttribute("aria-label", name);
  return control;
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

function lines(text) {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
}

function parsePools(text) {
  return lines(text).map((line) => {
    const [start, end, ...rest] = line.split("-").map((part) => part.trim());
    if (!start || !end || rest.length) {
      throw new Error(`Allocation pool "${line}" is not first-last (e.g. 10.0.0.10-10.0.0.99).`);
    }
    return { start, end };
  });
}

function parseRoutes(text) {
  return lines(text).map((line) => {
    const parts = line.split(/\s+/).filter((part) => part !== "via");
    if (parts.length !== 2) {
      throw new Error(`Host route "${line}" is not "destination next-hop" (e.g. 10.9.0.0/16 10.0.0.2).`);
    }
    return { destination: parts[0], nexthop: parts[1] };
  });
}

const poolsText = (pools) => pools.map((pool) => `${pool.start}-${pool.end}`).join("\n");
const routesText = (routes) => routes.map((route) => `${route.destination} ${route.nexthop}`).join("\n");

function networkOptions(select, networks) {
  const chosen = select.value;
  select.replaceChildren(
    ...networks.map((network) => el("option", { value: network.id, textContent: network.name || network.id })),
  );
  if (networks.some((network) => network.id === chosen)) select.value = chosen;
}

function go(hash) {
  if (location.hash === hash) refresh(true);
  else location.hash = hash;
}

// -- pagination: the API's limit/marker links ------------------------------------------

function queryOf(href) {
  return href ? new URL(href, location.href).search.slice(1) : null;
}

async function paged(page, collection, filter = "") {
  // NOTE: the pages walked so far, as the API's next links: Previous goes back one.
  const walked = state.cursors[page] || [];
  const cursor = walked.at(-1) || `limit=${state.pageSize}${filter}`;
  const body = await api("GET", `${collection}?${cursor}`);
  const items = body[collection];
  const links = body[`${collection}_links`] || [];
  let next = items.length ? queryOf(links.find((link) => link.rel === "next")?.href) : null;
  if (next) {
    // NOTE: the API offers "next" after every full page; one item past this page
    // says whether there is one, so Next never leads to an empty page.
    const probe = await api("GET", `${collection}?${next.replace(/(^|&)limit=\d+/, "$1limit=1")}`);
    if (probe[collection].length === 0) next = null;
  }
  state.links[page] = { next, depth: walked.length };
  return items;
}

function renderPager(page) {
  const pager = document.querySelector(`[data-pager="${page}"]`);
  const { next, depth } = state.links[page] || {};
  const move = (walked) => () => {
    state.cursors[page] = walked;
    state.shown = "";
    refresh(true);
  };
  const walked = state.cursors[page] || [];
  const controls = [];
  if (depth > 1) controls.push(named(button("First page", `${page}-first`, move([])), `First page of ${page}`));
  if (depth > 0) {
    controls.push(named(button("Previous page", `${page}-previous`, move(walked.slice(0, -1))), `Previous page of ${page}`));
  }
  if (next) controls.push(named(button("Next page", `${page}-next`, move([...walked, next])), `Next page of ${page}`));
  if (controls.length) controls.unshift(el("span", { textContent: `Page ${depth + 1} ` }));
  pager.replaceChildren(...controls);
}

// -- networks page -------------------------------------------------------------------

async function renameNetwork(network) {
  $("rename-title").textContent = `Rename network ${network.name}`;
  $("rename-name").value = network.name;
  if (!(await ask($("rename-dialog")))) return;
  const name = $("rename-name").value;
  await act(
    () => api("PUT", `networks/${network.id}`, { network: { name } }, undefined, network.revision_number),
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

function kinds(network) {
  // NOTE: an external network (the external-net extension) is every project's.
  return [network["router:external"] && "external", network.shared && "shared"].filter(Boolean);
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
      el(
        "td",
        {},
        button(network.name || network.id, `open-${network.id}`, () => go(`#/networks/${network.id}`), "link"),
        ...kinds(network).map((kind) => el("span", { className: `kind ${kind}`, textContent: ` ${kind}` })),
      ),
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
            () =>
              api("PUT", `networks/${network.id}`, { network: { admin_state_up: flip } }, undefined, network.revision_number),
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
  renderPager("networks");
}

function renderTopology(networks, ports) {
  const svg = $("topology");
  svg.replaceChildren();
  const rowHeight = 80;
  svg.setAttribute("height", String(Math.max(1, networks.length) * rowHeight + 20));
  networks.forEach((network, index) => {
    const y = 20 + index * rowHeight;
    const group = document.createElementNS(SVG, "g");
    group.setAttribute("class", ["network", ...kinds(network)].join(" "));
    group.setAttribute("data-network", network.id);
    const bar = document.createElementNS(SVG, "rect");
    Object.entries({ x: 10, y, width: 700, height: 8, rx: 4 }).forEach(([k, v]) => bar.setAttribute(k, v));
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", 10);
    label.setAttribute("y", y - 4);
    label.textContent = `${network.name} (${[network.status, ...kinds(network)].join(", ")})`;
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

// -- a network's detail ----------------------------------------------------------------

function portToggle(port, id) {
  const flip = !port.admin_state_up;
  const name = port.name || port.id;
  return named(
    button(`Set ${adminText(flip)}`, id, () =>
      act(
        () => api("PUT", `ports/${port.id}`, { port: { admin_state_up: flip } }, undefined, port.revision_number),
        `Port ${name} state is now ${adminText(flip)}.`,
      ),
    ),
    `Set port ${name} ${adminText(flip)}`,
  );
}

function renderNetwork(network, subnets, ports) {
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
  $("subnets").tBodies[0].replaceChildren(
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
  $("ports").tBodies[0].replaceChildren(
    ...ports.map((port) => {
      const name = port.name || port.id;
      return el(
        "tr",
        { id: `port-${port.id}` },
        el("td", {}, named(button(name, `open-port-${port.id}`, () => go(`#/ports/${port.id}`), "link"), `Open port ${name}`)),
        el("td", { textContent: port.fixed_ips.map((ip) => ip.ip_address).join(", ") }),
        el("td", { textContent: port.device_id || "(none)" }),
        el("td", { className: "state", textContent: adminText(port.admin_state_up) }),
        el("td", { className: "status", textContent: port.status }),
        el("td", {}, portToggle(port, `port-admin-${port.id}`)),
      );
    }),
  );
}

// -- subnets -------------------------------------------------------------------------

async function editSubnet(subnet) {
  const label = subnet.name || subnet.cidr;
  $("subnet-edit-title").textContent = `Edit subnet ${label}`;
  $("edit-subnet-name").value = subnet.name;
  $("edit-subnet-gateway").value = subnet.gateway_ip || "";
  $("edit-subnet-dns").value = subnet.dns_nameservers.join("\n");
  $("edit-subnet-routes").value = routesText(subnet.host_routes);
  $("edit-subnet-dhcp").checked = subnet.enable_dhcp;
  if (!(await ask($("subnet-dialog")))) {
    say(`Subnet ${label} was not changed.`);
    return;
  }
  await act(async () => {
    // NOTE: only what was changed is sent.
    const changes = {};
    const newName = $("edit-subnet-name").value.trim();
    if (newName !== subnet.name) changes.name = newName;
    const gateway = $("edit-subnet-gateway").value.trim() || null;
    if (gateway !== (subnet.gateway_ip || null)) changes.gateway_ip = gateway;
    const dns = lines($("edit-subnet-dns").value);
    if (dns.join() !== subnet.dns_nameservers.join()) changes.dns_nameservers = dns;
    const routes = parseRoutes($("edit-subnet-routes").value);
    if (routesText(routes) !== routesText(subnet.host_routes)) changes.host_routes = routes;
    const dhcp = $("edit-subnet-dhcp").checked;
    if (dhcp !== subnet.enable_dhcp) changes.enable_dhcp = dhcp;
    if (Object.keys(changes).length === 0) throw new Error(`Nothing to change in subnet ${label}.`);
    await api("PUT", `subnets/${subnet.id}`, { subnet: changes }, undefined, subnet.revision_number);
  }, () => `Subnet ${name({ ...subnet, name: $("edit-subnet-name").value.trim() })} saved.`);
}

function name(item) {
  return item.name || item.cidr || item.id;
}

async function deleteSubnet(subnet) {
  if (!(await confirmDelete(`subnet ${name(subnet)}`))) {
    say(`Subnet ${name(subnet)} was not deleted.`);
    return;
  }
  await act(() => api("DELETE", `subnets/${subnet.id}`), `Subnet ${name(subnet)} deleted.`);
}

function renderSubnets(subnets, networks) {
  const names = new Map(networks.map((network) => [network.id, network.name || network.id]));
  networkOptions($("subnet-network"), networks);
  $("subnet-list").tBodies[0].replaceChildren(
    ...subnets.map((subnet) => {
      const label = name(subnet);
      return el(
        "tr",
        { id: `subnet-${subnet.id}` },
        el("td", { textContent: subnet.name || "(no name)" }),
        el("td", { textContent: names.get(subnet.network_id) || subnet.network_id }),
        el("td", { textContent: subnet.cidr }),
        el("td", { className: "gateway", textContent: subnet.gateway_ip || "(none)" }),
        el("td", { className: "pools", textContent: poolsText(subnet.allocation_pools).replaceAll("\n", ", ") }),
        el("td", { className: "dns", textContent: subnet.dns_nameservers.join(", ") }),
        el("td", { className: "routes", textContent: routesText(subnet.host_routes).replaceAll("\n", ", ") }),
        el("td", { className: "dhcp", textContent: subnet.enable_dhcp ? "on" : "off" }),
        el(
          "td",
          {},
          named(button("Edit", `edit-subnet-${subnet.id}`, () => editSubnet(subnet)), `Edit subnet ${label}`),
          " ",
          named(button("Delete", `delete-subnet-${subnet.id}`, () => deleteSubnet(subnet)), `Delete subnet ${label}`),
        ),
      );
    }),
  );
  renderPager("subnets");
}

async function createSubnet(event) {
  event.preventDefault();
  const cidr = $("subnet-cidr").value.trim();
  await act(async () => {
    const subnet = {
      network_id: $("subnet-network").value,
      cidr,
      ip_version: cidr.includes(":") ? 6 : 4,
      enable_dhcp: $("subnet-dhcp").checked,
    };
    const label = $("subnet-name").value.trim();
    if (label) subnet.name = label;
    const gateway = $("subnet-gateway").value.trim();
    if (gateway) subnet.gateway_ip = gateway;
    const pools = parsePools($("subnet-pools").value);
    if (pools.length) subnet.allocation_pools = pools;
    const dns = lines($("subnet-dns").value);
    if (dns.length) subnet.dns_nameservers = dns;
    const routes = parseRoutes($("subnet-routes").value);
    if (routes.length) subnet.host_routes = routes;
    await api("POST", "subnets", { subnet });
    const network = $("subnet-network").value;
    event.target.reset();
    $("subnet-network").value = network;
  }, `Subnet ${cidr} created.`);
}

// -- ports -----------------------------------------------------------------------------

async function deletePort(port, after) {
  const label = port.name || port.id;
  if (!(await confirmDelete(`port ${label}`))) {
    say(`Port ${label} was not deleted.`);
    return;
  }
  if (!after) {
    await act(() => api("DELETE", `ports/${port.id}`), `Port ${label} deleted.`);
    return;
  }
  // NOTE: from the port's own page: a poll of it that meets the 404 says nothing.
  state.deleted = port.id;
  try {
    await api("DELETE", `ports/${port.id}`);
  } catch (error) {
    state.deleted = null;
    fail(error);
    return;
  }
  say(`Port ${label} deleted.`);
  after();
}

function attachedTo(port) {
  if (!port.device_id) return "(nothing)";
  return port.device_owner ? `${port.device_id} (${port.device_owner})` : port.device_id;
}

function renderPorts(ports, networks) {
  const names = new Map(networks.map((network) => [network.id, network.name || network.id]));
  networkOptions($("port-network"), networks);
  $("port-list").tBodies[0].replaceChildren(
    ...ports.map((port) => {
      const label = port.name || port.id;
      return el(
        "tr",
        { id: `port-row-${port.id}` },
        el("td", {}, named(button(label, `show-port-${port.id}`, () => go(`#/ports/${port.id}`), "link"), `Open port ${label}`)),
        el("td", { textContent: names.get(port.network_id) || port.network_id }),
        el("td", { textContent: port.fixed_ips.map((ip) => ip.ip_address).join(", ") }),
        el("td", { className: "device", textContent: attachedTo(port) }),
        el("td", { className: "state", textContent: adminText(port.admin_state_up) }),
        el("td", { className: "status", textContent: port.status }),
        el(
          "td",
          {},
          portToggle(port, `ports-admin-${port.id}`),
          " ",
          named(button("Delete", `delete-port-${port.id}`, () => deletePort(port)), `Delete port ${label}`),
        ),
      );
    }),
  );
  renderPager("ports");
}

async function createPort(event) {
  event.preventDefault();
  const port = { network_id: $("port-network").value };
  const label = $("port-name").value.trim();
  if (label) port.name = label;
  const device = $("port-device").value.trim();
  if (device) port.device_id = device;
  let made = null;
  await act(async () => {
    ({ port: made } = await api("POST", "ports", { port }));
    const network = $("port-network").value;
    event.target.reset();
    $("port-network").value = network;
  }, () => `Port ${made.name || made.id} created.`);
}

// The v1.1 attachment of a port: an interface id (a VIF's iface-id) plugged into it.
function attachmentPath(port) {
  const project = encodeURIComponent(state.projectId || state.project);
  return `tenants/${project}/networks/${port.network_id}/ports/${port.id}/attachment`;
}

async function loadAttachment(port) {
  // NOTE: a v1.1 refusal leaves the rest of the port's page readable.
  try {
    const { attachment } = await api("GET", attachmentPath(port), undefined, "/v1.1/");
    return { id: attachment?.id || null };
  } catch (error) {
    return { id: null, error: error.message };
  }
}

function renderPort(port, networkName, attachment, extensions) {
  const label = port.name || port.id;
  $("port-title").textContent = `Port ${label}`;
  const fields = $("port-fields");
  fields.replaceChildren();
  for (const [term, value] of [
    ["ID", port.id],
    ["Network", networkName],
    ["MAC address", port.mac_address],
    ["Status", port.status],
    ["Admin state", adminText(port.admin_state_up)],
    ["Attached to", attachedTo(port)],
  ]) {
    fields.append(el("dt", { textContent: term }), el("dd", { textContent: value, className: term.toLowerCase().replaceAll(" ", "-") }));
  }
  $("port-actions").replaceChildren(
    portToggle(port, `port-page-admin-${port.id}`),
    " ",
    named(
      button("Delete", `port-page-delete-${port.id}`, () => deletePort(port, () => go("#/ports"))),
      `Delete port ${label}`,
    ),
  );
  $("port-ips").tBodies[0].replaceChildren(
    ...port.fixed_ips.map((ip) =>
      el("tr", {}, el("td", { textContent: ip.ip_address }), el("td", { textContent: ip.subnet_id })),
    ),
  );
  $("attachment").textContent = attachment.error
    ? `The attachment cannot be read: ${attachment.error}`
    : attachment.id
      ? `Interface ${attachment.id} is attached.`
      : "No interface is attached.";
  $("detach").hidden = !attachment.id;
  // The extensions' attributes the port carries ("alias:attribute"), by extension.
  const carried = Object.keys(port).filter((key) => key.includes(":") || key === "status_reason");
  const list = $("port-extensions");
  list.replaceChildren();
  if (carried.length === 0) {
    list.append(el("dt", { textContent: "None" }), el("dd", { textContent: "this port shows you no extension attributes" }));
  }
  for (const key of carried) {
    const extension = key.includes(":") ? extensions.get(key.split(":")[0]) : null;
    const value = port[key];
    list.append(
      el("dt", { textContent: key }),
      el("dd", {
        textContent: `${typeof value === "object" ? JSON.stringify(value) : value || "(empty)"}${extension ? ` — ${extension}` : ""}`,
      }),
    );
  }
}

async function attach(event) {
  event.preventDefault();
  const port = state.current;
  const id = $("attach-id").value.trim();
  const ok = await act(
    () => api("PUT", attachmentPath(port), { attachment: { id } }, "/v1.1/"),
    `Interface ${id} attached to port ${port.name || port.id}.`,
  );
  if (ok) event.target.reset();
}

async function detach() {
  const port = state.current;
  await act(
    () => api("DELETE", attachmentPath(port), undefined, "/v1.1/"),
    `Interface detached from port ${port.name || port.id}.`,
  );
}

// -- quotas and agents -------------------------------------------------------------------

function renderQuotas(quota) {
  $("quota-save").hidden = !state.admin;
  // NOTE: a poll that brings new usage keeps the limits being typed.
  const typed = new Map(
    [...$("quotas").querySelectorAll("input")]
      .filter((input) => input.value !== input.dataset.limit)
      .map((input) => [input.id, input.value]),
  );
  $("quotas").tBodies[0].replaceChildren(
    ...Object.entries(quota).map(([resource, { used, limit }]) => {
      const id = `quota-${resource}`;
      const input = el("input", { id, type: "number", min: -1, value: typed.get(id) ?? limit, className: "limit" });
      input.dataset.limit = String(limit);
      const cell = state.admin ? el("td", {}, input) : el("td", { className: "limit", textContent: String(limit) });
      const row = el(
        "tr",
        { id: `quota-row-${resource}` },
        el("th", { scope: "row", textContent: resource }),
        el("td", { className: "used", textContent: String(used) }),
        cell,
      );
      row.querySelector("input")?.setAttribute("aria-label", `Limit of ${resource}`);
      return row;
    }),
  );
}

async function saveQuotas(event) {
  event.preventDefault();
  const quota = {};
  for (const input of $("quotas").querySelectorAll("input")) {
    quota[input.id.slice("quota-".length)] = Number(input.value);
  }
  await act(
    () => api("PUT", `quotas/${encodeURIComponent(state.projectId || state.project)}`, { quota }),
    "Limits saved.",
  );
}

function renderAgents(agents) {
  $("agents").tBodies[0].replaceChildren(
    ...agents.map((agent) => {
      const label = `${agent.agent_type} on ${agent.host}`;
      const flip = !agent.admin_state_up;
      const actions = el(
        "td",
        {},
        named(
          button(`Set admin ${adminText(flip)}`, `agent-admin-${agent.id}`, () =>
            act(
              () => api("PUT", `agents/${agent.id}`, { agent: { admin_state_up: flip } }),
              `Agent ${label} admin state is now ${adminText(flip)}.`,
            ),
          ),
          `Set admin ${adminText(flip)} agent ${label}`,
        ),
        " ",
      );
      actions.append(
        named(
          button("Delete", `delete-agent-${agent.id}`, async () => {
            if (!(await confirmDelete(`agent ${label}`))) {
              say(`Agent ${label} was not deleted.`);
              return;
            }
            await act(() => api("DELETE", `agents/${agent.id}`), `Agent ${label} deleted.`);
          }),
          `Delete agent ${label}`,
        ),
      );
      return el(
        "tr",
        { id: `agent-${agent.id}` },
        el("td", { textContent: agent.host }),
        el("td", { textContent: agent.agent_type }),
        el("td", { textContent: agent.binary }),
        el("td", { className: `alive ${agent.alive ? "yes" : "no"}`, textContent: agent.alive ? "alive" : "dead" }),
        el("td", { className: "admin", textContent: adminText(agent.admin_state_up) }),
        el("td", { textContent: agent.heartbeat_timestamp || "(never)" }),
        actions,
      );
    }),
  );
  renderPager("agents");
}

// -- the pages ---------------------------------------------------------------------------

const NAMES = "fields=id&fields=name";

function mine() {
  // NOTE: an administrator sees every project's items; these pages show the project's.
  return state.admin ? `&tenant_id=${encodeURIComponent(state.projectId || state.project)}` : "";
}

const PAGES = {
  networks: {
    async load() {
      const networks = await paged("networks", "networks", mine());
      const filter = networks.map((network) => `network_id=${network.id}`).join("&");
      const { ports } = networks.length ? await api("GET", `ports?${filter}`) : { ports: [] };
      return [networks, ports];
    },
    render([networks, ports]) {
      renderNetworks(networks, ports);
      renderTopology(networks, ports);
    },
  },
  network: {
    async load(id) {
      const [{ network }, { subnets }, { ports }] = await Promise.all([
        api("GET", `networks/${id}`),
        api("GET", `subnets?network_id=${id}`),
        api("GET", `ports?network_id=${id}`),
      ]);
      return [network, subnets, ports];
    },
    render: (view) => renderNetwork(...view),
  },
  subnets: {
    async load() {
      const [subnets, { networks }] = await Promise.all([
        paged("subnets", "subnets", mine()),
        api("GET", `networks?${NAMES}${mine()}`),
      ]);
      return [subnets, networks];
    },
    render: (view) => renderSubnets(...view),
  },
  ports: {
    async load() {
      const [ports, { networks }] = await Promise.all([paged("ports", "ports", mine()), api("GET", `networks?${NAMES}${mine()}`)]);
      return [ports, networks];
    },
    render: (view) => renderPorts(...view),
  },
  port: {
    async load(id) {
      const { port } = await api("GET", `ports/${id}`);
      const [{ network }, attachment, { extensions }] = await Promise.all([
        api("GET", `networks/${port.network_id}?fields=name`),
        loadAttachment(port),
        api("GET", "extensions"),
      ]);
      const names = new Map(extensions.map((extension) => [extension.alias, extension.name]));
      return [port, network.name || port.network_id, attachment, [...names]];
    },
    render([port, networkName, attachment, extensions]) {
      state.current = port;
      renderPort(port, networkName, attachment, new Map(extensions));
    },
  },
  quotas: {
    async load() {
      const { quota } = await api("GET", `quotas/${encodeURIComponent(state.projectId || state.project)}/details`);
      return [quota];
    },
    render: ([quota]) => renderQuotas(quota),
  },
  agents: {
    load: async () => [await paged("agents", "agents")],
    render: ([agents]) => renderAgents(agents),
  },
};

function parseHash() {
  const [, page = "networks", id = null] = location.hash.split("/");
  if (page === "networks" && id) return { page: "network", id };
  if (page === "ports" && id) return { page: "port", id };
  return { page: page in PAGES ? page : "networks", id: null };
}

function showPage() {
  const { page } = state.view;
  for (const name of Object.keys(PAGES)) $(`${name}-page`).hidden = name !== page;
  for (const link of $("nav").querySelectorAll("a")) {
    const current = link.dataset.page === page || `${link.dataset.page}` === `${page}s`;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function navigate() {
  const before = state.view;
  state.view = parseHash();
  state.shown = "";
  state.etags.clear();
  showPage();
  await refresh(true);
  const { page } = state.view;
  if (page === "network") $("back").focus();
  else if (page === "port") $("port-back").focus();
  else if (before.page === "network" && page === "networks") $(`open-${before.id}`)?.focus();
  else if (before.page === "port" && page === "ports") $(`show-port-${before.id}`)?.focus();
  else $(`${page}-title`)?.focus();
}

// -- refresh (polled) ------------------------------------------------------------------

let refreshing = false;

export async function refresh(force = false) {
  if (!state.project || (refreshing && !force)) return;
  refreshing = true;
  const view = state.view;
  try {
    const data = await PAGES[view.page].load(view.id);
    if (view !== state.view) return; // navigated away meanwhile
    const signature = JSON.stringify([view.page, data, state.links[view.page]]);
    if (signature === state.shown) return;
    // NOTE: re-rendering replaces the buttons; keep keyboard focus where it was.
    const focused = document.activeElement?.id;
    state.shown = signature;
    PAGES[view.page].render(data);
    if (focused && document.activeElement === document.body) $(focused)?.focus();
  } catch (error) {
    if (view !== state.view) return; // a page no longer shown
    if (view.id && view.id === state.deleted) return; // deleted from its own page
    if (view.id && /not.*found|could not be found/i.test(error.message)) {
      go(view.page === "port" ? "#/ports" : "#/networks");
    }
    fail(error);
  } finally {
    refreshing = false;
  }
}

// -- log in / out ------------------------------------------------------------------------

async function probeAgents() {
  // NOTE: the API decides who is an administrator; the link shows when it answers.
  try {
    await api("GET", "agents?limit=1");
    state.agents = true;
  } catch {
    state.agents = false;
  }
  document.querySelector('#nav a[data-page="agents"]').hidden = !state.agents;
}

function showLoggedIn() {
  $("login-page").hidden = true;
  $("nav").hidden = false;
  $("who").hidden = false;
  $("who").textContent = `Project ${state.project}${state.admin ? " (administrator)" : ""}`;
  $("logout").hidden = false;
  state.view = parseHash();
  showPage();
  probeAgents();
}

async function loggedIn(project, projectId, token, admin) {
  Object.assign(state, { project, projectId, token, admin });
  sessionStorage.setItem("project", project);
  sessionStorage.setItem("projectId", projectId);
  if (token) sessionStorage.setItem("token", token);
  if (admin) sessionStorage.setItem("admin", "yes");
  showLoggedIn();
  say(`Logged in to project ${project}.`);
  await refresh(true);
  if (state.view.page === "networks") $("create-name").focus();
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
    await loggedIn(scoped.project_name, scoped.project_id, scoped.token, (scoped.roles || []).includes("admin"));
  } catch (error) {
    fail(error);
  }
}

async function start() {
  const config = await (await fetch("/dashboard/config")).json();
  $(config.auth === "keystone" ? "keystone-form" : "login-form").hidden = false;
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const project = $("login-project").value.trim();
    loggedIn(project, project, null, $("login-admin").checked);
  });
  $("keystone-form").addEventListener("submit", keystoneLogin);
  $("project-form").addEventListener("submit", chooseProject);
  $("logout").addEventListener("click", () => {
    sessionStorage.clear();
    location.hash = "";
    location.reload();
  });
  $("back").addEventListener("click", () => go("#/networks"));
  $("port-back").addEventListener("click", () => go("#/ports"));
  $("subnet-form").addEventListener("submit", createSubnet);
  $("port-form").addEventListener("submit", createPort);
  $("attach-form").addEventListener("submit", attach);
  $("detach").addEventListener("click", detach);
  $("quota-form").addEventListener("submit", saveQuotas);
  $("page-size").addEventListener("change", () => {
    state.pageSize = Number($("page-size").value);
    state.cursors = {};
    state.shown = "";
    refresh(true);
  });
  window.addEventListener("hashchange", navigate);
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
