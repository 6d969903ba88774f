// The standalone page: live.js, given a stand-in for anywidget's model that talks to scalargrad's local
// server. The model's keys arrive as server-sent events (all of them on connecting, then each change);
// messages go out as JSON posts. Nothing is fetched from anywhere but this server.
import widget from "./live.js";

function connect(host) {
  const keys = {};
  const listeners = new Map();
  const fire = (event) => (listeners.get(event) || []).slice().forEach((callback) => callback());
  const model = {
    get: (key) => keys[key],
    set: (key, value) => { keys[key] = value; },
    save_changes: () => {}, // the page changes Python's side by messages only
    on: (event, callback) => { listeners.set(event, [...(listeners.get(event) || []), callback]); },
    off: (event, callback) => {
      listeners.set(event, (listeners.get(event) || []).filter((other) => other !== callback));
    },
    send: (content) => {
      fetch("/message", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(content) })
        .catch(() => {}); // a lost message is covered by the page's own time-out
    },
  };
  let rendered = false;
  const events = new EventSource("/events");
  events.addEventListener("model", (event) => {
    Object.assign(keys, JSON.parse(event.data), { connected: true });
    if (!rendered) {
      rendered = true;
      document.documentElement.lang = keys.page.lang;
      document.title = keys.page.title;
      widget.render({ model, el: host });
      document.body.dataset.ready = "true";
    } else {
      Object.keys(keys).forEach((key) => fire(`change:${key}`)); // back after a lost connection
    }
  });
  events.addEventListener("change", (event) => {
    const { key, value } = JSON.parse(event.data);
    keys[key] = value;
    fire(`change:${key}`);
  });
  events.addEventListener("error", () => {
    if (keys.connected) {
      keys.connected = false;
      fire("change:connected");
    }
  });
}

connect(document.getElementById("live"));
