// The annotation workspace, wired from modules by concern (no bundler): state, api (ordered
// offline queue), player, waveform, transcript, edits, dialogs, keyboard.
//
// Long calls stay fast: the first payload carries each turn's times, text and tags only; turn
// blocks are light shells until they scroll near the viewport, and word timings and prosody
// contours arrive in chunks for what is on screen.
import { enqueue, flush, on, restore } from "./workspace/api.js";
import { resolveConflict } from "./workspace/dialogs.js";
import { adjustTurn, forgetHistory, moveShift, proposeCorrection, reopen, submit } from "./workspace/edits.js";
import { installKeyboard } from "./workspace/keyboard.js";
import { followPlayback, seek, setChannel, togglePlay } from "./workspace/player.js";
import { $, audio, readOnly, root, setStatus, state, updateProgress } from "./workspace/state.js";
import { blockAt, renderBanner, renderPalette, renderTags, renderTurns, select } from "./workspace/transcript.js";
import { drawAll, drawWave, scroll, timeAt, xOf, zoom } from "./workspace/waveform.js";

async function load(keepView = false) {
  let response;
  try { response = await fetch(root.dataset.api, { headers: { Accept: "application/json" } }); } catch (error) { setStatus("offline: could not reload the call; your changes are kept here", true); return; }
  if (!response.ok) { setStatus(`could not load the call (${response.status})`, true); return; }
  // Tags waiting in the queue are the person's latest; the server's copy must not replace them
  // on screen, nor in the save that is built from the screen's state when it is sent.
  // Taken once the body has arrived: edits made while it downloaded count too.
  const data = await response.json();
  const pending = new Map();
  state.ops.forEach((op) => { const turn = op.kind === "save" && state.data?.turns.find((t) => t.id === op.turnId); if (turn) pending.set(turn.id, turn.annotation); });
  state.data = data;
  state.data.turns.forEach((turn) => { if (pending.has(turn.id)) turn.annotation = pending.get(turn.id); });
  state.detail.clear();
  state.chunks.clear();
  const duration = state.data.call.duration || 0;
  if (!keepView) state.view = { start: 0, end: Math.max(1, duration) };
  $("ws-channel-box").hidden = (state.data.call.channels || 1) < 2; // solo only makes sense with channels
  renderBanner();
  renderPalette();
  renderTurns();
  if (!state.ops.length) restore(renderTags);
  drawAll();
  updateProgress(state.data.progress);
  select(keepView ? state.current : 0, false);
}

on("conflict", async (turn, current) => {
  const merged = await resolveConflict(turn, current);
  forgetHistory(turn.id); // its undo steps predate the change merged in
  renderTags(state.data.turns.indexOf(turn));
  if (merged) enqueue({ kind: "save", turnId: turn.id });
  blockAt(state.current)?.focus();
});
on("proposed", async () => { const index = state.current; await load(true); select(index, false, true); });
on("submitted", () => { setStatus("call submitted"); localStorage.removeItem(`annotera-unsaved-${root.dataset.assignment}`); window.location.href = "/queue/"; });
on("reopened", () => load(true));
on("refused", (op) => (op.kind === "save" ? load(true) : undefined)); // show what the server really has

$("ws-play").addEventListener("click", togglePlay);
audio.addEventListener("play", () => ($("ws-play").textContent = "Pause"));
audio.addEventListener("pause", () => ($("ws-play").textContent = "Play"));
audio.addEventListener("timeupdate", followPlayback);
$("ws-rate").addEventListener("change", (e) => (audio.playbackRate = Number(e.target.value)));
$("ws-channel").addEventListener("change", (e) => setChannel(e.target.value));
$("ws-lanes").addEventListener("change", drawWave);
$("ws-zoom-in").addEventListener("click", () => zoom(0.5));
$("ws-zoom-out").addEventListener("click", () => zoom(2));
$("ws-help-btn").addEventListener("click", () => $("ws-help").showModal());
$("ws-set-start").addEventListener("click", () => adjustTurn("start"));
$("ws-set-end").addEventListener("click", () => adjustTurn("end"));
$("ws-split").addEventListener("click", () => proposeCorrection("split", { at: Math.round(audio.currentTime * 100) / 100 }));
$("ws-merge").addEventListener("click", () => proposeCorrection("merge", {}));
$("ws-reopen").addEventListener("click", reopen);
$("ws-turns").addEventListener("click", (event) => {
  const block = event.target.closest(".ws-turn");
  if (!block || event.target.closest("select, input, button, details, textarea")) return;
  const word = event.target.closest(".ws-text span");
  if (word) { seek(Number(word.dataset.s)); return; }
  select(Number(block.dataset.index), false, true);
});
// A turn's own control (note, intensity, chips, speaker menu) focused by click or Tab makes that
// turn the current one, where it is: Esc then goes back to it, and hotkeys tag it.
$("ws-turns").addEventListener("focusin", (event) => {
  const block = event.target.closest(".ws-turn");
  if (block && Number(block.dataset.index) !== state.current) select(Number(block.dataset.index), false, false, "none");
});
$("ws-submit").addEventListener("click", () => submit());
$("ws-skip").addEventListener("click", () => { const reason = prompt("Why skip this call?"); if (reason) submit(reason); });

