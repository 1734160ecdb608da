// The annotation workspace: waveform (server peaks, visible window only), transcript with the
// word being played, prosody track, keyboard tagging, versioned autosave with conflict merge,
// and an offline queue kept in localStorage so no edit is lost.
//
// Long calls stay fast: the first payload carries each turn's times, text and tags only; turn
// blocks are light shells until they scroll near the viewport (IntersectionObserver), and word
// timings and prosody contours arrive in chunks of CHUNK turns for what is on screen.
const root = document.getElementById("workspace");
const $ = (id) => document.getElementById(id);
const audio = $("ws-audio");
const csrf = document.body.getAttribute("hx-headers") ? JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] : "";
const queueKey = `annotera-unsaved-${root.dataset.assignment}`;
const SPEAKER_COLOURS = ["rgba(53,89,224,0.16)", "rgba(18,183,106,0.18)", "rgba(247,144,9,0.18)", "rgba(240,68,56,0.16)"];

const CHUNK = 50; // turns per word/contour request
const CONTOUR_SPAN = 900; // seconds: wider views draw per-turn prosody summaries instead of contours

const state = {
  data: null, current: 0, view: { start: 0, end: 30 }, lastLabel: null, pending: new Map(), saving: false,
  detail: new Map(), chunks: new Map(), filled: new Set(), playingWord: null,
};
let observer = null;

async function load(keepView = false) {
  const response = await fetch(root.dataset.api, { headers: { Accept: "application/json" } });
  if (!response.ok) { setStatus(`could not load the call (${response.status})`, true); return; }
  state.data = await response.json();
  state.detail.clear();
  state.chunks.clear();
  const duration = state.data.call.duration || 0;
  if (!keepView) state.view = { start: 0, end: Math.max(1, duration) };
  renderPalette();
  renderTurns();
  restoreQueue();
  drawAll();
  updateProgress(state.data.progress);
  if (!keepView) select(0, false);
}

// --- word timings and contours, fetched by chunk of turns ---------------------------------------
function ensureDetail(firstIndex, lastIndex) {
  const turns = state.data.turns, waits = [];
  for (let c = Math.floor(firstIndex / CHUNK); c <= Math.floor(lastIndex / CHUNK); c++) {
    if (!state.chunks.has(c)) {
      const first = turns[c * CHUNK]?.order, last = turns[Math.min(turns.length - 1, (c + 1) * CHUNK - 1)]?.order;
      if (first === undefined) continue;
      const data = state.data;
      state.chunks.set(c, fetch(`${root.dataset.turns}?first=${first}&last=${last}`).then((r) => (r.ok ? r.json() : null)).then((payload) => {
        if (!payload || data !== state.data) { if (data === state.data) state.chunks.delete(c); return; }
        for (const [id, detail] of Object.entries(payload.turns)) state.detail.set(Number(id), detail);
        for (let i = c * CHUNK; i < Math.min(turns.length, (c + 1) * CHUNK); i++) if (state.filled.has(i)) renderWords(i);
      }).catch(() => state.chunks.delete(c)));
    }
    waits.push(state.chunks.get(c));
  }
  return Promise.all(waits);
}

// --- transcript and tags ----------------------------------------------------------------------
function labelInfo(key) {
  return state.data.taxonomy.labels.find((l) => l.key === key) || { key, name: key, colour: "#888" };
}

// The taxonomy's labels with their hotkeys: a reminder, and a click target for the current turn.
function renderPalette() {
  const palette = $("ws-labels");
  palette.textContent = "";
  state.data.taxonomy.labels.forEach((label) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ws-label";
    button.style.borderColor = label.colour;
    button.title = label.definition || label.name;
    if (label.hotkey) { const key = document.createElement("kbd"); key.textContent = label.hotkey; button.append(key, " "); }
    button.append(label.name);
    button.addEventListener("click", () => toggleLabel(state.current, label.key));
    palette.appendChild(button);
  });
}

function speakerColour(turn, alpha) {
  const index = state.data.speakers.findIndex((s) => s.id === turn.speaker_id);
  return SPEAKER_COLOURS[Math.max(0, index) % SPEAKER_COLOURS.length].replace(/0\.1\d\)/, `${alpha})`);
}

