// Every change the annotator makes: tags (saved through the queue, with undo/redo), suggestion
// decisions, shift markers, and corrections of turns, which are proposals for a reviewer.
import { enqueue, flush, persist } from "./api.js";
import { audio, readOnly, setStatus, shiftTime, state, submitting, suggestionsShown } from "./state.js";
import { blockAt, renderTags } from "./transcript.js";
import { drawWave } from "./waveform.js";

const undoStack = [], redoStack = [];

function refuseIfReadOnly() {
  if (submitting()) {
    const waiting = state.ops.some((op) => op.kind === "submit" && !op.sent);
    setStatus(`Not changed: this call is being submitted. ${waiting ? "Press Ctrl+Z to take the submit back while it waits; " : ""}if the submit is refused, you can edit again; once it is through, reopen it to edit.`, true);
    return true;
  }
  if (!readOnly()) return false;
  setStatus("This call is submitted, so it is read-only: press “Reopen to edit” to change it.", true);
  return true;
}

// A conflict merged another tab's change into a turn: the undo steps recorded before it would put
// back a state that predates that change, and saving it would overwrite the change unseen.
export function forgetHistory(turnId) {
  [undoStack, redoStack].forEach((stack) => {
    const kept = stack.filter((step) => step.turnId !== turnId);
    stack.splice(0, stack.length, ...kept);
  });
}

function apply(index, annotation) {
  const turn = state.data.turns[index];
  turn.annotation = { ...annotation, version: turn.annotation.version };
  renderTags(index);
  drawWave();
  enqueue({ kind: "save", turnId: turn.id });
}

// Tags are what counts on a turn: labels, "no emotion", shifts. A skipped turn carries none (the
// server refuses both together), so tagging a skipped turn takes the skip back, and skipping a
// tagged turn clears its tags (toggleSkip says so first); Ctrl+Z undoes either.
const tagged = (a) => Boolean((a.labels || []).length || a.no_emotion || (a.shifts || []).length);

export function edit(index, change) {
  if (refuseIfReadOnly()) return;
  const turn = state.data.turns[index];
  const next = structuredClone(turn.annotation);
  next.labels = next.labels || [];
  next.shifts = next.shifts || [];
  undoStack.push({ turnId: turn.id, before: structuredClone(turn.annotation) }); // by id: a split or merge renumbers turns
  redoStack.length = 0;
  change(next);
  const unskipped = Boolean(next.skipped) && tagged(next);
  if (unskipped) { next.skipped = false; next.skip_reason = ""; }
  apply(index, next);
  if (unskipped) setStatus(`turn ${index + 1} is no longer skipped, so its tags count (Ctrl+Z skips it again); saving…`);
  const block = blockAt(index);
  if (block && document.activeElement?.tagName === "BUTTON" && block.contains(document.activeElement) && !document.activeElement.isConnected) block.focus();
}

// Ctrl+Z / Ctrl+Shift+Z walk one history of tag edits and correction proposals. Undoing a
// proposal withdraws it (or drops it from the queue if it was never sent); redoing proposes it again.
export function undo(redo = false) {
  // A submit still waiting in the queue (offline, or behind other changes) is taken back first.
  const submit = state.ops.findIndex((op) => op.kind === "submit" && !op.sent);
  if (!redo && submit >= 0) {
    state.ops.splice(submit, 1);
    persist();
    setStatus("submit taken back: you can edit this call again", false);
    return;
  }
  if (refuseIfReadOnly()) return;
  const [from, to] = redo ? [redoStack, undoStack] : [undoStack, redoStack];
  const step = from.pop();
  if (!step) { setStatus(redo ? "nothing to redo" : "nothing to undo"); return; }
  if (step.proposal) { to.push({ proposal: redo ? propose(step.proposal) : unpropose(step.proposal) }); return; }
  const index = state.data.turns.findIndex((t) => t.id === step.turnId);
  if (index < 0) { setStatus("that turn was split or merged since: nothing to undo on it", true); return; }
  to.push({ turnId: step.turnId, before: structuredClone(state.data.turns[index].annotation) });
  apply(index, step.before);
}

function propose(op) {
  const turn = state.data.turns.find((t) => t.id === op.turnId);
  const again = { kind: "propose", action: op.action, turnId: op.turnId, body: { ...op.body, revision: turn ? turn.revision : op.body.revision } };
  enqueue(again);
  return again;
}

function unpropose(op) {
  const waiting = state.ops.indexOf(op);
  if (waiting >= 0 && !op.sent) { state.ops.splice(waiting, 1); persist(); setStatus("correction not proposed (undone before it was sent)"); }
  else if (op.proposalId) enqueue({ kind: "withdraw", proposal: op.proposalId });
  else op.withdrawWhenProposed = true; // on its way: withdrawn as soon as the server answers
  return op;
}

const intensityRange = () => state.data.taxonomy.scales.intensity;
const middle = () => { const [lo, hi] = intensityRange(); return Math.round((lo + hi) / 2); };

export function toggleLabel(index, key) {
  edit(index, (a) => {
    const at = a.labels.findIndex((l) => l.label === key);
    if (at >= 0) { a.labels.splice(at, 1); a.shifts = a.shifts.filter((s) => s.from !== key && s.to !== key); }
    else { a.labels.push({ label: key, intensity: middle() }); a.no_emotion = false; state.lastLabel = key; }
  });
}

// "No emotion" is a decision of its own (it counts as tagged); a label undoes it, and it clears the labels.
export function toggleNoEmotion(index) {
  edit(index, (a) => {
    a.no_emotion = !a.no_emotion;
    if (a.no_emotion) { a.labels = []; a.shifts = []; }
  });
}

