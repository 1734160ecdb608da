// Dialogs: the help card, and the per-field merge when a turn changed elsewhere (409).
import { $, audio, DECISION_FIELDS, fmt, labelInfo, setStatus, state } from "./state.js";

const MERGEABLE = ["labels", "shifts", "note"]; // the others are one value: mine or theirs
// What each field is called on the page (the dialog showed "skip_reason", "no_emotion").
const FIELD_NAMES = { labels: "Labels", valence: "Valence", arousal: "Arousal", shifts: "Shifts", note: "Note",
  confidence: "Your confidence", no_emotion: "No emotion", skipped: "Skipped", skip_reason: "Why skipped" };
// Empty in any form (none, "", no, an empty list) is the same answer: not a difference to resolve.
const blank = (value) => value === null || value === undefined || value === "" || value === false || (Array.isArray(value) && !value.length);
const differs = (a, b) => (blank(a) && blank(b) ? false : JSON.stringify(a ?? null) !== JSON.stringify(b ?? null));
const show = (field, value) => {
  if (field === "labels") return (value || []).map((l) => `${labelInfo(l.label).name} ${l.intensity ?? ""}`).join(", ") || "none";
  if (field === "shifts") return (value || []).map((s) => `${fmt(s.at)} ${s.from}→${s.to}`).join(", ") || "none";
  if (typeof value === "boolean" || ["no_emotion", "skipped"].includes(field)) return value ? "yes" : "no";
  return value === null || value === undefined || value === "" ? "none" : String(value);
};

function combine(field, mine, theirs) {
  if (field === "labels") {
    const out = new Map((theirs || []).map((l) => [l.label, { ...l }]));
    (mine || []).forEach((l) => { const have = out.get(l.label); if (!have || (l.intensity ?? 0) > (have.intensity ?? 0)) out.set(l.label, { ...l }); });
    return [...out.values()];
  }
  if (field === "shifts") {
    const seen = new Set(), all = [...(theirs || []), ...(mine || [])];
    return all.filter((s) => { const k = `${s.at}|${s.from}|${s.to}`; if (seen.has(k)) return false; seen.add(k); return true; }).sort((p, q) => p.at - q.at);
  }
  if (field === "note") return [theirs, mine].filter(Boolean).filter((v, i, a) => a.indexOf(v) === i).join(" / ");
  return mine ?? theirs;
}

// Resolves with the annotation to save (based on their version), or null when cancelled (Esc):
// then the server's version is kept on screen and nothing of mine is sent.
export function resolveConflict(turn, current) {
  const index = state.data.turns.indexOf(turn), mine = turn.annotation;
  const dialog = $("ws-conflict"), table = $("ws-conflict-fields");
  $("ws-conflict-turn").textContent = `Turn ${index + 1} (${turn.speaker}, ${fmt(turn.start)}–${fmt(turn.end)}): “${turn.text.slice(0, 120)}”`;
  table.textContent = "";
  const differing = DECISION_FIELDS.filter((f) => differs(mine[f], current[f]));
  differing.forEach((field) => {
    const row = table.insertRow();
    row.insertCell().textContent = FIELD_NAMES[field] || field;
    row.insertCell().textContent = show(field, mine[field]);
    row.insertCell().textContent = show(field, current[field]);
    const cell = row.insertCell(), group = document.createElement("select");
    group.name = field;
    group.setAttribute("aria-label", `which ${(FIELD_NAMES[field] || field).toLowerCase()} to keep`);
    const options = [["mine", "keep mine"], ["theirs", "keep theirs"], ...(MERGEABLE.includes(field) ? [["combine", "combine"]] : [])];
    options.forEach(([v, t]) => group.add(new Option(t, v, false, v === (MERGEABLE.includes(field) ? "combine" : "mine"))));
    cell.appendChild(group);
  });
  return new Promise((resolve) => {
    const finish = (choice) => {
      dialog.onclose = null; dialog.oncancel = null;
      if (dialog.open) dialog.close();
      if (choice !== "apply") { turn.annotation = current; setStatus(`turn ${index + 1}: your change was dropped; the other version is kept`); resolve(null); return; }
      const merged = { ...current };
      differing.forEach((field) => {
        const pick = table.querySelector(`select[name=${field}]`).value;
        merged[field] = pick === "mine" ? mine[field] : pick === "theirs" ? current[field] : combine(field, mine[field], current[field]);
      });
      // Labels and "no emotion" exclude each other (the server refuses both): labels win, as in edits.js.
      if ((merged.labels || []).length) merged.no_emotion = false;
      // A shift runs between two emotions the turn keeps (the server refuses any other), as
      // unticking a label takes its shifts with it (edits.js).
      const kept = new Set((merged.labels || []).map((l) => l.label));
      merged.shifts = (merged.shifts || []).filter((s) => kept.has(s.from) && kept.has(s.to) && s.from !== s.to);
      // A skipped turn carries no tags (the server refuses both): tags win, as tagging a skipped
      // turn takes the skip back (edits.js).
      if (merged.skipped && ((merged.labels || []).length || merged.no_emotion || merged.shifts.length)) merged.skipped = false;
      if (!merged.skipped) merged.skip_reason = "";
      merged.suggestion_actions = { ...(current.suggestion_actions || {}), ...(mine.suggestion_actions || {}) };
      merged.version = current.version;
      turn.annotation = merged;
      resolve(merged);
    };
    dialog.oncancel = (event) => { event.preventDefault(); finish("cancel"); };
    $("ws-conflict-apply").onclick = () => finish("apply");
    $("ws-conflict-cancel").onclick = () => finish("cancel");
    $("ws-conflict-play").onclick = () => { audio.currentTime = turn.start; audio.play(); };
    dialog.showModal();
  });
}