// Every turn gets a light shell (header + plain text); words, tags and controls are built when the
// shell comes near the viewport, so a 2,000-turn call costs 2,000 small elements, not 100,000.
function renderTurns() {
  const container = $("ws-turns");
  if (observer) observer.disconnect();
  state.filled.clear();
  state.playingWord = null;
  container.textContent = "";
  observer = new IntersectionObserver((entries) => {
    const shown = entries.filter((e) => e.isIntersecting).map((e) => Number(e.target.dataset.index));
    if (!shown.length) return;
    shown.forEach(fill);
    ensureDetail(Math.min(...shown), Math.max(...shown));
  }, { root: container, rootMargin: "600px 0px" });
  const fragment = document.createDocumentFragment();
  state.data.turns.forEach((turn, index) => {
    const block = document.createElement("section");
    block.className = "ws-turn";
    block.dataset.index = index;
    block.style.borderLeftColor = speakerColour(turn, 0.9);
    const head = document.createElement("header");
    head.textContent = `${turn.speaker} · ${turn.role} · ${fmt(turn.start)}–${fmt(turn.end)}${turn.language ? " · " + turn.language : ""}`;
    const text = document.createElement("p");
    text.className = "ws-text";
    text.textContent = turn.text;
    const tags = document.createElement("div");
    tags.className = "ws-tags";
    block.append(head, text, tags);
    fragment.appendChild(block);
  });
  container.appendChild(fragment);
  container.querySelectorAll(".ws-turn").forEach((block) => observer.observe(block));
}

function blockAt(index) { return $("ws-turns").children[index]; }

function fill(index) {
  if (state.filled.has(index)) return;
  state.filled.add(index);
  const turn = state.data.turns[index], head = blockAt(index).querySelector("header");
  if (state.data.speakers.length > 1) {
    const who = document.createElement("select");
    who.className = "ws-speaker small";
    who.title = "reassign this turn to another speaker";
    state.data.speakers.forEach((s) => who.add(new Option(`${s.label} (${s.role})`, s.id, false, s.id === turn.speaker_id)));
    who.addEventListener("click", (event) => event.stopPropagation());
    who.addEventListener("change", () => correctTurn({ action: "speaker", speaker: Number(who.value) }, index));
    head.append(" ", who);
  }
  renderWords(index);
  renderTags(index);
}

function renderWords(index) {
  const turn = state.data.turns[index], detail = state.detail.get(turn.id);
  if (!detail || !detail.words.length) return;
  const text = blockAt(index).querySelector(".ws-text");
  text.textContent = "";
  detail.words.forEach((word) => {
    const span = document.createElement("span");
    span.textContent = word.w + " ";
    span.dataset.s = word.s;
    span.dataset.e = word.e;
    text.appendChild(span);
  });
}

function renderTags(index) {
  if (!state.filled.has(index)) return; // built with the current state when it scrolls into view
  const turn = state.data.turns[index];
  const block = blockAt(index).querySelector(".ws-tags");
  block.textContent = "";
  const mine = turn.annotation.labels || [];
  mine.forEach((item) => {
    const chip = document.createElement("span");
    chip.className = "ws-chip";
    chip.style.background = labelInfo(item.label).colour;
    chip.textContent = `${labelInfo(item.label).name} ${item.intensity ?? ""}`;
    chip.title = "click to remove";
    chip.addEventListener("click", (event) => { event.stopPropagation(); toggleLabel(index, item.label); });
    block.appendChild(chip);
  });
  const suggestion = state.data.suggestions && state.data.suggestions[turn.id];
  if (suggestion) {
    suggestion.labels.filter((s) => !mine.some((m) => m.label === s.label)).forEach((s) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "ws-chip ws-suggested";
      chip.style.borderColor = labelInfo(s.label).colour;
      chip.textContent = `${labelInfo(s.label).name} ${s.intensity}? (${Math.round(s.confidence * 100)}%)`;
      chip.title = "suggested: click to accept";
      chip.addEventListener("click", (event) => { event.stopPropagation(); acceptSuggestion(index, s); });
      block.appendChild(chip);
    });
    const why = document.createElement("details");
    why.className = "ws-why";
    why.innerHTML = `<summary>why suggested</summary>`;
    why.append(document.createTextNode(`${suggestion.rationale} (${suggestion.model_version})`));
    block.appendChild(why);
  }
  block.appendChild(dimensionControls(index));
}

