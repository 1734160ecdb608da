// The transcript: a light shell per turn, filled (words, tags, controls) when it nears the viewport,
// so a 2,000-turn call costs 2,000 small elements, not 100,000. Word timings and contours arrive
// in chunks of CHUNK turns for what is on screen.
import { $, fmt, labelInfo, readOnly, root, scaleValues, shiftTime, state, suggestionMode, suggestionsShown, textOn } from "./state.js";
import { speakerColour, drawAll } from "./waveform.js";
import { acceptSuggestion, edit, proposeCorrection, rejectSuggestion, toggleLabel, toggleNoEmotion, toggleSkip, withdraw } from "./edits.js";

const CHUNK = 50;
let observer = null;

export function ensureDetail(firstIndex, lastIndex) {
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

export function renderPalette() {
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

export function renderTurns() {
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
    block.tabIndex = -1; // focus comes back here after a change
    block.setAttribute("aria-label", `turn ${index + 1}`);
    block.style.borderLeftColor = speakerColour(turn, 0.9);
    const head = document.createElement("header");
    head.textContent = `${turn.speaker} · ${turn.role} · ${fmt(turn.start)}–${fmt(turn.end)}`;
    if (turn.language) { const lang = document.createElement("span"); lang.className = "ws-lang"; lang.textContent = turn.language; lang.title = "language of this turn"; head.append(" · ", lang); }
    if (turn.untranscribed) { const badge = document.createElement("span"); badge.className = "ws-untranscribed"; badge.textContent = "untranscribed speech: listen, tag it, and correct the text"; head.append(" ", badge); }
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
  renderGaps();
}

// Words no turn holds now (a boundary moved past them): listed, never lost.
function renderGaps() {
  const gaps = $("ws-gaps"), words = state.data.unassigned_words || [];
  gaps.hidden = !words.length;
  gaps.textContent = words.length ? `Words outside every turn (move a boundary to take them back): ${words.map((w) => `${w.w} @${fmt(w.s)}`).join(", ")}` : "";
}

export function blockAt(index) { return $("ws-turns").children[index]; }

export function fill(index) {
  if (state.filled.has(index)) return;
  state.filled.add(index);
  const turn = state.data.turns[index], head = blockAt(index).querySelector("header");
  if (state.data.speakers.length > 1) {
    const who = document.createElement("select");
    who.className = "ws-speaker small";
    who.setAttribute("aria-label", `speaker of turn ${index + 1} (proposes a correction)`);
    state.data.speakers.forEach((s) => who.add(new Option(`${s.label} (${s.role})`, s.id, false, s.id === turn.speaker_id)));
    who.addEventListener("change", () => proposeCorrection("speaker", { speaker: Number(who.value) }, index));
    head.append(" ", who);
  }
  const fix = document.createElement("button");
  fix.type = "button"; fix.className = "ws-mini"; fix.textContent = "edit text";
  fix.setAttribute("aria-label", `propose a corrected transcript for turn ${index + 1}`);
  fix.addEventListener("click", () => editText(index));
  head.append(" ", fix);
  renderWords(index);
  renderTags(index);
}

function editText(index) {
  const turn = state.data.turns[index], block = blockAt(index), text = block.querySelector(".ws-text");
  const area = document.createElement("textarea");
  area.className = "ws-edit-text"; area.value = turn.text; area.rows = 2;
  area.setAttribute("aria-label", `corrected transcript of turn ${index + 1}; Enter proposes, Esc cancels`);
  text.replaceWith(area);
  area.focus();
  const done = (keep) => { area.replaceWith(text); if (keep && area.value.trim() && area.value.trim() !== turn.text) proposeCorrection("text", { text: area.value.trim() }, index); block.focus(); };
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); done(true); }
    if (event.key === "Escape") { event.preventDefault(); done(false); }
  });
}

export function renderWords(index) {
  const turn = state.data.turns[index], detail = state.detail.get(turn.id);
  if (!detail || !detail.words.length) return;
  const text = blockAt(index).querySelector(".ws-text");
  if (!text) return;
  text.textContent = "";
  const switches = new Set(detail.language_switches || []);
  detail.words.forEach((word, at) => {
    // A space between words, except before a word written joined to the last (Chinese, Thai, ...).
    const joined = word.j && at > 0 && (detail.words[at - 1].l || "") === (word.l || "");
    if (at > 0 && !joined) text.appendChild(document.createTextNode(" "));
    if (switches.has(at)) {
      const mark = document.createElement("span");
      mark.className = "ws-switch";
      mark.textContent = `⇄ ${word.l || "?"} `;
      mark.title = `the language changes to ${word.l || "another language"} here`;
      text.appendChild(mark);
    }
    const span = document.createElement("span");
    span.textContent = word.w;
    span.dataset.s = word.s;
    span.dataset.e = word.e;
    text.appendChild(span);
  });
}

