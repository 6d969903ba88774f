// Stepping through a sweep's frames: the one stepper of the step-through pages and of the live views.
// (A plain function, no module syntax: a page inlines it in its script, a live view puts it before live.js.)
//
// frames: each frame's caption, the texts that changed at it, and the nodes to highlight;
// base: every text before the first frame; view: where they go (find an element by id, query nodes,
// and the caption, counter, prev and next elements, and words.counter).
function sweepStepper(frames, base, view) {
  // Each frame keeps only what changed; the full texts of every frame are rebuilt once here.
  const states = [];
  frames.forEach((frame, i) => { states.push(Object.assign({}, i ? states[i - 1] : base, frame.texts)); });
  const last = frames.length - 1;
  let current = 0;
  function mark(ids, name) {
    view.nodes(`g.node.${name}`).forEach((g) => g.classList.remove(name));
    ids.forEach((id) => { const g = view.find(id); if (g) g.classList.add(name); });
  }
  return {
    last,
    get current() { return current; },
    // Shows frame i (kept within the frames) and returns it.
    show(i) {
      current = Math.max(0, Math.min(last, i));
      const frame = frames[current];
      for (const [id, text] of Object.entries(states[current])) {
        const element = view.find(id);
        if (element && element.textContent !== text) element.textContent = text;
      }
      mark(frame.active, "active");
      mark(frame.receiving, "receiving");
      view.caption.innerHTML = frame.caption;
      view.counter.textContent = view.words.counter.replace("{index}", current).replace("{total}", last);
      view.prev.disabled = current === 0;
      view.next.disabled = current === last;
      return frame;
    },
    // Takes the highlights off (the live view, going back to its live numbers).
    clear() { mark([], "active"); mark([], "receiving"); },
  };
}
