// The book's own script, copied into each edition's static files by book/build.py.
// MathJax 3 cannot break a display equation into lines, so one wider than the column (on a
// phone) is set in a smaller size that fits, down to MIN_SCALE of its size; only below that does
// it scroll sideways (and the browser test, tests/book/test_browser.py, reports it).
(() => {
  const MIN_SCALE = 0.6;
  function fitEquations() {
    for (const eq of document.querySelectorAll('mjx-container[display="true"]')) {
      if (eq.dataset.vitlitSize === undefined) eq.dataset.vitlitSize = eq.style.fontSize;
      const size = parseFloat(eq.dataset.vitlitSize) || 100;  // MathJax's own scaling, in %
      eq.style.fontSize = eq.dataset.vitlitSize;
      if (eq.scrollWidth > eq.clientWidth + 1) {
        const scale = Math.max(MIN_SCALE, (0.98 * eq.clientWidth) / eq.scrollWidth);
        eq.style.fontSize = `${(size * scale).toFixed(1)}%`;
      }
    }
  }
  window.addEventListener("load", () => {
    const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
    if (typeset) typeset.then(fitEquations);
  });
  window.addEventListener("resize", fitEquations);
})();
