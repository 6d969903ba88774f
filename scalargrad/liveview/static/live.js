// scalargrad's live views: one front-end for the Jupyter widget (anywidget) and the local server.
//
// It is given a model (anywidget's, or standalone.js's stand-in over HTTP) whose keys hold JSON made in
// Python: "page" (what never changes: the laid-out SVG, the inputs, the words), "state" (every text by
// element id), "frames" (the steps of a sweep), "hover" (an op's local derivatives) and "ack" (the id of
// the last message Python handled). Every number shown comes from Python, where the engine computed it:
// this file places texts by id, toggles classes, draws the training plots from numbers it is given, and
// sends messages. It computes no op and no derivative.

const SVG_NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

// Messages to Python, latest wins: at most one is in flight; while it is, a newer message of the same
// type replaces the waiting one ("set" messages merge their values, so every input's newest number is
// kept). When "ack" lists the one in flight, the next goes. A dragged slider therefore never queues up
// stale recomputes, whatever the transport. Ids are this view's own (a random token and a count): a
// notebook may show one widget in several views, and a page may be reloaded while Python runs on.
function messenger(model) {
  const pending = new Map();
  const token = Math.random().toString(36).slice(2, 10);
  const lastSent = new Map(); // type -> the id of the last message of that type sent
  let count = 0;
  let inFlight = "";
  let sentAt = 0;
  const idle = [];
  function flush() {
    // A message lost with its connection must not stall the page for good: after 10 s, send anyway.
    if (inFlight && performance.now() - sentAt < 10000) return;
    const first = pending.keys().next();
    if (first.done) {
      inFlight = "";
      idle.splice(0).forEach((callback) => callback());
      return;
    }
    const message = pending.get(first.value);
    pending.delete(first.value);
    message.id = `${token}-${++count}`;
    inFlight = message.id;
    lastSent.set(message.type, message.id);
    sentAt = performance.now();
    model.send(message);
  }
  function onAck() {
    if (inFlight && (model.get("ack") || []).includes(inFlight)) {
      inFlight = "";
      flush();
    }
  }
  model.on("change:ack", onAck);
  return {
    send(type, fields = {}) {
      const waiting = pending.get(type);
      const message = Object.assign({ type }, fields);
      if (waiting && waiting.values && message.values) message.values = Object.assign({}, waiting.values, message.values);
      pending.delete(type);
      pending.set(type, message);
      flush();
    },
    busy() { return inFlight !== "" || pending.size > 0; },
    // Whether an answer (frames, hover) is to this view's latest message of its type, and none is waiting.
    answers(type, answer) { return Boolean(answer) && answer.id === lastSent.get(type) && !pending.has(type); },
    // Calls back once nothing is in flight or waiting.
    whenIdle(callback) { if (this.busy()) idle.push(callback); else callback(); },
    stop() { model.off("change:ack", onAck); },
  };
}

// Element lookups within this view only: a notebook may show several views, each with the same ids.
function index(root) {
  const byId = new Map();
  root.querySelectorAll("[id]").forEach((node) => byId.set(node.id, node));
  root.querySelectorAll("[data-slot]").forEach((node) => byId.set(node.dataset.slot, node));
  return byId;
}

function applyTexts(byId, texts) {
  for (const [id, text] of Object.entries(texts || {})) {
    const node = byId.get(id);
    if (node && node.textContent !== text) node.textContent = text;
  }
}

function setColors(root, colors) {
  for (const [name, value] of Object.entries(colors || {})) root.style.setProperty(`--sg-${name}`, value);
}

// Graphviz anchors a table cell's text at its left edge. Each slot was laid out holding the widest
// text it will show: centre it on that place, measured once the view is on screen.
function centreSlots(diagram) {
  let tries = 0;
  function attempt() {
    const texts = Array.from(diagram.querySelectorAll("text.slot"));
    if (!diagram.isConnected || (texts.length && texts[0].getBBox().width === 0)) {
      if (tries++ < 600) requestAnimationFrame(attempt);
      return;
    }
    // Writes, then reads, then writes: one layout for the whole graph, not one per slot.
    const shown = texts.map((text) => text.textContent);
    texts.forEach((text) => { text.textContent = text.dataset.widest; });
    const boxes = texts.map((text) => text.getBBox());
    texts.forEach((text, i) => {
      text.setAttribute("x", String(boxes[i].x + boxes[i].width / 2));
      text.setAttribute("text-anchor", "middle");
      text.textContent = shown[i];
    });
    diagram.dataset.centred = "true";
  }
  diagram.querySelectorAll("text.slot").forEach((text) => { text.dataset.widest = text.textContent; });
  attempt();
}