// A skipped turn counts nowhere (progress, agreement, exports); the reason helps the reviewer.
export function toggleSkip(index) {
  const annotation = state.data.turns[index].annotation;
  const skipping = !annotation.skipped;
  // The prompt is the confirmation: cancelling it keeps the turn and its tags as they are.
  const clears = tagged(annotation) ? " Its tags are cleared: a skipped turn carries none (Ctrl+Z brings them back)." : "";
  const reason = skipping ? window.prompt(`Why skip this turn?${clears} (e.g. no speech, wrong language, cross-talk)`, "") : "";
  if (skipping && reason === null) return;
  edit(index, (a) => {
    a.skipped = skipping;
    a.skip_reason = skipping ? reason.trim() : "";
    if (skipping) { a.labels = []; a.shifts = []; a.no_emotion = false; }
  });
}

export function setIntensity(index, value) {
  const [lo, hi] = intensityRange();
  if (value < lo || value > hi) { setStatus(`intensity runs from ${lo} to ${hi} in this taxonomy`, true); return; }
  edit(index, (a) => {
    const item = a.labels.find((l) => l.label === state.lastLabel) || a.labels[a.labels.length - 1];
    if (!item) return;
    item.intensity = value;
    const suggested = state.data.suggestions && state.data.suggestions[state.data.turns[index].id];
    if (suggested && suggested.labels.some((s) => s.label === item.label)) a.suggestion_actions = { ...(a.suggestion_actions || {}), [item.label]: "edited" };
  });
}

// Accepting fills only what is accepted: the label and its intensity (never valence/arousal).
export function acceptSuggestion(index, s) {
  edit(index, (a) => {
    if (!a.labels.some((l) => l.label === s.label)) a.labels.push({ label: s.label, intensity: s.intensity });
    a.no_emotion = false;
    a.suggestion_actions = { ...(a.suggestion_actions || {}), [s.label]: "accepted" };
    state.lastLabel = s.label;
  });
}

export function rejectSuggestion(index, key) {
  edit(index, (a) => { a.suggestion_actions = { ...(a.suggestion_actions || {}), [key]: "rejected" }; });
}

const open = (index) => {
  const turn = state.data.turns[index], s = state.data.suggestions && state.data.suggestions[turn.id];
  const actions = turn.annotation.suggestion_actions || {}, mine = turn.annotation.labels || [];
  return s && suggestionsShown(turn) ? s.labels.filter((x) => actions[x.label] !== "rejected" && !mine.some((m) => m.label === x.label)) : [];
};

export function acceptAll(index) {
  const pending = open(index);
  if (!pending.length) { setStatus("no undecided suggestion on this turn"); return; }
  edit(index, (a) => {
    a.no_emotion = false;
    pending.forEach((s) => { a.labels.push({ label: s.label, intensity: s.intensity }); a.suggestion_actions = { ...(a.suggestion_actions || {}), [s.label]: "accepted" }; });
  });
}

export function rejectAll(index) {
  const pending = open(index);
  if (!pending.length) { setStatus("no undecided suggestion on this turn"); return; }
  edit(index, (a) => { pending.forEach((s) => { a.suggestion_actions = { ...(a.suggestion_actions || {}), [s.label]: "rejected" }; }); });
}

export function addShift(index) {
  const turn = state.data.turns[index];
  const labels = turn.annotation.labels || [];
  if (labels.length < 2) { setStatus("a shift needs two emotions on the turn (from → to): tag both first", true); return; }
  const at = shiftTime(turn, audio.currentTime);
  edit(index, (a) => { a.shifts = [...a.shifts, { at, from: labels[0].label, to: labels[labels.length - 1].label }].sort((p, q) => p.at - q.at); });
}

// A shift marker dragged on the waveform: it stays inside its turn (one undoable edit).
export function moveShift(index, position, at) {
  const turn = state.data.turns[index];
  const clamped = shiftTime(turn, at);
  if (!turn.annotation.shifts?.[position] || turn.annotation.shifts[position].at === clamped) return;
  edit(index, (a) => {
    a.shifts[position] = { ...a.shifts[position], at: clamped };
    a.shifts.sort((p, q) => p.at - q.at);
  });
}

// Corrections are proposals: queued like every edit, applied for everyone only when a reviewer accepts.
export function proposeCorrection(action, body, index = state.current) {
  if (refuseIfReadOnly()) return;
  const turn = state.data.turns[index];
  const op = { kind: "propose", action, turnId: turn.id, body: { ...body, revision: turn.revision } };
  undoStack.push({ proposal: op });
  redoStack.length = 0;
  enqueue(op);
}

export function adjustTurn(edge, at = Math.round(audio.currentTime * 100) / 100, index = state.current) {
  const turn = state.data.turns[index];
  const start = edge === "start" ? at : turn.start, end = edge === "end" ? at : turn.end;
  if (end <= start) { setStatus(`the ${edge} must stay ${edge === "start" ? "before the end" : "after the start"} of the turn: move the playhead first`, true); return; }
  proposeCorrection("adjust", { start, end }, index);
}

export function withdraw(proposal) { enqueue({ kind: "withdraw", proposal: proposal.id }); }

export function submit(skipReason = "") {
  if (refuseIfReadOnly()) return;
  enqueue({ kind: "submit", body: { skip_reason: skipReason } });
  flush();
}

export function reopen() { enqueue({ kind: "reopen" }); flush(); }
