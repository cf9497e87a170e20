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
  extensions: new Set(), // the aliases /v2.0/extensions lists: which pages the API serves
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
    const error = new Error(`${message || `${response.status} ${response.statusText}`}${stale}`);
    error.status = response.status;
    throw error;
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

async function act(work, done, formError = null) {
  // NOTE: formError: the form's own error line, which shows a refusal beside the
  // fields too (the alert line always does).
  try {
    await work();
    if (formError) formError.textContent = "";
    const message = typeof done === "function" ? done() : done;
    // NOTE: told once the page shows the change: until the refresh is drawn, the
    // page's forms still hold the revision from before it (an edit sent then would
    // be refused as changed meanwhile).
    await refresh(true);
    say(message);
    return true;
  } catch (error) {
    if (formError) formError.textContent = error.message;
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
  const key = collection.replaceAll("-", "_"); // security-groups -> security_groups
  const items = body[key];
  const links = body[`${key}_links`] || [];
  let next = items.length ? queryOf(links.find((link) => link.rel === "next")?.href) : null;
  if (next) {
    // NOTE: the API offers "next" after every full page; one item past this page
    // says whether there is one, so Next never leads to an empty page.
    const probe = await api("GET", `${collection}?${next.replace(/(^|&)limit=\d+/, "$1limit=1")}`);
    if (probe[key].length === 0) next = null;
  }
  state.links[page] = { next, depth: walked.length };
  return items;
}

const PAGER_NAMES = { floatingips: "floating IPs", securitygroups: "security groups" };

function renderPager(page) {
  const pager = document.querySelector(`[data-pager="${page}"]`);
  const of = PAGER_NAMES[page] || page;
  const { next, depth } = state.links[page] || {};
  const move = (walked) => () => {
    state.cursors[page] = walked;
    state.shown = "";
    refresh(true);
  };
  const walked = state.cursors[page] || [];
  const controls = [];
  if (depth > 1) controls.push(named(button("First page", `${page}-first`, move([])), `First page of ${of}`));
  if (depth > 0) {
    controls.push(named(button("Previous page", `${page}-previous`, move(walked.slice(0, -1))), `Previous page of ${of}`));
  }
  if (next) controls.push(named(button("Next page", `${page}-next`, move([...walked, next])), `Next page of ${of}`));
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

function svgNode(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function drawRouters(svg, networks, ports, routers, rowHeight) {
  // NOTE: routers stand right of the networks' bars, joined to each network of this
  // page they have an interface on (solid) and to their gateway's (dashed).
  const rows = new Map(networks.map((network, index) => [network.id, 20 + index * rowHeight]));
  routers.forEach((router, index) => {
    const y = 20 + index * 50;
    const group = svgNode("g", { class: "router", "data-router": router.id });
    const joined = new Set(
      ports
        .filter((port) => port.device_owner === "network:router_interface" && port.device_id === router.id)
        .map((port) => port.network_id),
    );
    for (const networkId of joined) {
      if (!rows.has(networkId)) continue;
      group.append(svgNode("line", { x1: 710, y1: rows.get(networkId) + 4, x2: 760, y2: y + 12, "data-link": networkId }));
    }
    const gateway = router.external_gateway_info?.network_id;
    if (gateway && rows.has(gateway)) {
      group.append(
        svgNode("line", { x1: 710, y1: rows.get(gateway) + 4, x2: 760, y2: y + 12, "stroke-dasharray": "6 3", "data-gateway": gateway }),
      );
    }
    const box = svgNode("rect", { x: 760, y, width: 130, height: 24, rx: 4 });
    const label = svgNode("text", { x: 766, y: y + 16, fill: "#fff" });
    label.textContent = routerName(router).slice(0, 18);
    const title = svgNode("title", {});
    title.textContent = `router ${routerName(router)}: ${router.status}, interfaces on ${joined.size} network(s)${gateway ? ", gateway to an external network" : ""}`;
    group.append(box, label, title);
    svg.append(group);
  });
  return 20 + routers.length * 50;
}

function renderTopology(networks, ports, routers = []) {
  const svg = $("topology");
  svg.replaceChildren();
  const rowHeight = 80;
  const routersHeight = drawRouters(svg, networks, ports, routers, rowHeight);
  svg.setAttribute("height", String(Math.max(Math.max(1, networks.length) * rowHeight + 20, routersHeight)));
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

// -- shared by the routers, floating IPs and security groups pages -------------------------

function externalNetworks() {
  // NOTE: external networks are every project's (not filtered to the project).
  return api("GET", "networks?router:external=true&fields=id&fields=name").then((body) => body.networks);
}

function keepTyped(control, item, value, property = "value", revision = undefined) {
  // NOTE: a form field showing an item's current value follows the item's changes
  // unless the user changed the field: a poll never undoes what is being typed.
  // Its revision is the one of the item the typing started from.
  const shown = String(control[property]);
  if (control.dataset.item !== item || shown === control.dataset.filled || shown === String(value)) {
    control[property] = value;
    control.dataset.revision = String(revision ?? "");
  }
  control.dataset.item = item;
  control.dataset.filled = String(value);
}

function choices(select, options, none = null) {
  const chosen = select.value;
  const items = none === null ? options : [["", none], ...options];
  select.replaceChildren(...items.map(([value, text]) => el("option", { value, textContent: text })));
  if (items.some(([value]) => value === chosen)) select.value = chosen;
}

async function deleteFromPage(what, path, listHash) {
  // NOTE: from the item's own page: a poll of it that meets the 404 says nothing.
  if (!(await confirmDelete(what))) {
    say(`${what[0].toUpperCase()}${what.slice(1)} was not deleted.`);
    return;
  }
  state.deleted = state.view.id;
  try {
    await api("DELETE", path);
  } catch (error) {
    state.deleted = null;
    fail(error);
    return;
  }
  say(`${what[0].toUpperCase()}${what.slice(1)} deleted.`);
  go(listHash);
}

// -- routers -------------------------------------------------------------------------------

function routerName(router) {
  return router.name || router.id;
}

function gatewayText(router, externals) {
  const gateway = router.external_gateway_info;
  if (!gateway) return "(none)";
  const network = externals.get(gateway.network_id) || gateway.network_id;
  return `${network} (SNAT ${gateway.enable_snat === false ? "off" : "on"})`;
}

async function deleteRouter(router) {
  const label = routerName(router);
  if (!(await confirmDelete(`router ${label}`))) {
    say(`Router ${label} was not deleted.`);
    return;
  }
  // NOTE: a router with interfaces is refused (409); the API's words are shown and
  // nothing is removed on the user's behalf.
  await act(() => api("DELETE", `routers/${router.id}`), `Router ${label} deleted.`);
}

function renderRouters(routers, externals, interfaces) {
  const names = new Map(externals.map((network) => [network.id, network.name || network.id]));
  choices(
    $("router-gateway"),
    externals.map((network) => [network.id, network.name || network.id]),
    "(none)",
  );
  $("router-list").tBodies[0].replaceChildren(
    ...routers.map((router) => {
      const label = routerName(router);
      const count = interfaces.filter((port) => port.device_id === router.id).length;
      return el(
        "tr",
        { id: `router-${router.id}` },
        el("td", {}, named(button(label, `open-router-${router.id}`, () => go(`#/routers/${router.id}`), "link"), `Open router ${label}`)),
        el("td", { className: "status", textContent: router.status }),
        el("td", { className: "admin", textContent: adminText(router.admin_state_up) }),
        el("td", { className: "gateway", textContent: gatewayText(router, names) }),
        el("td", { className: "interfaces", textContent: String(count) }),
        el("td", { className: "routes", textContent: routesText(router.routes || []).replaceAll("\n", ", ") }),
        el(
          "td",
          {},
          named(button("Delete", `delete-router-${router.id}`, () => deleteRouter(router)), `Delete router ${label}`),
        ),
      );
    }),
  );
  renderPager("routers");
}

async function createRouter(event) {
  event.preventDefault();
  const router = { admin_state_up: $("router-admin").checked };
  const label = $("router-name").value.trim();
  if (label) router.name = label;
  const gateway = $("router-gateway").value;
  // NOTE: enable_snat is sent only when it is off (only an administrator may turn it
  // off; the API refuses anyone else in its words).
  if (gateway) {
    router.external_gateway_info = { network_id: gateway };
    if (!$("router-snat").checked) router.external_gateway_info.enable_snat = false;
  }
  let made = null;
  await act(async () => {
    ({ router: made } = await api("POST", "routers", { router }));
    event.target.reset();
  }, () => `Router ${routerName(made)} created.`);
}

function renderRouter(router, externals, interfaces, subnets, free) {
  const label = routerName(router);
  const externalNames = new Map(externals.map((network) => [network.id, network.name || network.id]));
  const subnetNames = new Map(subnets.map((subnet) => [subnet.id, name(subnet)]));
  $("router-title").textContent = `Router ${label}`;
  const fields = $("router-fields");
  fields.replaceChildren();
  for (const [term, value] of [
    ["ID", router.id],
    ["Status", router.status],
    ["Admin state", adminText(router.admin_state_up)],
    ["External gateway", gatewayText(router, externalNames)],
    ["Extra routes", routesText(router.routes || []).replaceAll("\n", ", ") || "(none)"],
    ["Description", router.description || "(none)"],
  ]) {
    fields.append(el("dt", { textContent: term }), el("dd", { textContent: value, className: term.toLowerCase().replaceAll(" ", "-") }));
  }
  const flip = !router.admin_state_up;
  $("router-actions").replaceChildren(
    named(
      button(`Set admin ${adminText(flip)}`, `router-admin-${router.id}`, () =>
        act(
          () => api("PUT", `routers/${router.id}`, { router: { admin_state_up: flip } }, undefined, router.revision_number),
          `Router ${label} admin state is now ${adminText(flip)}.`,
        ),
      ),
      `Set admin ${adminText(flip)} router ${label}`,
    ),
    " ",
    named(
      button("Delete", `router-page-delete-${router.id}`, () =>
        deleteFromPage(`router ${label}`, `routers/${router.id}`, "#/routers"),
      ),
      `Delete router ${label}`,
    ),
  );
  const gateway = router.external_gateway_info;
  choices(
    $("gateway-network"),
    externals.map((network) => [network.id, network.name || network.id]),
  );
  keepTyped($("gateway-network"), router.id, gateway?.network_id ?? externals[0]?.id ?? "");
  keepTyped($("gateway-snat"), router.id, gateway ? gateway.enable_snat !== false : true, "checked");
  $("gateway-clear").hidden = !gateway;
  $("router-interfaces").tBodies[0].replaceChildren(
    ...interfaces.map((port) =>
      el(
        "tr",
        { id: `interface-${port.id}` },
        el("td", { textContent: port.name || port.id }),
        el("td", { className: "subnet", textContent: port.fixed_ips.map((ip) => subnetNames.get(ip.subnet_id) || ip.subnet_id).join(", ") }),
        el("td", { className: "address", textContent: port.fixed_ips.map((ip) => ip.ip_address).join(", ") }),
        el(
          "td",
          {},
          named(
            button("Remove", `remove-interface-${port.id}`, () => removeInterface(router, port, subnetNames)),
            `Remove interface ${port.fixed_ips.map((ip) => ip.ip_address).join(", ") || port.id}`,
          ),
        ),
      ),
    ),
  );
  choices(
    $("interface-subnet"),
    subnets.map((subnet) => [subnet.id, subnet.name ? `${subnet.name} (${subnet.cidr})` : subnet.cidr]),
    "(none)",
  );
  choices(
    $("interface-port"),
    free.map((port) => [port.id, `${port.name || port.id} (${port.fixed_ips.map((ip) => ip.ip_address).join(", ")})`]),
    "(none)",
  );
  keepTyped($("router-routes"), router.id, routesText(router.routes || []), "value", router.revision_number);
}

async function removeInterface(router, port, subnetNames) {
  const where = port.fixed_ips.map((ip) => `${ip.ip_address} on ${subnetNames.get(ip.subnet_id) || ip.subnet_id}`).join(", ");
  await act(
    () => api("PUT", `routers/${router.id}/remove_router_interface`, { port_id: port.id }),
    `Interface ${where || port.id} removed from router ${routerName(router)}.`,
  );
}

async function addInterface(event) {
  event.preventDefault();
  const router = state.current;
  const subnet = $("interface-subnet").value;
  const port = $("interface-port").value;
  const chosen = (select) => select.options[select.selectedIndex]?.textContent;
  await act(async () => {
    if (Boolean(subnet) === Boolean(port)) throw new Error("Choose a subnet or a port (one of them) for the interface.");
    await api("PUT", `routers/${router.id}/add_router_interface`, subnet ? { subnet_id: subnet } : { port_id: port });
    event.target.reset();
  }, `Interface on ${subnet ? `subnet ${chosen($("interface-subnet"))}` : `port ${chosen($("interface-port"))}`} added to router ${routerName(router)}.`);
}

async function setGateway(event) {
  event.preventDefault();
  const router = state.current;
  const info = { network_id: $("gateway-network").value };
  // NOTE: as on create, enable_snat is sent when it is off or was off before.
  const wasOff = router.external_gateway_info?.enable_snat === false;
  if (!$("gateway-snat").checked || wasOff) info.enable_snat = $("gateway-snat").checked;
  const network = $("gateway-network").options[$("gateway-network").selectedIndex]?.textContent;
  await act(
    () => api("PUT", `routers/${router.id}`, { router: { external_gateway_info: info } }, undefined, router.revision_number),
    `Router ${routerName(router)} gateway set to ${network}.`,
  );
}

async function clearGateway() {
  const router = state.current;
  await act(
    () => api("PUT", `routers/${router.id}`, { router: { external_gateway_info: null } }, undefined, router.revision_number),
    `Router ${routerName(router)} gateway cleared.`,
  );
}

async function saveRoutes(event) {
  event.preventDefault();
  const router = state.current;
  const field = $("router-routes");
  await act(async () => {
    const routes = parseRoutes(field.value);
    // NOTE: meant for the router as it was when the typing started.
    const revision = field.dataset.revision ? Number(field.dataset.revision) : router.revision_number;
    try {
      await api("PUT", `routers/${router.id}`, { router: { routes } }, undefined, revision);
    } catch (error) {
      // NOTE: changed meanwhile: the next poll shows the routes as they are now.
      if (error.status === 412) field.dataset.filled = field.value;
      throw error;
    }
  }, `Router ${routerName(router)} extra routes saved.`);
}

// -- floating IPs --------------------------------------------------------------------------

function candidates(ports) {
  // NOTE: what a floating IP can go to: the project's own ports (not a router's or
  // DHCP's), one choice per IPv4 fixed IP.
  return ports
    .filter((port) => !(port.device_owner || "").startsWith("network:"))
    .flatMap((port) =>
      port.fixed_ips
        .filter((ip) => !ip.ip_address.includes(":"))
        .map((ip) => [`${port.id} ${ip.ip_address}`, `${port.name || port.id} (${ip.ip_address})`]),
    );
}

async function associate(floatingip, ports) {
  const address = floatingip.floating_ip_address;
  $("associate-title").textContent = `Associate floating IP ${address}`;
  choices($("associate-port"), candidates(ports));
  if (!(await ask($("associate-dialog")))) {
    say(`Floating IP ${address} was not changed.`);
    return;
  }
  const select = $("associate-port");
  const [portId, fixed] = select.value.split(" ");
  const label = select.options[select.selectedIndex]?.textContent;
  await act(async () => {
    if (!portId) throw new Error("The project has no port with a fixed IP to associate.");
    await api(
      "PUT",
      `floatingips/${floatingip.id}`,
      { floatingip: { port_id: portId, fixed_ip_address: fixed } },
      undefined,
      floatingip.revision_number,
    );
  }, `Floating IP ${address} associated to port ${label}.`);
}

async function releaseFloatingip(floatingip) {
  const address = floatingip.floating_ip_address;
  if (!(await confirmDelete(`floating IP ${address}`))) {
    say(`Floating IP ${address} was not released.`);
    return;
  }
  await act(() => api("DELETE", `floatingips/${floatingip.id}`), `Floating IP ${address} released.`);
}

function renderFloatingips(floatingips, externals, ports, routers) {
  const networkNames = new Map(externals.map((network) => [network.id, network.name || network.id]));
  const portNames = new Map(ports.map((port) => [port.id, port.name || port.id]));
  const routerNames = new Map(routers.map((router) => [router.id, routerName(router)]));
  choices($("floatingip-network"), externals.map((network) => [network.id, network.name || network.id]));
  $("floatingip-list").tBodies[0].replaceChildren(
    ...floatingips.map((floatingip) => {
      const address = floatingip.floating_ip_address;
      const actions = el("td", {});
      if (floatingip.port_id) {
        actions.append(
          named(
            button("Disassociate", `disassociate-${floatingip.id}`, () =>
              act(
                () =>
                  api("PUT", `floatingips/${floatingip.id}`, { floatingip: { port_id: null } }, undefined, floatingip.revision_number),
                `Floating IP ${address} disassociated.`,
              ),
            ),
            `Disassociate floating IP ${address}`,
          ),
        );
      } else {
        actions.append(
          named(button("Associate", `associate-${floatingip.id}`, () => associate(floatingip, ports)), `Associate floating IP ${address}`),
        );
      }
      actions.append(
        " ",
        named(button("Release", `release-${floatingip.id}`, () => releaseFloatingip(floatingip)), `Release floating IP ${address}`),
      );
      return el(
        "tr",
        { id: `floatingip-${floatingip.id}` },
        el("td", { className: "address", textContent: address }),
        el("td", { textContent: networkNames.get(floatingip.floating_network_id) || floatingip.floating_network_id }),
        el("td", { className: "fixed", textContent: floatingip.fixed_ip_address || "(none)" }),
        el("td", { className: "port", textContent: floatingip.port_id ? portNames.get(floatingip.port_id) || floatingip.port_id : "(none)" }),
        el("td", { className: "router", textContent: floatingip.router_id ? routerNames.get(floatingip.router_id) || floatingip.router_id : "(none)" }),
        actions,
      );
    }),
  );
  renderPager("floatingips");
}

async function allocateFloatingip(event) {
  event.preventDefault();
  const network = $("floatingip-network").value;
  let made = null;
  await act(async () => {
    if (!network) throw new Error("There is no external network to allocate a floating IP from.");
    ({ floatingip: made } = await api("POST", "floatingips", { floatingip: { floating_network_id: network } }));
  }, () => `Floating IP ${made.floating_ip_address} allocated.`);
}

// -- security groups -----------------------------------------------------------------------

function groupName(group) {
  return group.name || group.id;
}

async function editGroup(group) {
  const label = groupName(group);
  $("secgroup-edit-title").textContent = `Edit security group ${label}`;
  $("edit-secgroup-name").value = group.name;
  $("edit-secgroup-description").value = group.description;
  if (!(await ask($("secgroup-dialog")))) {
    say(`Security group ${label} was not changed.`);
    return;
  }
  const changes = {};
  const newName = $("edit-secgroup-name").value.trim();
  if (newName !== group.name) changes.name = newName;
  const description = $("edit-secgroup-description").value.trim();
  if (description !== group.description) changes.description = description;
  await act(async () => {
    if (Object.keys(changes).length === 0) throw new Error(`Nothing to change in security group ${label}.`);
    // NOTE: security groups carry no revision_number in this API, so the edit
    // cannot be made conditional (If-Match) as the others are.
    await api("PUT", `security-groups/${group.id}`, { security_group: changes }, undefined, group.revision_number);
  }, `Security group ${changes.name || label} saved.`);
}

async function deleteGroup(group) {
  const label = groupName(group);
  if (!(await confirmDelete(`security group ${label}`))) {
    say(`Security group ${label} was not deleted.`);
    return;
  }
  await act(() => api("DELETE", `security-groups/${group.id}`), `Security group ${label} deleted.`);
}

function groupActions(group, prefix) {
  const label = groupName(group);
  return [
    named(button("Edit", `${prefix}edit-secgroup-${group.id}`, () => editGroup(group)), `Edit security group ${label}`),
    " ",
    named(
      button("Delete", `${prefix}delete-secgroup-${group.id}`, () =>
        prefix ? deleteFromPage(`security group ${label}`, `security-groups/${group.id}`, "#/security-groups") : deleteGroup(group),
      ),
      `Delete security group ${label}`,
    ),
  ];
}

function renderGroups(groups) {
  $("secgroup-list").tBodies[0].replaceChildren(
    ...groups.map((group) => {
      const label = groupName(group);
      return el(
        "tr",
        { id: `secgroup-${group.id}` },
        el(
          "td",
          {},
          named(button(label, `open-securitygroup-${group.id}`, () => go(`#/security-groups/${group.id}`), "link"), `Open security group ${label}`),
        ),
        el("td", { className: "description", textContent: group.description }),
        el("td", { className: "rules", textContent: String((group.security_group_rules || []).length) }),
        el("td", {}, ...groupActions(group, "")),
      );
    }),
  );
  renderPager("securitygroups");
}

async function createGroup(event) {
  event.preventDefault();
  const group = { name: $("secgroup-name").value.trim() };
  const description = $("secgroup-description").value.trim();
  if (description) group.description = description;
  await act(async () => {
    await api("POST", "security-groups", { security_group: group });
    event.target.reset();
  }, `Security group ${group.name} created.`);
}

const ICMP = new Set(["icmp", "icmpv6", "ipv6-icmp", "1", "58"]);

function ruleRange(rule) {
  const { port_range_min: low, port_range_max: high } = rule;
  if (ICMP.has(String(rule.protocol))) {
    if (low === null) return "any type";
    return high === null ? `type ${low}` : `type ${low} code ${high}`;
  }
  if (low === null) return "any";
  return low === high ? String(low) : `${low}-${high}`;
}

function ruleText(rule, groups) {
  const remote = rule.remote_ip_prefix || (rule.remote_group_id ? `group ${groups.get(rule.remote_group_id) || rule.remote_group_id}` : "anywhere");
  return `${rule.direction} ${rule.ethertype} ${rule.protocol || "any"} ${ruleRange(rule)} ${remote}`;
}

function renderGroup(group, groups) {
  const label = groupName(group);
  const names = new Map(groups.map((item) => [item.id, groupName(item)]));
  state.groupNames = names;
  $("securitygroup-title").textContent = `Security group ${label}`;
  const fields = $("secgroup-fields");
  fields.replaceChildren();
  for (const [term, value] of [
    ["ID", group.id],
    ["Description", group.description || "(none)"],
  ]) {
    fields.append(el("dt", { textContent: term }), el("dd", { textContent: value, className: term.toLowerCase() }));
  }
  $("secgroup-actions").replaceChildren(...groupActions(group, "page-"));
  $("rules").tBodies[0].replaceChildren(
    ...group.security_group_rules.map((rule) => {
      const remote = rule.remote_ip_prefix || (rule.remote_group_id ? `group ${names.get(rule.remote_group_id) || rule.remote_group_id}` : "anywhere");
      return el(
        "tr",
        { id: `rule-${rule.id}` },
        el("td", { className: "direction", textContent: rule.direction }),
        el("td", { className: "ethertype", textContent: rule.ethertype }),
        el("td", { className: "protocol", textContent: rule.protocol || "any" }),
        el("td", { className: "range", textContent: ruleRange(rule) }),
        el("td", { className: "remote", textContent: remote }),
        el(
          "td",
          {},
          named(
            button("Delete", `delete-rule-${rule.id}`, () =>
              act(() => api("DELETE", `security-group-rules/${rule.id}`), `Rule ${ruleText(rule, names)} deleted.`),
            ),
            `Delete rule ${ruleText(rule, names)}`,
          ),
        ),
      );
    }),
  );
  choices(
    $("rule-group"),
    groups.map((item) => [item.id, groupName(item)]),
    "(none)",
  );
}

async function addRule(event) {
  event.preventDefault();
  const group = state.current;
  const rule = {
    security_group_id: group.id,
    direction: $("rule-direction").value,
    ethertype: $("rule-ethertype").value,
  };
  const protocol = $("rule-protocol").value.trim();
  if (protocol) rule.protocol = protocol;
  // NOTE: numbers are sent as typed; the API words every refusal (a range upside
  // down, an ICMP code without a type, a prefix with a remote group...).
  for (const [id, field] of [
    ["rule-min", "port_range_min"],
    ["rule-max", "port_range_max"],
  ]) {
    const value = $(id).value.trim();
    if (value) rule[field] = /^\d+$/.test(value) ? Number(value) : value;
  }
  const prefix = $("rule-prefix").value.trim();
  if (prefix) rule.remote_ip_prefix = prefix;
  const remote = $("rule-group").value;
  if (remote) rule.remote_group_id = remote;
  let made = null;
  const ok = await act(
    async () => {
      ({ security_group_rule: made } = await api("POST", "security-group-rules", { security_group_rule: rule }));
    },
    () => `Rule ${ruleText(made, state.groupNames)} added to security group ${groupName(group)}.`,
    $("rule-error"),
  );
  if (ok) event.target.reset();
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
      const [{ ports }, { routers }] = await Promise.all([
        networks.length ? api("GET", `ports?${filter}`) : { ports: [] },
        state.extensions.has("router")
          ? api("GET", `routers?${NAMES}&fields=status&fields=external_gateway_info${mine()}`)
          : { routers: [] },
      ]);
      return [networks, ports, routers];
    },
    render([networks, ports, routers]) {
      renderNetworks(networks, ports);
      renderTopology(networks, ports, routers);
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
  routers: {
    async load() {
      const [routers, externals, { ports }] = await Promise.all([
        paged("routers", "routers", mine()),
        externalNetworks(),
        api("GET", `ports?device_owner=network:router_interface&fields=id&fields=device_id${mine()}`),
      ]);
      return [routers, externals, ports];
    },
    render: (view) => renderRouters(...view),
  },
  router: {
    async load(id) {
      const { router } = await api("GET", `routers/${id}`);
      const [externals, { ports }, { subnets }, { ports: mineToo }] = await Promise.all([
        externalNetworks(),
        api("GET", `ports?device_id=${id}&device_owner=network:router_interface`),
        api("GET", `subnets?fields=id&fields=name&fields=cidr${mine()}`),
        api("GET", `ports?fields=id&fields=name&fields=fixed_ips&fields=device_id${mine()}`),
      ]);
      // NOTE: a port can become an interface only while nothing uses it.
      const free = mineToo.filter((port) => !port.device_id && port.fixed_ips.length);
      return [router, externals, ports, subnets, free];
    },
    render(view) {
      state.current = view[0];
      renderRouter(...view);
    },
  },
  floatingips: {
    async load() {
      const [floatingips, externals, { ports }, { routers }] = await Promise.all([
        paged("floatingips", "floatingips", mine()),
        externalNetworks(),
        api("GET", `ports?fields=id&fields=name&fields=fixed_ips&fields=device_owner${mine()}`),
        api("GET", `routers?${NAMES}${mine()}`),
      ]);
      return [floatingips, externals, ports, routers];
    },
    render: (view) => renderFloatingips(...view),
  },
  securitygroups: {
    load: async () => [await paged("securitygroups", "security-groups", mine())],
    render: ([groups]) => renderGroups(groups),
  },
  securitygroup: {
    async load(id) {
      const [{ security_group: group }, { security_groups: groups }] = await Promise.all([
        api("GET", `security-groups/${id}`),
        api("GET", `security-groups?${NAMES}${mine()}`),
      ]);
      return [group, groups];
    },
    render(view) {
      state.current = view[0];
      renderGroup(...view);
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

// The fragment's list names, their pages, and the page of one item of each.
const LISTS = {
  networks: ["networks", "network"],
  subnets: ["subnets", null],
  ports: ["ports", "port"],
  routers: ["routers", "router"],
  floatingips: ["floatingips", null],
  "security-groups": ["securitygroups", "securitygroup"],
  quotas: ["quotas", null],
  agents: ["agents", null],
};
const LIST_OF = Object.fromEntries(
  Object.entries(LISTS)
    .filter(([, [, item]]) => item)
    .map(([hash, [list, item]]) => [item, { hash: `#/${hash}`, list }]),
);

function parseHash() {
  const [, hash = "networks", id = null] = location.hash.split("/");
  const [list, item] = LISTS[hash] || LISTS.networks;
  if (id && item) return { page: item, id };
  return { page: list, id: null };
}

function showPage() {
  const { page } = state.view;
  for (const name of Object.keys(PAGES)) $(`${name}-page`).hidden = name !== page;
  for (const link of $("nav").querySelectorAll("a")) {
    const current = link.dataset.page === page || link.dataset.page === LIST_OF[page]?.list;
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
  else if (LIST_OF[page]) $(`${page}-back`).focus();
  else if (before.page === "network" && page === "networks") $(`open-${before.id}`)?.focus();
  else if (before.page === "port" && page === "ports") $(`show-port-${before.id}`)?.focus();
  else if (LIST_OF[before.page]?.list === page && $(`open-${before.page}-${before.id}`)) {
    $(`open-${before.page}-${before.id}`).focus();
  } else $(`${page}-title`)?.focus();
}

// -- refresh (polled) ------------------------------------------------------------------

let refreshing = false;
let loads = 0; // loads started
let drawn = 0; // the latest load whose data was shown

export async function refresh(force = false) {
  if (!state.project || (refreshing && !force)) return;
  refreshing = true;
  const view = state.view;
  const ticket = ++loads;
  try {
    const data = await PAGES[view.page].load(view.id);
    if (view !== state.view) return; // navigated away meanwhile
    // NOTE: a poll already under way when a change was made answers after the
    // refresh that followed the change; its older data must not be shown (nor the
    // older revision an edit would then be sent for).
    if (ticket < drawn) return;
    drawn = ticket;
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
    if (view.id && (error.status === 404 || /not.*found|could not be found/i.test(error.message))) {
      go(LIST_OF[view.page].hash);
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

async function probeExtensions() {
  // NOTE: routers and floating IPs exist only with the L3 service plugin loaded, and
  // security groups only with a core plugin that serves them: the API lists which.
  try {
    const { extensions } = await api("GET", "extensions");
    state.extensions = new Set(extensions.map((extension) => extension.alias));
  } catch {
    state.extensions = new Set();
  }
  for (const [page, alias] of [
    ["routers", "router"],
    ["floatingips", "router"],
    ["securitygroups", "security-group"],
  ]) {
    document.querySelector(`#nav a[data-page="${page}"]`).hidden = !state.extensions.has(alias);
  }
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
  probeExtensions();
}

async function loggedIn(project, projectId, token, admin) {
  Object.assign(state, { project, projectId, token, admin });
  sessionStorage.setItem("project", project);
  sessionStorage.setItem("projectId", projectId);
  if (token) sessionStorage.setItem("token", token);
  if (admin) sessionStorage.setItem("admin", "yes");
  showLoggedIn();
  $("error").textContent = "";
  await refresh(true);
  if (state.view.page === "networks") $("create-name").focus();
  // NOTE: said once the page is drawn and focus is set, so what is typed next
  // lands where it was meant to (an error of that first load stays shown).
  $("feedback").textContent = `Logged in to project ${project}.`;
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
  $("router-back").addEventListener("click", () => go("#/routers"));
  $("router-form").addEventListener("submit", createRouter);
  $("gateway-form").addEventListener("submit", setGateway);
  $("gateway-clear").addEventListener("click", clearGateway);
  $("interface-form").addEventListener("submit", addInterface);
  $("routes-form").addEventListener("submit", saveRoutes);
  $("floatingip-form").addEventListener("submit", allocateFloatingip);
  $("securitygroup-back").addEventListener("click", () => go("#/security-groups"));
  $("secgroup-form").addEventListener("submit", createGroup);
  $("rule-form").addEventListener("submit", addRule);
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
