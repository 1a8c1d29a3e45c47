"""The classification module: `<classification:classify>` and `<classification:screen>` on e-mails
and chats, with categories and screening rules from configuration lists, their events, and the
categories they leave on `_genesys.ixn.interactions[x].categories`."""

from __future__ import annotations

import pytest

from openors.ors.classification.rules import Matcher, RuleError, classify, read_categories
from tests.ors.module_site import MULTIMEDIA_TOPOLOGY, ModuleSite

LISTS = {"lists": {
    "Categories": {
        "Billing": {"id": "C1", "root": "Support", "keywords": "invoice, bill, charge, payment"},
        "Refunds": {"id": "C2", "root": "Support", "keywords": "refund", "regex": "money\\s+back"},
        "Delivery": {"id": "C3", "root": "Support", "keywords": "parcel, delivery, tracking"},
        "Escalation": {"id": "C9", "root": "Internal", "keywords": "escalate"},
    },
    "ScreeningRules": {
        "Angry": {"id": "R1", "regex": "(?i)complain|lawyer", "categories": "Escalation"},
        "OrderRef": {"id": "R2", "regex": "ORD-[0-9]{6}"},
        "Spam": {"id": "R3", "keywords": "lottery, winner"},
    },
}}

# An e-mail strategy the way users write it: classify, branch on the best category, log what the
# interaction object carries.
CLASSIFY = """
    <transition event="interaction.present">
      <classification:classify requestid="rid" interactionid="ixnid" root="'Support'"/>
    </transition>
    <transition event="classification.classify.done" cond="_event.data.requestid == rid">
      <log label="best" expr="_event.data.categories.length ? _event.data.categories[0].name : 'none'"/>
      <log label="all" expr="JSON.stringify(_event.data.categories)"/>
      <log label="on the interaction" expr="JSON.stringify(_genesys.ixn.interactions[ixnid].categories)"/>
    </transition>
    <transition event="error.classification.classify"><log label="failed" expr="_event.data.error"/></transition>"""


def email_site(tmp_path, body: str, lists=LISTS) -> ModuleSite:
    return ModuleSite(tmp_path, body, topology=MULTIMEDIA_TOPOLOGY, config_lists=lists)


def test_classify_orders_the_categories_of_the_root_by_relevancy(tmp_path):
    site = email_site(tmp_path, CLASSIFY)
    site.platform.inbound_email("jane@example.org", subject="Invoice problem",
                                body="My last bill shows a charge twice. I want my money back.")
    site.run(5)
    assert site.logs("best") == ["Refunds"]
    assert site.logs("all") == ['[{"name":"Refunds","id":"C2","relevancy":100},'
                                '{"name":"Billing","id":"C1","relevancy":75}]']
    assert site.logs("on the interaction") == site.logs("all")
    site.check_catalogue("classification.")


def test_classify_without_a_matching_category_is_done_with_none(tmp_path):
    site = email_site(tmp_path, CLASSIFY)
    site.platform.inbound_email("jane@example.org", subject="Hello", body="Just saying hi")
    site.run(5)
    assert site.logs("best") == ["none"]


def test_classify_a_call_is_a_request_invalid(tmp_path):
    site = email_site(tmp_path, CLASSIFY)
    site.call()
    site.run(5)
    assert site.logs("failed") == ["Request Invalid"]
    site.check_catalogue("classification.")


def test_screen_reports_the_rules_met_with_the_text_that_met_them(tmp_path):
    site = email_site(tmp_path, """
    <transition event="interaction.present">
      <classification:screen requestid="rid" interactionid="ixnid"/>
    </transition>
    <transition event="classification.screen.done">
      <foreach array="_event.data.rules" item="rule">
        <log label="rule" expr="rule.name + '=' + rule.value + ' ' + rule.match"/>
      </foreach>
      <log label="categories" expr="_event.data.categories.map(function (c) { return c.name; }).join()"/>
    </transition>""")
    site.platform.inbound_email("jane@example.org", subject="Order ORD-123456",
                                body="I will complain to my lawyer about this.")
    site.run(5)
    assert site.logs("rule") == ["Angry=complain true", "OrderRef=ORD-123456 true"]
    assert site.logs("categories") == ["Escalation"]
    site.check_catalogue("classification.")


def test_screen_against_named_rules_only_on_a_chat(tmp_path):
    site = email_site(tmp_path, """
    <transition event="chat.message" cond="_event.data.message.text.indexOf('lottery') >= 0">
      <classification:screen interactionid="ixnid" rules="['Spam']"/>
    </transition>
    <transition event="classification.screen.done">
      <log label="rules" expr="_event.data.rules.map(function (r) { return r.id; }).join()"/>
    </transition>""")
    site.platform.inbound_chat("Sam", messages=[{"after": 1, "text": "You are a lottery winner, complain!"}])
    site.run(10)
    assert site.logs("rules") == ["R3"]


def test_a_broken_rule_in_the_configuration_names_its_list_and_item(tmp_path):
    lists = {"lists": {"ScreeningRules": {"Bad": {"regex": "([unclosed"}}}}
    site = email_site(tmp_path, """
    <transition event="interaction.present"><classification:screen interactionid="ixnid"/></transition>
    <transition event="error.classification.screen"><log label="why" expr="_event.data.description"/></transition>""",
                      lists=lists)
    site.platform.inbound_email("jane@example.org", subject="x", body="y")
    site.run(5)
    assert "list 'ScreeningRules' item 'Bad' key 'regex'" in site.logs("why")[0]


def test_keywords_match_whole_words_only_and_the_same_text_always_scores_the_same():
    cats = read_categories(LISTS["lists"])
    text = "billing charges: see the invoice"  # 'bill' and 'charge' are not whole words here
    first = classify(text, cats, "Support")
    assert first == [{"name": "Billing", "id": "C1", "relevancy": 25}]
    assert all(classify(text, cats, "Support") == first for _ in range(3))


def test_a_rule_needs_keywords_or_a_regex():
    with pytest.raises(RuleError, match="needs 'keywords' or 'regex'"):
        Matcher.read({"id": "X"}, "config_lists: list 'Categories' item 'X'")
