// Talking to the server: one ordered queue of operations (annotation saves, correction proposals,
// submit, reopen), kept in localStorage so nothing is lost offline and replayed in order. A save
// is shown as saved only when the server said so; a refusal stays on screen with its reason.
import { annotationBody, csrf, root, setStatus, state, submitting, updateProgress } from "./state.js";

const queueKey = `annotera-unsaved-${root.dataset.assignment}`;
const handlers = { conflict: null, proposed: null, submitted: null, reopened: null, refused: null };
export function on(name, fn) { handlers[name] = fn; }

const turnIndex = (turnId) => state.data.turns.findIndex((t) => t.id === turnId);

export function enqueue(op) {
  // Several edits of one turn waiting together are one save of its latest state (kept in place).
  if (!(op.kind === "save" && state.ops.some((o) => o.kind === "save" && o.turnId === op.turnId && !o.sent))) place(op);
  persist();
  // Said at once: the line still read "all changes saved" until the queue was sent.
  setStatus(state.saving ? `saving ${queued()}…` : `${queued("unsaved change(s)")}…`);
  schedule();
}

// In order, except that nothing goes behind a waiting submit: what the workspace itself queues
// meanwhile (a conflict's merged save, a withdrawal) is part of the call being submitted.
function place(op) {
  const submit = state.ops.findIndex((o) => o.kind === "submit" && !o.sent);
  if (submit >= 0 && op.kind !== "submit" && op.kind !== "reopen") state.ops.splice(submit, 0, op);
  else state.ops.push(op);
}

export function persist() {
  const ops = state.ops.map((op) => (op.kind === "save" ? { ...op, annotation: state.data.turns[turnIndex(op.turnId)]?.annotation } : op));
  if (ops.length) localStorage.setItem(queueKey, JSON.stringify(ops)); else localStorage.removeItem(queueKey);
}

export function restore(render) {
  const saved = JSON.parse(localStorage.getItem(queueKey) || "[]");
  if (!Array.isArray(saved) || !saved.length) return;
  let gone = 0;
  saved.forEach((op) => {
    if (op.kind === "save") {
      const index = turnIndex(op.turnId);
      if (index < 0) { gone += 1; return; }
      state.data.turns[index].annotation = op.annotation;
      render(index);
      delete op.annotation;
    }
    state.ops.push({ ...op, sent: false });
  });
  // The turns were split or merged since (a reviewer accepted a proposal): said until replaced.
  state.notice = gone ? `${gone} unsaved tag change(s) were on turns split or merged since: tag those turns again` : "";
  setStatus(state.notice || `${queued("unsaved change(s)")} restored; saving`, Boolean(gone));
  persist(); // what could not be restored is not restored again on the next visit
  schedule();
}

// What waits in the queue, in words: a waiting submit is named, never counted as one more change.
function queued(noun = "change(s)") {
  const submit = state.ops.some((op) => op.kind === "submit"), changes = state.ops.filter((op) => op.kind !== "submit").length;
  if (!submit) return `${changes} ${noun}`;
  return changes ? `${changes} ${noun} and your submit` : "your submit";
}

let timer = null;
export function schedule(delay = 400) { clearTimeout(timer); timer = setTimeout(flush, delay); }

// A 5xx answer (a server error, a proxy's 502 while the server restarts) is not a refusal of the
// change: it is kept and sent again, as when offline, and the status says the server is at fault.
class ServerTrouble extends Error {}

async function readPayload(response) {
  if (response.status >= 500) throw new ServerTrouble(`the server answered ${response.status}`);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a proxy's page): the refusal is still named, never taken for a success.
    return { detail: `the server answered ${response.status} ${response.statusText}`.trim() };
  }
}

