"""Radix Themes' stylesheet, trimmed to what the portal's pages can use.

Reflex links the whole of `@radix-ui/themes/styles.css` (about 800 KB: every component, every colour
scale, every layout prop at five breakpoints), and a phone parses all of it before the first paint
and matches against it at every style recalculation. The portal uses a handful of components, eight
colour scales and no responsive (per-breakpoint) props, so `TrimmedRadixThemes` (the app's Radix
Themes plugin, rxconfig.py) hands Vite a copy without the rest, written at every compile from the
installed package:

- rules for components no page uses (a component's classes are named here by the Radix tag Reflex
  compiles; a page that uses a component not listed here stops the compile, naming it);
- the rules of responsive props (`.md:rt-r-size-2` and the like): a page that passes a responsive
  value (`rx.breakpoints`, `{"initial": …}`) to a Radix component stops the compile too;
- the colour scales no page can show: the accent (indigo) and its gray (slate), plain gray, and
  the colours pages pass as `color_scheme` (PALETTE; a literal colour outside it stops the compile).

Nothing else changes: the rules kept are the package's own, in its order.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reflex_base.vars.base import LiteralVar, Var
from reflex_base.vars.object import ObjectVar
from reflex_components_radix.plugin import RadixThemesPlugin
from reflex_components_radix.themes.base import RadixThemesComponent

# Every colour scale of Radix Themes 3 (tokens/colors/*.css).
SCALES = (
    *("gray", "mauve", "slate", "sage", "olive", "sand", "tomato", "red", "ruby", "crimson", "pink", "plum"),
    *("purple", "violet", "iris", "indigo", "blue", "cyan", "teal", "jade", "green", "grass", "brown"),
    *("orange", "sky", "mint", "lime", "yellow", "amber", "gold", "bronze"),
)
# The accent, its gray (Radix pairs indigo with slate), plain gray, and every colour a page passes as
# `color_scheme`: literally (a literal outside PALETTE stops the compile), or through a state var —
# the services' status and coverage tones (billing/templates.py, payment statuses) and the password
# strength (state/register.py) are all among these.
PALETTE = ("indigo", "slate", "gray", "red", "blue", "green", "orange", "amber")
BREAKPOINTS = ("xs", "sm", "md", "lg", "xl")

# The stylesheet classes of each Radix Themes component the pages compile (by Reflex's tag).
_DIALOG = ("rt-BaseDialogOverlay", "rt-BaseDialogScroll", "rt-BaseDialogScrollPadding", "rt-BaseDialogContent")
COMPONENT_CLASSES: dict[str, tuple[str, ...]] = {
    "Theme": (),
    "Box": ("rt-Box",),
    "Flex": ("rt-Flex",),
    "Grid": ("rt-Grid",),
    "Text": ("rt-Text",),
    "Strong": ("rt-Strong",),
    "Code": ("rt-Code",),
    "Heading": ("rt-Heading",),
    "Link": ("rt-Text", "rt-Link"),
    "Badge": ("rt-Badge",),
    "Button": ("rt-BaseButton", "rt-Button"),
    "Card": ("rt-BaseCard", "rt-Card"),
    "Spinner": ("rt-Spinner", "rt-SpinnerLeaf"),
    "Progress": ("rt-ProgressRoot", "rt-ProgressIndicator"),
    "Callout.Root": ("rt-CalloutRoot",),
    "Callout.Icon": ("rt-CalloutIcon",),
    "Callout.Text": ("rt-Text", "rt-CalloutText"),
    "DataList.Root": ("rt-DataListRoot",),
    "DataList.Item": ("rt-DataListItem",),
    "DataList.Label": ("rt-DataListLabel",),
    "DataList.Value": ("rt-DataListValue",),
    "TextField.Root": ("rt-TextFieldRoot", "rt-TextFieldInput", "rt-TextFieldSlot"),
    "TextArea": ("rt-TextAreaRoot", "rt-TextAreaInput"),
    "AlertDialog.Root": (),
    "AlertDialog.Trigger": (),
    "AlertDialog.Action": (),
    "AlertDialog.Cancel": (),
    "AlertDialog.Content": (
        *_DIALOG,
        "rt-AlertDialogOverlay",
        "rt-AlertDialogScroll",
        "rt-AlertDialogScrollPadding",
        "rt-AlertDialogContent",
    ),
    "AlertDialog.Title": ("rt-Heading",),
    "AlertDialog.Description": ("rt-Text",),
}

_COMPONENT_CLASS = re.compile(r"\.(rt-[A-Z][A-Za-z]*)(?![\w-])")
_RESPONSIVE_CLASS = re.compile(r"\.(?:" + "|".join(BREAKPOINTS) + r")\\:")
_COLOR_ATTRIBUTE = re.compile(r"data-(?:accent|gray)-color=['\"]?([a-z]+)")
_BLOCK_AT_RULES = ("@media", "@supports", "@layer", "@container")


def trim(css: str, classes: Iterable[str], palette: Iterable[str] = PALETTE) -> str:
    """`css` (Radix Themes' styles.css) without rules for component classes outside `classes`,
    responsive-prop rules, and colour scales outside `palette`."""
    keep = frozenset(classes)
    dropped_scales = tuple(scale for scale in SCALES if scale not in set(palette))
    dropped_properties = re.compile("--(?:" + "|".join(dropped_scales) + ")-") if dropped_scales else None

    def live(selector: str) -> bool:
        if _RESPONSIVE_CLASS.search(selector):
            return False
        # Only a class the selector requires counts: one inside :where(…), :is(…) or :not(…) may be
        # an alternative, or an exclusion.
        if any(name not in keep for name in _COMPONENT_CLASS.findall(_outside_parentheses(selector))):
            return False
        return not any(color in dropped_scales for color in _COLOR_ATTRIBUTE.findall(selector))

    def rules(text: str) -> Iterator[str]:
        for prelude, body in _statements(text):
            if body is None:
                yield prelude + ";"
            elif prelude.startswith(_BLOCK_AT_RULES):
                inner = "".join(rules(body))
                if inner:
                    yield f"{prelude}{{{inner}}}"
            elif prelude.startswith("@"):  # @font-face, @keyframes: as they are
                yield f"{prelude}{{{body}}}"
            else:
                selectors = [selector for selector in _split(prelude, ",") if live(selector)]
                if not selectors:
                    continue
                declarations = [
                    declaration
                    for declaration in _split(body, ";")
                    if declaration and not (dropped_properties and dropped_properties.match(declaration))
                ]
                if declarations:
                    yield f"{','.join(selectors)}{{{';'.join(declarations)}}}"

    return "\n".join(rules(css)) + "\n"


def _statements(css: str) -> Iterator[tuple[str, str | None]]:
    """Top-level statements of `css`: (prelude, block body), or (statement, None) for `@import …;`."""
    i, n = 0, len(css)
    while i < n:
        if css[i].isspace():
            i += 1
            continue
        if css.startswith("/*", i):
            i = css.index("*/", i) + 2
            continue
        start, depth, quote, block = i, 0, "", -1
        while i < n:
            char = css[i]
            if quote:
                if char == "\\":
                    i += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif css.startswith("/*", i):
                i = css.index("*/", i) + 1
            elif char == ";" and depth == 0:
                yield css[start:i].strip(), None
                i += 1
                break
            elif char == "{":
                if depth == 0:
                    block = i
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    yield _uncomment(css[start:block]).strip(), css[block + 1 : i]
                    i += 1
                    break
            i += 1
        else:
            if css[start:].strip():
                yield css[start:].strip(), None


def _outside_parentheses(selector: str) -> str:
    depth, kept = 0, []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def _uncomment(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside parentheses, brackets and quotes; parts stripped."""
    parts, depth, quote, start = [], 0, "", 0
    text = _uncomment(text)
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


STYLESHEET = "radix-themes.css"  # in .web/styles, next to the stylesheet that imports it


@dataclasses.dataclass
class TrimmedRadixThemes(RadixThemesPlugin):
    """The Radix Themes plugin, linking the trimmed stylesheet instead of the whole one.

    While pages compile it notes the Radix components they use, and refuses what the trimmed
    stylesheet could not draw (an unlisted component, a responsive value, a colour outside PALETTE)."""

    _classes: set[str] = dataclasses.field(default_factory=set, init=False, repr=False)

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        return (f"./{STYLESHEET}",) if self.enabled else ()

    def get_frontend_dependencies(self, **context: Any) -> tuple[str, ...]:
        """None: Reflex also bundles a plugin's dependencies whole for dynamic components (which no
        page renders), and that import of every Radix Themes component ran on every page. The
        package is still installed, since every Radix component names it as its library."""
        return ()

    def enter_component(self, comp: Any, /, **kwargs: Any) -> None:
        super().enter_component(comp, **kwargs)
        if isinstance(comp, RadixThemesComponent):
            self._classes.update(_component_classes(comp))

    def get_static_assets(self, **context: Any) -> list[tuple[Path, str]]:
        """Called once the frontend packages are installed: the trimmed copy of the package's sheet."""
        if not self.enabled:
            return []
        from reflex.utils.prerequisites import get_web_dir

        source = get_web_dir() / "node_modules" / "@radix-ui" / "themes" / "styles.css"
        css = trim(source.read_text(encoding="utf-8"), self._classes)
        return [(Path("styles") / STYLESHEET, css)]


def _component_classes(comp: RadixThemesComponent) -> tuple[str, ...]:
    tag = str(comp.tag)
    if tag not in COMPONENT_CLASSES:
        raise ValueError(
            f"rx {type(comp).__name__} (Radix tag {tag!r}) has no entry in hcpay_app.theme_css.COMPONENT_CLASSES: "
            "add the stylesheet classes it draws with (see @radix-ui/themes/src/components), or its page is unstyled"
        )
    for name in comp.get_props():
        value = getattr(comp, name, None)
        if name == "color_scheme" and isinstance(value, LiteralVar):
            color = str(value._var_value) if hasattr(value, "_var_value") else ""
            if color and color not in PALETTE:
                raise ValueError(f"color_scheme {color!r} is outside hcpay_app.theme_css.PALETTE: add it there")
        elif isinstance(value, ObjectVar) and _responsive(value):
            raise ValueError(
                f"{type(comp).__name__}.{name} has a responsive value: the trimmed Radix stylesheet "
                "(hcpay_app.theme_css) has no per-breakpoint rules"
            )
    return COMPONENT_CLASSES[tag]


def _responsive(value: Var) -> bool:
    literal = getattr(value, "_var_value", None)
    return isinstance(literal, dict) and bool(set(literal) & {"initial", *BREAKPOINTS})
