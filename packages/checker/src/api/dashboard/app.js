// The checker dashboard: live status over Server-Sent Events (/events), with
// polling of /status as the fallback; landed reports and rewards from
// /history; the rewards explanation from /explain. Plain DOM, no library.

const RESULT = ["PASS", "FAIL", "TIMEOUT"];
const TOKEN_DECIMALS = 18n;
const state = { status: null, history: null, epoch: null, explainFilled: false };

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text: nothing from the API is parsed as HTML). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

function rows(tbody, list, empty, cols) {
  tbody.replaceChildren(
    ...(list.length > 0 ? list : [el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty))]),
  );
}

/**
 * Token amount (18 decimals) from its decimal base-unit string, for people: two decimals rounded half up,
 * thousands separated, "<0.01" for dust ("999999999999999999997" -> "1,000.00"). The same rule as
 * packages/protocol/src/tokens.ts formatTokens (the browser cannot import it; test/dashboard.test.ts
 * compares the page with it). Exact values stay in the cells' data-value attributes.
 */
function tokens(raw) {
  const v = BigInt(raw);
  const abs = v < 0n ? -v : v;
  const step = 10n ** (TOKEN_DECIMALS - 2n);
  const scaled = (abs + step / 2n) / step;
  if (abs > 0n && scaled === 0n) return v < 0n ? ">-0.01" : "<0.01";
  const text = `${(scaled / 100n).toLocaleString("en-US")}.${(scaled % 100n).toString().padStart(2, "0")}`;
  return v < 0n ? `-${text}` : text;
}

const short = (hex) => (hex && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex);
const yesNo = (v, yes, no) => (v === null || v === undefined ? "unknown" : v ? yes : no);

function renderAlerts(alerts) {
  const box = $("alerts");
  if (alerts.length === 0) {
    box.replaceChildren(
      el("div", { class: "alert none", "data-code": "NONE" }, "No alerts: the node is healthy."),
    );
    return;
  }
  box.replaceChildren(
    ...alerts.map((a) =>
      el(
        "div",
        { class: `alert ${a.severity}`, "data-code": a.code },
        el("strong", {}, a.code),
        " ",
        a.message,
      ),
    ),
  );
}