function scale(key, fallback) {
  const dim = state.data.taxonomy.dimensions.find((d) => d.key === key);
  const [lo, hi, step] = dim ? [dim.minimum, dim.maximum, dim.step || 1] : fallback;
  const values = [];
  for (let v = lo; v <= hi + 1e-9; v += step) values.push(Math.round(v * 1000) / 1000);
  return values;
}

function dimensionControls(index) {
  const a = state.data.turns[index].annotation;
  const box = document.createElement("div");
  box.className = "ws-dims small";
  const select = (name, values, current) => {
    const el = document.createElement("select");
    el.name = name;
    el.innerHTML = `<option value="">${name} –</option>` + values.map((v) => `<option value="${v}"${current === v ? " selected" : ""}>${name} ${v}</option>`).join("");
    el.addEventListener("change", () => edit(index, (x) => { x[name] = el.value === "" ? null : Number(el.value); }));
    return el;
  };
  box.append(select("valence", scale("valence", [-3, 3, 1]), a.valence), select("arousal", scale("arousal", [1, 5, 1]), a.arousal));
  const confidence = select("confidence", [0.25, 0.5, 0.75, 1], a.confidence);
  const note = document.createElement("input");
  note.placeholder = "note";
  note.value = a.note || "";
  note.addEventListener("change", () => edit(index, (x) => { x.note = note.value; }));
  box.append(confidence, note);
  (a.shifts || []).forEach((shift, i) => {
    const chip = document.createElement("span");
    chip.className = "ws-shift";
    chip.textContent = `shift ${fmt(shift.at)} ${shift.from} → ${shift.to} ✕`;
    chip.title = "remove this shift";
    chip.addEventListener("click", (event) => { event.stopPropagation(); edit(index, (x) => x.shifts.splice(i, 1)); });
    box.appendChild(chip);
  });
  return box;
}

function addShift(index) {
  const turn = state.data.turns[index];
  const labels = turn.annotation.labels || [];
  if (labels.length < 2) { setStatus("a shift needs two emotions on the turn (from → to): tag both first", true); return; }
  const at = Math.min(turn.end, Math.max(turn.start, audio.currentTime));
  edit(index, (x) => { x.shifts = [...(x.shifts || []), { at, from: labels[0].label, to: labels[labels.length - 1].label }].sort((p, q) => p.at - q.at); });
}

function select(index, play) {
  state.current = Math.max(0, Math.min(state.data.turns.length - 1, index));
  document.querySelectorAll(".ws-turn.current").forEach((el) => el.classList.remove("current"));
  const block = blockAt(state.current);
  if (block) { fill(state.current); block.classList.add("current"); block.scrollIntoView({ block: "nearest" }); }
  const turn = state.data.turns[state.current];
  if (turn && (turn.start < state.view.start || turn.end > state.view.end)) {
    const span = state.view.end - state.view.start;
    state.view.start = Math.max(0, turn.start - span * 0.1);
    state.view.end = state.view.start + span;
    drawAll();
  }
  if (play && turn) { seek(turn.start); audio.play(); }
}

// --- editing and saving ---------------------------------------------------------------------------
function edit(index, change) {
  const turn = state.data.turns[index];
  const next = structuredClone(turn.annotation);
  next.labels = next.labels || [];
  change(next);
  turn.annotation = next;
  renderTags(index);
  state.pending.set(turn.id, index);
  persistQueue();
  scheduleSave();
}

function toggleLabel(index, key) {
  edit(index, (a) => {
    const at = a.labels.findIndex((l) => l.label === key);
    if (at >= 0) { a.labels.splice(at, 1); a.suggestion_actions = { ...(a.suggestion_actions || {}), [key]: "rejected" }; }
    else { a.labels.push({ label: key, intensity: 3 }); state.lastLabel = key; }
  });
}

function setIntensity(index, value) {
  edit(index, (a) => {
    const item = a.labels.find((l) => l.label === state.lastLabel) || a.labels[a.labels.length - 1];
    if (item) {
      item.intensity = value;
      const suggested = state.data.suggestions && state.data.suggestions[state.data.turns[index].id];
      if (suggested && suggested.labels.some((s) => s.label === item.label)) a.suggestion_actions = { ...(a.suggestion_actions || {}), [item.label]: "edited" };
    }
  });
}

