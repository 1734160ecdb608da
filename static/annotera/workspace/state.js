// Shared state of the workspace and tiny DOM helpers (every other module imports this one).
export const root = document.getElementById("workspace");
export const $ = (id) => document.getElementById(id);
export const audio = $("ws-audio");
const headers = document.body.getAttribute("hx-headers");
const pageToken = headers ? JSON.parse(headers)["X-CSRFToken"] : "";
// The CSRF token as it is now: signing in again (after a logout in another tab) rotates it, and
// the queue kept meanwhile must be sent with the new one.
export function csrf() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : pageToken;
}

export const state = {
  data: null, current: 0, view: { start: 0, end: 30 }, lastLabel: null,
  detail: new Map(), chunks: new Map(), filled: new Set(), playingWord: null, peaks: null,
  ops: [], saving: false, lastError: "", notice: "",
};

// m:ss.cc (10 ms), rounded once as the server's pages round (59.999 s read "0:60.00", 6.055 s "0:06.05"
// where the call page said 6.06).
export const fmt = (t) => {
  const cs = Math.round(t * 100);
  return `${Math.floor(cs / 6000)}:${((cs % 6000) / 100).toFixed(2).padStart(5, "0")}`;
};

export function setStatus(text, warn = false) {
  const el = $("ws-save");
  el.textContent = text;
  el.classList.toggle("error", warn);
}

// Every field of a turn's annotation that a save writes. A save is a whole replacement on the
// server (PUT): a field left out here is reset there, while the screen still shows it.
export const DECISION_FIELDS = ["labels", "valence", "arousal", "shifts", "note", "confidence", "no_emotion", "skipped", "skip_reason"];
export function annotationBody(a) {
  return {
    labels: a.labels || [], valence: a.valence ?? null, arousal: a.arousal ?? null, shifts: a.shifts || [], note: a.note || "",
    confidence: a.confidence ?? null, no_emotion: Boolean(a.no_emotion), skipped: Boolean(a.skipped), skip_reason: a.skip_reason || "",
    suggestion_actions: a.suggestion_actions || {},
  };
}

// A shift's time: inside its turn, to 10 ms. Turn edges are stored to the millisecond, so the
// rounding keeps inside (a turn from 1.005 s: 1.01, never 1.00, which the server refuses).
export function shiftTime(turn, t) {
  const lo = Math.ceil(turn.start * 100) / 100, hi = Math.floor(turn.end * 100) / 100;
  if (lo > hi) return turn.start; // a turn shorter than 10 ms
  return Math.min(hi, Math.max(lo, Math.round(t * 100) / 100));
}

export function updateProgress(p) { if (p) $("ws-progress").textContent = `${p.tagged}/${p.turns} turns tagged`; }

export function readOnly() { return Boolean(state.data?.assignment.read_only); }
// A submit waits in the queue (sent or not): the annotator said the call is done, so nothing may
// be queued behind it (it would be refused once the call is submitted, or dropped as the page leaves).
export function submitting() { return state.ops.some((op) => op.kind === "submit"); }

export function labelInfo(key) {
  return state.data.taxonomy.labels.find((l) => l.key === key) || { key, name: key, colour: "#888888" };
}

// Black or white text, whichever contrasts more with the label's colour (WCAG relative luminance).
export function textOn(colour) {
  const hex = /^#?([0-9a-f]{6})$/i.exec(colour || "");
  if (!hex) return "#000";
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000" : "#fff";
}

// The taxonomy's scale for a dimension: the values the annotator may pick.
export function scaleValues(key) {
  const [lo, hi] = state.data.taxonomy.scales[key];
  const dim = state.data.taxonomy.dimensions.find((d) => d.key === key);
  const step = (dim && dim.step) || 1;
  const values = [];
  for (let v = lo; v <= hi + 1e-9; v += step) values.push(Math.round(v * 1000) / 1000);
  return values;
}

// The suggestion mode recorded on the assignment (the project's anchoring controls when it was
// made): suggestions hidden until the turn has been played through once; confidence hidden.
export function suggestionMode() { return state.data?.assignment.suggestion_mode || {}; }

const playedKey = () => `annotera-played-${state.data.assignment.id}`;
export function playedTurns() {
  if (!state.played) {
    try { state.played = new Set(JSON.parse(localStorage.getItem(playedKey()) || "[]")); } catch { state.played = new Set(); }
  }
  return state.played;
}
export function suggestionsShown(turn) { return !suggestionMode().reveal_after_play || playedTurns().has(turn.id); }
export function markPlayed(turnId) {
  const played = playedTurns();
  if (played.has(turnId)) return false;
  played.add(turnId);
  try { localStorage.setItem(playedKey(), JSON.stringify([...played])); } catch { /* storage full or private: this session only */ }
  return true;
}