function renderStatus(s) {
  state.status = s;
  $("node-id").textContent = `${short(s.peerId)} · v${s.version}`;
  $("epoch").textContent = s.epoch.current;
  const next =
    s.epoch.nextPhaseInMs === null ? "" : ` (next phase in ${Math.ceil(s.epoch.nextPhaseInMs / 1000)} s)`;
  $("phase").textContent = `${s.epoch.phase}${next}`;
  $("peers").textContent = String(s.peers.count);
  $("mesh").textContent =
    `${s.gossip.meshPeers} mesh peers · ${s.gossip.accepted} accepted, ${s.gossip.rejected} rejected`;
  $("nat").textContent =
    s.nat.reachability + (s.nat.publicAddresses.length > 0 ? ` (${s.nat.publicAddresses.join(", ")})` : "");
  $("seats").textContent =
    s.seats.epoch === null
      ? "no epoch checked yet"
      : `${s.seats.total} in epoch ${s.seats.epoch} (${s.seats.providers.length} providers)`;
  const op = s.operator;
  $("licenses").textContent =
    op.licenses === null
      ? "unknown"
      : `${op.licenses} active${op.licenseIds.length > 0 ? ` (#${op.licenseIds.join(", #")})` : ""}${
          op.delegated != null && op.delegated !== op.licenses ? `, ${op.delegated} delegated` : ""
        } · key ${yesNo(op.keyMatches, "registered", "NOT this node's")}`;
  const chain = $("chain");
  chain.textContent =
    s.chain.connected === null
      ? "not configured"
      : s.chain.connected
        ? `connected (${s.chain.rpcUrl})`
        : `DOWN: ${s.chain.lastError}`;
  chain.className = s.chain.connected === false ? "bad" : s.chain.connected ? "ok" : "";
  $("uptime").textContent = `${s.uptimeSeconds} s`;
  renderAlerts(s.alerts);

  $("att-summary").textContent =
    `${s.attestations.seen} attestations seen over gossip; ${s.attestations.lastOwn.length} signed by this node in its last epoch${s.attestations.skipped.length > 0 ? `, ${s.attestations.skipped.length} seats skipped` : ""}.`;
  rows(
    $("att-rows"),
    [
      ...s.attestations.lastOwn.map((a) =>
        el(
          "tr",
          {},
          el("td", {}, a.epoch),
          el("td", { class: "mono", title: a.provider }, short(a.provider)),
          el("td", { class: a.result === 0 ? "ok" : "bad" }, RESULT[a.result] ?? String(a.result)),
        ),
      ),
      ...s.attestations.skipped.map((k) =>
        el(
          "tr",
          {},
          el("td", {}, s.seats.epoch ?? ""),
          el("td", { class: "mono", title: k.provider }, short(k.provider)),
          el("td", { class: "warn" }, `skipped: ${k.reason}`),
        ),
      ),
    ],
    "none yet",
    3,
  );
  const kinds = new Map();
  for (const c of s.challenges) {
    const k = kinds.get(c.kind) ?? { pass: 0, fail: 0, timeout: 0, abstained: 0, retried: 0 };
    k[c.result] = (k[c.result] ?? 0) + c.count;
    kinds.set(c.kind, k);
  }
  rows(
    $("challenge-rows"),
    [...kinds].map(([kind, k]) =>
      el(
        "tr",
        {},
        el("td", {}, kind),
        el("td", { class: "ok" }, k.pass),
        el("td", { class: "bad" }, k.fail),
        el("td", { class: "warn" }, k.timeout),
        el("td", {}, k.abstained),
        el("td", {}, k.retried),
      ),
    ),
    "none yet",
    6,
  );
  if (state.epoch !== s.epoch.current) {
    state.epoch = s.epoch.current;
    void loadHistory();
  }
  if (state.history !== null) renderReports(state.history);
}

function renderReports(h) {
  const mine = new Map((state.status?.reports.recent ?? []).map((r) => [r.epoch, r]));
  rows(
    $("report-rows"),
    h.reports.map((r) => {
      // The node's own record of the epoch (history), else the recent list of /status.
      const m = r.thisNode ?? mine.get(r.epoch);
      return el(
        "tr",
        { "data-epoch": r.epoch },
        el("td", {}, r.epoch),
        el("td", { class: "mono", "data-field": "tx", title: r.txHash }, r.txHash),
        el("td", { "data-field": "gas" }, r.gasUsed),
        el("td", {}, r.providerCount),
        el("td", {}, r.attestationCount),
        el("td", { "data-field": "total", "data-value": r.totalRewards }, tokens(r.totalRewards)),
        el("td", { class: "muted", "data-field": "this-node" }, m == null ? "–" : `${m.role}, ${m.status}`),
      );
    }),
    "no report landed yet",
    7,
  );
}

function renderChart(rewards) {
  const box = $("chart");
  if (rewards.length === 0) {
    box.replaceChildren(el("p", { class: "muted" }, "The chart fills as reports land."));
    return;
  }
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const max = rewards.reduce((m, r) => (BigInt(r.amount) > m ? BigInt(r.amount) : m), 1n);
  const maxLabel = tokens(max.toString());
  // The bars start right of the axis' top label: 7.5 units a character is wider than any digit or separator
  // at 11 px (DejaVu Sans digits: 7.0), and the x scale stretches label and bars alike (dashboardChart.test.ts).
  const W = 800,
    H = 180,
    left = Math.max(60, Math.ceil(maxLabel.length * 7.5) + 10),
    bottom = 22,
    top = 10;
  const bw = (W - left) / rewards.length;
  const root = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: "none",
    role: "img",
    "aria-label": "rewards per epoch",
  });
  root.append(svg("line", { x1: left, x2: W, y1: H - bottom, y2: H - bottom }));
  root.append(svg("text", { x: 0, y: top + 8 }, maxLabel));
  root.append(svg("text", { x: 0, y: H - bottom }, "0"));
  rewards.forEach((r, i) => {
    const v = BigInt(r.amount);
    // Scaled in bigint first: amounts exceed the double's exact range.
    const h = (Number((v * 1000n) / max) / 1000) * (H - bottom - top);
    const unclaimed = r.licenses.some((l) => !l.claimed && BigInt(l.amount) > 0n);
    // Three states: claimed (blue), claimable (amber), locked until the epoch's penalties are final (grey).
    const locked =
      unclaimed &&
      r.unlockEpoch != null &&
      BigInt(state.status?.epoch.current ?? "0") < BigInt(r.unlockEpoch);
    const x = left + i * bw + bw * 0.15;
    const bar = svg("rect", {
      class: `bar${unclaimed ? " unclaimed" : " claimed"}${locked ? " locked" : ""}`,
      "data-state": locked ? "locked" : unclaimed ? "unclaimed" : "claimed",
      x,
      y: H - bottom - h,
      width: bw * 0.7,
      height: Math.max(h, 0.5),
      "data-epoch": r.epoch,
      "data-value": r.amount,
    });
    bar.append(
      svg(
        "title",
        {},
        `epoch ${r.epoch}: ${tokens(r.amount)}${locked ? ` (locked until epoch ${r.unlockEpoch})` : unclaimed ? " (claimable)" : " (claimed)"}`,
      ),
    );
    root.append(bar);
    if (rewards.length <= 24 || i % Math.ceil(rewards.length / 24) === 0) {
      root.append(svg("text", { x: x + bw * 0.35, y: H - 6, "text-anchor": "middle" }, r.epoch));
    }
  });
  box.replaceChildren(root);
}

function renderRewards(h) {
  $("rewards-earned").textContent = tokens(h.totals.earned);
  $("rewards-earned").dataset.value = h.totals.earned;
  $("rewards-claimed").textContent = tokens(h.totals.claimed);
  $("rewards-claimed").dataset.value = h.totals.claimed;
  $("rewards-unclaimed").textContent = tokens(h.totals.unclaimed);
  $("rewards-unclaimed").dataset.value = h.totals.unclaimed;
  const locked = BigInt(h.totals.locked ?? "0");
  $("rewards-locked").textContent = locked > 0n ? `${tokens(locked)} locked` : "";
  $("rewards-locked").dataset.value = locked.toString();
  renderChart(h.rewards);
  rows(
    $("reward-rows"),
    [...h.rewards]
      .reverse()
      .map((r) =>
        el(
          "tr",
          { "data-epoch": r.epoch },
          el("td", {}, r.epoch),
          el("td", {}, r.licenses.map((l) => `#${l.licenseId}: ${tokens(l.amount)}`).join(", ")),
          el("td", { "data-field": "amount", "data-value": r.amount }, tokens(r.amount)),
          el(
            "td",
            {},
            (r.licenses.every((l) => l.claimed)
              ? "yes"
              : r.licenses.some((l) => l.claimed)
                ? "partly"
                : "no") +
              (r.unlockEpoch != null &&
              !r.licenses.every((l) => l.claimed) &&
              BigInt(state.status?.epoch.current ?? "0") < BigInt(r.unlockEpoch)
                ? ` (locked until epoch ${r.unlockEpoch})`
                : ""),
          ),
        ),
      ),
    "no reward yet",
    4,
  );
  if (!state.explainFilled && h.rewards.length > 0) {
    state.explainFilled = true;
    $("explain-from").value = h.rewards[0].epoch;
    $("explain-to").value = h.rewards[h.rewards.length - 1].epoch;
  }
}

