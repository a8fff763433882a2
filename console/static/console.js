// Live update of an action page: polls its status every 1.5 s and reloads when it changed (no inline script: the CSP allows only this file).
(function () {
  const root = document.querySelector('[data-live-action]');
  if (!root) return;
  const id = root.getAttribute('data-live-action');
  const seen = root.getAttribute('data-live-updated');
  const typing = () => document.activeElement && document.activeElement.tagName === 'TEXTAREA' && document.activeElement.value;
  async function poll() {
    try {
      const res = await fetch('/console/actions/' + encodeURIComponent(id) + '/live', { credentials: 'same-origin', cache: 'no-store' });
      if (res.ok) {
        const now = await res.json();
        if (now.updatedAt !== seen && !typing()) {
          const url = new URL(location.href);
          url.searchParams.delete('notice');
          location.replace(url.toString());
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
