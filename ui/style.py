"""What the theme cannot say, applied once per run from app.py. Colours and heading sizes live in
``.streamlit/config.toml``'s [theme]. Here:

- On a phone (below 640 px, where Streamlit stacks columns) the Explorer shows its results before
  its inputs, with links between the two; containers keyed ``PHONE_ONLY…`` show only there.
- A focused field gets a 2 px ring in the primary colour.
- Code highlighting in colours that pass WCAG AA (4.5:1).
- Keyboard access to scrolled content: a wide table, code block or formula scrolls sideways, and
  a keyboard user can only scroll what can take focus (axe: scrollable-region-focusable). A small
  script gives every such region ``tabindex=0`` and a name, as it appears; it runs in a hidden
  container, so it takes no room on the page.
"""

from __future__ import annotations

import streamlit as st

RESULTS_KEY = "explorer_results"  # st.container keys: the CSS below finds the columns by them
INPUTS_KEY = "explorer_inputs"
PHONE_ONLY = "phone_only"  # key prefix of containers shown only below PHONE_WIDTH
PHONE_WIDTH = 640  # Streamlit stacks st.columns below this width
_SCRIPT_KEY = "a11y_script"

# Streamlit's code highlighting uses fixed colours, some under 4.5:1 on the code background
# (comments 3.6:1, keywords 3.8:1): darker ones of the same hues, each at least 4.5:1.
_TOKENS = {
    ".token.comment, .token.prolog, .token.doctype, .token.cdata, .token.punctuation": "#5b5f6e",
    ".token.keyword, .token.tag, .token.function, .token.class-name, .token.selector": "#0b5cad",
    ".token.attr-name, .token.property, .token.variable": "#0e6189",
    ".token.boolean, .token.constant, .token.symbol, .token.string, .token.char, "
    ".token.attr-value, .token.inserted": "#166534",
    ".token.number, .token.regex": "#0f766e",
    ".token.operator, .token.entity, .token.decorator, .token.atrule": "#9a4a06",
    ".token.url": "#7e22ce",
    ".token.important, .token.deleted": "#b91c1c",
}
_CODE = "\n".join(
    ", ".join(f'.stApp [data-testid="stCode"] {t.strip()}' for t in tokens.split(",")) + f" {{ color: {c}; }}"
    for tokens, c in _TOKENS.items())

CSS = _CODE + f"""
[class*="st-key-{PHONE_ONLY}"], .st-key-{_SCRIPT_KEY} {{ display: none; }}
@media (max-width: {PHONE_WIDTH - 0.02}px) {{
  [data-testid="stColumn"]:has(.st-key-{RESULTS_KEY}) {{ order: -1; }}
  [class*="st-key-{PHONE_ONLY}"] {{ display: flex; }}
  /* Streamlit's 6rem above the title is a desktop margin: on a phone it pushed the answer off
     the first screen. 4.5rem still clears the top bar (3.75rem). */
  [data-testid="stMainBlockContainer"] {{ padding-top: 4.5rem; }}
}}
"""

# Candidates only (not every element): Streamlit's table wrapper, code blocks, display formulas.
SCRIPT = """
<script>
(() => {
  if (window.__partialsScrollRegions) return;
  window.__partialsScrollRegions = true;
  const candidates = '[data-testid="stTable"] div, pre, .katex-display';
  // A region's name: its kind and the caption just above it, made unique on the page.
  const label = (el) => {
    const kind = el.closest('[data-testid="stTable"]') ? 'Table'
      : el.matches('pre') ? 'Code' : 'Formula';
    const previous = el.closest('[data-testid="stElementContainer"]')?.previousElementSibling;
    const caption = previous?.querySelector('[data-testid="stCaptionContainer"]')?.textContent.trim();
    const base = `${kind}${caption ? ': ' + caption.slice(0, 80) : ''} (scrolls sideways)`;
    const taken = new Set([...document.querySelectorAll('[role="region"]')]
      .map((r) => r.getAttribute('aria-label')));
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base} ${n}`;
    return name;
  };
  const mark = () => {
    for (const el of document.querySelectorAll(candidates)) {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      const overflow = getComputedStyle(el);
      if (!scrolls || !/(auto|scroll)/.test(overflow.overflowX + overflow.overflowY)) continue;
      if (el.hasAttribute('tabindex')) continue;
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'region');
      el.setAttribute('aria-label', label(el));
    }
  };
  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; mark(); }, 150);
  };
  new MutationObserver(later).observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', later);
  later();
})();
</script>
"""


def _focus_ring() -> str:
    """Streamlit marks a focused field by a 1 px border in the primary colour; add a second pixel
    so focus reads at a glance (the colour is the theme's, not red: see config.toml)."""
    primary = st.get_option("theme.primaryColor") or "#4338ca"
    fields = ('[data-testid="stTextAreaRootElement"]', '[data-testid="stTextInputRootElement"]',
              '[data-testid="stNumberInputContainer"]', '[data-baseweb="select"] > div')
    return ", ".join(f".stApp {f}:focus-within" for f in fields) + f" {{ box-shadow: 0 0 0 1px {primary}; }}"


def apply() -> None:
    st.html(f"<style>{CSS}{_focus_ring()}</style>")
    # Our own constant script (no user text reaches it), in a container the CSS hides.
    with st.container(key=_SCRIPT_KEY):
        st.html(SCRIPT, unsafe_allow_javascript=True)