// ---------------------------------------------------------------------------------------------------------
// The live graph.
// ---------------------------------------------------------------------------------------------------------

function renderGraph(model, root, messages) {
  const page = model.get("page");
  const words = page.words;
  root.append(el("h2", { text: page.title }), el("p", { class: "sg-help", text: words.live_help }));

  const controls = new Map();
  const inputs = el("div", { class: "sg-inputs", role: "group", "aria-label": words.inputs });
  for (const spec of page.inputs) {
    const range = el("input", {
      type: "range", name: spec.name, min: spec.min, max: spec.max, step: spec.step, "aria-label": spec.name,
    });
    const number = el("input", { type: "number", name: spec.name, step: "any", "aria-label": spec.name });
    range.value = String(spec.value);
    number.value = String(spec.value);
    inputs.append(el("label", { class: "sg-input" }, el("span", { class: "sg-name", text: spec.name }), range, number));
    controls.set(spec.name, { range, number });
  }
  const error = el("div", { class: "sg-error", role: "alert", hidden: "" });
  const note = el("div", { class: "sg-note", text: page.steps_note || "" });

  const backward = el("button", { type: "button", class: "sg-steps-backward", text: words.steps_backward });
  const seed = el("select", { name: "seed", "aria-label": words.steps_forward });
  page.inputs.forEach((spec) => seed.append(el("option", { value: spec.name, text: spec.name })));
  const forward = el("button", { type: "button", class: "sg-steps-forward", text: words.steps_forward });
  const prev = el("button", { type: "button", class: "sg-prev", text: words.prev });
  const next = el("button", { type: "button", class: "sg-next", text: words.next });
  const counter = el("span", { class: "sg-counter", "aria-live": "polite" });
  const leave = el("button", { type: "button", class: "sg-leave", text: words.steps_leave });
  const stepper = el("span", { class: "sg-stepper", hidden: "" }, prev, next, counter, leave);
  const bar = el("div", { class: "sg-bar" }, backward, forward, seed, stepper);
  if (!page.steps) [backward, forward, seed].forEach((button) => { button.disabled = true; });
  if (!page.inputs.length) [forward, seed].forEach((button) => { button.disabled = true; });
  const caption = el("div", { class: "sg-caption", "aria-live": "polite" });

  const diagram = el("div", { class: "sg-diagram" });
  diagram.innerHTML = page.svg;
  const tooltip = el("div", { class: "sg-tooltip", role: "tooltip", hidden: "" });

  const body = el("tbody");
  page.rows.forEach((name, i) => {
    body.append(el("tr", { "data-slot": `tr${i}` }, el("th", { scope: "row", text: name }),
      el("td", { class: "data", "data-slot": `rowdata${i}` }), el("td", { class: "grad", "data-slot": `row${i}` })));
  });
  const table = el("table", { class: "sg-table" },
    el("thead", {}, el("tr", {}, el("th", { text: words.table_node }), el("th", { text: words.table_data }),
      el("th", { "data-slot": "rowhead", text: words.grad }))), body);

  root.append(inputs, error, bar, note, caption, diagram, tooltip, table);
  const byId = index(root);
  const ops = new Set(page.ops);
  centreSlots(diagram);

  let state = model.get("state");
  let stepping = false; // showing a sweep's frames rather than the live numbers
  let wantFrames = false; // a step button was pressed and its frames are on their way
  let hovered = null; // the id of the op under the pointer

  // -- live numbers ---------------------------------------------------------------------------------
  function showInputs() {
    for (const [name, { range, number }] of controls) {
      const value = state.values[name];
      if (value === undefined || value === null) continue;
      if (value < Number(range.min)) range.min = String(value);
      if (value > Number(range.max)) range.max = String(value);
      range.value = String(value);
      // Leave a number being typed alone, unless Python refused it and put the last good one back.
      if (root.ownerDocument.activeElement !== number || state.error) number.value = String(value);
    }
  }
  function showState() {
    state = model.get("state");
    if (!stepping) applyTexts(byId, state.texts);
    error.hidden = !state.error;
    error.textContent = state.error || "";
    root.dataset.error = state.error ? "true" : "false";
    // The inputs follow Python only once no newer number of ours is on its way.
    messages.whenIdle(showInputs);
    if (hovered) messages.send("hover", { element: hovered });
  }
  function change(name, value) {
    if (!Number.isFinite(value)) return;
    leaveSteps();
    wantFrames = false; // frames asked for before this change would show the numbers it replaces
    messages.send("set", { values: { [name]: value } });
  }
  for (const [name, { range, number }] of controls) {
    range.addEventListener("input", () => {
      number.value = range.value;
      change(name, Number(range.value));
    });
    number.addEventListener("input", () => {
      const value = number.valueAsNumber;
      if (!Number.isFinite(value)) return;
      if (value < Number(range.min)) range.min = String(value);
      if (value > Number(range.max)) range.max = String(value);
      range.value = String(value);
      change(name, value);
    });
  }

  // -- stepping through a sweep -------------------------------------------------------------------
  // The sweep being stepped through (scalargrad/viz/stepper.js, as the step-through pages use it), from
  // the live numbers of the moment its frames were asked for.
  let sweep = null;
  const where = {
    find: (id) => byId.get(id),
    nodes: (selector) => diagram.querySelectorAll(selector),
    caption, counter, prev, next, words,
  };
  function show(i) {
    sweep.show(i);
    root.dataset.step = String(sweep.current);
  }
  function enterSteps(made) {
    sweep = sweepStepper(made, state.texts, where);
    stepping = true;
    stepper.hidden = false;
    root.dataset.stepping = "true";
    show(0);
  }
  function leaveSteps() {
    if (!stepping) return;
    stepping = false;
    stepper.hidden = true;
    root.dataset.stepping = "false";
    delete root.dataset.step;
    sweep.clear();
    caption.textContent = "";
    applyTexts(byId, state.texts);
  }
  function showFrames() {
    const made = model.get("frames");
    if (!wantFrames || !messages.answers("frames", made)) return; // another view's, or out of date
    wantFrames = false;
    if (!made.frames) {
      if (made.error) note.textContent = made.error;
      return;
    }
    enterSteps(made.frames);
  }
  function askFrames(fields) {
    wantFrames = true;
    messages.send("frames", fields);
  }
  backward.addEventListener("click", () => askFrames({ sweep: "backward" }));
  forward.addEventListener("click", () => askFrames({ sweep: "forward", seed: seed.value }));
  prev.addEventListener("click", () => show(sweep.current - 1));
  next.addEventListener("click", () => show(sweep.current + 1));
  leave.addEventListener("click", leaveSteps);

  // -- hovering over an op ------------------------------------------------------------------------
  diagram.addEventListener("mouseover", (event) => {
    const g = event.target.closest("g.node");
    if (!g || !ops.has(g.id) || g.id === hovered) return;
    hovered = g.id;
    const box = g.getBoundingClientRect();
    const origin = root.getBoundingClientRect();
    // Below the op, where in a left-to-right graph it hides the least.
    tooltip.style.left = `${box.left - origin.left}px`;
    tooltip.style.top = `${box.bottom - origin.top + 6}px`;
    messages.send("hover", { element: hovered });
  });
  diagram.addEventListener("mouseout", (event) => {
    const g = event.target.closest("g.node");
    if (!g || (event.relatedTarget && g.contains(event.relatedTarget))) return;
    hovered = null;
    tooltip.hidden = true;
  });
  function showHover() {
    const hover = model.get("hover");
    if (!messages.answers("hover", hover) || hover.element !== hovered) return;
    tooltip.replaceChildren(...hover.lines.map((line, i) => {
      const row = el("div", { class: i ? "sg-local" : "sg-local-title" });
      row.innerHTML = line; // escaped in Python
      return row;
    }));
    tooltip.hidden = false;
  }

  const handlers = [["change:state", showState], ["change:frames", showFrames], ["change:hover", showHover]];
  handlers.forEach(([event, handler]) => model.on(event, handler));
  showState();
  return () => handlers.forEach(([event, handler]) => model.off(event, handler));
}

