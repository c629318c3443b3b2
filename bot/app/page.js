// The chat page's script (bot.app.ui puts it in the page's <head>): citation links, and
// each answer's compact sources folded on a narrow screen.

// Each answer's compact sources (details.msg-sources) are unfolded on a wide screen and
// folded on a narrow one (a phone), where they would push the question box out of view.
// The chat redraws a message when the Sources panel switches to it, so a reader's own fold
// or unfold is remembered by the answer's id (its class answer-<id>) and applied to the new copy.
(() => {
  const narrow = window.matchMedia('(max-width: 640px)');
  const chosen = new Map();  // answer id -> open, as the reader left it
  const seen = new WeakSet();
  const all = () => document.querySelectorAll('#chat details.msg-sources');
  const keyOf = d => [...d.classList].find(c => c.startsWith('answer-'));
  const fit = () => all().forEach(d => {
    if (seen.has(d)) return;
    seen.add(d);
    const key = keyOf(d);
    d.open = key && chosen.has(key) ? chosen.get(key) : !narrow.matches;
  });
  new MutationObserver(fit).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('click', ev => {
    const summary = ev.target.closest && ev.target.closest('#chat details.msg-sources > summary');
    const d = summary && summary.parentElement;
    if (d && keyOf(d)) chosen.set(keyOf(d), !d.open);  // before the click toggles it
  }, true);
  narrow.addEventListener('change', () => { chosen.clear(); all().forEach(d => { d.open = !narrow.matches; }); });
})();

// A click on an answer's [n] (href "#cite-<answer id>-<n>") scrolls to its card in the
// Sources panel (id "src-<answer id>-<n>") and flashes it; the chat's own select event
// switches the panel to that answer first when it showed another, so the card is waited
// for. The cited paragraph is marked in "Read the article" too.
(() => {
  let cited = null;
  const mark = () => {
    document.querySelectorAll('#article-text .cited').forEach(e => e.classList.remove('cited'));
    if (!cited) return;
    const para = document.querySelector(
      `#article-text .reader[data-article="${CSS.escape(cited.article)}"] .para[data-paragraph="${cited.paragraph}"]`);
    if (para) para.classList.add('cited');
  };
  const show = (key, n, tries) => {
    const card = document.getElementById(`src-${key}-${n}`);
    if (!card) { if (tries > 0) setTimeout(() => show(key, n, tries - 1), 100); return; }
    document.querySelectorAll('#sources .source.highlighted').forEach(e => e.classList.remove('highlighted'));
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    void card.offsetWidth;  // restart the flash
    card.classList.add('highlighted');
    cited = {article: card.dataset.article, paragraph: card.dataset.paragraph};
    mark();
  };
  document.addEventListener('click', ev => {
    const link = ev.target.closest && ev.target.closest('a.cite');
    if (link) {
      ev.preventDefault();
      const m = /^#cite-(.+)-(\d+)$/.exec(link.getAttribute('href') || '');
      if (m) show(m[1], m[2], 60);
    } else if (ev.target.closest && ev.target.closest('[role=tab]')) {
      setTimeout(mark, 50);  // the article view is drawn when its tab opens
    }
  }, true);
})();
