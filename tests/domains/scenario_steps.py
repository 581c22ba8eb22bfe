"""Steps the domain scenario tests share: a call that must succeed, a refusal that must change nothing, a row."""

from __future__ import annotations


def ok(env, tool, args):
    r = env.call(tool, args)
    assert r.ok, r.content
    return r.value


def refused(env, tool, args, message):
    before = env.digest()
    r = env.call(tool, args)
    assert not r.ok and r.value["error"]["message"] == message, r.content
    assert env.digest() == before


def row(env, entity, key):
    k = env.domain.info.entities[entity].key
    return next(x for x in env.rows(entity) if x[k] == key)