// ---------------------------------------------------------------------------------------------------------
// The training dashboard.
// ---------------------------------------------------------------------------------------------------------

function lossCurve(svg, losses) {
  const width = 360;
  const height = 180;
  const pad = 34;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const points = losses.filter(([, loss]) => loss !== null && Number.isFinite(loss));
  if (points.length < 2) return;
  const logScale = points.every(([, loss]) => loss > 0);
  const y = ([, loss]) => (logScale ? Math.log10(loss) : loss);
  const xs = points.map(([step]) => step);
  const ys = points.map(y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
  const px = (x) => pad + ((x - x0) / Math.max(1, x1 - x0)) * (width - pad - 8);
  const py = (v) => height - pad + 8 - ((v - y0) / (y1 - y0)) * (height - pad - 4);
  svg.append(svgEl("line", { x1: pad, y1: height - pad + 8, x2: width - 8, y2: height - pad + 8, class: "sg-axis" }));
  svg.append(svgEl("line", { x1: pad, y1: 4, x2: pad, y2: height - pad + 8, class: "sg-axis" }));
  const line = svgEl("polyline", { class: "sg-loss-line", points: points.map((p) => `${px(p[0])},${py(y(p))}`).join(" ") });
  svg.append(line);
  const label = (x, yy, text, anchor) => {
    const node = svgEl("text", { x, y: yy, "text-anchor": anchor, class: "sg-tick" });
    node.textContent = text;
    svg.append(node);
  };
  const fmt = (v) => Number(logScale ? 10 ** v : v).toPrecision(3);
  label(pad - 3, py(y1) + 4, fmt(y1), "end");
  label(pad - 3, py(y0), fmt(y0), "end");
  label(pad, height - 6, String(x0), "start");
  label(width - 8, height - 6, String(x1), "end");
}

function boundary(canvas, page, cells) {
  const context = canvas.getContext("2d");
  const size = canvas.width;
  context.clearRect(0, 0, size, size);
  const [x0, x1, y0, y1] = page.bounds;
  const n = page.grid;
  const fills = page.colors.classes_light;
  if (cells) {
    const cell = size / n;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        context.fillStyle = fills[Number(cells[row * n + col]) % fills.length];
        // Row 0 is the lowest y: drawn at the bottom.
        context.fillRect(col * cell, size - (row + 1) * cell, cell + 0.5, cell + 0.5);
      }
    }
  }
  const dots = page.colors.classes;
  for (const [x, yy, cls] of page.points) {
    context.beginPath();
    context.arc(((x - x0) / (x1 - x0)) * size, size - ((yy - y0) / (y1 - y0)) * size, 3.2, 0, 2 * Math.PI);
    context.fillStyle = dots[cls % dots.length];
    context.fill();
    context.lineWidth = 0.6;
    context.strokeStyle = "#222";
    context.stroke();
  }
}