// The waveform: click seeks; dragging a shift marker of the current turn moves it (an edit of the
// annotator's own tags); dragging an edge of the current turn proposes new boundaries.
const wave = $("ws-wave");
let drag = null;
function grabbed(px, width, turn) {
  const shift = (turn.annotation.shifts || []).findIndex((s) => Math.abs(px - xOf(s.at, width)) < 5);
  if (shift >= 0 && !readOnly()) return { shift };
  const edge = Math.abs(px - xOf(turn.start, width)) < 6 ? "start" : Math.abs(px - xOf(turn.end, width)) < 6 ? "end" : null;
  return edge ? { edge } : null;
}
wave.addEventListener("pointerdown", (event) => {
  const rect = wave.getBoundingClientRect(), px = event.clientX - rect.left, turn = state.data?.turns[state.current];
  if (!turn) return;
  const handle = grabbed(px, rect.width, turn);
  if (handle) { drag = { ...handle, rect, index: state.current }; wave.setPointerCapture(event.pointerId); return; }
  seek(timeAt(px, rect.width));
});
wave.addEventListener("pointermove", (event) => {
  const rect = wave.getBoundingClientRect(), px = event.clientX - rect.left, turn = state.data?.turns[state.current];
  if (!turn) return;
  wave.style.cursor = drag || grabbed(px, rect.width, turn) ? "ew-resize" : "crosshair";
});
wave.addEventListener("pointerup", (event) => {
  if (!drag) return;
  const at = Math.round(timeAt(event.clientX - drag.rect.left, drag.rect.width) * 100) / 100;
  if (drag.shift !== undefined) moveShift(drag.index, drag.shift, at);
  else adjustTurn(drag.edge, at);
  drag = null;
});
wave.addEventListener("wheel", (event) => {
  event.preventDefault();
  if (event.ctrlKey) { zoom(event.deltaY > 0 ? 1.25 : 0.8); return; }
  scroll((event.deltaY + event.deltaX) / 1000);
}, { passive: false });
// The turn list takes the height the window has left, so on a laptop the whole workspace fits and
// the page does not scroll (nothing slides under the sticky header); a small window keeps a usable
// list and the page scrolls. Everything else in the workspace is measured as it changes (banners,
// the wrapping toolbar, a long status line, the canvases once drawn); the list itself is not
// watched, so setting its height does not call this again.
function fitTurns() {
  const list = $("ws-turns"), head = document.querySelector(".ws-head");
  const rest = document.body.offsetHeight - list.offsetHeight;
  list.style.maxHeight = `${Math.round(Math.max(192, 0.3 * window.innerHeight, window.innerHeight - rest - 1))}px`;
  root.style.setProperty("--ws-head-height", `${head.offsetHeight}px`);
}
const layout = new ResizeObserver(() => requestAnimationFrame(fitTurns));
[...root.children].filter((el) => el.id !== "ws-turns").forEach((el) => layout.observe(el)); // canvases too: sized once drawn
let resizeTimer = null;
window.addEventListener("resize", () => { fitTurns(); clearTimeout(resizeTimer); resizeTimer = setTimeout(drawAll, 150); });
installKeyboard();
window.annotera = { state, flush };
load();
