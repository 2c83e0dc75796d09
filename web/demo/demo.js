// The demo page: the context switcher sets the rights context of the
// picker, whose search then shows only what is cleared for it.
import "/web/assetgraph-search.js";
const picker = document.getElementById("picker");
for (const field of document.querySelectorAll("#context select, #context input")) {
  field.addEventListener("change", () => {
    if (field.value) picker.setAttribute(field.name, field.value);
    else picker.removeAttribute(field.name);
  });
}
picker.addEventListener("assetgraph-select", (event) => {
  const ids = event.detail.assets.map((a) => a.id).join(", ");
  document.getElementById("chosen").textContent = `Selected: ${ids}`;
});
picker.addEventListener("assetgraph-cancel", () => (document.getElementById("chosen").textContent = "Cancelled."));
picker.addEventListener("assetgraph-error", (event) =>
  (document.getElementById("chosen").textContent = event.detail.problem?.detail ?? "The search failed."));