const chipButton = (cls, text, label, onClick) => {
  const b = document.createElement("button");
  b.type = "button"; b.className = cls; b.textContent = text; b.setAttribute("aria-label", label);
  b.addEventListener("click", (event) => { event.stopPropagation(); onClick(); });
  return b;
};

export function renderTags(index) {
  if (!state.filled.has(index)) return;
  const turn = state.data.turns[index], n = index + 1;
  const block = blockAt(index).querySelector(".ws-tags");
  block.textContent = "";
  const a = turn.annotation, mine = a.labels || [];
  if (a.needs_recheck) { const flag = document.createElement("span"); flag.className = "ws-recheck"; flag.textContent = "re-check: this turn was split or merged"; block.appendChild(flag); }
  mine.forEach((item) => {
    const info = labelInfo(item.label);
    const chip = chipButton("ws-chip", `${info.name} ${item.intensity ?? ""}`, `${info.name} intensity ${item.intensity ?? "none"} on turn ${n}: remove`, () => toggleLabel(index, item.label));
    chip.style.background = info.colour;
    chip.style.color = textOn(info.colour);
    block.appendChild(chip);
  });
  const suggestion = state.data.suggestions && state.data.suggestions[turn.id];
  if (suggestion && !suggestionsShown(turn)) {
    const wait = document.createElement("span");
    wait.className = "ws-why";
    wait.textContent = "Suggestions appear after you play this turn.";
    block.appendChild(wait);
  } else if (suggestion) {
    const showConfidence = !suggestionMode().hide_confidence;
    const actions = a.suggestion_actions || {};
    suggestion.labels.filter((s) => !mine.some((m) => m.label === s.label)).forEach((s) => {
      const info = labelInfo(s.label), rejected = actions[s.label] === "rejected";
      const wrap = document.createElement("span");
      wrap.className = `ws-suggestion${rejected ? " ws-rejected" : ""}`;
      const chip = chipButton("ws-chip ws-suggested", `${info.name} ${s.intensity}?${showConfidence && typeof s.confidence === "number" ? ` (${Math.round(s.confidence * 100)}%)` : ""}${rejected ? " rejected" : ""}`,
        `suggested ${info.name} on turn ${n}${rejected ? " (rejected)" : ""}: accept`, () => acceptSuggestion(index, s));
      chip.style.borderColor = info.colour;
      wrap.appendChild(chip);
      if (!rejected) wrap.appendChild(chipButton("ws-mini", "✕", `reject suggested ${info.name} on turn ${n}`, () => rejectSuggestion(index, s.label)));
      block.appendChild(wrap);
    });
    const why = document.createElement("details");
    why.className = "ws-why";
    const summary = document.createElement("summary");
    summary.textContent = "why suggested";
    why.append(summary, document.createTextNode(`${suggestion.rationale} (${suggestion.model_version})`));
    block.appendChild(why);
  }
  const decisions = document.createElement("div");
  decisions.className = "ws-decisions";
  decisions.append(
    chipButton(`ws-mini${a.no_emotion ? " on" : ""}`, a.no_emotion ? "no emotion ✓" : "no emotion", `turn ${n}: ${a.no_emotion ? "undo 'no emotion'" : "decide: no emotion on this turn"}`, () => toggleNoEmotion(index)),
    chipButton(`ws-mini${a.skipped ? " on" : ""}`, a.skipped ? "skipped ✓" : "skip turn", `turn ${n}: ${a.skipped ? "undo skip" : "skip this turn (it will not count)"}`, () => toggleSkip(index)),
  );
  block.appendChild(decisions);
  block.appendChild(dimensionControls(index));
  (state.data.proposals || []).filter((p) => p.turn_id === turn.id).forEach((p) => block.appendChild(proposalNote(p)));
}

function proposalNote(p) {
  const box = document.createElement("div");
  box.className = `ws-proposal ${p.status}`;
  const describe = { adjust: (t) => `times ${fmt(t[0].start)}–${fmt(t[0].end)}`, split: (t) => `split at ${fmt(t[1].start)}`,
    merge: () => "merge with the next turn", speaker: (t) => `speaker ${t[0].speaker}`, text: (t) => `text “${t[0].text}”` }[p.action];
  let what = p.action;
  try { what = describe(p.after); } catch (error) { /* an old or partial proposal: name the action only */ }
  box.textContent = p.status === "rejected" ? `Your correction (${what}) was rejected${p.decision_note ? ": " + p.decision_note : ""}. ` : `Proposed (waiting for review): ${what}. `;
  if (p.status === "proposed") box.appendChild(chipButton("ws-mini", "withdraw", "withdraw this proposal", () => withdraw(p)));
  return box;
}