function acceptSuggestion(index, s) {
  edit(index, (a) => {
    if (!a.labels.some((l) => l.label === s.label)) a.labels.push({ label: s.label, intensity: s.intensity });
    a.suggestion_actions = { ...(a.suggestion_actions || {}), [s.label]: "accepted" };
    const suggestion = state.data.suggestions[state.data.turns[index].id];
    if (a.valence == null) a.valence = suggestion.valence;
    if (a.arousal == null) a.arousal = suggestion.arousal;
    state.lastLabel = s.label;
  });
}

let saveTimer = null;
function scheduleSave() { clearTimeout(saveTimer); saveTimer = setTimeout(flush, 400); }

async function flush() {
  if (state.saving || !state.pending.size) return;
  state.saving = true;
  setStatus(`saving ${state.pending.size} change(s)…`);
  try {
    for (const [turnId, index] of [...state.pending]) {
      const turn = state.data.turns[index];
      const a = turn.annotation;
      const body = { labels: a.labels || [], valence: a.valence, arousal: a.arousal, shifts: a.shifts || [], note: a.note || "", confidence: a.confidence, suggestion_actions: a.suggestion_actions || {} };
      const response = await fetch(root.dataset.save.replace("/0/", `/${turnId}/`), {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "If-Match": `"${a.version || 0}"` },
        body: JSON.stringify(body),
      });
      if (response.status === 409) {
        const current = (await response.json()).current;
        await resolveConflict(index, current);
        continue;
      }
      const payload = await response.json();
      if (!response.ok) { setStatus(`not saved: ${[].concat(payload.detail).join(" ")}`, true); state.pending.delete(turnId); continue; }
      turn.annotation.version = payload.annotation.version;
      state.pending.delete(turnId);
      updateProgress(payload.progress);
    }
    persistQueue();
    setStatus(state.pending.size ? `${state.pending.size} change(s) waiting` : "all changes saved");
  } catch (error) {
    setStatus(`offline: ${state.pending.size} change(s) kept here and retried`, true);
    setTimeout(flush, 5000);
  } finally {
    state.saving = false;
  }
}

function resolveConflict(index, current) {
  const turn = state.data.turns[index];
  const names = (labels) => (labels || []).map((l) => `${l.label} ${l.intensity ?? ""}`).join(", ") || "nothing";
  $("ws-conflict-text").textContent = `Saved elsewhere: ${names(current.labels)}. Yours: ${names(turn.annotation.labels)}.`;
  return new Promise((resolve) => {
    const dialog = $("ws-conflict");
    dialog.onclose = () => {
      const choice = dialog.returnValue || "both";
      const mine = turn.annotation;
      if (choice === "theirs") { turn.annotation = current; state.pending.delete(turn.id); }
      else {
        const merged = choice === "both" ? [...(current.labels || []), ...(mine.labels || []).filter((l) => !(current.labels || []).some((c) => c.label === l.label))] : mine.labels;
        turn.annotation = { ...mine, labels: merged, version: current.version };
      }
      renderTags(index);
      persistQueue();
      resolve();
      scheduleSave();
    };
    dialog.showModal();
  });
}

function persistQueue() {
  const unsaved = [...state.pending.keys()].map((id) => [id, state.data.turns[state.pending.get(id)].annotation]);
  if (unsaved.length) localStorage.setItem(queueKey, JSON.stringify(unsaved)); else localStorage.removeItem(queueKey);
}

function restoreQueue() {
  const saved = JSON.parse(localStorage.getItem(queueKey) || "[]");
  saved.forEach(([id, annotation]) => {
    const index = state.data.turns.findIndex((t) => t.id === id);
    if (index >= 0) { state.data.turns[index].annotation = annotation; state.pending.set(id, index); renderTags(index); }
  });
  if (saved.length) { setStatus(`${saved.length} unsaved change(s) restored; saving`); scheduleSave(); }
}

function setStatus(text, warn = false) { const el = $("ws-save"); el.textContent = text; el.classList.toggle("error", warn); }
function updateProgress(p) { if (p) $("ws-progress").textContent = `${p.tagged}/${p.turns} turns tagged`; }

