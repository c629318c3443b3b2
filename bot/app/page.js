// Citation links on the chat page (bot.app.ui puts this script in the page's <head>).
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