async function loadHistory() {
  try {
    const res = await fetch("/history");
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    state.history = body;
    renderReports(body);
    renderRewards(body);
  } catch (e) {
    $("report-rows").replaceChildren(
      el("tr", {}, el("td", { colspan: 7, class: "warn" }, `cannot read the chain: ${e.message}`)),
    );
  }
}

function fillLicenses() {
  const select = $("explain-license");
  const ids = state.status?.operator.licenseIds ?? [];
  const current = [...select.options].map((o) => o.value).join(",");
  if (current === ids.join(",")) return;
  select.replaceChildren(...ids.map((id) => el("option", { value: id }, `#${id}`)));
}

/** Renders any JSON value as nested tables: the explanation's terms are shown as the node computed them. */
function renderValue(v) {
  if (v === null || typeof v !== "object") return document.createTextNode(String(v));
  if (Array.isArray(v)) {
    if (v.length === 0) return document.createTextNode("(none)");
    const list = el("ol", {});
    for (const x of v) list.append(el("li", {}, renderValue(x)));
    return list;
  }
  const t = el("table", {});
  for (const [k, x] of Object.entries(v))
    t.append(el("tr", {}, el("th", {}, k), el("td", {}, renderValue(x))));
  return t;
}

/** The license explanation (GET /explain?license=…): a verdict line, then one row of terms per epoch. */
function renderExplanation(x) {
  const mark = (ok) =>
    el("span", { class: ok ? "ok" : "bad" }, ok ? "✓ matches the chain" : "✗ differs from the chain");
  const head = el(
    "p",
    { "data-testid": "explain-summary", "data-matches": String(x.matchesChain) },
    `License #${x.licenseId}, epochs ${x.from}–${x.to}: explained `,
    el("strong", { "data-field": "explained", "data-value": x.explained }, tokens(x.explained)),
    " = claimable on-chain ",
    el("strong", { "data-field": "claimable", "data-value": x.claimable }, tokens(x.claimable)),
    " + claimed ",
    el("strong", { "data-field": "claimed", "data-value": x.claimed }, tokens(x.claimed)),
    " + locked ",
    el("strong", { "data-field": "locked", "data-value": x.locked ?? "0" }, tokens(x.locked ?? "0")),
    " ",
    mark(x.matchesChain),
  );
  const table = el(
    "table",
    {},
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...[
          "Epoch",
          "Seats counted (W)",
          "Licenses (m)",
          "c for this license",
          "Σ c",
          "License pool",
          "Amount",
          "Payable",
          "On-chain",
          "Match",
        ].map((h) => el("th", {}, h)),
      ),
    ),
  );
  const body = el("tbody", {});
  for (const e of x.epochs) {
    const t = e.explanation;
    const chain = e.onChain.claimed
      ? "claimed"
      : e.onChain.forfeited
        ? "forfeited"
        : e.onChain.unlockEpoch != null
          ? `${tokens(e.onChain.locked)} locked until epoch ${e.onChain.unlockEpoch}`
          : tokens(e.onChain.claimable);
    body.append(
      t === null
        ? el(
            "tr",
            { "data-epoch": e.epoch },
            el("td", {}, e.epoch),
            el(
              "td",
              { colspan: 7, class: "muted" },
              e.missing === "not-reported" ? "no report landed" : "no verified leaves",
            ),
            el("td", {}, chain),
            el("td", {}, mark(e.matchesChain)),
          )
        : el(
            "tr",
            { "data-epoch": e.epoch, title: t.formula },
            el("td", {}, e.epoch),
            el("td", {}, t.operatorSeats),
            el("td", {}, t.operatorLicenses),
            el("td", {}, t.countedAttestations),
            el("td", {}, t.totalCountedAttestations),
            el("td", {}, tokens(t.licensePool)),
            el("td", {}, tokens(t.amount)),
            el(
              "td",
              { "data-field": "payable", "data-value": t.payable },
              tokens(t.payable) +
                (t.forfeited ? " (forfeited: its operator attested a FAIL a re-check overturned)" : ""),
            ),
            el("td", {}, chain),
            el("td", {}, mark(e.matchesChain)),
          ),
    );
  }
  table.append(body);
  const formula = x.epochs.find((e) => e.explanation !== null)?.explanation.formula;
  return [head, table, ...(formula === undefined ? [] : [el("p", { class: "muted" }, `How: ${formula}`)])];
}

