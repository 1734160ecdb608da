// The waveform (server peaks, visible window only), time ruler, turn regions with draggable
// edges, the annotator's proposed corrections (dashed), shift markers, and the prosody track.
import { $, audio, fmt, root, state } from "./state.js";
import { ensureDetail } from "./transcript.js";

const SPEAKER_COLOURS = ["rgba(53,89,224,0.16)", "rgba(18,183,106,0.18)", "rgba(247,144,9,0.18)", "rgba(240,68,56,0.16)"];
const CONTOUR_SPAN = 900; // seconds: wider views draw per-turn prosody summaries instead of contours
const RULER = 16; // px at the top of the waveform for the time ruler

export function speakerColour(turn, alpha) {
  const index = state.data.speakers.findIndex((s) => s.id === turn.speaker_id);
  return SPEAKER_COLOURS[Math.max(0, index) % SPEAKER_COLOURS.length].replace(/0\.1\d\)/, `${alpha})`);
}

let peaksToken = 0;
export async function drawAll() {
  // The canvas keeps its old picture until the new window's peaks arrive (no blank flash).
  const { start, end } = state.view;
  const token = ++peaksToken;
  const url = `${root.dataset.peaks}?start=${start.toFixed(3)}&end=${end.toFixed(3)}&buckets=${$("ws-wave").clientWidth}`;
  try {
    const response = await fetch(url);
    if (!response.ok || token !== peaksToken) return;
    state.peaks = await response.json();
  } catch (error) { return; } // offline: keep the picture we have
  drawWave();
  drawProsody();
}

function decode(b64) { const raw = atob(b64); const out = new Int8Array(raw.length); for (let i = 0; i < raw.length; i++) out[i] = (raw.charCodeAt(i) << 24) >> 24; return out; }

export const xOf = (t, w) => ((t - state.view.start) / (state.view.end - state.view.start)) * w;
export const timeAt = (px, w) => state.view.start + (px / w) * (state.view.end - state.view.start);

function drawRuler(ctx, w) {
  const { start, end } = state.view, span = end - start;
  const step = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800].find((s) => span / s <= w / 70) || 3600;
  ctx.fillStyle = "#f2f4f7"; ctx.fillRect(0, 0, w, RULER);
  ctx.fillStyle = "#475467"; ctx.font = "10px system-ui";
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const px = xOf(t, w);
    ctx.fillRect(px, RULER - 5, 1, 5);
    ctx.fillText(step < 1 ? t.toFixed(1) : fmt(t).replace(/\.00$/, ""), px + 2, 10);
  }
}

export function drawWave() {
  const canvas = $("ws-wave"), ctx = canvas.getContext("2d"), { start, end } = state.view;
  if (canvas.width !== canvas.clientWidth) canvas.width = canvas.clientWidth;
  const w = canvas.width, h = canvas.height, x = (t) => xOf(t, w), body = h - RULER;
  ctx.clearRect(0, 0, w, h);
  drawRuler(ctx, w);
  const lanes = $("ws-lanes")?.checked ? state.data.speakers.length : 0;
  const laneOf = (turn) => Math.max(0, state.data.speakers.findIndex((s) => s.id === turn.speaker_id));
  state.data.turns.forEach((turn, i) => {
    if (turn.end < start || turn.start > end) return;
    const top = lanes ? RULER + (body / lanes) * laneOf(turn) : RULER, height = lanes ? body / lanes : body;
    ctx.fillStyle = speakerColour(turn, 0.16);
    ctx.fillRect(x(turn.start), top, Math.max(1, x(turn.end) - x(turn.start)), height);
    if (i === state.current) {
      ctx.strokeStyle = "#3559e0"; ctx.lineWidth = 2; ctx.strokeRect(x(turn.start), top + 1, x(turn.end) - x(turn.start), height - 2);
      ctx.fillStyle = "#3559e0"; ctx.fillRect(x(turn.start) - 2, top, 4, height); ctx.fillRect(x(turn.end) - 2, top, 4, height); // drag handles
    }
    (turn.annotation.shifts || []).forEach((s) => { ctx.fillStyle = "#b54708"; ctx.fillRect(x(s.at) - 1, top, 3, height); });
  });
  ctx.setLineDash([5, 3]); ctx.strokeStyle = "#b54708"; ctx.lineWidth = 2;
  (state.data.proposals || []).filter((p) => p.status === "proposed").forEach((p) => p.after.forEach((t) => ctx.strokeRect(x(t.start), RULER + 3, x(t.end) - x(t.start), body - 6)));
  ctx.setLineDash([]); ctx.lineWidth = 1;
  if (state.peaks) {
    const rows = state.peaks.data.length, band = body / rows;
    state.peaks.data.forEach((b64, c) => {
      const data = decode(b64), mid = RULER + band * c + band / 2;
      ctx.fillStyle = "#344054";
      for (let i = 0; i < data.length / 2; i++) {
        const lo = data[2 * i] / 127, hi = data[2 * i + 1] / 127;
        ctx.fillRect(i, mid - hi * band / 2, 1, Math.max(1, (hi - lo) * band / 2));
      }
    });
  }
  ctx.fillStyle = "#f04438";
  ctx.fillRect(x(audio.currentTime), 0, 2, h);
}

export function drawProsody() {
  const canvas = $("ws-prosody");
  if (canvas.width !== canvas.clientWidth) canvas.width = canvas.clientWidth;
  const ctx = canvas.getContext("2d"), { start, end } = state.view, w = canvas.width, h = canvas.height;
  const x = (t) => xOf(t, w);
  ctx.clearRect(0, 0, w, h);
  const visible = [];
  state.data.turns.forEach((turn, i) => { if (turn.end >= start && turn.start <= end) visible.push(i); });
  if (end - start > CONTOUR_SPAN) {
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
  const canvas = $("ws-prosody"), ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  for (const i of visible) {
    const turn = state.data.turns[i], contour = state.detail.get(turn.id)?.contour;
    if (!contour || !contour.hz) continue;
    const step = 1 / contour.hz;
    const plot = (values, colour, lo, hi) => {
      ctx.strokeStyle = colour; ctx.beginPath(); let pen = false;
      values.forEach((v, k) => {
        if (v === null) { pen = false; return; }
        const px = xOf(turn.start + (k + 0.5) * step, w), py = h - ((v - lo) / (hi - lo)) * h;
        if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
      });
      ctx.stroke();
    };
    plot(contour.loudness_db || [], "#98a2b3", 30, 90);
    plot(contour.pitch_st || [], "#3559e0", -12, 24);
  }
}

export function zoom(factor) {
  const duration = state.data.call.duration || 1, centre = audio.currentTime || (state.view.start + state.view.end) / 2;
  const span = Math.min(duration, Math.max(2, (state.view.end - state.view.start) * factor));
  state.view.start = Math.max(0, Math.min(duration - span, centre - span / 2));
  state.view.end = state.view.start + span;
  drawAll();
}

export function scroll(delta) {
  const span = state.view.end - state.view.start;
  state.view.start = Math.max(0, Math.min((state.data.call.duration || span) - span, state.view.start + delta * span));
  state.view.end = state.view.start + span;
  drawAll();
}
