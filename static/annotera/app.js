// Site-wide behaviour without inline handlers (the Content Security Policy forbids them).
// <select data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-autosubmit]") && field.form) {
    field.form.requestSubmit();
  }
});

// <a data-hotkey="n"> is followed when that key is pressed outside a form field (review pages).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, select, textarea, [contenteditable]")) return;
  const link = document.querySelector(`a[data-hotkey="${CSS.escape(event.key)}"]`);
  if (link instanceof HTMLAnchorElement) {
    event.preventDefault();
    link.click();
  }
});

// A table whose first column stays in view (sticky-first) can hold a control the keyboard reaches
// in another column under that column once its box is scrolled sideways: the browser scrolls a
// focused control into the box, not out from under the column. Scroll it clear, focus ring too.
const FOCUS_RING = 4; // px: the widest outline and offset of app.css

document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const cell = target.closest(".sticky-first > * > tr > *");
  const first = cell?.parentElement?.firstElementChild;
  const box = cell?.closest(".table-scroll");
  if (!box || !first || cell === first || getComputedStyle(first).position !== "sticky") return;
  const covered = first.getBoundingClientRect().right + FOCUS_RING - target.getBoundingClientRect().left;
  if (covered > 0) box.scrollLeft -= covered;
});

// Files are checked against the server's limits before a multipart form sends them: a refusal
// after the browser has sent hundreds of megabytes arrives as a reset connection, not a message.
const FORM_OVERHEAD = 64 * 1024; // the form's other fields and multipart boundaries, generously

function megabytes(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function uploadProblem(form) {
  const maxFile = Number(document.body.dataset.uploadMaxFile || 0);
  const maxRequest = Number(document.body.dataset.uploadMaxRequest || 0);
  const files = [...form.querySelectorAll('input[type="file"]')].flatMap((input) => [...(input.files || [])]);
  const tooLarge = maxFile ? files.filter((file) => file.size > maxFile) : [];
  if (tooLarge.length) {
    const named = tooLarge.map((file) => `“${file.name}” is ${megabytes(file.size)}`).join(", ");
    return `${named}; one file may be at most ${megabytes(maxFile)}. Nothing was uploaded.`;
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (maxRequest && files.length && total + FORM_OVERHEAD > maxRequest) {
    return (
      `The ${files.length} files are ${megabytes(total)} together; one upload may be at most ` +
      `${megabytes(maxRequest)}. Nothing was uploaded: upload them in smaller batches.`
    );
  }
  return "";
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.enctype !== "multipart/form-data") return;
  let shown = form.querySelector(".upload-refusal");
  const problem = uploadProblem(form);
  if (!problem) {
    shown?.remove();
    return;
  }
  event.preventDefault();
  if (!shown) {
    shown = document.createElement("p");
    shown.className = "errorlist upload-refusal";
    shown.setAttribute("role", "alert");
    form.prepend(shown);
  }
  shown.textContent = problem;
});