function dimensionControls(index) {
  const a = state.data.turns[index].annotation, n = index + 1;
  const box = document.createElement("div");
  box.className = "ws-dims small";
  const select = (name, values, current) => {
    const el = document.createElement("select");
    el.name = name;
    el.setAttribute("aria-label", `${name} of turn ${n}`);
    el.add(new Option(`${name} –`, ""));
    values.forEach((v) => el.add(new Option(`${name} ${v}`, v, false, current === v)));
    el.addEventListener("change", () => edit(index, (x) => { x[name] = el.value === "" ? null : Number(el.value); }));
    return el;
  };
  box.append(select("valence", scaleValues("valence"), a.valence), select("arousal", scaleValues("arousal"), a.arousal));
  const confidence = select("confidence", [0.25, 0.5, 0.75, 1], a.confidence);
  const note = document.createElement("input");
  note.placeholder = "note";
  note.setAttribute("aria-label", `note on turn ${n}`);
  note.value = a.note || "";
  note.addEventListener("change", () => edit(index, (x) => { x.note = note.value; }));
  box.append(confidence, note);
  (a.shifts || []).forEach((shift, i) => box.appendChild(shiftEditor(index, shift, i)));
  return box;
}

// A shift marker: from/to labels editable, time nudged with the playhead, removable.
function shiftEditor(index, shift, i) {
  const n = index + 1, wrap = document.createElement("span");
  wrap.className = "ws-shift";
  wrap.append(`shift ${fmt(shift.at)} `);
  const labels = state.data.turns[index].annotation.labels || [];
  ["from", "to"].forEach((side) => {
    const el = document.createElement("select");
    el.setAttribute("aria-label", `shift ${i + 1} of turn ${n}: ${side} emotion`);
    labels.forEach((l) => el.add(new Option(labelInfo(l.label).name, l.label, false, l.label === shift[side])));
    if (!labels.some((l) => l.label === shift[side])) el.add(new Option(labelInfo(shift[side]).name, shift[side], false, true));
    el.addEventListener("change", () => edit(index, (x) => {
      // One emotion on both sides is no shift (the server refuses it): taking the other side's emotion swaps them.
      const mark = x.shifts[i], other = side === "from" ? "to" : "from";
      if (el.value === mark[other]) mark[other] = mark[side];
      mark[side] = el.value;
    }));
    wrap.append(el, side === "from" ? " → " : " ");
  });
  wrap.append(chipButton("ws-mini", "at playhead", `move shift ${i + 1} of turn ${n} to the playhead`, () => {
    const at = shiftTime(state.data.turns[index], document.getElementById("ws-audio").currentTime);
    edit(index, (x) => { x.shifts[i].at = at; x.shifts.sort((p, q) => p.at - q.at); });
  }));
  wrap.append(chipButton("ws-mini", "✕", `remove shift ${i + 1} of turn ${n}`, () => edit(index, (x) => x.shifts.splice(i, 1))));
  return wrap;
}

// Shows the turn inside the turn list ("list"), or the list and then the page as well ("page",
// for moving turn by turn with the keyboard), or leaves both where they are ("none": the person
// is in that turn already). Loading and following playback never scroll the page: the toolbar
// must not slide under the sticky header by itself.
function reveal(block, scroll) {
  if (scroll === "none") return;
  const list = $("ws-turns"), box = list.getBoundingClientRect(), at = block.getBoundingClientRect();
  if (at.top < box.top) list.scrollTop += at.top - box.top;
  else if (at.bottom > box.bottom) list.scrollTop += Math.min(at.bottom - box.bottom, at.top - box.top);
  if (scroll !== "page") return;
  const shown = block.getBoundingClientRect(), head = document.querySelector(".ws-head").getBoundingClientRect();
  if (shown.top < head.bottom || shown.bottom > window.innerHeight) block.scrollIntoView({ block: "nearest" });
}

export function select(index, play, focus = false, scroll = "list") {
  state.current = Math.max(0, Math.min(state.data.turns.length - 1, index));
  document.querySelectorAll(".ws-turn.current").forEach((el) => el.classList.remove("current"));
  const block = blockAt(state.current);
  if (block) { fill(state.current); block.classList.add("current"); reveal(block, scroll); if (focus) block.focus({ preventScroll: true }); }
  const turn = state.data.turns[state.current];
  if (turn && (turn.start < state.view.start || turn.end > state.view.end)) {
    const span = state.view.end - state.view.start;
    state.view.start = Math.max(0, turn.start - span * 0.1);
    state.view.end = state.view.start + span;
    drawAll();
  }
  if (play && turn) { const audio = document.getElementById("ws-audio"); audio.currentTime = turn.start; audio.play(); }
}

export function renderBanner() {
  const banner = $("ws-readonly");
  banner.hidden = !readOnly();
  root.classList.toggle("read-only", readOnly());
  // Unusable while read-only, and said so to assistive technology; they stay focusable and
  // clickable so the status line can say why (a faded look failed the contrast minimum).
  root.querySelectorAll(".ws-correct button").forEach((b) => b.setAttribute("aria-disabled", String(readOnly())));
}
