"""Email scenarios: quota, recipients, drafts, folders, trash, labels, blocked senders, forwarding, auto-replies."""

from __future__ import annotations

import pytest
from scenario_steps import ok, refused

ANA = "ana@mail.example"


@pytest.fixture
def env(open_env):
    return open_env("email")


def row(env, entity, key):
    k = env.domain.info.entities[entity].key
    return next((x for x in env.rows(entity) if x[k] == key), None)


def test_send_email(env):
    m = ok(env, "send_email", {"address": ANA, "recipients": ["tom@x.example"], "subject": "Hi", "body": "Hello",
                               "attachment_mb": 2})
    assert m["folder"] == "sent" and m["size_mb"] == 2.01 and m["received"] == "2025-02-10T09:15:00"
    assert float(row(env, "mailbox", ANA)["used_mb"]) == 14.51


@pytest.mark.parametrize("args, message", [
    ({"address": "cy@mail.example", "recipients": ["a@b.example"]}, "The mailbox is suspended"),
    ({"address": ANA, "recipients": []}, "A message goes to 1 to 20 recipients"),
    ({"address": ANA, "recipients": ["not an address"]}, "Some recipient addresses are not valid"),
    ({"address": ANA, "recipients": ["a@b.example"], "attachment_mb": 30}, "Attachments are limited to 25 MB"),
    ({"address": "bo@mail.example", "recipients": ["a@b.example"]}, "The mailbox is over its storage quota"),
])
def test_send_email_refusals(env, args, message):
    refused(env, "send_email", {"subject": "s", "body": "b", **args}, message)


def test_drafts(env):
    d = ok(env, "save_draft", {"address": ANA, "subject": "Later", "body": "..."})
    assert d["folder"] == "drafts" and d["size_mb"] == 0 and d["recipients"] == []
    s = ok(env, "send_draft", {"address": ANA, "message_id": "MSG0000005"})
    assert s["folder"] == "sent" and s["received"] == "2025-02-10T09:15:00"
    refused(env, "send_draft", {"address": ANA, "message_id": "MSG0000005"}, "Only drafts can be sent this way")
    refused(env, "send_draft", {"address": "bo@mail.example", "message_id": "MSG0000007"},
            "A message goes to 1 to 20 recipients")
    refused(env, "send_draft", {"address": ANA, "message_id": "MSG0000007"}, "The message belongs to another mailbox")


def test_move_message(env):
    assert ok(env, "move_message", {"address": ANA, "message_id": "MSG0000001", "folder": "archive"})["folder"] == "archive"
    refused(env, "move_message", {"address": ANA, "message_id": "MSG0000006", "folder": "inbox"},
            "Sent mail can only be archived")
    refused(env, "move_message", {"address": ANA, "message_id": "MSG0000005", "folder": "archive"},
            "Drafts stay in the drafts folder")
    refused(env, "move_message", {"address": ANA, "message_id": "MSG0000002", "folder": "inbox"},
            "The message is already in that folder")


def test_delete_and_empty_trash(env):
    r = ok(env, "delete_message", {"address": ANA, "message_id": "MSG0000001"})
    assert r["deleted_for_good"] is False and row(env, "message", "MSG0000001")["folder"] == "trash"
    r = ok(env, "delete_message", {"address": ANA, "message_id": "MSG0000004"})
    assert r == {"message_id": "MSG0000004", "deleted_for_good": True, "used_mb": 11} and row(env, "message", "MSG0000004") is None
    r = ok(env, "empty_trash", {"address": ANA})
    assert r == {"removed": 1, "freed_mb": 2.5, "used_mb": 8.5}
    refused(env, "empty_trash", {"address": ANA}, "The trash is already empty")
    refused(env, "delete_message", {"address": ANA, "message_id": "MSG0000008"}, "The message belongs to another mailbox")


def test_mark_read(env):
    assert ok(env, "mark_read", {"address": ANA, "message_id": "MSG0000001"}) == {"message_id": "MSG0000001", "read": True}
    refused(env, "mark_read", {"address": ANA, "message_id": "MSG0000001"}, "The message already has that state")


def test_add_label(env):
    assert ok(env, "add_label", {"address": ANA, "message_id": "MSG0000001", "label": "work"})["labels"] == ["work"]
    refused(env, "add_label", {"address": ANA, "message_id": "MSG0000001", "label": "work"},
            "The message already has that label")
    refused(env, "add_label", {"address": ANA, "message_id": "MSG0000001", "label": "Big Deal"},
            "A label is one lower-case word")
    refused(env, "add_label", {"address": ANA, "message_id": "MSG0000003", "label": "f"}, "A message has at most 5 labels")
    refused(env, "add_label", {"address": ANA, "message_id": "MSG0000004", "label": "x"},
            "Messages in trash cannot be labelled")


def test_block_and_unblock(env):
    r = ok(env, "block_sender", {"address": ANA, "sender": " Promo@Shop.example "})
    assert r["blocked"] == ["spam@ads.example", "promo@shop.example"] and r["moved_to_spam"] == 2
    assert row(env, "message", "MSG0000002")["folder"] == "spam"
    refused(env, "block_sender", {"address": ANA, "sender": "promo@shop.example"}, "The sender is already blocked")
    refused(env, "block_sender", {"address": ANA, "sender": ANA}, "A mailbox cannot block itself")
    assert ok(env, "unblock_sender", {"address": ANA, "sender": "spam@ads.example"})["blocked"] == ["promo@shop.example"]
    refused(env, "unblock_sender", {"address": ANA, "sender": "spam@ads.example"}, "The sender is not blocked")


def test_forwarding(env):
    assert ok(env, "set_forwarding", {"address": ANA, "forward_to": "ana@home.example"})["forward_to"] == "ana@home.example"
    assert ok(env, "set_forwarding", {"address": ANA})["forward_to"] is None
    refused(env, "set_forwarding", {"address": ANA}, "Forwarding is already off")
    refused(env, "set_forwarding", {"address": ANA, "forward_to": ANA}, "A mailbox cannot forward to itself")
    refused(env, "set_forwarding", {"address": "cy@mail.example"}, "The mailbox is suspended")


def test_auto_reply(env):
    r = ok(env, "set_auto_reply", {"address": ANA, "start": "2025-02-14", "end": "2025-02-21", "text": "Away"})
    assert r == {"start": "2025-02-14", "end": "2025-02-21", "text": "Away"}
    refused(env, "set_auto_reply", {"address": ANA, "start": "2025-02-14", "end": "2025-03-20", "text": "Away"},
            "An auto-reply runs at most 30 days")
    refused(env, "set_auto_reply", {"address": ANA, "start": "2025-02-09", "end": "2025-02-12", "text": "Away"},
            "An auto-reply starts today or later")


def test_reads(env):
    assert [m["message_id"] for m in ok(env, "search_messages", {"address": ANA, "text": "plan"})] == [
        "MSG0000001", "MSG0000006"]
    assert ok(env, "list_folder", {"address": ANA, "folder": "drafts"})[0]["message_id"] == "MSG0000005"
    refused(env, "get_message", {"address": ANA, "message_id": "MSG0000008"}, "The message belongs to another mailbox")
