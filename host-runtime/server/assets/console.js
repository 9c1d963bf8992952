// The console's one script: progressive enhancement only (every page works
// without it). Served from the binary as /console/static/console.js; the CSP
// allows no inline script, so everything the pages need is here.
'use strict';
(() => {
  // Times in the viewer's time zone: the server writes UTC into <time datetime>.
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const t of document.querySelectorAll('time[datetime]')) {
    const d = new Date(t.dateTime);
    if (!Number.isNaN(d.getTime())) {
      t.title = t.dateTime;
      t.textContent = fmt.format(d);
    }
  }

  // Invite links carry the code in the fragment (#gi_…), which never reaches
  // the server, its logs or a Referer: move it into the form field and out of
  // the address bar (and the history).
  const code = document.querySelector('input[data-fragment-code]');
  if (code && location.hash.length > 1) {
    code.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, '', location.pathname + location.search);
    const next = document.querySelector('input[autocomplete="new-password"]');
    if (next) next.focus();
  }

  // Destructive buttons ask first (the seeds' "click OK in the confirmation
  // dialog"); without the script the server acts on the click alone.
  document.addEventListener('submit', (e) => {
    const msg = e.submitter?.dataset.confirm ?? e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Filter a list as one types (the server-side search works without it).
  for (const input of document.querySelectorAll('input[data-filter]')) {
    const rows = document.querySelectorAll(input.dataset.filter);
    input.addEventListener('input', () => {
      const q = input.value.trim().toLowerCase();
      for (const row of rows) row.hidden = q !== '' && !row.textContent.toLowerCase().includes(q);
    });
  }

  // Copy a secret shown once.
  for (const b of document.querySelectorAll('button[data-copy]')) {
    b.hidden = false;
    b.addEventListener('click', async () => {
      const src = document.querySelector(b.dataset.copy);
      if (!src) return;
      try {
        await navigator.clipboard.writeText(src.textContent.trim());
        b.textContent = 'Copied';
      } catch {
        b.textContent = 'Select and copy the text';
      }
    });
  }
})();