// --- audio, waveform and prosody ------------------------------------------------------------------
function seek(t) { audio.currentTime = Math.max(0, t); }
const fmt = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;

let peaksToken = 0;
async function drawAll() {
  // The canvas keeps its old picture until the new window's peaks arrive (no blank flash).
  const { start, end } = state.view;
  const token = ++peaksToken;
  const url = `${root.dataset.peaks}?start=${start.toFixed(3)}&end=${end.toFixed(3)}&buckets=${$("ws-wave").clientWidth}`;
  const response = await fetch(url);
  if (!response.ok || token !== peaksToken) return;
  state.peaks = await response.json();
  drawWave();
  drawProsody();
}

function decode(b64) { const raw = atob(b64); const out = new Int8Array(raw.length); for (let i = 0; i < raw.length; i++) out[i] = (raw.charCodeAt(i) << 24) >> 24; return out; }

function drawWave() {
  const canvas = $("ws-wave"), ctx = canvas.getContext("2d"), { start, end } = state.view;
  if (canvas.width !== canvas.clientWidth) canvas.width = canvas.clientWidth;
  const w = canvas.width, h = canvas.height, x = (t) => ((t - start) / (end - start)) * w;
  ctx.clearRect(0, 0, w, h);
  state.data.turns.forEach((turn, i) => {
    if (turn.end < start || turn.start > end) return;
    ctx.fillStyle = speakerColour(turn, 0.16);
    ctx.fillRect(x(turn.start), 0, Math.max(1, x(turn.end) - x(turn.start)), h);
    if (i === state.current) { ctx.strokeStyle = "#3559e0"; ctx.strokeRect(x(turn.start), 1, x(turn.end) - x(turn.start), h - 2); }
  });
  if (!state.peaks) return;
  const rows = state.peaks.data.length, band = h / rows;
  state.peaks.data.forEach((b64, c) => {
    const data = decode(b64), mid = band * c + band / 2;
    ctx.fillStyle = "#344054";
    for (let i = 0; i < data.length / 2; i++) {
      const lo = data[2 * i] / 127, hi = data[2 * i + 1] / 127;
      ctx.fillRect(i, mid - hi * band / 2, 1, Math.max(1, (hi - lo) * band / 2));
    }
  });
  const px = x(audio.currentTime);
  ctx.fillStyle = "#f04438";
  ctx.fillRect(px, 0, 2, h);
}

function drawProsody() {
  const canvas = $("ws-prosody");
  if (canvas.width !== canvas.clientWidth) canvas.width = canvas.clientWidth;
  const ctx = canvas.getContext("2d"), { start, end } = state.view, w = canvas.width, h = canvas.height;
  const x = (t) => ((t - start) / (end - start)) * w;
  ctx.clearRect(0, 0, w, h);
  const visible = [];
  state.data.turns.forEach((turn, i) => { if (turn.end >= start && turn.start <= end) visible.push(i); });
  if (end - start > CONTOUR_SPAN) {
    // Whole-call overview: each turn's median pitch and mean loudness as a level across the turn.
    for (const i of visible) {
      const turn = state.data.turns[i], x0 = x(turn.start), width = Math.max(1, x(turn.end) - x0);
      const level = (value, colour, lo, hi) => { if (value == null) return; ctx.fillStyle = colour; ctx.fillRect(x0, h - ((value - lo) / (hi - lo)) * h, width, 2); };
      level(turn.loudness, "#98a2b3", 30, 90);
      level(turn.pitch, "#3559e0", -12, 24);
    }
    return;
  }
  if (visible.length) ensureDetail(visible[0], visible[visible.length - 1]).then(() => { if (state.view.start === start && state.view.end === end) drawContours(visible); });
}

function drawContours(visible) {
  const canvas = $("ws-prosody"), ctx = canvas.getContext("2d"), { start, end } = state.view, w = canvas.width, h = canvas.height;
  const x = (t) => ((t - start) / (end - start)) * w;
  ctx.clearRect(0, 0, w, h);
  for (const i of visible) {
    const turn = state.data.turns[i], contour = state.detail.get(turn.id)?.contour;
    if (!contour || !contour.hz) continue;
    const step = 1 / contour.hz;
    const plot = (values, colour, lo, hi) => {
      ctx.strokeStyle = colour; ctx.beginPath(); let pen = false;
      values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        const px = x(turn.start + (i + 0.5) * step), py = h - ((v - lo) / (hi - lo)) * h;
        if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
      });
      ctx.stroke();
    };
    plot(contour.loudness_db || [], "#98a2b3", 30, 90);
    plot(contour.pitch_st || [], "#3559e0", -12, 24);
  }
}