async function explain(ev) {
  ev?.preventDefault();
  const box = $("explain");
  const license = $("explain-license").value;
  const from = $("explain-from").value;
  const to = $("explain-to").value || from;
  if (license === "" || from === "") {
    box.textContent = "Pick a license and a first epoch.";
    return;
  }
  box.textContent = "recomputing…";
  try {
    const res = await fetch(
      `/explain?license=${encodeURIComponent(license)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (res.status === 404 && Array.isArray(body.paths)) {
      box.textContent = "This node does not serve explanations (GET /explain) yet.";
      return;
    }
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    box.className = "";
    box.replaceChildren(...(Array.isArray(body.epochs) ? renderExplanation(body) : [renderValue(body)]));
  } catch (e) {
    box.className = "warn";
    box.textContent = `cannot explain: ${e.message}`;
  }
}

function connect() {
  const live = $("live");
  const setLive = (on, text) => {
    live.textContent = text;
    live.className = `pill ${on ? "on" : "off"}`;
  };
  const poll = async () => {
    try {
      const res = await fetch("/status");
      renderStatus(await res.json());
      fillLicenses();
      setLive(true, "live (polling)");
    } catch {
      setLive(false, "node unreachable");
    }
    setTimeout(poll, 2000);
  };
  if (typeof EventSource !== "function") {
    void poll();
    return;
  }
  const es = new EventSource("/events");
  let failures = 0;
  es.addEventListener("status", (m) => {
    failures = 0;
    renderStatus(JSON.parse(m.data));
    fillLicenses();
    setLive(true, "live");
  });
  es.addEventListener("error", () => {
    failures++;
    setLive(false, "reconnecting…");
    // The browser retries by itself; after repeated failures, fall back to polling.
    if (failures >= 5) {
      es.close();
      void poll();
    }
  });
}

$("explain-form").addEventListener("submit", explain);
setInterval(() => void loadHistory(), 10_000);
connect();