function renderTraining(model, root, messages) {
  const page = model.get("page");
  const words = page.words;
  const stepText = el("span", { class: "sg-step", "data-slot": "step" });
  const lossText = el("span", { class: "sg-loss", "data-slot": "loss" });
  const accuracyText = el("span", { class: "sg-accuracy", "data-slot": "accuracy" });
  const statusText = el("span", { class: "sg-status", "data-slot": "status" });
  const toggle = el("button", { type: "button", class: "sg-toggle", text: words.pause });
  const once = el("button", { type: "button", class: "sg-step-once", text: words.step_once });
  const lrRange = el("input", {
    type: "range", name: "lr-slider", min: page.lr_log[0], max: page.lr_log[1], step: 0.01, "aria-label": words.lr,
  });
  const lrNumber = el("input", { type: "number", name: "lr", step: "any", min: 0, "aria-label": words.lr });
  const error = el("div", { class: "sg-error", role: "alert", hidden: "" });
  root.append(
    el("h2", { text: page.title }),
    el("div", { class: "sg-status-line", "aria-live": "polite" }, stepText, lossText, accuracyText, statusText),
    el("div", { class: "sg-bar" }, toggle, once, el("label", { class: "sg-lr" }, el("span", { text: words.lr }), lrRange, lrNumber)),
    error,
  );
  const curve = svgEl("svg", { class: "sg-curve", role: "img", "aria-label": words.loss_curve });
  const plots = el("div", { class: "sg-plots" },
    el("figure", {}, curve, el("figcaption", { text: words.loss_curve })));
  let canvas = null;
  if (page.points) {
    canvas = el("canvas", { class: "sg-boundary", width: 320, height: 320 });
    plots.append(el("figure", {}, canvas, el("figcaption", { text: words.boundary })));
  }
  root.append(plots);
  const network = el("div", { class: "sg-network" });
  network.innerHTML = page.network.svg;
  root.append(el("figure", { class: "sg-network-figure" }, network,
    el("figcaption", {}, el("div", { "data-slot": "network" }), el("div", { text: words.weights_legend }))));
  const byId = index(root);
  const edges = page.network.edges.map((id) => byId.get(id));

  function showState() {
    const state = model.get("state");
    applyTexts(byId, state.texts);
    root.dataset.step = String(state.step);
    root.dataset.running = state.running ? "true" : "false";
    toggle.textContent = state.running ? words.pause : words.resume;
    once.disabled = state.running;
    error.hidden = !state.error;
    error.textContent = state.error || "";
    // A schedule's rate (0.10899999...) shown as a person would type it; the optimizer keeps the exact one.
    if (root.ownerDocument.activeElement !== lrNumber) lrNumber.value = String(Number(state.lr.toPrecision(4)));
    if (root.ownerDocument.activeElement !== lrRange && state.lr > 0) lrRange.value = String(Math.log10(state.lr));
    state.weights.forEach((weight, i) => {
      const edge = edges[i];
      if (!edge || weight === null) return; // null: not a finite number (a diverged run)
      edge.setAttribute("class", weight >= 0 ? "sg-weight sg-positive" : "sg-weight sg-negative");
      edge.setAttribute("stroke-width", (0.3 + 3.7 * Math.abs(weight)).toFixed(2));
    });
    lossCurve(curve, state.losses);
    if (canvas) boundary(canvas, page, state.boundary);
  }
  toggle.addEventListener("click", () => messages.send(model.get("state").running ? "pause" : "resume"));
  once.addEventListener("click", () => messages.send("step"));
  lrNumber.addEventListener("change", () => {
    const value = lrNumber.valueAsNumber;
    if (Number.isFinite(value) && value >= 0) messages.send("lr", { value });
  });
  lrRange.addEventListener("input", () => {
    const value = Number((10 ** Number(lrRange.value)).toPrecision(3));
    lrNumber.value = String(value);
    messages.send("lr", { value });
  });
  model.on("change:state", showState);
  showState();
  return () => model.off("change:state", showState);
}

// ---------------------------------------------------------------------------------------------------------
// anywidget's entry point (the standalone page calls it too).
// ---------------------------------------------------------------------------------------------------------

function render({ model, el: host }) {
  const page = model.get("page");
  const root = el("div", { class: "sg-live", lang: page.lang });
  setColors(root, page.colors);
  // Keys pressed in the view are the view's: JupyterLab would take a slider's arrows or a select's letters
  // as notebook shortcuts (it leaves alone only elements that match :read-write), and insert or move cells.
  root.addEventListener("keydown", (event) => event.stopPropagation());
  host.append(root);
  const messages = messenger(model);
  const offline = el("div", { class: "sg-offline", role: "status", hidden: "", text: page.words.disconnected });
  root.append(offline);
  const onConnected = () => { offline.hidden = model.get("connected") !== false; };
  model.on("change:connected", onConnected);
  const stop = page.kind === "training" ? renderTraining(model, root, messages) : renderGraph(model, root, messages);
  return () => {
    stop();
    messages.stop();
    model.off("change:connected", onConnected);
    root.remove();
  };
}

export default { render };
