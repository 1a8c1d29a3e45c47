"""Categories, screening rules and the classifier (docs/ors-layer.md, "Classification").

Genesys keeps categories and screening rules in Universal Contact Server and scores content with
Classification Server. OpenORS reads both from two configuration lists of the `config_lists` file:

    lists:
      Categories:                      # item = category name
        Billing:   {id: C1, root: Support, keywords: "invoice, bill, charge"}
        Refunds:   {id: C2, root: Support, keywords: "refund", regex: "money\\s+back"}
      ScreeningRules:                  # item = rule name
        Angry:     {id: R1, regex: "(?i)complain|lawyer", categories: "Escalation"}
        OrderRef:  {id: R2, regex: "ORD-[0-9]{6}"}

A category's relevancy (1-100) is the share of its keywords found in the text as whole words,
case-insensitively; a match of its `regex` makes it 100. Categories scoring 0 are left out; the rest
come ordered by relevancy, then as listed. A screening rule matches when its regex or any of its
keywords is found; `value` is the text that matched and `categories` the categories it assigns.
The same text always gives the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES_LIST = "Categories"
RULES_LIST = "ScreeningRules"
MAX_TEXT = 1_000_000  # characters of content looked at: an e-mail with attachments inlined stays bounded


class RuleError(ValueError):
    """A category or rule the configuration gets wrong; says which list, item and key."""


@dataclass(frozen=True)
class Matcher:
    keywords: tuple[str, ...]
    regex: re.Pattern | None

    @classmethod
    def read(cls, item: dict, where: str) -> Matcher:
        raw = item.get("keywords") or ""
        words = raw if isinstance(raw, list) else str(raw).split(",")
        keywords = tuple(w.strip().lower() for w in words if str(w).strip())
        pattern = item.get("regex")
        try:
            regex = re.compile(str(pattern)) if pattern not in (None, "") else None
        except re.error as exc:
            raise RuleError(f"{where} key 'regex': {exc}") from None
        if not keywords and regex is None:
            raise RuleError(f"{where}: needs 'keywords' or 'regex'")
        return cls(keywords, regex)

    def keyword_hits(self, text: str) -> list[str]:
        low = text.lower()
        return [w for w in self.keywords if re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", low)]


@dataclass(frozen=True)
class Category:
    name: str
    id: str
    root: str
    matcher: Matcher

    def relevancy(self, text: str) -> int:
        if self.matcher.regex is not None and self.matcher.regex.search(text):
            return 100
        if not self.matcher.keywords:
            return 0
        return round(100 * len(self.matcher.keyword_hits(text)) / len(self.matcher.keywords))


@dataclass(frozen=True)
class ScreenRule:
    name: str
    id: str
    matcher: Matcher
    categories: tuple[str, ...]

    def match(self, text: str) -> str | None:
        """The text that met the rule, or None."""
        if self.matcher.regex is not None:
            found = self.matcher.regex.search(text)
            if found:
                return found.group(0)
        hits = self.matcher.keyword_hits(text)
        return hits[0] if hits else None


def read_categories(lists: dict) -> list[Category]:
    out = []
    for name, item in (lists.get(CATEGORIES_LIST) or {}).items():
        where = f"config_lists: list '{CATEGORIES_LIST}' item '{name}'"
        item = _item(item, where)
        out.append(Category(str(name), str(item.get("id", name)), str(item.get("root", "")),
                            Matcher.read(item, where)))
    return out


def read_rules(lists: dict) -> list[ScreenRule]:
    out = []
    for name, item in (lists.get(RULES_LIST) or {}).items():
        where = f"config_lists: list '{RULES_LIST}' item '{name}'"
        item = _item(item, where)
        raw = item.get("categories") or ""
        cats = raw if isinstance(raw, list) else str(raw).split(",")
        out.append(ScreenRule(str(name), str(item.get("id", name)), Matcher.read(item, where),
                              tuple(str(c).strip() for c in cats if str(c).strip())))
    return out


def _item(item, where: str) -> dict:
    if not isinstance(item, dict):
        raise RuleError(f"{where}: must be a mapping of keys (id, keywords, regex, ...)")
    return item


def classify(text: str, categories: list[Category], root: str) -> list[dict]:
    """Category objects ({name, id, relevancy}) under `root` that the text meets, best first."""
    text = text[:MAX_TEXT]
    scored = []
    for index, cat in enumerate(categories):
        if root not in ("", cat.root, cat.name):
            continue
        relevancy = cat.relevancy(text)
        if relevancy > 0:
            scored.append((-relevancy, index, {"name": cat.name, "id": cat.id, "relevancy": relevancy}))
    return [entry for *_, entry in sorted(scored, key=lambda s: (s[0], s[1]))]


def screen(text: str, rules: list[ScreenRule], categories: list[Category],
           wanted: list[str] | None) -> tuple[list[dict], list[dict]]:
    """(screenrule objects {name, id, match, value} of the rules met, the categories they assign)."""
    text = text[:MAX_TEXT]
    by_name = {c.name: c for c in categories}
    met: list[dict] = []
    assigned: list = []
    for rule in rules:
        if wanted is not None and rule.name not in wanted and rule.id not in wanted:
            continue
        value = rule.match(text)
        if value is None:
            continue
        met.append({"name": rule.name, "id": rule.id, "match": True, "value": value})
        for name in rule.categories:
            if all(a["name"] != name for a in assigned):
                cat = by_name.get(name)
                assigned.append({"name": name, "id": cat.id if cat else name, "relevancy": 100})
    return met, assigned