function zoom(factor) {
  const duration = state.data.call.duration || 1, centre = audio.currentTime || (state.view.start + state.view.end) / 2;
  const span = Math.min(duration, Math.max(2, (state.view.end - state.view.start) * factor));
  state.view.start = Math.max(0, Math.min(duration - span, centre - span / 2));
  state.view.end = state.view.start + span;
  drawAll();
}

function followPlayback() {
  const t = audio.currentTime;
  $("ws-time").textContent = `${fmt(t)} / ${fmt(state.data?.call.duration || 0)}`;
  if (!state.data) return;
  const turn = state.data.turns[state.current];
  if ($("ws-loop").checked && turn && t >= turn.end) seek(turn.start);
  const playing = state.data.turns.findIndex((tr) => t >= tr.start && t < tr.end);
  if (playing >= 0 && playing !== state.current && !$("ws-loop").checked) select(playing, false);
  highlightWord(t);
  if (t > state.view.end || t < state.view.start) { const span = state.view.end - state.view.start; state.view.start = Math.max(0, t - span * 0.1); state.view.end = state.view.start + span; drawAll(); }
  else drawWave();
}

function highlightWord(t) {
  const block = blockAt(state.current);
  const word = block ? [...block.querySelectorAll(".ws-text span")].find((el) => t >= +el.dataset.s && t < +el.dataset.e) : null;
  if (word === state.playingWord) return;
  if (state.playingWord) state.playingWord.classList.remove("playing");
  if (word) word.classList.add("playing");
  state.playingWord = word || null;
}

// Channel solo for dual-channel calls: route the <audio> element through Web Audio.
let graph = null;
function setChannel(value) {
  if (!graph) {
    const ctx = new AudioContext(), source = ctx.createMediaElementSource(audio);
    const split = ctx.createChannelSplitter(2), merge = ctx.createChannelMerger(2), gains = [ctx.createGain(), ctx.createGain()];
    source.connect(split);
    gains.forEach((g, i) => { split.connect(g, i); g.connect(merge, 0, 0); g.connect(merge, 0, 1); });
    merge.connect(ctx.destination);
    graph = { ctx, gains };
  }
  graph.gains.forEach((g, i) => { g.gain.value = value === "both" || String(i) === value ? 1 : 0; });
}

// --- keyboard -----------------------------------------------------------------------------------
document.addEventListener("keydown", (event) => {
  if (!state.data || ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName)) return;
  const key = event.key;
  if (key === " ") { event.preventDefault(); audio.paused ? audio.play() : audio.pause(); return; }
  // Commands use arrows, Enter, punctuation or Shift+letter, so every plain letter is free for the
  // taxonomy's label hotkeys (the taxonomy editor refuses the reserved ones).
  if (key === "ArrowDown") { event.preventDefault(); select(state.current + 1, !audio.paused); return; }
  if (key === "ArrowUp") { event.preventDefault(); select(state.current - 1, !audio.paused); return; }
  if (key === "Enter" && !(event.ctrlKey || event.metaKey)) { event.preventDefault(); select(state.current, true); return; }
  if (key === "[") { adjustTurn("start"); return; }
  if (key === "]") { adjustTurn("end"); return; }
  if (event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const command = { S: () => addShift(state.current), X: () => correctTurn({ action: "split", at: audio.currentTime }),
      M: () => correctTurn({ action: "merge" }), A: () => acceptAll(state.current) }[key.toUpperCase()];
    if (command) { event.preventDefault(); command(); return; }
  }
  if (key === "?") { $("ws-help").showModal(); return; }
  if (key === "+" || key === "=") { zoom(0.5); return; }
  if (key === "-") { zoom(2); return; }
  if (key === "Enter" && (event.ctrlKey || event.metaKey)) { submit(); return; }
  if (/^[1-5]$/.test(key)) { setIntensity(state.current, Number(key)); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const label = state.data.taxonomy.labels.find((l) => l.hotkey && l.hotkey.toLowerCase() === key.toLowerCase());
  if (label) toggleLabel(state.current, label.key);
});

