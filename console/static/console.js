// Live update of an action page: polls its status every 1.5 s and reloads when it changed (no inline script: the CSP allows only this file).
(function () {
  const root = document.querySelector('[data-live-action]');
  if (!root) return;
  const id = root.getAttribute('data-live-action');
  const seen = root.getAttribute('data-live-updated');
  // A vote being sent must not be cut off by a reload, and a half-written comment must not be lost.
  let submitting = false;
  document.addEventListener('submit', function () {
    submitting = true;
  });
  const typing = () => document.activeElement && document.activeElement.tagName === 'TEXTAREA' && document.activeElement.value;
  async function poll() {
    if (submitting) return;
    try {
      const res = await fetch('/console/actions/' + encodeURIComponent(id) + '/live', { credentials: 'same-origin', cache: 'no-store' });
      if (res.ok && !submitting) {
        const now = await res.json();
        if (now.updatedAt !== seen && !typing() && !submitting) {
          // The same address, notice included: what the person was told about their vote stays in view.
          location.replace(location.href);
          return;
        }
      }
    } catch {
      /* offline for a moment: the next poll tries again */
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1500);
})();
