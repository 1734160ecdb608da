// The <audio> element: play/seek, follow playback (current turn, word being played), channel solo.
import { $, audio, fmt, markPlayed, state, suggestionMode } from "./state.js";
import { blockAt, renderTags, select } from "./transcript.js";
import { drawAll, drawWave } from "./waveform.js";

export function seek(t) { audio.currentTime = Math.max(0, Math.min(state.data?.call.duration || t, t)); }
export function togglePlay() { if (audio.paused) audio.play(); else audio.pause(); }

export function followPlayback() {
  const t = audio.currentTime;
  $("ws-time").textContent = `${fmt(t)} / ${fmt(state.data?.call.duration || 0)}`;
  if (!state.data) return;
  const turn = state.data.turns[state.current];
  if ($("ws-loop").checked && turn && t >= turn.end) seek(turn.start);
  const playing = state.data.turns.findIndex((tr) => t >= tr.start && t < tr.end);
  // Playback moves the current turn along, except while the person works in a control of a turn
  // (a note, a menu): Esc and hotkeys then still act on the turn they are working on.
  const working = document.activeElement?.matches?.(".ws-turn input, .ws-turn select, .ws-turn textarea");
  if (playing >= 0 && playing !== state.current && !$("ws-loop").checked && !audio.paused && !working) select(playing, false);
  highlightWord(t);
  trackListening(t);
  if (t > state.view.end || t < state.view.start) { const span = state.view.end - state.view.start; state.view.start = Math.max(0, t - span * 0.1); state.view.end = state.view.start + span; drawAll(); }
  else drawWave();
}

// Seconds of each turn really heard while playing (a jump does not count): a turn played through
// (80% of it) reveals its suggestions when the assignment's mode says "after play".
const heard = new Map();
let lastTime = null;
function trackListening(t) {
  const previous = lastTime;
  lastTime = t;
  if (!suggestionMode().reveal_after_play || audio.paused || previous === null || t <= previous || t - previous > 0.75) return;
  const index = state.data.turns.findIndex((tr) => previous >= tr.start && previous < tr.end);
  if (index < 0) return;
  const turn = state.data.turns[index];
  heard.set(turn.id, (heard.get(turn.id) || 0) + (t - previous));
  if (heard.get(turn.id) >= 0.8 * (turn.end - turn.start) && markPlayed(turn.id)) renderTags(index);
}

function highlightWord(t) {
  const block = blockAt(state.current);
  const word = block ? [...block.querySelectorAll(".ws-text span")].find((el) => t >= +el.dataset.s && t < +el.dataset.e) : null;
  if (word === state.playingWord) return;
  if (state.playingWord) state.playingWord.classList.remove("playing");
  if (word) word.classList.add("playing");
  state.playingWord = word || null;
}

// Channel solo for multi-channel calls: route the <audio> element through Web Audio.
let graph = null;
export function setChannel(value) {
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