function acceptAll(index) {
  const s = state.data.suggestions && state.data.suggestions[state.data.turns[index].id];
  if (s) s.labels.forEach((item) => acceptSuggestion(index, item));
}

function adjustTurn(edge) {
  const turn = state.data.turns[state.current], t = Math.round(audio.currentTime * 100) / 100;
  const start = edge === "start" ? t : turn.start, end = edge === "end" ? t : turn.end;
  if (end <= start) { setStatus(`the ${edge} must stay ${edge === "start" ? "before the end" : "after the start"} of the turn: move the playhead first`, true); return; }
  correctTurn({ action: "adjust", start, end });
}

const DONE = { adjust: "turn boundaries moved", split: "turn split", merge: "turns merged", speaker: "speaker reassigned" };

async function correctTurn(body, index = state.current) {
  const turn = state.data.turns[index];
  await flush();
  const response = await fetch(root.dataset.correct.replace("/0/", `/${turn.id}/`), {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify({ ...body, revision: turn.revision }),
  });
  const payload = await response.json();
  if (!response.ok) { setStatus([].concat(payload.detail).join(" "), true); return; }
  await load(true);
  select(index, false);
  setStatus(DONE[body.action]);
}

async function submit(skipReason = "") {
  await flush();
  const response = await fetch(root.dataset.submit, {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify({ skip_reason: skipReason }),
  });
  const payload = await response.json();
  if (response.ok) { setStatus(`call ${payload.status}`); window.location.href = "/queue/"; }
  else setStatus([].concat(payload.detail).join(" "), true);
}

$("ws-play").addEventListener("click", () => (audio.paused ? audio.play() : audio.pause()));
audio.addEventListener("play", () => ($("ws-play").textContent = "Pause"));
audio.addEventListener("pause", () => ($("ws-play").textContent = "Play"));
audio.addEventListener("timeupdate", followPlayback);
$("ws-rate").addEventListener("change", (e) => (audio.playbackRate = Number(e.target.value)));
$("ws-channel").addEventListener("change", (e) => setChannel(e.target.value));
$("ws-zoom-in").addEventListener("click", () => zoom(0.5));
$("ws-zoom-out").addEventListener("click", () => zoom(2));
$("ws-help-btn").addEventListener("click", () => $("ws-help").showModal());
$("ws-set-start").addEventListener("click", () => adjustTurn("start"));
$("ws-set-end").addEventListener("click", () => adjustTurn("end"));
$("ws-split").addEventListener("click", () => correctTurn({ action: "split", at: audio.currentTime }));
$("ws-merge").addEventListener("click", () => correctTurn({ action: "merge" }));
// One delegated handler for the whole transcript: select a turn, or seek to a clicked word.
$("ws-turns").addEventListener("click", (event) => {
  const block = event.target.closest(".ws-turn");
  if (!block || event.target.closest("select, input, button, details, .ws-chip, .ws-shift")) return;
  const word = event.target.closest(".ws-text span");
  if (word) { seek(Number(word.dataset.s)); return; }
  select(Number(block.dataset.index), false);
});
$("ws-submit").addEventListener("click", () => submit());
$("ws-skip").addEventListener("click", () => { const reason = prompt("Why skip this call?"); if (reason) submit(reason); });
$("ws-wave").addEventListener("click", (event) => {
  const rect = event.target.getBoundingClientRect();
  seek(state.view.start + ((event.clientX - rect.left) / rect.width) * (state.view.end - state.view.start));
});
$("ws-wave").addEventListener("wheel", (event) => {
  event.preventDefault();
  if (event.ctrlKey) { zoom(event.deltaY > 0 ? 1.25 : 0.8); return; }
  const span = state.view.end - state.view.start, shift = (event.deltaY + event.deltaX) / 1000 * span;
  state.view.start = Math.max(0, Math.min((state.data.call.duration || span) - span, state.view.start + shift));
  state.view.end = state.view.start + span;
  drawAll();
}, { passive: false });
window.addEventListener("online", flush);
let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawAll, 150); });
window.annotera = { state, flush };
load();