async function send(op) {
  if (op.kind === "save") {
    const turn = state.data.turns[turnIndex(op.turnId)];
    if (!turn) return { ok: false, status: 0, payload: { detail: "a turn you tagged was split or merged meanwhile: tag it again" } };
    const a = turn.annotation;
    const body = annotationBody(a);
    const response = await fetch(root.dataset.save.replace("/0/", `/${op.turnId}/`), {
      method: "PUT", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "If-Match": `"${a.version || 0}"` }, body: JSON.stringify(body),
    });
    const payload = await readPayload(response);
    if (response.status === 409) return { conflict: payload.current, turn };
    if (response.ok) { turn.annotation.version = payload.annotation.version; turn.annotation.needs_recheck = false; updateProgress(payload.progress); }
    return { ok: response.ok, status: response.status, payload };
  }
  const url = { propose: root.dataset.propose.replace("/0/", `/${op.turnId}/`).replace("/proposals/adjust/", `/proposals/${op.action}/`),
    submit: root.dataset.submit, reopen: root.dataset.reopen, withdraw: `/api/proposals/${op.proposal}/withdraw/` }[op.kind];
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(op.body || {}) });
  return { ok: response.ok, status: response.status, payload: await readPayload(response) };
}

// A refusal is named by what was refused: the tags of a turn, the submit, a correction.
const REFUSED = { save: "not saved", submit: "not submitted", propose: "correction refused", withdraw: "not withdrawn", reopen: "not reopened" };
const DONE = { propose: "correction proposed: a reviewer will accept or reject it", withdraw: "proposal withdrawn" };

// 401, or DRF's 403 for a session that lost its CSRF pairing: the person is no longer signed in.
// (An origin refused by CSRF_TRUSTED_ORIGINS is a setup error, not a sign-out: it is shown as a refusal.)
const signedOut = (result) => result.status === 401 || (result.status === 403 && /CSRF token|credentials/i.test(String(result.payload?.detail)));

export async function flush() {
  if (state.saving || !state.ops.length) return;
  state.saving = true;
  let refused = "", done = "";
  setStatus(submitting() ? `sending ${queued()}…` : `saving ${queued()}…`);
  try {
    while (state.ops.length) {
      const op = state.ops[0];
      op.sent = true;
      const result = await send(op);
      if (result.conflict) {
        state.ops.shift();
        persist();
        await handlers.conflict(result.turn, result.conflict); // re-queues what the annotator keeps
        continue;
      }
      if (signedOut(result)) {
        // Not a refusal of the change: the session ended (logged out in another tab). Keep
        // everything, in order, and try again once the person has signed in.
        op.sent = false;
        setStatus(`signed out: ${queued()} kept here; sign in again (in another tab) and they are sent`, true);
        schedule(10000);
        return;
      }
      state.ops.shift();
      persist();
      if (!result.ok) {
        // Every refusal of the pass stays on the line: a later one must not hide a save that failed.
        const why = `${REFUSED[op.kind] || "refused"}: ${[].concat(result.payload.detail).join(" ")}`;
        if (!refused.includes(why)) refused = refused ? `${refused}; ${why}` : why;
        await handlers.refused?.(op, result.payload); // reloads what the server has before the next op is built
        continue;
      }
      if (op.kind === "propose") {
        op.proposalId = result.payload.id; // so Ctrl+Z can withdraw it
        if (op.withdrawWhenProposed) place({ kind: "withdraw", proposal: op.proposalId });
      }
      if (op.kind === "propose" || op.kind === "withdraw") { await handlers.proposed?.(op, result.payload); done = DONE[op.kind]; }
      if (op.kind === "submit") {
        // Only a reopen (or a second submit) can wait behind a submit (see place): it goes on.
        if (!state.ops.length) { handlers.submitted?.(result.payload); return; }
        done = "call submitted";
      }
      if (op.kind === "reopen") { await handlers.reopened?.(result.payload); done = "reopened: your changes are saved again"; }
      if (op.kind === "save") done = "";
    }
    state.lastError = refused;
    const notice = state.notice;
    state.notice = "";
    if (refused) setStatus(notice ? `${refused}; and ${notice}` : refused, true);
    else if (notice) setStatus(`${done || "all changes saved"}, but ${notice}`, true);
    else setStatus(done || "all changes saved");
  } catch (error) {
    state.ops.forEach((o) => { o.sent = false; });
    persist();
    const why = error instanceof ServerTrouble ? `server error (${error.message})` : "offline";
    const submit = submitting() ? "; the call is submitted once it gets through (Ctrl+Z takes the submit back)" : "";
    setStatus(`${why}: ${queued()} kept here and retried${submit}`, true);
    schedule(5000);
  } finally {
    state.saving = false;
  }
}

window.addEventListener("online", () => flush());
